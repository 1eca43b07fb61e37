/* Edge refinement of a depth-derived mask (depth_range).
 *
 * A depth map brought up from a lower resolution (a network's, a phone's)
 * is blurrier than the photo at the subject's outline, so a function of
 * depth has the right shape but a soft, shifted edge. Two steps, both at
 * the fitting scale, and both only as far as the depth's edge is itself
 * uncertain (step 3): the image shrunk by f = ceil(long side / 1280)
 * (block means), about 1 MP whatever the photo's size, so the mask is the
 * same on a proxy and on the full-size photo and a 12 MP re-render costs
 * about what a 1 MP one does (an editor calls this on every slider move).
 *
 * 1. Guided filter (core/guided.h) of the mask's block means, with the
 *    photo's block-mean luminance as guide, gamma-encoded (sqrt of linear,
 *    clamped to [0, 1]: the filter's eps is in guide units, and a
 *    perceptual encoding makes dark and bright edges count alike). A colour
 *    guide scored the same on the dof-eval scenes (IoU and edge-band error
 *    within 0.005) at 1.7x the CPU time of the whole render. Radius:
 *    1/200 of the long side (wider than the fused depth's edge blur), eps
 *    1e-3 (edges of contrast above ~0.03 in sqrt units are kept). Where the
 *    mask is flat (all 0 or all 1 over the window) the filter returns it
 *    unchanged, so only the band around its edges moves, whatever the
 *    smoothness (a hard edge too).
 *
 * 2. The matte, where it is confident and agrees. The subject matte has the
 *    finest edge we have (full resolution), but it may hold things the depth
 *    range does not (a foreground card, a floor). Every confident matte
 *    pixel (m < 0.1 or m > 0.9) votes, "disagree" when it falls on the
 *    other side of 0.5 than the depth-range value. In a window of four
 *    times the filter's radius, C = the share of confident pixels and D =
 *    the share of disagreeing votes among them, E = the share of pixels
 *    where the guided value is in (0.02, 0.98) (the range's edge band).
 *    Near an edge of the range (E above ~0.05), where the matte is
 *    confident somewhere around (C above ~0.25) and most votes agree (D
 *    below ~0.35), both say the same thing about the neighbourhood and the
 *    matte decides the edge:
 *      c = g + a (t - g),  a = smoothstep(E / 0.05) smoothstep((C - 0.1) / 0.3)
 *                              (1 - smoothstep((D - 0.2) / 0.3)),
 *    with g the guided result brought back to full size bilinearly and t
 *    the full-resolution matte with its confident plateaus snapped to 0 and
 *    1 (see blend_rows). Away from the range's edges the matte has no say,
 *    so a matte of 0.8 inside a face does not grey the mask. The window and
 *    thresholds are wide enough that a depth edge 15 px off the matte's
 *    (network depth) still counts as agreeing (tests/mask/test_depth_range.c);
 *    a region the matte holds and the range does not (a foreground card)
 *    votes D near 1 and keeps the range's value. An unsure matte (a grey
 *    subject) never overrides the depth.
 *
 * 3. Only where the depth's edge is uncertain (edge_reach.c). Within
 *    `reach` of the unrefined value's 0.5 contour the result is c above;
 *    beyond it (all of a sharp depth edge: a depth file, a sharp embedded
 *    map) the unrefined value r, at full resolution, keeps its side of 0.5
 *    and softens only as far as the photo explains the mask (agreement q):
 *      k = r + q (clamp of g to r's side of 0.5 - r),  out = k + reach (c - k).
 *    So a good depth edge is never moved, and refinement is left to coarse
 *    or uncertain depth. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/box.h"
#include "color/color.h"
#include "core/guided.h"
#include "core/pool.h"
#include "mask/mask_kinds.h"

#define FIT_SIDE 1280
#define GUIDED_EPS 1e-3f
#define BELOW_HALF 0.49999997f /* the float below 0.5 */

/* Block means of the photo's luminance (sqrt-encoded), the raw depth-range value
 * (computed here from the depth, never stored at full size) and the matte.
 * Each thread sums a row of blocks into `acc` (lw entries per quantity). */
