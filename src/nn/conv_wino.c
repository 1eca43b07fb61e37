/* Winograd F(4x4, 3x3) Conv (see conv_wino.h and conv_wino_tx.c).
 *
 * The output is cut into blocks of R tile rows by TW tiles (4x4 outputs a
 * tile). Per block, each worker
 *   1. copies the input rows the block reads into a zero-padded band, so
 *      that every 6x6 patch is in bounds;
 *   2. transforms the patches: V[xi][c][t], 36 matrices of C x T;
 *   3. multiplies, for each xi, the transformed weights U[xi] (M x C) by
 *      V[xi] with the register-blocked kernel of conv_smallk.c;
 *   4. transforms the 36 products back to 4x4 outputs, adds the bias and
 *      applies the fused activation.
 * The block is sized so that its V and products stay in L2 and L3 between
 * the steps. */
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "nn/conv_wino.h"

/* Per-thread V, products and band: the 36 products of one xi stay in L2
 * while the next is computed, and the whole block in the core's L3 share. */
#define WINO_SLOT_BYTES (2u << 20)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int nn_conv_wino_ok(const nn_conv_shape *sh) {
  const nn_win *w = &sh->w;
  if (w->nsp != 2 || sh->group != 1 || w->k[0] != 3 || w->k[1] != 3) return 0;
  if (w->s[0] != 1 || w->s[1] != 1 || w->d[0] != 1 || w->d[1] != 1) return 0;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
  /* The transforms cost per tile ~ C + M, the products ~ C * M: with few
   * channels the transforms eat the saving (bench_conv, one thread: 16->16
   * at 1024^2 ran at 60 GFLOP/s against 68 direct, 64->16 at 71 against 63,
   * 32->32 at 120 against 69). */
  if (sh->c * sh->m < 12 * (sh->c + sh->m)) return 0;
  /* The transformed weights, 4x the kernel's, are read again for every
   * block of tiles: with few tiles that traffic wins (512->512 at 16^2 ran
   * at 45 against 55 direct), and below 64^2 outputs the deep layers' 4x
   * weights would add ~200 MB to ISNet's plan for ~4 % of its time. */
  return ((w->out[0] + 3) / 4) * ((w->out[1] + 3) / 4) >= 256;
}

dm_status nn_conv_wino_plan(nn_conv_plan *p, const float *w, int n_threads) {
  const nn_conv_shape *sh = &p->sh;
  const int64_t M = sh->m, C = sh->c;
  const int64_t nty = (sh->w.out[0] + 3) / 4, ntx = (sh->w.out[1] + 3) / 4;
  const int64_t per_tile = 36 * (C + M) * (int64_t)sizeof(float);
  int64_t tw = (ntx + 7) / 8 * 8;
  if (tw * per_tile > (int64_t)WINO_SLOT_BYTES) tw = max64(8, (int64_t)WINO_SLOT_BYTES / per_tile / 8 * 8);
  const int64_t chunks = (ntx + tw - 1) / tw, bw = 4 * tw + 4;
  int64_t rows = max64(1, (int64_t)WINO_SLOT_BYTES / (tw * per_tile + 4 * C * bw * (int64_t)sizeof(float)));
  rows = min64(rows, nty);
  int64_t want = NN_CONV_ITEMS_PER_THREAD * (int64_t)n_threads;
  if (sh->n * chunks * ((nty + rows - 1) / rows) < want) {
    int64_t per = (want + sh->n * chunks - 1) / (sh->n * chunks);
    rows = max64(1, (nty + per - 1) / per);
  }
  p->tile = rows;
  p->wino_tw = tw;
  p->band_w = bw;
  p->band_h = 4 * rows + 2;
  p->slots = n_threads;
  p->slot_floats = (size_t)(C * p->band_h * bw + 36 * (C + M) * rows * tw);
  p->msplit = 1;
  p->smallk = __builtin_cpu_supports("avx512f") ? NN_SMALLK_AVX512 : NN_SMALLK_AVX2;
  p->wino_u = malloc((size_t)(36 * M * C) * sizeof *p->wino_u);
  if (!p->wino_u) return DM_ERR_NOMEM;
  double u[36];
  for (int64_t m = 0; m < M; m++)
    for (int64_t c = 0; c < C; c++) {
      nn_wino_kernel(w + (m * C + c) * 9, u);
      for (int xi = 0; xi < 36; xi++) p->wino_u[(xi * M + m) * C + c] = (float)u[xi];
    }
  return DM_OK;
}

