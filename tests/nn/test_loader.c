/* The ONNX loader on small models built in memory: values, graph inputs and
 * outputs, opset, tensor data in every encoding (float16 converted once),
 * external data and its path rules, attributes, topological order, and the
 * errors a malformed file must give, each leaving the graph zeroed. */
#include <string.h>
#include <sys/stat.h>

#include "dm_test.h"
#include "nn/nn_internal.h"
#include "onnx_build.h"

enum { F32 = 1, U8 = 2, I8 = 3, I16 = 5, I32 = 6, I64 = 7, STR = 8, BOOL_ = 9, F16 = 10, F64 = 11 };

static int zeroed(const nn_graph *g) {
  return !g->values && !g->nodes && !g->inputs && !g->outputs && !g->n_values && !g->n_nodes;
}

static dm_status load(dm_context *ctx, const ob_model *b, const char *base_dir, nn_graph *g) {
  size_t len;
  uint8_t *buf = ob_pack(b, &len);
  dm_status s = nn_graph_load(ctx, "t.onnx", buf, len, base_dir, g);
  free(buf);
  return s;
}

/* Loading must fail with `want` and a message holding `a` and `b`. */
static void expect_fail(dm_context *ctx, const ob_model *b, const char *base_dir, dm_status want,
                        const char *a, const char *b2, int line) {
  nn_graph g;
  dm_status s = load(ctx, b, base_dir, &g);
  const char *e = dm_context_error(ctx);
  if (s != want || (a && !strstr(e, a)) || (b2 && !strstr(e, b2)) || !zeroed(&g)) {
    fprintf(stderr, "line %d: expected %s with '%s' '%s', got %s: %s\n", line,
            dm_status_to_string(want), a ? a : "", b2 ? b2 : "", dm_status_to_string(s), e);
    dm_test_failures++;
  }
  if (s == DM_OK) nn_graph_free(&g);
}
#define EXPECT_FAIL(b, dir, st, a, a2) expect_fail(ctx, b, dir, st, a, a2, __LINE__)

static int find(const nn_graph *g, const char *name) {
  for (int i = 0; i < g->n_values; i++)
    if (!strcmp(g->values[i].name, name)) return i;
  return -1;
}

/* Every node after the producers of its inputs; producers point back. */
static int topo_ok(const nn_graph *g) {
  for (int k = 0; k < g->n_nodes; k++) {
    for (int j = 0; j < g->nodes[k].n_in; j++) {
      int v = g->nodes[k].in[j];
      if (v >= 0 && g->values[v].producer >= k) return 0;
    }
    for (int j = 0; j < g->nodes[k].n_out; j++) {
      int v = g->nodes[k].out[j];
      if (v >= 0 && g->values[v].producer != k) return 0;
    }
  }
  return 1;
}

/* x[1,3,N] + W (an initializer also listed as an input, as IR 3 does). */
static void basic_model(ob_model *b, int ir) {
  ob_init(b, ir, 7);
  ob_input(b, ob_vi(b, "x", F32, 3, (int64_t[]){1, 3, -1}));
  ob_input(b, ob_vi(b, "W", F32, 1, (int64_t[]){3}));
  Onnx__TensorProto *w = ob_tensor(b, "W", F32, 1, (int64_t[]){3});
  ob_raw(b, w, (float[]){1.5f, -2.0f, 4.0f}, 12);
  ob_initializer(b, w);
  ob_node(b, "Add", "add", "x,W", "y");
  ob_output(b, ob_vi(b, "y", F32, -1, NULL));
}

