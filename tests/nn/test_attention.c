/* The fused attention (src/nn/ops_math_attention.c, math_att_kern.c):
 * softmax(A . B) . V against the unfused MatMul, Softmax and MatMul kernels
 * on random data, over shapes that exercise every row block, column strip
 * and tail (and the DA-V2-S head shape), with NaN, +-inf and empty
 * dimensions behaving as in the unfused graph; the planner's fusion on a
 * model built in memory, against the same model kept unfused; and the
 * exporters' head split / merge (Reshape, Transpose, Mul by a scale) folded
 * into the node as strided views, against the node on dense operands.
 *
 * `nn_test_attention bench` times the DA-V2-S layer (6 heads, 1370 tokens,
 * head dim 64) fused and unfused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm_test.h"
#include "nn/math_internal.h"
#include "nn/nn.h"
#include "nn/plan.h"
#include "onnx_build.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* uniform in [-1, 1) */
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static dm_nn_tensor *tensor(int ndim, const int64_t *dims, float scale) {
  dm_nn_tensor *x = calloc(1, sizeof *x);
  x->dtype = DM_NN_FLOAT;
  x->ndim = ndim;
  memcpy(x->dims, dims, (size_t)ndim * sizeof *dims);
  int64_t n = dm_nn_numel(x);
  float *d = calloc((size_t)(n ? n : 1), sizeof *d);
  for (int64_t i = 0; i < n; i++) d[i] = frand() * scale;
  x->data = d;
  return x;
}

static void tfree(dm_nn_tensor *t) {
  if (t) free(t->data);
  free(t);
}

/* op on inputs; the output is allocated here. */
static dm_status run(dm_context *ctx, const nn_op *op, dm_nn_tensor **in, int n_in, dm_nn_tensor **out) {
  nn_node node = {.name = "test", .op_type = (char *)op->name, .domain = "", .n_in = n_in, .n_out = 1, .op = op};
  *out = calloc(1, sizeof **out);
  nn_kctx k = {ctx, NULL, &node, 17, n_in, 1, in, out, NULL};
  dm_status s = op->infer(&k);
  if (s != DM_OK) return s;
  (*out)->data = calloc((size_t)(dm_nn_numel(*out) ? dm_nn_numel(*out) : 1), sizeof(float));
  if (op->prepare && (s = op->prepare(&k)) != DM_OK) return s;
  void *scratch = NULL;
  if (node.scratch) k.scratch = scratch = aligned_alloc(64, (node.scratch + 63) & ~(size_t)63);
  s = op->run(&k);
  free(scratch);
  if (node.state && op->release) op->release(node.state);
  return s;
}

static dm_nn_tensor *unfused(dm_context *ctx, dm_nn_tensor *a, dm_nn_tensor *b, dm_nn_tensor *v) {
  const nn_op *mm = nn_find_op("", "MatMul", 17), *sm = nn_find_op("", "Softmax", 17);
  dm_nn_tensor *ab[2] = {a, b}, *s = NULL, *p = NULL, *y = NULL;
  CHECK_OK(ctx, run(ctx, mm, ab, 2, &s));
  dm_nn_tensor *ss[1] = {s};
  CHECK_OK(ctx, run(ctx, sm, ss, 1, &p));
  dm_nn_tensor *pv[2] = {p, v};
  CHECK_OK(ctx, run(ctx, mm, pv, 2, &y));
  tfree(s), tfree(p);
  return y;
}

/* Same shape; values within tol relative to the output's range, NaN where
 * the reference has NaN. Returns the number of mismatches. */
static int compare(const dm_nn_tensor *y, const dm_nn_tensor *ref, double tol) {
  if (y->ndim != ref->ndim || memcmp(y->dims, ref->dims, (size_t)y->ndim * sizeof y->dims[0])) return -1;
  const float *a = y->data, *b = ref->data;
  double range = 1e-30;
  for (int64_t i = 0; i < dm_nn_numel(ref); i++)
    if (isfinite(b[i])) range = fmax(range, fabs(b[i]));
  int bad = 0;
  double worst = 0;
  for (int64_t i = 0; i < dm_nn_numel(ref); i++) {
    if (isnan(b[i]) || isnan(a[i])) bad += isnan(a[i]) != isnan(b[i]);
    else if (isinf(b[i]) || isinf(a[i])) bad += a[i] != b[i];
    else bad += fabs(a[i] - b[i]) > tol * range, worst = fmax(worst, fabs(a[i] - b[i]) / range);
  }
  if (bad) fprintf(stderr, "worst %g of range %g\n", worst, range);
  return bad;
}

