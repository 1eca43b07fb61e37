/* The planner: constant folding of shape sub-graphs, fusion (Conv + BN +
 * Relu, MatMul + bias, Erf-GELU, no-op casts) giving the same numbers as the
 * unfused graph, memory reuse in the arena, re-planning for new shapes, and
 * errors that name the node. Models are built in memory (onnx_build.h). */
#include <math.h>
#include <string.h>

#include "core/bigmem.h"
#include "dm_test.h"
#include "nn/nn.h"
#include "nn/math_internal.h"
#include "nn/plan.h"
#include "onnx_build.h"

enum { F = 1, I64 = 7 };

static uint64_t rng = 88172645463325252ull;
static float frand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static void init_f(ob_model *b, const char *name, int ndim, const int64_t *dims, float lo, float hi) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= dims[i];
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (frand() * 0.5f + 0.5f);
  Onnx__TensorProto *t = ob_tensor(b, name, F, ndim, dims);
  ob_raw(b, t, v, (size_t)n * sizeof *v);
  ob_initializer(b, t);
  free(v);
}

static dm_nn_model *load(dm_context *ctx, ob_model *b) {
  size_t len;
  uint8_t *bytes = ob_pack(b, &len);
  dm_nn_model *m = NULL;
  CHECK_OK(ctx, dm_nn_load_buffer(ctx, "test.onnx", bytes, len, NULL, &m));
  free(bytes);
  return m;
}

static dm_nn_tensor tensor(int ndim, const int64_t *dims) {
  dm_nn_tensor t = {DM_NN_FLOAT, ndim, {0}, NULL};
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (t.dims[i] = dims[i]);
  float *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) v[i] = frand();
  t.data = v;
  return t;
}

static double max_diff(const dm_nn_tensor *a, const dm_nn_tensor *b) {
  if (dm_nn_numel(a) != dm_nn_numel(b)) return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < dm_nn_numel(a); i++) m = fmax(m, fabs(((float *)a->data)[i] - ((float *)b->data)[i]));
  return m;
}

/* x -> Conv -> BatchNormalization -> Relu; with `bn_runtime` the BN
 * parameters are graph inputs (12 floats: too many to be specialised on), so
 * nothing can be folded into the Conv. */
static void build_conv_bn(ob_model *b, int bn_runtime) {
  ob_init(b, 8, 13);
  rng = 3;
  int64_t xd[] = {1, 4, 9, 9}, wd[] = {12, 4, 3, 3}, cd[] = {12}, yd[] = {1, 12, 9, 9};
  ob_input(b, ob_vi(b, "x", F, 4, xd));
  init_f(b, "W", 4, wd, -0.5f, 0.5f);
  init_f(b, "B", 1, cd, -0.1f, 0.1f);
  const char *bn[] = {"scale", "beta", "mean", "var"};
  rng = 7;
  for (int i = 0; i < 4; i++) {
    if (bn_runtime) ob_input(b, ob_vi(b, bn[i], F, 1, cd));
    else init_f(b, bn[i], 1, cd, i == 3 ? 0.5f : -1.0f, 1.5f);
  }
  Onnx__NodeProto *c = ob_node(b, "Conv", "conv", "x,W,B", "c");
  ob_attr_ints(b, c, "pads", 4, (int64_t[]){1, 1, 1, 1});
  ob_node(b, "BatchNormalization", "bn", "c,scale,beta,mean,var", "n");
  ob_node(b, "Relu", "relu", "n", "y");
  ob_output(b, ob_vi(b, "y", F, 4, yd));
}

