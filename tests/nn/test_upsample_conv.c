/* The planner's Upsample(nearest) -> 1x1 Conv swap (fuse.c,
 * swap_upsample_conv) on models built in memory: the Conv runs first, on
 * the small image, and the result is bit-identical to the same model with
 * the swap prevented (the upsampled tensor also a graph output), for
 * factor 2 and 3 x 1, Upsample-7 and -9, with a bias and a fused Relu; and
 * the nodes keep their order for a 3x3 kernel, a stride, pads, linear
 * mode and a fractional scale. */
#include <math.h>
#include <string.h>

#include "dm_test.h"
#include "nn/nn.h"
#include "nn/plan.h"
#include "onnx_build.h"

enum { F = 1 };

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float frand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

typedef struct uc_case {
  int opset;
  int64_t c, m, h, w;
  float sh, sw;
  const char *mode;
  int k, stride, pad, relu;
  int swaps;
} uc_case;

static int64_t out_dim(int64_t d, float s) { return (int64_t)floorf((float)d * s); }

static void floats_init(ob_model *b, const char *name, int ndim, const int64_t *dims, int64_t n) {
  Onnx__TensorProto *t = ob_tensor(b, name, F, ndim, dims);
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = frand();
  ob_raw(b, t, v, (size_t)n * sizeof *v);
  ob_initializer(b, t);
  free(v);
}

static dm_nn_model *model(dm_context *ctx, const uc_case *c, int keep_up) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, c->opset);
  const int64_t uh = out_dim(c->h, c->sh), uw = out_dim(c->w, c->sw);
  const int64_t oh = (uh + 2 * c->pad - c->k) / c->stride + 1, ow = (uw + 2 * c->pad - c->k) / c->stride + 1;
  ob_input(&b, ob_vi(&b, "x", F, 4, (int64_t[]){2, c->c, c->h, c->w}));
  ob_upsample(&b, c->opset, "x", "u", (const float[]){1, 1, c->sh, c->sw}, c->mode);
  floats_init(&b, "w", 4, (int64_t[]){c->m, c->c, c->k, c->k}, c->m * c->c * c->k * c->k);
  floats_init(&b, "bias", 1, (int64_t[]){c->m}, c->m);
  Onnx__NodeProto *conv = ob_node(&b, "Conv", "conv", "u,w,bias", c->relu ? "z" : "y");
  ob_attr_ints(&b, conv, "kernel_shape", 2, (const int64_t[]){c->k, c->k});
  ob_attr_ints(&b, conv, "strides", 2, (const int64_t[]){c->stride, c->stride});
  ob_attr_ints(&b, conv, "pads", 4, (const int64_t[]){c->pad, c->pad, c->pad, c->pad});
  if (c->relu) ob_node(&b, "Relu", "relu", "z", "y");
  ob_output(&b, ob_vi(&b, "y", F, 4, (int64_t[]){2, c->m, oh, ow}));
  if (keep_up) ob_output(&b, ob_vi(&b, "u", F, 4, (int64_t[]){2, c->c, uh, uw}));
  size_t len;
  uint8_t *bytes = ob_pack(&b, &len);
  dm_nn_model *mdl = NULL;
  CHECK_OK(ctx, dm_nn_load_buffer(ctx, "upsample_conv.onnx", bytes, len, NULL, &mdl));
  free(bytes);
  ob_free(&b);
  return mdl;
}

/* The first node the plan runs is the Conv: the swap happened. */
static int conv_first(const dm_nn_model *mdl) {
  const nn_plan *p = nn_model_plan(mdl);
  return p && p->n_order > 0 && !strcmp(p->g.nodes[p->order[0]].op_type, "Conv");
}

static void run_case(dm_context *ctx, const uc_case *c) {
  uint64_t seed = rng; /* both models get the same weights */
  dm_nn_model *swapped = model(ctx, c, 0);
  rng = seed;
  dm_nn_model *plain = model(ctx, c, 1);
  if (!swapped || !plain) return;
  dm_nn_tensor in = {DM_NN_FLOAT, 4, {2, c->c, c->h, c->w}, NULL};
  const int64_t n = 2 * c->c * c->h * c->w;
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = frand();
  in.data = v;
  dm_nn_tensor y1[1] = {{0}}, y2[2] = {{0}, {0}};
  CHECK_OK(ctx, dm_nn_run(ctx, swapped, &in, y1, NULL));
  CHECK_OK(ctx, dm_nn_run(ctx, plain, &in, y2, NULL));
  CHECK(y1[0].ndim == 4 && dm_nn_numel(&y1[0]) == dm_nn_numel(&y2[0]));
  for (int d = 0; d < 4; d++) CHECK(y1[0].dims[d] == y2[0].dims[d]);
  if (y1[0].data && y2[0].data)
    CHECK(!memcmp(y1[0].data, y2[0].data, (size_t)dm_nn_numel(&y1[0]) * sizeof(float)));
  CHECK(!conv_first(plain)); /* the upsampled tensor is wanted: left alone */
  if (conv_first(swapped) != c->swaps)
    fprintf(stderr, "opset %d %gx%g %s k%d s%d p%d: swapped %d, expected %d\n", c->opset, c->sh, c->sw, c->mode,
            c->k, c->stride, c->pad, conv_first(swapped), c->swaps);
  CHECK(conv_first(swapped) == c->swaps);
  free(v), free(y1[0].data), free(y2[0].data), free(y2[1].data);
  dm_nn_free(swapped), dm_nn_free(plain);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  static const uc_case cases[] = {
      {7, 16, 1, 56, 56, 2, 2, "nearest", 1, 1, 0, 1, 1}, /* FastDepth's last layer, Relu fused */
      {7, 24, 40, 9, 13, 2, 2, "nearest", 1, 1, 0, 0, 1}, /* more channels out than in, odd sizes */
      {9, 8, 6, 5, 7, 3, 1, "nearest", 1, 1, 0, 1, 1},   /* scales as an input, uneven factors */
      {7, 8, 6, 6, 6, 2, 2, "nearest", 3, 1, 1, 0, 0},   /* 3x3 kernel: not pointwise */
      {7, 8, 6, 6, 6, 2, 2, "nearest", 1, 2, 0, 0, 0},   /* stride 2: reads every other copy */
      {7, 8, 6, 6, 6, 2, 2, "nearest", 1, 1, 1, 0, 0},   /* padded: a border of bias */
      {7, 8, 6, 6, 6, 2, 2, "linear", 1, 1, 0, 0, 0},    /* not copies */
      {9, 8, 6, 4, 6, 1.5f, 2, "nearest", 1, 1, 0, 0, 0}, /* fractional scale */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
  dm_context_free(ctx);
  return dm_test_done("nn/test_upsample_conv");
}
