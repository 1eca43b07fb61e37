/* Reduce* and ArgMax / ArgMin. Axes come from the `axes` attribute, or from
 * the optional second input (ReduceSum from opset 13, the others from 18),
 * which must then be constant. One pass walks the input against an
 * accumulator shaped like the output (broadcast iteration with the reduced
 * axes at stride 0), so any axis set costs a single sweep: runs along a
 * reduced innermost axis fold into one accumulator, runs along a kept one
 * accumulate element-wise. */
#include <math.h>

#include "nn/math_internal.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SS, R_LOGSUM, R_LSE } r_kind;

static int axes_from_input(const nn_kctx *k, r_kind kind) { return k->opset >= (kind == R_SUM ? 13 : 18); }

/* mask[d] = 1 for reduced axes; *noop when the op is the identity. */
static dm_status r_axes(nn_kctx *k, r_kind kind, int *mask, int *noop) {
  const int rank = k->in[0]->ndim;
  const int64_t *axes = NULL;
  size_t n = 0;
  *noop = 0;
  if (axes_from_input(k, kind)) {
    if (nn_has_in(k, 1)) {
      const dm_nn_tensor *t = k->in[1];
      if (t->dtype != DM_NN_INT64 || t->ndim > 1)
        return nn_fail(k, DM_ERR_FORMAT, "axes must be a 1-D int64 tensor");
      if (nn_numel(t) > 0 && !t->data) return nn_fail(k, DM_ERR_FORMAT, "axes must be constant");
      axes = t->data;
      n = (size_t)nn_numel(t);
    }
    if (n == 0 && nn_attr_int(k->node, "noop_with_empty_axes", 0)) *noop = 1;
  } else {
    axes = nn_attr_ints(k->node, "axes", &n);
  }
  for (int d = 0; d < rank; d++) mask[d] = n == 0 && !*noop;
  for (size_t i = 0; i < n; i++) {
    int a = nn_axis(axes[i], rank);
    if (a < 0) return nn_fail(k, DM_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
    mask[a] = 1;
  }
  return DM_OK;
}

static unsigned r_types(r_kind kind) {
  unsigned t = 1u << DM_NN_FLOAT;
  if (kind == R_SUM || kind == R_MAX || kind == R_MIN || kind == R_PROD)
    t |= (1u << DM_NN_INT32) | (1u << DM_NN_INT64);
  return t;
}

/* Accumulator shape: the input's with reduced axes set to 1. */
static void acc_shape(const dm_nn_tensor *x, const int *mask, dm_nn_tensor *acc) {
  *acc = *x;
  acc->data = NULL;
  for (int d = 0; d < x->ndim; d++)
    if (mask[d]) acc->dims[d] = 1;
}

static dm_status r_infer(nn_kctx *k, r_kind kind) {
  if (!nn_has_in(k, 0) || !nn_has_out(k, 0)) return nn_fail(k, DM_ERR_FORMAT, "needs an input");
  const dm_nn_tensor *x = k->in[0];
  if ((unsigned)x->dtype >= 32 || !(r_types(kind) & (1u << x->dtype)))
    return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s", dm_nn_dtype_name(x->dtype));
  int mask[DM_NN_MAX_DIMS], noop;
  dm_status s = r_axes(k, kind, mask, &noop);
  if (s != DM_OK) return s;
  dm_nn_tensor *y = k->out[0];
  const int keep = nn_attr_int(k->node, "keepdims", 1) != 0;
  memset(y->dims, 0, sizeof y->dims);
  y->dtype = x->dtype;
  y->ndim = 0;
  for (int d = 0; d < x->ndim; d++) {
    if (!mask[d]) y->dims[y->ndim++] = x->dims[d];
    else if (keep) y->dims[y->ndim++] = 1;
  }
  return DM_OK;
}

static dm_status r_prepare(nn_kctx *k, r_kind kind) {
  /* LogSumExp keeps the maxima in the output and the sums in scratch. */
  if (kind == R_LSE) k->node->scratch = (size_t)nn_numel(k->out[0]) * sizeof(float);
  return DM_OK;
}

typedef struct {
  r_kind kind;
  int pass; /* LogSumExp: 0 = max, 1 = sum of exp(x - max) */
  const nn_bcast *bc;
  const void *x;
  void *acc;
  const float *max; /* LogSumExp pass 1 */
} r_job;

static inline float r_term(r_kind kind, float v) {
  return kind == R_L1 ? fabsf(v) : (kind == R_L2 || kind == R_SS) ? v * v : v;
}

static void r_float_run(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {
  const r_job *j = user;
  const float *x = (const float *)j->x + out_off;
  float *acc = (float *)j->acc + in_off[0];
  r_kind kind = j->pass == 0 && j->kind == R_LSE ? R_MAX : j->kind;
  if (j->pass == 1) { /* LogSumExp sums */
    const float *m = j->max + in_off[0];
    if (j->bc->inner_stride[0]) {
      for (int64_t i = 0; i < len; i++) acc[i] += expf(x[i] - m[i]);
    } else {
      double s = 0.0;
      for (int64_t i = 0; i < len; i++) s += expf(x[i] - m[0]);
      acc[0] += (float)s;
    }
    return;
  }
  if (j->bc->inner_stride[0]) {
    if (kind == R_MAX) for (int64_t i = 0; i < len; i++) acc[i] = (x[i] > acc[i] || x[i] != x[i]) ? x[i] : acc[i];
    else if (kind == R_MIN) for (int64_t i = 0; i < len; i++) acc[i] = (x[i] < acc[i] || x[i] != x[i]) ? x[i] : acc[i];
    else if (kind == R_PROD) for (int64_t i = 0; i < len; i++) acc[i] *= x[i];
    else for (int64_t i = 0; i < len; i++) acc[i] += r_term(kind, x[i]);
    return;
  }
  if (kind == R_MAX || kind == R_MIN) {
    float m = acc[0];
    for (int64_t i = 0; i < len; i++)
      if ((kind == R_MAX ? x[i] > m : x[i] < m) || x[i] != x[i]) m = x[i];
    acc[0] = m;
  } else if (kind == R_PROD) {
    double p = 1.0;
    for (int64_t i = 0; i < len; i++) p *= x[i];
    acc[0] = (float)(acc[0] * p);
  } else {
    double s = 0.0;
    for (int64_t i = 0; i < len; i++) s += r_term(kind, x[i]);
    acc[0] += (float)s;
  }
}

/* Integer Sum / Max / Min / Prod, wrapping like the element-wise ops. */
#define R_INT_RUN(name, T)                                                                  \
  static void name(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {      \
    const r_job *j = user;                                                                  \
    const T *x = (const T *)j->x + out_off;                                                 \
    T *acc = (T *)j->acc + in_off[0];                                                       \
    const int64_t st = j->bc->inner_stride[0];                                              \
    for (int64_t i = 0; i < len; i++) {                                                     \
      T *a = acc + i * st, v = x[i];                                                        \
      switch (j->kind) {                                                                    \
      case R_MAX: *a = v > *a ? v : *a; break;                                              \
      case R_MIN: *a = v < *a ? v : *a; break;                                              \
      case R_PROD: *a = (T)((uint64_t)*a * (uint64_t)v); break;                             \
      default: *a = (T)((uint64_t)*a + (uint64_t)v); break;                                 \
      }                                                                                     \
    }                                                                                       \
  }
R_INT_RUN(r_i32_run, int32_t)
R_INT_RUN(r_i64_run, int64_t)

static dm_status r_run(nn_kctx *k, r_kind kind) {
  const dm_nn_tensor *x = k->in[0];
  dm_nn_tensor *y = k->out[0];
  int mask[DM_NN_MAX_DIMS], noop;
  dm_status s = r_axes(k, kind, mask, &noop);
  if (s != DM_OK) return s;
  const int64_t ny = nn_numel(y), nx = nn_numel(x);
  if (noop) {
    memcpy(y->data, x->data, (size_t)nx * dm_nn_dtype_size(x->dtype));
    return DM_OK;
  }
  dm_nn_tensor acc;
  acc_shape(x, mask, &acc);
  nn_bcast bc;
  const dm_nn_tensor *in[1] = {&acc};
  nn_bcast_init(&bc, x, in, 1);
  r_job j = {kind, 0, &bc, x->data, y->data, NULL};
  if (x->dtype != DM_NN_FLOAT) {
    int is64 = x->dtype == DM_NN_INT64;
    int64_t init = kind == R_MAX ? (is64 ? INT64_MIN : INT32_MIN)
                 : kind == R_MIN ? (is64 ? INT64_MAX : INT32_MAX) : kind == R_PROD ? 1 : 0;
    for (int64_t i = 0; i < ny; i++) {
      if (is64) ((int64_t *)y->data)[i] = init;
      else ((int32_t *)y->data)[i] = (int32_t)init;
    }
    nn_bcast_range(&bc, 0, nx, is64 ? r_i64_run : r_i32_run, &j);
    return DM_OK;
  }
  float *out = y->data;
  float init = kind == R_MAX || kind == R_LSE ? -INFINITY : kind == R_MIN ? INFINITY : kind == R_PROD ? 1.0f : 0.0f;
  for (int64_t i = 0; i < ny; i++) out[i] = init;
  nn_bcast_range(&bc, 0, nx, r_float_run, &j);
  if (kind == R_LSE) {
    float *sums = k->scratch;
    if (!sums && ny) return nn_fail(k, DM_ERR_INTERNAL, "scratch for the sums is missing");
    for (int64_t i = 0; i < ny; i++) sums[i] = 0.0f;
    /* A row of -inf (or an empty one) has no finite max to subtract. */
    for (int64_t i = 0; i < ny; i++)
      if (isinf(out[i])) out[i] = 0.0f;
    j.pass = 1, j.acc = sums, j.max = out;
    nn_bcast_range(&bc, 0, nx, r_float_run, &j);
    for (int64_t i = 0; i < ny; i++) out[i] += logf(sums[i]);
    return DM_OK;
  }
  const float count = ny ? (float)((double)nx / (double)ny) : 0.0f;
  for (int64_t i = 0; i < ny; i++) {
    if (kind == R_MEAN) out[i] /= count;
    else if (kind == R_L2) out[i] = sqrtf(out[i]);
    else if (kind == R_LOGSUM) out[i] = logf(out[i]);
  }
  return DM_OK;
}

#define R_OP(sym, name, kind)                                                          \
  static dm_status sym##_infer(nn_kctx *k) { return r_infer(k, kind); }                \
  static dm_status sym##_prepare(nn_kctx *k) { return r_prepare(k, kind); }            \
  static dm_status sym##_run(nn_kctx *k) { return r_run(k, kind); }                    \
  const nn_op nn_op_##sym = {name, 1, NN_MATH_OPSET_MAX, 0, sym##_infer, sym##_prepare, sym##_run, NULL, NULL};

R_OP(reduce_sum, "ReduceSum", R_SUM)
R_OP(reduce_mean, "ReduceMean", R_MEAN)
R_OP(reduce_max, "ReduceMax", R_MAX)
R_OP(reduce_min, "ReduceMin", R_MIN)
R_OP(reduce_prod, "ReduceProd", R_PROD)
R_OP(reduce_l1, "ReduceL1", R_L1)
R_OP(reduce_l2, "ReduceL2", R_L2)
R_OP(reduce_sum_square, "ReduceSumSquare", R_SS)
R_OP(reduce_log_sum, "ReduceLogSum", R_LOGSUM)
R_OP(reduce_log_sum_exp, "ReduceLogSumExp", R_LSE)

/* ---- ArgMax / ArgMin along one axis, int64 indices ---- */

static dm_status arg_infer(nn_kctx *k) {
  if (!nn_has_in(k, 0) || !nn_has_out(k, 0)) return nn_fail(k, DM_ERR_FORMAT, "needs an input");
  const dm_nn_tensor *x = k->in[0];
  if (x->dtype != DM_NN_FLOAT && x->dtype != DM_NN_INT32 && x->dtype != DM_NN_INT64)
    return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s", dm_nn_dtype_name(x->dtype));
  int64_t a = nn_attr_int(k->node, "axis", 0);
  int axis = nn_axis(a, x->ndim);
  if (axis < 0) return nn_fail(k, DM_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)a, x->ndim);
  if (x->dims[axis] == 0 && nn_numel(x) == 0 && x->ndim > 0) {
    int64_t rest = 1;
    for (int d = 0; d < x->ndim; d++) rest *= d == axis ? 1 : x->dims[d];
    if (rest) return nn_fail(k, DM_ERR_FORMAT, "axis %d is empty", axis);
  }
  dm_nn_tensor *y = k->out[0];
  const int keep = nn_attr_int(k->node, "keepdims", 1) != 0;
  memset(y->dims, 0, sizeof y->dims);
  y->dtype = DM_NN_INT64;
  y->ndim = 0;
  for (int d = 0; d < x->ndim; d++) {
    if (d != axis) y->dims[y->ndim++] = x->dims[d];
    else if (keep) y->dims[y->ndim++] = 1;
  }
  return DM_OK;
}

/* Best index along d for every inner column; ties go to the first index, or
 * the last with select_last_index. */
#define ARG_LOOP(T)                                                                   \
  do {                                                                                \
    const T *x = k->in[0]->data;                                                      \
    for (int64_t o = 0; o < outer; o++)                                               \
      for (int64_t c = 0; c < inner; c++) {                                           \
        const T *col = x + o * d * inner + c;                                         \
        int64_t best = 0;                                                             \
        for (int64_t r = 1; r < d; r++) {                                             \
          T v = col[r * inner], b = col[best * inner];                                \
          int better = is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);   \
          if (better) best = r;                                                       \
        }                                                                             \
        y[o * inner + c] = best;                                                      \
      }                                                                               \
  } while (0)

static dm_status arg_run(nn_kctx *k, int is_max) {
  const dm_nn_tensor *xt = k->in[0];
  int axis = nn_axis(nn_attr_int(k->node, "axis", 0), xt->ndim);
  int last = nn_attr_int(k->node, "select_last_index", 0) != 0;
  int64_t outer = 1, d = xt->dims[axis], inner = 1;
  for (int i = 0; i < xt->ndim; i++) {
    if (i < axis) outer *= xt->dims[i];
    if (i > axis) inner *= xt->dims[i];
  }
  int64_t *y = k->out[0]->data;
  if (xt->dtype == DM_NN_FLOAT) ARG_LOOP(float);
  else if (xt->dtype == DM_NN_INT32) ARG_LOOP(int32_t);
  else ARG_LOOP(int64_t);
  return DM_OK;
}

static dm_status argmax_run(nn_kctx *k) { return arg_run(k, 1); }
static dm_status argmin_run(nn_kctx *k) { return arg_run(k, 0); }

const nn_op nn_op_argmax = {"ArgMax", 1, NN_MATH_OPSET_MAX, 0, arg_infer, NULL, argmax_run, NULL, NULL};
const nn_op nn_op_argmin = {"ArgMin", 1, NN_MATH_OPSET_MAX, 0, arg_infer, NULL, argmin_run, NULL, NULL};
