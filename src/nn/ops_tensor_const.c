/* Ops that make tensors from attributes or scalars: Constant,
 * ConstantOfShape, Range. Their outputs are known at plan time whenever
 * their inputs are, so the planner folds them. */
#include <math.h>
#include <string.h>

#include "nn/ops_tensor.h"

/* ---- Constant ---- */

/* The one value attribute and the tensor it describes (data in *data). */
static dm_status constant_value(nn_kctx *k, dm_nn_tensor *t, const void **data) {
  const nn_node *n = k->node;
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an output");
  if (n->n_attrs != 1) return nn_fail(k, DM_ERR_FORMAT, "needs exactly one value attribute");
  const nn_attr *a = &n->attrs[0];
  memset(t, 0, sizeof *t);
  if (!strcmp(a->name, "value") && a->type == NN_ATTR_TENSOR) {
    *t = a->t;
    if (t->dtype == DM_NN_FLOAT16) t->dtype = DM_NN_FLOAT; /* widened at load */
    *data = a->t.data;
  } else if (!strcmp(a->name, "value_float") && a->type == NN_ATTR_FLOAT) {
    t->dtype = DM_NN_FLOAT, *data = &a->f;
  } else if (!strcmp(a->name, "value_floats") && a->type == NN_ATTR_FLOATS) {
    t->dtype = DM_NN_FLOAT, t->ndim = 1, t->dims[0] = (int64_t)a->n, *data = a->floats;
  } else if (!strcmp(a->name, "value_int") && a->type == NN_ATTR_INT) {
    t->dtype = DM_NN_INT64, *data = &a->i;
  } else if (!strcmp(a->name, "value_ints") && a->type == NN_ATTR_INTS) {
    t->dtype = DM_NN_INT64, t->ndim = 1, t->dims[0] = (int64_t)a->n, *data = a->ints;
  } else {
    return nn_fail(k, DM_ERR_FORMAT, "attribute '%s' is not supported (sparse and string constants are not)",
                   a->name);
  }
  if (!dm_nn_dtype_size(t->dtype) || nn_numel(t) < 0)
    return nn_fail(k, DM_ERR_FORMAT, "unsupported element type %s", dm_nn_dtype_name(t->dtype));
  if (nn_numel(t) > 0 && !*data) return nn_fail(k, DM_ERR_FORMAT, "constant has no data");
  return DM_OK;
}

static dm_status constant_infer(nn_kctx *k) {
  dm_nn_tensor t;
  const void *data;
  dm_status s = constant_value(k, &t, &data);
  if (s == DM_OK) nn_set_shape(k->out[0], t.dtype, t.ndim, t.dims);
  return s;
}

static dm_status constant_run(nn_kctx *k) {
  dm_nn_tensor t;
  const void *data;
  dm_status s = constant_value(k, &t, &data);
  size_t bytes = s == DM_OK ? (size_t)nn_numel(&t) * dm_nn_dtype_size(t.dtype) : 0;
  if (bytes) memcpy(k->out[0]->data, data, bytes);
  return s;
}

/* ---- ConstantOfShape: a shape input and a one-element 'value' ---- */

static dm_status cos_value(nn_kctx *k, dm_nn_dtype *dtype, const void **v) {
  static const float zero = 0.0f;
  const nn_attr *a = nn_attr_find(k->node, "value");
  *dtype = DM_NN_FLOAT, *v = &zero;
  if (!a) return DM_OK;
  if (a->type != NN_ATTR_TENSOR || nn_numel(&a->t) != 1 || !a->t.data)
    return nn_fail(k, DM_ERR_FORMAT, "'value' must be a one-element tensor");
  *dtype = a->t.dtype == DM_NN_FLOAT16 ? DM_NN_FLOAT : a->t.dtype;
  *v = a->t.data;
  if (!dm_nn_dtype_size(*dtype)) return nn_fail(k, DM_ERR_FORMAT, "value type is not supported");
  return DM_OK;
}

static dm_status cos_infer(nn_kctx *k) {
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an output");
  dm_nn_dtype dt;
  const void *v;
  int64_t dims[DM_NN_MAX_DIMS], n;
  dm_status s = cos_value(k, &dt, &v);
  if (s == DM_OK) s = nn_const_ints(k, 0, "input", dims, DM_NN_MAX_DIMS, &n);
  if (s != DM_OK) return s;
  if (k->in[0]->dtype != DM_NN_INT64) return nn_fail(k, DM_ERR_FORMAT, "shape must be int64");
  dm_nn_tensor t = {.ndim = (int)n};
  for (int i = 0; i < n; i++) t.dims[i] = dims[i];
  if (nn_numel(&t) < 0) return nn_fail(k, DM_ERR_FORMAT, "invalid or too large shape");
  nn_set_shape(k->out[0], dt, (int)n, dims);
  return DM_OK;
}

