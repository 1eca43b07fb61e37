/* luminance_range: the trapezoid on L* (checked on flat grey images of
 * known lightness), hard edges, and on a real photograph: L* is CIE
 * lightness of Rec.2020 luminance (compared with L* computed here from the
 * definition), bright parts are selected and dark ones not, and the light
 * smoothing only ever mixes a pixel with its near neighbours. */
#include "mask/mask_kinds.h"
#include "mask_test.h"

static dm_mask_component lum(float a, float b, float c, float d) {
  dm_mask_component m;
  dm_mask_component_init(&m, DM_MASK_LUMINANCE_RANGE);
  m.lum_range[0] = a, m.lum_range[1] = b, m.lum_range[2] = c, m.lum_range[3] = d;
  return m;
}

/* Y with L*(Y) = L, inverting the definition. */
static double y_of_lightness(double L) {
  const double d = 6.0 / 29.0;
  double f = (L + 16) / 116;
  return f > d ? f * f * f : 3 * d * d * (f - 4.0 / 29.0);
}

/* Mask value of a flat grey image of lightness L. The image is wide enough
 * that the smoothing runs (radius 1), which must not change a flat image. */
static float flat_value(dm_context *ctx, dm_mask_component *c, double L, dm_image *img,
                        dm_image *m) {
  float Y = (float)y_of_lightness(L);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++) {
      float *p = dm_px(img, x, y);
      p[0] = p[1] = p[2] = Y;
    }
  dm_mask_inputs in = {.image = img};
  CHECK_OK(ctx, dm_mask_render(ctx, c, 1, &in, m));
  float v = mt_at(m, 0, 0);
  int flat = 1;
  for (int y = 0; y < m->height; y++)
    for (int x = 0; x < m->width; x++) flat &= mt_at(m, x, y) == v;
  CHECK(flat);
  return v;
}

static void test_trapezoid_on_flat_greys(dm_context *ctx) {
  dm_image img, m;
  mt_canvas(ctx, 1100, 3, &img);
  CHECK(dm_mask_luminance_blur_radius(1100, 3) >= 1);
  mt_alloc_mask(ctx, &img, &m);
  dm_mask_component c = lum(20, 40, 60, 85);
  int below = 1, plateau = 1, above = 1, ramps_open = 1, rising = 1, falling = 1, sym = 1;
  float prev = -1;
  for (double L = 0; L <= 100; L += 0.5) {
    float v = flat_value(ctx, &c, L, &img, &m);
    if (L < 19.99) below &= v == 0.0f;
    if (L > 40.01 && L < 59.99) plateau &= v == 1.0f;
    if (L > 85.01) above &= v == 0.0f;
    if ((L > 20.01 && L < 39.99) || (L > 60.01 && L < 84.99)) ramps_open &= v > 0.0f && v < 1.0f;
    if (L > 20.01 && L < 39.99) rising &= v > prev;
    if (L > 60.01 && L < 84.99) falling &= v < prev;
    prev = v;
  }
  /* Each ramp is symmetric about its middle: v(a + s) + v(b - s) = 1. */
  for (double s = 1; s < 10; s += 1.5) {
    float lo = flat_value(ctx, &c, 20 + s, &img, &m), hi = flat_value(ctx, &c, 40 - s, &img, &m);
    sym &= fabsf(lo + hi - 1) < 2e-3f;
    lo = flat_value(ctx, &c, 60 + s * 2.5, &img, &m), hi = flat_value(ctx, &c, 85 - s * 2.5, &img, &m);
    sym &= fabsf(lo + hi - 1) < 2e-3f;
  }
  CHECK(below);
  CHECK(plateau);
  CHECK(above);
  CHECK(ramps_open);
  CHECK(rising);
  CHECK(falling);
  CHECK(sym);
  /* The ramps join the plateau and the floor without a kink (flat ends). */
  CHECK(flat_value(ctx, &c, 21, &img, &m) < 0.025f * 0.5f);
  CHECK(flat_value(ctx, &c, 39, &img, &m) > 1 - 0.025f * 0.5f);

  /* Hard edges: a == b and c == d keep their plateau ends. */
  c = lum(30, 30, 70, 70);
  CHECK(flat_value(ctx, &c, 29.9, &img, &m) == 0.0f);
  CHECK(flat_value(ctx, &c, 30.1, &img, &m) == 1.0f);
  CHECK(flat_value(ctx, &c, 69.9, &img, &m) == 1.0f);
  CHECK(flat_value(ctx, &c, 70.1, &img, &m) == 0.0f);

  /* Out-of-gamut and over-white values: clamped, no NaN. */
  c = lum(0, 10, 90, 100);
  for (int x = 0; x < img.width; x++) {
    float *p = dm_px(&img, x, 1);
    p[0] = x % 2 ? -0.5f : 4.0f, p[1] = x % 3 ? 1e30f : -1e30f, p[2] = NAN;
  }
  dm_mask_inputs in = {.image = &img};
  CHECK_OK(ctx, dm_mask_render(ctx, &c, 1, &in, &m));
  int finite = 1;
  for (int y = 0; y < m.height; y++)
    for (int x = 0; x < m.width; x++) finite &= mt_at(&m, x, y) >= 0 && mt_at(&m, x, y) <= 1;
  CHECK(finite);
  dm_image_free(&m);
  dm_image_free(&img);
}

