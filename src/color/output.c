/* From the working space to an output profile's encoding, and the names of
 * the output profiles as the CLI and recipes spell them. */
#include <stdlib.h>
#include <string.h>

#include "color/color_internal.h"

static const char *const k_names[DM_PROFILE_COUNT] = {
    [DM_PROFILE_SRGB] = "srgb",
    [DM_PROFILE_ADOBERGB] = "adobergb",
    [DM_PROFILE_P3] = "p3",
    [DM_PROFILE_PROPHOTO] = "prophoto",
};
_Static_assert(sizeof k_names / sizeof k_names[0] == DM_PROFILE_COUNT, "one name per output profile");

const char *dm_profile_name(dm_output_profile p) {
  return (unsigned)p < DM_PROFILE_COUNT ? k_names[p] : "unknown";
}

int dm_profile_from_name(const char *name, dm_output_profile *out) {
  if (!name) return 0;
  for (int i = 0; i < DM_PROFILE_COUNT; i++)
    if (!strcmp(name, k_names[i])) {
      if (out) *out = (dm_output_profile)i;
      return 1;
    }
  return 0;
}

struct dm_output_xform {
  dm_cms cms; /* the transform lives in its context */
  dm_xform *xf;
};

void dm_output_xform_free(dm_output_xform *x) {
  if (!x) return;
  dm_xform_free(x->xf);
  dm_cms_close(&x->cms);
  free(x);
}

dm_status dm_output_xform_new(dm_context *ctx, dm_output_profile profile, long long pixels,
                              dm_output_xform **out, unsigned char **icc, size_t *icc_len) {
  *out = NULL;
  if (icc) *icc = NULL;
  if (icc_len) *icc_len = 0;
  if ((unsigned)profile >= DM_PROFILE_COUNT)
    return dm_fail(ctx, DM_ERR_PARAM, "profile", "unknown output profile %d", (int)profile);
  const char *pname = k_names[profile];
  dm_output_xform *x = calloc(1, sizeof *x);
  if (!x) return dm_fail(ctx, DM_ERR_NOMEM, pname, "out of memory");
  dm_status s = dm_cms_open(ctx, &x->cms, pname);
  if (s != DM_OK) {
    free(x);
    return s;
  }
  /* Encode with the profile as serialised, not the in-memory one, so that
   * the pixels and the profile embedded beside them agree exactly. */
  unsigned char *bytes = NULL;
  size_t len = 0;
  cmsHPROFILE src = dm_profile_working(&x->cms), dst = NULL;
  if (!src)
    s = dm_fail(ctx, DM_ERR_NOMEM, pname, "cannot build the working space profile (%s)",
                dm_cms_message(&x->cms, "out of memory"));
  if (s == DM_OK) s = dm_profile_output_embedded(ctx, &x->cms, profile, pname, &dst, &bytes, &len);
  if (s == DM_OK) s = dm_xform_new(ctx, &x->cms, src, 3, dst, DM_XFORM_CLIP, pixels, pname, &x->xf);
  if (s == DM_OK && icc && icc_len) {
    *icc = bytes;
    *icc_len = len;
    bytes = NULL;
  }
  free(bytes);
  if (src) cmsCloseProfile(src);
  if (dst) cmsCloseProfile(dst);
  if (s != DM_OK) dm_output_xform_free(x);
  else *out = x;
  return s;
}

dm_status dm_output_xform_apply(dm_context *ctx, const dm_output_xform *x, const dm_image *src,
                                dm_image *dst) {
  return dm_xform_apply(ctx, x->xf, src, dst);
}

/* Convert into `out`, or into `work` itself when out is NULL. */
static dm_status from_working(dm_context *ctx, const dm_image *work, dm_output_profile profile,
                              dm_image *out, unsigned char **icc, size_t *icc_len) {
  if (out) memset(out, 0, sizeof *out);
  if (icc) *icc = NULL;
  if (icc_len) *icc_len = 0;
  const char *pname = (unsigned)profile < DM_PROFILE_COUNT ? k_names[profile] : "profile";
  if (!work || !work->data || work->width <= 0 || work->height <= 0 || work->channels != 3 ||
      work->stride < (size_t)work->width * 3)
    return dm_fail(ctx, DM_ERR_PARAM, pname, "the working image must be a non-empty 3-channel image");
  dm_output_xform *x = NULL;
  dm_status s = dm_output_xform_new(ctx, profile, (long long)work->width * work->height, &x, icc,
                                    icc_len);
  if (s == DM_OK && out) s = dm_image_alloc(ctx, out, work->width, work->height, 3);
  if (s == DM_OK) s = dm_output_xform_apply(ctx, x, work, out ? out : (dm_image *)work);
  if (s != DM_OK && out) dm_image_free(out);
  if (s != DM_OK && icc) free(*icc), *icc = NULL;
  if (s != DM_OK && icc_len) *icc_len = 0;
  dm_output_xform_free(x);
  return s;
}

dm_status dm_color_from_working(dm_context *ctx, const dm_image *work, dm_output_profile profile,
                                dm_image *out, unsigned char **icc, size_t *icc_len) {
  return from_working(ctx, work, profile, out, icc, icc_len);
}

dm_status dm_color_from_working_inplace(dm_context *ctx, dm_image *work, dm_output_profile profile,
                                        unsigned char **icc, size_t *icc_len) {
  return from_working(ctx, work, profile, NULL, icc, icc_len);
}
