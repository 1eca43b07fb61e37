/* Operator fusion on the planned graph, where it saves a pass over memory:
 *   Conv + BatchNormalization     -> Conv with folded weights and bias
 *   MatMul + Add(constant bias)   -> MatMul with a bias input
 *   MatMul + Mul(constant column scale) -> MatMul with scaled weights
 *   MatMul + Add(residual tensor) -> MatMul starting from the residual
 *   X + Relu / Clip(const bounds) -> X with a fused activation, for kernels
 *                                    flagged NN_OP_ACT (Conv, MatMul, Add...)
 *   x * 0.5 * (1 + erf(x / sqrt 2)) -> Gelu (the exporters' spelled-out GELU)
 *   MatMul -> Softmax -> MatMul   -> attention (ops_math_attention.c), which
 *                                    then reads its operands through the
 *                                    Transpose / Reshape / Mul(scalar) chains
 *                                    before it and writes through a Transpose
 *                                    after it (strided views)
 *   Upsample(nearest, x2...) -> Add -> one pass (ops_math_upsample_add.c)
 *   Upsample(nearest, x2...) -> 1x1 Conv -> the Conv first, on the small
 *                                 image, then the Upsample (same sums)
 *   Identity, Dropout (inference), Cast float -> float and float -> float16
 *                                 -> removed; the readers read the input.
 *     fp16 tensors are float32 here (there are no fp16 kernels), so an fp16
 *     model runs in float32 throughout, as onnxruntime's CPU provider runs it
 *     (it removes the fp32->fp16->fp32 cast pairs it inserts around ops that
 *     have no fp16 kernel). Rounding at each Cast would lose precision for
 *     nothing and cost a pass over memory. A Cast to float16 that is a graph
 *     output still rounds, as the ONNX tests require.
 * Every rewrite needs the intermediate tensors to have exactly one reader and
 * not be wanted as graph outputs, so results are bit-for-bit what the
 * unfused graph would compute up to float rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/math_internal.h"
#include "nn/ops_tensor.h"
#include "nn/plan.h"

/* The one live node reading v, or -1. */
static int sole_reader(const nn_plan *p, int v) {
  if (v < 0 || nn_plan_uses(p, v) != 1) return -1;
  const nn_value *val = &p->g.values[v];
  if (val->graph_output >= 0) return -1;
  for (int i = 0; i < p->g.n_nodes; i++) {
    const nn_node *n = &p->g.nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->n_in; j++)
      if (n->in[j] == v) return i;
  }
  return -1;
}

static int is_op(const nn_node *n, const char *op) { return !n->dead && !strcmp(n->op_type, op); }

static const float *const_floats(const nn_plan *p, int v, int64_t count) {
  if (v < 0) return NULL;
  const nn_value *val = &p->g.values[v];
  if (!val->is_const || val->t.dtype != DM_NN_FLOAT) return NULL;
  if (count >= 0 && dm_nn_numel(&val->t) != count) return NULL;
  return val->t.data;
}

static int const_scalar(const nn_plan *p, int v, float *out) {
  const float *f = const_floats(p, v, 1);
  if (f) *out = f[0];
  return f != NULL;
}

/* Append a value of that type and shape (computed, not constant);
 * returns its index or -1. */
static int add_value(nn_plan *p, const dm_nn_tensor *shape) {
  nn_graph *g = &p->g;
  nn_value *values = realloc(g->values, ((size_t)g->n_values + 1) * sizeof *values);
  if (!values) return -1;
  g->values = values;
  unsigned char *owns = realloc(p->owns, (size_t)g->n_values + 1);
  if (!owns) return -1;
  p->owns = owns;
  int v = g->n_values++;
  memset(&values[v], 0, sizeof values[v]);
  values[v].name = "(fused)";
  values[v].t = *shape;
  values[v].graph_input = values[v].graph_output = values[v].producer = -1;
  values[v].decl_ndim = -1;
  owns[v] = 0;
  return v;
}

/* Append a plan-owned constant value; returns its index or -1. */
static int add_const(nn_plan *p, const dm_nn_tensor *shape, void *data) {
  int v = add_value(p, shape);
  if (v >= 0) nn_plan_set_const(p, v, data);
  return v;
}