typedef struct wino_job {
  const nn_conv_plan *p;
  const float *x, *bias;
  float *y, *scratch;
  const nn_act *act;
  atomic_llong next;
} wino_job;

/* 8 tiles' outputs to y, clipped to the image at its right and bottom. */
static void store8(const wino_job *j, int64_t xi_stride, const float *mb, float bias, float *y, int64_t oy,
                   int64_t ox) {
  const nn_win *w = &j->p->sh.w;
  const int64_t oh = w->out[0], ow = w->out[1];
  if (oy + 4 <= oh && ox + 32 <= ow) {
    nn_wino_output8(mb, xi_stride, bias, j->act, y + oy * ow + ox, ow);
    return;
  }
  float tmp[4 * 32];
  nn_wino_output8(mb, xi_stride, bias, j->act, tmp, 32);
  for (int64_t r = 0; r < 4 && oy + r < oh; r++)
    memcpy(y + (oy + r) * ow + ox, tmp + r * 32, (size_t)min64(32, ow - ox) * sizeof *y);
}

static void wino_worker(void *user, int ith, int nth) {
  wino_job *j = user;
  const nn_conv_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  if (nth > p->slots) nth = p->slots;
  if (ith >= nth) return;
  const int64_t M = sh->m, C = sh->c, oh = sh->w.out[0], ow = sh->w.out[1];
  const int64_t nty = (oh + 3) / 4, ntx = (ow + 3) / 4, tw = p->wino_tw, R = p->tile;
  const int64_t chunks = (ntx + tw - 1) / tw, nb = (nty + R - 1) / R, items = sh->n * nb * chunks;
  float *band = j->scratch + (size_t)ith * p->slot_floats;
  float *v = band + C * p->band_h * p->band_w;
  const nn_act none = {0};
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    const int64_t h = it % chunks, b = it / chunks % nb, n = it / chunks / nb;
    const int64_t ty0 = b * R, rn = min64(R, nty - ty0), tx0 = h * tw;
    const int64_t groups = (min64(tw, ntx - tx0) + 7) / 8, g8 = 8 * groups, T = rn * g8;
    float *mb = v + 36 * C * T;
    nn_conv_fill_band(p, j->x + n * C * sh->w.in_prod, band, 4 * ty0 - sh->w.pb[0], 4 * tx0 - sh->w.pb[1],
                      4 * rn + 2);
    for (int64_t c = 0; c < C; c++)
      for (int64_t r = 0; r < rn; r++)
        for (int64_t g = 0; g < groups; g++)
          nn_wino_input8(band + (c * p->band_h + 4 * r) * p->band_w + 32 * g, p->band_w,
                         v + c * T + r * g8 + 8 * g, C * T);
    for (int xi = 0; xi < 36; xi++)
      nn_conv_smallk(p->smallk, p->wino_u + xi * M * C, M, C, v + xi * C * T, T, NULL, T, mb + xi * M * T,
                     T, NULL, &none, 0);
    for (int64_t m = 0; m < M; m++) {
      float *ym = j->y + (n * M + m) * sh->w.out_prod;
      const float bias = j->bias ? j->bias[m] : 0.0f;
      for (int64_t r = 0; r < rn; r++)
        for (int64_t g = 0; g < groups; g++)
          store8(j, M * T, mb + m * T + r * g8 + 8 * g, bias, ym, 4 * (ty0 + r), 4 * (tx0 + 8 * g));
    }
  }
}

void nn_conv_wino_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *bias, float *y) {
  wino_job j = {p, x, bias, y, k->scratch, &k->node->act, 0};
  dm_parallel(k->ctx, wino_worker, &j);
}