static void test_basic(dm_context *ctx) {
  ob_model b;
  basic_model(&b, 3);
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.ir_version == 3 && g.opset == 7 && !strcmp(g.name, "t.onnx"));
  CHECK(g.n_values == 3 && g.n_nodes == 1 && g.n_inputs == 1 && g.n_outputs == 1);
  int x = find(&g, "x"), w = find(&g, "W"), y = find(&g, "y");
  CHECK(x >= 0 && w >= 0 && y >= 0);
  CHECK(g.inputs[0] == x && g.outputs[0] == y);
  CHECK(g.values[x].graph_input == 0 && g.values[w].graph_input == -1 && g.values[y].graph_output == 0);
  CHECK(g.values[x].decl_dtype == DM_NN_FLOAT && g.values[x].decl_ndim == 3);
  CHECK(g.values[x].decl_dims[0] == 1 && g.values[x].decl_dims[1] == 3 && g.values[x].decl_dims[2] == -1);
  CHECK(g.values[y].decl_ndim == -1 && g.values[y].producer == 0 && g.values[x].producer == -1);
  const nn_value *wv = &g.values[w];
  CHECK(wv->is_const && wv->is_initializer && wv->t.dtype == DM_NN_FLOAT);
  /* copied from the caller's buffer into the graph's weights block */
  CHECK(wv->owned == NULL && wv->t.data == g.weights);
  CHECK(wv->t.ndim == 1 && wv->t.dims[0] == 3);
  CHECK(((float *)wv->t.data)[0] == 1.5f && ((float *)wv->t.data)[2] == 4.0f);
  CHECK(!strcmp(g.nodes[0].op_type, "Add") && !strcmp(g.nodes[0].domain, "") && g.nodes[0].n_in == 2);
  CHECK(g.nodes[0].in[0] == x && g.nodes[0].in[1] == w && g.nodes[0].out[0] == y);
  nn_graph_free(&g);
  CHECK(zeroed(&g));
  nn_graph_free(&g); /* twice is harmless */
  ob_free(&b);
}

static void test_opset(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 3, 0); /* no opset_import: 1 */
  ob_input(&b, ob_vi(&b, "x", F32, 1, (int64_t[]){2}));
  ob_node(&b, "Relu", NULL, "x", "y");
  ob_output(&b, ob_vi(&b, "y", F32, 1, (int64_t[]){2}));
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.opset == 1 && !strcmp(g.nodes[0].name, "#0"));
  nn_graph_free(&g);
  ob_opset(&b, "com.microsoft", 1);
  ob_opset(&b, "ai.onnx", 13);
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.opset == 13);
  nn_graph_free(&g);
  ob_opset(&b, "", 0);
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "opset version 0", NULL);
  ob_free(&b);
}

static uint16_t half(float f) { return nn_float_to_half(f); }

static void test_dtypes(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 15);
  ob_input(&b, ob_vi(&b, "x", F32, 1, (int64_t[]){3}));
  uint16_t h[3] = {half(1.0f), half(-2.5f), half(65504.0f)};
  Onnx__TensorProto *t = ob_tensor(&b, "h_raw", F16, 1, (int64_t[]){3});
  ob_raw(&b, t, h, sizeof h);
  ob_initializer(&b, t);
  t = ob_tensor(&b, "h_typed", F16, 2, (int64_t[]){1, 3});
  t->n_int32_data = 3;
  t->int32_data = ob_alloc(&b, 3 * sizeof(int32_t));
  for (int i = 0; i < 3; i++) t->int32_data[i] = h[i];
  ob_initializer(&b, t);
  t = ob_tensor(&b, "i64", I64, 1, (int64_t[]){2});
  t->n_int64_data = 2;
  t->int64_data = ob_alloc(&b, 2 * sizeof(int64_t));
  t->int64_data[0] = -7;
  t->int64_data[1] = INT64_C(1) << 40;
  ob_initializer(&b, t);
  t = ob_tensor(&b, "i8", I8, 1, (int64_t[]){2});
  t->n_int32_data = 2;
  t->int32_data = ob_alloc(&b, 2 * sizeof(int32_t));
  t->int32_data[0] = -3;
  t->int32_data[1] = 127;
  ob_initializer(&b, t);
  t = ob_tensor(&b, "b", BOOL_, 1, (int64_t[]){3});
  ob_raw(&b, t, (uint8_t[]){0, 1, 7}, 3);
  ob_initializer(&b, t);
  t = ob_tensor(&b, "d", F64, 0, NULL); /* a scalar */
  t->n_double_data = 1;
  t->double_data = ob_alloc(&b, sizeof(double));
  t->double_data[0] = 0.125;
  ob_initializer(&b, t);
  t = ob_tensor(&b, "empty", F32, 2, (int64_t[]){0, 4});
  ob_initializer(&b, t);
  ob_node(&b, "Identity", "id", "x", "y");
  ob_output(&b, ob_vi(&b, "y", F32, 1, (int64_t[]){3}));
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  const char *names[] = {"h_raw", "h_typed"};
  for (int k = 0; k < 2; k++) {
    const nn_value *v = &g.values[find(&g, names[k])];
    const float *f = v->t.data;
    CHECK(v->t.dtype == DM_NN_FLOAT && v->decl_dtype == DM_NN_FLOAT);
    CHECK(f[0] == 1.0f && f[1] == -2.5f && f[2] == 65504.0f);
  }
  const int64_t *i64 = g.values[find(&g, "i64")].t.data;
  CHECK(i64[0] == -7 && i64[1] == INT64_C(1) << 40);
  const nn_value *v = &g.values[find(&g, "i8")];
  CHECK(v->t.dtype == DM_NN_INT8 && ((int8_t *)v->t.data)[0] == -3 && ((int8_t *)v->t.data)[1] == 127);
  const uint8_t *bo = g.values[find(&g, "b")].t.data;
  CHECK(bo[0] == 0 && bo[1] == 1 && bo[2] == 1);
  v = &g.values[find(&g, "d")];
  CHECK(v->t.ndim == 0 && v->t.dtype == DM_NN_DOUBLE && *(double *)v->t.data == 0.125);
  v = &g.values[find(&g, "empty")];
  CHECK(v->t.ndim == 2 && v->t.dims[0] == 0 && v->t.data != NULL);
  nn_graph_free(&g);
  ob_free(&b);

  /* Refused: int16, string. */
  int refused[] = {I16, STR};
  for (int k = 0; k < 2; k++) {
    ob_init(&b, 8, 15);
    t = ob_tensor(&b, "W", refused[k], 1, (int64_t[]){1});
    ob_raw(&b, t, "\0\0", 2);
    ob_initializer(&b, t);
    ob_output(&b, ob_vi(&b, "W", F32, -1, NULL));
    EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "unsupported dtype");
    ob_free(&b);
  }
}