typedef struct {
  const dm_image *image, *matte;
  const dm_mask_ramp *ramp;
  dm_image *guide, *raw, *mlow; /* at the fitting scale; mlow unused without matte */
  dm_image *stats; /* per block: depth min, max, largest 4-neighbour difference */
  int f;
} shrink_job;

static void shrink_rows(void *user, int ith, int nth) {
  shrink_job *j = user;
  const dm_mask_ramp *rp = j->ramp;
  const int lw = j->raw->width, W = j->image->width, H = j->image->height, f = j->f;
  const int ch = j->image->channels;
  float acc[5][FIT_SIDE], ext[3][FIT_SIDE];
  int y0, y1;
  dm_split_rows(j->raw->height, ith, nth, &y0, &y1);
  for (int ly = y0; ly < y1; ly++) {
    const int ya = ly * f, yb = ya + f < H ? ya + f : H;
    for (int q = 0; q < 5; q++)
      for (int lx = 0; lx < lw; lx++) acc[q][lx] = 0.0f;
    for (int lx = 0; lx < lw; lx++) ext[0][lx] = INFINITY, ext[1][lx] = -INFINITY, ext[2][lx] = 0.0f;
    for (int y = ya; y < yb; y++) {
      const float *p = dm_row(j->image, y), *d = dm_row(rp->depth, y);
      const float *dn = y + 1 < H ? dm_row(rp->depth, y + 1) : d; /* NaN compares false: skipped */
      const float *t = j->matte ? dm_row(j->matte, y) : NULL;
      for (int lx = 0, x = 0; lx < lw; lx++) {
        const int xb = x + f < W ? x + f : W;
        float s0 = 0, s1 = 0, s2 = 0, sr = 0, sm = 0;
        float mn = ext[0][lx], mx = ext[1][lx], gm = ext[2][lx];
        for (; x < xb; x++) {
          if (ch >= 3) {
            s0 += p[x * ch], s1 += p[x * ch + 1], s2 += p[x * ch + 2];
          } else {
            s0 += p[x * ch];
          }
          sr += dm_mask_depth_ramp(100.0f * d[x], rp->lo, rp->hi, rp->width);
          if (t) sm += t[x];
          const float gx = x + 1 < W ? fabsf(d[x + 1] - d[x]) : 0.0f, gy = fabsf(dn[x] - d[x]);
          mn = d[x] < mn ? d[x] : mn;
          mx = d[x] > mx ? d[x] : mx;
          gm = gx > gm ? gx : gm;
          gm = gy > gm ? gy : gm;
        }
        acc[0][lx] += s0, acc[1][lx] += s1, acc[2][lx] += s2, acc[3][lx] += sr, acc[4][lx] += sm;
        ext[0][lx] = mn, ext[1][lx] = mx, ext[2][lx] = gm;
      }
    }
    float *st = dm_row(j->stats, ly);
    for (int lx = 0; lx < lw; lx++)
      st[3 * lx] = ext[0][lx], st[3 * lx + 1] = ext[1][lx], st[3 * lx + 2] = ext[2][lx];
    float *g = dm_row(j->guide, ly), *r = dm_row(j->raw, ly);
    float *m = j->matte ? dm_row(j->mlow, ly) : NULL;
    for (int lx = 0; lx < lw; lx++) {
      const int xa = lx * f, xb = xa + f < W ? xa + f : W;
      const float inv = 1.0f / (float)((yb - ya) * (xb - xa));
      const float rgb[3] = {acc[0][lx] * inv, acc[1][lx] * inv, acc[2][lx] * inv};
      float v = ch >= 3 ? dm_luma(rgb) : rgb[0];
      v = v > 0.0f ? v : 0.0f; /* also NaN */
      g[lx] = sqrtf(v < 1.0f ? v : 1.0f);
      r[lx] = acc[3][lx] * inv;
      if (m) m[lx] = acc[4][lx] * inv;
    }
  }
}

/* Disagreement votes, box-averaged into the matte's weight `a`. */
typedef struct {
  const dm_image *raw, *matte, *guided; /* at the fitting scale */
  dm_image *weight;
} vote_job;

enum { VOTE_K = 3 }; /* the box's quantities: confident, disagreeing, the range's edge band */