static void test_conv_bn_relu(dm_context *ctx) {
  ob_model a, b;
  memset(&a, 0, sizeof a), memset(&b, 0, sizeof b);
  build_conv_bn(&a, 0);
  build_conv_bn(&b, 1);
  dm_nn_model *fused = load(ctx, &a), *plain = load(ctx, &b);
  if (!fused || !plain) return;
  rng = 7;
  float bnv[4][12];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 12; j++) {
      float lo = i == 3 ? 0.5f : -1.0f;
      bnv[i][j] = lo + (1.5f - lo) * (frand() * 0.5f + 0.5f);
    }
  dm_nn_tensor x = tensor(4, (int64_t[]){1, 4, 9, 9});
  dm_nn_tensor in[5] = {x};
  for (int i = 0; i < 4; i++) in[i + 1] = (dm_nn_tensor){DM_NN_FLOAT, 1, {12}, bnv[i]};
  dm_nn_tensor y1, y2;
  CHECK_OK(ctx, dm_nn_run(ctx, fused, &x, &y1, NULL));
  CHECK_OK(ctx, dm_nn_run(ctx, plain, in, &y2, NULL));
  CHECK(max_diff(&y1, &y2) < 1e-5);
  const nn_plan *p = nn_model_plan(fused);
  CHECK(p && p->n_order == 1);                       /* Conv with BN folded in and Relu fused */
  CHECK(p && p->g.nodes[p->order[0]].act.kind == NN_ACT_RELU);
  CHECK(nn_model_plan(plain)->n_order == 3);         /* nothing to fold: BN's parameters are inputs */
  free(x.data), free(y1.data), free(y2.data);
  dm_nn_free(fused), dm_nn_free(plain);
  ob_free(&a), ob_free(&b);
}

/* Reshape(x, Concat(Gather(Shape(x), 0), [-1])) with a symbolic batch: the
 * shape chain folds away, leaving one node; a new batch size re-plans. */
static void test_shape_folding(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F, 3, (int64_t[]){-1, 3, 4}));
  Onnx__TensorProto *zero = ob_tensor(&b, "zero", I64, 1, (int64_t[]){1});
  ob_raw(&b, zero, (int64_t[]){0}, 8);
  ob_initializer(&b, zero);
  Onnx__TensorProto *minus = ob_tensor(&b, "minus1", I64, 1, (int64_t[]){1});
  ob_raw(&b, minus, (int64_t[]){-1}, 8);
  ob_initializer(&b, minus);
  ob_node(&b, "Shape", "shape", "x", "s");
  ob_node(&b, "Gather", "gather", "s,zero", "n");
  Onnx__NodeProto *cat = ob_node(&b, "Concat", "cat", "n,minus1", "shp");
  Onnx__AttributeProto *ax = ob_attr(&b, cat, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  ax->has_i = 1, ax->i = 0;
  ob_node(&b, "Reshape", "reshape", "x,shp", "r");
  ob_node(&b, "Relu", "relu", "r", "y");
  ob_output(&b, ob_vi(&b, "y", F, 2, (int64_t[]){-1, 12}));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  for (int batch = 2; batch <= 5; batch += 3) {
    dm_nn_tensor x = tensor(3, (int64_t[]){batch, 3, 4}), y;
    CHECK_OK(ctx, dm_nn_run(ctx, m, &x, &y, NULL));
    CHECK(y.ndim == 2 && y.dims[0] == batch && y.dims[1] == 12);
    int ok = 1;
    for (int i = 0; i < batch * 12; i++) ok &= ((float *)y.data)[i] == fmaxf(((float *)x.data)[i], 0.0f);
    CHECK(ok);
    CHECK(nn_model_plan(m)->n_order == 2); /* Reshape, Relu: the shape chain is folded */
    free(x.data), free(y.data);
  }
  dm_nn_free(m);
  ob_free(&b);
}

/* Twelve Relus in a row: the arena holds two tensors, not thirteen. */
static void test_memory_reuse(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  int64_t d[] = {1, 16, 64, 64};
  ob_input(&b, ob_vi(&b, "v0", F, 4, d));
  char in[16], out[16];
  for (int i = 0; i < 12; i++) {
    snprintf(in, sizeof in, "v%d", i), snprintf(out, sizeof out, "v%d", i + 1);
    ob_node(&b, i % 2 ? "Relu" : "Sigmoid", NULL, in, out);
  }
  ob_output(&b, ob_vi(&b, "v12", F, 4, d));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  dm_nn_tensor x = tensor(4, d), y;
  CHECK_OK(ctx, dm_nn_run(ctx, m, &x, &y, NULL));
  size_t one = 16 * 64 * 64 * sizeof(float);
  CHECK(nn_model_plan(m)->arena_size == 2 * one);
  float v = ((float *)x.data)[5];
  for (int i = 0; i < 12; i++) v = i % 2 ? fmaxf(v, 0) : 1.0f / (1.0f + expf(-v));
  CHECK_NEAR(((float *)y.data)[5], v, 1e-6);
  free(x.data), free(y.data);
  dm_nn_free(m);
  ob_free(&b);
}

/* A large arena is borrowed for each run: between runs the model holds
 * none and its pages wait in the big-buffer pool; runs after the first
 * find their tensors again (pointers rebased, results right). */
