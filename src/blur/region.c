/* A blur of a crop of the photo (a region render): what it takes from the
 * whole photo, the margin it needs and the grid its origin lies on.
 *
 * From the whole photo (dm_lens_blur_whole, made once per depth and matte):
 *  - the auto focus's depths (coc.c);
 *  - the slices the photo has and their largest CoC (slices.c): a layer's
 *    fill reaches as far as the nearer slices' largest CoC anywhere in the
 *    photo, and a soft edge's background goes to the first slice the
 *    photo has behind it; a histogram of the depth keeping each bin's
 *    extremes gives both for any CoC, exactly but where a bin straddles
 *    two slices (the CoC is monotonic in depth);
 *  - the matte's CoC fills (matte.c): the background's CoC behind a soft
 *    edge and the subject's own, push-pulled over the whole photo, so a
 *    soft edge far from the background in the crop finds what the whole
 *    image finds. They depend on the depth, the matte and the CoC only,
 *    and are kept for the next crop of the same CoC.
 *
 * The margin: a pixel gathers the light of every source within the largest
 * CoC radius r (a polygon's corners reach 1.15 r; a coarse slice's tent
 * down to its grid and bilinear way back up one cell of 2^L px each side),
 * and a source hidden behind nearer content gives its layer's fill,
 * push-pulled from the layer's own pixels around it. The fills and coarse
 * slices lie on grids of up to 2^L px, so the crop's origin lies on a grid
 * a few levels coarser and the crop's cells are the whole photo's. What
 * remains different is what a fill's pyramid carries from farther than any
 * margin: its upper levels, up to one cell for the whole photo, reach the
 * pixels where a layer's coverage is sparse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur/blur_internal.h"
#include "core/pool.h"
#include "matte/matte.h"

/* Margin: MARGIN x r px (a kernel's reach, 1.25 r for a polygon's
 * corners, and as far again for the fills of what it gathers from behind
 * nearer content), and CELLS cells of the coarsest slice's level (its tent
 * down and bilinear way up). Origin: ALIGN_LEVELS levels above that one.
 * Measured on a 24 MP portrait (20 regions, bench/bench_edit.c's recipe):
 * wider margins or grids change little, as what differs is what a fill's
 * push-pull pyramid carries from farther than any margin (its upper
 * levels, where a layer's coverage is sparse); 2.5 r and 3 levels keep
 * every region's 99.9th percentile within 2/255. */
#define MARGIN 2.5f
#define CELLS 4
#define ALIGN_LEVELS 3
/* The matte's CoC fills and the synthetic matte's background: 8 px cells. */
#define MATTE_GRID 8

/* ---- the whole photo's depth -------------------------------------------- */

typedef struct hist_job {
  const dm_image *near01, *matte;
  dm_lens_blur_whole *part; /* per thread */
} hist_job;

/* A pixel on the subject's soft edge takes the subject's CoC, not its
 * depth's (matte.c, bl_matte_radii): alpha, as the blur quantises it,
 * above BL_ALPHA_EPS and below 0.9. */
static int soft_edge(float m) {
  float q = (float)dm_to_u8(m) * (1.0f / 255.0f);
  return q > BL_ALPHA_EPS && q < 0.9f;
}

static void hist_rows(void *user, int ith, int nth) {
  hist_job *j = user;
  dm_lens_blur_whole *h = &j->part[ith];
  int y0, y1;
  dm_split_rows(j->near01->height, ith, nth, &y0, &y1);
  for (int y = y0; y < y1; y++) {
    const float *d = dm_row(j->near01, y), *m = j->matte ? dm_row(j->matte, y) : NULL;
    for (int x = 0; x < j->near01->width; x++) {
      float n = d[x];
      if (m && soft_edge(m[x])) continue;
      if (!(n == n)) { /* NaN: in focus */
        h->nan++;
        continue;
      }
      n = n < 0.0f ? 0.0f : (n > 1.0f ? 1.0f : n); /* as bl_coc_radius clamps it */
      int b = (int)(n * BL_WHOLE_BINS);
      b = b < BL_WHOLE_BINS ? b : BL_WHOLE_BINS - 1;
      if (!h->count[b]++) h->lo[b] = h->hi[b] = n;
      h->lo[b] = n < h->lo[b] ? n : h->lo[b];
      h->hi[b] = n > h->hi[b] ? n : h->hi[b];
    }
  }
}

