/* The 8-lane AVX2 loops (src/nn/math_vec8.c) against libm in double, over
 * the whole float range and its edges (0, -0, subnormal results, overflow,
 * +-inf, NaN), against the 4-lane SSE forms they stand in for (same
 * specials), and with every tail length; Softmax rows through both paths.
 * Skips (passes) on a CPU without AVX2 + FMA. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "nn/math_internal.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* uniform in [-1, 1) */
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* Same value, or both NaN. */
static int same(float a, float b) { return (isnan(a) && isnan(b)) || a == b; }

static double gelu_ref(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

static void test_exp(void) {
  enum { N = 200000 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  for (int i = 0; i < N; i++) x[i] = -110.0f + 200.0f * (float)i / N; /* underflow to overflow */
  nn_vexp8(x, y, N);
  double worst = 0, worst_sub = 0;
  for (int i = 0; i < N; i++) {
    double w = exp((double)x[i]);
    if (w >= FLT_MIN && w <= FLT_MAX) worst = fmax(worst, fabs(y[i] - w) / w);
    else if (w < FLT_MIN) worst_sub = fmax(worst_sub, fabs(y[i] - w)); /* subnormal or zero */
    else CHECK(isinf(y[i]));
  }
  fprintf(stderr, "exp8: max relative error %.3g (normal results), absolute %.3g below FLT_MIN\n", worst, worst_sub);
  CHECK(worst < 3e-7);
  CHECK(worst_sub < 2e-45);
  const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 88.72f, 88.73f, -87.33f, -103.9f, -104.5f,
                      -1e30f, 1e30f, FLT_MAX, -FLT_MAX, FLT_MIN, 1e-40f};
  const int ns = (int)(sizeof sp / sizeof sp[0]);
  float a[32], b[32];
  nn_vexp8(sp, a, ns);
  nn_vexp(sp, b, ns);
  for (int i = 0; i < ns; i++) {
    if (!same(a[i], b[i]) && fabs(a[i] - b[i]) > 3e-7 * fabs(b[i]))
      fprintf(stderr, "exp8(%g) = %g, 4-lane %g\n", sp[i], a[i], b[i]), dm_test_failures++;
  }
  CHECK(a[0] == 1.0f && a[1] == 1.0f && isinf(a[2]) && a[3] == 0.0f && isnan(a[4]) && isnan(a[5]));
  free(x), free(y);
}

static void test_erf_gelu(void) {
  enum { N = 100000 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *z = malloc(N * sizeof *z);
  for (int i = 0; i < N; i++) x[i] = -12.0f + 24.0f * (float)i / N;
  nn_verf8(x, y, N);
  double worst = 0;
  for (int i = 0; i < N; i++) worst = fmax(worst, fabs(y[i] - erf((double)x[i])));
  fprintf(stderr, "erf8: max absolute error %.3g\n", worst);
  CHECK(worst < 1e-6);
  /* GELU: relative to max(1, |x|), wide range */
  for (int i = 0; i < N; i++) x[i] = (float)(-1e4 * pow(10.0, -8.0 * i / N)) * (i & 1 ? -1.0f : 1.0f);
  nn_vgelu8(x, y, N);
  worst = 0;
  for (int i = 0; i < N; i++) worst = fmax(worst, fabs(y[i] - gelu_ref(x[i])) / fmax(1.0, fabs((double)x[i])));
  fprintf(stderr, "gelu8: max error %.3g (relative to max(1, |x|))\n", worst);
  CHECK(worst < 2e-7);
  /* specials: as the 4-lane path and the spelled-out graph compute them */
  const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, FLT_MAX, -FLT_MAX, 1e-40f, -1e-40f, 5.0f, -5.0f};
  const int ns = (int)(sizeof sp / sizeof sp[0]);
  float a[16], e[16];
  nn_vgelu8(sp, a, ns);
  nn_verf8(sp, e, ns);
  for (int i = 0; i < ns; i++) {
    float v4[4] = {sp[i], 0, 0, 0}, r4[4];
    nn_verf(v4, r4, 4);
    CHECK(same(e[i], r4[0]) || fabs(e[i] - r4[0]) < 1e-6);
  }
  CHECK(a[0] == 0.0f && a[1] == 0.0f && isinf(a[2]) && a[2] > 0 && isnan(a[3]) && isnan(a[4]));
  /* as x * 0.5 * (1 + erf(x / sqrt 2)) in float: -inf * 0 is NaN above, -FLT_MAX * 0 is 0 */
  CHECK(a[5] == FLT_MAX && a[6] == 0.0f);
  CHECK(e[2] == 1.0f && e[3] == -1.0f && isnan(e[4]));
  /* tails: every length up to 19 leaves y[n..] alone */
  for (int n = 0; n < 20; n++) {
    float in[24], out[24];
    for (int i = 0; i < 24; i++) in[i] = frand() * 4, out[i] = 123.0f;
    nn_vgelu8(in, out, n);
    for (int i = 0; i < 24; i++) CHECK(i < n ? fabs(out[i] - gelu_ref(in[i])) < 1e-6 : out[i] == 123.0f);
  }
  free(x), free(y), free(z);
}

static void test_softmax_rows(void) {
  for (int d = 1; d < 70; d += (d < 20 ? 1 : 7)) {
    float x[80], y8[80], y4[80];
    for (int i = 0; i < d; i++) x[i] = frand() * 30;
    nn_softmax_row(x, y8, d, 1);
    nn_softmax_row(x, y4, d, 0);
    double s = 0;
    for (int i = 0; i < d; i++) {
      CHECK(fabs(y8[i] - y4[i]) < 1e-6);
      s += y8[i];
    }
    CHECK(fabs(s - 1.0) < 1e-5);
  }
  /* -inf entries (masks) weigh nothing; a NaN or +inf poisons the row the same way in both */
  float x[9] = {1, -INFINITY, 2, 3, -INFINITY, 0, 1, 2, 3}, a[9], b[9];
  nn_softmax_row(x, a, 9, 1);
  nn_softmax_row(x, b, 9, 0);
  CHECK(a[1] == 0.0f && a[4] == 0.0f);
  for (int i = 0; i < 9; i++) CHECK(fabs(a[i] - b[i]) < 1e-6);
  const float poison[] = {NAN, INFINITY};
  for (int p = 0; p < 2; p++) {
    x[5] = poison[p];
    nn_softmax_row(x, a, 9, 1);
    nn_softmax_row(x, b, 9, 0);
    for (int i = 0; i < 9; i++) CHECK(isnan(a[i]) == isnan(b[i]) && (isnan(a[i]) || fabs(a[i] - b[i]) < 1e-6));
  }
  float all[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  nn_softmax_row(all, a, 8, 1);
  nn_softmax_row(all, b, 8, 0);
  for (int i = 0; i < 8; i++) CHECK(isnan(a[i]) && isnan(b[i]));
}

int main(void) {
  if (!nn_vec8_ok()) {
    fprintf(stderr, "no AVX2 + FMA: nothing to test\n");
    return dm_test_done("nn/test_vec8");
  }
  test_exp();
  test_erf_gelu();
  test_softmax_rows();
  return dm_test_done("nn/test_vec8");
}
