/* The fast path's two common conversions eight pixels at a time (see
 * dm_xform_out_avx2 and dm_xform_in_avx2 in color_internal.h). At 24 MP the
 * scalar output loop was ~0.2 s of CPU a photo, most of it the curves'
 * table lookups. */
#include <stdint.h>

#include "color/color_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

/* clip01 of xform.c: NaN and anything not above 0 give +0 (maxps returns
 * its second operand when either is NaN or both are zeros), 1 above 1. */
AVX2 static inline __m256 clip01_8(__m256 v) {
  return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
}

/* out_curve of xform.c on x in [0, 1]: 1 takes the table's last node, a
 * float below 2^-OUT_OCT the line from at0 to the first node, anything
 * else the nodes around its exponent and top mantissa bits. */
AVX2 static inline __m256 curve8(const float *lut, float at0, __m256 x) {
  const __m256i b = _mm256_castps_si256(x);
  const __m256i off = _mm256_sub_epi32(b, _mm256_set1_epi32((int)OUT_BASE));
  /* x = 1 would read past the table: its index is clamped, its value set below */
  __m256i i = _mm256_min_epi32(_mm256_srli_epi32(off, OUT_SHIFT), _mm256_set1_epi32(OUT_N - 2));
  const __m256i below = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)OUT_BASE), b); /* b < OUT_BASE (b >= 0) */
  i = _mm256_andnot_si256(below, i);
  const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(off, _mm256_set1_epi32((1 << OUT_SHIFT) - 1))),
                                 _mm256_set1_ps(1.0f / (float)(1u << OUT_SHIFT)));
  const __m256 a = _mm256_i32gather_ps(lut, i, 4), c = _mm256_i32gather_ps(lut + 1, i, 4);
  const __m256 in_table = _mm256_add_ps(a, _mm256_mul_ps(t, _mm256_sub_ps(c, a)));
  const __m256 z = _mm256_set1_ps(at0);
  const __m256 line = _mm256_add_ps(z, _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(lut[0]), z),
                                                     _mm256_mul_ps(x, _mm256_set1_ps(OUT_SCALE))));
  __m256 y = _mm256_blendv_ps(in_table, line, _mm256_castsi256_ps(below));
  const __m256 one = _mm256_cmp_ps(x, _mm256_set1_ps(1.0f), _CMP_GE_OQ);
  return _mm256_blendv_ps(y, _mm256_set1_ps(lut[OUT_N - 1]), one);
}

/* Eight interleaved RGB pixels, channel by channel, and back, with blends
 * and lane permutes (gathers are slow on the AMD cores we run on: they were
 * a third of these loops). The 24 floats come as three vectors
 *   a = r0 g0 b0 r1 g1 b1 r2 g2,  b = b2 r3 g3 b3 r4 g4 b4 r5,
 *   c = g5 b5 r6 g6 b6 r7 g7 b7;
 * blending a, b and c lane by lane gathers one channel into one vector
 * (e.g. red: a0 b1 c2 a3 b4 c5 a6 b7) in an order the permute undoes. Red's
 * and blue's permutes are their own inverses, so the store uses them too;
 * green's inverse is G_BACK. */
#define R_LANES 0, 3, 6, 1, 4, 7, 2, 5
#define G_LANES 1, 4, 7, 2, 5, 0, 3, 6
#define B_LANES 2, 5, 0, 3, 6, 1, 4, 7
#define G_BACK 5, 0, 3, 6, 1, 4, 7, 2

AVX2 static inline void load_rgb8(const float *in, __m256 rgb[3]) {
  const __m256 a = _mm256_loadu_ps(in), b = _mm256_loadu_ps(in + 8), c = _mm256_loadu_ps(in + 16);
  const __m256 r = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x92), c, 0x24);
  const __m256 g = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x24), c, 0x49);
  const __m256 bl = _mm256_blend_ps(_mm256_blend_ps(a, b, 0x49), c, 0x92);
  rgb[0] = _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(R_LANES));
  rgb[1] = _mm256_permutevar8x32_ps(g, _mm256_setr_epi32(G_LANES));
  rgb[2] = _mm256_permutevar8x32_ps(bl, _mm256_setr_epi32(B_LANES));
}

AVX2 static inline void store_rgb8(float *out, const __m256 rgb[3]) {
  const __m256 r = _mm256_permutevar8x32_ps(rgb[0], _mm256_setr_epi32(R_LANES));
  const __m256 g = _mm256_permutevar8x32_ps(rgb[1], _mm256_setr_epi32(G_BACK));
  const __m256 b = _mm256_permutevar8x32_ps(rgb[2], _mm256_setr_epi32(B_LANES));
  _mm256_storeu_ps(out, _mm256_blend_ps(_mm256_blend_ps(r, g, 0x92), b, 0x24));
  _mm256_storeu_ps(out + 8, _mm256_blend_ps(_mm256_blend_ps(b, r, 0x92), g, 0x24));
  _mm256_storeu_ps(out + 16, _mm256_blend_ps(_mm256_blend_ps(g, b, 0x92), r, 0x24));
}