dm_status dm_lens_blur_whole_make(dm_context *ctx, const dm_image *near01, const dm_image *matte,
                                  dm_lens_blur_whole **out) {
  int nt = ctx->n_threads > 1 ? ctx->n_threads : 1;
  *out = calloc(1, sizeof **out);
  hist_job j = {near01, matte, calloc((size_t)nt, sizeof *j.part)};
  if (!*out || !j.part) {
    bl_free(*out), bl_free(j.part);
    *out = NULL;
    return dm_fail(ctx, DM_ERR_NOMEM, NULL, "out of memory for the depth's histogram");
  }
  dm_parallel(ctx, hist_rows, &j);
  dm_lens_blur_whole *w = *out;
  for (int t = 0; t < nt; t++) {
    const dm_lens_blur_whole *h = &j.part[t];
    w->nan += h->nan;
    for (int b = 0; b < BL_WHOLE_BINS; b++) {
      if (!h->count[b]) continue;
      if (!w->count[b] || h->lo[b] < w->lo[b]) w->lo[b] = h->lo[b];
      if (!w->count[b] || h->hi[b] > w->hi[b]) w->hi[b] = h->hi[b];
      w->count[b] += h->count[b];
    }
  }
  bl_free(j.part);
  w->near01 = near01, w->matte = matte;
  dm_lens_blur_focus_depths(near01, matte, w->focus);
  return DM_OK;
}

void dm_lens_blur_whole_free(dm_lens_blur_whole *w) {
  if (!w) return;
  bl_free(w->soft_cells);
  bl_free(w->back.fill);
  bl_free(w->subj.fill);
  bl_free(w);
}

/* ---- the matte's CoC fills of the whole photo --------------------------- */

#define FILL_LEVEL 3 /* matte.c's grid for the CoCs: 8 px cells */

typedef struct cells_job {
  dm_lens_blur_whole *w;
  const bl_coc_fn *fn;
  float *back, *subj; /* 5 channels a cell, as matte.c's grid_run makes them */
  int fw, fh;
} cells_job;

/* Per cell, the mean CoC of the background (alpha <= BL_ALPHA_EPS) and of
 * the subject (alpha >= 0.9) pixels, and their coverage: the same sums in
 * the same order as matte.c's grid_run over a whole image's rad and m8,
 * made here from the depth and matte without holding either at full size. */
static void cells_rows(void *user, int ith, int nth) {
  cells_job *j = user;
  const dm_image *d = j->w->near01, *mt = j->w->matte;
  const int B = 1 << FILL_LEVEL;
  int y0, y1;
  dm_split_rows(j->fh, ith, nth, &y0, &y1);
  for (int cy = y0; cy < y1; cy++)
    for (int cx = 0; cx < j->fw; cx++) {
      double ob[5] = {0, 0, 0, 0, 0}, os[5] = {0, 0, 0, 0, 0};
      int n = 0, soft = 0;
      for (int y = B * cy; y < B * cy + B && y < d->height; y++) {
        const float *dr = dm_row(d, y), *mr = dm_row(mt, y);
        for (int x = B * cx; x < B * cx + B && x < d->width; x++) {
          float m = (float)dm_to_u8(mr[x]) * (1.0f / 255.0f), r = bl_coc_radius(j->fn, dr[x]);
          n++;
          if (m >= 0.9f) os[0] += r, os[3] += 1.0;
          if (m <= BL_ALPHA_EPS) ob[0] += r, ob[3] += 1.0;
          soft |= m > BL_ALPHA_EPS && m < 0.9f;
        }
      }
      j->w->soft_cells[(size_t)cy * j->fw + cx] = (uint8_t)soft;
      float *b = j->back + ((size_t)cy * j->fw + cx) * 5, *s = j->subj + ((size_t)cy * j->fw + cx) * 5;
      for (int i = 0; i < 5; i++) b[i] = (float)(ob[i] / n), s[i] = (float)(os[i] / n);
    }
}