/* batch x [m, k] . [k, n] -> softmax -> . [n, d], scores spread by `spread`. */
static void check_shape(dm_context *ctx, int64_t heads, int64_t m, int64_t k, int64_t n, int64_t d, float spread,
                        int poison) {
  dm_nn_tensor *a = tensor(4, (int64_t[]){2, heads, m, k}, spread), *b = tensor(4, (int64_t[]){2, heads, k, n}, 1);
  dm_nn_tensor *v = tensor(4, (int64_t[]){2, heads, n, d}, 1);
  if (poison && m > 2 && k > 0 && n > 1) {
    float *ad = a->data, *bd = b->data;
    ad[0] = NAN;                 /* row 0 of head 0: all NaN */
    ad[k] = INFINITY;            /* row 1: inf - inf in the softmax: NaN as unfused */
    bd[1] = -INFINITY;           /* column 1 of head 0 via row 0 of B: masked (0 weight) where A > 0 */
    ((float *)v->data)[0] = INFINITY; /* inf times weight */
  }
  dm_nn_tensor *in[3] = {a, b, v}, *y = NULL;
  CHECK_OK(ctx, run(ctx, &nn_op_attention, in, 3, &y));
  dm_nn_tensor *ref = unfused(ctx, a, b, v);
  int bad = compare(y, ref, 2e-5); /* peaky scores (|s| ~ 40) amplify rounding */
  if (bad)
    fprintf(stderr, "attention %lldx[%lld,%lld]x[%lld,%lld]x[%lld,%lld]%s: %d mismatches\n", (long long)heads,
            (long long)m, (long long)k, (long long)k, (long long)n, (long long)n, (long long)d,
            poison ? " (NaN/inf)" : "", bad);
  CHECK(bad == 0);
  tfree(a), tfree(b), tfree(v), tfree(y), tfree(ref);
}

static void test_kernel(dm_context *ctx) {
  static const struct {
    int64_t h, m, k, n, d;
  } shapes[] = {{1, 1, 1, 1, 1},     {3, 37, 8, 53, 11},  {2, 70, 64, 130, 64}, {1, 13, 70, 3, 5},
                {1, 200, 5, 700, 17}, {1, 9, 64, 300, 80}, {6, 1370, 64, 1370, 64}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    check_shape(ctx, shapes[i].h, shapes[i].m, shapes[i].k, shapes[i].n, shapes[i].d, 4.0f, 0);
    if (shapes[i].m < 1000) check_shape(ctx, shapes[i].h, shapes[i].m, shapes[i].k, shapes[i].n, shapes[i].d, 4, 1);
  }
  /* empty dims: K = 0 (uniform weights), N = 0 (zero output), M = 0, D = 0 */
  check_shape(ctx, 2, 5, 0, 7, 3, 1, 0);
  check_shape(ctx, 2, 5, 4, 0, 3, 1, 0);
  check_shape(ctx, 2, 0, 4, 7, 3, 1, 0);
  check_shape(ctx, 2, 5, 4, 7, 0, 1, 0);
  /* large scores: the max subtraction keeps exp finite */
  check_shape(ctx, 1, 40, 16, 90, 8, 40.0f, 0);
  /* batch dims must agree */
  dm_nn_tensor *a = tensor(3, (int64_t[]){2, 4, 3}, 1), *b = tensor(3, (int64_t[]){1, 3, 5}, 1);
  dm_nn_tensor *v = tensor(3, (int64_t[]){2, 5, 2}, 1), *in[3] = {a, b, v}, *y = NULL;
  CHECK(run(ctx, &nn_op_attention, in, 3, &y) == DM_ERR_FORMAT);
  tfree(a), tfree(b), tfree(v), tfree(y);
}

/* ---- the planner's fusion, end to end ---- */

enum { F = 1 };

