/* Round trips on real photographs (tests/FIXTURES.md: skimage's coffee.png,
 * astronaut.png with its embedded sRGB profile, camera.png in grey, and
 * matplotlib's grace_hopper.jpg), decoded by src/io:
 *  1. file -> working -> sRGB gives the file's samples back: within 3 16-bit
 *     steps when untagged (both ends are lcms2's sRGB); within 16 when the
 *     file embeds HP's "sRGB IEC61966-2.1", whose sampled curves and
 *     colorants differ from lcms2's sRGB by that much (test_transicc checks
 *     us against lcms2 for embedded profiles); 8-bit samples come back
 *     exactly once rounded to 8 bits;
 *  2. working -> Adobe RGB / Display P3 / ProPhoto as floats -> read back
 *     with the profile we embed -> sRGB: within 3 16-bit steps (sRGB's red
 *     and blue are Adobe RGB's too: such colours land a rounding error
 *     outside the target and the clip near black costs ~2 steps);
 *  3. the same through a real 16-bit TIFF written and read by src/io: every
 *     8-bit sample comes back, and the 16-bit rounding in the wide space,
 *     magnified by sRGB's steep toe, stays within 16 16-bit steps. */
#include <string.h>

#include "color/color.h"
#include "dm_test.h"
#include "io/io.h"

/* Largest difference between `out` (3 channels) and the decoded samples
 * (1 or 3 channels), and whether rounding `out` to 8 bits gives them back. */
static double diff(const dm_image *out, const dm_image *in, int *same_8bit) {
  double worst = 0;
  *same_8bit = 1;
  for (int y = 0; y < in->height; y++)
    for (int x = 0; x < in->width; x++)
      for (int c = 0; c < 3; c++) {
        double a = dm_px(out, x, y)[c], b = dm_px(in, x, y)[in->channels == 1 ? 0 : c];
        worst = fmax(worst, fabs(a - b));
        if (lrint(a * 255.0) != lrint(b * 255.0)) *same_8bit = 0;
      }
  return worst;
}

static void to_srgb(dm_context *ctx, const dm_image *work, dm_image *out) {
  CHECK_OK(ctx, dm_color_from_working(ctx, work, DM_PROFILE_SRGB, out, NULL, NULL));
}

/* Through `p` and a 16-bit TIFF, back to sRGB. */
static void via_tiff(dm_context *ctx, const char *dir, const char *photo, const dm_decoded *orig,
                     const dm_image *work, dm_output_profile p) {
  dm_image enc, work2, back;
  unsigned char *icc = NULL;
  size_t icc_len = 0;
  char path[4300];
  snprintf(path, sizeof path, "%s/%s-%s.tif", dir, photo, dm_profile_name(p));
  CHECK_OK(ctx, dm_color_from_working(ctx, work, p, &enc, &icc, &icc_len));
  if (!icc) return;
  /* Floats, no file: only the conversions' own error. */
  dm_decoded f;
  memset(&f, 0, sizeof f);
  f.img = enc;
  f.meta.icc = icc;
  f.meta.icc_len = icc_len;
  CHECK_OK(ctx, dm_color_to_working(ctx, &f, "floats", &work2));
  if (work2.data) {
    to_srgb(ctx, &work2, &back);
    int same8 = 0;
    double worst = back.data ? diff(&back, &orig->img, &same8) : INFINITY;
    printf("%-12s via floats in      %-8s: max |sRGB - original| = %.2e (%.2f 16-bit steps)\n", photo,
           dm_profile_name(p), worst, worst * 65535);
    CHECK(worst <= 3.0 / 65535);
    dm_image_free(&back);
  }
  dm_image_free(&work2);

  dm_write_options opt = {.format = DM_FMT_TIFF, .bits = 16, .icc = icc, .icc_len = icc_len};
  CHECK_OK(ctx, dm_io_write(ctx, path, &enc, &opt));
  dm_decoded d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_io_read(ctx, path, &d));
  CHECK(d.meta.bits == 16);
  CHECK(d.meta.icc_len == icc_len && d.meta.icc && !memcmp(d.meta.icc, icc, icc_len));
  char desc[256];
  dm_color_describe(&d, desc, sizeof desc);
  CHECK(strstr(desc, "embedded: ") == desc && strstr(desc, "(depthmask)"));
  CHECK_OK(ctx, dm_color_to_working(ctx, &d, path, &work2));
  if (work2.data) {
    to_srgb(ctx, &work2, &back);
    int same8 = 0;
    double worst = back.data ? diff(&back, &orig->img, &same8) : INFINITY;
    printf("%-12s via 16-bit TIFF in %-8s: max |sRGB - original| = %.2e (%.2f 16-bit steps), 8-bit identical: %s\n",
           photo, dm_profile_name(p), worst, worst * 65535, same8 ? "yes" : "NO");
    CHECK(same8);
    CHECK(worst <= 16.0 / 65535);
    dm_image_free(&back);
  }
  dm_image_free(&work2);
  dm_decoded_free(&d);
  dm_image_free(&enc);
  free(icc);
}

static void photo(dm_context *ctx, const char *dir, const char *which, int expect_channels, double tol_steps,
                  int tiff) {
  dm_decoded d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_io_read(ctx, dm_test_photo(which), &d));
  if (!d.img.data) return;
  CHECK(d.img.channels == expect_channels);
  char desc[256];
  dm_color_describe(&d, desc, sizeof desc);
  dm_image work, back;
  CHECK_OK(ctx, dm_color_to_working(ctx, &d, which, &work));
  if (work.data) {
    to_srgb(ctx, &work, &back);
    int same8 = 0;
    double worst = back.data ? diff(&back, &d.img, &same8) : INFINITY;
    printf("%-12s [%s] -> working -> sRGB: max error %.2e (%.2f 16-bit steps)\n", which, desc, worst, worst * 65535);
    CHECK(worst <= tol_steps / 65535);
    CHECK(same8);
    dm_image_free(&back);
    if (tiff)
      for (int p = DM_PROFILE_ADOBERGB; p < DM_PROFILE_COUNT; p++) via_tiff(ctx, dir, which, &d, &work, (dm_output_profile)p);
  }
  dm_image_free(&work);
  dm_decoded_free(&d);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  const char *dir = dm_test_tmpdir("color_roundtrip");
  photo(ctx, dir, "coffee", 3, 3, 1);
  photo(ctx, dir, "grace_hopper", 3, 3, 1);
  photo(ctx, dir, "astronaut", 3, 16, 0);
  photo(ctx, dir, "chelsea", 3, 16, 0);
  dm_context_free(ctx);
  return dm_test_done("color/test_roundtrip");
}
