/* float16 -> float32 in bulk, for fp16 weights at load (ISNet has 44 M of
 * them). The conversion is exact, so the F16C path gives bit for bit what the
 * scalar nn_half_to_float gives, with one exception handled here: VCVTPH2PS
 * quiets signalling NaNs (sets the top mantissa bit) where the scalar code
 * keeps them as they are. A block of 8 that holds one is done by the scalar
 * code. The scalar path is kept for other CPUs and as the reference. */
#include <string.h>

#include "nn/nn_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#define NN_HALF_X86 1
#endif

void nn_halves_to_floats_ref(const void *src, float *dst, size_t n) {
  const uint8_t *s = src;
  for (size_t i = 0; i < n; i++)
    dst[i] = nn_half_to_float((uint16_t)(s[2 * i] | (unsigned)s[2 * i + 1] << 8));
}

#ifdef NN_HALF_X86
__attribute__((target("avx,f16c"))) static void halves_f16c(const uint8_t *src, float *dst, size_t n) {
  const __m128i exp_q = _mm_set1_epi16(0x7e00), snan_exp = _mm_set1_epi16(0x7c00);
  const __m128i payload = _mm_set1_epi16(0x01ff), zero = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128((const __m128i *)(src + 2 * i));
    /* signalling NaN: exponent all ones, quiet bit clear, payload non-zero */
    __m128i nan_s = _mm_cmpeq_epi16(_mm_and_si128(h, exp_q), snan_exp);
    __m128i no_payload = _mm_cmpeq_epi16(_mm_and_si128(h, payload), zero);
    if (_mm_movemask_epi8(_mm_andnot_si128(no_payload, nan_s))) {
      nn_halves_to_floats_ref(src + 2 * i, dst + i, 8);
      continue;
    }
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  nn_halves_to_floats_ref(src + 2 * i, dst + i, n - i);
}

/* AVX (with the OS saving YMM state) from __builtin_cpu_supports; the F16C
 * bit from CPUID itself, since clang 14's __builtin_cpu_supports does not
 * know "f16c". CPUID can trap to the hypervisor in a VM, so the answer (a
 * fact about the CPU) is kept: 0 unknown, 1 no, 2 yes. */
static int have_f16c(void) {
  static _Atomic int known;
  int k = atomic_load_explicit(&known, memory_order_relaxed);
  if (!k) {
    unsigned a, b, c, d;
    __builtin_cpu_init();
    int yes = __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    k = yes ? 2 : 1;
    atomic_store_explicit(&known, k, memory_order_relaxed);
  }
  return k == 2;
}
#endif

int nn_halves_simd(void) {
#ifdef NN_HALF_X86
  return have_f16c();
#else
  return 0;
#endif
}

void nn_halves_to_floats(const void *src, float *dst, size_t n) {
#ifdef NN_HALF_X86
  if (have_f16c()) {
    halves_f16c(src, dst, n);
    return;
  }
#endif
  nn_halves_to_floats_ref(src, dst, n);
}
