/* Math kernels (src/nn/ops_math*.c) run directly through nn_op infer /
 * prepare / run on hand-built nodes and compared with naive references:
 * broadcasting (every fast path and the threaded split), integer and bool
 * ops, MatMul (batched, broadcast, 1-D, bias + activation), Gemm,
 * LayerNormalization, Softmax axes, GELU and the vector exp / erf, the
 * reductions, and shape errors.
 *
 * `nn_test_ops_math bench` times the ViT-S (Depth Anything V2 small) shapes
 * instead, including the two ways to thread batched attention products. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pool.h"
#include "dm_test.h"
#include "nn/math_internal.h"

/* ---- harness ---- */

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* xorshift64, uniform in [-1, 1) */
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static dm_nn_tensor *tensor(dm_nn_dtype t, int ndim, const int64_t *dims) {
  dm_nn_tensor *x = calloc(1, sizeof *x);
  x->dtype = t;
  x->ndim = ndim;
  for (int i = 0; i < ndim; i++) x->dims[i] = dims[i];
  int64_t n = dm_nn_numel(x);
  x->data = calloc((size_t)(n ? n : 1), dm_nn_dtype_size(t));
  return x;
}

static dm_nn_tensor *frandom(int ndim, const int64_t *dims, float scale) {
  dm_nn_tensor *x = tensor(DM_NN_FLOAT, ndim, dims);
  float *d = x->data;
  for (int64_t i = 0; i < dm_nn_numel(x); i++) d[i] = frand() * scale;
  return x;
}

static void tfree(dm_nn_tensor *t) {
  if (!t) return;
  free(t->data);
  free(t);
}

typedef struct {
  nn_attr attrs[8];
  int n_attrs;
} attrs;

static void attr_int(attrs *a, const char *name, int64_t v) {
  a->attrs[a->n_attrs++] = (nn_attr){.name = (char *)name, .type = NN_ATTR_INT, .i = v};
}
static void attr_float(attrs *a, const char *name, float v) {
  a->attrs[a->n_attrs++] = (nn_attr){.name = (char *)name, .type = NN_ATTR_FLOAT, .f = v};
}
static void attr_ints(attrs *a, const char *name, int64_t *v, size_t n) {
  a->attrs[a->n_attrs++] = (nn_attr){.name = (char *)name, .type = NN_ATTR_INTS, .ints = v, .n = n};
}
static void attr_str(attrs *a, const char *name, const char *v) {
  a->attrs[a->n_attrs++] = (nn_attr){.name = (char *)name, .type = NN_ATTR_STRING, .s = (char *)v};
}

/* Run op on inputs; outputs are allocated here (free with tfree). */
static dm_status run_op(dm_context *ctx, const char *op_type, int opset, attrs *at, nn_act act, dm_nn_tensor **in,
                        int n_in, dm_nn_tensor **out, int n_out) {
  const nn_op *op = nn_find_op("", op_type, opset);
  if (!op) {
    fprintf(stderr, "no kernel for %s at opset %d\n", op_type, opset);
    return DM_ERR_INTERNAL;
  }
  nn_node node = {.name = "test", .op_type = (char *)op_type, .domain = "", .n_in = n_in, .n_out = n_out,
                  .attrs = at ? at->attrs : NULL, .n_attrs = at ? at->n_attrs : 0, .op = op, .act = act};
  for (int i = 0; i < n_out; i++) out[i] = out[i] ? out[i] : calloc(1, sizeof(dm_nn_tensor));
  nn_kctx k = {ctx, NULL, &node, opset, n_in, n_out, in, out, NULL};
  dm_status s = op->infer(&k);
  if (s != DM_OK) return s;
  for (int i = 0; i < n_out; i++) {
    int64_t n = dm_nn_numel(out[i]);
    out[i]->data = calloc((size_t)(n ? n : 1), dm_nn_dtype_size(out[i]->dtype));
  }
  if (op->prepare && (s = op->prepare(&k)) != DM_OK) return s;
  void *scratch = NULL;
  if (node.scratch) k.scratch = scratch = aligned_alloc(64, (node.scratch + 63) & ~(size_t)63);
  s = op->run(&k);
  free(scratch);
  return s;
}

static const nn_act no_act = {NN_ACT_NONE, 0, 0};

/* Element offset in `t` of output multi-index idx (numpy broadcast). */
static int64_t bidx(const dm_nn_tensor *t, const dm_nn_tensor *out, const int64_t *idx) {
  int64_t off = 0;
  for (int d = 0; d < t->ndim; d++) {
    int od = d + out->ndim - t->ndim;
    off = off * t->dims[d] + (t->dims[d] == 1 ? 0 : idx[od]);
  }
  return off;
}

