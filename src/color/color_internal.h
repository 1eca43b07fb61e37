/* Internals of src/color shared by its files (and by tests/color).
 *
 * cms.c      an lcms2 context per call, its error messages routed to dm_fail
 * profiles.c the profiles we build: working space, linear ProPhoto, PNG
 *            gAMA/cHRM, sRGB grey, the four output profiles, serialisation
 * xform.c    a transform between two profiles applied to a dm_image over
 *            dm_parallel, with a tabulated fast path for matrix-shaper pairs
 * input.c    dm_color_to_working, dm_color_describe (which profile to use)
 * output.c   dm_color_from_working, dm_profile_name / dm_profile_from_name */
#ifndef DM_COLOR_INTERNAL_H
#define DM_COLOR_INTERNAL_H

#include <lcms2.h>
#include <lcms2_plugin.h>
#include <stdatomic.h>

#include "color/color.h"

/* A fast transform's input curves: IN_N nodes at k / (IN_N - 1), so 8- and
 * 16-bit code values land on nodes. */
#define IN_N 65536
/* Its output curves (xform.c) over [2^-OUT_OCT, 1], indexed
 * by the float's exponent and its top OUT_MB mantissa bits: nodes are
 * 2^-OUT_MB apart relative to x, so steep power curves near black stay
 * within ~1e-6 of lcms2. Below 2^-40 the curve is interpolated from its
 * value at 0 (OUT_SCALE = 2^OUT_OCT). */
#define OUT_OCT 40
#define OUT_SCALE 0x1p40f
#define OUT_MB 8
#define OUT_N ((OUT_OCT << OUT_MB) + 1)
#define OUT_SHIFT (23 - OUT_MB)
#define OUT_BASE ((uint32_t)(127 - OUT_OCT) << 23) /* bits of 2^-OUT_OCT */

/* The fast path from the working space (matrix, clip to [0, 1], then the
 * three output curves: lut, at0 as xform.c keeps them) on eight pixels at
 * a time with AVX2, for width pixels; returns how many it did (a multiple
 * of 8, 0 without AVX2). The same operations in the same order as the
 * scalar loop, whose products and sums are not fused (ISO C mode): the
 * same bits (xform_simd.c). */
int dm_xform_out_avx2(const float m[3][3], const float *const lut[3], const float at0[3], const float *in,
                      float *out, int width);
/* The same for the path into the working space (the three input curves,
 * then the matrix) on samples in [0, 1]. in8, when not NULL, holds each
 * curve at the 256 8-bit codes (dm_code8_float): eight pixels that are
 * all codes take their values from it (the same values: in8 was made by
 * the same interpolation). */
int dm_xform_in_avx2(const float m[3][3], const float *const lut[3], const float *in8, const float *in,
                     float *out, int width);

/* One lcms2 context: no global state, and lcms2's error messages land in
 * `msg` (the first one; later ones are usually consequences) instead of
 * lcms2's process-wide default handler. Its memory handler bounds what a
 * hostile profile can make lcms2 allocate (cms.c). The struct must not
 * move while the context is open: lcms2 keeps a pointer to it. */
typedef struct dm_cms {
  cmsContext id;
  char msg[256];
  cmsPluginMemHandler mem;
  atomic_size_t allocated;
} dm_cms;

dm_status dm_cms_open(dm_context *ctx, dm_cms *cms, const char *subject);
void dm_cms_close(dm_cms *cms);
/* The message lcms2 logged, or `fallback` when it logged none. */
const char *dm_cms_message(const dm_cms *cms, const char *fallback);
void dm_cms_clear(dm_cms *cms);

/* Profiles. Each returns NULL only when out of memory or when lcms2 rejects
 * the numbers (see dm_cms_message). The caller closes them. */
cmsHPROFILE dm_profile_working(dm_cms *cms);          /* linear Rec.2020, D65 */
cmsHPROFILE dm_profile_linear_prophoto(dm_cms *cms);  /* ROMM primaries, D50, linear */
cmsHPROFILE dm_profile_srgb(dm_cms *cms);
cmsHPROFILE dm_profile_gray_srgb(dm_cms *cms);        /* grey with the sRGB tone curve */
cmsHPROFILE dm_profile_output(dm_cms *cms, dm_output_profile p);
/* PNG colour chunks: primaries and white from cHRM (sRGB's when absent),
 * transfer 1/gamma (sRGB's curve when gAMA is absent). `channels` 1 gives
 * a grey profile with the same transfer. */
cmsHPROFILE dm_profile_png(dm_cms *cms, const dm_metadata *meta, int channels);
/* Whether the PNG chunks are usable: gAMA in a sane range, cHRM with
 * chromaticities inside the unit square and y > 0. */
int dm_png_gamma_valid(float gamma);
int dm_png_chrm_valid(const float chrm[8]);

/* An output profile as it is embedded in files: built, serialised (which
 * rounds colorants to s15Fixed16) and reopened. Encoding with this one, and
 * decoding untagged sRGB with it, keeps pixels and embedded profile in exact
 * agreement. `bytes`/`len` may be NULL; else they receive the serialisation
 * (malloc'd). */
dm_status dm_profile_output_embedded(dm_context *ctx, dm_cms *cms, dm_output_profile p,
                                     const char *subject, cmsHPROFILE *out, unsigned char **bytes,
                                     size_t *len);

/* Serialise to malloc'd bytes, with a fixed creation date and the MD5
 * profile ID, so that the same profile always gives the same bytes. */
dm_status dm_profile_save(dm_context *ctx, dm_cms *cms, cmsHPROFILE h, const char *subject,
                          unsigned char **bytes, size_t *len);

/* Transforms. */
typedef struct dm_xform dm_xform;
enum {
  DM_XFORM_CLIP = 1,      /* clip the output to [0, 1] */
  DM_XFORM_LCMS_ONLY = 2, /* never use the tabulated fast path (tests, reference) */
};
/* `in_channels` is 1 (grey profile) or 3 (RGB); the output is always RGB.
 * Relative colorimetric, no black point compensation. `pixels` is how many
 * pixels will be converted: small jobs skip building the fast path. */
dm_status dm_xform_new(dm_context *ctx, dm_cms *cms, cmsHPROFILE in, int in_channels,
                       cmsHPROFILE out, int flags, long long pixels, const char *subject,
                       dm_xform **xf);
/* 1 when the fast path is in use (it passed its check against lcms2). */
int dm_xform_is_fast(const dm_xform *xf);
/* Convert `src` (in_channels) into `dst` (3 channels, same size, allocated
 * by the caller). Rows are split over dm_parallel. */
dm_status dm_xform_apply(dm_context *ctx, const dm_xform *xf, const dm_image *src, dm_image *dst);
void dm_xform_free(dm_xform *xf);
/* For a matrix + clip + curves transform (the working space to a display
 * profile): tables from which dm_xform_codes_row writes 8-bit codes
 * straight from linear floats (3 channels), for previews. */
dm_status dm_xform_codes_prepare(dm_context *ctx, dm_xform *xf);
void dm_xform_codes_row(const dm_xform *xf, const float *in, uint8_t *out, int width);

/* The profile src/color uses for a decoded image's samples (embedded ICC,
 * PNG chunks, sRGB, linear ProPhoto), checked against its channel count.
 * Errors name `name`. */
dm_status dm_color_input_profile(dm_context *ctx, dm_cms *cms, const dm_decoded *in,
                                 const char *name, cmsHPROFILE *out);

#endif
