/* libFuzzer target for the .npy parser: parse the bytes; if that works,
 * encode the tensor and parse it back, which must work and give the same
 * dtype, shape and elements, and encoding that again must give the same
 * bytes. Seeds: fuzz/make_seeds.sh fuzz_npy (numpy-written files). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/npy.h"

static dm_context *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ctx && !(ctx = dm_context_new(1))) abort();
  dm_nn_tensor t, back;
  if (dm_npy_parse(ctx, "fuzz.npy", data, size, &t) != DM_OK) {
    if (t.data) abort(); /* a failed parse leaves nothing to free */
    return 0;
  }
  unsigned char *enc = NULL, *enc2 = NULL;
  size_t len = 0, len2 = 0;
  if (dm_npy_encode(ctx, &t, &enc, &len) != DM_OK) {
    fprintf(stderr, "parsed but cannot encode: %s\n", dm_context_error(ctx));
    abort();
  }
  if (dm_npy_parse(ctx, "encoded.npy", enc, len, &back) != DM_OK) {
    fprintf(stderr, "encoded what it cannot parse: %s\n", dm_context_error(ctx));
    abort();
  }
  size_t bytes = (size_t)dm_nn_numel(&t) * dm_nn_dtype_size(t.dtype);
  if (back.dtype != t.dtype || back.ndim != t.ndim ||
      memcmp(back.dims, t.dims, sizeof t.dims[0] * (size_t)t.ndim) ||
      (bytes && memcmp(back.data, t.data, bytes))) {
    fprintf(stderr, "parse -> encode -> parse changed the tensor\n");
    abort();
  }
  if (dm_npy_encode(ctx, &back, &enc2, &len2) != DM_OK || len2 != len || memcmp(enc, enc2, len)) {
    fprintf(stderr, "second encode differs\n");
    abort();
  }
  free(enc);
  free(enc2);
  free(t.data);
  free(back.data);
  return 0;
}