/* One initializer W (float, dims) and a graph that outputs it. */
static Onnx__TensorProto *const_model(ob_model *b, int dtype, int ndim, const int64_t *dims) {
  ob_init(b, 8, 13);
  Onnx__TensorProto *t = ob_tensor(b, "W", dtype, ndim, dims);
  ob_initializer(b, t);
  ob_node(b, "Identity", "id", "W", "y");
  ob_output(b, ob_vi(b, "y", dtype, -1, NULL));
  return t;
}

static void test_bad_tensors(dm_context *ctx) {
  ob_model b;
  Onnx__TensorProto *t = const_model(&b, F32, 2, (int64_t[]){2, 2});
  ob_raw(&b, t, (float[]){1, 2, 3}, 12);
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W': raw_data is 12 bytes, dims need 16", NULL);
  ob_free(&b);
  t = const_model(&b, F32, 1, (int64_t[]){4});
  t->n_float_data = 3;
  t->float_data = ob_alloc(&b, 12);
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "float_data has 3 values, dims need 4");
  ob_free(&b);
  /* Claims of billions of elements with no data fail before any allocation. */
  const_model(&b, F32, 2, (int64_t[]){INT64_C(1) << 31, 2});
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "no data");
  ob_free(&b);
  t = const_model(&b, F32, 2, (int64_t[]){INT64_C(1) << 31, 2});
  ob_raw(&b, t, "abcd", 4);
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "raw_data is 4 bytes", NULL);
  ob_free(&b);
  const_model(&b, F32, 3, (int64_t[]){INT64_C(1) << 40, INT64_C(1) << 40, 0});
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "elements");
  ob_free(&b);
  const_model(&b, F32, 2, (int64_t[]){3, -1});
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "negative dimension");
  ob_free(&b);
  const_model(&b, F32, 9, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "9 dimensions");
  ob_free(&b);
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
}