static void vote_row_in(void *user, int y, double *v) {
  const vote_job *j = user;
  const int w = j->raw->width;
  const float *r = dm_row(j->raw, y), *m = dm_row(j->matte, y), *g = dm_row(j->guided, y);
  for (int x = 0; x < w; x++) {
    const int confident = m[x] < 0.1f || m[x] > 0.9f;
    double *o = v + (size_t)dm_box_stride(VOTE_K) * x;
    o[0] = confident;
    o[1] = confident && ((r[x] > 0.5f) != (m[x] > 0.5f));
    o[2] = g[x] > 0.02f && g[x] < 0.98f; /* the range's edge band */
  }
}

/* a = (an edge of the range nearby) x (enough confident votes) x (few of
 * them disagree). */
static void vote_row_out(void *user, int y, const double *mean) {
  const vote_job *j = user;
  const int w = j->weight->width;
  float *a = dm_row(j->weight, y);
  for (int x = 0; x < w; x++) {
    const double *mx = mean + (size_t)dm_box_stride(VOTE_K) * x;
    const float conf = (float)mx[0], dis = (float)mx[1], edge = (float)mx[2];
    a[x] = dm_smoothstep01(edge / 0.05f) * dm_smoothstep01((conf - 0.1f) / 0.3f) *
           (1.0f - dm_smoothstep01((dis / (conf > 1e-6f ? conf : 1e-6f) - 0.2f) / 0.3f));
  }
}

/* Bilinear position on pixel centres of a plane f times smaller. */
static void centre_weight(int i, int f, int n, int *j0, float *fr) {
  float s = ((float)i + 0.5f) / (float)f - 0.5f;
  s = s > 0.0f ? s : 0.0f;
  s = s < (float)(n - 1) ? s : (float)(n - 1);
  *j0 = (int)s;
  if (*j0 > n - 2) *j0 = n > 1 ? n - 2 : 0;
  *fr = n > 1 ? s - (float)*j0 : 0.0f;
}

typedef struct {
  dm_image *plane;
  const dm_image *guided, *matte, *weight; /* matte/weight NULL = no matte */
  const dm_image *reach, *agree;           /* edge_reach.c: where refinement may act */
  const dm_mask_ramp *ramp;
  const int *x0;
  const float *xf;
  int f;
  atomic_int nomem;
} blend_job;

/* Row r0 to r1 at fy, for every column of a fitting-scale plane. */
static void lerp_rows(const dm_image *plane, int r0, int r1, float fy, float *out) {
  const float *a = dm_row(plane, r0), *b = dm_row(plane, r1);
  for (int c = 0; c < plane->width; c++) out[c] = a[c] + fy * (b[c] - a[c]);
}

static inline float lerp_at(const float *row, int c0, int c1, float fx) {
  return row[c0] + fx * (row[c1] - row[c0]);
}

