/* Lens blur plans (dm_lens_blur_apply_planned): what an editor keeps
 * between images of one depth, matte and set of blur parameters.
 *   - a blur through a plan equals the blur without one, bit for bit, for
 *     the image that made the plan and for later images (another exposure
 *     of the photo, a brighter one with clipped lights for Boost), with a
 *     soft matte and its layers, cat eye, and a foreground nearer than the
 *     subject;
 *   - a render cancelled half-way keeps the plan, and the next render
 *     through it is still exact;
 *   - a plan marked stale (new parameters) makes its geometry again;
 *   - an image that changes only some depth slices (the subject, the far
 *     background, the background layer of the soft edge) reuses the others
 *     and is still exact;
 *   - a plan of another size is made again, not misapplied;
 *   - an image named as the plan's last one is not copied again, and the
 *     next image is still compared with the right one;
 *   - a draft's blur (coarser grids from half the radius) is close to the
 *     blur, and a plan switched between the two is made again;
 *   - a draft through a plan whose Amount alone moved, within a factor of
 *     2 of its CoC, scales the plan's radii and is close to a draft made
 *     afresh; beyond that, or at the next image that is not a new Amount,
 *     the plan is made again and exact;
 *   - a step of Amount moves no pixel far (no edge flashes while it is
 *     dragged). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur.h"
#include "color/color.h"
#include "dm_test.h"
#include "io/io.h"
#include "matte/matte.h"

/* The subject an ellipse 2 m away with a soft (8 px) matte edge, the rest
 * at 10 m, a foreground disc at 1.2 m; near01 for [1 m, 20 m]. */
static void scene(dm_context *ctx, int w, int h, dm_image *near01, dm_image *matte) {
  CHECK_OK(ctx, dm_image_alloc(ctx, near01, w, h, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, matte, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.45f * w) / (0.25f * w), ey = (y - 0.5f * h) / (0.45f * h);
      float fx = (x - 0.85f * w) / (0.12f * w), fy = (y - 0.85f * h) / (0.12f * w);
      float e = sqrtf(ex * ex + ey * ey), edge = (1.0f - e) * 0.25f * w / 8.0f + 0.5f;
      float a = edge < 0 ? 0 : (edge > 1 ? 1 : edge);
      float z = e < 1 ? 2.0f : 10.0f;
      if (fx * fx + fy * fy < 1) z = 1.2f, a = 0;
      *dm_px(near01, x, y) = dm_near01_from_depth(z, 1.0f, 20.0f);
      *dm_px(matte, x, y) = a;
    }
}

/* A physical 85 mm on a full-frame camera focused on the subject at 2 m. */
static dm_lens_blur portrait_lens(float f_number) {
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  p.active = 1, p.mode = DM_BLUR_PHYSICAL;
  p.f_mm = 85, p.f_number = f_number, p.focus_m = 2, p.sensor_width_mm = 36;
  return p;
}

static void scale(dm_image *img, float g) {
  for (int y = 0; y < img->height; y++) {
    float *r = dm_row(img, y);
    for (int x = 0; x < 3 * img->width; x++) r[x] *= g;
  }
}

static int same(const dm_image *a, const dm_image *b) {
  for (int y = 0; y < a->height; y++)
    if (memcmp(dm_row(a, y), dm_row(b, y), sizeof(float) * 3 * (size_t)a->width)) return 0;
  return 1;
}

/* Blur `img` scaled by `g` without a plan and through *plan: equal? */
static int check_one(dm_context *ctx, const dm_image *img, float g, const dm_image *near01,
                     const dm_image *matte, const dm_matte_layers *L, const dm_lens_blur *p,
                     dm_lens_blur_plan **plan) {
  dm_image a, b;
  CHECK_OK(ctx, dm_image_copy(ctx, &a, img));
  scale(&a, g);
  CHECK_OK(ctx, dm_image_copy(ctx, &b, &a));
  CHECK_OK(ctx, dm_lens_blur_apply_layers(ctx, &a, near01, 1.0f, 20.0f, matte, L, p));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, &b, near01, 1.0f, 20.0f, matte, L, p, plan, 0));
  int ok = same(&a, &b);
  dm_image_free(&a);
  dm_image_free(&b);
  return ok;
}

