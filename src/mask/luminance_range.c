/* luminance_range: a trapezoid on CIE lightness L* of the working image.
 *
 *   Y  = dm_luma(rgb)                         (Rec.2020 luminance, white = 1)
 *   L* = 116 Y^(1/3) - 16 for Y > (6/29)^3, else (29/3)^3 Y, Y clamped to [0, 1]
 *   L~ = L* smoothed by a box filter of radius r run twice per axis
 *        (r = round(long side / 1000); a triangle kernel of support 2r)
 *   c  = trapezoid(L~): 0 up to a, smoothstep up to 1 at b, 1 to c,
 *        smoothstep down to 0 at d
 *
 * Why smooth L*: at full size, sensor noise makes neighbouring pixels of one
 * surface straddle a trapezoid edge, and the mask comes out speckled; a
 * proxy (downscaled, so already averaged) would not show it. A kernel that
 * is a fixed fraction of the image keeps the mask about the same at every
 * resolution; at 1/1000 of the long side it is far below anything a
 * retoucher would call an edge. Smoothing L*, not the mask, keeps a hard
 * trapezoid edge (a == b) hard in value. Box sums cost O(1) per pixel
 * whatever r is.
 *
 * Why smoothstep ramps rather than straight ones: a straight ramp has a
 * kink where it meets the plateau, which shows as a contour line in smooth
 * skies and skin; smoothstep has the same end points and midpoint but no
 * kink. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "color/color.h"
#include "core/pool.h"
#include "mask/mask_kinds.h"

/* Cube root for x in [216/24389, 1]: a first guess from the float's bits,
 * then two Halley steps; within 4e-7 (relative) of cbrt there, and an order of
 * magnitude faster than libm's cbrtf, which dominated 24 MP renders. */
static inline float cube_root(float x) {
  uint32_t i;
  memcpy(&i, &x, sizeof i);
  /* bits / 3 divides the exponent by 3; adding about (2/3) 127 2^23 puts
   * the bias back (this value also trims the guess's error to ~3%). */
  i = i / 3 + 709921077u;
  float y;
  memcpy(&y, &i, sizeof y);
  for (int k = 0; k < 2; k++) {
    const float y3 = y * y * y;
    y *= (y3 + 2.0f * x) / (2.0f * y3 + x);
  }
  return y;
}

/* Branch-free, so that the per-pixel loop vectorises. */
static inline float lightness(float Y) {
  const float eps = 216.0f / 24389.0f, kappa = 24389.0f / 27.0f;
  Y = Y > 0.0f ? Y : 0.0f; /* also NaN */
  Y = Y < 1.0f ? Y : 1.0f;
  const float curve = 116.0f * cube_root(Y > eps ? Y : eps) - 16.0f;
  return Y > eps ? curve : kappa * Y;
}

float dm_mask_lightness(float Y) { return lightness(Y); }

float dm_mask_trapezoid(float L, const float r[4]) {
  if (L < r[1]) {
    if (L <= r[0]) return 0.0f; /* also the hard edge r[0] == r[1] */
    return dm_smoothstep01((L - r[0]) / (r[1] - r[0]));
  }
  if (L > r[2]) {
    if (L >= r[3]) return 0.0f;
    return dm_smoothstep01((r[3] - L) / (r[3] - r[2]));
  }
  return 1.0f;
}

int dm_mask_luminance_blur_radius(int width, int height) {
  int side = width > height ? width : height;
  return (int)lround(side / 1000.0);
}

/* Columns the vertical pass copies out and filters together. */
#define STRIP 64

typedef struct {
  const dm_image *img;
  dm_image *a;   /* L*, smoothed in place, 1 channel */
  float *work;   /* per thread: `per_thread` floats of scratch */
  size_t per_thread;
  int r;
} lum_job;

static void lightness_rows(void *user, int ith, int nth) {
  lum_job *j = user;
  int y0, y1;
  dm_split_rows(j->img->height, ith, nth, &y0, &y1);
  const int ch = j->img->channels;
  for (int y = y0; y < y1; y++) {
    const float *p = dm_row(j->img, y);
    float *l = dm_row(j->a, y);
    for (int x = 0; x < j->img->width; x++, p += ch)
      l[x] = lightness(ch >= 3 ? dm_luma(p) : p[0]);
  }
}

/* Both passes are running box sums over [i - r, i + r] clipped to the
 * image, kept in double, each starting at i = 0 whatever the thread split,
 * so the result never depends on it. Several independent lines are summed
 * side by side (rows in groups of GROUP, columns in strips of STRIP) so the
 * additions of one line do not wait on each other. */
#define GROUP 8

static double window_inv(int i, int n, int r) {
  int lo = i - r < 0 ? 0 : i - r, hi = i + r >= n ? n - 1 : i + r;
  return 1.0 / (hi - lo + 1);
}

