/* Element-wise ops with numpy broadcasting: arithmetic, comparison, logic,
 * the variadic Max / Min / Sum / Mean, Where and PRelu. The element kernels
 * are in math_binary_kern.c; this file checks types and shapes and walks
 * the broadcast. */
#include "nn/math_internal.h"

static dm_status bad_types(nn_kctx *k) {
  if (k->n_in >= 2 && k->in[0] && k->in[1])
    return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s and %s", dm_nn_dtype_name(k->in[0]->dtype),
                   dm_nn_dtype_name(k->in[1]->dtype));
  return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype");
}

static nn_binop effective_op(const nn_kctx *k, nn_binop op) {
  if (op == NN_B_MOD && nn_attr_int(k->node, "fmod", 0)) return NN_B_FMOD;
  return op;
}

static int is_compare(nn_binop op) { return op >= NN_B_EQ && op <= NN_B_GE; }

static dm_status bin_infer(nn_kctx *k, nn_binop op) {
  if (!nn_has_in(k, 0) || !nn_has_in(k, 1) || !nn_has_out(k, 0))
    return nn_fail(k, DM_ERR_FORMAT, "needs two inputs and one output");
  const dm_nn_tensor *a = k->in[0], *b = k->in[1];
  if (!nn_bin_kernel_for(effective_op(k, op), a->dtype, b->dtype)) return bad_types(k);
  dm_status s = nn_math_broadcast(k, a, b, k->out[0]);
  if (s != DM_OK) return s;
  k->out[0]->dtype = is_compare(op) ? DM_NN_BOOL : a->dtype;
  return DM_OK;
}

typedef struct {
  const nn_bcast *bc;
  nn_bin_kernel kern;
  const unsigned char *a, *b;
  unsigned char *o;
  size_t ea, eb, eo;
  const nn_act *act; /* NULL when none */
} bin_job;

static void bin_piece(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {
  const bin_job *j = user;
  unsigned char *o = j->o + (size_t)out_off * j->eo;
  j->kern(j->a + (size_t)in_off[0] * j->ea, j->bc->inner_stride[0], j->b + (size_t)in_off[1] * j->eb,
          j->bc->inner_stride[1], o, len);
  if (j->act) nn_act_apply(j->act, (float *)o, (size_t)len);
}

/* out = a OP b, broadcast; a or b may be the output buffer itself. */
static void bin_apply(nn_kctx *k, nn_bin_kernel kern, const dm_nn_tensor *a, const dm_nn_tensor *b,
                      dm_nn_tensor *out, const nn_act *act) {
  nn_bcast bc;
  const dm_nn_tensor *in[2] = {a, b};
  nn_bcast_init(&bc, out, in, 2);
  bin_job j = {&bc, kern, a->data, b->data, out->data, dm_nn_dtype_size(a->dtype), dm_nn_dtype_size(b->dtype),
               dm_nn_dtype_size(out->dtype), act && act->kind != NN_ACT_NONE ? act : NULL};
  nn_bcast_run(k->ctx, &bc, NN_PAR_CHEAP, bin_piece, &j);
}

static dm_status bin_run(nn_kctx *k, nn_binop op) {
  nn_bin_kernel kern = nn_bin_kernel_for(effective_op(k, op), k->in[0]->dtype, k->in[1]->dtype);
  if (!kern) return bad_types(k);
  const nn_act *act = k->out[0]->dtype == DM_NN_FLOAT ? &k->node->act : NULL;
  bin_apply(k, kern, k->in[0], k->in[1], k->out[0], act);
  return DM_OK;
}

#define BIN_OP(sym, name, code, minv, flags)                                   \
  static dm_status sym##_infer(nn_kctx *k) { return bin_infer(k, code); }     \
  static dm_status sym##_run(nn_kctx *k) { return bin_run(k, code); }         \
  const nn_op nn_op_##sym = {name, minv, NN_MATH_OPSET_MAX, flags, sym##_infer, NULL, sym##_run, NULL, NULL};

BIN_OP(add, "Add", NN_B_ADD, 7, NN_OP_ACT)
BIN_OP(sub, "Sub", NN_B_SUB, 7, 0)
BIN_OP(mul, "Mul", NN_B_MUL, 7, 0)
BIN_OP(div, "Div", NN_B_DIV, 7, 0)
BIN_OP(pow, "Pow", NN_B_POW, 7, 0)
BIN_OP(mod, "Mod", NN_B_MOD, 10, 0)
BIN_OP(equal, "Equal", NN_B_EQ, 7, 0)
BIN_OP(less, "Less", NN_B_LT, 7, 0)
BIN_OP(greater, "Greater", NN_B_GT, 7, 0)
BIN_OP(less_equal, "LessOrEqual", NN_B_LE, 12, 0)
BIN_OP(greater_equal, "GreaterOrEqual", NN_B_GE, 12, 0)
BIN_OP(and, "And", NN_B_AND, 7, 0)
BIN_OP(or, "Or", NN_B_OR, 7, 0)
BIN_OP(xor, "Xor", NN_B_XOR, 7, 0)

/* ---- PRelu: the slope broadcasts to X (one direction only) ---- */

static dm_status prelu_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s == DM_OK) s = nn_math_need_float(k, 1);
  if (s != DM_OK) return s;
  dm_nn_tensor shape;
  s = nn_math_broadcast(k, k->in[0], k->in[1], &shape);
  if (s != DM_OK) return s;
  if (shape.ndim != k->in[0]->ndim || memcmp(shape.dims, k->in[0]->dims, (size_t)shape.ndim * sizeof shape.dims[0])) {
    char sx[160], ss[160];
    return nn_fail(k, DM_ERR_FORMAT, "slope %s does not broadcast to X %s", nn_shape_str(k->in[1], ss, sizeof ss),
                   nn_shape_str(k->in[0], sx, sizeof sx));
  }
  *k->out[0] = shape;
  k->out[0]->dtype = DM_NN_FLOAT;
  return DM_OK;
}