/* Per-pixel L* of a working-space image, from the definition. */
static double *lightness_map(const dm_image *img) {
  double *L = malloc(sizeof *L * (size_t)img->width * (size_t)img->height);
  for (int y = 0; y < img->height; y++)
    for (int x = 0; x < img->width; x++)
      L[(size_t)y * img->width + x] = mt_lightness(dm_luma(dm_px(img, x, y)));
  return L;
}

/* Without smoothing (an image under 500 px), the mask is a function of each
 * pixel's own L*: a hard edge at T selects exactly the pixels with L* <= T,
 * and a ramp over the whole range orders pixels as L* does. */
static void test_photo_unsmoothed(dm_context *ctx, const dm_image *photo) {
  dm_image v = dm_image_view(photo, 40, 0, 480, photo->height < 400 ? photo->height : 400);
  CHECK(dm_mask_luminance_blur_radius(v.width, v.height) == 0);
  double *L = lightness_map(&v);
  const float T[] = {25, 50, 75};
  for (int k = 0; k < 3; k++) {
    dm_mask_component c = lum(0, 0, T[k], T[k]);
    dm_image m;
    mt_render(ctx, &c, 1, &v, NULL, &m);
    long agree = 0, total = 0, sel = 0;
    for (int y = 0; y < v.height; y++)
      for (int x = 0; x < v.width; x++) {
        double l = L[(size_t)y * v.width + x];
        if (fabs(l - T[k]) < 1e-3) continue;
        total++;
        agree += (mt_at(&m, x, y) == 1.0f) == (l < T[k]);
        sel += mt_at(&m, x, y) == 1.0f;
      }
    CHECK(agree == total);
    CHECK(sel > total / 50 && sel < total - total / 50); /* the photo has both sides */
    dm_image_free(&m);
  }
  dm_mask_component c = lum(0, 100, 100, 100);
  dm_image m;
  mt_render(ctx, &c, 1, &v, NULL, &m);
  /* Pairs of pixels: the brighter one never gets less mask. */
  int ordered = 1;
  for (int y = 0; y < v.height; y += 3)
    for (int x = 1; x < v.width; x++) {
      double la = L[(size_t)y * v.width + x - 1], lb = L[(size_t)y * v.width + x];
      float ma = mt_at(&m, x - 1, y), mb = mt_at(&m, x, y);
      if (la < lb - 1e-4) ordered &= ma <= mb + 1e-6f;
      if (lb < la - 1e-4) ordered &= mb <= ma + 1e-6f;
    }
  CHECK(ordered);
  dm_image_free(&m);
  free(L);
}

/* Full size (smoothed): where a pixel's whole neighbourhood is on the
 * plateau the mask is 1, where it is all below the ramp 0; the mask picks
 * the bright parts of the photo. */
static void test_photo_selects_bright(dm_context *ctx, const dm_image *photo) {
  const int r = dm_mask_luminance_blur_radius(photo->width, photo->height);
  const int reach = 2 * r; /* two box passes */
  CHECK(r >= 1 && r <= 3);
  double *L = lightness_map(photo);
  dm_mask_component c = lum(55, 65, 100, 100);
  dm_image m;
  mt_render(ctx, &c, 1, photo, NULL, &m);
  long n_bright = 0, n_dark = 0, ok_bright = 0, ok_dark = 0;
  double sum_hi = 0, sum_lo = 0;
  long cnt_hi = 0, cnt_lo = 0;
  for (int y = reach; y < photo->height - reach; y++)
    for (int x = reach; x < photo->width - reach; x++) {
      double lo = 1e9, hi = -1e9;
      for (int dy = -reach; dy <= reach; dy++)
        for (int dx = -reach; dx <= reach; dx++) {
          double l = L[(size_t)(y + dy) * photo->width + x + dx];
          lo = l < lo ? l : lo;
          hi = l > hi ? l : hi;
        }
      float v = mt_at(&m, x, y);
      if (lo > 65.01) n_bright++, ok_bright += v == 1.0f;
      if (hi < 54.99) n_dark++, ok_dark += v == 0.0f;
      double l = L[(size_t)y * photo->width + x];
      if (l > 75) sum_hi += v, cnt_hi++;
      if (l < 45) sum_lo += v, cnt_lo++;
    }
  CHECK(n_bright > 2000 && n_dark > 2000);
  CHECK(ok_bright == n_bright);
  CHECK(ok_dark == n_dark);
  CHECK(cnt_hi > 0 && cnt_lo > 0 && sum_hi / cnt_hi > 0.95 && sum_lo / cnt_lo < 0.05);

  /* The default range selects everything. */
  dm_mask_component all;
  dm_mask_component_init(&all, DM_MASK_LUMINANCE_RANGE);
  dm_image ma;
  mt_render(ctx, &all, 1, photo, NULL, &ma);
  int ones = 1;
  for (int y = 0; y < photo->height; y++)
    for (int x = 0; x < photo->width; x++) ones &= mt_at(&ma, x, y) == 1.0f;
  CHECK(ones);
  dm_image_free(&ma);
  dm_image_free(&m);
  free(L);
}

