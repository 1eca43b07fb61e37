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
#include <stdint.h>

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
/* src's pixels into dst, already allocated at src's size and channels. */
void dm_image_copy_pixels(dm_image *dst, const dm_image *src);
/* A view of the rectangle (x, y, w, h) of `src`; it does not own memory. */
dm_image dm_image_view(const dm_image *src, int x, int y, int w, int h);

static inline float *dm_row(const dm_image *img, int y) { return img->data + (size_t)y * img->stride; }
static inline float *dm_px(const dm_image *img, int x, int y) {
  return img->data + (size_t)y * img->stride + (size_t)x * (size_t)img->channels;
}

/* Where an image lies in the picture it is part of. A region render works
 * on a crop of the photo (the rectangle and a margin); whatever depends on
 * the picture's size or on a pixel's place in it (radii that are fractions
 * of the size, gradient and brush coordinates, the phase of a grid laid on
 * the photo, the cat's eye) reads the frame, not the crop. full_w <= 0:
 * the image is the whole picture. */
typedef struct dm_frame {
  int full_w, full_h; /* the whole picture */
  int x0, y0;         /* the image's top-left pixel in it */
} dm_frame;

/* *f, or the whole picture of a w x h image when f is NULL or unset. */
static inline dm_frame dm_frame_of(const dm_frame *f, int w, int h) {
  if (f && f->full_w > 0) return *f;
  dm_frame whole = {w, h, 0, 0};
  return whole;
}

/* The least common multiple of two grid steps (>= 1), for a crop that
 * must lie on both grids. */
static inline long long dm_grid_lcm(long long a, long long b) {
  long long x = a, y = b;
  while (y) {
    long long t = x % y;
    x = y, y = t;
  }
  return a / x * b;
}

/* A sample as 8 or 16 bits: clamped to [0, 1] (NaN -> 0), rounded. The
 * encoders' conversion, and the 8 bits a matte carries (matte.h). */
static inline uint8_t dm_to_u8(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 255;
  return (uint8_t)(v * 255.0f + 0.5f);
}
static inline uint16_t dm_to_u16(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 65535;
  return (uint16_t)(v * 65535.0f + 0.5f);
}
/* The other way: an 8-bit code as the decoders give it (the colour
 * conversion's 8-bit table, color/xform.c, is made at exactly these). */
static inline float dm_code8_float(unsigned code) { return (float)code * (1.0f / 255.0f); }

/* Largest image we accept, in pixels, to bound memory from hostile headers
 * (a 400 MP image is 4.8 GB as float RGB). */
#define DM_MAX_PIXELS (400LL * 1000 * 1000)
#define DM_MAX_DIM 65535

#endif
