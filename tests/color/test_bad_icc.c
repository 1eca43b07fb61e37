/* Bad embedded profiles are errors that name the file, never crashes:
 * random bytes, truncated and too-short profiles, a corrupt tag table, a
 * corrupt tone curve (lcms2's own reason must reach the message), profiles
 * for the wrong colour space (CMYK, Lab, RGB on grey, grey on RGB), a
 * device link, and images with unsupported channel counts. No output image
 * is left allocated after a failure. A description claiming 16 million
 * entries in a 716-byte profile is refused by the per-context memory
 * handler (src/color/cms.c) rather than allocated. */
#include <lcms2.h>
#include <stdint.h>
#include <string.h>

#include "color/color.h"
#include "color/color_internal.h"
#include "dm_test.h"

#define NAME "portrait.jpg"
#define CMYK_PATH "/usr/share/color/icc/ghostscript/default_cmyk.icc"

static unsigned char *save(cmsHPROFILE h, size_t *len) {
  cmsUInt32Number n = 0;
  unsigned char *buf = NULL;
  if (h && cmsSaveProfileToMem(h, NULL, &n) && (buf = malloc(n)) && cmsSaveProfileToMem(h, buf, &n)) {
    *len = n;
  } else {
    free(buf);
    buf = NULL;
    *len = 0;
  }
  if (h) cmsCloseProfile(h);
  return buf;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Convert a w x h image carrying `icc`; expect failure whose message starts
 * with "NAME: " and contains `needle` (when not NULL). */
static void expect_fail(dm_context *ctx, int w, int h, int channels, const unsigned char *icc, size_t len,
                        const char *needle, const char *what) {
  dm_decoded d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &d.img, w, h, channels));
  d.meta.icc = (unsigned char *)icc;
  d.meta.icc_len = len;
  ctx->error[0] = 0;
  dm_image out;
  dm_status s = dm_color_to_working(ctx, &d, NAME, &out);
  const char *msg = dm_context_error(ctx);
  printf("%-28s -> %s: %s\n", what, dm_status_to_string(s), msg);
  CHECK(s != DM_OK);
  CHECK(out.data == NULL);
  CHECK(!strncmp(msg, NAME ": ", strlen(NAME) + 2));
  CHECK(strchr(msg, '\n') == NULL);
  if (needle) CHECK(strstr(msg, needle) != NULL);
  dm_image_free(&out);
  dm_image_free(&d.img);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  size_t len = 0;

  /* A valid profile to damage: our Adobe RGB. */
  dm_image one, enc;
  unsigned char *good = NULL;
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &one, 1, 1, 3));
  CHECK_OK(ctx, dm_color_from_working(ctx, &one, DM_PROFILE_ADOBERGB, &enc, &good, &len));
  dm_image_free(&enc);
  dm_image_free(&one);
  CHECK(good && len > 300);
  if (!good) return dm_test_done("color/test_bad_icc");
  const size_t good_len = len;

  unsigned char noise[600];
  uint32_t seed = 7;
  for (size_t i = 0; i < sizeof noise; i++) noise[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 24);
  expect_fail(ctx, 4, 4, 3, noise, sizeof noise, "ICC profile is corrupt (lcms2: ", "random bytes");
  expect_fail(ctx, 4, 4, 3, good, 10, "ICC profile is corrupt", "10 bytes");
  expect_fail(ctx, 4, 4, 3, good, len / 2, "embedded ICC profile is truncated", "cut in half");

  /* A tag count far beyond the data. */
  unsigned char *bad = malloc(len);
  memcpy(bad, good, len);
  bad[128] = bad[129] = 0x7f;
  expect_fail(ctx, 4, 4, 3, bad, len, "ICC profile", "huge tag count");

  /* The red TRC's type signature replaced: the profile opens, the transform
   * cannot be built, and lcms2's reason (through the per-call context's
   * error handler) reaches the message. */
  memcpy(bad, good, len);
  uint32_t count = be32(bad + 128), rtrc_at = 0;
  for (uint32_t i = 0; i < count && 132 + 12 * (i + 1) <= len; i++)
    if (be32(bad + 132 + 12 * i) == cmsSigRedTRCTag) rtrc_at = be32(bad + 136 + 12 * i);
  CHECK(rtrc_at > 0 && rtrc_at + 4 <= len);
  if (rtrc_at > 0 && rtrc_at + 4 <= len) memcpy(bad + rtrc_at, "zzzz", 4);
  for (int big = 0; big < 2; big++) /* lcms2 only, and with the fast path attempted */
    expect_fail(ctx, big ? 300 : 4, big ? 240 : 4, 3, bad, len, "(lcms2: ", "corrupt red TRC");

  /* The description tag ('mluc') claiming 0x00fb0001 records. */
  memcpy(bad, good, len);
  uint32_t desc_at = 0;
  for (uint32_t i = 0; i < count && 132 + 12 * (i + 1) <= len; i++)
    if (be32(bad + 132 + 12 * i) == cmsSigProfileDescriptionTag) desc_at = be32(bad + 136 + 12 * i);
  CHECK(desc_at > 0 && desc_at + 16 <= len && !memcmp(bad + desc_at, "mluc", 4));
  if (desc_at > 0 && desc_at + 16 <= len) memcpy(bad + desc_at + 8, "\x00\xfb\x00\x01", 4);
  dm_decoded d;
  memset(&d, 0, sizeof d);
  CHECK_OK(ctx, dm_image_alloc_zero(ctx, &d.img, 2, 2, 3));
  d.meta.icc = bad;
  d.meta.icc_len = len;
  char desc[256];
  dm_color_describe(&d, desc, sizeof desc);
  CHECK(!strcmp(desc, "embedded: ICC profile without a description"));
  dm_image work;
  CHECK_OK(ctx, dm_color_to_working(ctx, &d, NAME, &work)); /* the pixels do not need the description */
  dm_image_free(&work);
  dm_image_free(&d.img);
  /* The handler itself: over-large blocks refused, every byte given back. */
  dm_cms cms;
  CHECK_OK(ctx, dm_cms_open(ctx, &cms, "test"));
  size_t base = atomic_load(&cms.allocated);
  cmsHPROFILE h = cmsOpenProfileFromMemTHR(cms.id, bad, (cmsUInt32Number)len);
  CHECK(h != NULL);
  CHECK(h && cmsReadTag(h, cmsSigProfileDescriptionTag) == NULL);
  CHECK(atomic_load(&cms.allocated) > base);
  cmsToneCurve *huge = cmsBuildTabulatedToneCurve16(cms.id, 20u << 20, NULL);
  CHECK(huge == NULL);
  if (huge) cmsFreeToneCurve(huge);
  cmsToneCurve *fine = cmsBuildTabulatedToneCurve16(cms.id, 4096, NULL);
  CHECK(fine != NULL);
  if (fine) cmsFreeToneCurve(fine);
  if (h) cmsCloseProfile(h);
  CHECK(atomic_load(&cms.allocated) == base);
  dm_cms_close(&cms);
  free(bad);

  /* Wrong colour spaces. */
  unsigned char *cmyk = dm_test_read(CMYK_PATH, &len); /* Artifex's, Debian libgs-common */
  CHECK(cmyk != NULL);
  if (cmyk) expect_fail(ctx, 4, 4, 3, cmyk, len, "embedded ICC profile is for CMYK data but the image is RGB", "CMYK profile");
  free(cmyk);
  cmsHPROFILE placeholder = cmsCreateProfilePlaceholder(NULL);
  cmsSetColorSpace(placeholder, cmsSigCmykData);
  cmsSetPCS(placeholder, cmsSigLabData);
  cmsSetDeviceClass(placeholder, cmsSigOutputClass);
  unsigned char *lcms_cmyk = save(placeholder, &len);
  CHECK(lcms_cmyk != NULL);
  if (lcms_cmyk) expect_fail(ctx, 4, 4, 3, lcms_cmyk, len, "CMYK", "empty CMYK profile");
  free(lcms_cmyk);
  unsigned char *lab = save(cmsCreateLab4Profile(NULL), &len);
  if (lab) expect_fail(ctx, 4, 4, 3, lab, len, "is an abstract profile, not an image profile", "Lab abstract profile");
  free(lab);
  placeholder = cmsCreateProfilePlaceholder(NULL);
  cmsSetColorSpace(placeholder, cmsSigLabData);
  cmsSetPCS(placeholder, cmsSigXYZData);
  cmsSetDeviceClass(placeholder, cmsSigColorSpaceClass);
  lab = save(placeholder, &len);
  CHECK(lab != NULL);
  if (lab) expect_fail(ctx, 4, 4, 3, lab, len, "is for Lab data but the image is RGB", "Lab colour-space profile");
  free(lab);
  expect_fail(ctx, 4, 4, 1, good, good_len, "is for RGB data but the image is grey", "RGB profile, grey image");
  cmsToneCurve *g22 = cmsBuildGamma(NULL, 2.2);
  unsigned char *gray = save(cmsCreateGrayProfile(cmsD50_xyY(), g22), &len);
  if (gray) expect_fail(ctx, 4, 4, 3, gray, len, "is for grey data but the image is RGB", "grey profile, RGB image");
  free(gray);
  cmsToneCurve *curves[3] = {g22, g22, g22};
  unsigned char *link = save(cmsCreateLinearizationDeviceLink(cmsSigRgbData, curves), &len);
  CHECK(link != NULL);
  if (link) expect_fail(ctx, 4, 4, 3, link, len, "device link", "device link");
  free(link);
  cmsFreeToneCurve(g22);

  /* Channel counts the colour stage does not take. */
  expect_fail(ctx, 4, 4, 2, NULL, 0, "2 channels", "grey + alpha");
  expect_fail(ctx, 4, 4, 4, NULL, 0, "4 channels", "RGBA");

  free(good);
  dm_context_free(ctx);
  return dm_test_done("color/test_bad_icc");
}
