/* The planner's Upsample(nearest) -> Add fusion (fuse.c,
 * ops_math_upsample_add.c) on models built in memory: bit-identical to the
 * same model kept unfused (the upsampled tensor also a graph output), for
 * factor 2 (the vector path, odd widths for its tail), 3 x 1, the skip as
 * the Add's first or second input, Upsample-7 (scales attribute) and -9
 * (scales input); and left alone for a fractional scale, linear mode or a
 * broadcasting Add. */
#include <math.h>
#include <string.h>

#include "dm_test.h"
#include "nn/nn.h"
#include "nn/plan.h"
#include "onnx_build.h"

enum { F = 1 };

static uint64_t rng = 88172645463325252ull;
static float frand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

typedef struct ua_case {
  int opset;
  int64_t c, h, w;
  float sh, sw;
  const char *mode;
  int skip_first, skip_broadcast;
  int fuses;
} ua_case;

static int64_t out_dim(int64_t d, float s) { return (int64_t)floorf((float)d * s); }

static dm_nn_model *model(dm_context *ctx, const ua_case *c, int keep_up) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, c->opset);
  int64_t oh = out_dim(c->h, c->sh), ow = out_dim(c->w, c->sw);
  ob_input(&b, ob_vi(&b, "x", F, 4, (int64_t[]){2, c->c, c->h, c->w}));
  if (c->skip_broadcast) ob_input(&b, ob_vi(&b, "s", F, 4, (int64_t[]){1, c->c, 1, ow}));
  else ob_input(&b, ob_vi(&b, "s", F, 4, (int64_t[]){2, c->c, oh, ow}));
  ob_upsample(&b, c->opset, "x", "u", (const float[]){1, 1, c->sh, c->sw}, c->mode);
  ob_node(&b, "Add", "add", c->skip_first ? "s,u" : "u,s", "y");
  ob_output(&b, ob_vi(&b, "y", F, 4, (int64_t[]){2, c->c, oh, ow}));
  if (keep_up) ob_output(&b, ob_vi(&b, "u", F, 4, (int64_t[]){2, c->c, oh, ow}));
  size_t len;
  uint8_t *bytes = ob_pack(&b, &len);
  dm_nn_model *mdl = NULL;
  CHECK_OK(ctx, dm_nn_load_buffer(ctx, "upsample_add.onnx", bytes, len, NULL, &mdl));
  free(bytes);
  ob_free(&b);
  return mdl;
}

static dm_nn_tensor random_tensor(int64_t n0, int64_t c, int64_t h, int64_t w) {
  dm_nn_tensor t = {DM_NN_FLOAT, 4, {n0, c, h, w}, NULL};
  float *v = malloc((size_t)(n0 * c * h * w) * sizeof *v);
  for (int64_t i = 0; i < n0 * c * h * w; i++) v[i] = frand();
  t.data = v;
  return t;
}

static void run_case(dm_context *ctx, const ua_case *c) {
  dm_nn_model *fused = model(ctx, c, 0), *plain = model(ctx, c, 1);
  if (!fused || !plain) return;
  int64_t oh = out_dim(c->h, c->sh), ow = out_dim(c->w, c->sw);
  dm_nn_tensor in[2] = {random_tensor(2, c->c, c->h, c->w),
                        c->skip_broadcast ? random_tensor(1, c->c, 1, ow) : random_tensor(2, c->c, oh, ow)};
  dm_nn_tensor y1[1] = {{0}}, y2[2] = {{0}, {0}};
  CHECK_OK(ctx, dm_nn_run(ctx, fused, in, y1, NULL));
  CHECK_OK(ctx, dm_nn_run(ctx, plain, in, y2, NULL));
  CHECK(dm_nn_numel(&y1[0]) == dm_nn_numel(&y2[0]));
  if (y1[0].data && y2[0].data)
    CHECK(!memcmp(y1[0].data, y2[0].data, (size_t)dm_nn_numel(&y1[0]) * sizeof(float)));
  int n = nn_model_plan(fused)->n_order;
  if (n != (c->fuses ? 1 : 2))
    fprintf(stderr, "opset %d %gx%g %s: %d nodes, expected %d\n", c->opset, c->sh, c->sw, c->mode, n, c->fuses ? 1 : 2);
  CHECK(n == (c->fuses ? 1 : 2));
  free(in[0].data), free(in[1].data), free(y1[0].data), free(y2[0].data), free(y2[1].data);
  dm_nn_free(fused), dm_nn_free(plain);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  static const ua_case cases[] = {
      {7, 3, 5, 7, 2, 2, "nearest", 0, 0, 1},   /* odd width: vector and scalar tail */
      {7, 16, 28, 28, 2, 2, "nearest", 1, 0, 1}, /* skip first, threaded size */
      {9, 2, 4, 9, 3, 1, "nearest", 0, 0, 1},    /* scales as an input, uneven factors */
      {9, 2, 4, 6, 1.5f, 2, "nearest", 0, 0, 0}, /* fractional: unfused */
      {7, 2, 4, 6, 2, 2, "linear", 0, 0, 0},     /* not nearest: unfused */
      {7, 2, 4, 6, 2, 2, "nearest", 0, 1, 0},    /* broadcasting Add: unfused */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(ctx, &cases[i]);
  dm_context_free(ctx);
  return dm_test_done("nn/test_upsample_add");
}
