/* How far the edge refinement of a depth range may move the range's edge:
 * no farther than the depth's own edge is uncertain (issue 13, item 5).
 *
 * A depth edge that goes from one surface's depth to the other's between
 * two neighbouring pixels (a depth file or a sharp embedded map at the
 * photo's resolution) says exactly where the edge is: refining it can only
 * move it off (a guided filter pulls a mask edge towards the strongest
 * photo edge within its window, so along a low-contrast side it erodes
 * arms and legs). A depth map brought up from 1/n of the photo's size
 * spreads the same step over the upsampling kernel's support (n to 2n
 * pixels for area-down, bilinear-up), and the true edge can be anywhere in
 * that transition: there the photo has to say where it is.
 *
 * Reach. The transition's width is measured on the depth itself, so no
 * provenance is needed: in a window around a pixel, a step of height
 * D = max - min spread over T pixels has a steepest neighbour-to-neighbour
 * difference G of about D / T, so T = D / G: 1 for a step between two
 * pixels, more the more it is spread (max, min and G are taken at full
 * resolution, so a fitting scale f > 1 does not blur them). The edge is
 * uncertain by T - 1 pixels, and the refinement may change the mask only
 * that close to the unrefined mask's 0.5 contour:
 *    reach = clamp(u - distance to the contour, 0, 1),  u = (T - 1) / f
 * in fitting-scale pixels. The window reaches at least as far as the
 * refinement does (4 x the guided filter's radius, the matte votes'
 * window in edge_refine.c; measured on blocks of the guided radius, so 4
 * to 5 radii): a wider transition, or a smooth slope (a ground plane,
 * where the range's edge crosses the surface), counts as uncertain over
 * the whole window.
 *
 * Agreement. Beyond the reach the contour stays, but the profile across it
 * may still soften where the photo explains it (fur, hair, antialiasing: a
 * depth map has one depth per pixel, so its edge is hard). The share of
 * the unrefined mask's variance in the guided filter's window that a
 * linear function of the photo explains (the squared correlation, the
 * guided filter's own model) says how far: edge_refine.c moves the value
 * that far towards the guided one, never across 0.5. Along a low-contrast
 * side the photo explains nothing and the unrefined edge stays as it is. */
#include <math.h>
#include <stdlib.h>

#include "core/box.h"
#include "mask/mask_kinds.h"

#define MAXF(a, b) ((a) > (b) ? (a) : (b)) /* no NaN here: fmaxf is a call at -O2 */
#define MINF(a, b) ((a) < (b) ? (a) : (b))

/* o[x] = min(o[x], n[x] + d1, n[x -+ 1] + d2): the chamfer step from a
 * neighbouring row n. */
static void relax_from_row(float *o, const float *n, int w, float d1, float d2) {
  o[0] = MINF(o[0], n[0] + d1);
  if (w > 1) o[0] = MINF(o[0], n[1] + d2), o[w - 1] = MINF(o[w - 1], MINF(n[w - 1] + d1, n[w - 2] + d2));
  for (int x = 1; x + 1 < w; x++)
    o[x] = MINF(o[x], MINF(n[x] + d1, MINF(n[x - 1], n[x + 1]) + d2));
}

/* Chamfer distance (1, sqrt 2) in pixels to the raw mask's 0.5 contour:
 * 0 on both sides of it, capped at `cap` (beyond the reach). One forward
 * and one backward pass, O(1) per pixel. */
static void contour_distance(const dm_image *raw, float cap, dm_image *dist) {
  const int w = raw->width, h = raw->height;
  const float d1 = 1.0f, d2 = 1.41421356f;
  for (int y = 0; y < h; y++) {
    const float *r = dm_row(raw, y);
    float *o = dm_row(dist, y);
    for (int x = 0; x < w; x++) {
      const int in = r[x] >= 0.5f;
      int edge = (x > 0 && (r[x - 1] >= 0.5f) != in) || (x + 1 < w && (r[x + 1] >= 0.5f) != in) ||
                 (y > 0 && (dm_row(raw, y - 1)[x] >= 0.5f) != in) ||
                 (y + 1 < h && (dm_row(raw, y + 1)[x] >= 0.5f) != in);
      o[x] = edge ? 0.0f : cap;
    }
  }
  /* Each pass: the neighbours in the row before (independent of this
   * row, so the loop vectorises), then along the row. */
  for (int y = 0; y < h; y++) {
    float *o = dm_row(dist, y);
    if (y > 0) relax_from_row(o, dm_row(dist, y - 1), w, d1, d2);
    for (int x = 1; x < w; x++) o[x] = MINF(o[x], o[x - 1] + d1);
  }
  for (int y = h - 1; y >= 0; y--) {
    float *o = dm_row(dist, y);
    if (y + 1 < h) relax_from_row(o, dm_row(dist, y + 1), w, d1, d2);
    for (int x = w - 2; x >= 0; x--) o[x] = MINF(o[x], o[x + 1] + d1);
  }
}

/* Agreement of the photo with the unrefined mask: the squared correlation
 * of guide and raw over the guided filter's window, the share of the
 * mask's variance there that a linear function of the photo explains (the
 * guided filter's own model). */
typedef struct {
  const dm_image *guide, *raw;
  dm_image *agree;
} agree_job;

enum { AGREE_K = 5 }; /* the box's quantities: g, r, g², g·r, r² */

