/* Tensor names -> values. Every name a graph input, an initializer or a node
 * output defines becomes one nn_value, numbered in order of first
 * appearance. The names are sorted once and looked up by binary search:
 * O(n log n) whatever names a hostile file picks, where a hash table could
 * be driven into collisions.
 *
 * A name may be both a graph input and an initializer (IR < 4 lists every
 * initializer among the inputs): it is then a constant, not a runtime input.
 * Any other repeated definition is an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

static int def_cmp(const void *pa, const void *pb) {
  const nn_def *a = pa, *b = pb;
  int c = strcmp(a->name, b->name);
  if (c) return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Node label for messages: its name, or "#<index>" when it has none. */
static const char *node_label(const Onnx__GraphProto *gp, int k, char *buf, size_t n) {
  const char *s = nn_str(gp->node[k]->name);
  if (*s) return s;
  snprintf(buf, n, "#%d", k);
  return buf;
}

static dm_status fill_defs(nn_loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t total = gp->n_input + gp->n_initializer;
  for (size_t k = 0; k < gp->n_node; k++) {
    if (gp->node[k]->n_output > NN_MAX_NODE_IO)
      return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "node #%zu has %zu outputs (at most %d)", k,
                     gp->node[k]->n_output, NN_MAX_NODE_IO);
    total += gp->node[k]->n_output;
  }
  /* A name defined more than twice is an error, so this bounds the values. */
  if (total > 2 * (size_t)NN_MAX_VALUES)
    return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "too many tensors (at most %d)", NN_MAX_VALUES);
  L->defs = malloc((total ? total : 1) * sizeof *L->defs);
  if (!L->defs) return dm_fail(L->ctx, DM_ERR_NOMEM, L->g->name, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < gp->n_input; i++) {
    const char *s = nn_str(gp->input[i]->name);
    if (!*s) return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "graph input #%zu has no name", i);
    L->defs[n] = (nn_def){s, n, NN_DEF_INPUT, (int)i, -1};
    n++;
  }
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const char *s = nn_str(gp->initializer[i]->name);
    if (!*s) return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "initializer #%zu has no name", i);
    L->defs[n] = (nn_def){s, n, NN_DEF_INIT, (int)i, -1};
    n++;
  }
  for (size_t k = 0; k < gp->n_node; k++)
    for (size_t j = 0; j < gp->node[k]->n_output; j++) {
      const char *s = gp->node[k]->output[j];
      if (!*s) continue; /* omitted optional output */
      L->defs[n] = (nn_def){s, n, NN_DEF_NODE, (int)k, -1};
      n++;
    }
  L->n_defs = n;
  qsort(L->defs, n, sizeof *L->defs, def_cmp);
  return DM_OK;
}

/* Checks one group of equal names [a, b) for a forbidden repeat. */
static dm_status check_group(const nn_loader *L, size_t a, size_t b) {
  int count[3] = {0, 0, 0}, node[2] = {-1, -1};
  for (size_t i = a; i < b; i++) {
    const nn_def *d = &L->defs[i];
    if (d->kind == NN_DEF_NODE && count[NN_DEF_NODE] < 2) node[count[NN_DEF_NODE]] = d->index;
    count[d->kind]++;
  }
  const char *name = L->defs[a].name, *file = L->g->name;
  char b1[32], b2[32];
  if (count[NN_DEF_INPUT] > 1)
    return dm_fail(L->ctx, DM_ERR_FORMAT, file, "graph input '" NN_NAME_MSG "' is listed twice", name);
  if (count[NN_DEF_INIT] > 1)
    return dm_fail(L->ctx, DM_ERR_FORMAT, file, "initializer '" NN_NAME_MSG "' is listed twice", name);
  if (count[NN_DEF_NODE] > 1)
    return dm_fail(L->ctx, DM_ERR_FORMAT, file,
                   "value '" NN_NAME_MSG "' is produced twice, by node '" NN_NAME_MSG
                   "' and node '" NN_NAME_MSG "'",
                   name, node_label(L->gp, node[0], b1, sizeof b1),
                   node_label(L->gp, node[1], b2, sizeof b2));
  if (count[NN_DEF_NODE] && (count[NN_DEF_INPUT] || count[NN_DEF_INIT]))
    return dm_fail(L->ctx, DM_ERR_FORMAT, file,
                   "value '" NN_NAME_MSG "' is a graph %s and also the output of node '" NN_NAME_MSG "'",
                   name, count[NN_DEF_INPUT] ? "input" : "initializer",
                   node_label(L->gp, node[0], b1, sizeof b1));
  return DM_OK;
}