/* img with the pixels whose depth is `z_m` (m) scaled by g, in place. */
static void scale_at(dm_image *img, const dm_image *near01, float z_m, float g) {
  float d = dm_near01_from_depth(z_m, 1.0f, 20.0f);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      if (*dm_px(near01, x, y) == d)
        for (int c = 0; c < 3; c++) dm_px(img, x, y)[c] *= g;
}

/* `img` blurred through *plan with the name `id` (dm_lens_blur_plan_image),
 * into *out. */
static void blur_named(dm_context *ctx, const dm_image *img, uint64_t id, const dm_image *near01,
                       const dm_image *matte, const dm_matte_layers *L, const dm_lens_blur *p,
                       dm_lens_blur_plan **plan, dm_image *out) {
  dm_image_free(out);
  CHECK_OK(ctx, dm_image_copy(ctx, out, img));
  dm_lens_blur_plan_image(*plan, id, 0);
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, out, near01, 1.0f, 20.0f, matte, L, p, plan, 0));
}

/* A plan keeps a copy of its last image to tell what the next one changes;
 * an image named as the last one (a new Amount: same image, new geometry)
 * is not copied again, one named otherwise is. The last image here is the
 * one two steps before: compared with a copy left stale, the far slice
 * would keep the other image's blur. */
static void test_named(dm_context *ctx, const dm_image *img, const dm_image *near01,
                       const dm_image *matte, const dm_matte_layers *L, const dm_lens_blur *p) {
  dm_image a, b, out = {0}, fresh;
  CHECK_OK(ctx, dm_image_copy(ctx, &a, img));
  CHECK_OK(ctx, dm_image_copy(ctx, &b, img));
  scale_at(&b, near01, 10.0f, 0.6f); /* the far background darker: no soft pixel changes */
  dm_lens_blur q = *p;
  dm_lens_blur_plan *plan = NULL;
  blur_named(ctx, &a, 0, near01, matte, L, &q, &plan, &out); /* makes the plan */
  blur_named(ctx, &a, 1, near01, matte, L, &q, &plan, &out); /* its copy named */
  const float amount[] = {1.1f, 1.2f};
  q.amount = p->amount * amount[0];
  dm_lens_blur_plan_amount(plan);
  blur_named(ctx, &a, 1, near01, matte, L, &q, &plan, &out); /* kept as it is */
  q.amount = p->amount * amount[1];
  dm_lens_blur_plan_amount(plan);
  blur_named(ctx, &b, 2, near01, matte, L, &q, &plan, &out); /* copied */
  blur_named(ctx, &a, 1, near01, matte, L, &q, &plan, &out); /* compared */
  CHECK(dm_lens_blur_plan_reused(plan) > 0); /* only the far slice changed */
  CHECK_OK(ctx, dm_image_copy(ctx, &fresh, &a));
  CHECK_OK(ctx, dm_lens_blur_apply_layers(ctx, &fresh, near01, 1.0f, 20.0f, matte, L, &q));
  int ok = same(&out, &fresh);
  printf("named images through new geometry and back: %s, %d slices reused\n",
         ok ? "identical" : "DIFFERENT", dm_lens_blur_plan_reused(plan));
  CHECK(ok);
  dm_lens_blur_plan_free(plan);
  dm_image_free(&a), dm_image_free(&b), dm_image_free(&out), dm_image_free(&fresh);
}

/* Images that change part of the picture, each through the plan and
 * afresh: identical, and the plan reused the slices they leave alone. */