/* Smoothing removes speckle: on a photo with added pixel noise, the mask
 * varies less from pixel to pixel than the unsmoothed trapezoid would. */
static void test_smoothing_reduces_speckle(dm_context *ctx, const dm_image *photo) {
  dm_image noisy;
  CHECK_OK(ctx, dm_image_copy(ctx, &noisy, photo));
  unsigned seed = 12345;
  for (int y = 0; y < noisy.height; y++)
    for (int x = 0; x < noisy.width; x++) {
      seed = seed * 1103515245u + 12345u;
      float n = ((seed >> 16) & 0x7fff) / 32767.0f - 0.5f;
      float *p = dm_px(&noisy, x, y);
      for (int k = 0; k < 3; k++) p[k] *= 1.0f + 0.2f * n;
    }
  dm_mask_component c = lum(30, 40, 60, 70);
  dm_image m;
  mt_render(ctx, &c, 1, &noisy, NULL, &m);
  double tv_mask = 0, tv_raw = 0;
  for (int y = 0; y < m.height; y++)
    for (int x = 1; x < m.width; x++) {
      tv_mask += fabsf(mt_at(&m, x, y) - mt_at(&m, x - 1, y));
      float a = dm_mask_trapezoid((float)mt_lightness(dm_luma(dm_px(&noisy, x - 1, y))), c.lum_range);
      float b = dm_mask_trapezoid((float)mt_lightness(dm_luma(dm_px(&noisy, x, y))), c.lum_range);
      tv_raw += fabsf(a - b);
    }
  CHECK(tv_mask < 0.6 * tv_raw);
  dm_image_free(&m);
  dm_image_free(&noisy);
}

/* L* itself, against the definition, over the whole range of Y. */
static void test_lightness_accuracy(void) {
  double worst = 0;
  for (int i = -100; i <= 200000; i++) {
    double Y = i / 100000.0; /* also below 0 and above white */
    worst = fmax(worst, fabs(dm_mask_lightness((float)Y) - mt_lightness((float)Y)));
  }
  CHECK(worst < 1e-4);
}

/* The smoothing is the same along both axes: the mask of the transposed
 * photo is the transposed mask. */
static void test_isotropic(dm_context *ctx, const dm_image *photo) {
  dm_image t;
  CHECK_OK(ctx, dm_image_alloc(ctx, &t, photo->height, photo->width, 3));
  for (int y = 0; y < photo->height; y++)
    for (int x = 0; x < photo->width; x++) memcpy(dm_px(&t, y, x), dm_px(photo, x, y), 3 * sizeof(float));
  dm_mask_component c = lum(25, 45, 70, 90);
  dm_image m, mt;
  mt_render(ctx, &c, 1, photo, NULL, &m);
  mt_render(ctx, &c, 1, &t, NULL, &mt);
  double worst = 0;
  for (int y = 0; y < photo->height; y++)
    for (int x = 0; x < photo->width; x++) worst = fmax(worst, fabs(mt_at(&m, x, y) - mt_at(&mt, y, x)));
  CHECK(worst < 1e-4);
  dm_image_free(&m);
  dm_image_free(&mt);
  dm_image_free(&t);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_lightness_accuracy();
  test_trapezoid_on_flat_greys(ctx);
  dm_image photo;
  mt_load_photo(ctx, "coffee", &photo);
  test_photo_unsmoothed(ctx, &photo);
  test_photo_selects_bright(ctx, &photo);
  test_smoothing_reduces_speckle(ctx, &photo);
  test_isotropic(ctx, &photo);
  dm_image_free(&photo);
  dm_context_free(ctx);
  return dm_test_done("mask/luminance_range");
}
