/* Planning: copy the graph, give the inputs their shapes, walk the nodes in
 * order asking each kernel for its output shapes, fold every node whose
 * inputs are all constant, drop what the wanted outputs do not need, fuse,
 * prepare the kernels and place the tensors. */
#include <stdlib.h>
#include <string.h>

#include "nn/plan.h"

static dm_status oom(dm_context *ctx, const nn_graph *g) {
  return dm_fail(ctx, DM_ERR_NOMEM, g->name, "out of memory while planning");
}

void nn_plan_set_const(nn_plan *p, int v, void *data) {
  nn_value *val = &p->g.values[v];
  if (p->owns[v]) free(val->owned);
  val->owned = data;
  val->t.data = data;
  val->is_const = 1;
  p->owns[v] = 1;
}

int nn_plan_uses(const nn_plan *p, int v) {
  int uses = p->g.values[v].graph_output >= 0 && p->want[p->g.values[v].graph_output];
  for (int i = 0; i < p->g.n_nodes; i++) {
    const nn_node *n = &p->g.nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->n_in; j++) uses += n->in[j] == v;
  }
  return uses;
}

/* Shallow copy: value and node arrays are new, initializer data and
 * attributes are borrowed from the loaded graph. */
static dm_status copy_graph(dm_context *ctx, const nn_graph *src, nn_plan *p) {
  nn_graph *g = &p->g;
  *g = *src;
  g->values = calloc((size_t)src->n_values + 1, sizeof *g->values);
  g->nodes = calloc((size_t)src->n_nodes + 1, sizeof *g->nodes);
  p->owns = calloc((size_t)src->n_values + 1, 1);
  if (!g->values || !g->nodes || !p->owns) return oom(ctx, src);
  memcpy(g->values, src->values, (size_t)src->n_values * sizeof *g->values);
  for (int v = 0; v < g->n_values; v++) {
    nn_value *val = &g->values[v];
    if (!val->is_initializer) {
      val->owned = NULL;
      val->is_const = 0;
      memset(&val->t, 0, sizeof val->t);
    }
  }
  for (int i = 0; i < src->n_nodes; i++) {
    nn_node *n = &g->nodes[i];
    *n = src->nodes[i];
    n->in = malloc(((size_t)n->n_in + 1) * sizeof *n->in);
    n->out = malloc(((size_t)n->n_out + 1) * sizeof *n->out);
    if (!n->in || !n->out) {
      free(n->in), free(n->out);
      n->in = n->out = NULL;
      g->n_nodes = i;
      return oom(ctx, src);
    }
    memcpy(n->in, src->nodes[i].in, (size_t)n->n_in * sizeof *n->in);
    memcpy(n->out, src->nodes[i].out, (size_t)n->n_out * sizeof *n->out);
    n->op = NULL, n->state = NULL, n->scratch = 0, n->dead = 0;
    memset(&n->act, 0, sizeof n->act);
  }
  return DM_OK;
}

static void describe_dims(const int64_t *d, int n, char *buf, size_t len) {
  size_t o = 0;
  buf[0] = 0;
  if (n == 0) snprintf(buf, len, "scalar");
  for (int i = 0; i < n && o + 24 < len; i++)
    o += (size_t)snprintf(buf + o, len - o, i ? "x%lld" : "%lld", (long long)d[i]);
}