static void test_local(dm_context *ctx, const dm_image *img, const dm_image *near01,
                       const dm_image *matte, dm_matte_layers *L, const dm_lens_blur *p) {
  dm_lens_blur_plan *plan = NULL;
  dm_image cur;
  CHECK_OK(ctx, dm_image_copy(ctx, &cur, img));
  CHECK(check_one(ctx, &cur, 1.0f, near01, matte, L, p, &plan));
  CHECK(dm_lens_blur_plan_reused(plan) == 0); /* the first image does them all */
  CHECK(check_one(ctx, &cur, 1.0f, near01, matte, L, p, &plan));
  int all = dm_lens_blur_plan_reused(plan);
  printf("the same image again: %d slices reused\n", all);
  CHECK(all >= 3);
  struct { const char *what; float z; float g; } steps[] = {
      {"the subject (2 m) brighter", 2.0f, 1.3f},
      {"the far background (10 m) darker", 10.0f, 0.6f},
      {"the foreground (1.2 m) brighter", 1.2f, 1.5f},
  };
  for (int i = 0; i < 3; i++) {
    scale_at(&cur, near01, steps[i].z, steps[i].g);
    int ok = check_one(ctx, &cur, 1.0f, near01, matte, L, p, &plan);
    int reused = dm_lens_blur_plan_reused(plan);
    printf("%s: %s, %d slices reused\n", steps[i].what, ok ? "identical" : "DIFFERENT", reused);
    CHECK(ok);
    CHECK(reused < all);
    CHECK(reused > 0 || !L); /* without layers a soft pixel changed does them all */
  }
  if (L) { /* the soft edge's background layer alone, as a Background correction moves it */
    for (size_t k = 0; k < 3 * L->n; k++) L->bg[k] *= 0.5f;
    int ok = check_one(ctx, &cur, 1.0f, near01, matte, L, p, &plan);
    int reused = dm_lens_blur_plan_reused(plan);
    printf("the soft edge's background layer darker: %s, %d slices reused\n",
           ok ? "identical" : "DIFFERENT", reused);
    CHECK(ok);
    CHECK(reused > 0 && reused < all);
    for (size_t k = 0; k < 3 * L->n; k++) L->bg[k] *= 2.0f;
  }
  /* cancelled half-way: the next image does every slice, and is exact */
  dm_image c;
  CHECK_OK(ctx, dm_image_copy(ctx, &c, &cur));
  atomic_store(&ctx->cancel, 1);
  CHECK(dm_lens_blur_apply_planned(ctx, &c, near01, 1.0f, 20.0f, matte, L, p, &plan, 0) ==
        DM_ERR_CANCELLED);
  atomic_store(&ctx->cancel, 0);
  dm_image_free(&c);
  scale_at(&cur, near01, 2.0f, 0.8f);
  CHECK(check_one(ctx, &cur, 1.0f, near01, matte, L, p, &plan));
  CHECK(dm_lens_blur_plan_reused(plan) == 0);
  dm_lens_blur_plan_free(plan);
  dm_image_free(&cur);
}