static dm_status prelu_run(nn_kctx *k) {
  bin_apply(k, nn_bin_kernel_for(NN_B_PRELU, DM_NN_FLOAT, DM_NN_FLOAT), k->in[0], k->in[1], k->out[0], NULL);
  return DM_OK;
}

const nn_op nn_op_prelu = {"PRelu", 7, NN_MATH_OPSET_MAX, 0, prelu_infer, NULL, prelu_run, NULL, NULL};

/* ---- Variadic Max / Min / Sum / Mean ---- */

typedef enum { V_MAX, V_MIN, V_SUM, V_MEAN } var_kind;

static nn_binop var_op(var_kind v) { return v == V_MAX ? NN_B_MAX : v == V_MIN ? NN_B_MIN : NN_B_ADD; }

static dm_status var_infer(nn_kctx *k, var_kind v) {
  if (k->n_in < 1 || !nn_has_out(k, 0)) return nn_fail(k, DM_ERR_FORMAT, "needs at least one input");
  for (int i = 0; i < k->n_in; i++)
    if (!k->in[i]) return nn_fail(k, DM_ERR_FORMAT, "input %d is missing", i);
  dm_nn_dtype t = k->in[0]->dtype;
  int ok = (v == V_SUM || v == V_MEAN) ? t == DM_NN_FLOAT : nn_bin_kernel_for(var_op(v), t, t) != NULL;
  if (!ok) return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s", dm_nn_dtype_name(t));
  dm_nn_tensor shape = *k->in[0];
  for (int i = 1; i < k->n_in; i++) {
    if (k->in[i]->dtype != t)
      return nn_fail(k, DM_ERR_FORMAT, "input %d is %s, input 0 is %s", i, dm_nn_dtype_name(k->in[i]->dtype),
                     dm_nn_dtype_name(t));
    dm_nn_tensor next;
    dm_status s = nn_math_broadcast(k, &shape, k->in[i], &next);
    if (s != DM_OK) return s;
    shape.ndim = next.ndim;
    memcpy(shape.dims, next.dims, sizeof shape.dims);
  }
  k->out[0]->dtype = t;
  k->out[0]->ndim = shape.ndim;
  memcpy(k->out[0]->dims, shape.dims, sizeof shape.dims);
  return DM_OK;
}

typedef struct {
  float *o;
  float scale;
} scale_job;

static void scale_piece(void *user, int64_t i0, int64_t i1) {
  const scale_job *j = user;
  for (int64_t i = i0; i < i1; i++) j->o[i] /= j->scale;
}

