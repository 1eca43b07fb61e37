/* The ONNX loader on real files: the ONNX test suite's node models and .pb
 * tensors (Debian's libonnx-testdata), the Depth Anything V2 graph whose
 * external weights are absent (and then present, as a sparse file of zeros
 * made here), and truncated or corrupted copies that must fail cleanly.
 * DM_NN_EXTRA_MODELS (colon-separated paths) adds models that must load. */
#include <dirent.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "dm_test.h"
#include "nn/nn_internal.h"
#include "onnx/onnx.pb-c.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"

static int topo_ok(const nn_graph *g) {
  for (int k = 0; k < g->n_nodes; k++)
    for (int j = 0; j < g->nodes[k].n_in; j++) {
      int v = g->nodes[k].in[j];
      if (v >= 0 && g->values[v].producer >= k) return 0;
    }
  return 1;
}

static int zeroed(const nn_graph *g) {
  return !g->values && !g->nodes && !g->inputs && !g->outputs && !g->n_values && !g->n_nodes;
}

static dm_status load_path(dm_context *ctx, const char *path, const char *base_dir, nn_graph *g) {
  size_t len;
  unsigned char *data = dm_test_read(path, &len);
  if (!data) {
    dm_test_failures++;
    memset(g, 0, sizeof *g);
    return DM_ERR_IO;
  }
  dm_status s = nn_graph_load(ctx, path, data, len, base_dir, g);
  free(data);
  return s;
}

static void test_conv_model(dm_context *ctx) {
  const char *dir = NODE_DIR "/test_conv_with_strides_padding";
  nn_graph g;
  CHECK_OK(ctx, load_path(ctx, NODE_DIR "/test_conv_with_strides_padding/model.onnx", dir, &g));
  CHECK(g.n_inputs == 2 && g.n_outputs == 1 && g.n_nodes == 1);
  if (g.n_inputs == 2 && g.n_outputs == 1) {
    CHECK(!strcmp(g.values[g.inputs[0]].name, "x") && !strcmp(g.values[g.inputs[1]].name, "W"));
    CHECK(!strcmp(g.values[g.outputs[0]].name, "y"));
    CHECK(g.values[g.inputs[0]].decl_ndim == 4 && g.values[g.inputs[0]].decl_dims[2] == 7);
    size_t n;
    const int64_t *strides = nn_attr_ints(&g.nodes[0], "strides", &n);
    CHECK(n == 2 && strides[0] == 2);
  }
  nn_graph_free(&g);
  const char *pbs[] = {"input_0.pb", "input_1.pb", "output_0.pb"};
  const int64_t dims[3][4] = {{1, 1, 7, 5}, {1, 1, 3, 3}, {1, 1, 4, 3}};
  for (int i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/test_data_set_0/%s", dir, pbs[i]);
    size_t len;
    unsigned char *data = dm_test_read(path, &len);
    dm_nn_tensor t;
    char *name = NULL;
    CHECK_OK(ctx, nn_tensor_from_pb(ctx, path, data, len, &t, &name));
    CHECK(t.dtype == DM_NN_FLOAT && t.ndim == 4 && !memcmp(t.dims, dims[i], sizeof dims[i]));
    CHECK(name && name[0]);
    free(t.data);
    free(name);
    free(data);
  }
  size_t len;
  unsigned char *data = dm_test_read(NODE_DIR "/test_cast_STRING_to_FLOAT/test_data_set_0/input_0.pb", &len);
  dm_nn_tensor t;
  CHECK(nn_tensor_from_pb(ctx, "str.pb", data, len, &t, NULL) == DM_ERR_FORMAT);
  CHECK(strstr(dm_context_error(ctx), "unsupported dtype") != NULL);
  free(data);
}

/* Every node model of the suite: loads, or fails for a reason we expect
 * (subgraphs, dtypes and value kinds this runtime does not hold). */
