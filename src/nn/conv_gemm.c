/* Conv as matrix products: per batch item and group, Y[Mg x P] = W[Mg x K] .
 * cols[K x P], K = Cg * kernel size, P = output positions. The P axis is cut
 * into tiles; each dm_parallel worker builds the im2col block of its tile in
 * its own scratch slice and multiplies it straight into Y: with the
 * register-blocked kernel of conv_smallk.c (bias and activation applied at
 * the store) when K is small, else with a single-threaded sgemm accumulating
 * onto the bias, the activation following while the tile is in cache. A 1x1
 * stride-1 unpadded Conv skips im2col: the input already is cols. */
#include <cblas.h>
#include <string.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

/* Per-thread im2col budget: a tile of K x T floats that stays in L2 while
 * the product streams it, yet wide enough for sgemm to run at full speed. */
#define GEMM_SLOT_BYTES (512 * 1024)
#define GEMM_MIN_TILE 128
/* 1x1 tiles: the Mg x T output block the epilogue revisits stays cached. */
#define PW_TILE_BYTES (512 * 1024)
#define SCRATCH_MAX_BYTES (32u << 20)
/* Whole-image mode (see nn_conv_gemm_plan): taken when tiles would be
 * narrower than WHOLE_BELOW_TILE, the im2col matrix fits WHOLE_MAX_BYTES
 * and each thread gets WHOLE_MIN_ROWS output channels or more. */
#define WHOLE_BELOW_TILE 256
#define WHOLE_MAX_BYTES (20 << 20)
#define WHOLE_MIN_ROWS 64
#define WHOLE_COL_CHUNKS 16

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

void nn_conv_gemm_plan(nn_conv_plan *p, int n_threads) {
  const nn_conv_shape *sh = &p->sh;
  int64_t P = sh->w.out_prod, K = sh->kdim;
  p->slots = n_threads;
  p->msplit = 1;
  p->slot_floats = 0;
  int64_t t;
  if (p->algo == NN_CONV_1X1) {
    t = PW_TILE_BYTES / (int64_t)sizeof(float) / sh->mg;
  } else {
    int64_t budget = GEMM_SLOT_BYTES;
    if (budget * n_threads > (int64_t)SCRATCH_MAX_BYTES) budget = SCRATCH_MAX_BYTES / n_threads;
    t = budget / (int64_t)sizeof(float) / K;
  }
  t = max64(t, GEMM_MIN_TILE);
  /* Enough tiles per thread for the balancing, when the image allows it. */
  int64_t units = sh->n * sh->group;
  int64_t want = NN_CONV_ITEMS_PER_THREAD * (int64_t)n_threads;
  if (units * ((P + t - 1) / t) < want) {
    int64_t per = (want + units - 1) / units;
    t = max64((P + per - 1) / per, GEMM_MIN_TILE / 2);
  }
  t = min64(t, P);
  if (t > 16) t = (t + 15) / 16 * 16 < P ? (t + 15) / 16 * 16 : P;
  p->tile = t;
  int64_t items = units * ((P + t - 1) / t);
  if (items < n_threads) p->msplit = (int)min64((n_threads + items - 1) / items, sh->mg);
  if (p->algo == NN_CONV_GEMM) p->slot_floats = (size_t)(K * t);
  p->smallk = nn_conv_smallk_isa(K);
  p->whole = 0;
  /* Few positions and many channels (ISNet's 32x32 layers, K 2304-9216):
   * tiles of a few dozen columns made every sgemm call pack the whole
   * weight matrix again (512->512 at 32^2 ran at 62 GFLOP/s on one core).
   * Instead the workers build one im2col matrix of the whole image
   * together and each multiplies a slice of the output channels by all of
   * it: 81 GFLOP/s (bench_conv). One slice per thread: more would pack the
   * im2col matrix once more each. */
  if (p->algo == NN_CONV_GEMM && !p->smallk && t < WHOLE_BELOW_TILE &&
      K * P * (int64_t)sizeof(float) <= WHOLE_MAX_BYTES && sh->mg >= WHOLE_MIN_ROWS * n_threads) {
    p->whole = 1;
    p->tile = P;
    p->msplit = n_threads;
    p->slots = 1;
    p->slot_floats = (size_t)(K * P);
  }
}

