/* The transforms of Winograd F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", 2016), points 0, +-1, +-2, infinity:
 *
 *   V = B' d B  (6x6 input tile d)     U = G g G'  (3x3 kernel g)
 *   Y = A' [U . V] A  (4x4 output tile; . is per element, summed over channels)
 *
 * The input and output transforms work on 8 tiles at once, one tile per
 * AVX2 lane. Eight tiles side by side start 4 columns apart, so their
 * columns are strided in memory; a 4-way deinterleave (unpacks and shuffles,
 * no gathers) turns 32 consecutive floats into 4 vectors, column k of each
 * tile. The lanes then hold tiles 0 2 4 6 1 3 5 7 (nn_wino_order); the
 * products never mix lanes, and the output transform's interleave undoes
 * the order, so nothing else needs to know. */
#include <immintrin.h>

#include "nn/conv_wino.h"

#define TGT __attribute__((target("avx2,fma")))

/* Columns k..k+3 of 8 tiles whose first column is p[0], p[4], ..., p[28]. */
TGT static inline void deint4(const float *p, __m256 out[4]) {
  const __m256 a0 = _mm256_loadu_ps(p), a1 = _mm256_loadu_ps(p + 8);
  const __m256 a2 = _mm256_loadu_ps(p + 16), a3 = _mm256_loadu_ps(p + 24);
  const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
  const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
  out[0] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  out[1] = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  out[2] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  out[3] = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/* Columns 4 and 5 (the first two of p + 4). */
TGT static inline void deint2(const float *p, __m256 *c4, __m256 *c5) {
  const __m256 a0 = _mm256_loadu_ps(p), a1 = _mm256_loadu_ps(p + 8);
  const __m256 a2 = _mm256_loadu_ps(p + 16), a3 = _mm256_loadu_ps(p + 24);
  const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t2 = _mm256_unpacklo_ps(a2, a3);
  *c4 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  *c5 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
}

/* The inverse of deint4: 4 vectors (column xx of 8 tiles, lanes in
 * nn_wino_order) to 32 consecutive floats, tile i at out[4i..4i+3]. */
TGT static inline void interleave4(const __m256 v[4], __m256 out[4]) {
  const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpacklo_ps(v[2], v[3]);
  const __m256 t2 = _mm256_unpackhi_ps(v[0], v[1]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
  out[0] = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(1, 0, 1, 0));
  out[1] = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 2, 3, 2));
  out[2] = _mm256_shuffle_ps(t2, t3, _MM_SHUFFLE(1, 0, 1, 0));
  out[3] = _mm256_shuffle_ps(t2, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/* B' z for 6 values. */
TGT static inline void bt6(const __m256 z[6], __m256 o[6]) {
  const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f), two = _mm256_set1_ps(2.0f);
  const __m256 a = _mm256_fnmadd_ps(four, z[2], z[4]); /* z4 - 4 z2 */
  const __m256 b = _mm256_fnmadd_ps(four, z[1], z[3]); /* z3 - 4 z1 */
  const __m256 c = _mm256_sub_ps(z[4], z[2]);
  const __m256 d = _mm256_mul_ps(two, _mm256_sub_ps(z[3], z[1]));
  o[0] = _mm256_fmadd_ps(four, z[0], _mm256_fnmadd_ps(five, z[2], z[4]));
  o[1] = _mm256_add_ps(a, b);
  o[2] = _mm256_sub_ps(a, b);
  o[3] = _mm256_add_ps(c, d);
  o[4] = _mm256_sub_ps(c, d);
  o[5] = _mm256_fmadd_ps(four, z[1], _mm256_fnmadd_ps(five, z[3], z[5]));
}

/* A' z: 6 values to 4. */
TGT static inline void at6(const __m256 z[6], __m256 o[4]) {
  const __m256 a = _mm256_add_ps(z[1], z[2]), b = _mm256_sub_ps(z[1], z[2]);
  const __m256 c = _mm256_add_ps(z[3], z[4]), d = _mm256_sub_ps(z[3], z[4]);
  o[0] = _mm256_add_ps(_mm256_add_ps(z[0], a), c);
  o[1] = _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d, b);
  o[2] = _mm256_fmadd_ps(_mm256_set1_ps(4.0f), c, a);
  o[3] = _mm256_add_ps(_mm256_fmadd_ps(_mm256_set1_ps(8.0f), d, b), z[5]);
}

TGT void nn_wino_input8(const float *src, int64_t ld, float *v, int64_t xi_stride) {
  __m256 e[6][6];
  for (int q = 0; q < 6; q++) {
    __m256 d[6];
    deint4(src + q * ld, d);
    deint2(src + q * ld + 4, &d[4], &d[5]);
    bt6(d, e[q]);
  }
  for (int j = 0; j < 6; j++) {
    __m256 z[6], o[6];
    for (int q = 0; q < 6; q++) z[q] = e[q][j];
    bt6(z, o);
    for (int i = 0; i < 6; i++) _mm256_storeu_ps(v + (i * 6 + j) * xi_stride, o[i]);
  }
}

TGT void nn_wino_output8(const float *m, int64_t xi_stride, float bias, const nn_act *act, float *out,
                         int64_t ld) {
  __m256 f[6][4];
  for (int i = 0; i < 6; i++) {
    __m256 z[6];
    for (int j = 0; j < 6; j++) z[j] = _mm256_loadu_ps(m + (i * 6 + j) * xi_stride);
    at6(z, f[i]);
  }
  const __m256 vb = _mm256_set1_ps(bias);
  const __m256 lo = _mm256_set1_ps(act->kind == NN_ACT_RELU ? 0.0f : act->lo);
  const __m256 hi = _mm256_set1_ps(act->hi);
  __m256 y[4][4];
  for (int xx = 0; xx < 4; xx++) {
    __m256 z[6], o[4];
    for (int i = 0; i < 6; i++) z[i] = f[i][xx];
    at6(z, o);
    for (int yy = 0; yy < 4; yy++) {
      __m256 t = _mm256_add_ps(o[yy], vb);
      /* max(t, lo) gives lo for NaN, as the other conv kernels do */
      if (act->kind != NN_ACT_NONE) t = _mm256_max_ps(t, lo);
      if (act->kind == NN_ACT_CLIP) t = _mm256_min_ps(t, hi);
      y[yy][xx] = t;
    }
  }
  for (int yy = 0; yy < 4; yy++) {
    __m256 r[4];
    interleave4(y[yy], r);
    for (int k = 0; k < 4; k++) _mm256_storeu_ps(out + yy * ld + 8 * k, r[k]);
  }
}

void nn_wino_kernel(const float *g, double u[36]) {
  /* G g G' in double: the 1/6 and 1/24 terms are not exact in float */
  static const double G[6][3] = {{1.0 / 4, 0, 0},          {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  double t[6][3];
  for (int i = 0; i < 6; i++)
    for (int c = 0; c < 3; c++) t[i][c] = G[i][0] * g[c] + G[i][1] * g[3 + c] + G[i][2] * g[6 + c];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) u[i * 6 + j] = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
}