static void test_suite_models(dm_context *ctx) {
  DIR *d = opendir(NODE_DIR);
  CHECK(d != NULL);
  if (!d) return;
  int ok = 0, expected = 0, total = 0, pb_ok = 0, pb_dtype = 0, pb_total = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/%s", NODE_DIR, e->d_name);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (access(path, R_OK) != 0) continue;
    nn_graph g;
    dm_status s = load_path(ctx, path, dir, &g);
    total++;
    const char *err = dm_context_error(ctx);
    if (s == DM_OK) {
      ok++;
      if (!topo_ok(&g)) {
        fprintf(stderr, "%s: nodes not in topological order\n", path);
        dm_test_failures++;
      }
    } else if (strstr(err, "subgraphs") || strstr(err, "unsupported") || strstr(err, "not a tensor")) {
      expected++;
    } else {
      fprintf(stderr, "unexpected: %s\n", err);
      dm_test_failures++;
    }
    CHECK(s == DM_OK || zeroed(&g));
    nn_graph_free(&g);
    for (int i = 0; i < 4; i++) {
      snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, i);
      if (access(path, R_OK) != 0) break;
      size_t len;
      unsigned char *data = dm_test_read(path, &len);
      dm_nn_tensor t;
      pb_total++;
      s = nn_tensor_from_pb(ctx, path, data, len, &t, NULL);
      if (s == DM_OK) pb_ok++;
      else if (strstr(dm_context_error(ctx), "unsupported dtype")) pb_dtype++;
      free(t.data);
      free(data);
    }
  }
  closedir(d);
  printf("suite: %d/%d models load, %d refused as unsupported; %d/%d input .pb load, %d unsupported dtype\n",
         ok, total, expected, pb_ok, pb_total, pb_dtype);
  CHECK(total > 500 && ok > total * 8 / 10);
  CHECK(pb_total > 500 && pb_ok > pb_total * 8 / 10);
}

/* Depth Anything V2's graph: its external weights are missing beside it; a
 * sparse file of zeros as large as the external data makes it load. */
static void test_da2s(dm_context *ctx) {
  char path[PATH_MAX + 32], dir[PATH_MAX];
  const char *src = getenv("DM_SOURCE_DIR");
  snprintf(dir, sizeof dir, "%s/../shared/models", src ? src : DM_SOURCE_DIR);
  snprintf(path, sizeof path, "%s/da2s_graph.onnx", dir);
  nn_graph g;
  CHECK(load_path(ctx, path, dir, &g) == DM_ERR_IO && zeroed(&g));
  const char *err = dm_context_error(ctx);
  CHECK(strstr(err, "da2s_graph.onnx: tensor '") && strstr(err, "depth_anything_v2_small.onnx.data"));

  size_t len;
  unsigned char *data = dm_test_read(path, &len);
  Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, data);
  CHECK(mp && mp->graph);
  if (!mp || !mp->graph) return;
  long long end = 0;
  int n_ext = 0;
  for (size_t i = 0; i < mp->graph->n_initializer; i++) {
    const Onnx__TensorProto *t = mp->graph->initializer[i];
    long long off = 0, n = 0;
    for (size_t k = 0; k < t->n_external_data; k++) {
      if (!strcmp(t->external_data[k]->key, "offset")) off = atoll(t->external_data[k]->value);
      if (!strcmp(t->external_data[k]->key, "length")) n = atoll(t->external_data[k]->value);
    }
    if (t->n_external_data) n_ext++;
    if (off + n > end) end = off + n;
  }
  onnx__model_proto__free_unpacked(mp, NULL);
  CHECK(n_ext == 258 && end > 90000000);
  const char *tmp = dm_test_tmpdir("nn_loader_files");
  char weights[PATH_MAX + 64];
  snprintf(weights, sizeof weights, "%s/depth_anything_v2_small.onnx.data", tmp);
  FILE *f = fopen(weights, "wb");
  CHECK(f && ftruncate(fileno(f), end) == 0);
  if (f) fclose(f);
  CHECK_OK(ctx, nn_graph_load(ctx, "da2s_graph.onnx", data, len, tmp, &g));
  CHECK(g.ir_version == 10 && g.opset == 18 && g.n_nodes == 638 && topo_ok(&g));
  CHECK(g.n_inputs == 1 && g.n_outputs == 1);
  if (g.n_inputs == 1 && g.n_outputs == 1) {
    const nn_value *in = &g.values[g.inputs[0]];
    CHECK(!strcmp(in->name, "pixel_values") && in->decl_ndim == 4 && in->decl_dims[1] == 3);
    CHECK(in->decl_dtype == DM_NN_FLOAT && in->decl_dims[3] == 518);
    CHECK(!strcmp(g.values[g.outputs[0]].name, "predicted_depth"));
  }
  int consts = 0;
  for (int i = 0; i < g.n_values; i++) consts += g.values[i].is_initializer;
  CHECK(consts == 302);
  nn_graph_free(&g);
  unlink(weights);

  /* Truncated copies: ~250 cut points, each must fail (or load) cleanly. */
  for (size_t cut = 0; cut < len; cut += len / 250 + 1) {
    dm_status s = nn_graph_load(ctx, "cut.onnx", data, cut, tmp, &g);
    CHECK(s != DM_OK ? zeroed(&g) : 1);
    nn_graph_free(&g);
  }
  free(data);
}

