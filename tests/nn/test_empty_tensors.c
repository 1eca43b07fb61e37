/* Regressions for what fuzz_onnx_run found: pooling and convolution over
 * tensors with a 0 dimension (a 0 batch, 0 channels) divided by zero while
 * planning or running. Nodes whose outputs are all empty are now neither
 * prepared nor run; a Conv over 0 input channels (a non-empty output summed
 * over nothing) gives zeros, as ConvTranspose does. The models are built in
 * memory with the fuzzer's shapes and attributes. */
#include <string.h>

#include "dm_test.h"
#include "nn/nn.h"
#include "onnx_build.h"

enum { F = 1 };

/* Run the one-node model in b on zero inputs of the given shapes; check the
 * output's shape and that every element is 0. */
static void run(dm_context *ctx, ob_model *b, int n_in, const int64_t dims[][4], const int64_t *want) {
  size_t len;
  uint8_t *bytes = ob_pack(b, &len);
  dm_nn_model *m = NULL;
  CHECK_OK(ctx, dm_nn_load_buffer(ctx, "empty.onnx", bytes, len, NULL, &m));
  free(bytes);
  if (!m) return;
  dm_nn_tensor in[2], out;
  for (int i = 0; i < n_in; i++) {
    in[i] = (dm_nn_tensor){DM_NN_FLOAT, 4, {dims[i][0], dims[i][1], dims[i][2], dims[i][3]}, NULL};
    in[i].data = calloc((size_t)dm_nn_numel(&in[i]) + 1, sizeof(float));
  }
  out.data = NULL;
  CHECK_OK(ctx, dm_nn_run(ctx, m, in, &out, NULL));
  if (out.data) {
    CHECK(out.ndim == 4);
    for (int d = 0; d < 4; d++) CHECK(out.dims[d] == want[d]);
    for (int64_t e = 0; e < dm_nn_numel(&out); e++) CHECK(((float *)out.data)[e] == 0.0f);
    free(out.data);
  }
  for (int i = 0; i < n_in; i++) free(in[i].data);
  dm_nn_free(m);
}

static void pool(dm_context *ctx, const char *op, const int64_t x[4], const int64_t kernel[2],
                 const int64_t want[4]) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 12);
  ob_input(&b, ob_vi(&b, "x", F, 4, x));
  ob_attr_ints(&b, ob_node(&b, op, "pool", "x", "y"), "kernel_shape", 2, kernel);
  ob_output(&b, ob_vi(&b, "y", F, -1, NULL));
  run(ctx, &b, 1, (const int64_t[][4]){{x[0], x[1], x[2], x[3]}}, want);
  ob_free(&b);
}

static void conv(dm_context *ctx, const char *op, const int64_t x[4], const int64_t w[4], const int64_t want[4]) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F, 4, x));
  ob_input(&b, ob_vi(&b, "W", F, 4, w));
  Onnx__NodeProto *n = ob_node(&b, op, "conv", "x,W", "y");
  ob_attr_ints(&b, n, "strides", 2, (const int64_t[]){2, 2});
  Onnx__AttributeProto *pad = ob_attr(&b, n, "auto_pad", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  pad->has_s = 1;
  pad->s.data = (uint8_t *)ob_str(&b, "SAME_LOWER");
  pad->s.len = strlen("SAME_LOWER");
  ob_output(&b, ob_vi(&b, "y", F, -1, NULL));
  run(ctx, &b, 2, (const int64_t[][4]){{x[0], x[1], x[2], x[3]}, {w[0], w[1], w[2], w[3]}}, want);
  ob_free(&b);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  pool(ctx, "MaxPool", (const int64_t[]){0, 3, 28, 28}, (const int64_t[]){3, 3}, (const int64_t[]){0, 3, 26, 26});
  pool(ctx, "AveragePool", (const int64_t[]){1, 0, 5, 5}, (const int64_t[]){5, 1}, (const int64_t[]){1, 0, 1, 5});
  conv(ctx, "Conv", (const int64_t[]){0, 1, 5, 116}, (const int64_t[]){7, 1, 3, 49}, (const int64_t[]){0, 7, 3, 58});
  conv(ctx, "Conv", (const int64_t[]){0, 1, 5, 12}, (const int64_t[]){14, 1, 3, 51}, (const int64_t[]){0, 14, 3, 6});
  conv(ctx, "Conv", (const int64_t[]){1, 0, 5, 5}, (const int64_t[]){4, 0, 3, 3}, (const int64_t[]){1, 4, 3, 3});
  conv(ctx, "ConvTranspose", (const int64_t[]){1, 0, 5, 5}, (const int64_t[]){0, 3, 2, 2},
       (const int64_t[]){1, 3, 10, 10});
  conv(ctx, "ConvTranspose", (const int64_t[]){0, 2, 5, 5}, (const int64_t[]){2, 3, 2, 2},
       (const int64_t[]){0, 3, 10, 10});
  dm_context_free(ctx);
  return dm_test_done("nn/test_empty_tensors");
}
