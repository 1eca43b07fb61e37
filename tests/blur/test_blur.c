/* Lens blur: the parameter table, the CoC helpers, and properties of the
 * render on a real photograph (chelsea) with synthetic depth:
 *   - in-focus pixels (CoC under 0.5 px) come out unchanged;
 *   - a uniform-depth blur keeps the image's mean (no light lost or made);
 *   - 1 and 2 threads give bit-identical results;
 *   - bad parameters and inputs are errors, NaN depth is treated as in
 *     focus, never a crash. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur.h"
#include "color/color.h"
#include "dm_test.h"
#include "io/io.h"

/* Metric depth: the subject (an ellipse) at `s`, the rest at `bg`, and a
 * foreground disc at `fg` when fg > 0. Returns near01 for [1 m, 20 m]. */
static dm_image depth_map(dm_context *ctx, int w, int h, float s, float bg, float fg) {
  dm_image n;
  CHECK_OK(ctx, dm_image_alloc(ctx, &n, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.45f * w) / (0.25f * w), ey = (y - 0.5f * h) / (0.45f * h);
      float fx = (x - 0.85f * w) / (0.12f * w), fy = (y - 0.85f * h) / (0.12f * w);
      float z = ex * ex + ey * ey < 1 ? s : bg;
      if (fg > 0 && fx * fx + fy * fy < 1) z = fg;
      *dm_px(&n, x, y) = dm_near01_from_depth(z, 1.0f, 20.0f);
    }
  return n;
}

static void physical(dm_lens_blur *p, float f_number) {
  dm_lens_blur_defaults(p);
  p->active = 1, p->mode = DM_BLUR_PHYSICAL;
  p->f_mm = 85, p->f_number = f_number, p->focus_m = 2, p->sensor_width_mm = 36;
}

static void test_params(dm_context *ctx) {
  int n;
  const dm_param *t = dm_lens_blur_params(&n);
  dm_lens_blur p;
  dm_lens_blur_defaults(&p);
  CHECK(p.amount == 50 && p.active == 0 && p.boost == 50 && p.boost_threshold == 50);
  CHECK(p.focal_range[0] == 0 && p.focal_range[1] == 0 && p.focal_range[2] == 100 &&
        p.focal_range[3] == 100);
  CHECK_OK(ctx, dm_lens_blur_check(ctx, &p));
  for (int i = 0; i < n; i++) {
    CHECK(t[i].def >= t[i].min && t[i].def <= t[i].max);
    for (int k = 0; k < i; k++) CHECK(strcmp(t[i].key, t[k].key) != 0);
  }
  const dm_param *a = dm_param_find(t, n, "amount");
  CHECK(a && a->xmp_name && !strcmp(a->xmp_name, "BlurAmount"));
  CHECK(!strcmp(dm_param_find(t, n, "focal_range")->xmp_name, "FocalRange"));
  CHECK(!strcmp(dm_param_find(t, n, "boost")->xmp_name, "HighlightsBoost"));
  CHECK(!strcmp(dm_param_find(t, n, "cat_eye")->xmp_name, "CatEyeAmount"));
  CHECK_OK(ctx, dm_param_parse(ctx, dm_param_find(t, n, "focal_range"), &p, "10,20,60,80", "fr"));
  CHECK(p.focal_range[2] == 60);

  /* bad values: errors that name the field */
  physical(&p, 0);
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "f_number") != NULL);
  physical(&p, -2);
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  physical(&p, 2);
  p.focus_m = 0.05f; /* 5 cm, inside an 85 mm focal length */
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx), "focus_m") != NULL);
  physical(&p, 2);
  p.amount = NAN;
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  physical(&p, 2);
  p.amount = 101;
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  physical(&p, 2);
  p.focal_range[1] = 90, p.focal_range[2] = 10; /* out of order */
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
  physical(&p, 2);
  p.bokeh = 1.5f;
  CHECK(dm_lens_blur_check(ctx, &p) == DM_ERR_RANGE);
}

