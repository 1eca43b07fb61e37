/* 8-lane AVX2+FMA forms of the hot transcendental loops (Softmax's
 * exp-and-sum, GELU), chosen at run time when the CPU has them. The project
 * builds for x86-64-v2, where math_vec.c's 4-lane SSE forms run without FMA;
 * these are the same approximations (math_vec.c derives them) on twice the
 * lanes with fused multiply-adds, so results differ only in rounding. */
#include <math.h>

#include "nn/math_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

int nn_vec8_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* e^x as nn_v4_exp: 2^n * e^r, |r| <= ln2 / 2, Taylor to degree 7. max/min
 * take the second operand when one is NaN, so NaN passes through. */
AVX2 static inline __m256 exp8(__m256 x) {
  const __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(88.7228394f), _CMP_GT_OQ);
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);
  x = _mm256_min_ps(_mm256_set1_ps(88.7228394f), x);
  const __m256 fn = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  /* 2^n in two halves so each stays a normal float down to n = -150 */
  const __m256i n = _mm256_cvtps_epi32(fn);
  const __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  return _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), over);
}

/* erf as nn_v4_erf (same polynomials). */
AVX2 static inline __m256 erf8(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  a = _mm256_min_ps(a, _mm256_set1_ps(4.0f));
  const __m256 a2 = _mm256_mul_ps(a, a);
  __m256 s = _mm256_set1_ps(0.00474462053f);
  s = _mm256_fmadd_ps(s, a2, _mm256_set1_ps(-0.0267692637f));
  s = _mm256_fmadd_ps(s, a2, _mm256_set1_ps(0.112829916f));
  s = _mm256_fmadd_ps(s, a2, _mm256_set1_ps(-0.37612617f));
  s = _mm256_fmadd_ps(s, a2, _mm256_set1_ps(1.12837911f));
  s = _mm256_mul_ps(s, a);
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.5f), a, _mm256_set1_ps(1.0f)));
  __m256 r = _mm256_set1_ps(0.113128208f);
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.448124170f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.527005136f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.0723255351f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.331802547f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.264537454f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.284105897f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-9.73927527e-05f));
  const __m256 l = _mm256_fnmadd_ps(exp8(_mm256_sub_ps(_mm256_setzero_ps(), a2)), r, _mm256_set1_ps(1.0f));
  __m256 y = _mm256_blendv_ps(l, s, _mm256_cmp_ps(a, _mm256_set1_ps(0.5f), _CMP_LT_OQ));
  y = _mm256_or_ps(y, sign);
  return _mm256_blendv_ps(y, x, nan); /* NaN in, NaN out */
}

/* The last n < 8 floats through a padded buffer (no reads past the end). */
#define TAIL8(x, y, n, BODY)                                  \
  do {                                                        \
    float buf_[8] = {0, 0, 0, 0, 0, 0, 0, 0};                 \
    memcpy(buf_, (x), (size_t)(n) * sizeof(float));           \
    __m256 v = _mm256_loadu_ps(buf_);                         \
    _mm256_storeu_ps(buf_, (BODY));                           \
    memcpy((y), buf_, (size_t)(n) * sizeof(float));           \
  } while (0)

AVX2 float nn_vexp_sub_sum8(const float *x, float *y, int64_t n, float m) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vm));
    _mm256_storeu_ps(y + i, e0);
    _mm256_storeu_ps(y + i + 8, e1);
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    _mm256_storeu_ps(y + i, e);
    s0 = _mm256_add_ps(s0, e);
  }
  s0 = _mm256_add_ps(s0, s1);
  float lanes[8];
  _mm256_storeu_ps(lanes, s0);
  float s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < n; i++) {
    y[i] = expf(x[i] - m);
    s += y[i];
  }
  return s;
}

AVX2 float nn_vmax8(const float *x, int64_t n) {
  float m = -INFINITY;
  int64_t i = 0;
  if (n >= 8) {
    __m256 v = _mm256_loadu_ps(x);
    for (i = 8; i + 8 <= n; i += 8) v = _mm256_max_ps(_mm256_loadu_ps(x + i), v);
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
  }
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

AVX2 void nn_vscale8(float *y, int64_t n, float r) {
  const __m256 vr = _mm256_set1_ps(r);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vr));
  for (; i < n; i++) y[i] *= r;
}

AVX2 static inline __m256 gelu8(__m256 v) {
  const __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.707106781f)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

AVX2 void nn_vgelu8(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) TAIL8(x + i, y + i, n - i, gelu8(v));
}

AVX2 void nn_vexp8(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) TAIL8(x + i, y + i, n - i, exp8(v));
}

AVX2 void nn_verf8(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, erf8(_mm256_loadu_ps(x + i)));
  if (i < n) TAIL8(x + i, y + i, n - i, erf8(v));
}

#else
int nn_vec8_ok(void) { return 0; }
float nn_vexp_sub_sum8(const float *x, float *y, int64_t n, float m) { (void)x, (void)y, (void)n, (void)m; return 0; }
float nn_vmax8(const float *x, int64_t n) { (void)x, (void)n; return 0; }
void nn_vscale8(float *y, int64_t n, float r) { (void)y, (void)n, (void)r; }
void nn_vgelu8(const float *x, float *y, int64_t n) { (void)x, (void)y, (void)n; }
void nn_vexp8(const float *x, float *y, int64_t n) { (void)x, (void)y, (void)n; }
void nn_verf8(const float *x, float *y, int64_t n) { (void)x, (void)y, (void)n; }
#endif
