/* The subject matte: a float plane the size of the photo, 1 = subject.
 * So far from a file (`--matte FILE`); ISNet and Apple's embedded portrait
 * matte join later through the same call site. */
#ifndef DM_MATTE_H
#define DM_MATTE_H

#include "core/image.h"

/* Read a grey matte (8/16-bit; RGB files use their luminance) into a
 * caller-zeroed `out`, resampled to width x height (one warning if the size
 * differs), values clamped to [0, 1]. Errors name the file. */
dm_status dm_matte_from_file(dm_context *ctx, const char *path, int width, int height, dm_image *out);

#endif