static void unravel(const dm_nn_tensor *t, int64_t e, int64_t *idx) {
  for (int d = t->ndim - 1; d >= 0; d--) {
    idx[d] = e % t->dims[d];
    e /= t->dims[d];
  }
}

/* ---- broadcasting binary ops ---- */

static float ref_bin(const char *op, float x, float y) {
  if (!strcmp(op, "Add")) return x + y;
  if (!strcmp(op, "Sub")) return x - y;
  if (!strcmp(op, "Mul")) return x * y;
  if (!strcmp(op, "Div")) return x / y;
  if (!strcmp(op, "Max")) return x > y ? x : y;
  if (!strcmp(op, "Pow")) return powf(fabsf(x), y);
  return x < y; /* Less */
}

static void test_broadcast(dm_context *ctx) {
  static const struct {
    int na, nb;
    int64_t a[4], b[4];
  } cases[] = {
    {3, 3, {2, 3, 4}, {2, 3, 4}},     {3, 0, {2, 3, 4}, {0}},          {3, 1, {2, 3, 4}, {4}},
    {3, 3, {2, 3, 1}, {1, 1, 4}},     {4, 4, {1, 3, 1, 5}, {2, 1, 4, 1}}, {4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}},
    {0, 1, {0}, {7}},                 {2, 3, {3, 1}, {2, 1, 5}},       {3, 2, {2, 3, 1}, {3, 1}},
    {4, 4, {4, 64, 96, 64}, {1, 64, 1, 1}}, /* large: threaded */
    {3, 1, {1, 1370, 384}, {384}},    {3, 3, {1, 1370, 384}, {1, 1370, 1}},
  };
  const char *ops[] = {"Add", "Sub", "Mul", "Div", "Max", "Less", "Pow"};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
      dm_nn_tensor *a = frandom(cases[c].na, cases[c].a, 2.0f), *b = frandom(cases[c].nb, cases[c].b, 2.0f);
      if (!strcmp(ops[o], "Pow")) {
        float *ad = a->data;
        for (int64_t i = 0; i < dm_nn_numel(a); i++) ad[i] = fabsf(ad[i]);
      }
      dm_nn_tensor *in[2] = {a, b}, *out[1] = {NULL};
      CHECK_OK(ctx, run_op(ctx, ops[o], 14, NULL, no_act, in, 2, out, 1));
      dm_nn_tensor *y = out[0];
      dm_nn_tensor want;
      CHECK(nn_broadcast_shape(a, b, &want) && want.ndim == y->ndim);
      int64_t n = dm_nn_numel(y), bad = 0;
      for (int64_t e = 0; e < n; e++) {
        int64_t idx[8];
        unravel(y, e, idx);
        float r = ref_bin(ops[o], ((float *)a->data)[bidx(a, y, idx)], ((float *)b->data)[bidx(b, y, idx)]);
        float g = y->dtype == DM_NN_BOOL ? ((uint8_t *)y->data)[e] : ((float *)y->data)[e];
        if (!(g == r || fabsf(g - r) <= 1e-6f * (1.0f + fabsf(r)))) bad++;
      }
      if (bad) fprintf(stderr, "broadcast case %zu %s: %lld mismatches\n", c, ops[o], (long long)bad);
      CHECK(bad == 0);
      tfree(a), tfree(b), tfree(y);
    }
}

/* Add with a fused Relu; Sum / Mean of three. */
static void test_variadic_and_act(dm_context *ctx) {
  int64_t da[] = {2, 3, 4}, db[] = {4}, dc[] = {3, 1};
  dm_nn_tensor *a = frandom(3, da, 1), *b = frandom(1, db, 1), *c = frandom(2, dc, 1);
  dm_nn_tensor *in[3] = {a, b, c}, *out[1] = {NULL};
  nn_act relu = {NN_ACT_RELU, 0, 0};
  CHECK_OK(ctx, run_op(ctx, "Add", 14, NULL, relu, in, 2, out, 1));
  for (int64_t e = 0; e < 24; e++) {
    float r = ((float *)a->data)[e] + ((float *)b->data)[e % 4];
    CHECK_NEAR(((float *)out[0]->data)[e], r > 0 ? r : 0, 1e-6);
  }
  tfree(out[0]);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Mean", 13, NULL, no_act, in, 3, out, 1));
  for (int64_t e = 0; e < 24; e++) {
    float r = (((float *)a->data)[e] + ((float *)b->data)[e % 4] + ((float *)c->data)[(e / 4) % 3]) / 3.0f;
    CHECK_NEAR(((float *)out[0]->data)[e], r, 1e-6);
  }
  tfree(out[0]);
  /* shape errors name the shapes */
  int64_t dbad[] = {5};
  dm_nn_tensor *bad = frandom(1, dbad, 1), *bin[2] = {a, bad};
  out[0] = NULL;
  CHECK(run_op(ctx, "Add", 14, NULL, no_act, bin, 2, out, 1) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "[2,3,4] and [5]") != NULL);
  tfree(out[0]);
  tfree(a), tfree(b), tfree(c), tfree(bad);
}

