/* The render graph (issue 14 item 1): a parameter change re-runs exactly
 * the stages that read it and no other; what comes from memory is what a
 * fresh render makes; a superseded render leaves nothing half kept; a
 * region equals the same rectangle of the whole render; before the scene
 * is built, what needs no depth still renders.
 *
 * Scene: tune2 of tests/data/dof-tune (a man's head and shoulders in front
 * of brick, rendered by the dof-eval kit from photos in opencv-doc), with
 * its true depth and matte as files so no network runs. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resample.h"
#include "dm_test.h"
#include "pipeline/graph.h"

#define SCENE DM_SOURCE_DIR "/tests/data/dof-tune/scenes/tune2_man_head_shoulders1.5m_brick6m_lights"

static dm_graph_options scene_options(int proxy, int threads) {
  dm_graph_options o = {.proxy = proxy, .threads = threads};
  o.scene.depth_mode = DM_DEPTH_MODE_FILE;
  o.scene.depth_file.path = SCENE "/depth16.png";
  o.scene.depth_file.encoding = DM_DEPTH_LINEAR;
  o.scene.depth_file.near_m = 1.5f; /* camera.json: depth16_near_m, depth16_far_m */
  o.scene.depth_file.far_m = 6.0f;
  o.scene.matte_mode = DM_MATTE_MODE_FILE;
  o.scene.matte_path = SCENE "/mask_gt.png";
  o.scene.cache_dir = "";
  return o;
}

static dm_graph *open_scene(dm_context *ctx, int proxy) {
  dm_graph_options o = scene_options(proxy, 2);
  dm_graph *g = NULL;
  CHECK_OK(ctx, dm_graph_open(ctx, SCENE "/aif.png", &o, &g));
  CHECK_OK(ctx, dm_graph_build_scene(ctx, g));
  return g;
}

/* The stats' change across one render. */
typedef struct runs {
  long masks, masks_reused, corrections, corrections_reused, blurs, blurs_reused;
} runs;

static runs render_counting(dm_context *ctx, dm_graph *g, const dm_recipe *r, dm_image *out) {
  dm_graph_stats a, b;
  dm_graph_stats_get(g, &a);
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  int pending = -1;
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, out, &pending));
  CHECK(pending == 0);
  dm_graph_stats_get(g, &b);
  return (runs){b.masks_run - a.masks_run, b.masks_reused - a.masks_reused,
                b.corrections_run - a.corrections_run, b.corrections_reused - a.corrections_reused,
                b.blurs_run - a.blurs_run, b.blurs_reused - a.blurs_reused};
}

static int same(const dm_image *a, const dm_image *b) {
  if (a->width != b->width || a->height != b->height || a->channels != b->channels) return 0;
  for (int y = 0; y < a->height; y++)
    if (memcmp(dm_row(a, y), dm_row(b, y), (size_t)a->width * a->channels * sizeof(float))) return 0;
  return 1;
}

static void expect_runs(int line, runs g, long m, long mr, long c, long cr, long b, long br) {
  if (g.masks == m && g.masks_reused == mr && g.corrections == c && g.corrections_reused == cr &&
      g.blurs == b && g.blurs_reused == br)
    return;
  fprintf(stderr, "line %d: masks %ld/%ld corrections %ld/%ld blurs %ld/%ld (run/reused), "
          "expected %ld/%ld %ld/%ld %ld/%ld\n", line, g.masks, g.masks_reused, g.corrections,
          g.corrections_reused, g.blurs, g.blurs_reused, m, mr, c, cr, b, br);
  CHECK(0);
}

/* A change of each parameter re-runs what reads it. Corrections: 0 Background (reads the
 * matte only), 1 Depth Range (reads the image: its edge is refined against it), 2 a linear
 * gradient (reads nothing). */
