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
 * in fitting-scale pixels. The window is the farthest the refinement
 * reaches anyway (4 x the guided filter's radius, the matte votes' window
 * in edge_refine.c): a wider transition, or a smooth slope (a ground
 * plane, where the range's edge crosses the surface), counts as uncertain
 * over the whole window.
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
#include "core/pool.h"
#include "mask/mask_kinds.h"

#define MAX_REACH 64 /* fitting-scale pixels; 4 x the guided radius is at most 28 */
#define LINE_MAX (DM_MASK_FIT_SIDE + 2 * MAX_REACH)
#define MAXF(a, b) ((a) > (b) ? (a) : (b)) /* no NaN here: fmaxf is a call at -O2 */
#define MINF(a, b) ((a) < (b) ? (a) : (b))

/* Window extremes along rows (horizontal pass) or columns (vertical pass)
 * of the 3-channel stats: channel 0 min, 1 and 2 max. */
typedef struct {
  const dm_image *src;
  dm_image *dst;
  int radius, vertical;
} extreme_job;

/* Max of v over every window of 2r+1 (van Herk / Gil-Werman: maxima from
 * the start and from the end of blocks of 2r+1, O(1) per value whatever
 * r). v holds n values after r and before r entries of -inf, so every
 * window has the full length; out[i] is the window centred on v[r + i]. */
static void window_max(const float *v, int n, int r, float *pre, float *suf, float *out) {
  const int k = 2 * r + 1, m = n + 2 * r;
  for (int i = 0; i < m; i++) pre[i] = i % k ? MAXF(pre[i - 1], v[i]) : v[i];
  for (int i = m - 1; i >= 0; i--) suf[i] = i % k != k - 1 && i + 1 < m ? MAXF(suf[i + 1], v[i]) : v[i];
  for (int i = 0; i < n; i++) out[i] = MAXF(suf[i], pre[i + 2 * r]);
}

static void extreme_lines(void *user, int ith, int nth) {
  extreme_job *j = user;
  const int w = j->src->width, h = j->src->height, r = j->radius;
  const int n = j->vertical ? h : w, lines = j->vertical ? w : h;
  /* n + 2 r <= LINE_MAX: checked by the caller */
  float v[3][LINE_MAX], out[3][LINE_MAX], pre[LINE_MAX], suf[LINE_MAX];
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < r; i++) v[c][i] = v[c][r + n + i] = -INFINITY;
  int l0, l1;
  dm_split_rows(lines, ith, nth, &l0, &l1);
  for (int l = l0; l < l1; l++) {
    for (int i = 0; i < n; i++) {
      const float *p = j->vertical ? dm_px(j->src, l, i) : dm_px(j->src, i, l);
      v[0][r + i] = -p[0], v[1][r + i] = p[1], v[2][r + i] = p[2]; /* min as the max of -v */
    }
    for (int c = 0; c < 3; c++) window_max(v[c], n, r, pre, suf, out[c]);
    for (int i = 0; i < n; i++) {
      float *o = j->vertical ? dm_px(j->dst, l, i) : dm_px(j->dst, i, l);
      o[0] = -out[0][i], o[1] = out[1][i], o[2] = out[2][i];
    }
  }
}