/* Row k of m times rgb: (m0·r + m1·g) + m2·b, as the scalar loops add. */
AVX2 static inline __m256 matrix_row8(const float m[3][3], int k, const __m256 rgb[3]) {
  return _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(m[k][0]), rgb[0]),
                                     _mm256_mul_ps(_mm256_set1_ps(m[k][1]), rgb[1])),
                       _mm256_mul_ps(_mm256_set1_ps(m[k][2]), rgb[2]));
}

AVX2 static int out_avx2(const float m[3][3], const float *const lut[3], const float at0[3], const float *in,
                         float *out, int width) {
  int x = 0;
  for (; x + 8 <= width; x += 8, in += 24, out += 24) {
    __m256 rgb[3], o[3];
    load_rgb8(in, rgb);
    for (int k = 0; k < 3; k++) o[k] = curve8(lut[k], at0[k], clip01_8(matrix_row8(m, k, rgb)));
    store_rgb8(out, o);
  }
  return x;
}

/* in_curve of xform.c on x in [0, 1]. */
AVX2 static inline __m256 in_curve8(const float *lut, __m256 x) {
  const __m256 f = _mm256_mul_ps(x, _mm256_set1_ps((float)(IN_N - 1)));
  const __m256i i = _mm256_min_epi32(_mm256_cvttps_epi32(f), _mm256_set1_epi32(IN_N - 2));
  const __m256 t = _mm256_sub_ps(f, _mm256_cvtepi32_ps(i));
  const __m256 a = _mm256_i32gather_ps(lut, i, 4), c = _mm256_i32gather_ps(lut + 1, i, 4);
  return _mm256_add_ps(a, _mm256_mul_ps(t, _mm256_sub_ps(c, a)));
}

/* Whether x holds 8-bit codes as dm_code8_float makes them; *k their codes. */
AVX2 static inline int codes8(__m256 x, __m256i *k) {
  *k = _mm256_cvtps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(255.0f)));
  const __m256 back = _mm256_mul_ps(_mm256_cvtepi32_ps(*k), _mm256_set1_ps(1.0f / 255.0f));
  const __m256i in_range = _mm256_and_si256(_mm256_cmpgt_epi32(*k, _mm256_set1_epi32(-1)),
                                            _mm256_cmpgt_epi32(_mm256_set1_epi32(256), *k));
  const __m256 same = _mm256_and_ps(_mm256_cmp_ps(back, x, _CMP_EQ_OQ), _mm256_castsi256_ps(in_range));
  return _mm256_movemask_ps(same) == 0xff;
}

AVX2 static int in_avx2(const float m[3][3], const float *const lut[3], const float *in8, const float *in,
                        float *out, int width) {
  int x = 0;
  for (; x + 8 <= width; x += 8, in += 24, out += 24) {
    __m256 v[3], rgb[3], o[3];
    __m256i k[3];
    load_rgb8(in, v);
    if (in8 && codes8(v[0], &k[0]) && codes8(v[1], &k[1]) && codes8(v[2], &k[2]))
      for (int c = 0; c < 3; c++) rgb[c] = _mm256_i32gather_ps(in8 + 256 * c, k[c], 4);
    else
      for (int c = 0; c < 3; c++) rgb[c] = in_curve8(lut[c], v[c]);
    for (int r = 0; r < 3; r++) o[r] = matrix_row8(m, r, rgb);
    store_rgb8(out, o);
  }
  return x;
}

/* One load of the flags libgcc set at start-up: no cache of our own (a
 * plain static written by racing first calls would be a data race). */
static int have_avx2(void) { return __builtin_cpu_supports("avx2"); }

int dm_xform_out_avx2(const float m[3][3], const float *const lut[3], const float at0[3], const float *in,
                      float *out, int width) {
  return have_avx2() ? out_avx2(m, lut, at0, in, out, width) : 0;
}

int dm_xform_in_avx2(const float m[3][3], const float *const lut[3], const float *in8, const float *in,
                     float *out, int width) {
  return have_avx2() ? in_avx2(m, lut, in8, in, out, width) : 0;
}
#else
int dm_xform_out_avx2(const float m[3][3], const float *const lut[3], const float at0[3], const float *in,
                      float *out, int width) {
  (void)m, (void)lut, (void)at0, (void)in, (void)out, (void)width;
  return 0;
}

int dm_xform_in_avx2(const float m[3][3], const float *const lut[3], const float *in8, const float *in,
                     float *out, int width) {
  (void)m, (void)lut, (void)in8, (void)in, (void)out, (void)width;
  return 0;
}
#endif