/* The small conv model with every byte replaced by a few values, and cut at
 * every length. */
static void test_corrupt(dm_context *ctx) {
  size_t len;
  unsigned char *orig = dm_test_read(NODE_DIR "/test_conv_with_strides_padding/model.onnx", &len);
  CHECK(orig != NULL);
  if (!orig) return;
  unsigned char *buf = malloc(len);
  const unsigned char vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
  int loaded = 0;
  for (size_t i = 0; i < len; i++)
    for (size_t v = 0; v < sizeof vals; v++) {
      memcpy(buf, orig, len);
      buf[i] = vals[v];
      nn_graph g;
      dm_status s = nn_graph_load(ctx, "flip.onnx", buf, len, NULL, &g);
      loaded += s == DM_OK;
      CHECK(s == DM_OK || zeroed(&g));
      nn_graph_free(&g);
      dm_nn_tensor t;
      if (nn_tensor_from_pb(ctx, "flip.pb", buf, len, &t, NULL) == DM_OK) free(t.data);
    }
  for (size_t cut = 0; cut < len; cut++) {
    nn_graph g;
    if (nn_graph_load(ctx, "cut.onnx", orig, cut, NULL, &g) == DM_OK) loaded++;
    nn_graph_free(&g);
  }
  printf("corrupt: %d of %zu variants still load\n", loaded, len * (sizeof vals + 1));
  free(buf);
  free(orig);
}

static void test_extra_models(dm_context *ctx) {
  const char *list = getenv("DM_NN_EXTRA_MODELS");
  if (!list || !*list) return;
  char *copy = strdup(list), *save = NULL;
  for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", p);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    nn_graph g;
    CHECK_OK(ctx, load_path(ctx, p, slash ? dir : ".", &g));
    printf("%s: IR %d opset %d, %d nodes, %d values, %d inputs, %d outputs\n", p, g.ir_version,
           g.opset, g.n_nodes, g.n_values, g.n_inputs, g.n_outputs);
    CHECK(topo_ok(&g));
    nn_graph_free(&g);
  }
  free(copy);
}

int main(void) {
  dm_context *ctx = dm_context_new(1);
  test_conv_model(ctx);
  test_suite_models(ctx);
  test_da2s(ctx);
  test_corrupt(ctx);
  test_extra_models(ctx);
  dm_context_free(ctx);
  return dm_test_done("nn/test_loader_files");
}