static int set_input(nn_node *n, int j, int v) {
  if (j >= n->n_in) {
    int *in = realloc(n->in, ((size_t)j + 1) * sizeof *in);
    if (!in) return 0;
    for (int k = n->n_in; k < j; k++) in[k] = -1;
    n->in = in;
    n->n_in = j + 1;
  }
  n->in[j] = v;
  return 1;
}

/* Node ni's weights (input 1) and bias (input 2, [m]; none when nb is
 * NULL) become nw and nb, plan-owned, the weights keeping their shape. On
 * failure nw and nb are freed. */
static dm_status set_weights(dm_context *ctx, nn_plan *p, int ni, float *nw, float *nb, int64_t m) {
  dm_nn_tensor wshape = p->g.values[p->g.nodes[ni].in[1]].t, bshape = {DM_NN_FLOAT, 1, {m}, NULL};
  int vw = add_const(p, &wshape, nw);
  if (vw < 0) free(nw);
  int vb = vw >= 0 && nb ? add_const(p, &bshape, nb) : -1;
  if (nb && vb < 0) free(nb);
  if (vw < 0 || (nb && vb < 0) || !set_input(&p->g.nodes[ni], 1, vw) || (nb && !set_input(&p->g.nodes[ni], 2, vb)))
    return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "out of memory while fusing");
  return DM_OK;
}

static dm_status fold_batchnorm(dm_context *ctx, nn_plan *p, int ci) {
  nn_node *conv = &p->g.nodes[ci];
  int bi = sole_reader(p, conv->out[0]);
  if (bi < 0 || !is_op(&p->g.nodes[bi], "BatchNormalization")) return DM_OK;
  nn_node *bn = &p->g.nodes[bi];
  if (bn->n_in < 5 || bn->in[0] != conv->out[0] || conv->n_out != 1) return DM_OK;
  for (int j = 1; j < bn->n_out; j++)
    if (bn->out[j] >= 0) return DM_OK;
  if (nn_attr_int(bn, "training_mode", 0)) return DM_OK;
  const nn_value *w = &p->g.values[conv->in[1]];
  if (!w->is_const || w->t.dtype != DM_NN_FLOAT || w->t.ndim < 3) return DM_OK;
  int64_t m = w->t.dims[0], per = dm_nn_numel(&w->t) / (m ? m : 1);
  const float *scale = const_floats(p, bn->in[1], m), *beta = const_floats(p, bn->in[2], m);
  const float *mean = const_floats(p, bn->in[3], m), *var = const_floats(p, bn->in[4], m);
  const float *bias = conv->n_in > 2 && conv->in[2] >= 0 ? const_floats(p, conv->in[2], m) : NULL;
  if (!scale || !beta || !mean || !var || (conv->n_in > 2 && conv->in[2] >= 0 && !bias)) return DM_OK;
  float eps = nn_attr_float(bn, "epsilon", 1e-5f);
  float *nw = malloc((size_t)dm_nn_numel(&w->t) * sizeof *nw), *nb = malloc((size_t)m * sizeof *nb);
  if (!nw || !nb) {
    free(nw), free(nb);
    return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "out of memory while fusing");
  }
  const float *wd = w->t.data;
  for (int64_t o = 0; o < m; o++) {
    float s = scale[o] / sqrtf(var[o] + eps);
    for (int64_t e = 0; e < per; e++) nw[o * per + e] = wd[o * per + e] * s;
    nb[o] = ((bias ? bias[o] : 0.0f) - mean[o]) * s + beta[o];
  }
  dm_status s = set_weights(ctx, p, ci, nw, nb, m);
  if (s == DM_OK) p->g.nodes[ci].out[0] = bn->out[0], bn->dead = 1;
  return s;
}

static int same_dims(const dm_nn_tensor *a, const dm_nn_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->dims[d] != b->dims[d]) return 0;
  return 1;
}

