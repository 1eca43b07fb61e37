/* Camera raw through LibRaw.
 * - A real Canon EOS 30D CR2 (Debian rawtran-doc) decodes to a 16-bit
 *   linear ProPhoto image that matches the package's own small rendering
 *   of the same shot (correlation of luminance), better once a display
 *   gamma is applied (so the data is linear), and not when mirrored.
 * - A LinearRaw DNG written here from a real photo (TIFF magic, so it tests
 *   the raw-vs-TIFF decision) decodes to the photo's colours in linear
 *   ProPhoto as lcms2 computes them, and its Orientation tag is applied.
 * - Ordinary TIFFs are not taken for raws. */
#include <lcms2.h>
#include <string.h>

#include "color/color.h"
#include "color/look.h"
#include "dng_util.h"
#include "io/io_internal.h"
#include "io_test_util.h"

#define CR2 "/usr/share/doc/rawtran/IMG_5952.CR2"
#define CR2_PREVIEW "/usr/share/doc/rawtran/IMG_5952_orig.png"

/* Pearson correlation of a (box-downsampled luminance of `big`, optionally
 * gamma-encoded and mirrored) with the luminance of `small`. */
static double correlation(const dm_image *big, const dm_image *small, double gamma, int mirror) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  long n = 0;
  for (int y = 0; y < small->height; y++)
    for (int x = 0; x < small->width; x++) {
      int x0 = x * big->width / small->width, x1 = (x + 1) * big->width / small->width;
      int y0 = y * big->height / small->height, y1 = (y + 1) * big->height / small->height;
      double acc = 0;
      int k = 0;
      for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++, k++) {
          const float *p = dm_px(big, mirror ? big->width - 1 - xx : xx, yy);
          acc += (p[0] + p[1] + p[2]) / 3;
        }
      double a = pow(acc / k, 1 / gamma);
      const float *q = dm_px(small, x, y);
      double b = (q[0] + q[1] + q[2]) / 3;
      sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, n++;
    }
  double cov = sab / n - sa / n * sb / n;
  return cov / sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
}

static void test_cr2(dm_context *ctx) {
  dm_decoded d, ref;
  CHECK_OK(ctx, dm_io_read(ctx, CR2, &d));
  CHECK_OK(ctx, dm_io_read(ctx, CR2_PREVIEW, &ref));
  if (!d.img.data || !ref.img.data) return;
  printf("cr2: %dx%d, %d-bit, camera \"%s\"\n", d.img.width, d.img.height, d.meta.bits, d.meta.camera);
  CHECK(d.meta.format == DM_FMT_RAW && d.meta.bits == 16 && d.meta.space == DM_SPACE_LINEAR_PROPHOTO);
  CHECK(!strcmp(d.meta.camera, "Canon EOS 30D") && d.meta.orientation == 1);
  /* The camera's default crop: exiftool's ImageSize of the file, 3504x2336,
   * not LibRaw's visible area with the masked border (3522x2348). */
  CHECK(d.img.channels == 3 && d.img.width == 3504 && d.img.height == 2336);
  CHECK_NEAR((double)d.img.width / d.img.height, 1.5, 0.01);
  double lo = 1, hi = 0, mean = 0;
  for (int y = 0; y < d.img.height; y += 3)
    for (int x = 0; x < d.img.width * 3; x++) {
      float v = dm_row(&d.img, y)[x];
      lo = v < lo ? v : lo, hi = v > hi ? v : hi, mean += v;
    }
  mean /= (double)((d.img.height + 2) / 3) * d.img.width * 3;
  double c_gamma = correlation(&d.img, &ref.img, 2.2, 0);
  double c_linear = correlation(&d.img, &ref.img, 1.0, 0);
  double c_mirror = correlation(&d.img, &ref.img, 2.2, 1);
  printf("cr2: range %.4f..%.4f mean %.4f; correlation with the shipped rendering %.3f "
         "(linear %.3f, mirrored %.3f)\n", lo, hi, mean, c_gamma, c_linear, c_mirror);
  /* Highlights blended, not clipped: what the sensor clipped in one channel
   * comes back above 1 (the output transform rolls it off). */
  CHECK(lo >= 0 && hi > 0.1 && hi < 4);
  /* No auto-brightening: a daylight scene's linear mean sits well below the
   * ~0.18 that a brightened rendering would put it at. */
  CHECK(mean < 0.15);
  CHECK(c_gamma > 0.9);
  CHECK(c_gamma > c_linear);
  CHECK(c_mirror < 0.95); /* the check can tell a wrong geometry */
  dm_decoded_free(&ref);
  dm_decoded_free(&d);
}

