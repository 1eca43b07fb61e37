/* Resampling of planes (masks, depth, mattes) and images: separable, each
 * axis on its own, area-averaged when it shrinks (every source pixel counts,
 * no aliasing) and bilinear on pixel centres when it grows; the same size is
 * a copy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/resample.h"

/* Output sample i of one axis = sum of w[i * k + n] * src[start[i] + n],
 * n < count[i]. */
typedef struct {
  int *start, *count;
  float *w;
  int k;
} axis_weights;

static void weights_free(axis_weights *a) {
  free(a->start);
  free(a->count);
  free(a->w);
}

static dm_status weights_make(dm_context *ctx, int src, int dst, axis_weights *a, const char *name) {
  const double scale = (double)src / dst;
  a->k = src > dst ? (int)ceil(scale) + 2 : 2;
  a->start = malloc((size_t)dst * sizeof *a->start);
  a->count = malloc((size_t)dst * sizeof *a->count);
  a->w = calloc((size_t)dst * (size_t)a->k, sizeof *a->w);
  if (!a->start || !a->count || !a->w) {
    weights_free(a);
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory resizing");
  }
  for (int i = 0; i < dst; i++) {
    float *w = a->w + (size_t)i * (size_t)a->k;
    if (src > dst) { /* area: the overlap of [j, j+1) with [lo, hi) */
      double lo = i * scale, hi = (i + 1) * scale;
      int j0 = (int)floor(lo), j1 = (int)ceil(hi);
      if (j1 > src) j1 = src;
      a->start[i] = j0;
      a->count[i] = j1 - j0;
      for (int j = j0; j < j1; j++)
        w[j - j0] = (float)((fmin(hi, j + 1.0) - fmax(lo, (double)j)) / scale);
    } else { /* bilinear between the two nearest pixel centres */
      double s = (i + 0.5) * scale - 0.5;
      if (s < 0) s = 0;
      if (s > src - 1) s = src - 1;
      int j0 = (int)floor(s);
      double fr = s - j0;
      a->start[i] = j0;
      if (fr == 0 || j0 + 1 >= src) {
        a->count[i] = 1;
        w[0] = 1;
      } else {
        a->count[i] = 2;
        w[0] = (float)(1 - fr);
        w[1] = (float)fr;
      }
    }
  }
  return DM_OK;
}

typedef struct {
  const dm_image *src;
  dm_image *dst;
  const axis_weights *a;
  int clamp; /* last pass: clamp to [0, 1] */
} pass_job;

static float clamp01(float v) { return v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f; /* NaN -> 0 */ }

/* One row along x, every channel of an output sample summed in the same
 * pass over its taps (each channel's sum in tap order, as one channel at a
 * time would): the generic loop re-reads the weights per channel and GCC
 * keeps none of it in registers. */
static inline void row_x(const float *s, float *d, const axis_weights *a, int width, int c, int clamp) {
  for (int x = 0; x < width; x++) {
    const float *w = a->w + (size_t)x * (size_t)a->k;
    const float *p = s + (size_t)a->start[x] * c;
    const int count = a->count[x];
    if (c == 1) {
      float v = 0;
      for (int n = 0; n < count; n++) v += w[n] * p[n];
      d[x] = clamp ? clamp01(v) : v;
    } else if (c == 3) {
      float v0 = 0, v1 = 0, v2 = 0;
      for (int n = 0; n < count; n++) v0 += w[n] * p[3 * n], v1 += w[n] * p[3 * n + 1], v2 += w[n] * p[3 * n + 2];
      d[3 * x] = clamp ? clamp01(v0) : v0;
      d[3 * x + 1] = clamp ? clamp01(v1) : v1;
      d[3 * x + 2] = clamp ? clamp01(v2) : v2;
    } else
      for (int k = 0; k < c; k++) {
        float v = 0;
        for (int n = 0; n < count; n++) v += w[n] * p[n * c + k];
        d[x * c + k] = clamp ? clamp01(v) : v;
      }
  }
}

/* Along x: dst row y from src row y. */
static void pass_x(void *user, int ith, int nth) {
  pass_job *j = user;
  int y0, y1;
  dm_split_rows(j->dst->height, ith, nth, &y0, &y1);
  const int c = j->dst->channels, width = j->dst->width;
  for (int y = y0; y < y1; y++) {
    const float *s = dm_row(j->src, y);
    float *d = dm_row(j->dst, y);
    /* constant channel counts, so each call site is its own loop */
    if (c == 1) row_x(s, d, j->a, width, 1, j->clamp);
    else if (c == 3) row_x(s, d, j->a, width, 3, j->clamp);
    else row_x(s, d, j->a, width, c, j->clamp);
  }
}

/* Along y: dst row y from src rows start[y].. */
static void pass_y(void *user, int ith, int nth) {
  pass_job *j = user;
  int y0, y1;
  dm_split_rows(j->dst->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *w = j->a->w + (size_t)y * (size_t)j->a->k;
    float *d = dm_row(j->dst, y);
    const int n_f = j->dst->width * j->dst->channels;
    for (int x = 0; x < n_f; x++) d[x] = 0;
    for (int n = 0; n < j->a->count[y]; n++) {
      const float *s = dm_row(j->src, j->a->start[y] + n);
      for (int x = 0; x < n_f; x++) d[x] += w[n] * s[x];
    }
    if (j->clamp)
      for (int x = 0; x < n_f; x++) d[x] = clamp01(d[x]);
  }
}