static dm_status fuse_matmul_bias(dm_context *ctx, nn_plan *p, int mi) {
  nn_node *mm = &p->g.nodes[mi];
  if (mm->n_in != 2 || mm->n_out != 1) return DM_OK;
  int ai = sole_reader(p, mm->out[0]);
  if (ai < 0 || !is_op(&p->g.nodes[ai], "Add")) return DM_OK;
  nn_node *add = &p->g.nodes[ai];
  int other = add->in[0] == mm->out[0] ? add->in[1] : add->in[0];
  const nn_value *b = &p->g.values[other];
  const dm_nn_tensor *y = &p->g.values[mm->out[0]].t;
  if (!const_floats(p, other, -1) || !same_dims(y, &p->g.values[add->out[0]].t)) return DM_OK;
  if (b->t.ndim != 1 || y->ndim < 1 || b->t.dims[0] != y->dims[y->ndim - 1]) return DM_OK;
  if (!set_input(mm, 2, other)) return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "out of memory while fusing");
  mm->out[0] = add->out[0];
  add->dead = 1;
  return DM_OK;
}

static void fuse_activation(nn_plan *p, int xi) {
  nn_node *x = &p->g.nodes[xi];
  if (!(x->op->flags & NN_OP_ACT) || x->act.kind != NN_ACT_NONE || x->n_out != 1) return;
  if (p->g.values[x->out[0]].t.dtype != DM_NN_FLOAT) return;
  int ri = sole_reader(p, x->out[0]);
  if (ri < 0) return;
  nn_node *r = &p->g.nodes[ri];
  nn_act act = {NN_ACT_NONE, 0, 0};
  if (is_op(r, "Relu")) {
    act.kind = NN_ACT_RELU;
  } else if (is_op(r, "Clip")) {
    act.kind = NN_ACT_CLIP;
    act.lo = -INFINITY, act.hi = INFINITY;
    if (p->g.opset < 11) {
      act.lo = nn_attr_float(r, "min", -INFINITY);
      act.hi = nn_attr_float(r, "max", INFINITY);
    } else {
      if (r->n_in > 1 && r->in[1] >= 0 && !const_scalar(p, r->in[1], &act.lo)) return;
      if (r->n_in > 2 && r->in[2] >= 0 && !const_scalar(p, r->in[2], &act.hi)) return;
    }
  } else {
    return;
  }
  if (r->in[0] != x->out[0]) return;
  x->act = act;
  x->out[0] = r->out[0];
  r->dead = 1;
}

/* Div(x, sqrt2) -> Erf -> Add(1) -> Mul(x | 0.5) -> Mul(0.5 | x). */
static void fuse_gelu(nn_plan *p, int ei) {
  const nn_op *gelu = nn_find_op("", "Gelu", p->g.opset);
  nn_node *e = &p->g.nodes[ei];
  if (!gelu || e->in[0] < 0) return;
  int di = p->g.values[e->in[0]].producer;
  if (di < 0 || sole_reader(p, e->in[0]) != ei) return;
  nn_node *d = &p->g.nodes[di];
  float c;
  if (d->n_in != 2 || !const_scalar(p, d->in[1], &c)) return;
  if (!((is_op(d, "Div") && fabsf(c - 1.41421356f) < 1e-4f) || (is_op(d, "Mul") && fabsf(c - 0.70710678f) < 1e-4f)))
    return;
  int x = d->in[0];
  int ai = sole_reader(p, e->out[0]);
  if (ai < 0 || !is_op(&p->g.nodes[ai], "Add")) return;
  nn_node *a = &p->g.nodes[ai];
  float one;
  if (!const_scalar(p, a->in[0] == e->out[0] ? a->in[1] : a->in[0], &one) || one != 1.0f) return;
  int m1i = sole_reader(p, a->out[0]);
  if (m1i < 0 || !is_op(&p->g.nodes[m1i], "Mul")) return;
  nn_node *m1 = &p->g.nodes[m1i];
  int o1 = m1->in[0] == a->out[0] ? m1->in[1] : m1->in[0];
  int m2i = sole_reader(p, m1->out[0]);
  if (m2i < 0 || !is_op(&p->g.nodes[m2i], "Mul")) return;
  nn_node *m2 = &p->g.nodes[m2i];
  int o2 = m2->in[0] == m1->out[0] ? m2->in[1] : m2->in[0];
  float half;
  int ok = (o1 == x && const_scalar(p, o2, &half)) || (o2 == x && const_scalar(p, o1, &half));
  if (!ok || half != 0.5f) return;
  d->op_type = "Gelu";
  d->op = gelu;
  d->n_in = 1;
  d->attrs = NULL, d->n_attrs = 0;
  d->out[0] = m2->out[0];
  e->dead = a->dead = m1->dead = m2->dead = 1;
}

