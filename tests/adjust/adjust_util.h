/* Helpers shared by the adjust tests (header-only; each test is one
 * executable). */
#ifndef ADJUST_UTIL_H
#define ADJUST_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "adjust/adjust.h"
#include "color/color.h"
#include "dm_test.h"

static inline float lum_stops(const float *rgb) {
  return log2f(fmaxf(dm_luma(rgb), 1e-7f) / 0.18f);
}

/* Deterministic noise in [-1, 1). */
static inline float hash_noise(uint32_t x, uint32_t y, uint32_t seed) {
  uint32_t h = x * 0x8da6b343u ^ y * 0xd8163841u ^ seed * 0xcb1ab31fu;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return (float)(h & 0xffffff) / 8388608.0f - 1.0f;
}

/* A synthetic scene: luminance ramps from -9 to +3.5 stops left to right,
 * with coloured bands top to bottom, a little texture and noise. */
static inline dm_image make_scene(dm_context *ctx, int w, int h) {
  dm_image img;
  if (dm_image_alloc(ctx, &img, w, h, 3) != DM_OK) exit(1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float stops = -9.0f + 12.5f * (float)x / (float)(w - 1);
      stops += 0.15f * sinf((float)x * 0.21f) * sinf((float)y * 0.17f) + 0.03f * hash_noise(x, y, 1);
      float Y = 0.18f * exp2f(stops);
      float hue = 6.2831853f * (float)y / (float)h;
      float chroma = 0.45f;
      float rgb[3] = {1.0f + chroma * cosf(hue), 1.0f + chroma * cosf(hue - 2.094f),
                      1.0f + chroma * cosf(hue + 2.094f)};
      float k = Y / dm_luma(rgb);
      float *p = dm_px(&img, x, y);
      for (int c = 0; c < 3; c++) p[c] = rgb[c] * k;
    }
  return img;
}

static inline dm_image copy_image(dm_context *ctx, const dm_image *src) {
  dm_image out;
  if (dm_image_copy(ctx, &out, src) != DM_OK) exit(1);
  return out;
}

static inline dm_adjust_values one_slider(dm_adjust_id id, float v) {
  dm_adjust_values vals;
  dm_adjust_defaults(&vals);
  vals.v[id] = v;
  return vals;
}

/* Apply a copy and return it. */
static inline dm_image applied(dm_context *ctx, const dm_image *src, const dm_image *mask, float amount,
                               const dm_adjust_values *vals) {
  dm_image out = copy_image(ctx, src);
  CHECK_OK(ctx, dm_adjust_apply(ctx, &out, mask, amount, vals));
  return out;
}

static inline int images_identical(const dm_image *a, const dm_image *b) {
  if (a->width != b->width || a->height != b->height || a->channels != b->channels) return 0;
  for (int y = 0; y < a->height; y++)
    if (memcmp(dm_row(a, y), dm_row(b, y), (size_t)a->width * (size_t)a->channels * sizeof(float)))
      return 0;
  return 1;
}

/* Box down-scale by an integer factor. */
static inline dm_image downscale(dm_context *ctx, const dm_image *src, int f) {
  dm_image out;
  if (dm_image_alloc(ctx, &out, src->width / f, src->height / f, src->channels) != DM_OK) exit(1);
  for (int y = 0; y < out.height; y++)
    for (int x = 0; x < out.width; x++)
      for (int c = 0; c < src->channels; c++) {
        float s = 0;
        for (int j = 0; j < f; j++)
          for (int i = 0; i < f; i++) s += dm_px(src, x * f + i, y * f + j)[c];
        dm_px(&out, x, y)[c] = s / (float)(f * f);
      }
  return out;
}

/* Bilinear up-scale by an integer factor. */
static inline dm_image upscale(dm_context *ctx, const dm_image *src, int f) {
  dm_image out;
  if (dm_image_alloc(ctx, &out, src->width * f, src->height * f, src->channels) != DM_OK) exit(1);
  for (int y = 0; y < out.height; y++) {
    float v = ((float)y + 0.5f) / (float)f - 0.5f;
    v = fmaxf(0.0f, fminf(v, (float)(src->height - 1)));
    int y0 = (int)v, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
    float fy = v - (float)y0;
    for (int x = 0; x < out.width; x++) {
      float u = ((float)x + 0.5f) / (float)f - 0.5f;
      u = fmaxf(0.0f, fminf(u, (float)(src->width - 1)));
      int x0 = (int)u, x1 = x0 + 1 < src->width ? x0 + 1 : x0;
      float fx = u - (float)x0;
      for (int c = 0; c < src->channels; c++) {
        float a = dm_px(src, x0, y0)[c] + fx * (dm_px(src, x1, y0)[c] - dm_px(src, x0, y0)[c]);
        float b = dm_px(src, x0, y1)[c] + fx * (dm_px(src, x1, y1)[c] - dm_px(src, x0, y1)[c]);
        dm_px(&out, x, y)[c] = a + fy * (b - a);
      }
    }
  }
  return out;
}

#endif
