/* HEIC colour described by an nclx box (ISO/IEC 23091-2 code points)
 * instead of an ICC profile: turned into an equivalent ICC profile with
 * lcms2, so src/color sees every tagged file the same way.
 *
 * sRGB / BT.709 primaries with an sRGB-like transfer are left untagged
 * (untagged means sRGB). BT.709's transfer is the camera OETF; encoders that
 * write it for photographs mean "display like sRGB", as browsers do. PQ and
 * HLG (HDR) have no ICC equivalent here and are left untagged too. */
#include <lcms2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

enum { CP_BT709 = 1, CP_UNSPECIFIED = 2 };
enum { TC_BT709 = 1, TC_UNSPECIFIED = 2, TC_GAMMA22 = 4, TC_GAMMA28 = 5, TC_BT601 = 6,
       TC_LINEAR = 8, TC_SRGB = 13, TC_BT2020_10 = 14, TC_BT2020_12 = 15 };

static void quiet(cmsContext c, cmsUInt32Number code, const char *text) {
  (void)c;
  (void)code;
  (void)text;
}

static int sane_xy(const float *xy) {
  for (int i = 0; i < 8; i++)
    if (!isfinite(xy[i]) || xy[i] <= 0.0f || xy[i] >= 1.0f) return 0;
  return 1;
}

int dm_nclx_to_icc(int primaries, int transfer, const float xy[8], unsigned char **icc,
                   size_t *icc_len) {
  *icc = NULL;
  *icc_len = 0;
  int srgb_like = transfer == TC_SRGB || transfer == TC_UNSPECIFIED || transfer == TC_BT709 ||
                  transfer == TC_BT601 || transfer == TC_BT2020_10 || transfer == TC_BT2020_12;
  int known = srgb_like || transfer == TC_LINEAR || transfer == TC_GAMMA22 || transfer == TC_GAMMA28;
  if (!known) return 0; /* PQ, HLG, ... */
  if ((primaries == CP_BT709 || primaries == CP_UNSPECIFIED) && srgb_like) return 0;
  if (!sane_xy(xy)) return 0;
  cmsContext lc = cmsCreateContext(NULL, NULL);
  if (!lc) return 0;
  cmsSetLogErrorHandlerTHR(lc, quiet);
  /* IEC 61966-2-1 as an ICC parametric curve of type 4. */
  cmsFloat64Number srgb[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
  cmsFloat64Number gamma[1] = {transfer == TC_LINEAR ? 1.0 : transfer == TC_GAMMA22 ? 2.2 : 2.8};
  cmsToneCurve *tc = srgb_like ? cmsBuildParametricToneCurve(lc, 4, srgb)
                               : cmsBuildParametricToneCurve(lc, 1, gamma);
  cmsCIExyY wp = {xy[0], xy[1], 1.0};
  cmsCIExyYTRIPLE prim = {{xy[2], xy[3], 1.0}, {xy[4], xy[5], 1.0}, {xy[6], xy[7], 1.0}};
  cmsToneCurve *curves[3] = {tc, tc, tc};
  cmsHPROFILE p = tc ? cmsCreateRGBProfileTHR(lc, &wp, &prim, curves) : NULL;
  int ok = 0;
  if (p) {
    char desc[96];
    snprintf(desc, sizeof desc, "HEIC nclx primaries %d transfer %d", primaries, transfer);
    cmsMLU *mlu = cmsMLUalloc(lc, 1);
    if (mlu && cmsMLUsetASCII(mlu, "en", "US", desc)) cmsWriteTag(p, cmsSigProfileDescriptionTag, mlu);
    cmsMLUfree(mlu);
    cmsUInt32Number n = 0;
    if (cmsSaveProfileToMem(p, NULL, &n) && n && (*icc = malloc(n)) &&
        cmsSaveProfileToMem(p, *icc, &n)) {
      *icc_len = n;
      ok = 1;
    } else {
      free(*icc);
      *icc = NULL;
    }
    cmsCloseProfile(p);
  }
  if (tc) cmsFreeToneCurve(tc);
  cmsDeleteContext(lc);
  return ok;
}