/* MatMul(x, W) (+ bias) -> Mul(per-column or scalar constant c): c folds
 * into W's columns and the bias, as BatchNormalization into a Conv
 * (DINOv2's layer scale; rounding moves from the product to the weights). */
static dm_status fold_matmul_scale(dm_context *ctx, nn_plan *p, int mi) {
  nn_node *mm = &p->g.nodes[mi];
  if (mm->n_in < 2 || mm->n_in > 3 || mm->n_out != 1 || mm->act.kind != NN_ACT_NONE) return DM_OK;
  int ui = sole_reader(p, mm->out[0]);
  if (ui < 0 || !is_op(&p->g.nodes[ui], "Mul")) return DM_OK;
  nn_node *mul = &p->g.nodes[ui];
  const nn_value *w = &p->g.values[mm->in[1]];
  if (!w->is_const || w->t.dtype != DM_NN_FLOAT || w->t.ndim != 2) return DM_OK;
  const int64_t kk = w->t.dims[0], n = w->t.dims[1];
  int cv = mul->in[0] == mm->out[0] ? mul->in[1] : mul->in[0];
  const nn_value *c = &p->g.values[cv];
  const float *cs = const_floats(p, cv, -1);
  if (!cs || (dm_nn_numel(&c->t) != n && dm_nn_numel(&c->t) != 1)) return DM_OK;
  for (int i = 0; i + 1 < c->t.ndim; i++)
    if (c->t.dims[i] != 1) return DM_OK; /* along the last axis only */
  if (!same_dims(&p->g.values[mm->out[0]].t, &p->g.values[mul->out[0]].t)) return DM_OK;
  const int has_bias = mm->n_in == 3 && mm->in[2] >= 0;
  const float *bias = has_bias ? const_floats(p, mm->in[2], n) : NULL;
  if (has_bias && !bias) return DM_OK;
  const int64_t cstep = dm_nn_numel(&c->t) == n;
  float *nw = malloc((size_t)(kk * n) * sizeof *nw), *nb = bias ? malloc((size_t)n * sizeof *nb) : NULL;
  if (!nw || (bias && !nb)) {
    free(nw), free(nb);
    return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "out of memory while fusing");
  }
  const float *wd = w->t.data;
  for (int64_t r = 0; r < kk; r++)
    for (int64_t j = 0; j < n; j++) nw[r * n + j] = wd[r * n + j] * cs[j * cstep];
  for (int64_t j = 0; bias && j < n; j++) nb[j] = bias[j] * cs[j * cstep];
  int out = mul->out[0];
  dm_status s = set_weights(ctx, p, mi, nw, nb, n);
  if (s == DM_OK) p->g.nodes[mi].out[0] = out, p->g.nodes[ui].dead = 1;
  return s;
}

/* MatMul (+ bias) -> Add(r, a tensor of the output's shape): r becomes the
 * MatMul's fourth input, the sum its starting value (the residual
 * connection of every transformer block). Not where the AVX-512 kernel
 * (math_mm_blocked.c) takes the product: it has no such input. */
static dm_status fuse_matmul_residual(nn_plan *p, int mi) {
  nn_node *mm = &p->g.nodes[mi];
  if (mm->n_in < 2 || mm->n_in > 3 || mm->n_out != 1 || mm->act.kind != NN_ACT_NONE) return DM_OK;
  const dm_nn_tensor *y = &p->g.values[mm->out[0]].t, *a = &p->g.values[mm->in[0]].t;
  const dm_nn_tensor *w = &p->g.values[mm->in[1]].t;
  const dm_nn_tensor *bias = mm->n_in == 3 && mm->in[2] >= 0 ? &p->g.values[mm->in[2]].t : NULL;
  /* rows of y are rows of the product (no 1-D operand), the bias one per column */
  if (y->ndim < 2 || a->ndim < 2 || w->ndim < 2 || nn_mm_blocked_ok(a->dims[a->ndim - 1])) return DM_OK;
  if (bias && (bias->ndim != 1 || bias->dims[0] != y->dims[y->ndim - 1])) return DM_OK;
  int ai = sole_reader(p, mm->out[0]);
  if (ai < 0 || !is_op(&p->g.nodes[ai], "Add")) return DM_OK;
  nn_node *add = &p->g.nodes[ai];
  int r = add->in[0] == mm->out[0] ? add->in[1] : add->in[0];
  if (r < 0 || r == mm->out[0] || p->g.values[r].t.dtype != DM_NN_FLOAT) return DM_OK;
  if (!same_dims(&p->g.values[r].t, y) || !same_dims(y, &p->g.values[add->out[0]].t)) return DM_OK;
  if (!set_input(mm, 3, r)) return DM_OK; /* out of memory: stay unfused */
  mm->out[0] = add->out[0];
  add->dead = 1;
  return DM_OK;
}