static void test_coc(void) {
  /* near01 is linear in disparity and round-trips through depth */
  CHECK_NEAR(dm_near01_from_depth(1.0f, 1.0f, 20.0f), 0.0, 1e-6);
  CHECK_NEAR(dm_near01_from_depth(20.0f, 1.0f, 20.0f), 1.0, 1e-6);
  CHECK_NEAR(dm_depth_from_near01(dm_near01_from_depth(3.7f, 1.0f, 20.0f), 1.0f, 20.0f), 3.7, 1e-4);
  CHECK(isinf(dm_depth_from_near01(1.0f, 1.0f, INFINITY)));
  dm_lens_blur p;
  physical(&p, 1.8f);
  /* f²/(N(s−f))·|z−s|/z / (sensor/width), by hand: 85 mm f/1.8 at 2 m, z = 5 m, 6000 px */
  double f = 0.085, s = 2, z = 5, pitch = 0.036 / 6000;
  double want = f * f / (1.8 * (s - f)) * (z - s) / z / pitch;
  CHECK_NEAR(dm_lens_blur_coc_physical(&p, 2.0f, 5.0f, 6000), want, 1e-3 * want);
  CHECK(dm_lens_blur_coc_physical(&p, 2.0f, 1.0f, 6000) < 0); /* in front: negative */
  CHECK_NEAR(dm_lens_blur_coc_physical(&p, 2.0f, 2.0f, 6000), 0.0, 1e-6);
}

static double mean_abs_diff(const dm_image *a, const dm_image *b, double *mx) {
  double m, x;
  dm_test_image_diff(a, b, &m, &x);
  if (mx) *mx = x;
  return m;
}

