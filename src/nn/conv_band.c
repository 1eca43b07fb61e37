/* 2-D stride-1 Conv without im2col (most of ISNet and the DPT head).
 *
 * With stride 1, the im2col row of tap (c, ky, kx) over output pixels
 * ox..ox+15 of output row oy is input row oy + ky*dy - pt of channel c, read
 * contiguously from column ox + kx*dx - pl. So each worker copies a band of
 * input rows (all channels of the group, zero-padded on every side) into its
 * scratch once, and conv_smallk.c reads the taps straight out of it through
 * K precomputed offsets. The copy is about (rows + (kh-1)*dy) / rows of the
 * input, where im2col writes kh*kw times the input. */
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

/* Per-thread band: past L2, but the rows one output row needs (Cg * kh
 * padded rows) are what stays hot while all output channels run. */
#define BAND_SLOT_BYTES (2u << 20)
#define SCRATCH_MAX_BYTES (32u << 20)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int nn_conv_band_ok(const nn_conv_shape *sh) {
  const nn_win *w = &sh->w;
  if (w->nsp != 2 || w->s[0] != 1 || w->s[1] != 1 || !nn_conv_smallk_isa(sh->kdim)) return 0;
  /* one output row's band must fit */
  int64_t wp = w->out[1] + (w->k[1] - 1) * w->d[1], bh = 1 + (w->k[0] - 1) * w->d[0];
  return sh->cg * bh * wp * (int64_t)sizeof(float) <= (int64_t)BAND_SLOT_BYTES;
}

dm_status nn_conv_band_plan(nn_conv_plan *p, int n_threads) {
  const nn_conv_shape *sh = &p->sh;
  const nn_win *w = &sh->w;
  const int64_t oh = w->out[0], halo = (w->k[0] - 1) * w->d[0];
  p->band_w = w->out[1] + (w->k[1] - 1) * w->d[1]; /* = in + pads along x */
  int64_t budget = BAND_SLOT_BYTES;
  if (budget * n_threads > (int64_t)SCRATCH_MAX_BYTES) budget = SCRATCH_MAX_BYTES / n_threads;
  int64_t rows = budget / (int64_t)sizeof(float) / (sh->cg * p->band_w) - halo;
  if (rows < 1) rows = 1;
  /* enough bands per thread for the balancing, when there are rows enough */
  /* at least one unit and one row, so empty tensors (a 0 batch) plan safely */
  int64_t units = sh->n * sh->group > 0 ? sh->n * sh->group : 1;
  int64_t want = NN_CONV_ITEMS_PER_THREAD * (int64_t)n_threads;
  if (units * ((oh + rows - 1) / rows) < want) {
    int64_t per = (want + units - 1) / units;
    rows = (oh + per - 1) / per;
  }
  rows = min64(rows, oh > 0 ? oh : 1);
  p->tile = rows;
  p->band_h = rows + halo;
  p->slots = n_threads;
  p->slot_floats = (size_t)(sh->cg * p->band_h * p->band_w);
  p->msplit = 1;
  int64_t items = units * ((oh + rows - 1) / rows);
  if (items < n_threads) p->msplit = (int)min64((n_threads + items - 1) / items, sh->mg);
  p->smallk = nn_conv_smallk_isa(sh->kdim);
  p->off = malloc((size_t)sh->kdim * sizeof *p->off);
  if (!p->off) return DM_ERR_NOMEM;
  int64_t k = 0;
  for (int64_t c = 0; c < sh->cg; c++)
    for (int64_t ky = 0; ky < w->k[0]; ky++)
      for (int64_t kx = 0; kx < w->k[1]; kx++)
        p->off[k++] = (c * p->band_h + ky * w->d[0]) * p->band_w + kx * w->d[1];
  return DM_OK;
}

void nn_conv_fill_band(const nn_conv_plan *p, const float *xg, float *band, int64_t iy0, int64_t ix0,
                       int64_t rows) {
  const nn_win *w = &p->sh.w;
  const int64_t ih = w->in[0], iw = w->in[1], bw = p->band_w;
  const int64_t a = ix0 < 0 ? -ix0 : 0, b = min64(bw, iw - ix0); /* band columns inside the image */
  for (int64_t c = 0; c < p->sh.cg; c++)
    for (int64_t r = 0; r < rows; r++) {
      float *dst = band + (c * p->band_h + r) * bw;
      const int64_t iy = iy0 + r;
      if (iy < 0 || iy >= ih || b <= a) {
        memset(dst, 0, (size_t)bw * sizeof *dst);
        continue;
      }
      memset(dst, 0, (size_t)a * sizeof *dst);
      memcpy(dst + a, xg + (c * ih + iy) * iw + ix0 + a, (size_t)(b - a) * sizeof *dst);
      memset(dst + b, 0, (size_t)(bw - b) * sizeof *dst);
    }
}

typedef struct band_job {
  const nn_conv_plan *p;
  const float *x, *wt, *bias;
  float *y, *scratch;
  const nn_act *act;
  atomic_llong next;
} band_job;

static void band_worker(void *user, int ith, int nth) {
  band_job *j = user;
  const nn_conv_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  if (nth > p->slots) nth = p->slots;
  if (ith >= nth) return;
  const int64_t oh = sh->w.out[0], ow = sh->w.out[1], P = sh->w.out_prod, K = sh->kdim;
  const int64_t nb = (oh + p->tile - 1) / p->tile, items = sh->n * sh->group * nb * p->msplit;
  float *band = j->scratch + (size_t)ith * p->slot_floats;
  int64_t have = -1;
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    int64_t ms = it % p->msplit, unit = it / p->msplit;
    int64_t b = unit % nb, ng = unit / nb, g = ng % sh->group, n = ng / sh->group;
    int64_t oy0 = b * p->tile, oy1 = min64(oh, oy0 + p->tile);
    int64_t m0 = sh->mg * ms / p->msplit, m1 = sh->mg * (ms + 1) / p->msplit;
    if (have != unit)
      nn_conv_fill_band(p, j->x + (n * sh->c + g * sh->cg) * sh->w.in_prod, band, oy0 - sh->w.pb[0],
                        -sh->w.pb[1], oy1 - oy0 + (sh->w.k[0] - 1) * sh->w.d[0]);
    have = unit;
    const float *wg = j->wt + (g * sh->mg + m0) * K;
    const float *bg = j->bias ? j->bias + g * sh->mg + m0 : NULL;
    float *yg = j->y + (n * sh->m + g * sh->mg + m0) * P;
    for (int64_t oy = oy0; oy < oy1; oy++)
      nn_conv_smallk(p->smallk, wg, m1 - m0, K, band + (oy - oy0) * p->band_w, 0, p->off, ow,
                     yg + oy * ow, P, bg, j->act, 0);
  }
}

void nn_conv_band_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                      const float *bias, float *y) {
  band_job j = {p, x, wt, bias, y, k->scratch, &k->node->act, 0};
  dm_parallel(k->ctx, band_worker, &j);
}