/* The built model, loaded; the builder is freed. */
static dm_nn_model *load_built(dm_context *ctx, ob_model *b, const char *name) {
  size_t len;
  uint8_t *bytes = ob_pack(b, &len);
  dm_nn_model *m = NULL;
  CHECK_OK(ctx, dm_nn_load_buffer(ctx, name, bytes, len, NULL, &m));
  free(bytes);
  ob_free(b);
  return m;
}

/* q [1,2,9,4] x kt [1,2,4,11] -> Softmax -> x v [1,2,11,3]; with
 * `keep_scores` the softmax output is a graph output too, which must keep
 * the graph unfused. */
static dm_nn_model *attention_model(dm_context *ctx, int keep_scores, int axis) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 17);
  ob_input(&b, ob_vi(&b, "q", F, 4, (int64_t[]){1, 2, 9, 4}));
  ob_input(&b, ob_vi(&b, "kt", F, 4, (int64_t[]){1, 2, 4, 11}));
  ob_input(&b, ob_vi(&b, "v", F, 4, (int64_t[]){1, 2, 11, 3}));
  ob_node(&b, "MatMul", "qk", "q,kt", "s");
  Onnx__NodeProto *sm = ob_node(&b, "Softmax", "sm", "s", "p");
  Onnx__AttributeProto *at = ob_attr(&b, sm, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  at->has_i = 1, at->i = axis;
  ob_node(&b, "MatMul", "pv", "p,v", "y");
  ob_output(&b, ob_vi(&b, "y", F, 4, (int64_t[]){1, 2, 9, 3}));
  if (keep_scores) ob_output(&b, ob_vi(&b, "p", F, 4, (int64_t[]){1, 2, 9, 11}));
  return load_built(ctx, &b, "attention.onnx");
}

static void test_fusion(dm_context *ctx) {
  dm_nn_tensor *q = tensor(4, (int64_t[]){1, 2, 9, 4}, 3), *kt = tensor(4, (int64_t[]){1, 2, 4, 11}, 1);
  dm_nn_tensor *v = tensor(4, (int64_t[]){1, 2, 11, 3}, 1);
  dm_nn_tensor in[3] = {*q, *kt, *v};
  static const int axes[] = {-1, 3, 2};
  for (int c = 0; c < 3; c++) {
    dm_nn_model *fused = attention_model(ctx, 0, axes[c]), *plain = attention_model(ctx, 1, axes[c]);
    if (!fused || !plain) return;
    dm_nn_tensor y1[1] = {{0}}, y2[2] = {{0}, {0}};
    CHECK_OK(ctx, dm_nn_run(ctx, fused, in, y1, NULL));
    CHECK_OK(ctx, dm_nn_run(ctx, plain, in, y2, NULL));
    CHECK(compare(&y1[0], &y2[0], 2e-6) == 0);
    /* last axis: one fused node; any other axis is not attention */
    CHECK(nn_model_plan(fused)->n_order == (axes[c] == 2 ? 3 : 1));
    CHECK(nn_model_plan(plain)->n_order == 3);
    free(y1[0].data), free(y2[0].data), free(y2[1].data);
    dm_nn_free(fused), dm_nn_free(plain);
  }
  tfree(q), tfree(kt), tfree(v);
}

/* ---- multi-head attention as exported: views folded into the node ---- */

enum { I64 = 7, T = 13, H = 2, D = 4 };

static void init_ints(ob_model *b, const char *name, int n, const int64_t *v) {
  Onnx__TensorProto *t = ob_tensor(b, name, I64, 1, (int64_t[]){n});
  ob_raw(b, t, v, (size_t)n * sizeof *v);
  ob_initializer(b, t);
}

static void perm_node(ob_model *b, const char *in, const char *out, int n, const int64_t *perm) {
  ob_attr_ints(b, ob_node(b, "Transpose", NULL, in, out), "perm", n, perm);
}

/* q, k, v [1, T, H*D] split into heads by Reshape + Transpose (k transposed
 * again through a 3-D Reshape, as DA-V2-S's graph does), with `scaled` q
 * and k times a scalar, the output merged back by Transpose + Reshape.
 * With `keep` the operands and the attention output are graph outputs too,
 * which keeps those chains as nodes of their own. */