static void test_plans(dm_context *ctx) {
  dm_image img = dm_test_working_photo(ctx, "chelsea"), near01, matte;
  int w = img.width, h = img.height;
  scene(ctx, w, h, &near01, &matte);
  dm_matte_layers L;
  CHECK_OK(ctx, dm_matte_layers_build(ctx, &img, &matte, &L));
  dm_lens_blur p = portrait_lens(1.8f);
  p.boost = 80, p.boost_light_size = 2, p.amount_curve = 1;
  test_local(ctx, &img, &near01, &matte, &L, &p);
  dm_lens_blur artistic;
  dm_lens_blur_defaults(&artistic);
  artistic.active = 1, artistic.mode = DM_BLUR_ARTISTIC, artistic.amount = 50;
  artistic.boost = 0; /* else the boost weights, compared too, would catch a stale copy */
  test_named(ctx, &img, &near01, &matte, &L, &artistic);
  for (int cat = 0; cat <= 1; cat++) {
    p.cat_eye = cat ? 40.0f : 0.0f;
    dm_lens_blur_plan *plan = NULL;
    /* the image that makes the plan, then others through it; 2.5x clips the
     * fur's highlights, so Boost finds lights the first image had not */
    const float gains[] = {1.0f, 0.5f, 2.5f, 1.0f};
    for (int i = 0; i < 4; i++) {
      int ok = check_one(ctx, &img, gains[i], &near01, &matte, &L, &p, &plan);
      printf("cat eye %d, image x%.1f through %s plan: %s\n", cat, (double)gains[i],
             i ? "the" : "a new", ok ? "identical" : "DIFFERENT");
      CHECK(ok);
      CHECK(plan != NULL);
    }
    CHECK(dm_lens_blur_plan_bytes(plan) > (size_t)w * h * 5);
    /* cancelled: the plan stays and still serves */
    dm_image c;
    CHECK_OK(ctx, dm_image_copy(ctx, &c, &img));
    atomic_store(&ctx->cancel, 1);
    CHECK(dm_lens_blur_apply_planned(ctx, &c, &near01, 1.0f, 20.0f, &matte, &L, &p, &plan, 0) ==
          DM_ERR_CANCELLED);
    atomic_store(&ctx->cancel, 0);
    dm_image_free(&c);
    CHECK(plan != NULL);
    CHECK(check_one(ctx, &img, 0.8f, &near01, &matte, &L, &p, &plan));
    /* new parameters: the plan marked stale makes its geometry again
     * (kept kernels for the same shape, new ones for another) */
    p.f_number = 2.8f;
    dm_lens_blur_plan_stale(plan);
    CHECK(!dm_lens_blur_plan_ready(plan));
    CHECK(check_one(ctx, &img, 1.2f, &near01, &matte, &L, &p, &plan));
    CHECK(dm_lens_blur_plan_ready(plan));
    p.bokeh = DM_BOKEH_BLADES, p.blades = 6;
    dm_lens_blur_plan_stale(plan);
    CHECK(check_one(ctx, &img, 1.0f, &near01, &matte, &L, &p, &plan));
    p.f_number = 1.8f, p.bokeh = 0, p.blades = 7;
    dm_lens_blur_plan_free(plan);
  }
  /* no matte: the synthetic one from the depth's edges is in the plan */
  {
    dm_lens_blur_plan *plan = NULL;
    p.cat_eye = 0;
    CHECK(check_one(ctx, &img, 1.0f, &near01, NULL, NULL, &p, &plan));
    CHECK(check_one(ctx, &img, 1.7f, &near01, NULL, NULL, &p, &plan));
    dm_lens_blur_plan_free(plan);
    plan = NULL;
    /* without layers a changed soft pixel does every slice: still exact */
    test_local(ctx, &img, &near01, NULL, NULL, &p);
    CHECK(check_one(ctx, &img, 1.0f, &near01, NULL, NULL, &p, &plan));
    p.amount = 80; /* the synthetic matte follows the new CoCs */
    dm_lens_blur_plan_stale(plan);
    CHECK(check_one(ctx, &img, 1.0f, &near01, NULL, NULL, &p, &plan));
    /* a smaller image: the plan is made again for it */
    dm_image small = dm_image_view(&img, 0, 0, w / 2, h / 2), sn = dm_image_view(&near01, 0, 0, w / 2, h / 2);
    dm_image s1, sn1;
    CHECK_OK(ctx, dm_image_copy(ctx, &s1, &small));
    CHECK_OK(ctx, dm_image_copy(ctx, &sn1, &sn));
    CHECK(check_one(ctx, &s1, 1.0f, &sn1, NULL, NULL, &p, &plan));
    dm_image_free(&s1);
    dm_image_free(&sn1);
    dm_lens_blur_plan_free(plan);
  }
  dm_matte_layers_free(&L);
  dm_image_free(&img);
  dm_image_free(&near01);
  dm_image_free(&matte);
}