static void test_arena_borrowed(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  int64_t d[] = {1, 64, 128, 128};
  ob_input(&b, ob_vi(&b, "v0", F, 4, d));
  ob_node(&b, "Sigmoid", NULL, "v0", "v1");
  ob_node(&b, "Relu", NULL, "v1", "v2");
  ob_node(&b, "Neg", NULL, "v2", "v3");
  ob_output(&b, ob_vi(&b, "v3", F, 4, d));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  for (int run = 0; run < 3; run++) {
    dm_nn_tensor x = tensor(4, d), y;
    ((float *)x.data)[7] = (float)run;
    CHECK_OK(ctx, dm_nn_run(ctx, m, &x, &y, NULL));
    const nn_plan *p = nn_model_plan(m);
    CHECK(p->arena_borrowed && p->arena == NULL && p->arena_size >= ((size_t)2 << 20));
    CHECK(dm_big_pooled() >= p->arena_size);
    CHECK_NEAR(((float *)y.data)[7], -1.0f / (1.0f + expf(-(float)run)), 1e-6);
    free(x.data), free(y.data);
  }
  dm_nn_free(m);
  ob_free(&b);
}

static void init_i64(ob_model *b, const char *name, int n, const int64_t *v) {
  Onnx__TensorProto *t = ob_tensor(b, name, I64, 1, (int64_t[]){n});
  ob_raw(b, t, v, (size_t)n * sizeof *v);
  ob_initializer(b, t);
}

static const void *value_data(const nn_plan *p, const char *name) {
  for (int v = 0; v < p->g.n_values; v++)
    if (!strcmp(p->g.values[v].name, name)) return p->g.values[v].t.data;
  return NULL;
}

/* Reshape, Unsqueeze, Squeeze, Flatten and Identity relabel their input's
 * bytes in place (NN_OP_ALIAS): a = Relu(x) and its relabels r1..r4 share
 * one buffer, which must then stay untouched until r4's reader, long after
 * a's own: Sigmoid and Neg in between would reuse a's bytes if the shared
 * slot lived only as long as a. The output is an Identity of y (fuse.c
 * drops the Identities that are not graph outputs). */
static void test_relabel_alias(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F, 3, (int64_t[]){4, 6, 8}));
  init_i64(&b, "shape", 2, (int64_t[]){24, 8});
  init_i64(&b, "axis0", 1, (int64_t[]){0});
  ob_node(&b, "Relu", NULL, "x", "a");
  ob_node(&b, "Reshape", NULL, "a,shape", "r1");
  ob_node(&b, "Unsqueeze", NULL, "r1,axis0", "r2");
  ob_node(&b, "Squeeze", NULL, "r2,axis0", "r3");
  ob_node(&b, "Flatten", NULL, "r3", "r4");
  Onnx__NodeProto *fl = ob_node(&b, "Flatten", NULL, "x", "f");
  Onnx__AttributeProto *ax = ob_attr(&b, fl, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  ax->has_i = 1, ax->i = 2;
  ob_node(&b, "Sigmoid", NULL, "f", "c");
  ob_node(&b, "Neg", NULL, "c", "e");
  ob_node(&b, "Add", NULL, "r4,e", "y");
  ob_node(&b, "Identity", NULL, "y", "out");
  ob_output(&b, ob_vi(&b, "out", F, 2, (int64_t[]){24, 8}));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  dm_nn_tensor x = tensor(3, (int64_t[]){4, 6, 8}), y;
  CHECK_OK(ctx, dm_nn_run(ctx, m, &x, &y, NULL));
  const float *xv = x.data, *yv = y.data;
  double worst = 0;
  for (int i = 0; i < 192; i++)
    worst = fmax(worst, fabs(yv[i] - (fmaxf(xv[i], 0.0f) - 1.0f / (1.0f + expf(-xv[i])))));
  CHECK(worst < 1e-6);
  const nn_plan *p = nn_model_plan(m);
  CHECK(!p->arena_borrowed && p->arena); /* small: the data pointers stay set */
  const void *a = value_data(p, "a");
  const char *rel[] = {"r1", "r2", "r3", "r4"};
  for (int i = 0; i < 4; i++) CHECK(a && value_data(p, rel[i]) == a);
  CHECK(value_data(p, "f") == value_data(p, "x") && value_data(p, "out") == value_data(p, "y"));
  CHECK(value_data(p, "c") != a && value_data(p, "e") != a);
  free(x.data), free(y.data);
  dm_nn_free(m);
  ob_free(&b);
}