static void test_external(dm_context *ctx) {
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s", dm_test_tmpdir("nn_loader"));
  /* 8 bytes of padding, 3 floats, then 2 halves. */
  uint8_t blob[8 + 12 + 4] = {0};
  memcpy(blob + 8, (float[]){0.5f, 2.0f, -1.0f}, 12);
  uint16_t h[2] = {half(3.0f), half(-0.25f)};
  memcpy(blob + 20, h, 4);
  snprintf(path, sizeof path, "%s/w.bin", dir);
  write_file(path, blob, sizeof blob);
  snprintf(path, sizeof path, "%s/sub", dir);
  CHECK(mkdir(path, 0755) == 0);

  ob_model b;
  Onnx__TensorProto *t = const_model(&b, F32, 1, (int64_t[]){3});
  ob_external(&b, t, "w.bin", "8", "12");
  Onnx__TensorProto *t2 = ob_tensor(&b, "H", F16, 1, (int64_t[]){2});
  ob_external(&b, t2, "./sub/../w.bin", "20", NULL);
  ob_initializer(&b, t2);
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'H'", "leaves the model's folder");
  t2->external_data[0]->value = ob_str(&b, "./w.bin");
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, dir, &g));
  const float *f = g.values[find(&g, "W")].t.data;
  CHECK(f && f[0] == 0.5f && f[1] == 2.0f && f[2] == -1.0f);
  const nn_value *hv = &g.values[find(&g, "H")];
  CHECK(hv->t.dtype == DM_NN_FLOAT && ((float *)hv->t.data)[0] == 3.0f && ((float *)hv->t.data)[1] == -0.25f);
  nn_graph_free(&g);

  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "tensor 'W'", "external data needs a model file");
  t->external_data[2]->value = ob_str(&b, "16");
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "length is 16 bytes, dims need 12");
  t->external_data[2]->value = ob_str(&b, "12");
  t->external_data[1]->value = ob_str(&b, "16");
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "run past its end");
  t->external_data[1]->value = ob_str(&b, "-8");
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "not a number");
  t->external_data[1]->value = ob_str(&b, "99999999999999999999999");
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "not a number");
  t->external_data[1]->value = ob_str(&b, "8");
  const char *bad[] = {"../w.bin", "sub/../../w.bin", "..", "sub\\..\\..\\w.bin"};
  for (int i = 0; i < 4; i++) {
    t->external_data[0]->value = ob_str(&b, bad[i]);
    EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "leaves the model's folder");
  }
  t->external_data[0]->value = ob_str(&b, path); /* absolute */
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "absolute path");
  t->external_data[0]->value = ob_str(&b, "sub");
  EXPECT_FAIL(&b, dir, DM_ERR_IO, "tensor 'W'", "not a regular file");
  t->external_data[0]->value = ob_str(&b, "missing.bin");
  EXPECT_FAIL(&b, dir, DM_ERR_IO, "tensor 'W'", "missing.bin");
  t->external_data[0]->value = ob_str(&b, "");
  EXPECT_FAIL(&b, dir, DM_ERR_FORMAT, "tensor 'W'", "without a location");
  ob_free(&b);
}

