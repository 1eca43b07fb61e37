/* Relative depth made metric and the Amount scale (issue 13 item 6):
 *   - two distances pin the medians of near01 inside (matte >= 0.5) and
 *     outside the matte: the CoC map then equals the physical CoC of the
 *     depths the pins imply, on a synthetic near01 with spread depths;
 *   - a far end past infinity (1/z_far < 0) gives a negative z_far and a
 *     finite CoC map whose farthest pixels blur as at infinity;
 *   - no matte, an empty or full matte, a subject behind the rest: errors;
 *   - Amount 100 reaches the background of an 85 mm f/1.4 at 1.5 m (8.6 %
 *     of the width) from process version 4 on; versions 1..3 keep 4 % of
 *     the diagonal, linear. */
#include <math.h>
#include <string.h>

#include "blur/blur.h"
#include "dm_test.h"

#define W 120
#define H 80

/* near01: the subject (left half) spread around ns, the rest around nb;
 * the matte is 1 on the subject, 0 elsewhere. Values sit on the 4096-bin
 * grid the medians are taken on, so a median is exactly one of them. */
static void scene(dm_context *ctx, float ns, float nb, dm_image *near01, dm_image *matte) {
  CHECK_OK(ctx, dm_image_alloc(ctx, near01, W, H, 1));
  CHECK_OK(ctx, dm_image_alloc(ctx, matte, W, H, 1));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int subject = x < W / 2;
      float spread = (float)((x * 7 + y * 3) % 21 - 10) / 4095.0f * 8.0f; /* +-0.02, symmetric */
      float n = (subject ? ns : nb) + spread;
      *dm_px(near01, x, y) = roundf(n * 4095.0f) / 4095.0f;
      *dm_px(matte, x, y) = subject ? 1.0f : 0.0f;
    }
}

static void physical(dm_lens_blur *p) {
  dm_lens_blur_defaults(p);
  p->active = 1, p->mode = DM_BLUR_PHYSICAL;
  p->f_mm = 85, p->f_number = 1.4f, p->focus_m = 1.5f, p->sensor_width_mm = 36;
}

/* Depth of near01 n given the two pins (the line through them in 1/z). */
static double pinned_depth(double n, double ns, double zs, double nb, double zb) {
  double b = (1.0 / zs - 1.0 / zb) / (nb - ns), zi = 1.0 / zs - b * (n - ns);
  return zi <= 0.0 ? INFINITY : 1.0 / zi;
}

static void test_pins(dm_context *ctx, float ns, float nb, float zs, float zb, int beyond) {
  dm_image near01, matte, coc;
  scene(ctx, ns, nb, &near01, &matte);
  float zn = 0, zf = 0;
  CHECK_OK(ctx, dm_lens_blur_pin_range(ctx, &near01, &matte, zs, zb, &zn, &zf));
  CHECK(beyond ? zf < 0.0f : zf > zb);
  CHECK(zn > 0.0f && zn < zs);
  /* the pinned medians land on the distances */
  float qs = roundf(ns * 4095.0f) / 4095.0f, qb = roundf(nb * 4095.0f) / 4095.0f;
  CHECK_NEAR(dm_depth_from_near01(qs, zn, zf), zs, 1e-4 * zs);
  CHECK_NEAR(dm_depth_from_near01(qb, zn, zf), zb, 1e-4 * zb);
  dm_lens_blur p;
  physical(&p);
  CHECK_OK(ctx, dm_lens_blur_coc_map(ctx, &near01, zn, zf, &matte, &p, &coc));
  int bad = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float n = *dm_px(&near01, x, y), c = *dm_px(&coc, x, y);
      double z = pinned_depth(n, qs, zs, qb, zb);
      double want = dm_lens_blur_coc_physical(&p, p.focus_m, (float)z, W);
      if (!isfinite(c) || fabs(c - want) > 1e-3 * fabs(want) + 1e-3) {
        if (bad++ < 3) fprintf(stderr, "(%d, %d) near01 %g z %g: CoC %g, want %g\n", x, y, n, z, c, want);
      }
    }
  CHECK(bad == 0);
  /* the medians' own CoC: 0 at the subject's distance in focus, the
   * physical CoC of the background distance */
  p.focus_m = zs;
  dm_image_free(&coc);
  CHECK_OK(ctx, dm_lens_blur_coc_map(ctx, &near01, zn, zf, &matte, &p, &coc));
  for (int x = 0; x < W; x++)
    for (int y = 0; y < H; y++) {
      float n = *dm_px(&near01, x, y), c = *dm_px(&coc, x, y);
      if (n == qs) CHECK_NEAR(c, 0.0, 1e-3);
      if (n == qb) CHECK_NEAR(c, dm_lens_blur_coc_physical(&p, zs, zb, W), 1e-3);
    }
  if (beyond) { /* the farthest pixels blur as at infinity */
    *dm_px(&near01, 0, 0) = 1.0f;
    dm_image_free(&coc);
    CHECK_OK(ctx, dm_lens_blur_coc_map(ctx, &near01, zn, zf, &matte, &p, &coc));
    CHECK_NEAR(*dm_px(&coc, 0, 0), dm_lens_blur_coc_physical(&p, zs, INFINITY, W), 1e-3);
  }
  dm_image_free(&coc);
  dm_image_free(&near01);
  dm_image_free(&matte);
}