static dm_status var_run(nn_kctx *k, var_kind v) {
  dm_nn_tensor *out = k->out[0];
  if (k->n_in == 1) {
    nn_bcast_copy(k->ctx, k->in[0], out, out->data);
    return DM_OK;
  }
  nn_bin_kernel kern = nn_bin_kernel_for(var_op(v), out->dtype, out->dtype);
  bin_apply(k, kern, k->in[0], k->in[1], out, NULL);
  for (int i = 2; i < k->n_in; i++) bin_apply(k, kern, out, k->in[i], out, NULL);
  if (v == V_MEAN) {
    scale_job j = {out->data, (float)k->n_in};
    nn_math_parallel(k->ctx, nn_numel(out), NN_PAR_CHEAP, scale_piece, &j);
  }
  return DM_OK;
}

#define VAR_OP(sym, name, kind)                                              \
  static dm_status sym##_infer(nn_kctx *k) { return var_infer(k, kind); }   \
  static dm_status sym##_run(nn_kctx *k) { return var_run(k, kind); }       \
  const nn_op nn_op_##sym = {name, 6, NN_MATH_OPSET_MAX, 0, sym##_infer, NULL, sym##_run, NULL, NULL};

VAR_OP(max, "Max", V_MAX)
VAR_OP(min, "Min", V_MIN)
VAR_OP(sum, "Sum", V_SUM)
VAR_OP(mean, "Mean", V_MEAN)

/* ---- Where(condition, X, Y) ---- */

static dm_status where_infer(nn_kctx *k) {
  if (!nn_has_in(k, 0) || !nn_has_in(k, 1) || !nn_has_in(k, 2) || !nn_has_out(k, 0))
    return nn_fail(k, DM_ERR_FORMAT, "needs three inputs");
  const dm_nn_tensor *c = k->in[0], *x = k->in[1], *y = k->in[2];
  if (c->dtype != DM_NN_BOOL)
    return nn_fail(k, DM_ERR_FORMAT, "condition is %s, not bool", dm_nn_dtype_name(c->dtype));
  size_t es = dm_nn_dtype_size(x->dtype);
  if (x->dtype != y->dtype || !(es == 1 || es == 4 || es == 8))
    return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s and %s", dm_nn_dtype_name(x->dtype),
                   dm_nn_dtype_name(y->dtype));
  dm_nn_tensor cx;
  dm_status s = nn_math_broadcast(k, c, x, &cx);
  if (s == DM_OK) s = nn_math_broadcast(k, &cx, y, k->out[0]);
  if (s != DM_OK) return s;
  k->out[0]->dtype = x->dtype;
  return DM_OK;
}

typedef struct {
  const nn_bcast *bc;
  const uint8_t *c;
  const void *x, *y;
  void *o;
  size_t es;
} where_job;

#define WHERE_LOOP(T)                                                                     \
  do {                                                                                    \
    const T *x = (const T *)j->x + in_off[1], *y = (const T *)j->y + in_off[2];           \
    T *o = (T *)j->o + out_off;                                                           \
    for (int64_t i = 0; i < len; i++) o[i] = c[i * sc] ? x[i * sx] : y[i * sy];           \
  } while (0)

static void where_piece(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {
  const where_job *j = user;
  const uint8_t *c = j->c + in_off[0];
  const int64_t sc = j->bc->inner_stride[0], sx = j->bc->inner_stride[1], sy = j->bc->inner_stride[2];
  if (j->es == 1) WHERE_LOOP(uint8_t);
  else if (j->es == 4) WHERE_LOOP(uint32_t);
  else WHERE_LOOP(uint64_t);
}

static dm_status where_run(nn_kctx *k) {
  nn_bcast bc;
  const dm_nn_tensor *in[3] = {k->in[0], k->in[1], k->in[2]};
  nn_bcast_init(&bc, k->out[0], in, 3);
  where_job j = {&bc, k->in[0]->data, k->in[1]->data, k->in[2]->data, k->out[0]->data,
                 dm_nn_dtype_size(k->out[0]->dtype)};
  nn_bcast_run(k->ctx, &bc, NN_PAR_CHEAP, where_piece, &j);
  return DM_OK;
}

const nn_op nn_op_where = {"Where", 9, NN_MATH_OPSET_MAX, 0, where_infer, NULL, where_run, NULL, NULL};