/* Mean and largest |a - b| in the sRGB the previews are sent in, x 255. */
static void display_diff(dm_context *ctx, const dm_image *a, const dm_image *b, double *mean,
                         double *worst) {
  dm_image sa = dm_test_srgb(ctx, a), sb = dm_test_srgb(ctx, b);
  dm_test_image_diff(&sa, &sb, mean, worst);
  *mean *= 255, *worst *= 255;
  dm_image_free(&sa);
  dm_image_free(&sb);
}

static void test_draft(dm_context *ctx) {
  dm_image img = dm_test_working_photo(ctx, "chelsea"), near01, matte;
  scene(ctx, img.width, img.height, &near01, &matte);
  dm_matte_layers L;
  CHECK_OK(ctx, dm_matte_layers_build(ctx, &img, &matte, &L));
  dm_lens_blur p = portrait_lens(1.4f);
  dm_image full, draft, again;
  CHECK_OK(ctx, dm_image_copy(ctx, &full, &img));
  CHECK_OK(ctx, dm_image_copy(ctx, &draft, &img));
  CHECK_OK(ctx, dm_image_copy(ctx, &again, &img));
  dm_lens_blur_plan *plan = NULL;
  CHECK_OK(ctx, dm_lens_blur_apply_layers(ctx, &full, &near01, 1.0f, 20.0f, &matte, &L, &p));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, &draft, &near01, 1.0f, 20.0f, &matte, &L, &p, &plan, 1));
  double mean, worst;
  display_diff(ctx, &full, &draft, &mean, &worst);
  printf("draft blur vs the blur: mean %.2f/255, largest %.1f/255\n", mean, worst);
  CHECK(mean > 0.0);  /* it is another path, */
  CHECK(mean < 1.0);  /* close to the blur */
  /* the same plan asked for the full path: made again, exact */
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, &again, &near01, 1.0f, 20.0f, &matte, &L, &p, &plan, 0));
  CHECK(same(&full, &again));
  dm_lens_blur_plan_free(plan);
  dm_image_free(&full);
  dm_image_free(&draft);
  dm_image_free(&again);
  dm_matte_layers_free(&L);
  dm_image_free(&img);
  dm_image_free(&near01);
  dm_image_free(&matte);
}

/* Blurs of Amount a0..a1 in steps of 1: the largest difference of one from
 * the mean of its two neighbours (sRGB x 255), and its Amount in *at. */
static double amount_sweep(dm_context *ctx, const dm_image *img, const dm_image *near01,
                           const dm_image *matte, const dm_matte_layers *L, dm_lens_blur p, int a0,
                           int a1, int *at) {
  dm_image s[3] = {{0}};
  double worst = 0.0;
  for (int a = a0; a <= a1; a++) {
    dm_image out;
    p.amount = (float)a;
    CHECK_OK(ctx, dm_image_copy(ctx, &out, img));
    CHECK_OK(ctx, dm_lens_blur_apply_layers(ctx, &out, near01, 1.0f, 20.0f, matte, L, &p));
    dm_image_free(&s[0]);
    s[0] = s[1], s[1] = s[2], s[2] = dm_test_srgb(ctx, &out);
    dm_image_free(&out);
    if (a < a0 + 2) continue;
    for (int y = 0; y < img->height; y++) {
      const float *u = dm_row(&s[0], y), *v = dm_row(&s[1], y), *w = dm_row(&s[2], y);
      for (int i = 0; i < 3 * img->width; i++) {
        double d = fabs(v[i] - 0.5 * (u[i] + w[i])) * 255.0;
        if (d > worst) worst = d, *at = a - 1;
      }
    }
  }
  for (int i = 0; i < 3; i++) dm_image_free(&s[i]);
  return worst;
}

