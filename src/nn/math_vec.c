/* Vectorisable exp and erf for the hot activations (Softmax, Sigmoid,
 * GELU). libm's expf/erff are scalar calls; these run 4 lanes in SSE
 * registers and stay within ~1-2 ulp (exp) / 2e-7 absolute (erf). */
#include <math.h>

#include "nn/math_internal.h"

/* e^x = 2^n * e^r with n = round(x / ln2), |r| <= ln2 / 2; e^r by its
 * Taylor series to degree 7 (truncation < 6e-9 relative). ln2 is split in a
 * part exact in float and a remainder so n * ln2 subtracts without loss. */
nn_v4f nn_v4_exp(nn_v4f x) {
  const nn_v4i over = x > 88.7228394f; /* e^x overflows float */
  x = nn_v4_select(x < -104.0f, nn_v4_set1(-104.0f), x); /* underflows to 0 */
  x = nn_v4_select(over, nn_v4_set1(88.0f), x);
  /* Round to nearest by adding and removing 1.5 * 2^23. */
  nn_v4f fn = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  nn_v4f r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  nn_v4f p = nn_v4_set1(1.0f / 5040.0f);
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  /* 2^n in two halves so each stays a normal float down to n = -150. */
  nn_v4i n = __builtin_convertvector(fn, nn_v4i);
  nn_v4i n1 = n >> 1, n2 = n - n1;
  typedef uint32_t v4u __attribute__((vector_size(16)));
  nn_v4f s1 = (nn_v4f)((v4u)(n1 + 127) << 23), s2 = (nn_v4f)((v4u)(n2 + 127) << 23);
  nn_v4f y = p * s1 * s2;
  return nn_v4_select(over, nn_v4_set1(INFINITY), y);
}

/* erf(|x|) = x * P(x^2) below 0.5 and 1 - e^(-x^2) * R(1 / (1 + x/2)) above
 * (R = erfc * e^(x^2) is smooth there); both polynomials are least-squares
 * fits made for this file. Beyond 4, erf is 1 in float. */
nn_v4f nn_v4_erf(nn_v4f x) {
  const nn_v4i neg = x < 0.0f;
  nn_v4f a = nn_v4_select(neg, -x, x);
  a = nn_v4_select(a > 4.0f, nn_v4_set1(4.0f), a);
  nn_v4f a2 = a * a;
  nn_v4f s = nn_v4_set1(0.00474462053f);
  s = s * a2 - 0.0267692637f;
  s = s * a2 + 0.112829916f;
  s = s * a2 - 0.37612617f;
  s = s * a2 + 1.12837911f;
  s = s * a;
  nn_v4f t = 1.0f / (1.0f + 0.5f * a);
  nn_v4f r = nn_v4_set1(0.113128208f);
  r = r * t - 0.448124170f;
  r = r * t + 0.527005136f;
  r = r * t - 0.0723255351f;
  r = r * t + 0.331802547f;
  r = r * t + 0.264537454f;
  r = r * t + 0.284105897f;
  r = r * t - 9.73927527e-05f;
  nn_v4f l = 1.0f - nn_v4_exp(-a2) * r;
  nn_v4f y = nn_v4_select(a < 0.5f, s, l);
  y = nn_v4_select(neg, -y, y);
  return nn_v4_select(x != x, x, y); /* NaN in, NaN out */
}

/* Array forms with a scalar tail done through a padded vector. */
#define NN_VEC_ARRAY(name, vfn)                                 \
  void name(const float *x, float *y, int64_t n) {              \
    int64_t i = 0;                                              \
    for (; i + 4 <= n; i += 4) nn_v4_store(y + i, vfn(nn_v4_load(x + i))); \
    if (i < n) {                                                \
      float buf[4] = {0, 0, 0, 0};                              \
      memcpy(buf, x + i, (size_t)(n - i) * sizeof *x);          \
      nn_v4f v = vfn(nn_v4_load(buf));                          \
      nn_v4_store(buf, v);                                      \
      memcpy(y + i, buf, (size_t)(n - i) * sizeof *y);          \
    }                                                           \
  }

NN_VEC_ARRAY(nn_vexp, nn_v4_exp)
NN_VEC_ARRAY(nn_verf, nn_v4_erf)