static void test_render(dm_context *ctx1, dm_context *ctx2) {
  dm_image img = dm_test_working_photo(ctx1, "chelsea"), near01, out, out2;
  int w = img.width, h = img.height;

  /* in focus everywhere (CoC 0) -> unchanged */
  dm_lens_blur p;
  physical(&p, 2);
  near01 = depth_map(ctx1, w, h, 2.0f, 2.0f, 0);
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, NULL, &p));
  double mx;
  mean_abs_diff(&out, &img, &mx);
  printf("all in focus: max change %.3g\n", mx);
  CHECK(mx < 1e-5);
  dm_image_free(&out);
  dm_image_free(&near01);

  /* subject in focus, background 10 m away: subject pixels more than the
   * edge ramp (a quarter of the background's CoC) inside stay unchanged */
  near01 = depth_map(ctx1, w, h, 2.0f, 10.0f, 0);
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, NULL, &p));
  float rbg = fabsf(dm_lens_blur_coc_physical(&p, 2.0f, 10.0f, w)) / 2;
  double worst = 0, changed_bg = 0;
  long nbg = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.45f * w) / (0.25f * w), ey = (y - 0.5f * h) / (0.45f * h);
      double rr = sqrt(ex * ex + ey * ey), margin = (0.25 * rbg + 3) / (0.25 * w);
      const float *a = dm_px(&out, x, y), *b = dm_px(&img, x, y);
      double d = fabs(a[0] - b[0]) + fabs(a[1] - b[1]) + fabs(a[2] - b[2]);
      if (rr < 1 - 2 * margin) worst = fmax(worst, d);
      if (rr > 1.3) changed_bg += d, nbg++;
    }
  printf("background CoC radius %.1f px: in-focus max change %.2g, background mean change %.3g\n",
         rbg, worst, changed_bg / nbg);
  CHECK(worst < 1e-5);
  CHECK(changed_bg / nbg > 1e-3); /* and the background did blur */
  dm_image_free(&out);
  dm_image_free(&near01);

  /* uniform depth: the mean survives (light is neither lost nor made) */
  near01 = depth_map(ctx1, w, h, 6.0f, 6.0f, 0);
  p.boost = 0;
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, NULL, &p));
  double m_in[3] = {0, 0, 0}, m_out[3] = {0, 0, 0};
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) m_in[c] += dm_px(&img, x, y)[c], m_out[c] += dm_px(&out, x, y)[c];
  for (int c = 0; c < 3; c++) CHECK(fabs(m_out[c] / m_in[c] - 1) < 0.002);
  CHECK(mean_abs_diff(&out, &img, NULL) > 1e-3);
  dm_image_free(&out);
  dm_image_free(&near01);

  /* 1 and 2 threads: identical, with near, focus and far content, a matte
   * and every stage in use */
  near01 = depth_map(ctx1, w, h, 2.0f, 10.0f, 1.2f);
  dm_image matte;
  CHECK_OK(ctx1, dm_image_alloc(ctx1, &matte, w, h, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float ex = (x - 0.45f * w) / (0.25f * w), ey = (y - 0.5f * h) / (0.45f * h);
      float r = sqrtf(ex * ex + ey * ey);
      *dm_px(&matte, x, y) = r < 0.95f ? 1.0f : (r > 1.05f ? 0.0f : (1.05f - r) / 0.1f);
    }
  physical(&p, 1.4f);
  p.bokeh = DM_BOKEH_BLADES, p.cat_eye = 40;
  for (int with_matte = 0; with_matte < 2; with_matte++) {
    CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
    CHECK_OK(ctx1, dm_image_copy(ctx1, &out2, &img));
    const dm_image *m = with_matte ? &matte : NULL;
    CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, m, &p));
    CHECK_OK(ctx2, dm_lens_blur_apply(ctx2, &out2, &near01, 1.0f, 20.0f, m, &p));
    int same = 1;
    for (int y = 0; y < h && same; y++) same = !memcmp(dm_row(&out, y), dm_row(&out2, y), sizeof(float) * 3 * w);
    CHECK(same);
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++) CHECK(isfinite(dm_px(&out, x, y)[c]));
    dm_image_free(&out);
    dm_image_free(&out2);
  }

  /* artistic mode: amount 0 leaves the image alone; auto focus on the
   * matte keeps the subject sharp */
  dm_lens_blur a;
  dm_lens_blur_defaults(&a);
  a.active = 1, a.amount = 0;
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 0, 0, NULL, &a));
  mean_abs_diff(&out, &img, &mx);
  CHECK(mx < 1e-5);
  dm_image_free(&out);
  a.amount = 100;
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 0, 0, &matte, &a));
  const float *c0 = dm_px(&out, (int)(0.45f * w), h / 2), *c1 = dm_px(&img, (int)(0.45f * w), h / 2);
  CHECK(fabsf(c0[0] - c1[0]) < 1e-5f && fabsf(c0[1] - c1[1]) < 1e-5f);
  CHECK(mean_abs_diff(&out, &img, NULL) > 1e-3);
  dm_image coc;
  CHECK_OK(ctx1, dm_lens_blur_coc_map(ctx1, &near01, 0, 0, &matte, &a, &coc));
  CHECK_NEAR(*dm_px(&coc, (int)(0.45f * w), h / 2), 0.0, 1e-6);
  CHECK(*dm_px(&coc, 2, 2) > 0 && *dm_px(&coc, 2, 2) <= dm_lens_blur_max_coc(&a, w, h) + 1e-3f);
  CHECK(*dm_px(&coc, (int)(0.85f * w), (int)(0.85f * h)) < 0); /* the foreground disc */
  dm_image_free(&coc);
  dm_image_free(&out);

  /* bad input: errors, never a crash */
  CHECK_OK(ctx1, dm_image_copy(ctx1, &out, &img));
  p.cat_eye = 0;
  CHECK(dm_lens_blur_apply(ctx1, &out, &near01, 0, 0, NULL, &p) == DM_ERR_PARAM); /* no metric depth */
  dm_image small = dm_image_view(&near01, 0, 0, w / 2, h / 2);
  CHECK(dm_lens_blur_apply(ctx1, &out, &small, 1.0f, 20.0f, NULL, &p) == DM_ERR_PARAM);
  CHECK(dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, &small, &p) == DM_ERR_PARAM);
  CHECK(dm_lens_blur_apply(ctx1, &out, &near01, 20.0f, 1.0f, NULL, &p) == DM_ERR_RANGE);
  p.f_number = 0;
  CHECK(dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, NULL, &p) == DM_ERR_RANGE);
  mean_abs_diff(&out, &img, &mx);
  CHECK(mx == 0); /* untouched after errors */
  /* NaN and out-of-range depths: in focus / clamped, finite output */
  physical(&p, 2);
  for (int x = 0; x < w; x++) *dm_px(&near01, x, h / 3) = NAN;
  *dm_px(&near01, 5, 5) = -3, *dm_px(&near01, 6, 5) = 7, *dm_px(&near01, 7, 5) = INFINITY;
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 1.0f, 20.0f, NULL, &p));
  int finite = 1;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++) finite &= isfinite(dm_px(&out, x, y)[c]);
  CHECK(finite);
  /* inactive: nothing happens, whatever the inputs */
  dm_image copy;
  CHECK_OK(ctx1, dm_image_copy(ctx1, &copy, &out));
  p.active = 0;
  CHECK_OK(ctx1, dm_lens_blur_apply(ctx1, &out, &near01, 0, 0, NULL, &p));
  mean_abs_diff(&out, &copy, &mx);
  CHECK(mx == 0);
  dm_image_free(&copy);
  dm_image_free(&out);
  dm_image_free(&matte);
  dm_image_free(&near01);
  dm_image_free(&img);
}

