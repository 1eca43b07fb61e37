/* Properties of every local adjustment on in-memory scenes: neutral and
 * continuous at 0, the right direction, monotonic, mask x amount
 * weighting, thread-count independence, argument checking. */
#include <stdlib.h>

#include "adjust_util.h"

#define W 320
#define H 200

static dm_context *ctx1, *ctx2;

static double mean_stops_change(const dm_image *in, const dm_image *out, float lo, float hi) {
  double s = 0;
  int n = 0;
  for (int y = 0; y < in->height; y++)
    for (int x = 0; x < in->width; x++) {
      float l = lum_stops(dm_px(in, x, y));
      if (l < lo || l > hi) continue;
      s += lum_stops(dm_px(out, x, y)) - l;
      n++;
    }
  return n ? s / n : NAN;
}

/* Every op: value 0 is exactly the input; a tiny value changes it a tiny,
 * non-zero amount (the op is continuous at 0, not just skipped). */
static void test_neutral_and_continuous(const dm_image *scene) {
  const dm_param *t = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    dm_adjust_values v0 = one_slider((dm_adjust_id)i, 0.0f);
    dm_image out = applied(ctx2, scene, NULL, 1.0f, &v0);
    CHECK(images_identical(&out, scene));
    dm_image_free(&out);

    float tiny = t[i].max * 1e-4f;
    dm_adjust_values vt = one_slider((dm_adjust_id)i, tiny);
    out = applied(ctx2, scene, NULL, 1.0f, &vt);
    double max_rel = 0;
    int changed = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W * 3; x++) {
        float a = dm_row(scene, y)[x], b = dm_row(&out, y)[x];
        if (a != b) changed++;
        double rel = fabs((double)b - a) / (fabs((double)a) + 1e-4);
        if (rel > max_rel) max_rel = rel;
      }
    if (!(max_rel < 2e-3 && changed > 0))
      fprintf(stderr, "op %s: tiny value: max rel change %g, %d samples changed\n", t[i].key, max_rel,
              changed);
    CHECK(max_rel < 2e-3);
    CHECK(changed > 0);
    dm_image_free(&out);
  }
}

static void test_exposure(const dm_image *scene) {
  for (int ev = -2; ev <= 2; ev++) {
    dm_adjust_values v = one_slider(DM_ADJ_EXPOSURE, (float)ev);
    dm_image out = applied(ctx2, scene, NULL, 1.0f, &v);
    double k = exp2(ev), worst = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W * 3; x++) {
        double a = dm_row(scene, y)[x], b = dm_row(&out, y)[x];
        double rel = fabs(b - k * a) / (k * fabs(a) + 1e-12);
        if (rel > worst) worst = rel;
      }
    CHECK(worst < 1e-5);
    dm_image_free(&out);
  }
  /* amount scales the effect: +1 EV at 200 % is x4, at 50 % x sqrt(2). */
  dm_adjust_values v = one_slider(DM_ADJ_EXPOSURE, 1.0f);
  dm_image a2 = applied(ctx2, scene, NULL, 2.0f, &v);
  dm_image a05 = applied(ctx2, scene, NULL, 0.5f, &v);
  dm_image a0 = applied(ctx2, scene, NULL, 0.0f, &v);
  CHECK(images_identical(&a0, scene));
  double w2 = 0, w05 = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W * 3; x++) {
      double a = dm_row(scene, y)[x];
      w2 = fmax(w2, fabs(dm_row(&a2, y)[x] - 4 * a) / (4 * a));
      w05 = fmax(w05, fabs(dm_row(&a05, y)[x] - M_SQRT2 * a) / (M_SQRT2 * a));
    }
  CHECK(w2 < 1e-5);
  CHECK(w05 < 1e-5);
  dm_image_free(&a2);
  dm_image_free(&a05);
  dm_image_free(&a0);
}