static void test_keys(dm_context *ctx, dm_graph *g, dm_recipe *r) {
  dm_image out = {0};
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 3, 0, 3, 0, 1, 0);
  dm_image_free(&out);
  /* Nothing changed: the corrections and the blur come from memory. */
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 0, 0, 0, 3, 0, 1);
  dm_image_free(&out);
  /* Lens blur amount: only the blur. */
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=70"));
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 0, 0, 0, 3, 1, 0);
  dm_image_free(&out);
  /* Smoothness of correction 1: its mask and what follows. Correction 2's gradient mask is
   * kept (it reads nothing); its sliders are applied again to the new image. */
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[1].mask[0].smoothness=70"));
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 1, 1, 2, 1, 1, 0);
  dm_image_free(&out);
  /* Exposure of correction 0: its own mask is kept; correction 1's mask reads the image
   * correction 0 changed, so it runs again; correction 2's does not. */
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[0].exposure=-1.2"));
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 1, 2, 3, 0, 1, 0);
  dm_image_free(&out);
  /* Back to the first recipe: all from memory. */
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[0].exposure=-0.7"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[1].mask[0].smoothness=40"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=50"));
  expect_runs(__LINE__, render_counting(ctx, g, r, &out), 0, 0, 0, 3, 0, 1);
  dm_image_free(&out);
}

/* How many drafts scaled their blur plan to a new Amount in one render at
 * `level`. */
static long scaled_in(dm_context *ctx, dm_graph *g, const dm_recipe *r, dm_graph_level level) {
  dm_graph_stats a, b;
  dm_graph_stats_get(g, &a);
  dm_graph_view v = {.level = level};
  dm_image out = {0};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &out, NULL));
  dm_image_free(&out);
  dm_graph_stats_get(g, &b);
  return b.blurs_scaled - a.blurs_scaled;
}

/* While Lens Blur Amount alone moves, a draft scales its plan's radii
 * (blur/apply.c); any other change, the proxy, or more than Amount at once
 * makes the geometry again. */
static void test_draft_amount(dm_context *ctx, dm_graph *g, dm_recipe *r) {
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_DRAFT) == 0); /* makes the draft's plan */
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=56"));
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_DRAFT) == 1);
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=60"));
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_DRAFT) == 1);
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_PROXY) == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[0].exposure=-0.9"));
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_DRAFT) == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=62"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.focal_range=0,10,40,60"));
  CHECK(scaled_in(ctx, g, r, DM_LEVEL_DRAFT) == 0);
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=50"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.focal_range=0,0,100,100"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[0].exposure=-0.7"));
}

/* Memory gives what a fresh graph renders, bit for bit; so does a blur
 * through the level's plan (its geometry kept from the render before,
 * only the image changed), also after a new Amount made the geometry again
 * on the same image (the plan's copy of it is then not made again, and
 * the next image is compared with it). */
static void test_memory_exact(dm_context *ctx, dm_graph *g, dm_recipe *r) {
  dm_image a = {0}, b = {0};
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  /* from memory; the plan made; a new image through it (the plan's copy
   * updated as it is compared); new geometry on the same image (the copy
   * is not made again); new geometry and a new image at once (the copy must
   * be made); the image of two steps before again (compared with the copy:
   * a stale one would leave the slices as they were) */
  static const char *const steps[][2] = {{"correction[0].exposure=-0.7", NULL},
                                         {"correction[0].exposure=-1.0", NULL},
                                         {"correction[0].exposure=-0.9", NULL},
                                         {"lens_blur.amount=58", NULL},
                                         {"lens_blur.amount=54", "correction[0].exposure=-0.8"},
                                         {"correction[0].exposure=-0.9", NULL}};
  for (int step = 0; step < 6; step++) {
    for (int k = 0; k < 2 && steps[step][k]; k++) CHECK_OK(ctx, dm_recipe_set(ctx, r, steps[step][k]));
    dm_image_free(&a);
    CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &a, NULL));
  }
  dm_graph *fresh = open_scene(ctx, 480);
  CHECK_OK(ctx, dm_graph_render(ctx, fresh, r, NULL, &v, &b, NULL));
  CHECK(same(&a, &b));
  dm_image_free(&a);
  dm_image_free(&b);
  dm_graph_free(fresh);
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "correction[0].exposure=-0.7"));
  CHECK_OK(ctx, dm_recipe_set(ctx, r, "lens_blur.amount=50"));
}

/* An idle graph gives back its stage memory (results and blur plans) and
 * renders the same pixels after. */