/* Groups equal names, numbers values by first appearance, creates them. */
static dm_status make_values(nn_loader *L) {
  size_t n = L->n_defs, n_values = 0;
  /* id[seq]: marks, then numbers, the first definition of each name. */
  int *id = malloc((n ? n : 1) * sizeof *id);
  if (!id) return dm_fail(L->ctx, DM_ERR_NOMEM, L->g->name, "out of memory");
  for (size_t i = 0; i < n; i++) id[i] = -1;
  dm_status s = DM_OK;
  for (size_t a = 0, b; a < n && s == DM_OK; a = b) {
    for (b = a + 1; b < n && !strcmp(L->defs[b].name, L->defs[a].name); b++) {}
    s = check_group(L, a, b);
    id[L->defs[a].seq] = 0;
  }
  for (size_t i = 0; i < n && s == DM_OK; i++)
    if (id[i] >= 0) id[i] = (int)n_values++;
  if (s == DM_OK && n_values > NN_MAX_VALUES)
    s = dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "%zu tensors (at most %d)", n_values, NN_MAX_VALUES);
  if (s == DM_OK && !(L->g->values = calloc(n_values ? n_values : 1, sizeof(nn_value))))
    s = dm_fail(L->ctx, DM_ERR_NOMEM, L->g->name, "out of memory");
  if (s != DM_OK) {
    free(id);
    return s;
  }
  nn_graph *g = L->g;
  g->n_values = (int)n_values;
  for (size_t a = 0, b; a < n; a = b) {
    int v = id[L->defs[a].seq];
    for (b = a; b < n && !strcmp(L->defs[b].name, L->defs[a].name); b++) L->defs[b].value = v;
    nn_value *val = &g->values[v];
    val->graph_input = val->graph_output = val->producer = -1;
    val->decl_ndim = -1;
    if (!(val->name = strdup(L->defs[a].name))) s = DM_ERR_NOMEM;
  }
  free(id);
  return s == DM_OK ? DM_OK : dm_fail(L->ctx, s, L->g->name, "out of memory");
}

int nn_find_value(const nn_loader *L, const char *name) {
  size_t lo = 0, hi = L->n_defs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(L->defs[mid].name, name);
    if (c == 0) return L->defs[mid].value;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/* Declared type and shape from a ValueInfoProto. `strict` (graph inputs and
 * outputs) fails on what the runtime cannot hold; value_info hints that do
 * not fit are just dropped. */
static dm_status set_decl(nn_loader *L, const Onnx__ValueInfoProto *vi, nn_value *v,
                          const char *what, int strict) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) return DM_OK;
  if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
    if (!strict) return DM_OK;
    return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name,
                   "%s '" NN_NAME_MSG "' is not a tensor (sequences, maps and optionals are not supported)",
                   what, v->name);
  }
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  dm_nn_dtype dt = tt->has_elem_type ? nn_onnx_dtype(tt->elem_type) : DM_NN_UNDEFINED;
  if (strict && tt->has_elem_type && tt->elem_type && dt == DM_NN_UNDEFINED)
    return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "%s '" NN_NAME_MSG "' has unsupported dtype %s (%d)",
                   what, v->name, nn_onnx_type_name(tt->elem_type), (int)tt->elem_type);
  const Onnx__TensorShapeProto *sh = tt->shape;
  if (sh && sh->n_dim > DM_NN_MAX_DIMS) {
    if (strict)
      return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "%s '" NN_NAME_MSG "' has %zu dimensions (at most %d)",
                     what, v->name, sh->n_dim, DM_NN_MAX_DIMS);
    sh = NULL;
  }
  v->decl_dtype = dt;
  v->decl_ndim = sh ? (int)sh->n_dim : -1;
  for (int i = 0; i < v->decl_ndim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
    int known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0;
    v->decl_dims[i] = known ? d->dim_value : -1;
  }
  return DM_OK;
}

/* Sizes and maps the weights block (load_pool.c): one allocation instead of
 * hundreds. Sized from the slices, so at most about twice the file; a
 * tensor whose size turns out wrong fails before it takes room. */