/* MatMul(A, B) -> Softmax(last axis) -> MatMul(., V) becomes one attention
 * node (ops_math_attention.c) in the second MatMul's place, where A, B and V
 * are all computed; the scores are then never written out whole. */
static void fuse_attention(nn_plan *p, int m1i) {
  nn_node *m1 = &p->g.nodes[m1i];
  if (m1->n_in != 2 || m1->n_out != 1 || m1->act.kind != NN_ACT_NONE) return;
  int si = sole_reader(p, m1->out[0]);
  if (si < 0 || !is_op(&p->g.nodes[si], "Softmax")) return;
  nn_node *sm = &p->g.nodes[si];
  if (sm->n_out != 1 || sm->in[0] != m1->out[0]) return;
  const dm_nn_tensor *st = &p->g.values[sm->in[0]].t;
  if (nn_axis(nn_attr_int(sm, "axis", p->g.opset < 13 ? 1 : -1), st->ndim) != st->ndim - 1) return;
  int m2i = sole_reader(p, sm->out[0]);
  if (m2i < 0 || !is_op(&p->g.nodes[m2i], "MatMul")) return;
  nn_node *m2 = &p->g.nodes[m2i];
  if (m2->n_in != 2 || m2->n_out != 1 || m2->in[0] != sm->out[0] || m2->in[1] == sm->out[0]) return;
  if (m2->act.kind != NN_ACT_NONE) return;
  /* same rank >= 2 and the same batch dims everywhere: no broadcasting */
  const dm_nn_tensor *a = &p->g.values[m1->in[0]].t, *b = &p->g.values[m1->in[1]].t;
  const dm_nn_tensor *v = &p->g.values[m2->in[1]].t;
  if (a->ndim < 2 || b->ndim != a->ndim || v->ndim != a->ndim) return;
  if (a->dtype != DM_NN_FLOAT || b->dtype != DM_NN_FLOAT || v->dtype != DM_NN_FLOAT) return;
  for (int d = 0; d < a->ndim - 2; d++)
    if (b->dims[d] != a->dims[d] || v->dims[d] != a->dims[d]) return;
  int in[3] = {m1->in[0], m1->in[1], m2->in[1]};
  if (!set_input(m2, 2, in[2])) return; /* out of memory: stay unfused */
  m2->in[0] = in[0], m2->in[1] = in[1];
  m2->op_type = "Attention";
  m2->op = &nn_op_attention;
  m2->attrs = NULL, m2->n_attrs = 0;
  m1->dead = sm->dead = 1;
}

/* ---- views folded into the fused attention ----
 * Multi-head attention as exported: Q, K and V come out of their
 * projections as [.., tokens, heads * dim], are split into heads by Reshape
 * + Transpose (K transposed once more), Q and K multiplied by a scalar
 * scale, and the output goes back through Transpose + Reshape. Each of
 * those is a pass over memory; the attention kernel reads and writes
 * through strides (nn_att_state) instead. */

/* The live node writing v, or -1. */
static int live_producer(const nn_plan *p, int v) {
  for (int i = 0; v >= 0 && i < p->g.n_nodes; i++)
    if (!p->g.nodes[i].dead && p->g.nodes[i].n_out > 0 && p->g.nodes[i].out[0] == v) return i;
  return -1;
}

/* A Transpose's perm (inferred already, so valid) into perm[0..rank). */
static void transpose_perm(const nn_node *t, int rank, int *perm) {
  size_t len;
  const int64_t *pa = nn_attr_ints(t, "perm", &len);
  for (int i = 0; i < rank; i++) perm[i] = pa ? nn_axis(pa[i], rank) : rank - 1 - i;
}

