/* file: a grey image file used as a mask, stretched to the photo.
 *
 * The path is relative to in->base_dir (the recipe's folder) unless it is
 * absolute. Samples are taken as encoded, no colour management: an 8- or
 * 16-bit value v of N bits means v / (2^N - 1), which is what dm_io_read
 * returns. RGB files use the Rec.2020 luminance weights of those encoded
 * values (exact for grey RGB files). The grey map is resized to the photo
 * separably, each axis on its own: area-averaged when it shrinks (every
 * source pixel counts, no aliasing), bilinear on pixel centres when it
 * grows; the same size is a copy. Values end clamped to [0, 1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "core/pool.h"
#include "io/io.h"
#include "mask/mask_kinds.h"

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
    return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory resizing the mask");
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

/* Along x: dst row y from src row y. */
static void pass_x(void *user, int ith, int nth) {
  pass_job *j = user;
  int y0, y1;
  dm_split_rows(j->dst->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *s = dm_row(j->src, y);
    float *d = dm_row(j->dst, y);
    for (int x = 0; x < j->dst->width; x++) {
      const float *w = j->a->w + (size_t)x * (size_t)j->a->k;
      const float *p = s + j->a->start[x];
      float v = 0;
      for (int n = 0; n < j->a->count[x]; n++) v += w[n] * p[n];
      d[x] = j->clamp ? clamp01(v) : v;
    }
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
    for (int x = 0; x < j->dst->width; x++) d[x] = 0;
    for (int n = 0; n < j->a->count[y]; n++) {
      const float *s = dm_row(j->src, j->a->start[y] + n);
      for (int x = 0; x < j->dst->width; x++) d[x] += w[n] * s[x];
    }
    if (j->clamp)
      for (int x = 0; x < j->dst->width; x++) d[x] = clamp01(d[x]);
  }
}

/* Grey (1 channel) version of a decoded image; may alias it. */
static dm_status to_grey(dm_context *ctx, const dm_image *img, dm_image *grey) {
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
      g[x] = img->channels >= 3 ? dm_luma(p) : p[0];
  }
  return DM_OK;
}

static dm_status resize(dm_context *ctx, const dm_image *g, dm_image *out, const char *name) {
  axis_weights ax = {0}, ay = {0};
  dm_image tmp = {0};
  dm_status s = weights_make(ctx, g->width, out->width, &ax, name);
  if (!s) s = weights_make(ctx, g->height, out->height, &ay, name);
  /* Go through the smaller intermediate: new width x old height, or old
   * width x new height. */
  int x_first = (double)out->width * g->height <= (double)g->width * out->height;
  if (!s) s = x_first ? dm_image_alloc(ctx, &tmp, out->width, g->height, 1)
                      : dm_image_alloc(ctx, &tmp, g->width, out->height, 1);
  if (!s) {
    pass_job first = {.src = g, .dst = &tmp, .a = x_first ? &ax : &ay};
    pass_job second = {.src = &tmp, .dst = out, .a = x_first ? &ay : &ax, .clamp = 1};
    dm_parallel(ctx, x_first ? pass_x : pass_y, &first);
    dm_parallel(ctx, x_first ? pass_y : pass_x, &second);
  }
  dm_image_free(&tmp);
  weights_free(&ax);
  weights_free(&ay);
  return s;
}

dm_status dm_mask_file_render(dm_context *ctx, const dm_mask_component *c,
                              const dm_mask_inputs *in, dm_image *plane) {
  char path[DM_MASK_PATH_MAX + 4096];
  int len;
  if (c->path[0] == '/' || !in->base_dir || !in->base_dir[0])
    len = snprintf(path, sizeof path, "%s", c->path);
  else
    len = snprintf(path, sizeof path, "%s/%s", in->base_dir, c->path);
  if (len < 0 || (size_t)len >= sizeof path)
    return dm_fail(ctx, DM_ERR_PARAM, c->path, "path too long");

  dm_decoded dec = {0};
  dm_status s = dm_io_read(ctx, path, &dec);
  if (s) return s; /* dm_io_read names the file */
  dm_image grey = {0};
  s = to_grey(ctx, &dec.img, &grey);
  if (!s) {
    double file_aspect = (double)grey.width / grey.height;
    double photo_aspect = (double)plane->width / plane->height;
    if (fabs(file_aspect / photo_aspect - 1) > 0.01)
      dm_log(ctx, DM_LOG_WARN, "%s: mask is %dx%d, the photo %dx%d; stretched to fit", path,
             grey.width, grey.height, plane->width, plane->height);
    s = resize(ctx, &grey, plane, path);
  }
  dm_image_free(&grey);
  dm_decoded_free(&dec);
  return s;
}