/* Half-0 / half-1 mask, a checkerboard of 20-pixel squares (so that rows
 * and spans mix both, across all tones): for every op, masked-out pixels
 * are bit-identical (also for the spatial ops, whose analysis sees the
 * whole image) and the masked-in ones change. */
static void test_mask(const dm_image *scene) {
  dm_image mask;
  CHECK_OK(ctx2, dm_image_alloc(ctx2, &mask, W, H, 1));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) dm_px(&mask, x, y)[0] = (x / 20 + y / 20) % 2 ? 1.0f : 0.0f;
  const dm_param *t = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) {
    for (int sgn = -1; sgn <= 1; sgn += 2) {
      dm_adjust_values v = one_slider((dm_adjust_id)i, 0.6f * (float)sgn * t[i].max);
      dm_image out = applied(ctx2, scene, &mask, 1.0f, &v);
      int off_same = 1;
      double on_change = 0;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
          const float *a = dm_px(scene, x, y), *b = dm_px(&out, x, y);
          if (dm_px(&mask, x, y)[0] == 0.0f)
            off_same &= memcmp(a, b, 3 * sizeof(float)) == 0;
          else
            on_change += fabs(b[0] - a[0]) + fabs(b[1] - a[1]) + fabs(b[2] - a[2]);
        }
      on_change /= (double)W * H / 2;
      CHECK(off_same);
      if (!(on_change > 1e-5)) fprintf(stderr, "op %s %+d: masked half unchanged\n", t[i].key, sgn);
      CHECK(on_change > 1e-5);
      dm_image_free(&out);
    }
  }
  /* A mask value of 0.5 at 100 % equals 1.0 at 50 % (weights multiply). */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) dm_px(&mask, x, y)[0] = 0.5f;
  dm_adjust_values v = one_slider(DM_ADJ_HIGHLIGHTS, -70.0f);
  v.v[DM_ADJ_SATURATION] = 40.0f;
  dm_image a = applied(ctx2, scene, &mask, 1.0f, &v);
  dm_image b = applied(ctx2, scene, NULL, 0.5f, &v);
  CHECK(images_identical(&a, &b));
  dm_image_free(&a);
  dm_image_free(&b);
  dm_image_free(&mask);
}

/* All twelve sliders at once: 1 thread and 2 threads give the same bits. */
static void test_threads(const dm_image *scene) {
  dm_adjust_values v;
  const dm_param *t = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) v.v[i] = (i % 2 ? 0.45f : -0.35f) * t[i].max;
  dm_image mask;
  CHECK_OK(ctx1, dm_image_alloc(ctx1, &mask, W, H, 1));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) dm_px(&mask, x, y)[0] = (float)x / (float)(W - 1);
  dm_image a = applied(ctx1, scene, &mask, 1.3f, &v);
  dm_image b = applied(ctx2, scene, &mask, 1.3f, &v);
  CHECK(images_identical(&a, &b));
  double mean, mx;
  dm_test_image_diff(&a, scene, &mean, &mx);
  CHECK(mean > 1e-4);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W * 3; x++) {
      CHECK(isfinite(dm_row(&a, y)[x]));
      if (dm_row(scene, y)[x] >= 0) CHECK(dm_row(&a, y)[x] >= 0);
    }
  dm_image_free(&a);
  dm_image_free(&b);
  dm_image_free(&mask);
}

static void channel_means(const dm_image *img, double m[3]) {
  m[0] = m[1] = m[2] = 0;
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      for (int c = 0; c < 3; c++) m[c] += dm_px(img, x, y)[c];
}

static double max_lum_rel_change(const dm_image *a, const dm_image *b) {
  double worst = 0;
  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++) {
      double ya = dm_luma(dm_px(a, x, y)), yb = dm_luma(dm_px(b, x, y));
      worst = fmax(worst, fabs(yb - ya) / ya);
    }
  return worst;
}

