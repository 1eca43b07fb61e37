/* The AVX-512 form of conv_smallk.c's register-blocked product (same
 * contract): an 8-channel x 32-column block in 16 zmm accumulators. On a
 * CPU with full-width AVX-512 units (Zen 5, recent Xeons) this doubles the
 * FLOPs per cycle of the AVX2 form; OpenBLAS 0.3.21 runs its Haswell
 * kernels on such CPUs, which is why the conv kernels lean on this one. */
#include <immintrin.h>

#include "nn/conv_internal.h"

#define MR 8
#define NR 32

__attribute__((target("avx512f"))) static inline __m512 act16(__m512 v, int kind, __m512 lo, __m512 hi) {
  if (kind == NN_ACT_RELU) return _mm512_max_ps(v, _mm512_setzero_ps());
  if (kind == NN_ACT_CLIP) return _mm512_min_ps(_mm512_max_ps(v, lo), hi);
  return v;
}

/* One block of `rows` (1..MR) x NR columns; rows and tail are constants
 * after inlining; with tail only the columns of masks k0 / k1 are touched. */
__attribute__((target("avx512f"), always_inline)) static inline void
block(int rows, int tail, __mmask16 k0, __mmask16 k1, const float *w, int64_t K, const float *b,
      int64_t ldb, const int64_t *off, float *y, int64_t ldy, const float *bias, int kind, __m512 lo,
      __m512 hi) {
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_set1_ps(bias ? bias[r] : 0.0f);
  for (int64_t k = 0; k < K; k++) {
    const float *bk = b + (off ? off[k] : k * ldb);
    const __m512 c0 = tail ? _mm512_maskz_loadu_ps(k0, bk) : _mm512_loadu_ps(bk);
    const __m512 c1 = tail ? _mm512_maskz_loadu_ps(k1, bk + 16) : _mm512_loadu_ps(bk + 16);
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++) {
      const __m512 wv = _mm512_set1_ps(w[r * K + k]);
      acc[r][0] = _mm512_fmadd_ps(wv, c0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(wv, c1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < rows; r++) {
    if (tail) {
      _mm512_mask_storeu_ps(y + r * ldy, k0, act16(acc[r][0], kind, lo, hi));
      _mm512_mask_storeu_ps(y + r * ldy + 16, k1, act16(acc[r][1], kind, lo, hi));
    } else {
      _mm512_storeu_ps(y + r * ldy, act16(acc[r][0], kind, lo, hi));
      _mm512_storeu_ps(y + r * ldy + 16, act16(acc[r][1], kind, lo, hi));
    }
  }
}

#define BLOCK_ROWS(tail)                                                                         \
  switch (rows) {                                                                                \
  case 8: block(8, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 7: block(7, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 6: block(6, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 5: block(5, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 4: block(4, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 3: block(3, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  case 2: block(2, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break;  \
  default: block(1, tail, k0, k1, wm, K, b + j, ldb, off, ym + j, ldy, bm, kind, lo, hi); break; \
  }

__attribute__((target("avx512f"))) void nn_conv_smallk512(const float *w, int64_t M, int64_t K,
                                                          const float *b, int64_t ldb, const int64_t *off,
                                                          int64_t T, float *y, int64_t ldy,
                                                          const float *bias, const nn_act *act) {
  const __m512 lo = _mm512_set1_ps(act->lo), hi = _mm512_set1_ps(act->hi);
  const int kind = act->kind;
  const int64_t tv = T / NR * NR, rem = T - tv;
  const __mmask16 k0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
  const __mmask16 k1 = (__mmask16)(rem <= 16 ? 0 : (1u << (rem - 16)) - 1);
  for (int64_t m = 0; m < M; m += MR) {
    const int rows = M - m < MR ? (int)(M - m) : MR;
    const float *wm = w + m * K, *bm = bias ? bias + m : NULL;
    float *ym = y + m * ldy;
    int64_t j = 0;
    for (; j < tv; j += NR) BLOCK_ROWS(0)
    if (rem) BLOCK_ROWS(1)
  }
}