static void test_int_bool(dm_context *ctx) {
  int64_t d3[] = {3}, d1[] = {1};
  dm_nn_tensor *a = tensor(DM_NN_INT64, 1, d3), *b = tensor(DM_NN_INT64, 1, d1);
  int64_t *ad = a->data;
  ad[0] = 7, ad[1] = -7, ad[2] = INT64_MIN;
  ((int64_t *)b->data)[0] = -2;
  dm_nn_tensor *in[2] = {a, b}, *out[1] = {NULL};
  CHECK_OK(ctx, run_op(ctx, "Div", 14, NULL, no_act, in, 2, out, 1));
  int64_t *y = out[0]->data;
  CHECK(y[0] == -3 && y[1] == 3 && y[2] == INT64_MIN / -2);
  tfree(out[0]);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Mod", 13, NULL, no_act, in, 2, out, 1)); /* sign of the divisor */
  y = out[0]->data;
  CHECK(y[0] == -1 && y[1] == -1 && y[2] == 0);
  tfree(out[0]);
  /* Where(cond, x, y) with broadcasting */
  int64_t dc[] = {2, 1};
  dm_nn_tensor *cond = tensor(DM_NN_BOOL, 2, dc);
  ((uint8_t *)cond->data)[0] = 1;
  dm_nn_tensor *win[3] = {cond, a, b};
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Where", 16, NULL, no_act, win, 3, out, 1));
  CHECK(out[0]->ndim == 2 && out[0]->dims[0] == 2 && out[0]->dims[1] == 3);
  y = out[0]->data;
  CHECK(y[0] == 7 && y[1] == -7 && y[3] == -2 && y[5] == -2);
  tfree(out[0]);
  /* Xor */
  dm_nn_tensor *p = tensor(DM_NN_BOOL, 1, d3), *q = tensor(DM_NN_BOOL, 1, d1);
  ((uint8_t *)p->data)[1] = 1;
  ((uint8_t *)q->data)[0] = 1;
  dm_nn_tensor *lin[2] = {p, q};
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Xor", 7, NULL, no_act, lin, 2, out, 1));
  uint8_t *yb = out[0]->data;
  CHECK(yb[0] == 1 && yb[1] == 0 && yb[2] == 1);
  tfree(out[0]);
  /* float + int64 is refused with a dtype message */
  dm_nn_tensor *f = frandom(1, d3, 1), *mix[2] = {f, a};
  out[0] = NULL;
  CHECK(run_op(ctx, "Add", 14, NULL, no_act, mix, 2, out, 1) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "unsupported dtype") != NULL);
  tfree(out[0]);
  tfree(a), tfree(b), tfree(cond), tfree(p), tfree(q), tfree(f);
}

/* ---- MatMul / Gemm ---- */

static void ref_matmul(const dm_nn_tensor *a, const dm_nn_tensor *b, const dm_nn_tensor *y, float *want) {
  /* Promote 1-D operands, then broadcast batches. */
  dm_nn_tensor A = *a, B = *b;
  if (A.ndim == 1) A.ndim = 2, A.dims[1] = A.dims[0], A.dims[0] = 1;
  if (B.ndim == 1) B.ndim = 2, B.dims[1] = 1;
  int64_t m = A.dims[A.ndim - 2], k = A.dims[A.ndim - 1], n = B.dims[B.ndim - 1];
  dm_nn_tensor ab = A, bb = B, batch;
  ab.ndim -= 2, bb.ndim -= 2;
  nn_broadcast_shape(&ab, &bb, &batch);
  int64_t nb = dm_nn_numel(&batch);
  (void)y;
  for (int64_t e = 0; e < nb; e++) {
    int64_t idx[8];
    unravel(&batch, e, idx);
    const float *pa = (const float *)a->data + bidx(&ab, &batch, idx) * m * k;
    const float *pb = (const float *)b->data + bidx(&bb, &batch, idx) * k * n;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t t = 0; t < k; t++) s += (double)pa[i * k + t] * pb[t * n + j];
        want[(e * m + i) * n + j] = (float)s;
      }
  }
}