/* x/sqrt2 -> Erf -> +1 -> *x -> *0.5, then MatMul + bias, and a Cast to float. */
static void test_gelu_matmul_cast(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F, 2, (int64_t[]){5, 8}));
  init_f(&b, "W", 2, (int64_t[]){8, 3}, -1, 1);
  init_f(&b, "bias", 1, (int64_t[]){3}, -1, 1);
  const char *names[] = {"sqrt2", "one", "half"};
  float vals[] = {1.4142135f, 1.0f, 0.5f};
  for (int i = 0; i < 3; i++) {
    Onnx__TensorProto *t = ob_tensor(&b, names[i], F, 0, NULL);
    ob_raw(&b, t, &vals[i], 4);
    ob_initializer(&b, t);
  }
  ob_node(&b, "Div", NULL, "x,sqrt2", "d");
  ob_node(&b, "Erf", NULL, "d", "e");
  ob_node(&b, "Add", NULL, "e,one", "a");
  ob_node(&b, "Mul", NULL, "x,a", "m1");
  ob_node(&b, "Mul", NULL, "m1,half", "g");
  ob_node(&b, "MatMul", NULL, "g,W", "mm");
  ob_node(&b, "Add", NULL, "mm,bias", "z");
  Onnx__NodeProto *c = ob_node(&b, "Cast", NULL, "z", "y");
  Onnx__AttributeProto *to = ob_attr(&b, c, "to", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  to->has_i = 1, to->i = 1;
  ob_node(&b, "Relu", NULL, "y", "out");
  ob_output(&b, ob_vi(&b, "out", F, 2, (int64_t[]){5, 3}));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  dm_nn_tensor x = tensor(2, (int64_t[]){5, 8}), y;
  CHECK_OK(ctx, dm_nn_run(ctx, m, &x, &y, NULL));
  const nn_plan *p = nn_model_plan(m);
  CHECK(p->n_order == 2); /* Gelu, MatMul(+bias, +Relu) */
  const float *W = NULL, *bias = NULL;
  for (int v = 0; v < p->g.n_values; v++) {
    if (!strcmp(p->g.values[v].name, "W")) W = p->g.values[v].t.data;
    if (!strcmp(p->g.values[v].name, "bias")) bias = p->g.values[v].t.data;
  }
  double worst = 0;
  for (int r = 0; r < 5 && W && bias; r++)
    for (int o = 0; o < 3; o++) {
      double acc = bias[o];
      for (int k = 0; k < 8; k++) {
        double xv = ((float *)x.data)[r * 8 + k];
        acc += 0.5 * xv * (1 + erf(xv / sqrt(2.0))) * W[k * 3 + o];
      }
      worst = fmax(worst, fabs(fmax(acc, 0) - ((float *)y.data)[r * 3 + o]));
    }
  CHECK(W && bias && worst < 1e-5);
  free(x.data), free(y.data);
  dm_nn_free(m);
  ob_free(&b);
}

/* x [5,8] . W [8,3] + bias, times a column scale c [1,3], plus r [5,3],
 * then Relu: with `keep` the biased product is a graph output too, which
 * keeps the Mul and the residual Add as nodes. */
static dm_nn_model *residual_model(dm_context *ctx, ob_model *b, int keep) {
  memset(b, 0, sizeof *b);
  ob_init(b, 8, 13);
  rng = 11;
  ob_input(b, ob_vi(b, "x", F, 2, (int64_t[]){5, 8}));
  ob_input(b, ob_vi(b, "r", F, 2, (int64_t[]){5, 3}));
  init_f(b, "W", 2, (int64_t[]){8, 3}, -1, 1);
  init_f(b, "bias", 1, (int64_t[]){3}, -1, 1);
  init_f(b, "c", 2, (int64_t[]){1, 3}, 0.1f, 2);
  ob_node(b, "MatMul", NULL, "x,W", "mm");
  ob_node(b, "Add", NULL, "mm,bias", "lin");
  ob_node(b, "Mul", NULL, "lin,c", "scaled");
  ob_node(b, "Add", NULL, "r,scaled", "sum");
  ob_node(b, "Relu", NULL, "sum", "out");
  ob_output(b, ob_vi(b, "out", F, 2, (int64_t[]){5, 3}));
  if (keep) ob_output(b, ob_vi(b, "lin", F, 2, (int64_t[]){5, 3}));
  return load(ctx, b);
}