/* The share of pixels whose sRGB differs by more than d in a channel. */
static double apart(dm_context *ctx, const dm_image *a, const dm_image *b, double d) {
  dm_image sa = dm_test_srgb(ctx, a), sb = dm_test_srgb(ctx, b);
  long n = 0;
  for (int y = 0; y < sa.height; y++)
    for (int x = 0; x < sa.width; x++) {
      const float *p = dm_px(&sa, x, y), *q = dm_px(&sb, x, y);
      n += fabsf(p[0] - q[0]) > d || fabsf(p[1] - q[1]) > d || fabsf(p[2] - q[2]) > d;
    }
  dm_image_free(&sa);
  dm_image_free(&sb);
  return (double)n / ((double)a->width * a->height);
}

/* A fresh draft of img (a copy) with p, into out. */
static void fresh_draft(dm_context *ctx, const dm_image *img, const dm_image *near01,
                        const dm_image *matte, const dm_matte_layers *L, const dm_lens_blur *p,
                        dm_image *out) {
  dm_lens_blur_plan *plan = NULL;
  CHECK_OK(ctx, dm_image_copy(ctx, out, img));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, out, near01, 1.0f, 20.0f, matte, L, p, &plan, 1));
  CHECK(!dm_lens_blur_plan_scaled(plan));
  dm_lens_blur_plan_free(plan);
}

/* The draft through `plan` after p's Amount became `amount`. */
static void draft_at(dm_context *ctx, const dm_image *img, const dm_image *near01,
                     const dm_image *matte, const dm_matte_layers *L, dm_lens_blur *p,
                     float amount, dm_lens_blur_plan **plan, dm_image *out) {
  if (p->amount != amount) dm_lens_blur_plan_amount(*plan); /* as the editor's graph does */
  p->amount = amount;
  CHECK_OK(ctx, dm_image_copy(ctx, out, img));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, out, near01, 1.0f, 20.0f, matte, L, p, plan, 1));
}