dm_status bl_whole_coc_fills(bl_state *st, const bl_coc_fn *fn, const bl_slice **back,
                             const bl_slice **subj) {
  dm_lens_blur_whole *w = st->rg->whole;
  *back = &w->back, *subj = &w->subj;
  if (w->have_fills && !memcmp(&w->fn, fn, sizeof *fn)) return DM_OK;
  w->have_fills = w->have_soft = 0;
  const int B = 1 << FILL_LEVEL, fw = (w->near01->width + B - 1) / B, fh = (w->near01->height + B - 1) / B;
  const size_t n = (size_t)fw * fh;
  bl_slice *out[2] = {&w->back, &w->subj};
  float *own = malloc(sizeof(float) * 10 * n);
  bl_free(w->soft_cells);
  w->soft_cells = malloc(n);
  for (int k = 0; k < 2; k++) {
    bl_free(out[k]->fill);
    memset(out[k], 0, sizeof *out[k]);
    out[k]->fill_level = FILL_LEVEL, out[k]->fw = fw, out[k]->fh = fh;
    out[k]->fill = malloc(sizeof(float) * 4 * n);
  }
  dm_status s = DM_OK;
  if (!own || !w->back.fill || !w->subj.fill || !w->soft_cells)
    s = dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur's CoC fills");
  if (s == DM_OK) {
    cells_job j = {w, fn, own, own + 5 * n, fw, fh};
    dm_parallel(st->ctx, cells_rows, &j);
    s = bl_push_pull(st, fw, fh, own, NULL, 1e9f, w->back.fill, NULL);
    if (s == DM_OK) s = bl_push_pull(st, fw, fh, own + 5 * n, NULL, 1e9f, w->subj.fill, NULL);
  }
  bl_free(own);
  if (s == DM_OK) w->fn = *fn, w->have_fills = 1;
  return s;
}

/* The CoC of every soft edge pixel of the whole photo as matte.c's
 * bl_matte_radii leaves it: the subject's, or its own where the depth is
 * clearly nearer (an occluder's edge); per thread, the count and largest
 * |radius| per candidate. */
typedef struct soft_job {
  const dm_lens_blur_whole *w;
  const bl_coc_fn *fn;
  int (*cand)(float, float);
  float r0;
  long long (*count)[BL_MAX_SLICES];
  float (*rmax)[BL_MAX_SLICES];
} soft_job;

static void soft_rows(void *user, int ith, int nth) {
  soft_job *j = user;
  const dm_lens_blur_whole *w = j->w;
  const dm_image *d = w->near01, *mt = w->matte;
  const int B = 1 << FILL_LEVEL, fw = w->subj.fw;
  int y0, y1;
  dm_split_rows(w->subj.fh, ith, nth, &y0, &y1);
  for (int cy = y0; cy < y1; cy++)
    for (int cx = 0; cx < fw; cx++) {
      if (!w->soft_cells[(size_t)cy * fw + cx]) continue; /* most cells: no soft pixel */
      for (int y = B * cy; y < B * cy + B && y < d->height; y++) {
        const float *dr = dm_row(d, y), *mr = dm_row(mt, y);
        for (int x = B * cx; x < B * cx + B && x < d->width; x++) {
          float f[4], r;
          if (!soft_edge(mr[x]) || !bl_fill_at(&w->subj, x, y, f)) continue;
          r = bl_coc_radius(j->fn, dr[x]);
          if (!(r < f[0] - (1.0f + 0.25f * fabsf(f[0])))) r = f[0];
          int c = j->cand(r, j->r0);
          j->count[ith][c]++;
          j->rmax[ith][c] = fmaxf(j->rmax[ith][c], fabsf(r));
        }
      }
    }
}

