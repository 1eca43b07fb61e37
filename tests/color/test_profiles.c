/* The output profiles we write are valid ICC: lcms2 reopens them, their
 * descriptions, white points, primaries and tone curves are the published
 * ones, the bytes are the same every time, and the profile ID is right.
 * Also the profile names, and the encoding of a neutral grey in each. */
#include <lcms2.h>
#include <string.h>

#include "color/color.h"
#include "dm_test.h"

typedef struct {
  dm_output_profile p;
  const char *name, *description;
  double white[2], prim[3][2];
  int curve; /* 0 = sRGB piecewise, else pure power with exponent `gamma` */
  double gamma;
} expected;

/* Published numbers: IEC 61966-2-1 (sRGB), Adobe RGB (1998) Color Image
 * Encoding v2005-05, SMPTE EG 432-1 (P3, D65), ISO 22028-2 (ROMM/ProPhoto). */
static const expected k_expected[] = {
    {DM_PROFILE_SRGB, "srgb", "sRGB IEC61966-2.1 (depthmask)", {0.3127, 0.3290},
     {{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}, 0, 0},
    {DM_PROFILE_ADOBERGB, "adobergb", "Adobe RGB (1998) compatible (depthmask)", {0.3127, 0.3290},
     {{0.64, 0.33}, {0.21, 0.71}, {0.15, 0.06}}, 1, 563.0 / 256.0},
    {DM_PROFILE_P3, "p3", "Display P3 (depthmask)", {0.3127, 0.3290},
     {{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, 0, 0},
    {DM_PROFILE_PROPHOTO, "prophoto", "ProPhoto RGB (depthmask)", {0.3457, 0.3585},
     {{0.7347, 0.2653}, {0.1596, 0.8404}, {0.0366, 0.0001}}, 1, 1.8},
};

static double srgb_encode(double v) { return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055; }
static double srgb_decode(double v) { return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4); }

static void invert3(const double m[9], double r[9]) {
  double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
  double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  r[0] = (e * i - f * h) / det, r[1] = (c * h - b * i) / det, r[2] = (b * f - c * e) / det;
  r[3] = (f * g - d * i) / det, r[4] = (a * i - c * g) / det, r[5] = (c * d - a * f) / det;
  r[6] = (d * h - e * g) / det, r[7] = (b * g - a * h) / det, r[8] = (a * e - b * d) / det;
}

/* Undo the profile's chromatic adaptation (chad) and return x, y. */
static void unadapted_xy(const double inv_chad[9], const cmsCIEXYZ *v, double xy[2]) {
  double X = inv_chad[0] * v->X + inv_chad[1] * v->Y + inv_chad[2] * v->Z;
  double Y = inv_chad[3] * v->X + inv_chad[4] * v->Y + inv_chad[5] * v->Z;
  double Z = inv_chad[6] * v->X + inv_chad[7] * v->Y + inv_chad[8] * v->Z;
  xy[0] = X / (X + Y + Z);
  xy[1] = Y / (X + Y + Z);
}

static void check_profile(dm_context *ctx, const expected *e, const dm_image *grey) {
  dm_image enc;
  unsigned char *icc = NULL, *icc2 = NULL;
  size_t len = 0, len2 = 0;
  CHECK_OK(ctx, dm_color_from_working(ctx, grey, e->p, &enc, &icc, &len));
  if (!icc) return;
  dm_image enc2;
  CHECK_OK(ctx, dm_color_from_working(ctx, grey, e->p, &enc2, &icc2, &len2));
  CHECK(len == len2 && icc2 && !memcmp(icc, icc2, len)); /* reproducible bytes */

  cmsHPROFILE h = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
  CHECK(h != NULL);
  if (h) {
    char desc[256] = "", copy[256] = "";
    cmsGetProfileInfoASCII(h, cmsInfoDescription, "en", "US", desc, sizeof desc);
    cmsGetProfileInfoASCII(h, cmsInfoCopyright, "en", "US", copy, sizeof copy);
    if (strcmp(desc, e->description)) fprintf(stderr, "%s: description '%s'\n", e->name, desc);
    CHECK(!strcmp(desc, e->description));
    CHECK(strlen(copy) > 10);
    CHECK(cmsGetColorSpace(h) == cmsSigRgbData);
    CHECK(cmsGetPCS(h) == cmsSigXYZData);
    CHECK(cmsGetDeviceClass(h) == cmsSigDisplayClass);
    CHECK(cmsIsMatrixShaper(h));

    /* White point and primaries, after undoing the adaptation to D50. */
    const double *chad = cmsReadTag(h, cmsSigChromaticAdaptationTag);
    const cmsCIEXYZ *wtpt = cmsReadTag(h, cmsSigMediaWhitePointTag);
    const cmsCIEXYZ *col[3] = {cmsReadTag(h, cmsSigRedColorantTag), cmsReadTag(h, cmsSigGreenColorantTag),
                               cmsReadTag(h, cmsSigBlueColorantTag)};
    CHECK(chad && wtpt && col[0] && col[1] && col[2]);
    if (chad && wtpt && col[0] && col[1] && col[2]) {
      double inv[9], xy[2];
      invert3(chad, inv);
      unadapted_xy(inv, wtpt, xy);
      CHECK_NEAR(xy[0], e->white[0], 2e-4);
      CHECK_NEAR(xy[1], e->white[1], 2e-4);
      for (int c = 0; c < 3; c++) {
        unadapted_xy(inv, col[c], xy);
        CHECK_NEAR(xy[0], e->prim[c][0], 2e-4);
        CHECK_NEAR(xy[1], e->prim[c][1], 2e-4);
      }
    }
    /* Tone curve against its formula. */
    const cmsToneCurve *trc = cmsReadTag(h, cmsSigGreenTRCTag);
    CHECK(trc != NULL);
    for (double v = 0.0; trc && v <= 1.0; v += 1.0 / 16) {
      double want = e->curve ? pow(v, e->gamma) : srgb_decode(v);
      CHECK_NEAR(cmsEvalToneCurveFloat(trc, (float)v), want, 2e-5);
    }
    /* The MD5 profile ID in the header matches the content. */
    cmsUInt8Number id[16], id2[16], zero[16] = {0};
    cmsGetHeaderProfileID(h, id);
    CHECK(memcmp(id, zero, 16) != 0);
    CHECK(cmsMD5computeID(h));
    cmsGetHeaderProfileID(h, id2);
    CHECK(!memcmp(id, id2, 16));
    cmsCloseProfile(h);
  }

  /* A neutral grey stays neutral and is encoded by the profile's curve. */
  for (int x = 0; x < grey->width; x++) {
    double lin = fmax(0.0, dm_px(grey, x, 0)[0]), want = e->curve ? pow(lin, 1.0 / e->gamma) : srgb_encode(lin);
    want = want < 0 ? 0 : want > 1 ? 1 : want;
    for (int c = 0; c < 3; c++) CHECK_NEAR(dm_px(&enc, x, 0)[c], want, 3e-5);
  }
  dm_image_free(&enc);
  dm_image_free(&enc2);
  free(icc);
  free(icc2);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  /* Linear greys from black to beyond white, as the working space holds. */
  dm_image grey;
  CHECK_OK(ctx, dm_image_alloc(ctx, &grey, 12, 1, 3));
  static const float levels[12] = {0.0f, 1e-6f, 1e-4f, 0.002f, 0.01f, 0.05f, 0.18f, 0.4f, 0.7f, 1.0f, 1.5f, -0.2f};
  for (int x = 0; x < 12; x++)
    for (int c = 0; c < 3; c++) dm_px(&grey, x, 0)[c] = levels[x];

  for (size_t i = 0; i < sizeof k_expected / sizeof k_expected[0]; i++) {
    const expected *e = &k_expected[i];
    dm_output_profile p = DM_PROFILE_COUNT;
    CHECK(!strcmp(dm_profile_name(e->p), e->name));
    CHECK(dm_profile_from_name(e->name, &p) && p == e->p);
    check_profile(ctx, e, &grey);
  }
  dm_output_profile p;
  CHECK(!dm_profile_from_name("sRGB2", &p));
  CHECK(!dm_profile_from_name("", &p));
  CHECK(!dm_profile_from_name(NULL, &p));

  /* Bad arguments are errors, not crashes. */
  dm_image out;
  CHECK(dm_color_from_working(ctx, &grey, DM_PROFILE_COUNT, &out, NULL, NULL) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "profile") != NULL);
  dm_image one = grey;
  one.channels = 1;
  CHECK(dm_color_from_working(ctx, &one, DM_PROFILE_SRGB, &out, NULL, NULL) == DM_ERR_PARAM);

  dm_image_free(&grey);
  dm_context_free(ctx);
  return dm_test_done("color/test_profiles");
}