static void test_attributes(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 13);
  Onnx__NodeProto *n = ob_node(&b, "Constant", "c", "", "k");
  Onnx__AttributeProto *a = ob_attr(&b, n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = ob_tensor(&b, "", F16, 1, (int64_t[]){2});
  ob_raw(&b, a->t, (uint16_t[]){half(0.5f), half(8.0f)}, 4);
  n = ob_node(&b, "Resize", "r", "k,,", "y");
  a = ob_attr(&b, n, "mode", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.data = (uint8_t *)ob_str(&b, "linearXX");
  a->s.len = 6; /* not NUL-terminated in the file */
  a = ob_attr(&b, n, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = 2;
  a->floats = ob_alloc(&b, 2 * sizeof(float));
  a->floats[1] = 2.5f;
  a = ob_attr(&b, n, "axes", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = 3;
  a->ints = ob_alloc(&b, 3 * sizeof(int64_t));
  a->ints[2] = -1;
  a = ob_attr(&b, n, "names", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
  a->n_strings = 2;
  a->strings = ob_alloc(&b, 2 * sizeof *a->strings);
  a->strings[0].data = (uint8_t *)ob_str(&b, "ab");
  a->strings[0].len = 2;
  a = ob_attr(&b, n, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = 0.75f;
  a = ob_attr(&b, n, "old_style_int", 0); /* IR < 2: no type field */
  a->has_type = 0;
  a->has_i = 1;
  a->i = 42;
  ob_output(&b, ob_vi(&b, "y", F32, -1, NULL));
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.n_nodes == 2 && !strcmp(g.nodes[0].op_type, "Constant"));
  const nn_attr *t = nn_attr_find(&g.nodes[0], "value");
  CHECK(t && t->type == NN_ATTR_TENSOR && t->t.dtype == DM_NN_FLOAT && t->t.dims[0] == 2);
  CHECK(t && ((float *)t->t.data)[0] == 0.5f && ((float *)t->t.data)[1] == 8.0f);
  const nn_node *r = &g.nodes[1];
  CHECK(r->n_in == 3 && r->in[1] == -1 && r->in[2] == -1 && r->in[0] == find(&g, "k"));
  CHECK(!strcmp(nn_attr_string(r, "mode", ""), "linear"));
  size_t len;
  const float *sc = nn_attr_floats(r, "scales", &len);
  CHECK(len == 2 && sc[0] == 0.0f && sc[1] == 2.5f);
  const int64_t *ax = nn_attr_ints(r, "axes", &len);
  CHECK(len == 3 && ax[2] == -1);
  const nn_attr *s = nn_attr_find(r, "names");
  CHECK(s && s->n == 2 && !strcmp(s->strings[0], "ab") && !strcmp(s->strings[1], ""));
  CHECK(nn_attr_float(r, "alpha", 0) == 0.75f && nn_attr_int(r, "old_style_int", 0) == 42);
  nn_graph_free(&g);

  a = ob_attr(&b, n, "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "node 'r' (Resize)", "subgraphs are not supported");
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "node 'r' (Resize)", "unsupported type 11");
  ob_free(&b);
}

/* a = Relu(x); b = Neg(a); c = Add(a, b); d = Sigmoid(x), listed out of order. */
static void test_sort(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F32, 1, (int64_t[]){4}));
  ob_node(&b, "Add", "add", "a,b", "c");
  ob_node(&b, "Sigmoid", "sig", "x", "d");
  ob_node(&b, "Neg", "neg", "a", "b");
  ob_node(&b, "Relu", "relu", "x", "a");
  ob_output(&b, ob_vi(&b, "c", F32, 1, (int64_t[]){4}));
  ob_output(&b, ob_vi(&b, "d", F32, 1, (int64_t[]){4}));
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.n_nodes == 4 && topo_ok(&g));
  /* Ready nodes go smallest file index first: sig, relu, neg, add. */
  CHECK(!strcmp(g.nodes[0].name, "sig") && !strcmp(g.nodes[1].name, "relu"));
  CHECK(!strcmp(g.nodes[2].name, "neg") && !strcmp(g.nodes[3].name, "add"));
  CHECK(g.outputs[0] == find(&g, "c") && g.outputs[1] == find(&g, "d"));
  nn_graph_free(&g);

  /* Make relu read c: relu -> neg -> add -> relu. */
  b.nodes[3]->input[0] = ob_str(&b, "c");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "graph has a cycle through node '", NULL);
  /* A node reading its own output. */
  b.nodes[3]->input[0] = ob_str(&b, "x");
  b.nodes[1]->input[0] = ob_str(&b, "d");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "graph has a cycle through node 'sig'", NULL);
  ob_free(&b);
}

/* No nodes: an output that is a graph input, one that is an initializer. */
static void test_passthrough(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 13);
  ob_input(&b, ob_vi(&b, "x", F32, 2, (int64_t[]){2, 5}));
  Onnx__TensorProto *t = ob_tensor(&b, "c", I64, 1, (int64_t[]){1});
  ob_raw(&b, t, (int64_t[]){9}, 8);
  ob_initializer(&b, t);
  ob_output(&b, ob_vi(&b, "x", F32, 1, (int64_t[]){-1}));
  ob_output(&b, ob_vi(&b, "c", F32, -1, NULL));
  nn_graph g;
  CHECK_OK(ctx, load(ctx, &b, NULL, &g));
  CHECK(g.n_nodes == 0 && g.n_inputs == 1 && g.n_outputs == 2 && g.inputs[0] == g.outputs[0]);
  const nn_value *x = &g.values[g.inputs[0]], *c = &g.values[g.outputs[1]];
  CHECK(x->graph_output == 0 && x->decl_ndim == 2 && x->decl_dims[1] == 5);
  CHECK(c->graph_output == 1 && c->decl_dtype == DM_NN_INT64 && *(int64_t *)c->t.data == 9);
  nn_graph_free(&g);
  ob_free(&b);
}

