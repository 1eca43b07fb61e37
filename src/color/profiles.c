/* The profiles depthmask builds with lcms2, and their serialisation.
 *
 * Numbers are the published ones: ITU-R BT.2020 and BT.709/sRGB primaries,
 * Adobe RGB (1998), SMPTE EG 432-1 (Display P3) and ROMM RGB (ISO 22028-2)
 * primaries; D65 = (0.3127, 0.3290). D50 profiles use the ICC PCS white
 * itself, so their chromatic adaptation is the identity, as in Adobe's own
 * ProPhoto profile. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "color/color_internal.h"

static const cmsCIExyY k_d65 = {0.3127, 0.3290, 1.0};
static const cmsCIExyYTRIPLE k_rec2020 = {{0.708, 0.292, 1.0}, {0.170, 0.797, 1.0}, {0.131, 0.046, 1.0}};
static const cmsCIExyYTRIPLE k_srgb = {{0.640, 0.330, 1.0}, {0.300, 0.600, 1.0}, {0.150, 0.060, 1.0}};
static const cmsCIExyYTRIPLE k_adobe = {{0.640, 0.330, 1.0}, {0.210, 0.710, 1.0}, {0.150, 0.060, 1.0}};
static const cmsCIExyYTRIPLE k_p3 = {{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
static const cmsCIExyYTRIPLE k_romm = {{0.7347, 0.2653, 1.0}, {0.1596, 0.8404, 1.0}, {0.0366, 0.0001, 1.0}};

/* IEC 61966-2-1 transfer as an ICC parametric curve of type 4:
 * Y = ((a X + b)^g for X >= d, else c X). */
static const cmsFloat64Number k_srgb_curve[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};

/* Adobe RGB (1998) gamma is 2 + 51/256, exactly representable in the ICC
 * u8Fixed8 encoding. ProPhoto uses the pure 1.8 power as Adobe's ProPhoto
 * profile does, not ROMM's linear toe below 1/512. */
#define ADOBE_GAMMA (563.0 / 256.0)
#define PROPHOTO_GAMMA 1.8

static const char k_copyright[] = "No copyright: public domain (CC0). Made by depthmask with Little CMS.";

static int set_text(dm_cms *cms, cmsHPROFILE h, cmsTagSignature sig, const char *text) {
  cmsMLU *mlu = cmsMLUalloc(cms->id, 1);
  if (!mlu) return 0;
  int ok = cmsMLUsetASCII(mlu, "en", "US", text) && cmsWriteTag(h, sig, mlu);
  cmsMLUfree(mlu);
  return ok;
}

static cmsHPROFILE labelled(dm_cms *cms, cmsHPROFILE h, const char *description) {
  if (!h) return NULL;
  if (!set_text(cms, h, cmsSigProfileDescriptionTag, description) ||
      !set_text(cms, h, cmsSigCopyrightTag, k_copyright)) {
    cmsCloseProfile(h);
    return NULL;
  }
  return h;
}

/* An RGB matrix-shaper profile with the same curve on all three channels;
 * `curve` is consumed. */
static cmsHPROFILE rgb_profile(dm_cms *cms, const cmsCIExyY *white, const cmsCIExyYTRIPLE *prim,
                               cmsToneCurve *curve) {
  if (!curve) return NULL;
  cmsToneCurve *curves[3] = {curve, curve, curve};
  cmsHPROFILE h = cmsCreateRGBProfileTHR(cms->id, white, prim, curves);
  cmsFreeToneCurve(curve);
  return h;
}

static cmsToneCurve *srgb_curve(dm_cms *cms) {
  return cmsBuildParametricToneCurve(cms->id, 4, k_srgb_curve);
}

cmsHPROFILE dm_profile_working(dm_cms *cms) {
  return labelled(cms, rgb_profile(cms, &k_d65, &k_rec2020, cmsBuildGamma(cms->id, 1.0)),
                  "Linear Rec.2020 (depthmask working space)");
}

cmsHPROFILE dm_profile_linear_prophoto(dm_cms *cms) {
  return labelled(cms, rgb_profile(cms, cmsD50_xyY(), &k_romm, cmsBuildGamma(cms->id, 1.0)),
                  "Linear ProPhoto RGB (depthmask)");
}

cmsHPROFILE dm_profile_srgb(dm_cms *cms) { return cmsCreate_sRGBProfileTHR(cms->id); }

cmsHPROFILE dm_profile_gray_srgb(dm_cms *cms) {
  cmsToneCurve *curve = srgb_curve(cms);
  if (!curve) return NULL;
  cmsHPROFILE h = cmsCreateGrayProfileTHR(cms->id, cmsD50_xyY(), curve);
  cmsFreeToneCurve(curve);
  return h;
}

cmsHPROFILE dm_profile_output(dm_cms *cms, dm_output_profile p) {
  switch (p) {
  case DM_PROFILE_SRGB:
    return labelled(cms, dm_profile_srgb(cms), "sRGB IEC61966-2.1 (depthmask)");
  case DM_PROFILE_ADOBERGB:
    return labelled(cms, rgb_profile(cms, &k_d65, &k_adobe, cmsBuildGamma(cms->id, ADOBE_GAMMA)),
                    "Adobe RGB (1998) compatible (depthmask)");
  case DM_PROFILE_P3:
    return labelled(cms, rgb_profile(cms, &k_d65, &k_p3, srgb_curve(cms)), "Display P3 (depthmask)");
  case DM_PROFILE_PROPHOTO:
    return labelled(cms, rgb_profile(cms, cmsD50_xyY(), &k_romm, cmsBuildGamma(cms->id, PROPHOTO_GAMMA)),
                    "ProPhoto RGB (depthmask)");
  default:
    return NULL;
  }
}

