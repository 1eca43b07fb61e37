/* The edge-aware base/detail split of log-luminance that highlights,
 * shadows, clarity (large radius) and texture (small radius) share.
 *
 * Method: a fast guided filter (He & Sun 2015). The image is reduced by a
 * factor s chosen from the radius (each cell: the log of its mean
 * luminance), the self-guided filter's coefficients a, b are computed
 * there with box filters (running sums, so the cost does not depend on the
 * radius), and at full size the base is a(x) * lum(x) + b(x) with a, b
 * interpolated bilinearly. Because the
 * full-size luminance enters linearly, the base follows every edge whose
 * local variance exceeds eps: across such edges the detail lum - base is
 * near zero, which is what keeps shadows/highlights/clarity free of halos.
 *
 * Radii are fractions of the image diagonal (the large one ~1.5 %, the
 * small one ~0.3 %), so a 1 MP proxy and the 24 MP original get the same
 * result at their own scale. */
#include <stdlib.h>
#include <string.h>

#include "adjust/adjust_op.h"

#define LARGE_RADIUS 0.015f /* of the diagonal */
#define SMALL_RADIUS 0.003f
/* Edges stronger than about sqrt(eps) stops are kept in the base. */
#define LARGE_EPS 0.25f
#define SMALL_EPS 0.10f
/* Texture spares areas whose local standard deviation is below ~0.05 stop
 * (flat skin, sky: mostly noise there): its weight is the activity
 * var / (var + tau^2), with var read back from the small scale's own
 * box-averaged a = var / (var + eps), i.e. var = eps a / (1 - a). */
#define ACT_TAU2 0.0025f
/* Low-resolution radii we aim for: enough samples for a smooth box. */
#define SMALL_LOWRES_RADIUS 2.0f
#define LARGE_LOWRES_RADIUS 8.0f

typedef struct {
  const dm_image *img;
  dm_adj_plane *out;
  int s;
} down_job;

/* Log-luminance of each s x s block's mean luminance (the logarithm once
 * per cell, not per pixel: this pass reads the whole image). */
static void down_rows(void *user, int i0, int i1) {
  down_job *j = user;
  const dm_image *img = j->img;
  int s = j->s, lw = j->out->w;
  for (int i = i0; i < i1; i++) {
    float *o = dm_adj_prow(j->out, i);
    memset(o, 0, (size_t)lw * sizeof *o);
    int ya = i * s, yb = ya + s < img->height ? ya + s : img->height;
    for (int y = ya; y < yb; y++) {
      const float *px = dm_row(img, y);
      for (int jx = 0; jx < lw; jx++) {
        int xa = jx * s, xb = xa + s < img->width ? xa + s : img->width;
        float sum = 0;
        for (int x = xa; x < xb; x++) sum += dm_luma(px + 3 * x);
        o[jx] += sum;
      }
    }
    for (int jx = 0; jx < lw; jx++) {
      int xa = jx * s, xb = xa + s < img->width ? xa + s : img->width;
      o[jx] = dm_adj_stops(o[jx] / (float)((xb - xa) * (yb - ya)));
    }
  }
}

typedef struct {
  const dm_adj_plane *fine;
  dm_adj_plane *out;
  int k, sf, width, height;
} coarse_job;

/* Pixels of the full-size image that fine cell i (of size sf) covers. */
static inline int cover(int i, int sf, int n) {
  int a = i * sf, b = a + sf < n ? a + sf : n;
  return b - a;
}

/* Coarse cells from fine ones, weighted by the pixels each fine cell
 * covers (partial cells at the right and bottom edges count less). */
static void coarse_rows(void *user, int i0, int i1) {
  coarse_job *j = user;
  const dm_adj_plane *f = j->fine;
  for (int I = i0; I < i1; I++) {
    float *o = dm_adj_prow(j->out, I);
    for (int J = 0; J < j->out->w; J++) {
      double sum = 0, wsum = 0;
      for (int i = I * j->k; i < (I + 1) * j->k && i < f->h; i++) {
        double cy = cover(i, j->sf, j->height);
        const float *fr = dm_adj_prow(f, i);
        for (int jj = J * j->k; jj < (J + 1) * j->k && jj < f->w; jj++) {
          double c = cy * cover(jj, j->sf, j->width);
          sum += c * fr[jj];
          wsum += c;
        }
      }
      o[J] = (float)(sum / wsum);
    }
  }
}

static dm_status scale_filter(dm_adj_run *run, dm_adj_scale *sc, const dm_adj_plane *lowres, int s,
                              int with_act) {
  dm_context *ctx = run->ctx;
  dm_status st = dm_adj_grid_init(ctx, &sc->grid, run->img->width, run->img->height, s);
  if (!st) st = dm_adj_plane_alloc(ctx, &sc->a, lowres->w, lowres->h);
  if (!st) st = dm_adj_plane_alloc(ctx, &sc->b, lowres->w, lowres->h);
  if (!st) st = dm_adj_guided(ctx, lowres, lowres, sc->r, sc->eps, &sc->a, &sc->b);
  sc->with_act = with_act;
  sc->active = 1; /* even on failure, so that free releases what exists */
  return st;
}

