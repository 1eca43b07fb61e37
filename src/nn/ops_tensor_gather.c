/* Indexed reads: Gather and GatherElements. Every index is checked against
 * its axis before anything is read; negative ones count from the end. */
#include <string.h>

#include "nn/ops_tensor.h"

static dm_status gather_setup(nn_kctx *k, int *axis) {
  const dm_nn_tensor *x = nn_in(k, 0), *ind = nn_in(k, 1);
  if (!x || !ind || k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs data, indices and an output");
  if (ind->dtype != DM_NN_INT64 && ind->dtype != DM_NN_INT32)
    return nn_fail(k, DM_ERR_FORMAT, "indices must be int64 or int32");
  *axis = nn_axis(nn_attr_int(k->node, "axis", 0), x->ndim);
  if (*axis < 0) return nn_fail(k, DM_ERR_FORMAT, "axis out of range for rank %d", x->ndim);
  return DM_OK;
}

/* Index j of `ind` resolved against an axis of n, or -1 when out of range. */
static int64_t resolve(const dm_nn_tensor *ind, int64_t j, int64_t n) {
  int64_t i = nn_tensor_int(ind, j);
  if (i < 0) i += n;
  return i >= 0 && i < n ? i : -1;
}

static dm_status bad_index(nn_kctx *k, const dm_nn_tensor *ind, int64_t j, int64_t n) {
  return nn_fail(k, DM_ERR_RANGE, "index %lld out of range [-%lld, %lld)", (long long)nn_tensor_int(ind, j),
                 (long long)n, (long long)n);
}

/* ---- Gather: out = data[:axis] + indices.shape + data[axis+1:] ---- */

static dm_status gather_infer(nn_kctx *k) {
  int axis;
  dm_status s = gather_setup(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0], *ind = k->in[1];
  if (x->ndim - 1 + ind->ndim > DM_NN_MAX_DIMS) return nn_fail(k, DM_ERR_FORMAT, "output rank too large");
  int64_t dims[DM_NN_MAX_DIMS];
  int r = 0;
  for (int i = 0; i < axis; i++) dims[r++] = x->dims[i];
  for (int i = 0; i < ind->ndim; i++) dims[r++] = ind->dims[i];
  for (int i = axis + 1; i < x->ndim; i++) dims[r++] = x->dims[i];
  nn_set_shape(k->out[0], x->dtype, r, dims);
  return DM_OK;
}

static dm_status gather_run(nn_kctx *k) {
  int axis;
  dm_status s = gather_setup(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0], *ind = k->in[1];
  int64_t n = x->dims[axis], ni = nn_numel(ind), outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= x->dims[i];
  for (int i = axis + 1; i < x->ndim; i++) inner *= x->dims[i];
  for (int64_t j = 0; j < ni; j++)
    if (resolve(ind, j, n) < 0) return bad_index(k, ind, j, n);
  size_t es = dm_nn_dtype_size(x->dtype), blk = (size_t)inner * es;
  if (!blk) return DM_OK;
  const unsigned char *src = x->data;
  unsigned char *dst = k->out[0]->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < ni; j++, dst += blk)
      memcpy(dst, src + (size_t)(o * n + resolve(ind, j, n)) * blk, blk);
  return DM_OK;
}

/* ---- GatherElements: out[i] = data[i with i[axis] = indices[i]] ---- */

static dm_status gather_el_infer(nn_kctx *k) {
  int axis;
  dm_status s = gather_setup(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0], *ind = k->in[1];
  if (ind->ndim != x->ndim) return nn_fail(k, DM_ERR_FORMAT, "indices must have the rank of data");
  for (int i = 0; i < x->ndim; i++)
    if (i != axis && ind->dims[i] > x->dims[i])
      return nn_fail(k, DM_ERR_FORMAT, "indices dimension %d exceeds data's", i);
  nn_set_shape(k->out[0], x->dtype, ind->ndim, ind->dims);
  return DM_OK;
}

static dm_status gather_el_run(nn_kctx *k) {
  int axis;
  dm_status s = gather_setup(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0], *ind = k->in[1];
  int r = x->ndim;
  int64_t total = nn_numel(ind), n = x->dims[axis], xs[DM_NN_MAX_DIMS], idx[DM_NN_MAX_DIMS] = {0};
  nn_strides(r, x->dims, xs);
  for (int64_t j = 0; j < total; j++)
    if (resolve(ind, j, n) < 0) return bad_index(k, ind, j, n);
  size_t es = dm_nn_dtype_size(x->dtype);
  const unsigned char *src = x->data;
  unsigned char *dst = k->out[0]->data;
  int64_t base = 0; /* offset in data of idx with idx[axis] taken as 0 */
  for (int64_t j = 0; j < total; j++) {
    memcpy(dst + (size_t)j * es, src + (size_t)(base + resolve(ind, j, n) * xs[axis]) * es, es);
    for (int d = r - 1; d >= 0; d--) { /* next index of the indices tensor */
      if (d != axis) base += xs[d];
      if (++idx[d] < ind->dims[d]) break;
      if (d != axis) base -= xs[d] * ind->dims[d];
      idx[d] = 0;
    }
  }
  return DM_OK;
}

const nn_op nn_op_gather = {"Gather", 1, NN_TENSOR_OPSET_MAX, 0, gather_infer, NULL, gather_run, NULL, NULL};
const nn_op nn_op_gather_elements = {"GatherElements", 11, NN_TENSOR_OPSET_MAX, 0, gather_el_infer, NULL,
                                     gather_el_run, NULL, NULL};
