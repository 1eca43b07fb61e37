/* libFuzzer target for embedded ICC profiles, the way a photo's bytes reach
 * lcms2's ICC parser: the input is the profile embedded in a tiny decoded
 * image (2x2 RGB, then 2x2 grey), converted to the working space and
 * described as `depthmask info` would. Matrix-shaper RGB profiles also go
 * through the tabulated fast path's construction (src/color/xform.c), which
 * reads the profile's curves and colorants, as a large image would.
 * Seeds: our output profiles and /usr/share/color/icc/ (libgs-common). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "color/color_internal.h"

static void convert(dm_context *ctx, const uint8_t *data, size_t size, int channels) {
  static const float samples[4][3] = {{0, 0, 0}, {1, 1, 1}, {0.25f, 0.5f, 0.75f}, {0.9f, 0.05f, 0.3f}};
  dm_decoded d;
  memset(&d, 0, sizeof d);
  if (dm_image_alloc(ctx, &d.img, 2, 2, channels) != DM_OK) abort();
  for (int i = 0; i < 4; i++) memcpy(dm_px(&d.img, i % 2, i / 2), samples[i], (size_t)channels * sizeof(float));
  d.meta.format = DM_FMT_JPEG;
  d.meta.bits = 8;
  d.meta.icc = (unsigned char *)data;
  d.meta.icc_len = size;
  dm_image out;
  dm_status s = dm_color_to_working(ctx, &d, "fuzz.jpg", &out);
  if (s == DM_OK) {
    dm_image_free(&out);
  } else if (strncmp(dm_context_error(ctx), "fuzz.jpg: ", 10) != 0) {
    fprintf(stderr, "error does not name the file: %s\n", dm_context_error(ctx));
    abort();
  }
  char desc[256];
  dm_color_describe(&d, desc, sizeof desc);
  dm_image_free(&d.img);
}

/* Build the fast path as for a large image, then run it on 2x2 pixels. */
static void fast_path(dm_context *ctx, const uint8_t *data, size_t size) {
  dm_cms cms;
  if (size > UINT32_MAX || dm_cms_open(ctx, &cms, "fuzz") != DM_OK) return;
  cmsHPROFILE in = cmsOpenProfileFromMemTHR(cms.id, data, (cmsUInt32Number)size);
  cmsHPROFILE work = dm_profile_working(&cms);
  dm_xform *xf = NULL;
  if (in && work && cmsGetColorSpace(in) == cmsSigRgbData && cmsIsMatrixShaper(in) &&
      dm_xform_new(ctx, &cms, in, 3, work, 0, 1 << 20, "fuzz", &xf) == DM_OK) {
    dm_image src, dst;
    if (dm_image_alloc_zero(ctx, &src, 2, 2, 3) != DM_OK || dm_image_alloc(ctx, &dst, 2, 2, 3) != DM_OK) abort();
    dm_px(&src, 1, 1)[0] = 1.0f;
    dm_px(&src, 1, 0)[1] = 0.5f;
    if (dm_xform_apply(ctx, xf, &src, &dst) != DM_OK) abort();
    dm_image_free(&src);
    dm_image_free(&dst);
  }
  dm_xform_free(xf);
  if (work) cmsCloseProfile(work);
  if (in) cmsCloseProfile(in);
  dm_cms_close(&cms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  convert(ctx, data, size, 3);
  convert(ctx, data, size, 1);
  fast_path(ctx, data, size);
  dm_context_free(ctx);
  return 0;
}