/* Temperature: warmer = R/B up, monotonic in the slider, luminance kept.
 * Tint: positive = magenta = G down against R and B. */
static void test_white_balance(const dm_image *scene) {
  double prev_rb = 0, prev_g = 1e9;
  for (int k = -2; k <= 2; k++) {
    dm_adjust_values v = one_slider(DM_ADJ_TEMPERATURE, 50.0f * (float)k);
    dm_image out = applied(ctx2, scene, NULL, 1.0f, &v);
    double m[3];
    channel_means(&out, m);
    double rb = m[0] / m[2];
    CHECK(rb > prev_rb);
    prev_rb = rb;
    CHECK(max_lum_rel_change(scene, &out) < 1e-4);
    dm_image_free(&out);

    v = one_slider(DM_ADJ_TINT, 50.0f * (float)k);
    out = applied(ctx2, scene, NULL, 1.0f, &v);
    channel_means(&out, m);
    double g = m[1] / (m[0] + m[2]);
    CHECK(g < prev_g);
    prev_g = g;
    CHECK(max_lum_rel_change(scene, &out) < 1e-4);
    dm_image_free(&out);
  }
  /* +-100 is a strong but usable shift: a grey's R/B moves by 20..80 %. */
  dm_image grey;
  CHECK_OK(ctx2, dm_image_alloc(ctx2, &grey, 8, 8, 3));
  for (int i = 0; i < 64 * 3; i++) grey.data[i] = 0.18f;
  dm_adjust_values v = one_slider(DM_ADJ_TEMPERATURE, 100.0f);
  dm_image warm = applied(ctx2, &grey, NULL, 1.0f, &v);
  double rb = warm.data[0] / warm.data[2];
  CHECK(rb > 1.2 && rb < 1.8);
  dm_image_free(&warm);
  dm_image_free(&grey);
}

/* A smooth grey ramp from -10 to +4 stops (no edges: the bases follow it). */
static dm_image make_ramp(void) {
  dm_image img;
  CHECK_OK(ctx2, dm_image_alloc(ctx2, &img, 512, 64, 3));
  for (int y = 0; y < img.height; y++)
    for (int x = 0; x < img.width; x++) {
      float v = 0.18f * exp2f(-10.0f + 14.0f * (float)x / (float)(img.width - 1));
      float *p = dm_px(&img, x, y);
      p[0] = p[1] = p[2] = v;
    }
  return img;
}

/* The output's luminance along the ramp never goes down (no tone reversal). */
static int ramp_monotonic(const dm_image *out) {
  int y = out->height / 2;
  for (int x = 1; x < out->width; x++)
    if (dm_luma(dm_px(out, x, y)) < dm_luma(dm_px(out, x - 1, y))) return 0;
  return 1;
}

typedef struct {
  dm_adjust_id id;
  float lo_a, hi_a; /* region (stops) that must move with the slider */
  float lo_b, hi_b; /* region that must stay (within 0.02 stop) */
} tonal_case;