/* dst[j] = row[(x0 + j) * s + shift] for j < n, zero outside [0, iw). */
static void copy_run(float *dst, const float *row, int64_t iw, int64_t x0, int64_t n, int64_t s,
                     int64_t shift) {
  int64_t a = x0 * s + shift; /* input index of j = 0 */
  int64_t lo = a >= 0 ? 0 : (-a + s - 1) / s;
  int64_t hi = a > iw - 1 ? 0 : (iw - 1 - a) / s + 1;
  lo = min64(lo, n);
  hi = max64(min64(hi, n), lo);
  if (lo) memset(dst, 0, (size_t)lo * sizeof *dst);
  const float *src = row + a;
  if (s == 1) {
    memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof *dst);
  } else if (s == 2) {
    for (int64_t j = lo; j < hi; j++) dst[j] = src[2 * j];
  } else {
    for (int64_t j = lo; j < hi; j++) dst[j] = src[j * s];
  }
  if (hi < n) memset(dst + hi, 0, (size_t)(n - hi) * sizeof *dst);
}

/* cols[K x (p1 - p0)] for output positions [p0, p1) of one group's input,
 * the rows of channels [c0, c1). */
static void im2col(const nn_conv_shape *sh, const float *xg, float *cols, int64_t p0, int64_t p1, int64_t c0,
                   int64_t c1) {
  const nn_win *w = &sh->w;
  const int last = w->nsp - 1;
  const int64_t T = p1 - p0, ow = w->out[last], iw = w->in[last];
  int64_t istr[NN_SP_MAX];
  istr[last] = 1;
  for (int i = last - 1; i >= 0; i--) istr[i] = istr[i + 1] * w->in[i + 1];
  for (int64_t p = p0; p < p1;) {
    int64_t r = p / ow, x0 = p % ow, n = min64(ow - x0, p1 - p);
    int64_t oc[NN_SP_MAX];
    for (int i = last - 1; i >= 0; i--) {
      oc[i] = r % w->out[i];
      r /= w->out[i];
    }
    float *dst = cols + c0 * w->kprod * T + (p - p0);
    for (int64_t c = c0; c < c1; c++) {
      const float *xc = xg + c * w->in_prod;
      int64_t kd[NN_SP_MAX] = {0};
      for (int64_t kp = 0; kp < w->kprod; kp++, dst += T) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < last; i++) {
          int64_t ii = oc[i] * w->s[i] + kd[i] * w->d[i] - w->pb[i];
          inside &= ii >= 0 && ii < w->in[i];
          off += ii * istr[i];
        }
        if (inside)
          copy_run(dst, xc + off, iw, x0, n, w->s[last], kd[last] * w->d[last] - w->pb[last]);
        else
          memset(dst, 0, (size_t)n * sizeof *dst);
        for (int i = last; i >= 0; i--) { /* next kernel position */
          if (++kd[i] < w->k[i]) break;
          kd[i] = 0;
        }
      }
    }
    p += n;
  }
}

typedef struct gemm_job {
  const nn_conv_plan *p;
  const float *x, *wt, *bias;
  float *y, *scratch;
  const nn_act *act;
  atomic_llong next;
  int64_t n, g; /* whole-image mode: the batch item and group at hand */
} gemm_job;

/* Output rows [m0, m1) of group g at positions [p0, p0 + len) from the
 * K x len block b. */
static void rows(const gemm_job *j, int64_t g, int64_t m0, int64_t m1, const float *b, int ldb, int64_t p0,
                 int64_t len, float *yg) {
  const nn_conv_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  const int64_t P = sh->w.out_prod, K = sh->kdim;
  if (p->smallk) {
    nn_conv_smallk(p->smallk, j->wt + (g * sh->mg + m0) * K, m1 - m0, K, b, ldb, NULL, len, yg + m0 * P + p0,
                   P, j->bias ? j->bias + g * sh->mg + m0 : NULL, j->act, p->algo == NN_CONV_1X1);
    return;
  }
  /* The bias goes in first and sgemm accumulates onto it (beta 1): that
   * replaces OpenBLAS' own zeroing pass of C instead of adding a pass. */
  if (j->bias)
    for (int64_t m = m0; m < m1; m++) nn_conv_fill(yg + m * P + p0, (size_t)len, j->bias[g * sh->mg + m]);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(m1 - m0), (int)len, (int)K, 1.0f,
              j->wt + (g * sh->mg + m0) * K, (int)K, b, ldb, j->bias ? 1.0f : 0.0f, yg + m0 * P + p0, (int)P);
  if (j->act->kind != NN_ACT_NONE)
    for (int64_t m = m0; m < m1; m++) nn_conv_act(j->act, yg + m * P + p0, (size_t)len);
}