static void test_matmul(dm_context *ctx) {
  static const struct {
    int na, nb;
    int64_t a[4], b[4];
    int nout;
    int64_t y[4];
  } cases[] = {
    {4, 2, {2, 3, 4, 5}, {5, 6}, 4, {2, 3, 4, 6}}, {4, 3, {3, 1, 4, 5}, {2, 5, 6}, 4, {3, 2, 4, 6}},
    {1, 2, {5}, {5, 6}, 1, {6}},                   {2, 1, {4, 5}, {5}, 1, {4}},
    {1, 1, {5}, {5}, 0, {0}},                      {2, 3, {4, 5}, {3, 5, 2}, 3, {3, 4, 2}},
    {3, 1, {2, 4, 5}, {5}, 2, {2, 4}},             {4, 4, {1, 6, 50, 16}, {1, 6, 16, 50}, 4, {1, 6, 50, 50}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    dm_nn_tensor *a = frandom(cases[c].na, cases[c].a, 1), *b = frandom(cases[c].nb, cases[c].b, 1);
    dm_nn_tensor *in[2] = {a, b}, *out[1] = {NULL};
    CHECK_OK(ctx, run_op(ctx, "MatMul", 13, NULL, no_act, in, 2, out, 1));
    dm_nn_tensor *y = out[0];
    CHECK(y->ndim == cases[c].nout);
    for (int d = 0; d < y->ndim && d < cases[c].nout; d++) CHECK(y->dims[d] == cases[c].y[d]);
    int64_t n = dm_nn_numel(y), bad = 0;
    float *want = malloc((size_t)n * sizeof *want);
    ref_matmul(a, b, y, want);
    for (int64_t e = 0; e < n; e++)
      if (fabsf(((float *)y->data)[e] - want[e]) > 1e-5f) bad++;
    if (bad) fprintf(stderr, "matmul case %zu: %lld mismatches\n", c, (long long)bad);
    CHECK(bad == 0);
    free(want);
    tfree(a), tfree(b), tfree(y);
  }
  /* bias (the planner's MatMul+Add) and a fused Clip */
  int64_t da[] = {2, 3, 4}, db[] = {4, 5}, dbias[] = {5};
  dm_nn_tensor *a = frandom(3, da, 1), *b = frandom(2, db, 1), *bias = frandom(1, dbias, 1);
  dm_nn_tensor *in[3] = {a, b, bias}, *out[1] = {NULL};
  nn_act clip = {NN_ACT_CLIP, -0.25f, 0.5f};
  CHECK_OK(ctx, run_op(ctx, "MatMul", 13, NULL, clip, in, 3, out, 1));
  float want[30];
  ref_matmul(a, b, out[0], want);
  for (int e = 0; e < 30; e++) {
    float r = want[e] + ((float *)bias->data)[e % 5];
    r = r < -0.25f ? -0.25f : r > 0.5f ? 0.5f : r;
    CHECK_NEAR(((float *)out[0]->data)[e], r, 1e-5);
  }
  tfree(out[0]);
  /* K mismatch */
  dm_nn_tensor *bad_in[2] = {a, a};
  out[0] = NULL;
  CHECK(run_op(ctx, "MatMul", 13, NULL, no_act, bad_in, 2, out, 1) == DM_ERR_FORMAT);
  tfree(out[0]);
  tfree(a), tfree(b), tfree(bias);

  /* Gemm: Y = 0.5 * A' B' + 2 * C, C broadcast from [N] */
  int64_t ga[] = {4, 3}, gb[] = {5, 4}, gc[] = {5};
  dm_nn_tensor *A = frandom(2, ga, 1), *B = frandom(2, gb, 1), *C = frandom(1, gc, 1);
  attrs at = {0};
  attr_int(&at, "transA", 1), attr_int(&at, "transB", 1);
  attr_float(&at, "alpha", 0.5f), attr_float(&at, "beta", 2.0f);
  dm_nn_tensor *gin[3] = {A, B, C};
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Gemm", 13, &at, no_act, gin, 3, out, 1));
  CHECK(out[0]->dims[0] == 3 && out[0]->dims[1] == 5);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++) {
      double s = 0;
      for (int t = 0; t < 4; t++) s += (double)((float *)A->data)[t * 3 + i] * ((float *)B->data)[j * 4 + t];
      CHECK_NEAR(((float *)out[0]->data)[i * 5 + j], 0.5 * s + 2.0 * ((float *)C->data)[j], 1e-5);
    }
  tfree(out[0]);
  tfree(A), tfree(B), tfree(C);
}

/* ---- LayerNorm, Softmax ---- */