/* Along rows, in place: a group of rows is copied out, then filtered back. */
static void box_rows(void *user, int ith, int nth) {
  lum_job *j = user;
  int y0, y1;
  dm_split_rows(j->a->height, ith, nth, &y0, &y1);
  float *copy = j->work + (size_t)ith * j->per_thread;
  const int w = j->a->width, r = j->r;
  for (int yg = y0; yg < y1; yg += GROUP) {
    const int g = y1 - yg < GROUP ? y1 - yg : GROUP;
    double sum[GROUP] = {0};
    float *dst[GROUP];
    for (int k = 0; k < g; k++) {
      dst[k] = dm_row(j->a, yg + k);
      memcpy(copy + (size_t)k * w, dst[k], (size_t)w * sizeof *copy);
      for (int x = 0; x <= r && x < w; x++) sum[k] += copy[(size_t)k * w + x];
    }
    for (int x = 0; x < w; x++) {
      const double inv = window_inv(x, w, r);
      for (int k = 0; k < g; k++) {
        const float *s = copy + (size_t)k * w;
        dst[k][x] = (float)(sum[k] * inv);
        if (x + r + 1 < w) sum[k] += s[x + r + 1];
        if (x - r >= 0) sum[k] -= s[x - r];
      }
    }
  }
}

/* Along columns, in place: a strip of columns is copied out (row-major, so
 * the copy streams) and filtered back a row at a time. */
static void box_cols(void *user, int ith, int nth) {
  lum_job *j = user;
  int x0, x1;
  dm_split_rows(j->a->width, ith, nth, &x0, &x1);
  float *copy = j->work + (size_t)ith * j->per_thread;
  const int h = j->a->height, r = j->r;
  for (int xs = x0; xs < x1; xs += STRIP) {
    const int sw = x1 - xs < STRIP ? x1 - xs : STRIP;
    double acc[STRIP] = {0};
    for (int y = 0; y < h; y++)
      memcpy(copy + (size_t)y * sw, dm_row(j->a, y) + xs, (size_t)sw * sizeof *copy);
    for (int y = 0; y <= r && y < h; y++)
      for (int k = 0; k < sw; k++) acc[k] += copy[(size_t)y * sw + k];
    for (int y = 0; y < h; y++) {
      const double inv = window_inv(y, h, r);
      float *d = dm_row(j->a, y) + xs;
      for (int k = 0; k < sw; k++) d[k] = (float)(acc[k] * inv);
      if (y + r + 1 < h) {
        const float *s = copy + (size_t)(y + r + 1) * sw;
        for (int k = 0; k < sw; k++) acc[k] += s[k];
      }
      if (y - r >= 0) {
        const float *s = copy + (size_t)(y - r) * sw;
        for (int k = 0; k < sw; k++) acc[k] -= s[k];
      }
    }
  }
}

typedef struct {
  dm_image *plane;
  const float *range;
} trap_job;

static void trapezoid_rows(void *user, int ith, int nth) {
  trap_job *j = user;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    float *p = dm_row(j->plane, y);
    for (int x = 0; x < j->plane->width; x++) p[x] = dm_mask_trapezoid(p[x], j->range);
  }
}

dm_status dm_mask_luminance_range_render(dm_context *ctx, const dm_mask_component *c,
                                         const dm_mask_inputs *in, dm_image *plane) {
  const dm_image *img = in->image;
  if (img->channels != 1 && img->channels < 3)
    return dm_fail(ctx, DM_ERR_INTERNAL, "luminance_range", "needs a grey or RGB image, got %d channels",
                   img->channels);
  const dm_frame fr = dm_frame_of(&in->frame, img->width, img->height); /* the radius is the photo's */
  lum_job j = {.img = img, .a = plane, .r = dm_mask_luminance_blur_radius(fr.full_w, fr.full_h)};
  dm_parallel(ctx, lightness_rows, &j);
  if (j.r > 0) {
    /* Scratch for a group of rows, or a strip of columns, per thread. */
    int threads = ctx && ctx->n_threads > 1 ? ctx->n_threads : 1;
    size_t col = (size_t)plane->height * STRIP, row = (size_t)plane->width * GROUP;
    j.per_thread = col > row ? col : row;
    j.work = malloc((size_t)threads * j.per_thread * sizeof *j.work);
    if (!j.work) return dm_fail(ctx, DM_ERR_NOMEM, "luminance_range", "out of memory");
    for (int pass = 0; pass < 2; pass++) {
      dm_parallel(ctx, box_rows, &j);
      dm_parallel(ctx, box_cols, &j);
    }
    free(j.work);
  }
  trap_job t = {.plane = plane, .range = c->lum_range};
  dm_parallel(ctx, trapezoid_rows, &t);
  return DM_OK;
}
