/* The two products of the fused attention (ops_math_attention.c) on one
 * worker's block of R query rows, AVX2 + FMA, register-blocked 6 rows x 16
 * columns as conv_smallk.c, but in the loop orders these shapes want:
 *
 *   scores S = A . B, A [R, K] (K = head dim, ~64), B [K, N] (N = tokens):
 *     column strips outside, row blocks inside, so the strip of B (K rows of
 *     64 bytes) and all of A stay in L1 while the 6-row blocks go by. With
 *     rows outside (smallk's order, for conv weights) every block re-streams
 *     all of B from L2, which held the product at half the FMA rate.
 *   values O = P . V, P [R, N], V [N, D]: N is long, so it is cut into
 *     chunks whose slice of V stays in L1 across the row blocks; the partial
 *     sums go through O (R x D floats, L1), not through extra registers.
 *
 * B and V come packed in panels of 16 columns (nn_att_pack: row k of a
 * panel is 16 adjacent floats, the panel's rows follow each other, columns
 * past the matrix are zeros). Read from the matrices themselves, a strip's
 * K rows lay a whole row of B apart (5.5 KB for DA-V2-S's 1370 tokens; V's
 * rows, inside the Q|K|V projection, 1.5 KB), so its 64 or 256 rows touched
 * that many pages and cache lines: more than the L1 TLB holds, on every
 * strip. Each output still sums its products in the same order. */
#include <string.h>

#include "nn/math_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define MR 6
#define NR NN_ATT_PANEL
#define KC 256 /* rows of V per chunk: 16 KB of a 16-column strip */

/* acc (+)= w[0..rows) x b over k < kn: w rows at stride ldw, b a panel (rows
 * 16 floats apart, padded with zeros); the `tail` form reads and writes only
 * the columns of y that m0/m1 let. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
block(int rows, int tail, int accumulate, __m256i m0, __m256i m1, const float *w, int64_t ldw, int64_t kn,
      const float *b, float *y, int64_t ldy) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int r = 0; r < rows; r++) {
    if (!accumulate) {
      acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    } else if (tail) {
      acc[r][0] = _mm256_maskload_ps(y + r * ldy, m0);
      acc[r][1] = _mm256_maskload_ps(y + r * ldy + 8, m1);
    } else {
      acc[r][0] = _mm256_loadu_ps(y + r * ldy);
      acc[r][1] = _mm256_loadu_ps(y + r * ldy + 8);
    }
  }
  /* unrolled: the six rows' addresses then serve four k at fixed offsets */
#pragma GCC unroll 4
  for (int64_t k = 0; k < kn; k++) {
    const __m256 c0 = _mm256_loadu_ps(b + k * NR), c1 = _mm256_loadu_ps(b + k * NR + 8);
#pragma GCC unroll 6
    for (int r = 0; r < rows; r++) {
      const __m256 wv = _mm256_broadcast_ss(w + r * ldw + k);
      acc[r][0] = _mm256_fmadd_ps(wv, c0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(wv, c1, acc[r][1]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < rows; r++) {
    if (tail) {
      _mm256_maskstore_ps(y + r * ldy, m0, acc[r][0]);
      _mm256_maskstore_ps(y + r * ldy + 8, m1, acc[r][1]);
    } else {
      _mm256_storeu_ps(y + r * ldy, acc[r][0]);
      _mm256_storeu_ps(y + r * ldy + 8, acc[r][1]);
    }
  }
}

#define BLOCK(tail, accumulate, w, y)                                                               \
  switch (rows) {                                                                                   \
  case 6: block(6, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                     \
  case 5: block(5, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                     \
  case 4: block(4, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                     \
  case 3: block(3, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                     \
  case 2: block(2, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                     \
  default: block(1, tail, accumulate, m0, m1, w, ldw, kn, b, y, ldy); break;                    \
  }

/* y[M, T] (+)= w[M, kn] . b[kn, T]: one column strip at a time, all row
 * blocks inside it; strip s of b is the panel at bm + s * step. */
__attribute__((target("avx2,fma"))) static void strips(const float *w, int64_t ldw, int64_t M, int64_t kn,
                                                      const float *bm, int64_t step, int64_t T, float *ym,
                                                      int64_t ldy, int accumulate) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t j = 0; j < T; j += NR) {
    const int64_t rem = T - j;
    const int tail = rem < NR;
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem - 8), lane);
    const float *b = bm + j / NR * step;
    for (int64_t m = 0; m < M; m += MR) {
      const int rows = M - m < MR ? (int)(M - m) : MR;
      const float *wr = w + m * ldw;
      float *y = ym + m * ldy + j;
      if (tail && accumulate) BLOCK(1, 1, wr, y)
      else if (tail) BLOCK(1, 0, wr, y)
      else if (accumulate) BLOCK(0, 1, wr, y)
      else BLOCK(0, 0, wr, y)
    }
  }
}

void nn_att_scores8(const float *a, int64_t lda, int64_t rows, int64_t k, const float *b, int64_t np, float *s,
                    int64_t lds) {
  strips(a, lda, rows, k, b, k * NR, np, s, lds, 0);
}

void nn_att_values8(const float *p, int64_t ldp, int64_t rows, int64_t n, const float *v, int64_t d, float *y,
                    int64_t ldy) {
  for (int64_t k0 = 0; k0 < n; k0 += KC) {
    const int64_t kn = n - k0 < KC ? n - k0 : KC;
    strips(p + k0, ldp, rows, kn, v + k0 * NR, n * NR, d, y, ldy, k0 > 0);
  }
}

#else
void nn_att_scores8(const float *a, int64_t lda, int64_t rows, int64_t k, const float *b, int64_t np, float *s,
                    int64_t lds) {
  (void)a, (void)lda, (void)rows, (void)k, (void)b, (void)np, (void)s, (void)lds;
}
void nn_att_values8(const float *p, int64_t ldp, int64_t rows, int64_t n, const float *v, int64_t d, float *y,
                    int64_t ldy) {
  (void)p, (void)ldp, (void)rows, (void)n, (void)v, (void)d, (void)y, (void)ldy;
}
#endif