/* The photo's linear sRGB values in linear ProPhoto, through lcms2. */
static dm_image expected_prophoto(dm_context *ctx, const dm_image *srgb) {
  cmsToneCurve *lin = cmsBuildGamma(NULL, 1.0);
  cmsToneCurve *c3[3] = {lin, lin, lin};
  cmsCIExyY d65;
  cmsWhitePointFromTemp(&d65, 6504);
  cmsCIExyYTRIPLE srgb_p = {{0.64, 0.33, 1}, {0.30, 0.60, 1}, {0.15, 0.06, 1}};
  cmsCIExyYTRIPLE romm_p = {{0.7347, 0.2653, 1}, {0.1596, 0.8404, 1}, {0.0366, 0.0001, 1}};
  cmsHPROFILE in = cmsCreateRGBProfile(&d65, &srgb_p, c3);
  cmsHPROFILE out = cmsCreateRGBProfile(cmsD50_xyY(), &romm_p, c3);
  cmsHTRANSFORM t = cmsCreateTransform(in, TYPE_RGB_FLT, out, TYPE_RGB_FLT, INTENT_RELATIVE_COLORIMETRIC, 0);
  dm_image e;
  dm_image_alloc(ctx, &e, srgb->width, srgb->height, 3);
  for (int y = 0; y < e.height; y++) {
    float *row = dm_row(&e, y);
    for (int i = 0; i < e.width * 3; i++) row[i] = dngu_srgb_to_linear(dm_row(srgb, y)[i]);
    cmsDoTransform(t, row, row, (cmsUInt32Number)e.width);
  }
  cmsDeleteTransform(t);
  cmsCloseProfile(in);
  cmsCloseProfile(out);
  cmsFreeToneCurve(lin);
  return e;
}

static void test_dng(dm_context *ctx, const char *dir) {
  dm_decoded coffee;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  const char *p1 = iot_path(dir, "coffee.dng");
  CHECK(dngu_write(p1, &coffee.img, 1));
  size_t len;
  unsigned char *bytes = iot_slurp(ctx, p1, &len);
  CHECK(dm_io_sniff(bytes, len) == DM_FMT_TIFF && dm_tiff_is_camera_raw(bytes, len) == 1);
  free(bytes);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p1, &d));
  CHECK(d.meta.format == DM_FMT_RAW && d.meta.space == DM_SPACE_LINEAR_PROPHOTO && d.meta.bits == 16);
  CHECK(d.img.width == coffee.img.width && d.img.height == coffee.img.height);
  if (d.img.width == coffee.img.width && d.img.height == coffee.img.height) {
    dm_image e = expected_prophoto(ctx, &coffee.img);
    double err = 0, sum = 0;
    long n = 0;
    for (int y = 0; y < e.height; y++)
      for (int x = 0; x < e.width; x++) {
        const float *pe = dm_px(&e, x, y), *pd = dm_px(&d.img, x, y);
        if (pe[0] > 0.98f || pe[1] > 0.98f || pe[2] > 0.98f) continue; /* clipped by LibRaw */
        for (int c = 0; c < 3; c++) err += fabs(pd[c] - pe[c]), sum += pe[c];
        n++;
      }
    printf("dng: mean abs error against lcms2's ProPhoto %.5f (mean value %.4f, %ld pixels)\n",
           err / (3.0 * n), sum / (3.0 * n), n);
    CHECK(n > e.width * e.height / 2 && err / sum < 0.03);
    dm_image_free(&e);
  }
  for (int o = 3; o <= 8; o += 3) { /* 3, 6: the flips LibRaw has */
    const char *p = iot_path(dir, "oriented.dng");
    CHECK(dngu_write(p, &coffee.img, o));
    dm_decoded r;
    CHECK_OK(ctx, dm_io_read(ctx, p, &r));
    CHECK(r.meta.orientation == o);
    int w = o >= 5 ? d.img.height : d.img.width;
    CHECK(r.img.width == w);
    long bad = 0;
    if (r.img.width == w && d.img.data)
      for (int y = 0; y < r.img.height; y++)
        for (int x = 0; x < r.img.width; x++)
          bad += memcmp(dm_px(&r.img, x, y), iot_stored_px(&d.img, o, x, y), 3 * sizeof(float)) != 0;
    CHECK(bad == 0);
    dm_decoded_free(&r);
  }
  /* An ordinary TIFF from the same photo is not a raw. */
  const char *pt = iot_path(dir, "coffee.tif");
  dm_write_options wo = {.format = DM_FMT_TIFF, .bits = 16};
  CHECK_OK(ctx, dm_io_write(ctx, pt, &coffee.img, &wo));
  bytes = iot_slurp(ctx, pt, &len);
  CHECK(dm_tiff_is_camera_raw(bytes, len) == 0);
  free(bytes);
  dm_decoded_free(&d);
  dm_decoded_free(&coffee);
}

