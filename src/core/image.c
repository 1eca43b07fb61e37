#include "core/image.h"

#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"

static float *alloc_floats(size_t n, int zero) {
  return zero ? dm_big_calloc(n * sizeof(float)) : dm_big_alloc(n * sizeof(float));
}

static dm_status alloc_impl(dm_context *ctx, dm_image *img, int w, int h, int c, int zero) {
  memset(img, 0, sizeof *img);
  if (w <= 0 || h <= 0 || c <= 0 || c > 4 || w > DM_MAX_DIM || h > DM_MAX_DIM ||
      (long long)w * h > DM_MAX_PIXELS)
    return dm_fail(ctx, DM_ERR_RANGE, NULL, "image size %dx%dx%d not supported", w, h, c);
  size_t n = (size_t)w * (size_t)h * (size_t)c;
  float *p = alloc_floats(n, zero);
  if (!p) return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for a %dx%d image", w, h);
  img->width = w;
  img->height = h;
  img->channels = c;
  img->stride = (size_t)w * (size_t)c;
  img->data = p;
  img->owns = 1;
  return DM_OK;
}

dm_status dm_image_alloc(dm_context *ctx, dm_image *img, int w, int h, int c) {
  return alloc_impl(ctx, img, w, h, c, 0);
}

dm_status dm_image_alloc_zero(dm_context *ctx, dm_image *img, int w, int h, int c) {
  return alloc_impl(ctx, img, w, h, c, 1);
}

void dm_image_free(dm_image *img) {
  if (!img) return;
  if (img->owns) dm_big_free(img->data);
  memset(img, 0, sizeof *img);
}

dm_status dm_image_copy(dm_context *ctx, dm_image *dst, const dm_image *src) {
  dm_status s = dm_image_alloc(ctx, dst, src->width, src->height, src->channels);
  if (s) return s;
  dm_image_copy_pixels(dst, src);
  return DM_OK;
}

void dm_image_copy_pixels(dm_image *dst, const dm_image *src) {
  size_t row = (size_t)src->width * (size_t)src->channels * sizeof(float);
  for (int y = 0; y < src->height; y++) memcpy(dm_row(dst, y), dm_row(src, y), row);
}

dm_image dm_image_view(const dm_image *src, int x, int y, int w, int h) {
  dm_image v = *src;
  v.owns = 0;
  v.width = w;
  v.height = h;
  v.data = dm_px(src, x, y);
  return v;
}
