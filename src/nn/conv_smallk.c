/* A register-blocked product for conv tiles, AVX2 + FMA, or AVX-512 where
 * the CPU has it (conv_smallk512.c); both runtime-checked:
 *
 *   y[m][j] = act(bias[m] + sum_k w[m][k] * b[k][j]),  m < M, j < T
 *
 * straight from the im2col block (or the input itself for 1x1): a
 * 6-channel x 16-column block of accumulators lives in 12 ymm registers
 * while k runs, the weights come in as broadcasts and the columns as
 * vector loads. The block is stored once, with bias and activation
 * applied, so there is no zeroing or epilogue pass over Y. The columns are
 * read where they are, or, when the caller asks (1x1 Convs) and there are
 * PACK_MIN_ROWS channels or more, each 16-column block is first packed
 * into a K x 16 panel that every channel block then reads from L1 (see
 * smallk_avx2). sgemm's packing of
 * both operands costs more than it saves when K is small, which is where
 * conv_gemm.c and conv_band.c use this. Row k of b is at b + k * ldb, or at
 * b + off[k] when off is given (rows picked out of a padded input band).
 * Every output is the same FMA chain over k either way: results do not
 * depend on M, T, the packing or the column block an output falls in. */
#include <immintrin.h>

#include "nn/conv_internal.h"

#define MR 6
#define NR 16
enum { FULL = 0, MASKED = 1, NARROW = 2 }; /* block's `tail` */
/* Packing pays from two channel blocks on: bench_conv, one thread, GFLOP/s
 * unpacked -> packed: FastDepth's 1x1 120->56 at 56^2 58 -> 85, 408->376 at
 * 14^2 78 -> 90, 480->512 at 7^2 63 -> 73, 56->16 at 112^2 64 -> 66 (M 16);
 * ISNet's M = 16 band conv (64->16, K 576) stayed within noise (100 -> 98). */
#define PACK_MIN_ROWS 12
/* The panel: K x NR floats for K up to NN_CONV_SMALLK_MAX (40 KB). */
#define PANEL_FLOATS (NN_CONV_SMALLK_MAX * NR)
/* At small K several column blocks are packed together, up to 16 KB (half
 * of L1d): one block at a time, ISNet's 3x3 3->64 band conv (K 27) stored
 * each 16-column block down all 64 rows 1 MB apart and fell from 70 to 32-44
 * GFLOP/s; grouped it runs at 73. */
#define GROUP_FLOATS 4096

__attribute__((target("avx2,fma"))) static inline __m256 act8(__m256 v, int kind, __m256 lo, __m256 hi) {
  if (kind == NN_ACT_RELU) return _mm256_max_ps(v, _mm256_setzero_ps());
  if (kind == NN_ACT_CLIP) return _mm256_min_ps(_mm256_max_ps(v, lo), hi);
  return v;
}

/* One block of `rows` (1..MR, a constant after inlining) x NR columns;
 * `tail` (a constant too) writes only the columns m0 / m1 mask, and reads
 * only them unless `padded` (a packed panel, zero past the columns).
 * tail == NARROW: at most 8 columns, one vector a row (m0), half the FMAs
 * and loads of a full block: a 7x7 plane's 49 columns end in one, a 14x14
 * plane's 196 in four. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
block(int rows, int tail, int padded, __m256i m0, __m256i m1, const float *w, int64_t K, const float *b, int64_t ldb,
      const int64_t *off, float *y, int64_t ldy, const float *bias, int kind, __m256 lo, __m256 hi) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_set1_ps(bias ? bias[r] : 0.0f);
  for (int64_t k = 0; k < K; k++) {
    const float *bk = b + (off ? off[k] : k * ldb);
    const __m256 c0 = tail && !padded ? _mm256_maskload_ps(bk, m0) : _mm256_loadu_ps(bk);
    const __m256 c1 = tail == NARROW ? c0 : tail && !padded ? _mm256_maskload_ps(bk + 8, m1) : _mm256_loadu_ps(bk + 8);
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
      const __m256 wv = _mm256_broadcast_ss(w + r * K + k);
      acc[r][0] = _mm256_fmadd_ps(wv, c0, acc[r][0]);
      if (tail != NARROW) acc[r][1] = _mm256_fmadd_ps(wv, c1, acc[r][1]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < rows; r++) {
    if (tail == NARROW) {
      _mm256_maskstore_ps(y + r * ldy, m0, act8(acc[r][0], kind, lo, hi));
    } else if (tail) {
      _mm256_maskstore_ps(y + r * ldy, m0, act8(acc[r][0], kind, lo, hi));
      _mm256_maskstore_ps(y + r * ldy + 8, m1, act8(acc[r][1], kind, lo, hi));
    } else {
      _mm256_storeu_ps(y + r * ldy, act8(acc[r][0], kind, lo, hi));
      _mm256_storeu_ps(y + r * ldy + 8, act8(acc[r][1], kind, lo, hi));
    }
  }
}

#define BLOCK_ROWS(tail, padded, b, ldb, off)                                                          \
  switch (rows) {                                                                                       \
  case 6: block(6, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;      \
  case 5: block(5, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;      \
  case 4: block(4, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;      \
  case 3: block(3, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;      \
  case 2: block(2, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;      \
  default: block(1, tail, padded, m0, m1, wm, K, b, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;     \
  }

/* Columns [j, j + n) of the K rows of b, n <= NR, into a K x NR panel,
 * zero past n. */