static void test_release_stages(dm_context *ctx, dm_graph *g, const dm_recipe *r) {
  dm_image a = {0}, b = {0};
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &a, NULL));
  dm_graph_stats st;
  dm_graph_stats_get(g, &st);
  CHECK(st.bytes > 0);
  CHECK(dm_graph_release_stages_idle(g, 3600 * 1000) == 0); /* used just now */
  CHECK(dm_graph_release_stages_idle(g, 0) == 1);
  dm_graph_stats_get(g, &st);
  CHECK(st.bytes == 0);
  CHECK(dm_graph_release_stages_idle(g, 0) == 0); /* nothing left */
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &b, NULL));
  CHECK(same(&a, &b));
  dm_image_free(&a);
  dm_image_free(&b);
}

/* A region is the same rectangle of the whole render (rendered from a crop: within float
 * rounding and what the blur's fills carry from afar, test_region.c measures it in sRGB),
 * and the same pixels each time; one outside the photo is refused. */
static int close_to(const dm_image *a, const dm_image *b) {
  double mean, max;
  dm_test_image_diff(a, b, &mean, &max);
  if (mean <= 1e-4 && max <= 0.02) return 1;
  fprintf(stderr, "region vs whole: mean %g, max %g (linear)\n", mean, max);
  return 0;
}

static void test_region(dm_context *ctx, dm_graph *g, const dm_recipe *r) {
  /* The full level was released once the scene was built (its depth and matte are files):
   * a full-size render reads it again. */
  CHECK(dm_graph_scene(g, DM_LEVEL_FULL) == NULL);
  CHECK(dm_graph_photo(g, DM_LEVEL_FULL)->data == NULL);
  dm_image whole = {0}, region = {0}, first = {0};
  dm_graph_view v = {.level = DM_LEVEL_FULL};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &whole, NULL));
  dm_graph_view rv = {.level = DM_LEVEL_FULL, .x = 500, .y = 80, .w = 300, .h = 200};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &rv, &region, NULL));
  dm_image view = dm_image_view(&whole, 500, 80, 300, 200);
  CHECK(close_to(&view, &region));
  first = region;
  region = (dm_image){0};
  dm_graph_view bad = {.level = DM_LEVEL_FULL, .x = 900, .y = 0, .w = 100, .h = 10};
  CHECK(dm_graph_render(ctx, g, r, NULL, &bad, &region, NULL) == DM_ERR_RANGE);
  CHECK(dm_graph_scene(g, DM_LEVEL_FULL) != NULL);
  /* Kept while a loupe may come back; freed once idle. */
  CHECK(dm_graph_release_idle(g, 60000) == 0);
  CHECK(dm_graph_scene(g, DM_LEVEL_FULL) != NULL);
  CHECK(dm_graph_release_idle(g, 0) == 1);
  CHECK(dm_graph_scene(g, DM_LEVEL_FULL) == NULL);
  CHECK(dm_graph_release_idle(g, 0) == 0);
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &rv, &region, NULL));
  CHECK(same(&first, &region));
  dm_image_free(&region);
  dm_graph_release_full(g);
  CHECK(dm_graph_scene(g, DM_LEVEL_FULL) == NULL);
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &rv, &region, NULL));
  CHECK(same(&first, &region)); /* read again, the same pixels */
  dm_image_free(&region);
  dm_image_free(&first);
  dm_image_free(&whole);
}

/* Four superseding previews at once: each finishes or is cancelled, the latest always
 * finishes, and what was cancelled halfway left nothing in memory: the next render equals a
 * fresh graph's. */
typedef struct previewer {
  dm_graph *g;
  const dm_recipe *r;
  dm_status s;
} previewer;

static void *preview(void *user) {
  previewer *p = user;
  dm_context *ctx = dm_context_new(1);
  dm_image out = {0};
  dm_graph_view v = {.level = DM_LEVEL_PROXY, .supersede = 1};
  p->s = dm_graph_render(ctx, p->g, p->r, NULL, &v, &out, NULL);
  dm_image_free(&out);
  dm_context_free(ctx);
  return NULL;
}