/* Tiny frames, strided views and huge CoCs: reflection at the borders
 * folds many times; the light must still be kept and nothing overrun. */
static void test_small(dm_context *ctx) {
  const int sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {3, 3}, {40, 2}, {33, 65}};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int w = sizes[i][0], h = sizes[i][1];
    dm_image big, near01, matte;
    CHECK_OK(ctx, dm_image_alloc_zero(ctx, &big, w + 3, h, 3));
    dm_image img = dm_image_view(&big, 1, 0, w, h); /* stride wider than the row */
    CHECK_OK(ctx, dm_image_alloc(ctx, &near01, w, h, 1));
    CHECK_OK(ctx, dm_image_alloc(ctx, &matte, w, h, 1));
    double sum_in = 0;
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = (float)((x * 7 + y * 3) % 5) / 4.0f;
        float *p = dm_px(&img, x, y);
        p[0] = v, p[1] = 1 - v, p[2] = 0.5f;
        sum_in += p[0];
        *dm_px(&near01, x, y) = (x + y) % 3 == 0 ? 0.1f : 0.9f;
        *dm_px(&matte, x, y) = (x + y) % 3 == 0 ? 0.7f : 0.0f;
      }
    dm_lens_blur p;
    physical(&p, 1.0f);
    p.f_mm = 200, p.boost = 0;
    for (int m = 0; m < 2; m++) {
      dm_image out;
      CHECK_OK(ctx, dm_image_copy(ctx, &out, &img));
      CHECK_OK(ctx, dm_lens_blur_apply(ctx, &out, &near01, 1.0f, 20.0f, m ? &matte : NULL, &p));
      double sum = 0;
      int finite = 1;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
          sum += dm_px(&out, x, y)[0];
          for (int c = 0; c < 3; c++) finite &= isfinite(dm_px(&out, x, y)[c]);
        }
      CHECK(finite);
      CHECK(sum > 0.5 * sum_in - 1e-3 && sum < 1.5 * sum_in + 1e-3);
      dm_image_free(&out);
    }
    /* the columns outside the view are untouched */
    for (int y = 0; y < h; y++) CHECK(dm_px(&big, 0, y)[0] == 0 && dm_px(&big, w + 1, y)[2] == 0);
    dm_image_free(&big), dm_image_free(&near01), dm_image_free(&matte);
  }
}

int main(void) {
  dm_context *ctx1 = dm_context_new(1), *ctx2 = dm_context_new(2);
  test_params(ctx1);
  test_coc();
  test_small(ctx2);
  test_render(ctx1, ctx2);
  dm_context_free(ctx1);
  dm_context_free(ctx2);
  return dm_test_done("blur/blur");
}
