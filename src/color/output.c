/* From the working space to an output profile's encoding, and the names of
 * the output profiles as the CLI and recipes spell them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "color/color_internal.h"
#include "core/pool.h"

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

typedef struct dm_output_xform {
  dm_cms cms; /* the transform lives in its context */
  dm_xform *xf;
} dm_output_xform;

static void output_xform_free(dm_output_xform *x) {
  if (!x) return;
  dm_xform_free(x->xf);
  dm_cms_close(&x->cms);
  free(x);
}

static dm_status output_xform_new(dm_context *ctx, dm_output_profile profile, long long pixels,
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
  if (s != DM_OK) output_xform_free(x);
  else *out = x;
  return s;
}

/* The previews' conversion, made by the first preview and kept for the
 * process: the working space to sRGB with its 8-bit code tables, and the
 * profile embedded beside the pixels. Read-only once made, so any thread
 * may use it; one that could not be made (out of memory) is tried again
 * by the next preview. */
static struct {
  pthread_mutex_t mu;
  dm_output_xform *x; /* NULL until made */
  unsigned char *icc;
  size_t icc_len;
} g_preview = {.mu = PTHREAD_MUTEX_INITIALIZER};

static dm_status preview_make(dm_context *ctx) {
  pthread_mutex_lock(&g_preview.mu);
  dm_status s = DM_OK;
  if (!g_preview.x) {
    dm_output_xform *x = NULL;
    unsigned char *icc = NULL;
    size_t icc_len = 0;
    /* pixels: any large number, for the fast path */
    s = output_xform_new(ctx, DM_PROFILE_SRGB, 1 << 24, &x, &icc, &icc_len);
    if (!s) s = dm_xform_codes_prepare(ctx, x->xf);
    if (s) {
      output_xform_free(x);
      free(icc);
    } else {
      g_preview.icc = icc, g_preview.icc_len = icc_len;
      g_preview.x = x;
    }
  }
  pthread_mutex_unlock(&g_preview.mu);
  return s;
}

typedef struct {
  const dm_image *src;
  uint8_t *dst;
} codes_job;

static void codes_rows(void *user, int ith, int nth) {
  codes_job *j = user;
  int y0, y1;
  dm_split_rows(j->src->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++)
    dm_xform_codes_row(g_preview.x->xf, dm_row(j->src, y), j->dst + (size_t)y * j->src->width * 3,
                       j->src->width);
}

dm_status dm_preview_srgb8(dm_context *ctx, const dm_image *linear, uint8_t *dst,
                           const unsigned char **icc, size_t *icc_len) {
  dm_status s = preview_make(ctx);
  if (s) return s;
  if (!linear || !linear->data || linear->channels != 3)
    return dm_fail(ctx, DM_ERR_INTERNAL, "preview", "a preview is a 3-channel image");
  codes_job j = {linear, dst};
  dm_parallel(ctx, codes_rows, &j);
  *icc = g_preview.icc, *icc_len = g_preview.icc_len;
  return DM_OK;
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
  dm_status s = output_xform_new(ctx, profile, (long long)work->width * work->height, &x, icc,
                                 icc_len);
  if (s == DM_OK && out) s = dm_image_alloc(ctx, out, work->width, work->height, 3);
  if (s == DM_OK) s = dm_xform_apply(ctx, x->xf, work, out ? out : (dm_image *)work);
  if (s != DM_OK && out) dm_image_free(out);
  if (s != DM_OK && icc) free(*icc), *icc = NULL;
  if (s != DM_OK && icc_len) *icc_len = 0;
  output_xform_free(x);
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