static dm_status cos_run(nn_kctx *k) {
  dm_nn_dtype dt;
  const void *v;
  dm_status s = cos_value(k, &dt, &v);
  if (s != DM_OK) return s;
  size_t es = dm_nn_dtype_size(dt);
  int64_t n = nn_numel(k->out[0]);
  unsigned char *d = k->out[0]->data;
  for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, v, es);
  return DM_OK;
}

/* ---- Range(start, limit, delta): max(ceil((limit - start) / delta), 0) ---- */

static int range_is_int(dm_nn_dtype t) { return t == DM_NN_INT64 || t == DM_NN_INT32; }

static dm_status range_count(nn_kctx *k, int64_t *count) {
  const char *names[3] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; i++) {
    const dm_nn_tensor *t = nn_in(k, i);
    if (!t) return nn_fail(k, DM_ERR_FORMAT, "input '%s' is missing", names[i]);
    if (t->dtype != k->in[0]->dtype) return nn_fail(k, DM_ERR_FORMAT, "inputs differ in type");
    if (nn_numel(t) != 1) return nn_fail(k, DM_ERR_FORMAT, "input '%s' must be a scalar", names[i]);
    if (!t->data) return nn_fail(k, DM_ERR_FORMAT, "input '%s' must be constant", names[i]);
  }
  dm_nn_dtype dt = k->in[0]->dtype;
  if (!range_is_int(dt) && dt != DM_NN_FLOAT && dt != DM_NN_DOUBLE)
    return nn_fail(k, DM_ERR_FORMAT, "unsupported element type %s", dm_nn_dtype_name(dt));
  if (range_is_int(dt)) {
    int64_t a = nn_tensor_int(k->in[0], 0), b = nn_tensor_int(k->in[1], 0), d = nn_tensor_int(k->in[2], 0);
    if (d == 0) return nn_fail(k, DM_ERR_FORMAT, "delta must not be 0");
    /* unsigned differences cannot overflow */
    uint64_t span = d > 0 ? (b > a ? (uint64_t)b - (uint64_t)a : 0) : (a > b ? (uint64_t)a - (uint64_t)b : 0);
    uint64_t step = d > 0 ? (uint64_t)d : (uint64_t)0 - (uint64_t)d;
    uint64_t n = span ? (span - 1) / step + 1 : 0;
    if (n > (uint64_t)NN_MAX_ELEMS) return nn_fail(k, DM_ERR_FORMAT, "range too long");
    *count = (int64_t)n;
  } else {
    double a = nn_tensor_real(k->in[0], 0), b = nn_tensor_real(k->in[1], 0), d = nn_tensor_real(k->in[2], 0);
    double n = ceil((b - a) / d);
    if (!(n == n) || n > (double)NN_MAX_ELEMS) return nn_fail(k, DM_ERR_FORMAT, "invalid range");
    *count = n > 0 ? (int64_t)n : 0;
  }
  return DM_OK;
}

static dm_status range_infer(nn_kctx *k) {
  int64_t n;
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an output");
  dm_status s = range_count(k, &n);
  if (s == DM_OK) nn_set_shape(k->out[0], k->in[0]->dtype, 1, &n);
  return s;
}

static dm_status range_run(nn_kctx *k) {
  int64_t n;
  dm_status s = range_count(k, &n);
  if (s != DM_OK) return s;
  void *o = k->out[0]->data;
  switch (k->in[0]->dtype) {
  case DM_NN_INT64: case DM_NN_INT32: {
    /* two's-complement wrap-around only past the end, which count excludes */
    uint64_t a = (uint64_t)nn_tensor_int(k->in[0], 0), d = (uint64_t)nn_tensor_int(k->in[2], 0);
    for (int64_t i = 0; i < n; i++) {
      int64_t v = (int64_t)(a + (uint64_t)i * d);
      if (k->in[0]->dtype == DM_NN_INT64) ((int64_t *)o)[i] = v;
      else ((int32_t *)o)[i] = (int32_t)v;
    }
    break;
  }
  case DM_NN_FLOAT: {
    float a = (float)nn_tensor_real(k->in[0], 0), d = (float)nn_tensor_real(k->in[2], 0);
    for (int64_t i = 0; i < n; i++) ((float *)o)[i] = a + (float)i * d;
    break;
  }
  default: {
    double a = nn_tensor_real(k->in[0], 0), d = nn_tensor_real(k->in[2], 0);
    for (int64_t i = 0; i < n; i++) ((double *)o)[i] = a + (double)i * d;
    break;
  }
  }
  return DM_OK;
}

const nn_op nn_op_constant = {"Constant", 1, NN_TENSOR_OPSET_MAX, 0, constant_infer, NULL, constant_run, NULL, NULL};
const nn_op nn_op_constant_of_shape = {"ConstantOfShape", 9, NN_TENSOR_OPSET_MAX, 0, cos_infer, NULL, cos_run, NULL, NULL};
const nn_op nn_op_range = {"Range", 11, NN_TENSOR_OPSET_MAX, 0, range_infer, NULL, range_run, NULL, NULL};