static void test_layer_norm(dm_context *ctx) {
  int64_t dx[] = {2, 3, 8}, ds[] = {3, 8}, db1[] = {1, 8};
  dm_nn_tensor *x = frandom(3, dx, 3), *s = frandom(2, ds, 1), *b = frandom(2, db1, 1);
  float *xd = x->data;
  for (int i = 0; i < 48; i++) xd[i] += 100.0f; /* offset data: two-pass variance matters */
  attrs at = {0};
  attr_int(&at, "axis", 1);
  attr_float(&at, "epsilon", 1e-3f);
  dm_nn_tensor *in[3] = {x, s, b}, *out[3] = {NULL, NULL, NULL};
  CHECK_OK(ctx, run_op(ctx, "LayerNormalization", 17, &at, no_act, in, 3, out, 3));
  CHECK(out[1]->ndim == 3 && out[1]->dims[0] == 2 && out[1]->dims[1] == 1 && out[1]->dims[2] == 1);
  for (int r = 0; r < 2; r++) {
    double m = 0, v = 0;
    for (int i = 0; i < 24; i++) m += xd[r * 24 + i];
    m /= 24;
    for (int i = 0; i < 24; i++) v += (xd[r * 24 + i] - m) * (xd[r * 24 + i] - m);
    double inv = 1.0 / sqrt(v / 24 + 1e-3);
    CHECK_NEAR(((float *)out[1]->data)[r], m, 1e-4);
    CHECK_NEAR(((float *)out[2]->data)[r], inv, 1e-3 * inv);
    for (int i = 0; i < 24; i++) {
      double want = (xd[r * 24 + i] - m) * inv * ((float *)s->data)[i] + ((float *)b->data)[i % 8];
      CHECK_NEAR(((float *)out[0]->data)[r * 24 + i], want, 2e-4);
    }
  }
  for (int i = 0; i < 3; i++) tfree(out[i]);
  tfree(x), tfree(s), tfree(b);
}

static void test_softmax(dm_context *ctx) {
  int64_t dx[] = {2, 3, 4, 5};
  dm_nn_tensor *x = frandom(4, dx, 20);
  const float *xd = x->data;
  /* opset 13 single axis (strided and contiguous), opset 11 2-D coercion */
  static const struct {
    int opset, axis;
  } cases[] = {{13, -1}, {13, 1}, {13, 0}, {11, 1}, {11, 3}};
  const char *ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int o = 0; o < 3; o++) {
      attrs at = {0};
      attr_int(&at, "axis", cases[c].axis);
      dm_nn_tensor *in[1] = {x}, *out[1] = {NULL};
      CHECK_OK(ctx, run_op(ctx, ops[o], cases[c].opset, &at, no_act, in, 1, out, 1));
      const float *y = out[0]->data;
      int axis = cases[c].axis < 0 ? cases[c].axis + 4 : cases[c].axis;
      int64_t outer = 1, d = 1, inner = 1;
      for (int i = 0; i < 4; i++) {
        if (i < axis) outer *= dx[i];
        else if (i == axis || cases[c].opset < 13) d *= dx[i];
        else inner *= dx[i];
      }
      int bad = 0;
      for (int64_t p = 0; p < outer; p++)
        for (int64_t q = 0; q < inner; q++) {
          double m = -INFINITY, s = 0;
          int64_t at_max = 0;
          for (int64_t r = 0; r < d; r++) {
            double v = xd[(p * d + r) * inner + q];
            if (v > m) m = v, at_max = r;
          }
          for (int64_t r = 0; r < d; r++) s += exp(xd[(p * d + r) * inner + q] - m);
          for (int64_t r = 0; r < d; r++) {
            int64_t e = (p * d + r) * inner + q;
            double want = o == 0 ? exp(xd[e] - m) / s : o == 1 ? xd[e] - m - log(s) : (r == at_max);
            if (fabs(y[e] - want) > 1e-6 * (1 + fabs(want))) bad++;
          }
        }
      if (bad) fprintf(stderr, "%s opset %d axis %d: %d mismatches\n", ops[o], cases[c].opset, cases[c].axis, bad);
      CHECK(bad == 0);
      tfree(out[0]);
    }
  tfree(x);
}

/* ---- vector exp / erf, GELU, activations ---- */