/* Layer scale folded into the weights and the residual Add into the
 * product: one node (two where the AVX-512 kernel takes MatMuls, which keeps
 * the Add), the unfused graph's numbers up to float rounding. */
static void test_matmul_scale_residual(dm_context *ctx) {
  ob_model b1, b2;
  dm_nn_model *fused = residual_model(ctx, &b1, 0), *plain = residual_model(ctx, &b2, 1);
  if (!fused || !plain) return;
  dm_nn_tensor in[2] = {tensor(2, (int64_t[]){5, 8}), tensor(2, (int64_t[]){5, 3})}, y1, y2[2];
  CHECK_OK(ctx, dm_nn_run(ctx, fused, in, &y1, NULL));
  CHECK_OK(ctx, dm_nn_run(ctx, plain, in, y2, NULL));
  CHECK(max_diff(&y1, &y2[0]) < 1e-6);
  const nn_plan *pf = nn_model_plan(fused), *pp = nn_model_plan(plain);
  const nn_node *mm = &pf->g.nodes[pf->order[0]];
  int blocked = nn_mm_blocked_ok(8);
  CHECK(pf->n_order == (blocked ? 2 : 1) && !strcmp(mm->op_type, "MatMul") && mm->act.kind == NN_ACT_RELU);
  CHECK(blocked || (mm->n_in == 4 && !strcmp(pf->g.values[mm->in[3]].name, "r")));
  CHECK(pp->n_order == 3); /* MatMul (+bias), Mul, Add (+Relu) */
  double worst = 0;
  const float *x = in[0].data, *r = in[1].data, *W = NULL, *bias = NULL, *c = NULL;
  for (int v = 0; v < pp->g.n_values; v++) {
    const char *name = pp->g.values[v].name;
    const float *d = pp->g.values[v].t.data;
    if (!strcmp(name, "W")) W = d;
    if (!strcmp(name, "bias")) bias = d;
    if (!strcmp(name, "c")) c = d;
  }
  for (int i = 0; i < 5 && W && bias && c; i++)
    for (int o = 0; o < 3; o++) {
      double acc = bias[o];
      for (int k = 0; k < 8; k++) acc += (double)x[i * 8 + k] * W[k * 3 + o];
      worst = fmax(worst, fabs(fmax(acc * c[o] + r[i * 3 + o], 0) - ((float *)y1.data)[i * 3 + o]));
    }
  CHECK(W && bias && c && worst < 1e-5);
  free(in[0].data), free(in[1].data), free(y1.data), free(y2[0].data), free(y2[1].data);
  dm_nn_free(fused), dm_nn_free(plain);
  ob_free(&b1), ob_free(&b2);
}

static void test_errors(dm_context *ctx) {
  ob_model b;
  memset(&b, 0, sizeof b);
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F, 2, (int64_t[]){2, 2}));
  ob_node(&b, "Relu", "r", "x", "t");
  ob_node(&b, "NoSuchOp", "mystery", "t", "y");
  ob_output(&b, ob_vi(&b, "y", F, -1, NULL));
  dm_nn_model *m = load(ctx, &b);
  if (!m) return;
  dm_nn_tensor x = tensor(2, (int64_t[]){2, 2}), y, wrong = tensor(2, (int64_t[]){2, 3});
  CHECK(dm_nn_run(ctx, m, &x, &y, NULL) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "mystery") && strstr(dm_context_error(ctx), "NoSuchOp"));
  CHECK(dm_nn_run(ctx, m, &wrong, &y, NULL) == DM_ERR_PARAM);
  CHECK(strstr(dm_context_error(ctx), "input 'x'") && strstr(dm_context_error(ctx), "2x2"));
  free(x.data), free(wrong.data);
  dm_nn_free(m);
  ob_free(&b);
}

int main(void) {
  dm_context *ctx = dm_context_new(2);
  test_conv_bn_relu(ctx);
  test_shape_folding(ctx);
  test_memory_reuse(ctx);
  test_arena_borrowed(ctx);
  test_relabel_alias(ctx);
  test_gelu_matmul_cast(ctx);
  test_matmul_scale_residual(ctx);
  test_errors(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/test_plan");
}