static void blend_rows(void *user, int ith, int nth) {
  blend_job *j = user;
  const int lw = j->guided->width, lh = j->guided->height;
  int y0, y1;
  dm_split_rows(j->plane->height, ith, nth, &y0, &y1);
  /* Bilinear, one axis at a time: each output row's fitting-scale rows
   * first (guided, reach, agreement, matte weight), then along the row. */
  float *rows = malloc(sizeof(float) * 4 * (size_t)lw);
  if (!rows) {
    atomic_store(&j->nomem, 1);
    return;
  }
  float *gr = rows, *sr = rows + lw, *qr = rows + 2 * lw, *ar = rows + 3 * lw;
  for (int y = y0; y < y1; y++) {
    int r0;
    float fy;
    centre_weight(y, j->f, lh, &r0, &fy);
    const int r1 = lh > 1 ? r0 + 1 : r0;
    lerp_rows(j->guided, r0, r1, fy, gr);
    lerp_rows(j->reach, r0, r1, fy, sr);
    lerp_rows(j->agree, r0, r1, fy, qr);
    if (j->weight) lerp_rows(j->weight, r0, r1, fy, ar);
    const float *m = j->matte ? dm_row(j->matte, y) : NULL;
    const float *d = dm_row(j->ramp->depth, y);
    float *p = dm_row(j->plane, y);
    for (int x = 0; x < j->plane->width; x++) {
      const int c0 = j->x0[x], c1 = lw > 1 ? c0 + 1 : c0;
      const float fx = j->xf[x];
      /* Within the depth edge's own uncertainty (reach) the guided value;
       * beyond it the unrefined edge stays where it is and only its
       * profile softens, as far as the photo explains the mask there
       * (agree), never across 0.5 (edge_reach.c). */
      const float reach = lerp_at(sr, c0, c1, fx);
      const float raw = dm_mask_depth_ramp(100.0f * d[x], j->ramp->lo, j->ramp->hi, j->ramp->width);
      const float g = lerp_at(gr, c0, c1, fx);
      const float side = raw >= 0.5f ? (g > 0.5f ? g : 0.5f) : (g < BELOW_HALF ? g : BELOW_HALF);
      const float kept = raw + lerp_at(qr, c0, c1, fx) * (side - raw);
      float v = kept + reach * (g - kept);
      if (m && reach > 0.0f) {
        /* A confident plateau is certain (a matte of 0.92 inside a face
         * would leave the face 8% unselected): values above 0.85 reach 1
         * by 0.95, below 0.15 reach 0 by 0.05; soft hair alpha in between
         * is kept as it is. */
        float t = m[x];
        t += (1.0f - t) * dm_smoothstep01((t - 0.85f) * 10.0f);
        t *= 1.0f - dm_smoothstep01((0.15f - t) * 10.0f);
        v += reach * lerp_at(ar, c0, c1, fx) * (t - v);
      }
      v = v > 0.0f ? v : 0.0f; /* also NaN */
      p[x] = v < 1.0f ? v : 1.0f;
    }
  }
  free(rows);
}

/* The fitting scale f and the guided filter's radius (fitting pixels) for
 * a photo whose long side is `side`. A draft (long side 1000, while a
 * slider moves) fits on a grid at most 640 long, as coarse next to its
 * size as the 1600 px proxy's (800) that follows it, so the mask does not
 * change its edge when the value rests: a quarter of the work at draft
 * size (f = 2 instead of 1). */
static int fitting(int side, int draft, int *radius) {
  const int fit = draft ? FIT_SIDE / 2 : FIT_SIDE;
  const int f = (side + fit - 1) / fit;
  *radius = (int)lround(side / 200.0 / f);
  return f;
}

int dm_mask_refine_reach(const dm_frame *frame, int *align) {
  int radius;
  const int f = fitting(frame->full_w > frame->full_h ? frame->full_w : frame->full_h, 0, &radius);
  if (radius < 1) { /* block means only */
    *align = f;
    return f;
  }
  /* A crop on the blocks of edge_reach.c (r fitting pixels) lies on the
   * fitting scale's too. A value reads, in fitting pixels: the matte votes'
   * window (4r) over the guided value (2r: two box passes), which is the
   * farthest (the reach's 4 blocks of r around a block, and its contour
   * distance capped at 4r + 1, stay within it), the bilinear step back (1),
   * and the crop's last block, partial (1 more). */
  *align = f * radius;
  return (6 * radius + 3) * f;
}

void dm_mask_fit_free(dm_mask_fit *fit) {
  if (!fit) return;
  dm_image_free(&fit->raw);
  dm_image_free(&fit->guided);
  dm_image_free(&fit->weight);
  dm_image_free(&fit->reach);
  dm_image_free(&fit->agree);
  memset(fit, 0, sizeof *fit);
}