static dm_nn_model *mha_model(dm_context *ctx, int keep, int scaled) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 17);
  const char *names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; i++) ob_input(&b, ob_vi(&b, names[i], F, 3, (int64_t[]){1, T, H * D}));
  init_ints(&b, "s4", 4, (int64_t[]){1, T, H, D});
  init_ints(&b, "s3", 3, (int64_t[]){H, T, D});
  init_ints(&b, "s4k", 4, (int64_t[]){1, H, D, T});
  init_ints(&b, "s3o", 3, (int64_t[]){1, T, H * D});
  Onnx__TensorProto *sc = ob_tensor(&b, "sc", F, 0, NULL);
  ob_raw(&b, sc, &(float){0.7071f}, 4);
  ob_initializer(&b, sc);
  const int64_t heads[] = {0, 2, 1, 3}, last2[] = {0, 2, 1};
  ob_node(&b, "Reshape", NULL, "q,s4", "q4");
  perm_node(&b, "q4", scaled ? "qh" : "qs", 4, heads);
  if (scaled) ob_node(&b, "Mul", NULL, "qh,sc", "qs");
  ob_node(&b, "Reshape", NULL, "k,s4", "k4");
  perm_node(&b, "k4", "kh", 4, heads);
  ob_node(&b, "Reshape", NULL, "kh,s3", "k3");
  perm_node(&b, "k3", "k3t", 3, last2);
  ob_node(&b, "Reshape", NULL, "k3t,s4k", scaled ? "kt" : "ks");
  if (scaled) ob_node(&b, "Mul", NULL, "sc,kt", "ks");
  ob_node(&b, "Reshape", NULL, "v,s4", "v4");
  perm_node(&b, "v4", "vh", 4, heads);
  ob_node(&b, "MatMul", NULL, "qs,ks", "s");
  ob_node(&b, "Softmax", NULL, "s", "pr");
  ob_node(&b, "MatMul", NULL, "pr,vh", "o");
  perm_node(&b, "o", "ot", 4, heads);
  ob_node(&b, "Reshape", NULL, "ot,s3o", "y");
  ob_output(&b, ob_vi(&b, "y", F, 3, (int64_t[]){1, T, H * D}));
  const char *kept[] = {"qs", "ks", "vh", "o"};
  for (int i = 0; keep && i < 4; i++) ob_output(&b, ob_vi(&b, kept[i], F, -1, NULL));
  return load_built(ctx, &b, "mha.onnx");
}

static int count_ops(const nn_plan *p, const char *op) {
  int n = 0;
  for (int s = 0; s < p->n_order; s++) n += !strcmp(p->g.nodes[p->order[s]].op_type, op);
  return n;
}

/* nn_view_reshape: relabels that strides express, and refusals (v kept)
 * where axes to merge are not contiguous with each other. */
static void test_view_reshape(void) {
  dm_nn_tensor t = {DM_NN_FLOAT, 3, {2, 3, 4}, NULL};
  nn_view v;
  nn_view_dense(&v, &t);
  CHECK(v.strides[0] == 12 && v.strides[1] == 4 && v.strides[2] == 1 && v.scale == 1.0f);
  CHECK(nn_view_reshape(&v, 4, (int64_t[]){1, 6, 4, 1}) && v.strides[1] == 4 && v.strides[2] == 1);
  nn_view_dense(&v, &t);
  nn_view_permute(&v, (int[]){1, 0, 2}); /* [3, 2, 4], strides 4, 12, 1 */
  CHECK(v.dims[0] == 3 && v.strides[0] == 4 && v.strides[1] == 12);
  nn_view w = v;
  CHECK(!nn_view_reshape(&w, 2, (int64_t[]){6, 4}) && !memcmp(&w, &v, sizeof v)); /* 3 and 2 do not merge */
  CHECK(nn_view_reshape(&w, 5, (int64_t[]){3, 1, 2, 2, 2}));
  CHECK(w.strides[0] == 4 && w.strides[2] == 12 && w.strides[3] == 2 && w.strides[4] == 1);
  CHECK(nn_view_reshape(&w, 3, (int64_t[]){3, 2, 4}) && w.strides[0] == 4 && w.strides[1] == 12 && w.strides[2] == 1);
  CHECK(!nn_view_reshape(&w, 2, (int64_t[]){3, 8})); /* 2 (stride 12) and 4 do not merge */
}