__attribute__((target("avx2,fma"))) static void pack_panel(float *panel, const float *b, int64_t ldb, const int64_t *off,
                                                     int64_t K, int64_t j, int64_t n, __m256i m0, __m256i m1) {
  for (int64_t k = 0; k < K; k++, panel += NR) {
    const float *bk = b + (off ? off[k] : k * ldb) + j;
    _mm256_store_ps(panel, n < NR ? _mm256_maskload_ps(bk, m0) : _mm256_loadu_ps(bk));
    _mm256_store_ps(panel + 8, n < NR ? _mm256_maskload_ps(bk + 8, m1) : _mm256_loadu_ps(bk + 8));
  }
}

__attribute__((target("avx2,fma"))) static void smallk_avx2(const float *w, int64_t M, int64_t K,
                                                        const float *b, int64_t ldb, const int64_t *off,
                                                        int64_t T, float *y, int64_t ldy, const float *bias,
                                                        const nn_act *act, int pack) {
  const __m256 lo = _mm256_set1_ps(act->lo), hi = _mm256_set1_ps(act->hi);
  const int kind = act->kind;
  const int64_t tv = T / NR * NR, rem = T - tv;
  /* lanes < rem of the 16-column tail */
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i tm0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), lane);
  const __m256i tm1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem - 8), lane);
  /* Packed: groups of column blocks, each packed once into a panel that
   * stays in L1 while every channel block reads it, instead of reading K
   * strided rows (two cache lines each when unaligned) from L2 per channel
   * block; grouping keeps a channel block's stores along its rows.
   * Unpacked: one group of all the columns. */
  const int packed = pack && nn_conv_smallk_packs(NN_SMALLK_AVX2, M, K);
  _Alignas(32) float panel[PANEL_FLOATS];
  int64_t group = packed ? GROUP_FLOATS / (K * NR) : (T + NR - 1) / NR;
  if (group < 1) group = 1;
  for (int64_t j0 = 0; j0 < T; j0 += group * NR) {
    const int64_t j1 = j0 + group * NR < T ? j0 + group * NR : T;
    for (int64_t j = j0; packed && j < j1; j += NR)
      pack_panel(panel + (j - j0) * K, b, ldb, off, K, j, j == tv ? rem : NR, tm0, tm1);
    for (int64_t m = 0; m < M; m += MR) {
      const int rows = M - m < MR ? (int)(M - m) : MR;
      const float *wm = w + m * K, *bm = bias ? bias + m : NULL;
      float *ym = y + m * ldy;
      __m256i m0 = tm0, m1 = tm1;
      for (int64_t j = j0; j < j1; j += NR) {
        const float *pj = panel + (j - j0) * K;
        if (packed && j == tv && rem <= 8) BLOCK_ROWS(NARROW, 1, pj, NR, NULL)
        else if (packed && j == tv) BLOCK_ROWS(MASKED, 1, pj, NR, NULL)
        else if (packed) BLOCK_ROWS(FULL, 1, pj, NR, NULL)
        else if (j == tv && rem <= 8) BLOCK_ROWS(NARROW, 0, b + j, ldb, off)
        else if (j == tv) BLOCK_ROWS(MASKED, 0, b + j, ldb, off)
        else BLOCK_ROWS(FULL, 0, b + j, ldb, off)
      }
    }
  }
}

void nn_conv_smallk(int isa, const float *w, int64_t M, int64_t K, const float *b, int64_t ldb,
                    const int64_t *off, int64_t T, float *y, int64_t ldy, const float *bias,
                    const nn_act *act, int pack) {
  if (isa == NN_SMALLK_AVX512)
    nn_conv_smallk512(w, M, K, b, ldb, off, T, y, ldy, bias, act);
  else
    smallk_avx2(w, M, K, b, ldb, off, T, y, ldy, bias, act, pack);
}

int nn_conv_smallk_packs(int isa, int64_t M, int64_t K) {
  return isa == NN_SMALLK_AVX2 && M >= PACK_MIN_ROWS && K * NR <= PANEL_FLOATS;
}

int nn_conv_smallk_isa(int64_t K) {
  __builtin_cpu_init();
  /* the AVX-512 form beat OpenBLAS' (Haswell-kernel) sgemm at every K of
   * bench_conv, 27 to 9216: 1.3-2.5x on one Zen 5 core */
  if (__builtin_cpu_supports("avx512f")) return NN_SMALLK_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && K <= NN_CONV_SMALLK_MAX)
    return NN_SMALLK_AVX2;
  return NN_SMALLK_NONE;
}