static void test_activations(dm_context *ctx) {
  /* exp: relative error against double over the float range */
  double worst = 0;
  for (float v = -100.0f; v < 88.7f; v += 0.01173f) {
    float y[4], x[4] = {v, -v * 0.5f, v * 0.001f, v + 0.5f};
    nn_vexp(x, y, 4);
    for (int i = 0; i < 4; i++) {
      double w = exp((double)x[i]);
      if (w > 1e-37 && w < 1e38) {
        double r = fabs(y[i] - w) / w;
        if (r > worst) worst = r;
      }
    }
  }
  fprintf(stderr, "vector exp: max relative error %.3g\n", worst);
  CHECK(worst < 3e-7);
  float inf_in[4] = {INFINITY, -INFINITY, NAN, 89.0f}, inf_out[4];
  nn_vexp(inf_in, inf_out, 4);
  CHECK(isinf(inf_out[0]) && inf_out[1] == 0.0f && isnan(inf_out[2]) && isinf(inf_out[3]));
  /* erf: absolute error */
  worst = 0;
  for (float v = -6.0f; v < 6.0f; v += 0.000731f) {
    float y;
    nn_verf(&v, &y, 1);
    double e = fabs(y - erf((double)v));
    if (e > worst) worst = e;
  }
  fprintf(stderr, "vector erf: max absolute error %.3g\n", worst);
  CHECK(worst < 1e-6);

  /* Gelu (both forms), Sigmoid and Erf through the ops, threaded size */
  int64_t dx[] = {1, 1370, 96};
  dm_nn_tensor *x = frandom(3, dx, 6);
  const float *xd = x->data;
  const char *names[] = {"Gelu", "Gelu", "Sigmoid", "Erf", "Tanh", "Softplus"};
  for (int o = 0; o < 6; o++) {
    attrs at = {0};
    if (o == 1) attr_str(&at, "approximate", "tanh");
    dm_nn_tensor *in[1] = {x}, *out[1] = {NULL};
    CHECK_OK(ctx, run_op(ctx, names[o], 20, &at, no_act, in, 1, out, 1));
    int bad = 0;
    for (int64_t i = 0; i < dm_nn_numel(x); i++) {
      double v = xd[i], w;
      if (o == 0) w = v * 0.5 * (1 + erf(v / sqrt(2.0)));
      else if (o == 1) w = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      else if (o == 2) w = 1 / (1 + exp(-v));
      else if (o == 3) w = erf(v);
      else if (o == 4) w = tanh(v);
      else w = log1p(exp(v));
      if (fabs(((float *)out[0]->data)[i] - w) > 1e-6 * (1 + fabs(w))) bad++;
    }
    if (bad) fprintf(stderr, "%s: %d mismatches\n", names[o], bad);
    CHECK(bad == 0);
    tfree(out[0]);
  }
  /* Gelu exists at any opset for the planner's fused pattern */
  CHECK(nn_find_op("", "Gelu", 13) != NULL);
  /* Clip: opset 6 attributes, opset 13 inputs */
  int64_t d1[] = {1};
  dm_nn_tensor *lo = tensor(DM_NN_FLOAT, 0, d1), *hi = tensor(DM_NN_FLOAT, 0, d1);
  *(float *)lo->data = -0.5f, *(float *)hi->data = 0.25f;
  dm_nn_tensor *cin[3] = {x, lo, hi}, *out[1] = {NULL};
  CHECK_OK(ctx, run_op(ctx, "Clip", 13, NULL, no_act, cin, 3, out, 1));
  int bad = 0;
  for (int64_t i = 0; i < dm_nn_numel(x); i++) {
    float w = xd[i] < -0.5f ? -0.5f : xd[i] > 0.25f ? 0.25f : xd[i];
    bad += ((float *)out[0]->data)[i] != w;
  }
  CHECK(bad == 0);
  tfree(out[0]);
  attrs at = {0};
  attr_float(&at, "min", 0.0f);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "Clip", 6, &at, no_act, cin, 1, out, 1));
  for (int64_t i = 0; i < dm_nn_numel(x); i++) bad += ((float *)out[0]->data)[i] != (xd[i] < 0 ? 0 : xd[i]);
  CHECK(bad == 0);
  tfree(out[0]);
  tfree(x), tfree(lo), tfree(hi);
}

/* ---- reductions ---- */

