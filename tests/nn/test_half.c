/* float16 -> float32 in bulk (half.c) against the scalar conversion, bit for
 * bit, on every one of the 65536 half values (signalling NaNs included,
 * which F16C alone would quiet), from every byte alignment and with counts
 * that leave a tail shorter than a vector. */
#include <string.h>

#include "dm_test.h"
#include "nn/nn_internal.h"

static int same_bits(const float *a, const float *b, size_t n, size_t *where) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(&a[i], &b[i], sizeof(float))) {
      *where = i;
      return 0;
    }
  return 1;
}

static void test_all_halves(void) {
  enum { N = 65536 };
  uint8_t *src = malloc(2 * N + 16);
  float *bulk = malloc((N + 8) * sizeof(float)), *ref = malloc((N + 8) * sizeof(float));
  CHECK(src && bulk && ref);
  if (!src || !bulk || !ref) goto done;
  for (size_t shift = 0; shift < 4; shift++) {
    uint8_t *s = src + shift; /* the file's bytes have no alignment */
    for (uint32_t h = 0; h < N; h++) {
      s[2 * h] = (uint8_t)h;
      s[2 * h + 1] = (uint8_t)(h >> 8);
    }
    nn_halves_to_floats(s, bulk, N);
    nn_halves_to_floats_ref(s, ref, N);
    size_t at = 0;
    if (!same_bits(bulk, ref, N, &at)) {
      fprintf(stderr, "shift %zu: half 0x%04zx -> bulk %a, scalar %a\n", shift, at, bulk[at], ref[at]);
      dm_test_failures++;
    }
    /* and the reference is nn_half_to_float itself */
    for (uint32_t h = 0; h < N; h += 97) {
      float f = nn_half_to_float((uint16_t)h);
      CHECK(!memcmp(&f, &ref[h], sizeof f));
    }
  }
  /* Short runs and tails: n = 0..23 from an odd address. */
  for (size_t n = 0; n < 24; n++) {
    uint8_t *s = src + 1;
    for (size_t i = 0; i < n; i++) {
      uint16_t h = (uint16_t)(0x7c01 + 0x0bad * i); /* a signalling NaN first */
      s[2 * i] = (uint8_t)h;
      s[2 * i + 1] = (uint8_t)(h >> 8);
    }
    memset(bulk, 0xab, 32 * sizeof(float));
    memset(ref, 0xab, 32 * sizeof(float));
    nn_halves_to_floats(s, bulk, n);
    nn_halves_to_floats_ref(s, ref, n);
    size_t at = 0;
    CHECK(same_bits(bulk, ref, 32, &at)); /* nothing written past n */
  }
  /* The signalling NaN keeps its payload (F16C would set the quiet bit). */
  uint8_t snan[16] = {0x01, 0x7c};
  nn_halves_to_floats(snan, bulk, 8);
  uint32_t bits;
  memcpy(&bits, &bulk[0], 4);
  CHECK(bits == 0x7f802000u);
done:
  free(src);
  free(bulk);
  free(ref);
}

int main(void) {
  printf("float16 bulk conversion: %s\n", nn_halves_simd() ? "F16C" : "scalar (no F16C on this CPU)");
  test_all_halves();
  return dm_test_done("nn/half");
}