/* Node n applied to view v (over n's chain input): 0 if it cannot be. */
static int view_step(const nn_plan *p, const nn_node *n, nn_view *v) {
  if (is_op(n, "Transpose")) {
    int perm[DM_NN_MAX_DIMS];
    transpose_perm(n, v->ndim, perm);
    nn_view_permute(v, perm);
  } else if (is_op(n, "Mul")) {
    float c;
    if (v->scale != 1.0f || !(const_scalar(p, n->in[1], &c) || const_scalar(p, n->in[0], &c))) return 0;
    v->scale = c; /* one Mul: x * c rounds as the Mul would */
  }
  const dm_nn_tensor *o = &p->g.values[n->out[0]].t;
  return nn_view_reshape(v, o->ndim, o->dims);
}

/* Operand `slot` of attention node ai: walk back through sole-reader
 * Transpose, relabel (NN_OP_ALIAS) and Mul(scalar) nodes, then take the
 * longest run of them the view can express (at least one Transpose or Mul:
 * relabels are free already). Returns 1 when folded. */
static int fold_operand(nn_plan *p, int ai, int slot, nn_view *view) {
  int chain[8], src[8], n = 0, reader = ai, v = p->g.nodes[ai].in[slot];
  while (n < 8) {
    int pi = live_producer(p, v);
    if (pi < 0 || sole_reader(p, v) != reader) break;
    const nn_node *pn = &p->g.nodes[pi];
    if (pn->act.kind != NN_ACT_NONE) break;
    float c;
    int s = -1;
    if (is_op(pn, "Transpose") || (pn->op->flags & NN_OP_ALIAS)) s = pn->in[0];
    else if (is_op(pn, "Mul") && pn->n_in == 2 && const_scalar(p, pn->in[1], &c)) s = pn->in[0];
    else if (is_op(pn, "Mul") && pn->n_in == 2 && const_scalar(p, pn->in[0], &c)) s = pn->in[1];
    if (s < 0 || p->g.values[s].t.dtype != DM_NN_FLOAT || p->g.values[s].is_const) break;
    chain[n] = pi, src[n++] = s;
    reader = pi, v = s;
  }
  for (int start = n - 1; start >= 0; start--) {
    nn_view w;
    nn_view_dense(&w, &p->g.values[src[start]].t);
    int ok = 1, moves = 0;
    for (int i = start; i >= 0 && ok; i--) {
      moves += !(p->g.nodes[chain[i]].op->flags & NN_OP_ALIAS);
      ok = view_step(p, &p->g.nodes[chain[i]], &w);
    }
    if (!ok || !moves) continue;
    *view = w;
    p->g.nodes[ai].in[slot] = src[start];
    for (int i = 0; i <= start; i++) p->g.nodes[chain[i]].dead = 1;
    return 1;
  }
  return 0;
}

/* The output's sole reader a Transpose keeping the last axis last: the
 * attention writes the transposed tensor itself. Returns 1 when folded. */
static int fold_output(nn_plan *p, int ai, nn_view *y) {
  nn_node *att = &p->g.nodes[ai];
  int ti = sole_reader(p, att->out[0]);
  if (ti < 0 || !is_op(&p->g.nodes[ti], "Transpose")) return 0;
  nn_node *t = &p->g.nodes[ti];
  const dm_nn_tensor *to = &p->g.values[t->out[0]].t;
  int perm[DM_NN_MAX_DIMS];
  int64_t st[DM_NN_MAX_DIMS];
  transpose_perm(t, y->ndim, perm);
  if (perm[y->ndim - 1] != y->ndim - 1) return 0;
  nn_strides(to->ndim, to->dims, st);
  for (int i = 0; i < y->ndim; i++) y->strides[perm[i]] = st[i];
  att->out[0] = t->out[0];
  t->dead = 1;
  return 1;
}

static dm_status fold_attention_views(dm_context *ctx, nn_plan *p, int ai) {
  nn_node *att = &p->g.nodes[ai];
  nn_att_state *st = calloc(1, sizeof *st);
  if (!st) return dm_fail(ctx, DM_ERR_NOMEM, p->g.name, "out of memory while fusing");
  for (int i = 0; i < 3; i++) nn_view_dense(&st->op[i], &p->g.values[att->in[i]].t);
  nn_view_dense(&st->op[3], &p->g.values[att->out[0]].t);
  int folded = 0;
  for (int i = 0; i < 3; i++) folded |= fold_operand(p, ai, i, &st->op[i]);
  folded |= fold_output(p, ai, &st->op[3]);
  if (folded) att->state = st;
  else free(st);
  return DM_OK;
}