/* Chamfer distance (1, sqrt 2) in pixels to the raw mask's 0.5 contour:
 * 0 on both sides of it, capped at `cap` (beyond the reach). One forward and one backward
 * pass; sequential (O(1) per pixel). */
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
  for (int y = 0; y < h; y++) {
    float *o = dm_row(dist, y), *up = y > 0 ? dm_row(dist, y - 1) : NULL;
    for (int x = 0; x < w; x++) {
      float v = o[x];
      if (x > 0) v = MINF(v, o[x - 1] + d1);
      if (up) {
        v = MINF(v, up[x] + d1);
        if (x > 0) v = MINF(v, up[x - 1] + d2);
        if (x + 1 < w) v = MINF(v, up[x + 1] + d2);
      }
      o[x] = v;
    }
  }
  for (int y = h - 1; y >= 0; y--) {
    float *o = dm_row(dist, y), *dn = y + 1 < h ? dm_row(dist, y + 1) : NULL;
    for (int x = w - 1; x >= 0; x--) {
      float v = o[x];
      if (x + 1 < w) v = MINF(v, o[x + 1] + d1);
      if (dn) {
        v = MINF(v, dn[x] + d1);
        if (x + 1 < w) v = MINF(v, dn[x + 1] + d2);
        if (x > 0) v = MINF(v, dn[x - 1] + d2);
      }
      o[x] = v;
    }
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

static void agree_row_in(void *user, int y, double *v) {
  const agree_job *j = user;
  const int w = j->raw->width;
  const float *g = dm_row(j->guide, y), *r = dm_row(j->raw, y);
  for (int x = 0; x < w; x++) {
    v[x] = g[x], v[w + x] = r[x], v[2 * w + x] = (double)g[x] * g[x];
    v[3 * w + x] = (double)g[x] * r[x], v[4 * w + x] = (double)r[x] * r[x];
  }
}

static void agree_row_out(void *user, int y, const double *m) {
  const agree_job *j = user;
  const int w = j->raw->width;
  float *o = dm_row(j->agree, y);
  for (int x = 0; x < w; x++) {
    const double mi = m[x], mp = m[w + x];
    const double vi = m[2 * w + x] - mi * mi, cov = m[3 * w + x] - mi * mp,
                 vp = m[4 * w + x] - mp * mp;
    const double r2 = vi > 1e-12 && vp > 1e-12 ? cov * cov / (vi * vp) : 0.0;
    o[x] = (float)(r2 < 1.0 ? r2 : 1.0);
  }
}

dm_status dm_mask_edge_agreement(dm_context *ctx, const dm_image *guide, const dm_image *raw,
                                 int radius, dm_image *agree) {
  dm_status s = dm_image_alloc(ctx, agree, raw->width, raw->height, 1);
  if (s) return s;
  agree_job j = {.guide = guide, .raw = raw, .agree = agree};
  dm_box_stream b = {.width = raw->width, .height = raw->height, .k = 5, .radius = radius,
                     .row_in = agree_row_in, .row_out = agree_row_out, .user = &j};
  return dm_box_means(ctx, &b);
}

dm_status dm_mask_edge_reach(dm_context *ctx, dm_image *stats, const dm_image *raw,
                             int radius, int f, dm_image *reach) {
  const int w = raw->width, h = raw->height, R = 4 * radius; /* the matte votes' window */
  if (R > MAX_REACH || (w > h ? w : h) > DM_MASK_FIT_SIDE)
    return dm_fail(ctx, DM_ERR_INTERNAL, "depth_range", "edge reach: %dx%d, radius %d", w, h, radius);
  dm_image tmp = {0};
  dm_status s = dm_image_alloc(ctx, &tmp, w, h, 3);
  if (!s) s = dm_image_alloc(ctx, reach, w, h, 1);
  if (!s) {
    extreme_job jh = {.src = stats, .dst = &tmp, .radius = R, .vertical = 0};
    dm_parallel(ctx, extreme_lines, &jh);
    extreme_job jv = {.src = &tmp, .dst = stats, .radius = R, .vertical = 1}; /* in place */
    dm_parallel(ctx, extreme_lines, &jv);
    const float far = (float)(R + 1);
    contour_distance(raw, far, reach);
    for (int y = 0; y < h; y++) {
      const float *e = dm_row(stats, y);
      float *o = dm_row(reach, y);
      for (int x = 0; x < w; x++) {
        const float span = e[3 * x + 1] - e[3 * x], g = e[3 * x + 2];
        /* No depth step in the window (flat, or no depth at all): no
         * contour within it either, and the reach is the window's. */
        float u = g > 0.0f && span == span ? (span / g - 1.0f) / (float)f : (float)R;
        u = (u < (float)R ? u : (float)R) - o[x];
        o[x] = u > 0.0f ? (u < 1.0f ? u : 1.0f) : 0.0f;
      }
    }
  }
  dm_image_free(&tmp);
  return s;
}
