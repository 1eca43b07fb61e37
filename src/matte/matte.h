/* The subject matte: a float plane the size of the photo, 1 = subject.
 * From a file (`--matte FILE`), Apple's embedded portrait matte
 * (depth/embedded.h) or the ISNet network, refined for hair at full
 * resolution. */
#ifndef DM_MATTE_H
#define DM_MATTE_H

#include "core/image.h"

struct dm_io_prefetch;

/* Read a grey matte (8/16-bit; RGB files use their luminance) into a
 * caller-zeroed `out`, resampled to width x height (one warning if the size
 * differs), values clamped to [0, 1]. Errors name the file. `prefetch`
 * (may be NULL): the file already decoding (io/prefetch.h). */
dm_status dm_matte_from_file(dm_context *ctx, const char *path, struct dm_io_prefetch *prefetch, int width,
                             int height, dm_image *out);

struct dm_model_entry;

/* ISNet (DIS) subject matte through src/nn at the network's 1024 x 1024.
 * `srgb`: the photo, 3 channels sRGB-encoded in [0, 1], any size (usually a
 * ~1 MP proxy); `out` (allocated here) is srgb's size, values in [0, 1].
 * DM_ERR_IO when the model is not installed. */
dm_status dm_matte_network(dm_context *ctx, const dm_image *srgb, dm_image *out,
                           const struct dm_model_entry **used);

/* Bring a low-resolution matte to the photo's full resolution and refine
 * its soft edge against the photo so it holds on hair: `guide` is the
 * full-resolution photo (3 channels, sRGB-encoded, [0, 1]); `low` any
 * smaller size; `out` (allocated here) the guide's size, in [0, 1]. Where
 * `low` is confidently 0 or 1 the result stays so; only the uncertain band
 * is re-estimated from the photo's colours. */
dm_status dm_matte_refine(dm_context *ctx, const dm_image *guide, const dm_image *low, dm_image *out);

/* ---- the two layers of a soft edge (fb_estimate.c, matte_layers.c) ---- */

/* F and B of every soft pixel, into L's slots (L's positions set and fg,
 * bg allocated by the caller, as dm_matte_layers_build does), such that
 * rgb ~ alpha·F + (1 − alpha)·B with both smooth where alpha changes:
 * multi-level foreground estimation. `rgb` is linear light. */
struct dm_matte_layers;
dm_status dm_matte_estimate_fb(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                               struct dm_matte_layers *L);

/* An automatic matte checked against the photo (linear `rgb`): its soft
 * pixels re-estimated from the colours of F and B around them where these
 * differ by more than the photo's noise, then dm_matte_clean. In place. */
dm_status dm_matte_from_colour(dm_context *ctx, const dm_image *rgb, dm_image *alpha);

/* Values below 1/16 not connected to the subject (through values of at
 * least 1/16 to one of at least 0.5), and not next to it, become 0. */
dm_status dm_matte_clean(dm_context *ctx, dm_image *alpha);

/* A soft pixel, partly subject: alpha 2..254 of the 255 a matte carries
 * (dm_to_u8). Below, the subject's share is under 0.6 % and the pixel is
 * background; above, subject. The lens blur splits these alone
 * (blur/matte.c), so the corrections on the layers (pipeline/layers.c) do
 * too: a pixel the blur takes as background is not changed by a subject's
 * correction. */
/* dm_to_u8(alpha) written as selects, not branches, so loops over a matte
 * vectorise: NaN and anything not above 0 give 0, 1 and above 255. */
static inline int dm_matte_code(float alpha) {
  float v = alpha > 0.0f ? alpha : 0.0f;
  v = v < 1.0f ? v : 1.0f;
  return (int)(v * 255.0f + 0.5f);
}
static inline int dm_matte_soft(float alpha) {
  const int q = dm_matte_code(alpha);
  return (q > 1) & (q < 255);
}
/* Subject through and through: 255 of 255. */
static inline int dm_matte_opaque(float alpha) { return dm_matte_code(alpha) == 255; }

/* F and B of every soft pixel (dm_matte_soft), row by row. */
typedef struct dm_matte_layers {
  int width, height;
  size_t n;          /* soft pixels */
  size_t *row_start; /* height + 1: the slots of row y are row_start[y] .. row_start[y+1]-1 */
  int *x;            /* column of each slot, ascending within a row */
  float *fg, *bg;    /* 3 floats a slot, linear working space */
} dm_matte_layers;

/* The layers of `alpha`'s soft pixels over linear `rgb`: estimate, then settle. */
dm_status dm_matte_layers_build(dm_context *ctx, const dm_image *rgb, const dm_image *alpha,
                                dm_matte_layers *out);
/* Its steps, for a caller that keeps the estimate (the depth cache):
 * positions: the soft pixels' slots, F and B allocated, not set; then
 * dm_matte_estimate_fb; then settle: F and B moved so that
 * alpha·F + (1 − alpha)·B is rgb exactly. */
dm_status dm_matte_layers_positions(dm_context *ctx, const dm_image *alpha, dm_matte_layers *out);
void dm_matte_layers_settle(dm_context *ctx, const dm_image *rgb, const dm_image *alpha, dm_matte_layers *L);
/* Slot of pixel (x, y), or -1 when it is not soft (or L is NULL/empty). */
long dm_matte_layers_find(const dm_matte_layers *L, int x, int y);
void dm_matte_layers_free(dm_matte_layers *L);
/* The soft pixels of L in the rectangle (x0, y0, w, h), which lies inside
 * L, with their F and B, as the layers of that crop (columns from x0). */
dm_status dm_matte_layers_crop(dm_context *ctx, const dm_matte_layers *L, int x0, int y0, int w,
                               int h, dm_matte_layers *out);

#endif