/* Upsample(nearest, scales [1, 1, a, b], a and b whole) -> Add(a tensor of
 * the same shape) becomes one node (ops_math_upsample_add.c) in the Add's
 * place. */
/* u is an Upsample(nearest) of a float NCHW tensor by scales [1, 1, a, b],
 * a and b whole: every output pixel a copy of one input pixel. */
static int nearest_whole(const nn_plan *p, const nn_node *u) {
  if (u->n_out != 1 || u->n_in < 1 || u->in[0] < 0 || u->out[0] < 0) return 0;
  if (strcmp(nn_attr_string(u, "mode", "nearest"), "nearest")) return 0;
  const dm_nn_tensor *x = &p->g.values[u->in[0]].t, *y = &p->g.values[u->out[0]].t;
  if (x->dtype != DM_NN_FLOAT || x->ndim != 4 || y->ndim != 4) return 0;
  size_t ns = 0;
  const float *sc = p->g.opset < 9 ? nn_attr_floats(u, "scales", &ns) : NULL;
  if (p->g.opset >= 9 && u->n_in > 1 && (sc = const_floats(p, u->in[1], 4))) ns = 4;
  if (!sc || ns != 4 || sc[0] != 1.0f || sc[1] != 1.0f) return 0;
  for (int d = 2; d < 4; d++)
    if (sc[d] < 1.0f || sc[d] != floorf(sc[d]) || x->dims[d] <= 0 || y->dims[d] != x->dims[d] * (int64_t)sc[d])
      return 0;
  return x->dims[0] == y->dims[0] && x->dims[1] == y->dims[1];
}

static void fuse_upsample_add(nn_plan *p, int ui) {
  nn_node *u = &p->g.nodes[ui];
  if (!nearest_whole(p, u)) return;
  const dm_nn_tensor *y = &p->g.values[u->out[0]].t;
  int ai = sole_reader(p, u->out[0]);
  if (ai < 0 || !is_op(&p->g.nodes[ai], "Add")) return;
  nn_node *a = &p->g.nodes[ai];
  if (a->n_in != 2 || a->n_out != 1 || a->act.kind != NN_ACT_NONE || a->in[0] == a->in[1]) return;
  int skip = a->in[0] == u->out[0] ? a->in[1] : a->in[0];
  const dm_nn_tensor *s = &p->g.values[skip].t;
  if (s->dtype != DM_NN_FLOAT || !same_dims(s, y)) return;
  a->in[0] = u->in[0], a->in[1] = skip;
  a->op_type = "UpsampleAdd";
  a->op = &nn_op_upsample_add;
  a->attrs = NULL, a->n_attrs = 0;
  u->dead = 1;
}

/* Every entry of a Conv's int-list attribute `name` is v (or it is absent). */
static int ints_all(const nn_node *n, const char *name, int64_t v) {
  size_t len = 0;
  const int64_t *a = nn_attr_ints(n, name, &len);
  for (size_t i = 0; a && i < len; i++)
    if (a[i] != v) return 0;
  return 1;
}

/* Upsample(nearest, whole scales) -> 1x1 Conv (stride 1, no pads, any
 * activation fused): the Conv runs first, on the small image, and the
 * Upsample copies its output. A 1x1 Conv's output pixel is a sum over its
 * one input pixel and nearest upsampling copies pixels, so every output
 * is the same sum of the same products, for a*b times less work and
 * memory: FastDepth's last layer (16 -> 1 channels) ran at 224^2 on a
 * 16-channel copy of its 112^2 input. The two nodes trade places in the
 * order (nothing between them reads either's output). */