/* A DNG's BaselineExposure: read into the metadata, left out of the linear
 * pixels (the neutral rendering), and added by the default look: the look
 * of a photo with BaselineExposure 1 is the look of the same photo twice
 * as bright without it. */
static void test_baseline_exposure(dm_context *ctx, const char *dir) {
  dm_decoded coffee, plain, lifted;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  const char *p0 = iot_path(dir, "be0.dng"), *p1 = iot_path(dir, "be1.dng");
  CHECK(dngu_write_ev(p0, &coffee.img, 1, NAN) && dngu_write_ev(p1, &coffee.img, 1, 1.0));
  CHECK_OK(ctx, dm_io_read(ctx, p0, &plain));
  CHECK_OK(ctx, dm_io_read(ctx, p1, &lifted));
  printf("dng BaselineExposure: %.2f EV read (none: %.2f)\n", lifted.meta.baseline_ev, plain.meta.baseline_ev);
  CHECK(plain.meta.baseline_ev == 0.0f && fabsf(lifted.meta.baseline_ev - 1.0f) < 1e-6f);
  size_t n = (size_t)plain.img.width * plain.img.height * 3;
  CHECK(!memcmp(plain.img.data, lifted.img.data, n * sizeof(float)));
  dm_image a, b;
  CHECK_OK(ctx, dm_color_to_working(ctx, &lifted, "be1", &a));
  CHECK_OK(ctx, dm_color_to_working(ctx, &plain, "be0", &b));
  for (size_t i = 0; i < n; i++) b.data[i] *= 2.0f;
  CHECK_OK(ctx, dm_look_apply(ctx, &a, DM_LOOK_RAW_DEFAULT, lifted.meta.baseline_ev));
  CHECK_OK(ctx, dm_look_apply(ctx, &b, DM_LOOK_RAW_DEFAULT, 0.0f));
  double worst = 0;
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a.data[i] - b.data[i]));
  printf("dng BaselineExposure 1 in the look against the photo doubled: max difference %.2g\n", worst);
  CHECK(worst < 1e-5);
  dm_image_free(&a), dm_image_free(&b);
  dm_decoded_free(&plain), dm_decoded_free(&lifted), dm_decoded_free(&coffee);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_raw");
  test_dng(ctx, dir);
  test_baseline_exposure(ctx, dir);
  test_cr2(ctx);
  dm_context_free(ctx);
  return dm_test_done("io/test_raw");
}