static void test_tonal_regions(void) {
  dm_image ramp = make_ramp();
  const tonal_case cases[] = {
      {DM_ADJ_HIGHLIGHTS, 1.5f, 4.0f, -10.0f, -4.0f},
      {DM_ADJ_SHADOWS, -6.0f, -3.0f, 1.5f, 4.0f},
      {DM_ADJ_WHITES, 2.5f, 4.0f, -10.0f, 0.0f},
      {DM_ADJ_BLACKS, -10.0f, -8.0f, -3.0f, 4.0f},
  };
  const dm_param *t = dm_adjust_params();
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const tonal_case *tc = &cases[c];
    double prev = -1e9;
    for (int k = -2; k <= 2; k++) {
      dm_adjust_values v = one_slider(tc->id, 50.0f * (float)k);
      dm_image out = applied(ctx2, &ramp, NULL, 1.0f, &v);
      double moved = mean_stops_change(&ramp, &out, tc->lo_a, tc->hi_a);
      double kept = mean_stops_change(&ramp, &out, tc->lo_b, tc->hi_b);
      if (k != 0) CHECK(moved * k > 0.25 * abs(k)); /* same sign as the slider, sizeable */
      CHECK(moved > prev);                          /* monotonic in the slider */
      prev = moved;
      if (!(fabs(kept) < 0.02)) fprintf(stderr, "%s %d: far region moved %g\n", t[tc->id].key, k, kept);
      CHECK(fabs(kept) < 0.02);
      dm_image_free(&out);
    }
    /* The extremes, doubled by amount, keep the tone curve monotonic. */
    for (int sgn = -1; sgn <= 1; sgn += 2) {
      dm_adjust_values v = one_slider(tc->id, 100.0f * (float)sgn);
      dm_image out = applied(ctx2, &ramp, NULL, 2.0f, &v);
      CHECK(ramp_monotonic(&out));
      dm_image_free(&out);
    }
  }
  /* Contrast: pivots on middle grey, brighter above, darker below. */
  for (int sgn = -1; sgn <= 1; sgn += 2) {
    dm_adjust_values v = one_slider(DM_ADJ_CONTRAST, 80.0f * (float)sgn);
    dm_image out = applied(ctx2, &ramp, NULL, 1.0f, &v);
    CHECK(sgn * mean_stops_change(&ramp, &out, 1.0f, 4.0f) > 0.2);
    CHECK(sgn * mean_stops_change(&ramp, &out, -6.0f, -1.0f) < -0.2);
    CHECK(fabs(mean_stops_change(&ramp, &out, -0.1f, 0.1f)) < 0.02);
    dm_image_free(&out);
    v.v[DM_ADJ_CONTRAST] = 100.0f * (float)sgn;
    out = applied(ctx2, &ramp, NULL, 2.0f, &v);
    CHECK(ramp_monotonic(&out));
    dm_image_free(&out);
  }
  dm_image_free(&ramp);
}

/* Tone ops change luminance only: each pixel's RGB is scaled as a whole. */
static void test_hue_kept(const dm_image *scene) {
  dm_adjust_values v;
  dm_adjust_defaults(&v);
  v.v[DM_ADJ_EXPOSURE] = 0.7f;
  v.v[DM_ADJ_CONTRAST] = 60.0f;
  v.v[DM_ADJ_HIGHLIGHTS] = -80.0f;
  v.v[DM_ADJ_SHADOWS] = 70.0f;
  v.v[DM_ADJ_WHITES] = 30.0f;
  v.v[DM_ADJ_BLACKS] = -40.0f;
  v.v[DM_ADJ_TEXTURE] = 50.0f;
  v.v[DM_ADJ_CLARITY] = 60.0f;
  dm_image out = applied(ctx2, scene, NULL, 1.0f, &v);
  double worst = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const float *a = dm_px(scene, x, y), *b = dm_px(&out, x, y);
      double g0 = b[0] / a[0], g1 = b[1] / a[1], g2 = b[2] / a[2];
      worst = fmax(worst, fmax(fabs(g1 / g0 - 1), fabs(g2 / g0 - 1)));
    }
  CHECK(worst < 1e-5);
  dm_image_free(&out);
}

static double chroma(const float *p) {
  double y = dm_luma(p);
  return (fabs(p[0] - y) + fabs(p[1] - y) + fabs(p[2] - y)) / y;
}

