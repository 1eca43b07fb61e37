/* libFuzzer target for everything after loading: a model that loads is
 * planned and run on zero-filled inputs of its declared shapes (unknown
 * dimensions taken as 2), so shape inference, constant folding, fusion and
 * the kernels all see hostile graphs and attributes. Inputs are kept small
 * and the fuzz build caps every tensor at 64 MiB (NN_MAX_TENSOR_BYTES). Seeds:
 * the same as fuzz_onnx (the ONNX test suite's node models). */
#include <stdint.h>
#include <stdlib.h>

#include "nn/nn.h"

#define MAX_INPUT_ELEMS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  dm_nn_model *m = NULL;
  if (dm_nn_load_buffer(ctx, "fuzz.onnx", data, size, NULL, &m) != DM_OK) {
    dm_context_free(ctx);
    return 0;
  }
  int ni = dm_nn_input_count(m), no = dm_nn_output_count(m), ok = 1;
  dm_nn_tensor *in = calloc((size_t)ni + 1, sizeof *in), *out = calloc((size_t)no + 1, sizeof *out);
  for (int i = 0; ok && in && i < ni; i++) {
    dm_nn_input_decl(m, i, &in[i]);
    if (in[i].ndim < 0) in[i].ndim = 1;
    for (int d = 0; d < in[i].ndim; d++)
      if (in[i].dims[d] < 0) in[i].dims[d] = 2;
    int64_t n = dm_nn_numel(&in[i]);
    size_t es = dm_nn_dtype_size(in[i].dtype);
    if (n < 0 || n > MAX_INPUT_ELEMS || !es) ok = 0;
    else in[i].data = calloc((size_t)n + 1, es);
  }
  if (ok && in && out && dm_nn_run(ctx, m, in, out, NULL) == DM_OK)
    for (int i = 0; i < no; i++) free(out[i].data);
  for (int i = 0; in && i < ni; i++) free(in[i].data);
  free(in), free(out);
  dm_nn_free(m);
  dm_context_free(ctx);
  return 0;
}