static dm_status make_pool(nn_loader *L) {
  nn_raw_src *raw = L->raw;
  size_t total = 0;
  for (size_t i = 0; raw && i < L->gp->n_initializer; i++) {
    size_t need = nn_raw_pool_bytes(raw, L->gp->initializer[i]);
    if (need > SIZE_MAX - total) return DM_OK; /* absurd: per-tensor buffers */
    total += need;
  }
  if (!total) return DM_OK;
  if (!nn_pool_open(L->ctx, L->g, total))
    return dm_fail(L->ctx, DM_ERR_NOMEM, L->g->name, "out of memory for %zu MB of weights", total >> 20);
  raw->pool = L->g->weights;
  raw->pool_left = total;
  return DM_OK;
}

static dm_status load_initializers(nn_loader *L) {
  dm_status s = make_pool(L);
  if (s != DM_OK) return s;
  for (size_t i = 0; i < L->gp->n_initializer; i++) {
    Onnx__TensorProto *tp = L->gp->initializer[i];
    nn_value *v = &L->g->values[nn_find_value(L, nn_str(tp->name))];
    char who[256];
    snprintf(who, sizeof who, "tensor '" NN_NAME_MSG "'", v->name);
    s = nn_load_tensor(L->ctx, L->g->name, tp, L->base_dir, who, L->raw, &v->t, &v->owned);
    if (s != DM_OK) return s;
    v->is_const = v->is_initializer = 1;
    v->decl_dtype = v->t.dtype;
    v->decl_ndim = v->t.ndim;
    memcpy(v->decl_dims, v->t.dims, sizeof v->decl_dims);
  }
  return DM_OK;
}

static dm_status load_io(nn_loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  nn_graph *g = L->g;
  g->inputs = malloc((gp->n_input ? gp->n_input : 1) * sizeof(int));
  g->outputs = malloc((gp->n_output ? gp->n_output : 1) * sizeof(int));
  if (!g->inputs || !g->outputs) return dm_fail(L->ctx, DM_ERR_NOMEM, g->name, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    nn_value *v = &g->values[nn_find_value(L, nn_str(gp->input[i]->name))];
    if (v->is_initializer) continue; /* a default value, not something to feed */
    dm_status s = set_decl(L, gp->input[i], v, "graph input", 1);
    if (s != DM_OK) return s;
    v->graph_input = g->n_inputs;
    g->inputs[g->n_inputs++] = (int)(v - g->values);
  }
  if (!gp->n_output) return dm_fail(L->ctx, DM_ERR_FORMAT, g->name, "graph has no outputs");
  for (size_t i = 0; i < gp->n_output; i++) {
    const char *name = nn_str(gp->output[i]->name);
    int idx = nn_find_value(L, name);
    if (idx < 0)
      return dm_fail(L->ctx, DM_ERR_FORMAT, g->name,
                     "graph output '" NN_NAME_MSG "' is not produced by any node, nor a graph input or initializer",
                     name);
    nn_value *v = &g->values[idx];
    if (v->graph_output >= 0)
      return dm_fail(L->ctx, DM_ERR_FORMAT, g->name, "graph output '" NN_NAME_MSG "' is listed twice", name);
    if (!v->is_initializer && v->graph_input < 0) { /* a pass-through keeps its input's decl */
      dm_status s = set_decl(L, gp->output[i], v, "graph output", 1);
      if (s != DM_OK) return s;
    }
    v->graph_output = g->n_outputs;
    g->outputs[g->n_outputs++] = idx;
  }
  /* Hints for intermediate values; inputs, outputs and constants keep theirs. */
  for (size_t i = 0; i < gp->n_value_info; i++) {
    int idx = nn_find_value(L, nn_str(gp->value_info[i]->name));
    if (idx < 0) continue;
    nn_value *v = &g->values[idx];
    if (v->decl_ndim < 0 && v->decl_dtype == DM_NN_UNDEFINED && !v->is_initializer)
      set_decl(L, gp->value_info[i], v, "value", 0);
  }
  return DM_OK;
}

dm_status nn_load_values(nn_loader *L) {
  if (L->gp->n_sparse_initializer)
    return dm_fail(L->ctx, DM_ERR_FORMAT, L->g->name, "sparse initializers are not supported");
  dm_status s = fill_defs(L);
  if (s == DM_OK) s = make_values(L);
  if (s == DM_OK) s = load_initializers(L);
  if (s == DM_OK) s = load_io(L);
  return s;
}