static void agree_row_in(void *user, int y, double *v) {
  const agree_job *j = user;
  const int w = j->raw->width;
  const float *g = dm_row(j->guide, y), *r = dm_row(j->raw, y);
  for (int x = 0; x < w; x++) {
    double *o = v + (size_t)dm_box_stride(AGREE_K) * x;
    o[0] = g[x], o[1] = r[x], o[2] = (double)g[x] * g[x];
    o[3] = (double)g[x] * r[x], o[4] = (double)r[x] * r[x];
  }
}

static void agree_row_out(void *user, int y, const double *m) {
  const agree_job *j = user;
  const int w = j->raw->width;
  float *o = dm_row(j->agree, y);
  for (int x = 0; x < w; x++) {
    const double *mx = m + (size_t)dm_box_stride(AGREE_K) * x;
    const double mi = mx[0], mp = mx[1];
    const double vi = mx[2] - mi * mi, cov = mx[3] - mi * mp, vp = mx[4] - mp * mp;
    const double r2 = vi > 1e-12 && vp > 1e-12 ? cov * cov / (vi * vp) : 0.0;
    o[x] = (float)(r2 < 1.0 ? r2 : 1.0);
  }
}

dm_status dm_mask_edge_agreement(dm_context *ctx, const dm_image *guide, const dm_image *raw,
                                 int radius, dm_image *agree) {
  dm_status s = dm_image_alloc(ctx, agree, raw->width, raw->height, 1);
  if (s) return s;
  agree_job j = {.guide = guide, .raw = raw, .agree = agree};
  dm_box_stream b = {.width = raw->width, .height = raw->height, .k = AGREE_K, .radius = radius,
                     .row_in = agree_row_in, .row_out = agree_row_out, .user = &j};
  return dm_box_means(ctx, &b);
}

/* The uncertainty u (fitting-scale pixels, at most R) of the depth edge
 * around each block of b x b pixels: T = (max - min) / G over the blocks
 * within K of it, a window of at least R = K b pixels around any of its
 * pixels. `stats` holds each pixel's min, max and G. */
static dm_status block_uncertainty(dm_context *ctx, const dm_image *stats, int b, int K, int f,
                                   float *u, int lb, int hb) {
  const int w = stats->width, h = stats->height, R = K * b;
  float *blk = malloc((size_t)3 * lb * hb * sizeof *blk);
  if (!blk) return dm_fail(ctx, DM_ERR_NOMEM, "depth_range", "out of memory");
  for (int i = 0; i < lb * hb; i++) blk[3 * i] = INFINITY, blk[3 * i + 1] = -INFINITY, blk[3 * i + 2] = 0;
  for (int y = 0; y < h; y++) {
    const float *e = dm_row(stats, y);
    float *o = blk + (size_t)3 * (y / b) * lb;
    for (int x0 = 0; x0 < w; x0 += b, o += 3)
      for (int x = x0; x < x0 + b && x < w; x++)
        o[0] = MINF(o[0], e[3 * x]), o[1] = MAXF(o[1], e[3 * x + 1]), o[2] = MAXF(o[2], e[3 * x + 2]);
  }
  for (int by = 0; by < hb; by++)
    for (int bx = 0; bx < lb; bx++) {
      float mn = INFINITY, mx = -INFINITY, g = 0.0f;
      for (int j = by - K < 0 ? 0 : by - K; j <= by + K && j < hb; j++)
        for (int i = bx - K < 0 ? 0 : bx - K; i <= bx + K && i < lb; i++) {
          const float *o = blk + (size_t)3 * (j * lb + i);
          mn = MINF(mn, o[0]), mx = MAXF(mx, o[1]), g = MAXF(g, o[2]);
        }
      /* No depth step in the window (flat, or no depth at all): no contour
       * within it either, and the reach is the window's. */
      const float t = g > 0.0f ? (mx - mn) / g : INFINITY;
      const float v = (t - 1.0f) / (float)f;
      u[by * lb + bx] = v < (float)R ? v : (float)R;
    }
  free(blk);
  return DM_OK;
}

dm_status dm_mask_edge_reach(dm_context *ctx, const dm_image *stats, const dm_image *raw,
                             int radius, int f, dm_image *reach) {
  /* Blocks of the guided radius, a window of 4 of them: the matte votes'
   * window in edge_refine.c, the farthest the refinement reaches. */
  const int w = raw->width, h = raw->height, b = radius, K = 4, R = K * b;
  const int lb = (w + b - 1) / b, hb = (h + b - 1) / b;
  float *u = malloc((size_t)lb * hb * sizeof *u);
  dm_status s = u ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, "depth_range", "out of memory");
  if (!s) s = block_uncertainty(ctx, stats, b, K, f, u, lb, hb);
  if (!s) s = dm_image_alloc(ctx, reach, w, h, 1);
  if (!s) {
    contour_distance(raw, (float)(R + 1), reach);
    for (int y = 0; y < h; y++) {
      float *o = dm_row(reach, y);
      const float *ub = u + (size_t)(y / b) * lb;
      for (int x0 = 0; x0 < w; x0 += b, ub++)
        for (int x = x0; x < x0 + b && x < w; x++) {
          const float v = *ub - o[x];
          o[x] = v > 0.0f ? (v < 1.0f ? v : 1.0f) : 0.0f;
        }
    }
  }
  free(u);
  return s;
}
