/* Fused activation and bias fill for the conv kernels, vectorised with the
 * SSE baseline: the generic nn_act_apply compiles to a compare-and-branch
 * per element, which mispredicts on real feature maps and cost as much as
 * a depthwise conv itself. */
#include <string.h>

#include "nn/conv_internal.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

void nn_conv_act(const nn_act *a, float *x, size_t n) {
  if (a->kind == NN_ACT_NONE) return;
  const float lo = a->kind == NN_ACT_RELU ? 0.0f : a->lo;
  const float hi = a->kind == NN_ACT_RELU ? 0.0f : a->hi;
  const int clip = a->kind == NN_ACT_CLIP;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
  /* max(x, lo) takes lo for NaN, as x > lo ? x : lo does */
  if (clip) {
    for (; i + 8 <= n; i += 8) {
      __m128 v0 = _mm_min_ps(_mm_max_ps(_mm_loadu_ps(x + i), vlo), vhi);
      __m128 v1 = _mm_min_ps(_mm_max_ps(_mm_loadu_ps(x + i + 4), vlo), vhi);
      _mm_storeu_ps(x + i, v0);
      _mm_storeu_ps(x + i + 4, v1);
    }
  } else {
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_ps(x + i, _mm_max_ps(_mm_loadu_ps(x + i), vlo));
      _mm_storeu_ps(x + i + 4, _mm_max_ps(_mm_loadu_ps(x + i + 4), vlo));
    }
  }
#endif
  for (; i < n; i++) {
    float v = x[i] > lo ? x[i] : lo;
    x[i] = clip && v > hi ? hi : v;
  }
}

void nn_conv_fill(float *x, size_t n, float v) {
  if (v == 0.0f) {
    memset(x, 0, n * sizeof *x);
    return;
  }
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 vv = _mm_set1_ps(v);
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, vv);
#endif
  for (; i < n; i++) x[i] = v;
}