static void test_supersede(dm_context *ctx, const dm_recipe *r) {
  dm_graph *g = open_scene(ctx, 480);
  previewer p[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    p[i] = (previewer){.g = g, .r = r, .s = DM_ERR_INTERNAL};
    CHECK(pthread_create(&t[i], NULL, preview, &p[i]) == 0);
  }
  int ok = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    CHECK(p[i].s == DM_OK || p[i].s == DM_ERR_CANCELLED);
    ok += p[i].s == DM_OK;
  }
  CHECK(ok >= 1);
  dm_image a = {0}, b = {0};
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &a, NULL));
  dm_graph *fresh = open_scene(ctx, 480);
  CHECK_OK(ctx, dm_graph_render(ctx, fresh, r, NULL, &v, &b, NULL));
  CHECK(same(&a, &b));
  dm_image_free(&a);
  dm_image_free(&b);
  dm_graph_free(fresh);
  dm_graph_free(g);
}

/* Before the scene is built, what needs no depth still renders, and says so. */
static void test_pending(dm_context *ctx) {
  dm_graph_options o = scene_options(480, 1);
  dm_graph *g = NULL;
  CHECK_OK(ctx, dm_graph_open(ctx, SCENE "/aif.png", &o, &g));
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].mask[0].kind=background"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[0].exposure=-1"));
  CHECK_OK(ctx, dm_recipe_set(ctx, &r, "correction[1].exposure=0.5"));
  dm_image out = {0};
  dm_graph_view v = {.level = DM_LEVEL_PROXY};
  int pending = 0;
  CHECK_OK(ctx, dm_graph_render(ctx, g, &r, NULL, &v, &out, &pending));
  CHECK(pending == 1);
  /* The whole-image +0.5 EV is there, the Background -1 EV not yet: every pixel brighter. */
  const dm_image *photo = dm_graph_photo(g, DM_LEVEL_PROXY);
  CHECK(dm_px(&out, 10, 10)[1] > dm_px(photo, 10, 10)[1]);
  dm_image_free(&out);
  dm_graph_progress p;
  dm_graph_progress_get(g, &p);
  CHECK(!p.ready && !p.failed);
  CHECK_OK(ctx, dm_graph_build_scene(ctx, g));
  dm_graph_progress_get(g, &p);
  CHECK(p.ready && p.fraction == 1.0f && !strcmp(p.stage, "ready"));
  CHECK_OK(ctx, dm_graph_render(ctx, g, &r, NULL, &v, &out, &pending));
  CHECK(pending == 0);
  CHECK(dm_px(&out, 10, 10)[1] < dm_px(photo, 10, 10)[1]); /* the corner is background */
  dm_image_free(&out);
  dm_recipe_free(&r);
  dm_graph_free(g);
}

/* Proxy and full renders of one recipe agree (item 2): the proxy equals the full render
 * brought down to its size within 2/255 mean absolute difference overall and 4/255 within 12
 * px (full-size pixels) of the matte's edge, in the sRGB the preview is sent in. */
static void test_proxy_agreement(dm_context *ctx, dm_graph *g, const dm_recipe *r) {
  dm_image full = {0}, proxy = {0}, down = {0}, a = {0}, b = {0};
  dm_graph_view fv = {.level = DM_LEVEL_FULL}, pv = {.level = DM_LEVEL_PROXY};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &fv, &full, NULL));
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &pv, &proxy, NULL));
  CHECK_OK(ctx, dm_resized_plane(ctx, &full, proxy.width, proxy.height, 0, &down, "full"));
  a = dm_test_srgb(ctx, &down);
  b = dm_test_srgb(ctx, &proxy);
  /* The band: proxy pixels within 12 full-size pixels of where the proxy's matte crosses 0.5. */
  const dm_image *matte = &dm_graph_scene(g, DM_LEVEL_PROXY)->matte;
  const int reach = (12 * proxy.width + full.width - 1) / full.width;
  double all = 0, band = 0;
  long n_band = 0;
  for (int y = 0; y < a.height; y++)
    for (int x = 0; x < a.width; x++) {
      double d = 0;
      for (int c = 0; c < 3; c++) d += fabs(dm_px(&a, x, y)[c] - dm_px(&b, x, y)[c]) / 3;
      all += d;
      int in = dm_px(matte, x, y)[0] >= 0.5f, near_edge = 0;
      for (int dy = -reach; dy <= reach && !near_edge; dy++)
        for (int dx = -reach; dx <= reach && !near_edge; dx++) {
          int xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < a.width && yy < a.height)
            near_edge = (dm_px(matte, xx, yy)[0] >= 0.5f) != in;
        }
      if (near_edge) band += d, n_band++;
    }
  all = all / ((double)a.width * a.height) * 255, band = band / (n_band ? n_band : 1) * 255;
  printf("proxy vs full downsampled: mean abs %.2f/255 overall, %.2f/255 within 12 px of the "
         "matte's edge (%ld px)\n", all, band, n_band);
  CHECK(n_band > 1000);
  CHECK(all <= 2.0);
  CHECK(band <= 4.0);
  dm_image *imgs[] = {&full, &proxy, &down, &a, &b};
  for (int i = 0; i < 5; i++) dm_image_free(imgs[i]);
}

