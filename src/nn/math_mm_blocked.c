/* MatMul on the conv kernels' register-blocked AVX-512 product
 * (nn_conv_smallk512) instead of OpenBLAS, which runs its AVX2 Haswell
 * kernels on AVX-512 CPUs. The product is cut into (64 rows x 128 columns)
 * tiles per batch matrix that the pool's workers take from an atomic
 * counter, each with a single-threaded kernel call, so B's column panel and
 * A's rows stay in L2 and OpenBLAS's own threads never spin against ours. */
#include <stdatomic.h>

#include "core/pool.h"
#include "nn/conv_internal.h"
#include "nn/math_internal.h"

#define TILE_ROWS 64
#define TILE_COLS 128

typedef struct {
  const float *a, *b, *bias;
  float *y;
  int64_t batches, m, k, n;
  int64_t a_stride, b_stride; /* elements between batch matrices (0 = shared) */
  int64_t row_tiles, col_tiles;
  const nn_act *act;
  atomic_llong next;
} mm_tiles;

static void tile_worker(void *user, int ith, int nth) {
  mm_tiles *t = user;
  (void)ith, (void)nth;
  const int64_t per = t->row_tiles * t->col_tiles, items = t->batches * per;
  const nn_act none = {NN_ACT_NONE, 0, 0};
  for (int64_t it; (it = nn_conv_next(&t->next)) < items;) {
    const int64_t bt = it / per, rt = (it % per) / t->col_tiles, ct = it % t->col_tiles;
    const int64_t r0 = rt * TILE_ROWS, c0 = ct * TILE_COLS;
    const int64_t rows = t->m - r0 < TILE_ROWS ? t->m - r0 : TILE_ROWS;
    const int64_t cols = t->n - c0 < TILE_COLS ? t->n - c0 : TILE_COLS;
    const float *a = t->a + bt * t->a_stride + r0 * t->k;
    const float *b = t->b + bt * t->b_stride + c0;
    float *y = t->y + bt * t->m * t->n + r0 * t->n + c0;
    nn_conv_smallk512(a, rows, t->k, b, t->n, NULL, cols, y, t->n, NULL, t->bias ? &none : t->act);
    if (t->bias) { /* column bias, then the activation */
      for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * t->n;
        for (int64_t c = 0; c < cols; c++) yr[c] += t->bias[c0 + c];
        nn_conv_act(t->act, yr, (size_t)cols);
      }
    }
  }
}

int nn_mm_blocked_ok(int64_t k) { return k > 0 && nn_conv_smallk_isa(k) == NN_SMALLK_AVX512; }

void nn_mm_blocked(dm_context *ctx, const float *a, int64_t a_stride, const float *b, int64_t b_stride,
                   const float *bias, float *y, int64_t batches, int64_t m, int64_t k, int64_t n,
                   const nn_act *act) {
  mm_tiles t = {a, b, bias, y, batches, m, k, n, a_stride, b_stride,
                (m + TILE_ROWS - 1) / TILE_ROWS, (n + TILE_COLS - 1) / TILE_COLS, act, 0};
  atomic_init(&t.next, 0);
  dm_parallel(ctx, tile_worker, &t);
}