/* The two scales on a photo of diagonal `diag`: the fine level's cell sf
 * (the small scale's), the coarse level's k fine cells, and each scale's
 * box radius in its cells. */
typedef struct scales {
  int sf, k, r_small, r_large;
} scales;

static scales scales_of(float diag) {
  float rl = LARGE_RADIUS * diag, rs = SMALL_RADIUS * diag;
  scales c;
  /* The fine level serves the small scale; the coarse one is built from it,
   * always the same way, so the large base does not depend on whether
   * texture is on. */
  c.sf = (int)(rs / SMALL_LOWRES_RADIUS);
  c.sf = c.sf < 1 ? 1 : (c.sf > 64 ? 64 : c.sf); /* 64: a 65535-pixel side needs 59 */
  c.k = (int)(rl / (LARGE_LOWRES_RADIUS * (float)c.sf));
  if (c.k < 1) c.k = 1;
  c.r_small = (int)lroundf(rs / (float)c.sf);
  if (c.r_small < 1) c.r_small = 1;
  c.r_large = (int)lroundf(rl / (float)(c.sf * c.k));
  if (c.r_large < 1) c.r_large = 1;
  return c;
}

int dm_adj_bases_reach(const dm_frame *frame, unsigned needs, int *align) {
  const scales c = scales_of(dm_adj_diag(frame));
  /* Cells a base reads: the guided filter's two box passes (2r), the
   * bilinear step back (1) and the crop's last cell, partial (1 more). */
  int small = (2 * c.r_small + 3) * c.sf, large = (2 * c.r_large + 3) * c.sf * c.k;
  *align = needs & DM_ADJ_NEED_LARGE ? c.sf * c.k : c.sf;
  if (!(needs & DM_ADJ_NEED_SMALL)) small = 0;
  if (!(needs & DM_ADJ_NEED_LARGE)) large = 0;
  return small > large ? small : large;
}

dm_status dm_adj_bases_compute(dm_adj_run *run, unsigned needs) {
  dm_context *ctx = run->ctx;
  const dm_image *img = run->img;
  const scales c = scales_of(dm_adj_diag(&run->frame));
  const int sf = c.sf, k = c.k;

  dm_adj_plane fine = {0}, coarse = {0};
  dm_status st = dm_adj_plane_alloc(ctx, &fine, (img->width + sf - 1) / sf, (img->height + sf - 1) / sf);
  if (st) return st;
  down_job dj = {img, &fine, sf};
  dm_adj_parallel_rows(ctx, fine.h, down_rows, &dj);

  if (needs & DM_ADJ_NEED_SMALL) {
    dm_adj_scale *sc = &run->scale[DM_ADJ_SMALL];
    sc->r = c.r_small;
    sc->eps = SMALL_EPS;
    st = scale_filter(run, sc, &fine, sf, 1);
  }
  if (!st && (needs & DM_ADJ_NEED_LARGE)) {
    dm_adj_scale *sc = &run->scale[DM_ADJ_LARGE];
    const dm_adj_plane *src = &fine;
    if (k > 1) {
      st = dm_adj_plane_alloc(ctx, &coarse, (fine.w + k - 1) / k, (fine.h + k - 1) / k);
      if (!st) {
        coarse_job cj = {&fine, &coarse, k, sf, img->width, img->height};
        dm_adj_parallel_rows(ctx, coarse.h, coarse_rows, &cj);
        src = &coarse;
      }
    }
    if (!st) {
      sc->r = c.r_large;
      sc->eps = LARGE_EPS;
      st = scale_filter(run, sc, src, sf * k, 0);
    }
  }
  dm_adj_plane_free(&coarse);
  dm_adj_plane_free(&fine);
  return st;
}

void dm_adj_bases_free(dm_adj_run *run) {
  for (int k = 0; k < DM_ADJ_NSCALES; k++) {
    dm_adj_scale *sc = &run->scale[k];
    dm_adj_grid_free(&sc->grid);
    dm_adj_plane_free(&sc->a);
    dm_adj_plane_free(&sc->b);
    sc->active = 0;
  }
}

void dm_adj_bases_span(const dm_adj_scale *sc, int x0, int y, int n, const float *lum, float *base,
                       float *act) {
  int i0, i1;
  float fy;
  dm_adj_grid_row(&sc->grid, y, &i0, &i1, &fy);
  const float *a0 = dm_adj_prow(&sc->a, i0), *a1 = dm_adj_prow(&sc->a, i1);
  const float *b0 = dm_adj_prow(&sc->b, i0), *b1 = dm_adj_prow(&sc->b, i1);
  float a[DM_ADJ_SPAN];
  for (int i = 0; i < n; i++) {
    int x = x0 + i;
    a[i] = dm_adj_grid_at(&sc->grid, a0, a1, fy, x);
    base[i] = a[i] * lum[i] + dm_adj_grid_at(&sc->grid, b0, b1, fy, x);
  }
  if (act && sc->with_act)
    for (int i = 0; i < n; i++) {
      float ea = sc->eps * dm_adj_clampf(a[i], 0.0f, 1.0f);
      act[i] = ea / (ea + ACT_TAU2 * (1.0f - dm_adj_clampf(a[i], 0.0f, 1.0f)) + 1e-12f);
    }
}