static void gemm_worker(void *user, int ith, int nth) {
  gemm_job *j = user;
  const nn_conv_plan *p = j->p;
  const nn_conv_shape *sh = &p->sh;
  if (nth > p->slots) nth = p->slots; /* scratch was cut for p->slots threads */
  if (ith >= nth) return;
  const int64_t P = sh->w.out_prod, T = p->tile, ntiles = (P + T - 1) / T;
  const int64_t items = sh->n * sh->group * ntiles * p->msplit;
  float *cols = j->scratch ? j->scratch + (size_t)ith * p->slot_floats : NULL;
  int64_t have = -1; /* the (n, g, tile) whose im2col block is in cols */
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    int64_t ms = it % p->msplit, unit = it / p->msplit;
    int64_t tile = unit % ntiles, ng = unit / ntiles, g = ng % sh->group, n = ng / sh->group;
    int64_t p0 = tile * T, p1 = min64(P, p0 + T);
    int64_t m0 = sh->mg * ms / p->msplit, m1 = sh->mg * (ms + 1) / p->msplit;
    const float *xg = j->x + (n * sh->c + g * sh->cg) * sh->w.in_prod;
    float *yg = j->y + (n * sh->m + g * sh->mg) * P;
    const float *b;
    int ldb;
    if (p->algo == NN_CONV_1X1) {
      b = xg + p0;
      ldb = (int)P;
    } else {
      if (have != unit) im2col(sh, xg, cols, p0, p1, 0, sh->cg);
      have = unit;
      b = cols;
      ldb = (int)(p1 - p0);
    }
    rows(j, g, m0, m1, b, ldb, p0, p1 - p0, yg);
  }
}

/* Whole-image mode, step 1: the shared im2col matrix, channel chunks. */
static void whole_cols_worker(void *user, int ith, int nth) {
  (void)ith, (void)nth;
  gemm_job *j = user;
  const nn_conv_shape *sh = &j->p->sh;
  const int64_t chunks = min64(sh->cg, WHOLE_COL_CHUNKS);
  const float *xg = j->x + (j->n * sh->c + j->g * sh->cg) * sh->w.in_prod;
  for (int64_t it; (it = nn_conv_next(&j->next)) < chunks;)
    im2col(sh, xg, j->scratch, 0, sh->w.out_prod, sh->cg * it / chunks, sh->cg * (it + 1) / chunks);
}

/* Step 2: a slice of the output channels by the whole matrix. */
static void whole_rows_worker(void *user, int ith, int nth) {
  (void)ith, (void)nth;
  gemm_job *j = user;
  const nn_conv_shape *sh = &j->p->sh;
  const int64_t P = sh->w.out_prod;
  float *yg = j->y + (j->n * sh->m + j->g * sh->mg) * P;
  for (int64_t it; (it = nn_conv_next(&j->next)) < j->p->msplit;)
    rows(j, j->g, sh->mg * it / j->p->msplit, sh->mg * (it + 1) / j->p->msplit, j->scratch, (int)P, 0, P, yg);
}

void nn_conv_gemm_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                      const float *bias, float *y) {
  gemm_job j = {p, x, wt, bias, y, k->scratch, &k->node->act, 0, 0, 0};
  if (!p->whole) {
    dm_parallel(k->ctx, gemm_worker, &j);
    return;
  }
  for (j.n = 0; j.n < p->sh.n; j.n++)
    for (j.g = 0; j.g < p->sh.group; j.g++) {
      atomic_store(&j.next, 0);
      dm_parallel(k->ctx, whole_cols_worker, &j);
      atomic_store(&j.next, 0);
      dm_parallel(k->ctx, whole_rows_worker, &j);
    }
}