static dm_status set_inputs(dm_context *ctx, nn_plan *p, const dm_nn_tensor *inputs) {
  nn_graph *g = &p->g;
  for (int i = 0; i < g->n_inputs; i++) {
    nn_value *v = &g->values[g->inputs[i]];
    const dm_nn_tensor *t = &inputs[i];
    if (t->ndim < 0 || t->ndim > DM_NN_MAX_DIMS || dm_nn_numel(t) < 0 || !dm_nn_dtype_size(t->dtype))
      return dm_fail(ctx, DM_ERR_PARAM, g->name, "input '%s': invalid tensor", v->name);
    dm_nn_dtype want = v->decl_dtype == DM_NN_FLOAT16 ? DM_NN_FLOAT : v->decl_dtype;
    if (want != DM_NN_UNDEFINED && want != t->dtype)
      return dm_fail(ctx, DM_ERR_PARAM, g->name, "input '%s': expected %s, got %s", v->name,
                     dm_nn_dtype_name(want), dm_nn_dtype_name(t->dtype));
    int ok = v->decl_ndim < 0 || v->decl_ndim == t->ndim;
    for (int d = 0; ok && v->decl_ndim > 0 && d < t->ndim; d++)
      ok = v->decl_dims[d] < 0 || v->decl_dims[d] == t->dims[d];
    if (!ok) {
      char a[160], b[160];
      describe_dims(v->decl_dims, v->decl_ndim, a, sizeof a);
      describe_dims(t->dims, t->ndim, b, sizeof b);
      return dm_fail(ctx, DM_ERR_PARAM, g->name, "input '%s': expected shape %s, got %s", v->name, a, b);
    }
    v->t = *t;
    v->t.data = NULL;
    if (nn_input_specialised(t)) { /* a plan-time constant, see nn_input_specialised */
      size_t bytes = (size_t)dm_nn_numel(t) * dm_nn_dtype_size(t->dtype);
      void *data = malloc(bytes ? bytes : 1);
      if (!data) return oom(ctx, g);
      if (bytes) memcpy(data, t->data, bytes);
      nn_plan_set_const(p, g->inputs[i], data);
    }
  }
  return DM_OK;
}

/* Temporary kernel context during inference and folding (pointer arrays are
 * malloc'd; the final ones are built after fusion). */
static dm_status temp_kctx(dm_context *ctx, nn_plan *p, int i, nn_kctx *k) {
  nn_node *n = &p->g.nodes[i];
  memset(k, 0, sizeof *k);
  k->ctx = ctx, k->graph = &p->g, k->node = n, k->opset = p->g.opset;
  k->n_in = n->n_in, k->n_out = n->n_out;
  k->in = calloc((size_t)n->n_in + (size_t)n->n_out + 1, sizeof *k->in);
  if (!k->in) return oom(ctx, &p->g);
  k->out = k->in + n->n_in;
  for (int j = 0; j < n->n_in; j++) k->in[j] = n->in[j] >= 0 ? &p->g.values[n->in[j]].t : NULL;
  for (int j = 0; j < n->n_out; j++) k->out[j] = n->out[j] >= 0 ? &p->g.values[n->out[j]].t : NULL;
  return DM_OK;
}

/* Allocate the outputs of node i as plan-owned constants and run it now. */
static dm_status fold(nn_plan *p, nn_kctx *k) {
  nn_node *n = k->node;
  for (int j = 0; j < n->n_out; j++) {
    if (n->out[j] < 0) continue;
    nn_value *v = &p->g.values[n->out[j]];
    size_t bytes = (size_t)dm_nn_numel(&v->t) * dm_nn_dtype_size(v->t.dtype);
    void *data = calloc(bytes ? bytes : 1, 1);
    if (!data) return oom(k->ctx, &p->g);
    nn_plan_set_const(p, n->out[j], data);
  }
  dm_status s = DM_OK;
  if (nn_outputs_empty(k)) { /* nothing to compute: outputs stay empty */
    n->dead = 1;
    return DM_OK;
  }
  if (n->op->prepare) s = n->op->prepare(k);
  void *scratch = NULL;
  if (s == DM_OK && n->scratch && !(scratch = k->scratch = nn_alloc_aligned(n->scratch))) s = oom(k->ctx, &p->g);
  if (s == DM_OK) s = n->op->run(k);
  free(scratch);
  if (n->state && n->op->release) n->op->release(n->state);
  n->state = NULL, n->scratch = 0;
  n->dead = 1;
  return s;
}