int dm_png_gamma_valid(float gamma) {
  /* gAMA stores the encoding exponent; 1/gamma decodes. Outside this range
   * the chunk is a writer's mistake, and libpng too treats it as absent. */
  return isfinite(gamma) && gamma >= 0.1f && gamma <= 10.0f;
}

int dm_png_chrm_valid(const float chrm[8]) {
  for (int i = 0; i < 8; i += 2) {
    float x = chrm[i], y = chrm[i + 1];
    if (!isfinite(x) || !isfinite(y) || x < 0 || x > 1 || y <= 0 || y > 1) return 0;
  }
  return 1;
}

cmsHPROFILE dm_profile_png(dm_cms *cms, const dm_metadata *meta, int channels) {
  int gamma_ok = dm_png_gamma_valid(meta->gamma);
  cmsToneCurve *curve = gamma_ok ? cmsBuildGamma(cms->id, 1.0 / meta->gamma) : srgb_curve(cms);
  if (!curve) return NULL;
  if (channels == 1) {
    cmsHPROFILE h = cmsCreateGrayProfileTHR(cms->id, cmsD50_xyY(), curve);
    cmsFreeToneCurve(curve);
    return h;
  }
  cmsCIExyY white = k_d65;
  cmsCIExyYTRIPLE prim = k_srgb;
  if (meta->has_chrm && dm_png_chrm_valid(meta->chrm)) {
    const float *c = meta->chrm;
    white = (cmsCIExyY){c[0], c[1], 1.0};
    prim = (cmsCIExyYTRIPLE){{c[2], c[3], 1.0}, {c[4], c[5], 1.0}, {c[6], c[7], 1.0}};
  }
  return rgb_profile(cms, &white, &prim, curve);
}

/* Fixed creation date written into every profile we save (ICC header bytes
 * 24..35: year, month, day, hour, minute, second as big-endian uint16). */
static const unsigned short k_profile_date[6] = {2025, 1, 1, 0, 0, 0};

static dm_status save_raw(dm_context *ctx, dm_cms *cms, cmsHPROFILE h, const char *subject,
                          unsigned char **bytes, cmsUInt32Number *len) {
  *bytes = NULL;
  *len = 0;
  if (!cmsSaveProfileToMem(h, NULL, len) || *len < 128)
    return dm_fail(ctx, DM_ERR_INTERNAL, subject, "cannot serialise the ICC profile (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  *bytes = malloc(*len);
  if (!*bytes) return dm_fail(ctx, DM_ERR_NOMEM, subject, "out of memory serialising the ICC profile");
  if (!cmsSaveProfileToMem(h, *bytes, len)) {
    free(*bytes);
    *bytes = NULL;
    return dm_fail(ctx, DM_ERR_INTERNAL, subject, "cannot serialise the ICC profile (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  }
  return DM_OK;
}

dm_status dm_profile_save(dm_context *ctx, dm_cms *cms, cmsHPROFILE h, const char *subject,
                          unsigned char **bytes, size_t *len) {
  *bytes = NULL;
  *len = 0;
  unsigned char *first;
  cmsUInt32Number n;
  dm_status s = save_raw(ctx, cms, h, subject, &first, &n);
  if (s != DM_OK) return s;
  /* lcms2 stamps the time of creation and has no setter for it: patch the
   * date, reopen, compute the profile ID over the patched header, save. */
  for (int i = 0; i < 6; i++) {
    first[24 + 2 * i] = (unsigned char)(k_profile_date[i] >> 8);
    first[25 + 2 * i] = (unsigned char)(k_profile_date[i] & 0xff);
  }
  cmsHPROFILE again = cmsOpenProfileFromMemTHR(cms->id, first, n);
  free(first);
  if (!again || !cmsMD5computeID(again)) {
    if (again) cmsCloseProfile(again);
    return dm_fail(ctx, DM_ERR_INTERNAL, subject, "cannot finish the ICC profile (%s)",
                   dm_cms_message(cms, "lcms2 gave no reason"));
  }
  unsigned char *final;
  s = save_raw(ctx, cms, again, subject, &final, &n);
  cmsCloseProfile(again);
  if (s != DM_OK) return s;
  *bytes = final;
  *len = n;
  return DM_OK;
}

dm_status dm_profile_output_embedded(dm_context *ctx, dm_cms *cms, dm_output_profile p, const char *subject,
                                     cmsHPROFILE *out, unsigned char **bytes, size_t *len) {
  *out = NULL;
  if (bytes) *bytes = NULL;
  if (len) *len = 0;
  cmsHPROFILE built = dm_profile_output(cms, p);
  if (!built)
    return dm_fail(ctx, DM_ERR_NOMEM, subject, "cannot build the %s profile (%s)", dm_profile_name(p),
                   dm_cms_message(cms, "out of memory"));
  unsigned char *mem = NULL;
  size_t n = 0;
  dm_status s = dm_profile_save(ctx, cms, built, subject, &mem, &n);
  cmsCloseProfile(built);
  if (s != DM_OK) return s;
  cmsHPROFILE h = cmsOpenProfileFromMemTHR(cms->id, mem, (cmsUInt32Number)n);
  if (!h) {
    free(mem);
    return dm_fail(ctx, DM_ERR_INTERNAL, subject, "cannot reopen the %s profile (%s)", dm_profile_name(p),
                   dm_cms_message(cms, "lcms2 gave no reason"));
  }
  if (bytes && len) {
    *bytes = mem;
    *len = n;
  } else {
    free(mem);
  }
  *out = h;
  return DM_OK;
}