static void test_reduce(dm_context *ctx) {
  int64_t dx[] = {3, 4, 5, 6};
  dm_nn_tensor *x = frandom(4, dx, 1);
  const float *xd = x->data;
  int64_t axes[] = {1, -1};
  const char *ops[] = {"ReduceMean", "ReduceMax", "ReduceSumSquare", "ReduceLogSumExp", "ReduceProd"};
  for (int o = 0; o < 5; o++) {
    attrs at = {0};
    attr_ints(&at, "axes", axes, 2);
    attr_int(&at, "keepdims", 0);
    dm_nn_tensor *in[1] = {x}, *out[1] = {NULL};
    CHECK_OK(ctx, run_op(ctx, ops[o], 13, &at, no_act, in, 1, out, 1));
    CHECK(out[0]->ndim == 2 && out[0]->dims[0] == 3 && out[0]->dims[1] == 5);
    for (int a = 0; a < 3; a++)
      for (int c = 0; c < 5; c++) {
        double acc = o == 1 ? -INFINITY : o == 4 ? 1 : 0, m = -INFINITY;
        for (int b = 0; b < 4; b++)
          for (int d = 0; d < 6; d++) m = fmax(m, xd[((a * 4 + b) * 5 + c) * 6 + d]);
        for (int b = 0; b < 4; b++)
          for (int d = 0; d < 6; d++) {
            double v = xd[((a * 4 + b) * 5 + c) * 6 + d];
            if (o == 0) acc += v / 24;
            else if (o == 1) acc = fmax(acc, v);
            else if (o == 2) acc += v * v;
            else if (o == 3) acc += exp(v - m);
            else acc *= v;
          }
        if (o == 3) acc = m + log(acc);
        CHECK_NEAR(((float *)out[0]->data)[a * 5 + c], acc, 1e-5 * (1 + fabs(acc)));
      }
    tfree(out[0]);
  }
  /* ReduceSum (opset 13): axes input; empty axes reduce all or, with
   * noop_with_empty_axes, nothing */
  int64_t d1[] = {1}, d0[] = {0};
  dm_nn_tensor *ax = tensor(DM_NN_INT64, 1, d1), *none = tensor(DM_NN_INT64, 1, d0);
  *(int64_t *)ax->data = 2;
  dm_nn_tensor *in[2] = {x, ax}, *out[1] = {NULL};
  CHECK_OK(ctx, run_op(ctx, "ReduceSum", 13, NULL, no_act, in, 2, out, 1));
  CHECK(out[0]->ndim == 4 && out[0]->dims[2] == 1);
  double s0 = 0;
  for (int c = 0; c < 5; c++) s0 += xd[c * 6];
  CHECK_NEAR(((float *)out[0]->data)[0], s0, 1e-5);
  tfree(out[0]);
  in[1] = none;
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "ReduceSum", 13, NULL, no_act, in, 2, out, 1));
  CHECK(out[0]->ndim == 4 && dm_nn_numel(out[0]) == 1);
  tfree(out[0]);
  attrs noop = {0};
  attr_int(&noop, "noop_with_empty_axes", 1);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "ReduceSum", 13, &noop, no_act, in, 2, out, 1));
  CHECK(dm_nn_numel(out[0]) == dm_nn_numel(x) && !memcmp(out[0]->data, x->data, (size_t)dm_nn_numel(x) * 4));
  tfree(out[0]);
  /* ReduceMean from opset 18 takes its axes as an input too; the attribute
   * is no longer read */
  in[1] = ax;
  attrs stale = {0};
  int64_t other[] = {0};
  attr_ints(&stale, "axes", other, 1);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "ReduceMean", 18, &stale, no_act, in, 2, out, 1));
  CHECK(out[0]->ndim == 4 && out[0]->dims[0] == 3 && out[0]->dims[2] == 1);
  CHECK_NEAR(((float *)out[0]->data)[0], s0 / 5, 1e-6);
  tfree(out[0]);
  /* ArgMax with ties and select_last_index */
  int64_t d4[] = {4};
  dm_nn_tensor *t = tensor(DM_NN_FLOAT, 1, d4);
  float *td = t->data;
  td[0] = 1, td[1] = 3, td[2] = 3, td[3] = 0;
  attrs al = {0};
  attr_int(&al, "select_last_index", 1);
  dm_nn_tensor *tin[1] = {t};
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "ArgMax", 13, &al, no_act, tin, 1, out, 1));
  CHECK(*(int64_t *)out[0]->data == 2);
  tfree(out[0]);
  out[0] = NULL;
  CHECK_OK(ctx, run_op(ctx, "ArgMax", 13, NULL, no_act, tin, 1, out, 1));
  CHECK(*(int64_t *)out[0]->data == 1 && out[0]->ndim == 1);
  tfree(out[0]);
  tfree(x), tfree(ax), tfree(none), tfree(t);
}

/* ---- bench: ViT-S / DA-V2 shapes ---- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best of `reps` runs of op->run alone (outputs allocated and touched once). */
static double time_op(dm_context *ctx, const char *op_type, int opset, attrs *at, dm_nn_tensor **in, int n_in,
                      int reps) {
  const nn_op *op = nn_find_op("", op_type, opset);
  nn_node node = {.name = "bench", .op_type = (char *)op_type, .domain = "", .n_in = n_in, .n_out = 1,
                  .attrs = at ? at->attrs : NULL, .n_attrs = at ? at->n_attrs : 0, .op = op};
  dm_nn_tensor y = {0}, *out[1] = {&y};
  nn_kctx k = {ctx, NULL, &node, opset, n_in, 1, in, out, NULL};
  if (!op || op->infer(&k) != DM_OK) return -1;
  y.data = calloc((size_t)dm_nn_numel(&y), dm_nn_dtype_size(y.dtype));
  if (op->prepare) op->prepare(&k);
  k.scratch = node.scratch ? aligned_alloc(64, (node.scratch + 63) & ~(size_t)63) : NULL;
  op->run(&k);
  double best = 1e9;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    op->run(&k);
    double t = now() - t0;
    if (t < best) best = t;
  }
  free(k.scratch);
  free(y.data);
  return best * 1e3;
}

typedef struct {
  const float *a, *b;
  float *c;
  int batch, m, n, k;
} split_job;

static void split_worker(void *user, int ith, int nth) {
  const split_job *j = user;
  int b0, b1;
  dm_split_rows(j->batch, ith, nth, &b0, &b1);
  for (int b = b0; b < b1; b++)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->m, j->n, j->k, 1.0f, j->a + (size_t)b * j->m * j->k, j->k,
                j->b + (size_t)b * j->k * j->n, j->n, 0.0f, j->c + (size_t)b * j->m * j->n, j->n);
}

