/* Float image buffers.
 *
 * Pixels are interleaved float channels (1 = grey/mask, 3 = RGB, 4 = RGBA),
 * rows `stride` floats apart (stride >= width * channels), so a buffer can
 * be a view into a larger one. Values are not clamped: the working space is
 * scene-referred linear light and may exceed [0, 1] or go negative out of
 * gamut. */
#ifndef DM_IMAGE_H
#define DM_IMAGE_H

#include <stddef.h>

#include "core/context.h"

typedef struct dm_image {
  int width, height, channels;
  size_t stride; /* floats between row starts */
  float *data;
  int owns;      /* 1 if dm_image_free should free data */
} dm_image;

/* Allocate an uninitialised width x height x channels buffer. */
dm_status dm_image_alloc(dm_context *ctx, dm_image *img, int width, int height, int channels);
/* Same, zero-filled. */
dm_status dm_image_alloc_zero(dm_context *ctx, dm_image *img, int width, int height, int channels);
void dm_image_free(dm_image *img);
dm_status dm_image_copy(dm_context *ctx, dm_image *dst, const dm_image *src);
/* A view of the rectangle (x, y, w, h) of `src`; it does not own memory. */
dm_image dm_image_view(const dm_image *src, int x, int y, int w, int h);

static inline float *dm_row(const dm_image *img, int y) { return img->data + (size_t)y * img->stride; }
static inline float *dm_px(const dm_image *img, int x, int y) {
  return img->data + (size_t)y * img->stride + (size_t)x * (size_t)img->channels;
}

/* Largest image we accept, in pixels, to bound memory from hostile headers
 * (a 400 MP image is 4.8 GB as float RGB). */
#define DM_MAX_PIXELS (400LL * 1000 * 1000)
#define DM_MAX_DIM 65535

#endif