/* Bit for bit the same as the fused node on dense operands; the views must
 * really be taken: only the attention and the output Reshape (a relabel)
 * are left, B is read transposed (so copied), V and Y through their head
 * strides, A scaled (copied) or in place. */
static void test_views(dm_context *ctx) {
  dm_nn_tensor *x[3];
  dm_nn_tensor in[3];
  for (int i = 0; i < 3; i++) x[i] = tensor(3, (int64_t[]){1, T, H * D}, 2), in[i] = *x[i];
  for (int scaled = 0; scaled < 2; scaled++) {
    dm_nn_model *viewed = mha_model(ctx, 0, scaled), *dense = mha_model(ctx, 1, scaled);
    if (!viewed || !dense) return;
    dm_nn_tensor y1[1] = {{0}}, y2[5];
    memset(y2, 0, sizeof y2);
    CHECK_OK(ctx, dm_nn_run(ctx, viewed, in, y1, NULL));
    CHECK_OK(ctx, dm_nn_run(ctx, dense, in, y2, NULL));
    CHECK(dm_nn_numel(&y1[0]) == T * H * D && dm_nn_numel(&y2[0]) == T * H * D &&
          !memcmp(y1[0].data, y2[0].data, (size_t)T * H * D * sizeof(float)));
    const nn_plan *pv = nn_model_plan(viewed), *pd = nn_model_plan(dense);
    CHECK(pv->n_order == 2 && count_ops(pv, "Attention") == 1 && count_ops(pv, "Reshape") == 1);
    CHECK(count_ops(pd, "Attention") == 1 && count_ops(pd, "Transpose") == 5);
    const nn_att_state *st = NULL;
    for (int s = 0; s < pv->n_order; s++)
      if (!strcmp(pv->g.nodes[pv->order[s]].op_type, "Attention")) st = pv->g.nodes[pv->order[s]].state;
    CHECK(st && st->op[1].strides[3] == H * D && st->op[2].strides[2] == H * D && st->op[3].strides[2] == H * D);
    CHECK(st && st->op[0].scale == (scaled ? 0.7071f : 1.0f) && st->op[1].scale == st->op[0].scale);
    CHECK(st && st->op[0].strides[1] == D && st->op[0].strides[2] == H * D && st->op[0].strides[3] == 1);
    free(y1[0].data);
    for (int i = 0; i < 5; i++) free(y2[i].data);
    dm_nn_free(viewed), dm_nn_free(dense);
  }
  for (int i = 0; i < 3; i++) tfree(x[i]);
}

/* ---- bench ---- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(dm_context *ctx) {
  dm_nn_tensor *a = tensor(4, (int64_t[]){1, 6, 1370, 64}, 1), *b = tensor(4, (int64_t[]){1, 6, 64, 1370}, 1);
  dm_nn_tensor *v = tensor(4, (int64_t[]){1, 6, 1370, 64}, 1), *in[3] = {a, b, v};
  double tf = 1e9, tu = 1e9;
  for (int r = 0; r < 7; r++) {
    dm_nn_tensor *y = NULL;
    double t0 = now();
    run(ctx, &nn_op_attention, in, 3, &y);
    double t1 = now();
    dm_nn_tensor *ref = unfused(ctx, a, b, v);
    double t2 = now();
    tf = fmin(tf, t1 - t0), tu = fmin(tu, t2 - t1);
    tfree(y), tfree(ref);
  }
  printf("threads %d: DA-V2-S attention 6x[1370,64]: fused %.2f ms, MatMul+Softmax+MatMul %.2f ms\n",
         ctx->n_threads, tf * 1e3, tu * 1e3);
  tfree(a), tfree(b), tfree(v);
}

int main(int argc, char **argv) {
  dm_context *ctx = dm_context_new(2);
  if (argc > 1 && !strcmp(argv[1], "bench")) {
    bench(ctx);
    dm_context_free(ctx);
    return 0;
  }
  test_kernel(ctx);
  test_fusion(ctx);
  test_view_reshape();
  test_views(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/test_attention");
}