static void test_graph_errors(dm_context *ctx) {
  ob_model b;
  basic_model(&b, 8);
  b.nodes[0]->input[1] = ob_str(&b, "nope");
  b.g.n_initializer = 0;
  b.g.n_input = 1;
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "node 'add' (Add)", "input 'nope'");
  ob_free(&b);

  basic_model(&b, 8);
  ob_node(&b, "Relu", "second", "x", "y");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "value 'y' is produced twice", "'second'");
  ob_free(&b);

  basic_model(&b, 8);
  ob_node(&b, "Relu", "r", "x", "x");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "value 'x' is a graph input", "node 'r'");
  ob_free(&b);

  basic_model(&b, 8);
  ob_node(&b, "Relu", "r", "x", "W");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "value 'W' is a graph input", NULL);
  ob_free(&b);

  basic_model(&b, 8);
  ob_output(&b, ob_vi(&b, "ghost", F32, -1, NULL));
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "graph output 'ghost'", NULL);
  ob_free(&b);

  basic_model(&b, 8);
  ob_input(&b, ob_vi(&b, "x", F32, -1, NULL));
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "graph input 'x' is listed twice", NULL);
  ob_free(&b);

  basic_model(&b, 8);
  b.nodes[0]->op_type = ob_str(&b, "");
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "node 'add' has no op_type", NULL);
  ob_free(&b);

  basic_model(&b, 8);
  b.m.graph = NULL;
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "no graph", NULL);
  b.m.graph = &b.g;
  b.g.n_output = 0;
  EXPECT_FAIL(&b, NULL, DM_ERR_FORMAT, "no outputs", NULL);
  ob_free(&b);

  /* Not protobuf at all; empty input. */
  nn_graph g;
  CHECK(nn_graph_load(ctx, "junk.onnx", "\xff\xff\xff\xff", 4, NULL, &g) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "junk.onnx: not an ONNX model") != NULL && zeroed(&g));
  CHECK(nn_graph_load(ctx, "empty.onnx", NULL, 0, NULL, &g) == DM_ERR_FORMAT && zeroed(&g));

  /* 2 M empty nodes in 4 MB: protobuf-c would need ~70 bytes per input byte;
   * the unpack budget stops it. */
  size_t n = (size_t)2 << 20, len = 6 + 2 * n;
  uint8_t *buf = malloc(len), *p = buf;
  *p++ = 0x3a; /* ModelProto.graph, length-delimited; the length as a varint */
  for (size_t v = 2 * n; v; v >>= 7) *p++ = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
  for (size_t i = 0; i < n; i++, p += 2) p[0] = 0x0a, p[1] = 0x00; /* GraphProto.node {} */
  CHECK(nn_graph_load(ctx, "big.onnx", buf, (size_t)(p - buf), NULL, &g) == DM_ERR_FORMAT && zeroed(&g));
  CHECK(strstr(dm_context_error(ctx), "too large for the file size") != NULL);
  free(buf);
}

static void test_tensor_pb(dm_context *ctx) {
  ob_model b;
  ob_init(&b, 8, 13);
  Onnx__TensorProto *t = ob_tensor(&b, "in0", F16, 2, (int64_t[]){1, 2});
  ob_raw(&b, t, (uint16_t[]){half(-4.0f), half(0.5f)}, 4);
  size_t len;
  uint8_t *buf = ob_pack_tensor(t, &len);
  dm_nn_tensor out;
  char *name;
  CHECK_OK(ctx, nn_tensor_from_pb(ctx, "input_0.pb", buf, len, &out, &name));
  CHECK(out.dtype == DM_NN_FLOAT && out.ndim == 2 && out.dims[1] == 2 && !strcmp(name, "in0"));
  CHECK(((float *)out.data)[0] == -4.0f && ((float *)out.data)[1] == 0.5f);
  free(out.data);
  free(name);
  free(buf);
  t->data_type = STR;
  buf = ob_pack_tensor(t, &len);
  CHECK(nn_tensor_from_pb(ctx, "s.pb", buf, len, &out, NULL) == DM_ERR_FORMAT && !out.data);
  CHECK(strstr(dm_context_error(ctx), "unsupported dtype") != NULL);
  free(buf);
  CHECK(nn_tensor_from_pb(ctx, "junk.pb", "\x0a\xff", 2, &out, &name) == DM_ERR_FORMAT && !name);
  ob_free(&b);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_basic(ctx);
  test_opset(ctx);
  test_dtypes(ctx);
  test_bad_tensors(ctx);
  test_external(ctx);
  test_attributes(ctx);
  test_sort(ctx);
  test_passthrough(ctx);
  test_graph_errors(ctx);
  test_tensor_pb(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/test_loader");
}