static void test_saturation(const dm_image *scene) {
  dm_adjust_values v = one_slider(DM_ADJ_SATURATION, -100.0f);
  dm_image out = applied(ctx2, scene, NULL, 1.0f, &v);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      const float *p = dm_px(&out, x, y);
      double yin = dm_luma(dm_px(scene, x, y));
      CHECK(fabs(p[0] - yin) <= 1e-5 * yin && fabs(p[1] - yin) <= 1e-5 * yin &&
            fabs(p[2] - yin) <= 1e-5 * yin);
    }
  dm_image_free(&out);
  double prev = -1;
  for (int k = -2; k <= 2; k++) {
    v = one_slider(DM_ADJ_SATURATION, 50.0f * (float)k);
    out = applied(ctx2, scene, NULL, 1.0f, &v);
    double c = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        c += chroma(dm_px(&out, x, y));
        for (int ch = 0; ch < 3; ch++) CHECK(dm_px(&out, x, y)[ch] >= 0.0f);
      }
    CHECK(c > prev);
    prev = c;
    CHECK(max_lum_rel_change(scene, &out) < 1e-5);
    dm_image_free(&out);
  }
}

/* Energy of the detail a 5x5 box blur leaves, in stops^2, in columns
 * [x0, x1). */
static double detail_energy(const dm_image *img, int x0, int x1) {
  double e = 0;
  int n = 0;
  for (int y = 2; y < img->height - 2; y++)
    for (int x = x0 < 2 ? 2 : x0; x < x1 && x < img->width - 2; x++) {
      double m = 0;
      for (int j = -2; j <= 2; j++)
        for (int i = -2; i <= 2; i++) m += lum_stops(dm_px(img, x + i, y + j));
      double d = lum_stops(dm_px(img, x, y)) - m / 25;
      e += d * d;
      n++;
    }
  return e / n;
}

/* Texture and clarity raise (lower) local detail in the midtones. */
static void test_detail_ops(const dm_image *scene) {
  int x0 = W * 5 / 12, x1 = W * 9 / 12; /* about -4 .. +0.4 stops */
  double e0 = detail_energy(scene, x0, x1);
  dm_adjust_id ids[2] = {DM_ADJ_TEXTURE, DM_ADJ_CLARITY};
  for (int k = 0; k < 2; k++) {
    double prev = 0;
    for (int s = -2; s <= 2; s++) {
      dm_adjust_values v = one_slider(ids[k], 50.0f * (float)s);
      dm_image out = applied(ctx2, scene, NULL, 1.0f, &v);
      double e = detail_energy(&out, x0, x1);
      if (s < 0) CHECK(e < e0 * 0.9);
      if (s > 0) CHECK(e > e0 * 1.1);
      CHECK(e > prev);
      prev = e;
      dm_image_free(&out);
    }
  }
}

/* A hazy scene: the synthetic scene behind a veil that thickens upwards. */
static void test_dehaze(const dm_image *scene) {
  dm_image hazy = copy_image(ctx2, scene);
  const float A[3] = {0.9f, 0.95f, 1.0f};
  for (int y = 0; y < H; y++) {
    float t = 0.25f + 0.7f * (float)y / (float)(H - 1);
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++) {
        float *p = dm_px(&hazy, x, y) + c;
        *p = fminf(*p, 2.0f) * t + A[c] * (1 - t);
      }
  }
  double prev = 1e9;
  for (int s = -2; s <= 2; s++) {
    dm_adjust_values v = one_slider(DM_ADJ_DEHAZE, 50.0f * (float)s);
    dm_image out = applied(ctx2, &hazy, NULL, 1.0f, &v);
    /* mean dark channel relative to the veil's colour */
    double dark = 0;
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) {
        const float *p = dm_px(&out, x, y);
        dark += fmin(p[0] / A[0], fmin(p[1] / A[1], p[2] / A[2]));
      }
    dark /= (double)W * H;
    CHECK(dark < prev);
    prev = dark;
    dm_image_free(&out);
  }
  dm_image_free(&hazy);
}