dm_status bl_whole_slices(bl_state *st, const bl_coc_fn *fn, int (*cand)(float, float), long long *count,
                          float *rmax) {
  dm_lens_blur_whole *w = st->rg->whole;
  memset(count, 0, sizeof *count * BL_MAX_SLICES);
  memset(rmax, 0, sizeof *rmax * BL_MAX_SLICES);
  if (w->nan) count[cand(0.0f, st->r0)] += w->nan;
  for (int b = 0; b < BL_WHOLE_BINS; b++) {
    if (!w->count[b]) continue;
    /* The CoC is monotonic in depth: the bin's ends are its extremes. */
    float ra = bl_coc_radius(fn, w->lo[b]), rb = bl_coc_radius(fn, w->hi[b]);
    int ca = cand(ra, st->r0), cb = cand(rb, st->r0);
    count[ca] += ca == cb ? w->count[b] : 1;
    if (cb != ca) count[cb]++;
    rmax[ca] = fmaxf(rmax[ca], fabsf(ra));
    rmax[cb] = fmaxf(rmax[cb], fabsf(rb));
  }
  if (!w->matte || !w->have_fills || memcmp(&w->fn, fn, sizeof *fn)) return DM_OK;
  if (!w->have_soft) {
    int nt = st->ctx->n_threads > 1 ? st->ctx->n_threads : 1;
    soft_job j = {w, fn, cand, st->r0, calloc((size_t)nt, sizeof *j.count), calloc((size_t)nt, sizeof *j.rmax)};
    if (!j.count || !j.rmax) {
      bl_free(j.count), bl_free(j.rmax);
      return dm_fail(st->ctx, DM_ERR_NOMEM, NULL, "out of memory for the lens blur's slices");
    }
    dm_parallel(st->ctx, soft_rows, &j);
    memset(w->soft_count, 0, sizeof w->soft_count);
    memset(w->soft_rmax, 0, sizeof w->soft_rmax);
    for (int t = 0; t < nt; t++)
      for (int c = 0; c < BL_MAX_SLICES; c++) {
        w->soft_count[c] += j.count[t][c];
        w->soft_rmax[c] = fmaxf(w->soft_rmax[c], j.rmax[t][c]);
      }
    bl_free(j.count), bl_free(j.rmax);
    w->have_soft = 1;
  }
  for (int c = 0; c < BL_MAX_SLICES; c++) {
    count[c] += w->soft_count[c];
    rmax[c] = fmaxf(rmax[c], w->soft_rmax[c]);
  }
  return DM_OK;
}

/* ---- the margin ----------------------------------------------------------- */

int dm_lens_blur_reach(dm_context *ctx, const dm_lens_blur *p, float z_near_m, float z_far_m,
                       const dm_lens_blur_region *rg, int *align) {
  *align = 1;
  if (dm_lens_blur_check(ctx, p) != DM_OK) return -1;
  if (!p->active) return 0;
  float r;
  if (p->mode == DM_BLUR_PHYSICAL) { /* monotonic in depth: its ends are its extremes */
    bl_coc_fn fn;
    if (bl_coc_setup(ctx, NULL, z_near_m, z_far_m, NULL, p, rg, NULL, &fn) != DM_OK) return -1;
    r = fmaxf(fabsf(bl_coc_radius(&fn, 0.0f)), fabsf(bl_coc_radius(&fn, 1.0f)));
  } else { /* full blur, whatever the focal range */
    r = 0.5f * dm_lens_blur_max_coc(p, rg->frame.full_w, rg->frame.full_h);
  }
  if (!(r < 1e6f)) r = 1e6f; /* a lens focused at its nearest: the margin is the photo */
  int L = 0;
  for (float t = BL_R0; r > t && L < BL_MAX_LEVEL; t *= 2.0f) L++; /* a crop's r0 */
  int cell = 1 << L, grid = 1 << (L + ALIGN_LEVELS);
  *align = grid > MATTE_GRID ? grid : MATTE_GRID;
  return (int)ceilf(MARGIN * r) + CELLS * cell + 2;
}