static void bench(dm_context *ctx) {
  int64_t tok[] = {1, 1370, 384}, w1[] = {384, 1536}, hid[] = {1, 1370, 1536}, bias[] = {384};
  int64_t q[] = {1, 6, 1370, 64}, kt[] = {1, 6, 64, 1370}, att[] = {1, 6, 1370, 1370}, v[] = {1, 6, 1370, 64};
  dm_nn_tensor *x = frandom(3, tok, 1), *w = frandom(2, w1, 1), *h = frandom(3, hid, 3), *bb = frandom(1, bias, 1);
  dm_nn_tensor *Q = frandom(4, q, 1), *K = frandom(4, kt, 1), *A = frandom(4, att, 1), *V = frandom(4, v, 1);
  dm_nn_tensor *mm1[2] = {x, w}, *qk[2] = {Q, K}, *av[2] = {A, V}, *hs[1] = {h}, *as[1] = {A}, *xs[1] = {x};
  dm_nn_tensor *ab[2] = {x, bb};
  printf("threads %d\n", ctx->n_threads);
  printf("MatMul [1370,384]x[384,1536]      %8.2f ms\n", time_op(ctx, "MatMul", 17, NULL, mm1, 2, 5));
  printf("MatMul 6x[1370,64]x[64,1370]      %8.2f ms\n", time_op(ctx, "MatMul", 17, NULL, qk, 2, 5));
  printf("MatMul 6x[1370,1370]x[1370,64]    %8.2f ms\n", time_op(ctx, "MatMul", 17, NULL, av, 2, 5));
  /* the alternative: batch split over the pool, one sgemm per worker */
  float *c = malloc((size_t)6 * 1370 * 1370 * sizeof *c);
  split_job jq = {Q->data, K->data, c, 6, 1370, 1370, 64}, ja = {A->data, V->data, c, 6, 1370, 64, 1370};
  for (int pass = 0; pass < 2; pass++) {
    split_job *j = pass ? &ja : &jq;
    dm_parallel(ctx, split_worker, j);
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
      double t0 = now();
      dm_parallel(ctx, split_worker, j);
      best = fmin(best, now() - t0);
    }
    printf("  batch split over pool (%s)  %8.2f ms\n", pass ? "attn x V" : "Q x K^T ", best * 1e3);
  }
  free(c);
  printf("Softmax [6,1370,1370] axis -1     %8.2f ms\n", time_op(ctx, "Softmax", 17, NULL, as, 1, 5));
  printf("Gelu [1370,1536]                  %8.2f ms\n", time_op(ctx, "Gelu", 20, NULL, hs, 1, 5));
  printf("Erf [1370,1536]                   %8.2f ms\n", time_op(ctx, "Erf", 17, NULL, hs, 1, 5));
  /* one thread: the vector erf against libm's erff */
  {
    const float *hd = h->data;
    float *o = malloc((size_t)dm_nn_numel(h) * sizeof *o);
    int64_t n = dm_nn_numel(h);
    double tv = 1e9, tl = 1e9;
    for (int r = 0; r < 5; r++) {
      double t0 = now();
      nn_verf(hd, o, n);
      double t1 = now();
      for (int64_t i = 0; i < n; i++) o[i] = erff(hd[i]);
      double t2 = now();
      tv = fmin(tv, t1 - t0), tl = fmin(tl, t2 - t1);
    }
    printf("  1 thread: vector erf %.2f ns/elem, libm erff %.2f ns/elem\n", tv * 1e9 / n, tl * 1e9 / n);
    free(o);
  }
  dm_nn_tensor *ln[3] = {x, bb, bb};
  printf("LayerNorm [1370,384]              %8.2f ms\n", time_op(ctx, "LayerNormalization", 17, NULL, ln, 3, 5));
  printf("Add [1370,384]+[384]              %8.2f ms\n", time_op(ctx, "Add", 17, NULL, ab, 2, 5));
  printf("Relu [6,1370,1370]                %8.2f ms\n", time_op(ctx, "Relu", 17, NULL, as, 1, 5));
  (void)xs;
  tfree(x), tfree(w), tfree(h), tfree(bb), tfree(Q), tfree(K), tfree(A), tfree(V);
}

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(2);
  if (argc > 1 && !strcmp(argv[1], "bench")) {
    bench(ctx);
    dm_context_free(ctx);
    return 0;
  }
  test_broadcast(ctx);
  test_variadic_and_act(ctx);
  test_int_bool(ctx);
  test_matmul(ctx);
  test_layer_norm(ctx);
  test_softmax(ctx);
  test_activations(ctx);
  test_reduce(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/ops_math");
}
