/* HEIC: files made here from a real photo with libheif's own encoder (x265)
 * decode close to the photo (PSNR > 30 dB); 10-bit files decode as HDR
 * samples; an ICC profile survives byte for byte; an nclx Display P3
 * description becomes an ICC profile with P3 primaries and the sRGB curve;
 * EXIF is read but its orientation is not applied again. */
#include <lcms2.h>
#include <string.h>

#include "heic_util.h"
#include "io_test_util.h"

/* xy chromaticity (in D65) and Y of RGB `rgb` in ICC profile `icc`. */
static void profile_xyY(const unsigned char *icc, size_t len, const double rgb[3], double xyY[3]) {
  cmsHPROFILE in = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
  cmsHPROFILE xyz = cmsCreateXYZProfile();
  cmsHTRANSFORM t = in ? cmsCreateTransform(in, TYPE_RGB_DBL, xyz, TYPE_XYZ_DBL, INTENT_RELATIVE_COLORIMETRIC, 0) : NULL;
  cmsCIEXYZ d50, d65 = {0.95047, 1.0, 1.08883}, v = {0, 0, 0}, a;
  cmsCIExyY wp;
  if (t) cmsDoTransform(t, rgb, &v, 1);
  cmsWhitePointFromTemp(&wp, 6504);
  cmsxyY2XYZ(&d65, &wp);
  cmsxyY2XYZ(&d50, cmsD50_xyY());
  cmsAdaptToIlluminant(&a, &d50, &d65, &v); /* undo the profile's adaptation to D50 */
  double s = a.X + a.Y + a.Z;
  xyY[0] = s > 0 ? a.X / s : 0;
  xyY[1] = s > 0 ? a.Y / s : 0;
  xyY[2] = v.Y;
  if (t) cmsDeleteTransform(t);
  cmsCloseProfile(xyz);
  if (in) cmsCloseProfile(in);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("io_heic");
  dm_decoded coffee, astro;
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("coffee"), &coffee));
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo("astronaut"), &astro));
  size_t exif_len;
  unsigned char *exif = iot_make_exif(6, coffee.img.width, coffee.img.height, &exif_len);

  /* 8-bit with an ICC profile and EXIF (orientation 6). */
  const char *p = iot_path(dir, "coffee.heic");
  heic_opts o8 = {.bits = 8, .icc = astro.meta.icc, .icc_len = astro.meta.icc_len, .exif = exif, .exif_len = exif_len};
  CHECK(heicu_encode(&coffee.img, p, &o8));
  size_t len;
  unsigned char *bytes = iot_slurp(ctx, p, &len);
  CHECK(dm_io_sniff(bytes, len) == DM_FMT_HEIC);
  free(bytes);
  dm_decoded d;
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  double psnr = iot_psnr(&coffee.img, &d.img);
  printf("heic 8-bit: PSNR %.2f dB\n", psnr);
  CHECK(d.meta.format == DM_FMT_HEIC && d.meta.bits == 8 && d.img.channels == 3);
  CHECK(psnr > 30);
  CHECK(d.meta.icc && d.meta.icc_len == astro.meta.icc_len && !memcmp(d.meta.icc, astro.meta.icc, d.meta.icc_len));
  CHECK(d.meta.exif != NULL && !strcmp(d.meta.camera, "Canon EOS 30D"));
  if (d.meta.exif) CHECK(iot_exif_int(d.meta.exif, d.meta.exif_len, EXIF_IFD_0, EXIF_TAG_ORIENTATION) == 6);
  CHECK(d.meta.orientation == 1 && d.img.width == coffee.img.width); /* EXIF orientation not re-applied */
  dm_decoded_free(&d);

  /* irot (90 degrees clockwise) plus EXIF orientation 6: turned once. */
  dm_decoded upright;
  CHECK_OK(ctx, dm_io_read(ctx, p, &upright));
  p = iot_path(dir, "rotated.heic");
  heic_opts orot = {.bits = 8, .exif = exif, .exif_len = exif_len, .orientation = 6};
  CHECK(heicu_encode(&coffee.img, p, &orot));
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.img.width == coffee.img.height && d.img.height == coffee.img.width);
  if (d.img.width == coffee.img.height && upright.img.data) {
    double se = 0;
    for (int y = 0; y < d.img.height; y++)
      for (int x = 0; x < d.img.width; x++)
        for (int c = 0; c < 3; c++) {
          double diff = dm_px(&d.img, x, y)[c] - iot_stored_px(&upright.img, 6, x, y)[c];
          se += diff * diff;
        }
    double rot_psnr = 10 * log10(3.0 * d.img.width * d.img.height / (se > 0 ? se : 1e-30));
    printf("heic irot 90: PSNR against the turned photo %.2f dB\n", rot_psnr);
    CHECK(rot_psnr > 30);
  }
  dm_decoded_free(&upright);
  dm_decoded_free(&d);

  /* 10-bit: HDR samples (more than 256 levels), untagged. */
  p = iot_path(dir, "coffee10.heic");
  heic_opts o10 = {.bits = 10};
  CHECK(heicu_encode(&coffee.img, p, &o10));
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  psnr = iot_psnr(&coffee.img, &d.img);
  printf("heic 10-bit: PSNR %.2f dB\n", psnr);
  CHECK(d.meta.bits == 10 && psnr > 30 && d.meta.icc == NULL);
  long off_grid = 0;
  for (int x = 0; d.img.data && x < d.img.width * 3; x++) {
    float v = dm_row(&d.img, d.img.height / 2)[x] * 255.0f;
    off_grid += fabsf(v - roundf(v)) > 0.01f;
  }
  CHECK(off_grid > d.img.width / 2); /* not 8-bit data in disguise */
  dm_decoded_free(&d);

  /* nclx Display P3 -> an ICC profile with P3's red and the sRGB curve. */
  p = iot_path(dir, "p3.heic");
  heic_opts op3 = {.bits = 8, .p3_nclx = 1};
  CHECK(heicu_encode(&coffee.img, p, &op3));
  CHECK_OK(ctx, dm_io_read(ctx, p, &d));
  CHECK(d.meta.icc != NULL);
  if (d.meta.icc) {
    double red[3] = {1, 0, 0}, grey[3] = {0.5, 0.5, 0.5}, xyY[3];
    profile_xyY(d.meta.icc, d.meta.icc_len, red, xyY);
    printf("heic P3 nclx: red at x %.4f y %.4f\n", xyY[0], xyY[1]);
    CHECK_NEAR(xyY[0], 0.680, 0.003);
    CHECK_NEAR(xyY[1], 0.320, 0.003);
    profile_xyY(d.meta.icc, d.meta.icc_len, grey, xyY);
    CHECK_NEAR(xyY[2], 0.2140, 0.002); /* sRGB 0.5 is 21.4 % linear */
  }
  dm_decoded_free(&d);

  /* libheif wraps sizes its encoder pads (here 64x42) in a 'grid' item
   * whose canvas size sits in the item data: a file declaring a huge canvas
   * there is refused before libheif fills it (it cost 73 s and 3.6 GB). */
  p = iot_path(dir, "grid.heic");
  dm_image crop = dm_image_view(&coffee.img, 300, 150, 64, 42);
  heic_opts og = {.bits = 8};
  CHECK(heicu_encode(&crop, p, &og));
  bytes = iot_slurp(ctx, p, &len);
  CHECK_OK(ctx, dm_io_read_mem(ctx, bytes, len, "grid.heic", &d));
  CHECK(d.img.width == 64 && d.img.height == 42);
  dm_decoded_free(&d);
  unsigned char *idat = NULL;
  for (size_t i = 4; i + 16 < len && !idat; i++)
    if (!memcmp(bytes + i, "idat", 4)) idat = bytes + i + 4;
  CHECK(idat != NULL && idat[0] == 0 && (idat[1] & 1) == 0); /* grid v0, 16-bit sizes */
  if (idat) {
    CHECK(idat[4] == 0 && idat[5] == 64 && idat[6] == 0 && idat[7] == 42);
    idat[4] = 0x3f, idat[5] = 0x40, idat[6] = 0x2a, idat[7] = 0x00; /* 16192 x 10752 */
    CHECK(dm_io_read_mem(ctx, bytes, len, "grid.heic", &d) == DM_ERR_FORMAT);
    CHECK(strstr(dm_context_error(ctx), "grid.heic: corrupt HEIC: a 16192x10752 canvas for a 64x42 image") != NULL);
  }
  free(bytes);

  free(exif);
  dm_decoded_free(&astro);
  dm_decoded_free(&coffee);
  dm_context_free(ctx);
  return dm_test_done("io/test_heic");
}