void dm_lerp_row_x(const float *src, int channels, int src_w, const int *x0, const float *fx, int w,
                   float *dst) {
  for (int x = 0; x < w; x++) {
    const int c0 = x0[x] * channels, c1 = (x0[x] + 1 < src_w ? x0[x] + 1 : x0[x]) * channels;
    for (int c = 0; c < channels; c++) dst[(size_t)c * w + x] = src[c0 + c] + fx[x] * (src[c1 + c] - src[c0 + c]);
  }
}

dm_status dm_grey_plane(dm_context *ctx, const dm_image *img, const float weights[3], dm_image *grey) {
  if (img->channels == 1) {
    *grey = *img;
    grey->owns = 0;
    return DM_OK;
  }
  dm_status s = dm_image_alloc(ctx, grey, img->width, img->height, 1);
  if (s) return s;
  for (int y = 0; y < img->height; y++) {
    const float *p = dm_row(img, y);
    float *g = dm_row(grey, y);
    for (int x = 0; x < img->width; x++, p += img->channels)
      g[x] = img->channels >= 3 ? weights[0] * p[0] + weights[1] * p[1] + weights[2] * p[2] : p[0];
  }
  return DM_OK;
}

/* Samples [i0, i0 + n) of the axis `a` as weights of their own, with their
 * sources counted from the first one they read (*lo; *hi is one past the
 * last). Only `start` is p's own (free it alone). */
static dm_status weights_part(dm_context *ctx, const axis_weights *a, int i0, int n, axis_weights *p,
                              int *lo, int *hi, const char *name) {
  p->k = a->k;
  p->count = a->count + i0;
  p->w = a->w + (size_t)i0 * (size_t)a->k;
  p->start = malloc((size_t)n * sizeof *p->start);
  if (!p->start) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory resizing");
  *lo = a->start[i0], *hi = 0;
  for (int i = i0; i < i0 + n; i++) {
    *lo = a->start[i] < *lo ? a->start[i] : *lo;
    *hi = a->start[i] + a->count[i] > *hi ? a->start[i] + a->count[i] : *hi;
  }
  for (int i = 0; i < n; i++) p->start[i] = a->start[i0 + i] - *lo;
  return DM_OK;
}

dm_status dm_resize_plane_part(dm_context *ctx, const dm_image *g, dm_image *out, int full_w,
                               int full_h, int x0, int y0, int clamp, const char *name) {
  if (g->channels != out->channels)
    return dm_fail(ctx, DM_ERR_INTERNAL, name, "resize from %d to %d channels", g->channels,
                   out->channels);
  if (x0 < 0 || y0 < 0 || out->width > full_w - x0 || out->height > full_h - y0)
    return dm_fail(ctx, DM_ERR_INTERNAL, name, "a %dx%d part at %d,%d of a %dx%d resize",
                   out->width, out->height, x0, y0, full_w, full_h);
  axis_weights ax = {0}, ay = {0}, px = {0}, py = {0};
  dm_image tmp = {0};
  int xlo = 0, xhi = 0, ylo = 0, yhi = 0;
  dm_status s = weights_make(ctx, g->width, full_w, &ax, name);
  if (!s) s = weights_make(ctx, g->height, full_h, &ay, name);
  if (!s) s = weights_part(ctx, &ax, x0, out->width, &px, &xlo, &xhi, name);
  if (!s) s = weights_part(ctx, &ay, y0, out->height, &py, &ylo, &yhi, name);
  /* Go through the smaller intermediate: new width x old height, or old
   * width x new height (decided on the whole size, so a part is computed
   * exactly as the whole is). */
  int x_first = (double)full_w * g->height <= (double)g->width * full_h;
  const dm_image src = s ? *g : dm_image_view(g, xlo, ylo, xhi - xlo, yhi - ylo);
  if (!s) s = x_first ? dm_image_alloc(ctx, &tmp, out->width, src.height, g->channels)
                      : dm_image_alloc(ctx, &tmp, src.width, out->height, g->channels);
  if (!s) {
    pass_job first = {.src = &src, .dst = &tmp, .a = x_first ? &px : &py};
    pass_job second = {.src = &tmp, .dst = out, .a = x_first ? &py : &px, .clamp = clamp};
    dm_parallel(ctx, x_first ? pass_x : pass_y, &first);
    dm_parallel(ctx, x_first ? pass_y : pass_x, &second);
  }
  dm_image_free(&tmp);
  free(px.start);
  free(py.start);
  weights_free(&ax);
  weights_free(&ay);
  return s;
}

dm_status dm_resize_plane(dm_context *ctx, const dm_image *g, dm_image *out, int clamp, const char *name) {
  return dm_resize_plane_part(ctx, g, out, out->width, out->height, 0, 0, clamp, name);
}

dm_status dm_resized_plane(dm_context *ctx, const dm_image *src, int width, int height, int clamp,
                           dm_image *out, const char *name) {
  dm_status s = dm_image_alloc(ctx, out, width, height, src->channels);
  if (!s) s = dm_resize_plane(ctx, src, out, clamp, name);
  if (s) dm_image_free(out);
  return s;
}