/* A photo rewritten while open is not read again as if it were the one the previews show. */
static void write_file(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(data, 1, len, f) == len);
  if (f) fclose(f);
}

static void test_changed_on_disk(dm_context *ctx, const dm_recipe *r) {
  char copy[4200];
  snprintf(copy, sizeof copy, "%s/aif.png", dm_test_tmpdir("pipeline_graph"));
  size_t len = 0;
  unsigned char *bytes = dm_test_read(SCENE "/aif.png", &len);
  CHECK(bytes && len > 100);
  write_file(copy, bytes, len);
  dm_graph_options o = scene_options(480, 1);
  dm_graph *g = NULL;
  CHECK_OK(ctx, dm_graph_open(ctx, copy, &o, &g));
  CHECK_OK(ctx, dm_graph_build_scene(ctx, g)); /* releases the full level */
  dm_image out = {0};
  dm_graph_view v = {.level = DM_LEVEL_FULL, .x = 0, .y = 0, .w = 16, .h = 16};
  CHECK_OK(ctx, dm_graph_render(ctx, g, r, NULL, &v, &out, NULL));
  dm_image_free(&out);
  dm_graph_release_full(g);
  bytes[len - 20] ^= 0x55; /* inside the PNG's last chunk: same size, other bytes */
  write_file(copy, bytes, len);
  CHECK(dm_graph_render(ctx, g, r, NULL, &v, &out, NULL) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "changed on disk") != NULL);
  free(bytes);
  dm_graph_free(g);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_graph *g = open_scene(ctx, 480);
  int w, h;
  dm_graph_level_size(g, DM_LEVEL_PROXY, &w, &h);
  CHECK(w == 480 && h == 320);
  dm_graph_size(g, &w, &h);
  CHECK(w == 960 && h == 640);
  dm_recipe r;
  CHECK_OK(ctx, dm_recipe_init(ctx, &r));
  static const char *const sets[] = {
      "correction[0].mask[0].kind=background",      "correction[0].exposure=-0.7",
      "correction[1].mask[0].kind=depth_range",     "correction[1].mask[0].depth_range=0,30",
      "correction[1].mask[0].smoothness=40",        "correction[1].exposure=0.3",
      "correction[2].mask[0].kind=linear_gradient", "correction[2].mask[0].zero=0.5,0",
      "correction[2].mask[0].full=0.5,0.4",         "correction[2].temperature=-10",
      "lens_blur.amount=50",
  };
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) CHECK_OK(ctx, dm_recipe_set(ctx, &r, sets[i]));
  test_keys(ctx, g, &r);
  test_memory_exact(ctx, g, &r);
  test_draft_amount(ctx, g, &r);
  test_release_stages(ctx, g, &r);
  test_region(ctx, g, &r);
  test_proxy_agreement(ctx, g, &r);
  test_supersede(ctx, &r);
  test_pending(ctx);
  test_changed_on_disk(ctx, &r);
  dm_recipe_free(&r);
  dm_graph_free(g);
  dm_context_free(ctx);
  return dm_test_done("pipeline/graph");
}
