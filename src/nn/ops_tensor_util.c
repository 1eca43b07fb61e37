/* Helpers of the tensor kernels: reading constant shape-like inputs, typed
 * element access, output shapes. */
#include <math.h>
#include <string.h>

#include "nn/ops_tensor.h"

int64_t nn_tensor_int(const dm_nn_tensor *t, int64_t j) {
  switch (t->dtype) {
  case DM_NN_INT64: return ((const int64_t *)t->data)[j];
  case DM_NN_INT32: return ((const int32_t *)t->data)[j];
  case DM_NN_INT8: return ((const int8_t *)t->data)[j];
  case DM_NN_UINT8: case DM_NN_BOOL: return ((const uint8_t *)t->data)[j];
  default: return 0;
  }
}

double nn_tensor_real(const dm_nn_tensor *t, int64_t j) {
  switch (t->dtype) {
  case DM_NN_FLOAT: return ((const float *)t->data)[j];
  case DM_NN_DOUBLE: return ((const double *)t->data)[j];
  default: return (double)nn_tensor_int(t, j);
  }
}

/* Common checks of nn_const_ints / nn_const_reals. */
static dm_status const_input(nn_kctx *k, int i, const char *what, int want_int, int64_t max,
                             int64_t *n) {
  const dm_nn_tensor *t = nn_in(k, i);
  if (!t) return nn_fail(k, DM_ERR_FORMAT, "input '%s' is missing", what);
  int ok = want_int ? (t->dtype == DM_NN_INT64 || t->dtype == DM_NN_INT32)
                    : (t->dtype == DM_NN_FLOAT || t->dtype == DM_NN_DOUBLE);
  if (!ok)
    return nn_fail(k, DM_ERR_FORMAT, "input '%s' has type %s, expected %s", what,
                   dm_nn_dtype_name(t->dtype), want_int ? "int64" : "float");
  if (t->ndim > 1) return nn_fail(k, DM_ERR_FORMAT, "input '%s' must be 1-D", what);
  int64_t cnt = nn_numel(t);
  if (cnt < 0 || cnt > max)
    return nn_fail(k, DM_ERR_FORMAT, "input '%s' has %lld elements, at most %lld allowed", what,
                   (long long)cnt, (long long)max);
  if (cnt > 0 && !t->data) return nn_fail(k, DM_ERR_FORMAT, "input '%s' must be constant", what);
  *n = cnt;
  return DM_OK;
}

dm_status nn_const_ints(nn_kctx *k, int i, const char *what, int64_t *buf, int64_t max, int64_t *n) {
  dm_status s = const_input(k, i, what, 1, max, n);
  if (s != DM_OK) return s;
  for (int64_t j = 0; j < *n; j++) buf[j] = nn_tensor_int(k->in[i], j);
  return DM_OK;
}

dm_status nn_const_reals(nn_kctx *k, int i, const char *what, double *buf, int64_t max, int64_t *n) {
  dm_status s = const_input(k, i, what, 0, max, n);
  if (s != DM_OK) return s;
  for (int64_t j = 0; j < *n; j++) buf[j] = nn_tensor_real(k->in[i], j);
  return DM_OK;
}

void nn_set_shape(dm_nn_tensor *t, dm_nn_dtype dtype, int ndim, const int64_t *dims) {
  t->dtype = dtype;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->dims[i] = dims[i];
}

void nn_strides(int ndim, const int64_t *dims, int64_t *strides) {
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

/* Round toward zero and saturate to [lo, hi]; NaN -> 0. */
static double sat(double v, double lo, double hi) {
  if (v != v) return 0;
  v = trunc(v);
  return v < lo ? lo : (v > hi ? hi : v);
}

void nn_store_real(dm_nn_dtype t, void *dst, double v) {
  switch (t) {
  case DM_NN_FLOAT: { float f = (float)v; memcpy(dst, &f, 4); break; }
  case DM_NN_DOUBLE: memcpy(dst, &v, 8); break;
  case DM_NN_INT64: {
    /* 2^63 is exactly representable; anything at or above it saturates. */
    int64_t x = v != v ? 0 : (v >= 9223372036854775808.0 ? INT64_MAX
                             : (v <= -9223372036854775808.0 ? INT64_MIN : (int64_t)v));
    memcpy(dst, &x, 8);
    break;
  }
  case DM_NN_INT32: { int32_t x = (int32_t)sat(v, INT32_MIN, INT32_MAX); memcpy(dst, &x, 4); break; }
  case DM_NN_INT8: { int8_t x = (int8_t)sat(v, INT8_MIN, INT8_MAX); memcpy(dst, &x, 1); break; }
  case DM_NN_UINT8: { uint8_t x = (uint8_t)sat(v, 0, UINT8_MAX); memcpy(dst, &x, 1); break; }
  case DM_NN_BOOL: { uint8_t x = v != 0; memcpy(dst, &x, 1); break; }
  default: break;
  }
}

void nn_copy_whole(nn_kctx *k, const dm_nn_tensor *src, dm_nn_tensor *dst) {
  if (src->data == dst->data) return;
  int64_t n = nn_numel(src), one = 1;
  if (n > 0) nn_copy_strided(k->ctx, dst->data, src->data, dm_nn_dtype_size(src->dtype), 1, &n, &one);
}