dm_status dm_mask_refine_fit(dm_context *ctx, const dm_image *image, const dm_image *matte,
                             const dm_mask_ramp *ramp, int draft, const dm_frame *frame,
                             dm_mask_fit *fit) {
  memset(fit, 0, sizeof *fit);
  const int W = image->width, H = image->height;
  /* On a crop, the scale and radius are the whole photo's: frame. */
  const dm_frame fr = dm_frame_of(frame, W, H);
  int radius;
  const int f = fitting(fr.full_w > fr.full_h ? fr.full_w : fr.full_h, draft, &radius);
  const int lw = (W + f - 1) / f, lh = (H + f - 1) / f;
  fit->f = f, fit->width = W, fit->height = H, fit->lo = ramp->lo, fit->hi = ramp->hi;
  fit->ramp_width = ramp->width;
  /* Below 200 px (thumbnails) there is no edge band to refine: the raw
   * value is written as it is (f is 1 there). */
  fit->refine = radius >= 1;
  dm_image guide = {0}, mlow = {0}, stats = {0};
  dm_status s = dm_image_alloc(ctx, &guide, lw, lh, 1);
  if (!s) s = dm_image_alloc(ctx, &fit->raw, lw, lh, 1);
  if (!s && matte) s = dm_image_alloc(ctx, &mlow, lw, lh, 1);
  if (!s) s = dm_image_alloc(ctx, &stats, lw, lh, 3);
  if (!s) {
    shrink_job sj = {.image = image, .ramp = ramp, .matte = matte, .guide = &guide,
                     .raw = &fit->raw, .mlow = &mlow, .stats = &stats, .f = f};
    dm_parallel(ctx, shrink_rows, &sj);
  }
  if (!s && fit->refine) {
    s = dm_guided_filter(ctx, &guide, &fit->raw, radius, GUIDED_EPS, &fit->guided);
    if (!s) s = dm_mask_edge_reach(ctx, &stats, &fit->raw, radius, f, &fit->reach);
    if (!s) s = dm_mask_edge_agreement(ctx, &guide, &fit->raw, radius, &fit->agree);
    if (!s && matte) s = dm_image_alloc(ctx, &fit->weight, lw, lh, 1);
    if (!s && matte) {
      vote_job v = {.raw = &fit->raw, .matte = &mlow, .guided = &fit->guided, .weight = &fit->weight};
      dm_box_stream b = {.width = lw, .height = lh, .k = VOTE_K, .radius = 4 * radius,
                         .row_in = vote_row_in, .row_out = vote_row_out, .user = &v};
      s = dm_box_means(ctx, &b);
    }
  }
  dm_image_free(&guide);
  dm_image_free(&mlow);
  dm_image_free(&stats);
  if (s) dm_mask_fit_free(fit);
  return s;
}

dm_status dm_mask_refine_blend(dm_context *ctx, const dm_mask_fit *fit, const dm_image *matte,
                               const dm_mask_ramp *ramp, dm_image *plane) {
  const int W = plane->width, H = plane->height, lw = fit->raw.width;
  if (W != fit->width || H != fit->height)
    return dm_fail(ctx, DM_ERR_INTERNAL, "depth_range", "a fit of %dx%d for a %dx%d mask",
                   fit->width, fit->height, W, H);
  if (!fit->refine) {
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++) dm_row(plane, y)[x] = dm_row(&fit->raw, y)[x];
    return DM_OK;
  }
  int *x0 = malloc((size_t)W * sizeof *x0);
  float *xf = malloc((size_t)W * sizeof *xf);
  dm_status s = x0 && xf ? DM_OK : dm_fail(ctx, DM_ERR_NOMEM, "depth_range", "out of memory");
  if (!s) {
    for (int x = 0; x < W; x++) centre_weight(x, fit->f, lw, &x0[x], &xf[x]);
    /* a fit made without a matte has no votes: the matte has no say */
    const int votes = matte && fit->weight.data;
    blend_job j = {.plane = plane, .guided = &fit->guided, .matte = votes ? matte : NULL,
                   .weight = votes ? &fit->weight : NULL, .reach = &fit->reach,
                   .agree = &fit->agree, .ramp = ramp, .x0 = x0, .xf = xf, .f = fit->f};
    atomic_init(&j.nomem, 0);
    dm_parallel(ctx, blend_rows, &j);
    if (atomic_load(&j.nomem)) s = dm_fail(ctx, DM_ERR_NOMEM, "depth_range", "out of memory");
  }
  free(x0);
  free(xf);
  return s;
}

dm_status dm_mask_refine_edges(dm_context *ctx, const dm_image *image, const dm_image *matte,
                               const dm_mask_ramp *ramp, int draft, const dm_frame *frame,
                               dm_image *plane) {
  dm_mask_fit fit;
  dm_status s = dm_mask_refine_fit(ctx, image, matte, ramp, draft, frame, &fit);
  if (!s) s = dm_mask_refine_blend(ctx, &fit, matte, ramp, plane);
  dm_mask_fit_free(&fit);
  return s;
}
