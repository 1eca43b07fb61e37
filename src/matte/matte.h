/* The subject matte: a float plane the size of the photo, 1 = subject.
 * From a file (`--matte FILE`), Apple's embedded portrait matte
 * (depth/embedded.h) or the ISNet network, refined for hair at full
 * resolution. */
#ifndef DM_MATTE_H
#define DM_MATTE_H

#include "core/image.h"

/* Read a grey matte (8/16-bit; RGB files use their luminance) into a
 * caller-zeroed `out`, resampled to width x height (one warning if the size
 * differs), values clamped to [0, 1]. Errors name the file. */
dm_status dm_matte_from_file(dm_context *ctx, const char *path, int width, int height, dm_image *out);

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

#endif