static void swap_upsample_conv(nn_plan *p, int ui) {
  nn_node *u = &p->g.nodes[ui];
  if (!nearest_whole(p, u)) return;
  const int up = u->out[0], ci = sole_reader(p, up);
  if (ci < 0 || !is_op(&p->g.nodes[ci], "Conv")) return;
  nn_node *c = &p->g.nodes[ci];
  if (c->n_in < 2 || c->n_out != 1 || c->in[0] != up || c->out[0] < 0) return;
  for (int j = 1; j < c->n_in; j++)
    if (c->in[j] == up) return;
  const dm_nn_tensor *wt = &p->g.values[c->in[1]].t, *y = &p->g.values[c->out[0]].t;
  if (wt->ndim != 4 || wt->dims[2] != 1 || wt->dims[3] != 1 || y->ndim != 4 || y->dtype != DM_NN_FLOAT) return;
  const char *ap = nn_attr_string(c, "auto_pad", "NOTSET");
  if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) return;
  if (!ints_all(c, "strides", 1) || !ints_all(c, "pads", 0) || !ints_all(c, "kernel_shape", 1)) return;
  const dm_nn_tensor *x = &p->g.values[u->in[0]].t;
  dm_nn_tensor small = {DM_NN_FLOAT, 4, {y->dims[0], y->dims[1], x->dims[2], x->dims[3]}, NULL};
  const int out = c->out[0], v = add_value(p, &small); /* (moves the values) */
  if (v < 0) return;                                    /* left as it was */
  p->g.values[v].name = "(upsampled after)";
  c->in[0] = u->in[0], c->out[0] = v;
  u->in[0] = v, u->out[0] = out;
  const nn_node t = p->g.nodes[ui];
  p->g.nodes[ui] = p->g.nodes[ci], p->g.nodes[ci] = t;
}

/* Rewire the readers of a no-op node's output to its input. */
static void drop_noop(nn_plan *p, int ni) {
  nn_node *n = &p->g.nodes[ni];
  int passthrough = is_op(n, "Identity") || (is_op(n, "Dropout") && !nn_attr_int(n, "training_mode", 0)) ||
                    (is_op(n, "Cast") && (nn_attr_int(n, "to", 0) == DM_NN_FLOAT ||
                                          nn_attr_int(n, "to", 0) == DM_NN_FLOAT16));
  if (!passthrough || n->n_in < 1 || n->in[0] < 0 || n->out[0] < 0) return;
  for (int j = 1; j < n->n_out; j++)
    if (n->out[j] >= 0 && nn_plan_uses(p, n->out[j])) return;
  int in = n->in[0], out = n->out[0];
  const nn_value *vi = &p->g.values[in], *vo = &p->g.values[out];
  if (vi->t.dtype != vo->t.dtype || !same_dims(&vi->t, &vo->t) || vo->graph_output >= 0) return;
  for (int i = 0; i < p->g.n_nodes; i++) {
    nn_node *r = &p->g.nodes[i];
    if (r->dead) continue;
    for (int j = 0; j < r->n_in; j++)
      if (r->in[j] == out) r->in[j] = in;
  }
  n->dead = 1;
}

dm_status nn_fuse(dm_context *ctx, nn_plan *p) {
  for (int i = 0; i < p->g.n_nodes; i++)
    if (!p->g.nodes[i].dead) drop_noop(p, i);
  for (int i = 0; i < p->g.n_nodes; i++) {
    dm_status s = DM_OK;
    if (is_op(&p->g.nodes[i], "Conv")) s = fold_batchnorm(ctx, p, i);
    else if (is_op(&p->g.nodes[i], "MatMul")) {
      fuse_attention(p, i);
      if (!p->g.nodes[i].dead) s = fuse_matmul_bias(ctx, p, i);
      if (s == DM_OK && !p->g.nodes[i].dead) s = fold_matmul_scale(ctx, p, i);
      if (s == DM_OK && !p->g.nodes[i].dead) s = fuse_matmul_residual(p, i);
    }
    else if (is_op(&p->g.nodes[i], "Erf")) fuse_gelu(p, i);
    else if (is_op(&p->g.nodes[i], "Upsample")) fuse_upsample_add(p, i);
    if (s != DM_OK) return s;
  }
  for (int i = 0; i < p->g.n_nodes; i++)
    if (!p->g.nodes[i].dead) fuse_activation(p, i);
  for (int i = 0; i < p->g.n_nodes; i++) /* after the Conv's activation is in it */
    if (is_op(&p->g.nodes[i], "Upsample")) swap_upsample_conv(p, i);
  for (int i = 0; i < p->g.n_nodes; i++) {
    dm_status s = DM_OK;
    if (!p->g.nodes[i].dead && p->g.nodes[i].op == &nn_op_attention) s = fold_attention_views(ctx, p, i);
    if (s != DM_OK) return s;
  }
  return DM_OK;
}