static void test_bad_arguments(const dm_image *scene) {
  dm_image img = copy_image(ctx1, scene);
  dm_adjust_values v = one_slider(DM_ADJ_EXPOSURE, 5.0f);
  CHECK(dm_adjust_apply(ctx1, &img, NULL, 1.0f, &v) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx1), "exposure") != NULL);
  v = one_slider(DM_ADJ_DEHAZE, NAN);
  CHECK(dm_adjust_apply(ctx1, &img, NULL, 1.0f, &v) == DM_ERR_RANGE);
  CHECK(strstr(dm_context_error(ctx1), "dehaze") != NULL);
  v = one_slider(DM_ADJ_CLARITY, 10.0f);
  CHECK(dm_adjust_apply(ctx1, &img, NULL, 2.5f, &v) == DM_ERR_RANGE);
  CHECK(dm_adjust_apply(ctx1, &img, NULL, -0.1f, &v) == DM_ERR_RANGE);
  dm_image small;
  CHECK_OK(ctx1, dm_image_alloc_zero(ctx1, &small, W / 2, H, 1));
  CHECK(dm_adjust_apply(ctx1, &img, &small, 1.0f, &v) == DM_ERR_PARAM);
  dm_image_free(&small);
  dm_image grey;
  CHECK_OK(ctx1, dm_image_alloc_zero(ctx1, &grey, W, H, 1));
  CHECK(dm_adjust_apply(ctx1, &grey, NULL, 1.0f, &v) == DM_ERR_PARAM);
  dm_image_free(&grey);
  CHECK(images_identical(&img, scene)); /* nothing touched on error */
  dm_image_free(&img);
}

/* Tiny and odd-sized images (radii below a pixel, planes of one cell) and
 * views with a stride wider than the row. */
static void test_small_and_views(const dm_image *scene) {
  dm_adjust_values v;
  const dm_param *t = dm_adjust_params();
  for (int i = 0; i < DM_ADJ_COUNT; i++) v.v[i] = 0.5f * t[i].max;
  int sizes[][2] = {{1, 1}, {2, 3}, {7, 1}, {1, 9}, {37, 23}};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    dm_image view = dm_image_view(scene, 100, 50, sizes[k][0], sizes[k][1]);
    dm_image img = copy_image(ctx2, &view);
    CHECK_OK(ctx2, dm_adjust_apply(ctx2, &img, NULL, 1.0f, &v));
    for (int y = 0; y < img.height; y++)
      for (int x = 0; x < img.width * 3; x++) CHECK(isfinite(dm_row(&img, y)[x]));
    dm_image_free(&img);
  }
  /* In place on a view: the pixels around it are untouched, and the
   * result equals that of a packed copy. */
  dm_image big = copy_image(ctx2, scene);
  dm_image view = dm_image_view(&big, 40, 30, 200, 120);
  dm_image packed = copy_image(ctx2, &view);
  CHECK_OK(ctx2, dm_adjust_apply(ctx2, &view, NULL, 1.0f, &v));
  CHECK_OK(ctx2, dm_adjust_apply(ctx2, &packed, NULL, 1.0f, &v));
  CHECK(images_identical(&view, &packed));
  int outside_same = 1;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      if (x >= 40 && x < 240 && y >= 30 && y < 150) continue;
      if (memcmp(dm_px(&big, x, y), dm_px(scene, x, y), 3 * sizeof(float))) outside_same = 0;
    }
  CHECK(outside_same);
  dm_image_free(&packed);
  dm_image_free(&big);
}

int main(void) {
  ctx1 = dm_context_new(1);
  ctx2 = dm_context_new(2);
  dm_image scene = make_scene(ctx2, W, H);
  test_neutral_and_continuous(&scene);
  test_exposure(&scene);
  test_mask(&scene);
  test_threads(&scene);
  test_white_balance(&scene);
  test_tonal_regions();
  test_hue_kept(&scene);
  test_saturation(&scene);
  test_detail_ops(&scene);
  test_dehaze(&scene);
  test_bad_arguments(&scene);
  test_small_and_views(&scene);
  dm_image_free(&scene);
  dm_context_free(ctx1);
  dm_context_free(ctx2);
  return dm_test_done("adjust/ops");
}
