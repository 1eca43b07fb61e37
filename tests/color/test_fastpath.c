/* The tabulated fast path (src/color/xform.c) against lcms2 itself, pixel
 * for pixel: every input profile kind we meet (lcms2's sRGB, our profiles
 * as embedded bytes, third-party v2 profiles with sampled curves from
 * Debian's libgs-common, grey, linear ProPhoto) into the working space, and
 * the working space into every output profile, on random 16-bit codes and
 * random unbounded working values. The fast path must be taken for all of
 * them and agree with lcms2 to well under a 16-bit step (1.5e-5). */
#include <lcms2.h>
#include <stdint.h>
#include <string.h>

#include "color/color_internal.h"
#include "dm_test.h"

enum { W = 320, H = 256 };
#define GS "/usr/share/color/icc/ghostscript/"

static uint32_t rng(uint32_t *s) { return *s = *s * 1664525u + 1013904223u; }

/* Convert `src` with profile pair (in -> out) both ways and compare. */
static double compare(dm_context *ctx, dm_cms *cms, cmsHPROFILE in, int ch, cmsHPROFILE out, int flags,
                      const dm_image *src, const char *what) {
  dm_xform *fast = NULL, *ref = NULL;
  dm_image a, b;
  CHECK_OK(ctx, dm_xform_new(ctx, cms, in, ch, out, flags, (long long)W * H, what, &fast));
  CHECK_OK(ctx, dm_xform_new(ctx, cms, in, ch, out, flags | DM_XFORM_LCMS_ONLY, (long long)W * H, what, &ref));
  if (!fast || !ref) return INFINITY;
  CHECK(dm_xform_is_fast(fast));
  CHECK(!dm_xform_is_fast(ref));
  CHECK_OK(ctx, dm_image_alloc(ctx, &a, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &b, W, H, 3));
  CHECK_OK(ctx, dm_xform_apply(ctx, fast, src, &a));
  CHECK_OK(ctx, dm_xform_apply(ctx, ref, src, &b));
  double worst = 0; /* relative to max(1, |value|) */
  for (int y = 0; y < H; y++)
    for (int i = 0; i < W * 3; i++) {
      double va = dm_row(&a, y)[i], vb = dm_row(&b, y)[i];
      worst = fmax(worst, fabs(va - vb) / fmax(1.0, fabs(vb)));
    }
  printf("%-34s fast=%d  max |fast - lcms2| = %.2e\n", what, dm_xform_is_fast(fast), worst);
  CHECK(worst <= 4e-6);
  dm_image_free(&a);
  dm_image_free(&b);
  dm_xform_free(fast);
  dm_xform_free(ref);
  return worst;
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dm_cms cms;
  CHECK_OK(ctx, dm_cms_open(ctx, &cms, "test"));
  uint32_t seed = 99;

  /* Random 16-bit codes (RGB and grey), with every 16th row a full ramp. */
  dm_image codes, grey_codes, work;
  CHECK_OK(ctx, dm_image_alloc(ctx, &codes, W, H, 3));
  CHECK_OK(ctx, dm_image_alloc(ctx, &grey_codes, W, H, 1));
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      for (int c = 0; c < 3; c++)
        dm_px(&codes, x, y)[c] = (float)(y % 16 ? (rng(&seed) >> 16) : (uint32_t)(x * 65535 / (W - 1))) / 65535.0f;
      dm_px(&grey_codes, x, y)[0] = dm_px(&codes, x, y)[0];
    }
  /* Random working-space values, dense near black and past both ends. */
  CHECK_OK(ctx, dm_image_alloc(ctx, &work, W, H, 3));
  for (int y = 0; y < H; y++)
    for (int i = 0; i < W * 3; i++) {
      double u = (double)(rng(&seed) >> 8) / (1 << 24);
      dm_row(&work, y)[i] = (float)(y < H / 2 ? pow(u, 4.0) : u * 1.7 - 0.3);
    }

  cmsHPROFILE working = dm_profile_working(&cms);
  cmsHPROFILE outputs[DM_PROFILE_COUNT];
  for (int p = 0; p < DM_PROFILE_COUNT; p++) outputs[p] = dm_profile_output(&cms, (dm_output_profile)p);

  /* Into the working space. */
  cmsHPROFILE h = dm_profile_srgb(&cms);
  compare(ctx, &cms, h, 3, working, 0, &codes, "sRGB (lcms2 built-in) -> working");
  cmsCloseProfile(h);
  h = dm_profile_linear_prophoto(&cms);
  compare(ctx, &cms, h, 3, working, 0, &codes, "linear ProPhoto -> working");
  cmsCloseProfile(h);
  h = dm_profile_gray_srgb(&cms);
  compare(ctx, &cms, h, 1, working, 0, &grey_codes, "grey sRGB -> working");
  cmsCloseProfile(h);
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    unsigned char *icc = NULL;
    size_t len = 0;
    CHECK_OK(ctx, dm_profile_save(ctx, &cms, outputs[p], "test", &icc, &len));
    h = icc ? cmsOpenProfileFromMemTHR(cms.id, icc, (cmsUInt32Number)len) : NULL;
    CHECK(h != NULL);
    char what[64];
    snprintf(what, sizeof what, "embedded %s -> working", dm_profile_name((dm_output_profile)p));
    if (h) compare(ctx, &cms, h, 3, working, 0, &codes, what);
    if (h) cmsCloseProfile(h);
    free(icc);
  }
  static const char *const third_party[] = {"srgb.icc", "a98.icc", "rommrgb.icc", "sgray.icc"};
  for (size_t i = 0; i < sizeof third_party / sizeof third_party[0]; i++) {
    char path[256], what[64];
    snprintf(path, sizeof path, GS "%s", third_party[i]);
    size_t len = 0;
    unsigned char *icc = dm_test_read(path, &len);
    CHECK(icc != NULL); /* Debian libgs-common */
    h = icc ? cmsOpenProfileFromMemTHR(cms.id, icc, (cmsUInt32Number)len) : NULL;
    int grey = h && cmsGetColorSpace(h) == cmsSigGrayData;
    snprintf(what, sizeof what, "Artifex %s -> working", third_party[i]);
    if (h) compare(ctx, &cms, h, grey ? 1 : 3, working, 0, grey ? &grey_codes : &codes, what);
    if (h) cmsCloseProfile(h);
    free(icc);
  }

  /* Out of the working space, clipped. */
  for (int p = 0; p < DM_PROFILE_COUNT; p++) {
    char what[64];
    snprintf(what, sizeof what, "working -> %s", dm_profile_name((dm_output_profile)p));
    compare(ctx, &cms, working, 3, outputs[p], DM_XFORM_CLIP, &work, what);
  }

  for (int p = 0; p < DM_PROFILE_COUNT; p++) cmsCloseProfile(outputs[p]);
  cmsCloseProfile(working);
  dm_cms_close(&cms);
  dm_image_free(&codes);
  dm_image_free(&grey_codes);
  dm_image_free(&work);
  dm_context_free(ctx);
  return dm_test_done("color/test_fastpath");
}