static dm_status infer_all(dm_context *ctx, nn_plan *p) {
  nn_graph *g = &p->g;
  for (int i = 0; i < g->n_nodes; i++) {
    nn_node *n = &g->nodes[i];
    n->op = nn_find_op(n->domain, n->op_type, g->opset);
    if (!n->op)
      return dm_fail(ctx, DM_ERR_FORMAT, g->name, "node '%s': operator %s%s%s (opset %d) is not supported",
                     n->name, n->domain[0] ? n->domain : "", n->domain[0] ? "." : "", n->op_type, g->opset);
    nn_kctx k;
    dm_status s = temp_kctx(ctx, p, i, &k);
    if (s != DM_OK) return s;
    s = n->op->infer(&k);
    int all_const = 1;
    for (int j = 0; s == DM_OK && j < n->n_out; j++) {
      if (!k.out[j]) continue;
      if (!dm_nn_dtype_size(k.out[j]->dtype) || dm_nn_numel(k.out[j]) < 0)
        s = nn_fail(&k, DM_ERR_FORMAT, "output %d has no valid type or shape", j);
      else if ((uint64_t)dm_nn_numel(k.out[j]) * dm_nn_dtype_size(k.out[j]->dtype) > NN_MAX_TENSOR_BYTES)
        s = nn_fail(&k, DM_ERR_FORMAT, "output %d would take %.1f GiB (limit %.1f GiB)", j,
                    (double)dm_nn_numel(k.out[j]) * (double)dm_nn_dtype_size(k.out[j]->dtype) / 1073741824.0,
                    (double)NN_MAX_TENSOR_BYTES / 1073741824.0);
    }
    for (int j = 0; j < n->n_in; j++)
      if (k.in[j] && !p->g.values[n->in[j]].is_const) all_const = 0;
    if (s == DM_OK && (all_const || (n->op->flags & NN_OP_SHAPE_ONLY))) s = fold(p, &k);
    free(k.in);
    if (s != DM_OK) return s;
    if (dm_cancelled(ctx)) return dm_fail(ctx, DM_ERR_CANCELLED, g->name, "cancelled");
  }
  return DM_OK;
}

/* Keep only the nodes the wanted outputs need. */
static dm_status prune(dm_context *ctx, nn_plan *p) {
  nn_graph *g = &p->g;
  unsigned char *need = calloc((size_t)g->n_values + 1, 1);
  if (!need) return oom(ctx, g);
  for (int i = 0; i < g->n_outputs; i++)
    if (p->want[i]) need[g->outputs[i]] = 1;
  for (int i = g->n_nodes - 1; i >= 0; i--) {
    nn_node *n = &g->nodes[i];
    if (n->dead) continue;
    int used = 0;
    for (int j = 0; j < n->n_out; j++) used |= n->out[j] >= 0 && need[n->out[j]];
    if (!used) { n->dead = 1; continue; }
    for (int j = 0; j < n->n_in; j++)
      if (n->in[j] >= 0) need[n->in[j]] = 1;
  }
  free(need);
  return DM_OK;
}

void nn_plan_kctx(dm_context *ctx, nn_plan *p, int i, nn_kctx *k) {
  nn_node *n = &p->g.nodes[i];
  k->ctx = ctx, k->graph = &p->g, k->node = n, k->opset = p->g.opset;
  k->n_in = n->n_in, k->n_out = n->n_out;
  k->in = p->ptrs + p->ptr_base[i];
  k->out = k->in + n->n_in;
  k->scratch = p->scratch;
}

/* Final pointer arrays, kernel preparation, execution order. */
static dm_status prepare_all(dm_context *ctx, nn_plan *p) {
  nn_graph *g = &p->g;
  size_t total = 0;
  p->ptr_base = calloc((size_t)g->n_nodes + 1, sizeof *p->ptr_base);
  p->order = calloc((size_t)g->n_nodes + 1, sizeof *p->order);
  if (!p->ptr_base || !p->order) return oom(ctx, g);
  for (int i = 0; i < g->n_nodes; i++) {
    p->ptr_base[i] = (int)total;
    total += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
  }
  p->ptrs = calloc(total + 1, sizeof *p->ptrs);
  if (!p->ptrs) return oom(ctx, g);
  for (int i = 0; i < g->n_nodes; i++) {
    nn_node *n = &g->nodes[i];
    dm_nn_tensor **t = p->ptrs + p->ptr_base[i];
    for (int j = 0; j < n->n_in; j++) t[j] = n->in[j] >= 0 ? &g->values[n->in[j]].t : NULL;
    for (int j = 0; j < n->n_out; j++) t[n->n_in + j] = n->out[j] >= 0 ? &g->values[n->out[j]].t : NULL;
    if (n->dead) continue;
    p->order[p->n_order++] = i;
    nn_kctx k;
    nn_plan_kctx(ctx, p, i, &k);
    if (n->op->prepare && !nn_outputs_empty(&k)) {
      k.scratch = NULL;
      dm_status s = n->op->prepare(&k);
      if (s != DM_OK) return s;
    }
    if (n->scratch > p->scratch_size) p->scratch_size = n->scratch;
  }
  return DM_OK;
}