static void test_refusals(dm_context *ctx) {
  dm_image near01, matte;
  float zn, zf;
  scene(ctx, 0.3f, 0.7f, &near01, &matte);
  CHECK(dm_lens_blur_pin_range(ctx, &near01, NULL, 1.5f, 10, &zn, &zf) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "matte") != NULL);
  CHECK(dm_lens_blur_pin_range(ctx, &near01, &matte, 10, 1.5f, &zn, &zf) == DM_ERR_RANGE);
  CHECK(dm_lens_blur_pin_range(ctx, &near01, &matte, NAN, 10, &zn, &zf) == DM_ERR_RANGE);
  /* the subject behind the rest: the depth cannot be pinned */
  dm_image swapped;
  CHECK_OK(ctx, dm_image_copy(ctx, &swapped, &matte));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) *dm_px(&swapped, x, y) = 1.0f - *dm_px(&matte, x, y);
  CHECK(dm_lens_blur_pin_range(ctx, &near01, &swapped, 1.5f, 10, &zn, &zf) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "no nearer") != NULL);
  /* a matte with no subject, or nothing but subject */
  for (int v = 0; v < 2; v++) {
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) *dm_px(&swapped, x, y) = (float)v;
    CHECK(dm_lens_blur_pin_range(ctx, &near01, &swapped, 1.5f, 10, &zn, &zf) == DM_ERR_PARAM);
  }
  dm_image_free(&swapped);
  dm_image_free(&near01);
  dm_image_free(&matte);
}

static void test_distance_checks(dm_context *ctx) {
  dm_lens_blur p;
  physical(&p);
  CHECK_OK(ctx, dm_lens_blur_check(ctx, &p)); /* neither given */
  p.subject_distance_m = 1.5f;
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE); /* one alone */
  CHECK(strstr(dm_context_error(ctx), "lens_blur.background_distance_m") != NULL);
  p.background_distance_m = 10;
  CHECK_OK(ctx, dm_lens_blur_check(ctx, &p));
  p.background_distance_m = 1.5f;
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "lens_blur.subject_distance_m") != NULL);
  p.subject_distance_m = 0.08f, p.background_distance_m = 10;
  CHECK(dm_lens_blur_check_distances(ctx, &p, "--s", "--b") == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "--s: 0.08 m is not beyond the focal length") != NULL);
}

/* Artistic mode's full blur at Amount 100 and 50, on a 3:2 frame. */
static void test_amount(dm_context *ctx) {
  dm_image near01;
  int w = 300, h = 200;
  CHECK_OK(ctx, dm_image_alloc(ctx, &near01, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) *dm_px(&near01, x, y) = x < w / 3 ? 0.0f : 1.0f;
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  p.active = 1, p.amount = 100;
  p.focal_range[0] = p.focal_range[1] = 0, p.focal_range[2] = 10, p.focal_range[3] = 90;
  /* 85 mm f/1.4 at 1.5 m, background at 10 m, 36 mm wide: 8.6 % of the width */
  dm_lens_blur lens;
  physical(&lens);
  float bg = dm_lens_blur_coc_physical(&lens, 1.5f, 10.0f, w);
  CHECK(bg > 0.085f * w && bg < 0.087f * w);
  float diag = sqrtf((float)w * w + (float)h * h);
  for (int curve = 0; curve < 2; curve++)
    for (int amount = 50; amount <= 100; amount += 50) {
      p.amount_curve = curve, p.amount = (float)amount;
      dm_image coc;
      CHECK_OK(ctx, dm_lens_blur_coc_map(ctx, &near01, 0, 0, NULL, &p, &coc));
      float got = *dm_px(&coc, w - 1, h / 2), a = amount / 100.0f;
      float want = curve ? 0.10f * w * a * a : 0.04f * diag * a;
      CHECK_NEAR(got, want, 1e-3);
      CHECK_NEAR(dm_lens_blur_max_coc(&p, w, h), want, 1e-4);
      if (curve && amount == 100) CHECK(got >= bg);
      if (!curve && amount == 100) CHECK(got < bg); /* why version 4 changed it */
      dm_image_free(&coc);
    }
  /* the long side, whichever way the frame is turned */
  p.amount_curve = 1, p.amount = 100;
  CHECK_NEAR(dm_lens_blur_max_coc(&p, h, w), dm_lens_blur_max_coc(&p, w, h), 0);
  dm_image_free(&near01);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_pins(ctx, 0.20f, 0.90f, 2.0f, 5.0f, 0);
  /* the far end past infinity (1/z_far < 0): common, whenever the
   * background's median is well short of near01 = 1 */
  test_pins(ctx, 0.30f, 0.70f, 1.5f, 10.0f, 1);
  test_pins(ctx, 0.10f, 0.95f, 1.2f, 40.0f, 1);
  test_refusals(ctx);
  test_distance_checks(ctx);
  test_amount(ctx);
  dm_context_free(ctx);
  return dm_test_done("test_metric");
}
