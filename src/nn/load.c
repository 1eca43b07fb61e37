/* The ONNX loader's entry points: a file (mapped) or bytes -> skeleton
 * without the weights (load_wire.c) -> protobuf-c ModelProto -> a validated
 * nn_graph with nodes in topological order (load_internal.h lists the steps
 * and their files). Everything in the file is untrusted: every count, index
 * and size is checked, and any failure leaves `g` zeroed. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

/* Version of the default domain ("" or "ai.onnx"); 1 when not imported
 * (IR < 3 files have no opset_import). */
static dm_status read_opset(dm_context *ctx, const Onnx__ModelProto *mp, nn_graph *g) {
  int64_t opset = 0;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
    const char *d = nn_str(o->domain);
    if (*d && strcmp(d, "ai.onnx")) continue;
    int64_t v = o->has_version ? o->version : 0;
    if (v < 1 || v > INT_MAX)
      return dm_fail(ctx, DM_ERR_FORMAT, g->name, "opset version %lld is out of range", (long long)v);
    if (v > opset) opset = v;
  }
  g->opset = opset ? (int)opset : 1;
  return DM_OK;
}

static dm_status check_counts(dm_context *ctx, const Onnx__GraphProto *gp, const char *file) {
  if (gp->n_node > NN_MAX_NODES)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%zu nodes (at most %d)", gp->n_node, NN_MAX_NODES);
  size_t most = gp->n_input;
  if (gp->n_output > most) most = gp->n_output;
  if (gp->n_initializer > most) most = gp->n_initializer;
  if (gp->n_value_info > most) most = gp->n_value_info;
  if (most > NN_MAX_VALUES)
    return dm_fail(ctx, DM_ERR_FORMAT, file, "%zu tensors in one list (at most %d)", most,
                   NN_MAX_VALUES);
  return DM_OK;
}

static dm_status load_model(dm_context *ctx, Onnx__ModelProto *mp, const char *base_dir,
                            nn_raw_src *raw, nn_graph *g) {
  int64_t ir = mp->has_ir_version ? mp->ir_version : 0;
  if (ir < 0 || ir > INT_MAX)
    return dm_fail(ctx, DM_ERR_FORMAT, g->name, "IR version %lld is out of range", (long long)ir);
  g->ir_version = (int)ir;
  dm_status s = read_opset(ctx, mp, g);
  if (s != DM_OK) return s;
  if (!mp->graph) return dm_fail(ctx, DM_ERR_FORMAT, g->name, "the model has no graph");
  if ((s = check_counts(ctx, mp->graph, g->name)) != DM_OK) return s;
  nn_loader L = {.ctx = ctx, .g = g, .base_dir = base_dir, .raw = raw, .gp = mp->graph};
  s = nn_load_values(&L);
  if (s == DM_OK) s = nn_load_nodes(&L);
  if (s == DM_OK) s = nn_sort_nodes(&L);
  free(L.defs);
  return s;
}

/* `keep`: data stays valid for the graph's life, so tensors may point in. */
static dm_status load_bytes(dm_context *ctx, const void *data, size_t len, const char *base_dir,
                            int keep, nn_graph *g) {
  nn_wire w;
  int split = nn_wire_split(data ? data : (const void *)"", len, &w);
  if (split < 0) return dm_fail(ctx, DM_ERR_NOMEM, g->name, "out of memory");
  if (!split) return dm_fail(ctx, DM_ERR_FORMAT, g->name, "not an ONNX model (protobuf parse failed)");
  /* The budget stays the file's: the skeleton's structures are the file's. */
  ProtobufCAllocator a;
  nn_pb_budget budget;
  nn_pb_allocator(&a, &budget, len);
  Onnx__ModelProto *mp = onnx__model_proto__unpack(&a, w.len, w.skeleton);
  if (!mp) {
    nn_wire_free(&w);
    return dm_fail(ctx, DM_ERR_FORMAT, g->name, "not an ONNX model (protobuf %s)",
                   budget.exceeded ? "structures too large for the file size" : "parse failed");
  }
  nn_raw_src raw = {.data = data, .slices = w.slices, .n_slices = w.n_slices, .keep = keep,
                    .stats = &g->stats};
  dm_status s = load_model(ctx, mp, base_dir, &raw, g);
  onnx__model_proto__free_unpacked(mp, &a);
  nn_wire_free(&w);
  return s;
}

dm_status nn_graph_load(dm_context *ctx, const char *name, const void *data, size_t len,
                        const char *base_dir, nn_graph *g) {
  memset(g, 0, sizeof *g);
  snprintf(g->name, sizeof g->name, "%s", name ? name : "");
  if (!data && len) return dm_fail(ctx, DM_ERR_PARAM, g->name, "no data");
  dm_status s = load_bytes(ctx, data, len, base_dir, 0, g);
  if (s != DM_OK) nn_graph_free(g);
  return s;
}

/* Models are large (ISNet is 88 MB); 2 GiB is the protobuf limit anyway. */
#define NN_MAX_MODEL_BYTES ((size_t)2 << 30)

dm_status nn_graph_load_file(dm_context *ctx, const char *path, nn_graph *g) {
  memset(g, 0, sizeof *g);
  snprintf(g->name, sizeof g->name, "%s", path);
  nn_map file;
  dm_status s = nn_map_open(ctx, path, NN_MAX_MODEL_BYTES, &file);
  if (s != DM_OK) return s;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0;
  else snprintf(dir, sizeof dir, ".");
  s = load_bytes(ctx, file.data, file.len, dir, 1, g);
  /* Kept only while some tensor points into it (float16 ones do not). */
  if (s == DM_OK && g->stats.in_place) g->file = file;
  else nn_map_close(&file);
  if (s != DM_OK) nn_graph_free(g);
  return s;
}

void nn_graph_free(nn_graph *g) {
  if (!g) return;
  for (int i = 0; i < g->n_values; i++) {
    free(g->values[i].name);
    free(g->values[i].owned);
  }
  for (int i = 0; i < g->n_nodes; i++) {
    nn_node *nd = &g->nodes[i];
    if (nd->op && nd->op->release && nd->state) nd->op->release(nd->state);
    free(nd->name);
    free(nd->op_type);
    free(nd->domain);
    free(nd->in);
    free(nd->out);
    for (int j = 0; j < nd->n_attrs; j++) nn_attr_free(&nd->attrs[j]);
    free(nd->attrs);
  }
  free(g->values);
  free(g->nodes);
  nn_pool_close(g);
  if (g->file.data) nn_map_close(&g->file);
  free(g->inputs);
  free(g->outputs);
  memset(g, 0, sizeof *g);
}