dm_status nn_plan_build(dm_context *ctx, const nn_graph *src, const dm_nn_tensor *inputs,
                        const int *want, nn_plan *p) {
  memset(p, 0, sizeof *p);
  p->in_sig = calloc((size_t)src->n_inputs + 1, sizeof *p->in_sig);
  p->want = calloc((size_t)src->n_outputs + 1, 1);
  if (!p->in_sig || !p->want) return oom(ctx, src);
  for (int i = 0; i < src->n_inputs; i++) {
    p->in_sig[i] = inputs[i];
    p->in_sig[i].data = NULL;
    if (nn_input_specialised(&inputs[i])) {
      size_t bytes = (size_t)dm_nn_numel(&inputs[i]) * dm_nn_dtype_size(inputs[i].dtype);
      if (!(p->in_sig[i].data = malloc(bytes ? bytes : 1))) return oom(ctx, src);
      if (bytes) memcpy(p->in_sig[i].data, inputs[i].data, bytes);
    }
  }
  for (int i = 0; i < src->n_outputs; i++) p->want[i] = !want || want[i];
  dm_status s = copy_graph(ctx, src, p);
  if (s == DM_OK) s = set_inputs(ctx, p, inputs);
  if (s == DM_OK) s = infer_all(ctx, p);
  if (s == DM_OK) s = prune(ctx, p);
  if (s == DM_OK) s = nn_fuse(ctx, p);
  if (s == DM_OK) s = prepare_all(ctx, p);
  if (s == DM_OK) s = nn_memory_plan(ctx, p);
  if (s == DM_OK && !(p->node_time = calloc((size_t)p->g.n_nodes + 1, sizeof *p->node_time))) s = oom(ctx, src);
  if (s != DM_OK) nn_plan_free(p);
  return s;
}

int nn_plan_matches(const nn_plan *p, const dm_nn_tensor *inputs, const int *want) {
  if (!p->in_sig) return 0;
  for (int i = 0; i < p->g.n_inputs; i++) {
    const dm_nn_tensor *a = &p->in_sig[i], *b = &inputs[i];
    if (a->dtype != b->dtype || a->ndim != b->ndim) return 0;
    if (b->ndim < 0 || b->ndim > DM_NN_MAX_DIMS) return 0;
    for (int d = 0; d < a->ndim; d++)
      if (a->dims[d] != b->dims[d]) return 0;
    if (a->data && memcmp(a->data, b->data, (size_t)dm_nn_numel(b) * dm_nn_dtype_size(b->dtype))) return 0;
  }
  for (int i = 0; i < p->g.n_outputs; i++)
    if (p->want[i] != (!want || want[i])) return 0;
  return 1;
}

void nn_plan_free(nn_plan *p) {
  nn_graph *g = &p->g;
  for (int i = 0; g->nodes && i < g->n_nodes; i++) {
    nn_node *n = &g->nodes[i];
    if (n->state && n->op && n->op->release) n->op->release(n->state);
    free(n->in), free(n->out);
  }
  for (int v = 0; g->values && v < g->n_values; v++)
    if (p->owns && p->owns[v]) free(g->values[v].owned);
  free(g->values), free(g->nodes), free(p->owns);
  free(p->order), free(p->ptrs), free(p->ptr_base);
  nn_plan_arena_release(p);
  free(p->arena), free(p->scratch), free(p->arena_vals);
  for (int i = 0; p->in_sig && i < g->n_inputs; i++) free(p->in_sig[i].data);
  free(p->in_sig), free(p->want), free(p->node_time);
  memset(p, 0, sizeof *p);
}