static void test_draft_amount(dm_context *ctx) {
  dm_image img = dm_test_working_photo(ctx, "chelsea"), near01, matte;
  scene(ctx, img.width, img.height, &near01, &matte);
  /* the background a ground plane, 4 m at the bottom to 20 m at the top,
   * so that a new Amount moves pixels between slices */
  const float bg = dm_near01_from_depth(10.0f, 1.0f, 20.0f);
  for (int y = 0; y < img.height; y++)
    for (int x = 0; x < img.width; x++) {
      float *n = dm_px(&near01, x, y);
      if (*n == bg) *n = dm_near01_from_depth(20.0f - 16.0f * y / (img.height - 1), 1.0f, 20.0f);
    }
  dm_matte_layers L;
  CHECK_OK(ctx, dm_matte_layers_build(ctx, &img, &matte, &L));
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  p.active = 1, p.amount = 50, p.boost = 40; /* artistic, auto focus on the subject */
  dm_lens_blur_plan *plan = NULL;
  dm_image got, want;
  draft_at(ctx, &img, &near01, &matte, &L, &p, 50, &plan, &got);
  dm_image_free(&got);
  /* One Amount step changes a render by little anywhere: where a slice
   * boundary on the ground passed behind the soft edge, the nearer slice's
   * fill once covered the background share the edge gives the slice behind
   * it (74/255 between Amount 61, 62 and 63). What is left (29/255 there)
   * is that fill behind the opaque subject, spread onto the edge. */
  int at = 0;
  double jump = amount_sweep(ctx, &img, &near01, &matte, &L, p, 40, 80, &at);
  printf("Amount 40..80 in steps of 1: largest jump from the mean of the neighbours %.1f/255, at "
         "%d\n", jump, at);
  CHECK(jump < 40.0);
  /* Amount up and down within a factor of 2 of the CoC (Amount² grows it) */
  const float amounts[] = {56, 64, 44, 38};
  for (int i = 0; i < 4; i++) {
    draft_at(ctx, &img, &near01, &matte, &L, &p, amounts[i], &plan, &got);
    CHECK(dm_lens_blur_plan_scaled(plan));
    fresh_draft(ctx, &img, &near01, &matte, &L, &p, &want);
    double mean, worst, far = apart(ctx, &want, &got, 8.0 / 255.0);
    display_diff(ctx, &want, &got, &mean, &worst);
    printf("draft at Amount %g through the plan of Amount 50 vs made afresh: mean %.2f/255, "
           "largest %.1f/255, %.3f %% of pixels over 8/255\n", (double)amounts[i], mean, worst,
           100.0 * far);
    /* The slices are Amount 50's: close to a draft's own. The largest
     * differences lie on the soft edge, where a slice boundary on the
     * ground passing behind it still moves the draft made afresh (above). */
    CHECK(mean < 1.0);
    CHECK(far < 0.001);
    dm_image_free(&got);
    dm_image_free(&want);
  }
  /* Amount 72 is (72/50)² > 2 times the CoC: made again, exact */
  draft_at(ctx, &img, &near01, &matte, &L, &p, 72, &plan, &got);
  CHECK(!dm_lens_blur_plan_scaled(plan));
  fresh_draft(ctx, &img, &near01, &matte, &L, &p, &want);
  CHECK(same(&got, &want));
  dm_image_free(&got);
  dm_image_free(&want);
  /* a scaled plan, then another image (Exposure moved): made again, exact */
  draft_at(ctx, &img, &near01, &matte, &L, &p, 80, &plan, &got);
  CHECK(dm_lens_blur_plan_scaled(plan));
  dm_image_free(&got);
  dm_image brighter;
  CHECK_OK(ctx, dm_image_copy(ctx, &brighter, &img));
  scale(&brighter, 1.3f);
  draft_at(ctx, &brighter, &near01, &matte, &L, &p, 80, &plan, &got);
  CHECK(!dm_lens_blur_plan_scaled(plan));
  fresh_draft(ctx, &brighter, &near01, &matte, &L, &p, &want);
  CHECK(same(&got, &want));
  dm_image_free(&got);
  dm_image_free(&want);
  dm_image_free(&brighter);
  /* the full path never scales: a new Amount makes its geometry again
   * (keeping only the auto focus depths of the same depth and matte), the
   * same bit for bit as a blur without a plan */
  dm_lens_blur_plan *full = NULL;
  CHECK_OK(ctx, dm_image_copy(ctx, &got, &img));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, &got, &near01, 1.0f, 20.0f, &matte, &L, &p, &full, 0));
  dm_image_free(&got);
  p.amount = 70;
  dm_lens_blur_plan_amount(full);
  CHECK_OK(ctx, dm_image_copy(ctx, &got, &img));
  CHECK_OK(ctx, dm_lens_blur_apply_planned(ctx, &got, &near01, 1.0f, 20.0f, &matte, &L, &p, &full, 0));
  CHECK(!dm_lens_blur_plan_scaled(full));
  CHECK_OK(ctx, dm_image_copy(ctx, &want, &img));
  CHECK_OK(ctx, dm_lens_blur_apply_layers(ctx, &want, &near01, 1.0f, 20.0f, &matte, &L, &p));
  CHECK(same(&got, &want));
  dm_image_free(&got);
  dm_image_free(&want);
  dm_lens_blur_plan_free(full);
  dm_lens_blur_plan_free(plan);
  dm_matte_layers_free(&L);
  dm_image_free(&img);
  dm_image_free(&near01);
  dm_image_free(&matte);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_plans(ctx);
  test_draft(ctx);
  test_draft_amount(ctx);
  dm_context_free(ctx);
  return dm_test_done("blur/blur_plan");
}
