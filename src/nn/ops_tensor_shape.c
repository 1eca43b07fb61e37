/* Ops that only look at or relabel a shape: Shape, Size, Reshape, Flatten,
 * Squeeze, Unsqueeze, Identity. The data ones copy their input unchanged. */
#include <string.h>

#include "nn/ops_tensor.h"

static dm_status need_input(nn_kctx *k) {
  if (!nn_in(k, 0) || k->n_out < 1 || !k->out[0])
    return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  return DM_OK;
}

/* ---- Shape (start/end from opset 15), Size ---- */

static void shape_range(const nn_kctx *k, int64_t *start, int64_t *end) {
  int64_t r = nn_in(k, 0)->ndim;
  *start = nn_attr_int(k->node, "start", 0);
  *end = nn_attr_int(k->node, "end", r);
  if (*start < 0) *start += r;
  if (*end < 0) *end += r;
  *start = *start < 0 ? 0 : (*start > r ? r : *start);
  *end = *end < 0 ? 0 : (*end > r ? r : *end);
  if (*end < *start) *end = *start;
}

static dm_status shape_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  int64_t start, end;
  shape_range(k, &start, &end);
  int64_t n = end - start;
  nn_set_shape(k->out[0], DM_NN_INT64, 1, &n);
  return DM_OK;
}

static dm_status shape_run(nn_kctx *k) {
  int64_t start, end;
  shape_range(k, &start, &end);
  int64_t *o = k->out[0]->data;
  for (int64_t i = start; i < end; i++) o[i - start] = nn_in(k, 0)->dims[i];
  return DM_OK;
}

static dm_status size_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  nn_set_shape(k->out[0], DM_NN_INT64, 0, NULL);
  return DM_OK;
}

static dm_status size_run(nn_kctx *k) {
  *(int64_t *)k->out[0]->data = nn_numel(nn_in(k, 0));
  return DM_OK;
}

/* ---- data-preserving relabels ----
 * NN_OP_ALIAS: the arena usually gives the output the input's own bytes
 * (arena.c), and nn_copy_whole then has nothing to copy. */

static dm_status copy_run(nn_kctx *k) {
  nn_copy_whole(k, k->in[0], k->out[0]);
  return DM_OK;
}

static dm_status identity_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  nn_set_shape(k->out[0], k->in[0]->dtype, k->in[0]->ndim, k->in[0]->dims);
  return DM_OK;
}

/* Reshape (opset 5+, allowzero from 14): 0 copies the input dim unless
 * allowzero, -1 takes what is left. */
static dm_status reshape_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t shape[DM_NN_MAX_DIMS], n;
  if ((s = nn_const_ints(k, 1, "shape", shape, DM_NN_MAX_DIMS, &n)) != DM_OK) return s;
  int allowzero = k->opset >= 14 && nn_attr_int(k->node, "allowzero", 0) != 0;
  int64_t total = nn_numel(x), known = 1;
  int infer_at = -1, has_zero = 0;
  for (int i = 0; i < n; i++) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= x->ndim) return nn_fail(k, DM_ERR_FORMAT, "shape[%d] = 0 but the input has rank %d", i, x->ndim);
      shape[i] = x->dims[i];
    } else if (shape[i] == -1) {
      if (infer_at >= 0) return nn_fail(k, DM_ERR_FORMAT, "more than one -1 in shape");
      infer_at = i;
      continue;
    } else if (shape[i] < -1) {
      return nn_fail(k, DM_ERR_FORMAT, "shape[%d] = %lld is invalid", i, (long long)shape[i]);
    }
    has_zero |= shape[i] == 0;
    if (shape[i] && known > NN_MAX_ELEMS / shape[i])
      return nn_fail(k, DM_ERR_FORMAT, "shape is too large");
    known *= shape[i];
  }
  if (infer_at >= 0) {
    if (has_zero || known == 0) {
      if (total != 0 || allowzero)
        return nn_fail(k, DM_ERR_FORMAT, "cannot infer the -1 dimension next to a zero");
      shape[infer_at] = 0;
      known = 0;
    } else {
      if (total % known) return nn_fail(k, DM_ERR_FORMAT, "%lld elements do not fit the shape",
                                        (long long)total);
      shape[infer_at] = total / known;
      known = total;
    }
  }
  if (known != total)
    return nn_fail(k, DM_ERR_FORMAT, "cannot reshape %lld elements to %lld", (long long)total,
                   (long long)known);
  nn_set_shape(k->out[0], x->dtype, (int)n, shape);
  return DM_OK;
}

/* Flatten: 2-D (prod dims[:axis], prod dims[axis:]); axis in [-r, r]. */
static dm_status flatten_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t axis = nn_attr_int(k->node, "axis", 1);
  if (axis < 0) axis += x->ndim;
  if (axis < 0 || axis > x->ndim) return nn_fail(k, DM_ERR_FORMAT, "axis out of range");
  int64_t d[2] = {1, 1};
  for (int i = 0; i < x->ndim; i++) d[i >= axis] *= x->dims[i];
  nn_set_shape(k->out[0], x->dtype, 2, d);
  return DM_OK;
}

/* Axes of Squeeze / Unsqueeze: an attribute before opset 13, an input from
 * 13 (optional for Squeeze). Normalised against `rank`, duplicates refused.
 * mask[a] = 1 for each listed axis; *n = -1 when none were given. */
static dm_status read_axes(nn_kctx *k, int rank, int from_input, int *mask, int64_t *n) {
  int64_t axes[DM_NN_MAX_DIMS];
  memset(mask, 0, sizeof(int) * DM_NN_MAX_DIMS);
  *n = -1;
  if (from_input) {
    if (!nn_in_nonempty(k, 1)) return DM_OK; /* Squeeze: no axes (an empty list too) means all */
    dm_status s = nn_const_ints(k, 1, "axes", axes, DM_NN_MAX_DIMS, n);
    if (s != DM_OK) return s;
  } else {
    size_t len;
    const int64_t *a = nn_attr_ints(k->node, "axes", &len);
    if (!a) return DM_OK;
    if (len > DM_NN_MAX_DIMS) return nn_fail(k, DM_ERR_FORMAT, "too many axes");
    memcpy(axes, a, len * sizeof *a);
    *n = (int64_t)len;
  }
  for (int64_t i = 0; i < *n; i++) {
    int a = nn_axis(axes[i], rank);
    if (a < 0) return nn_fail(k, DM_ERR_FORMAT, "axis %lld out of range", (long long)axes[i]);
    if (mask[a]) return nn_fail(k, DM_ERR_FORMAT, "axis %lld repeated", (long long)axes[i]);
    mask[a] = 1;
  }
  return DM_OK;
}

static dm_status squeeze_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int mask[DM_NN_MAX_DIMS];
  int64_t n, dims[DM_NN_MAX_DIMS];
  if ((s = read_axes(k, x->ndim, k->opset >= 13, mask, &n)) != DM_OK) return s;
  int r = 0;
  for (int i = 0; i < x->ndim; i++) {
    int drop = n < 0 ? x->dims[i] == 1 : mask[i];
    if (drop && x->dims[i] != 1)
      return nn_fail(k, DM_ERR_FORMAT, "cannot squeeze axis %d of size %lld", i, (long long)x->dims[i]);
    if (!drop) dims[r++] = x->dims[i];
  }
  nn_set_shape(k->out[0], x->dtype, r, dims);
  return DM_OK;
}

static dm_status unsqueeze_infer(nn_kctx *k) {
  dm_status s = need_input(k);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int from_input = k->opset >= 13;
  /* The output rank is needed to normalise the axes: count them first. */
  int64_t count;
  if (from_input) {
    const dm_nn_tensor *a = nn_in(k, 1);
    if (!a) return nn_fail(k, DM_ERR_FORMAT, "input 'axes' is missing");
    count = nn_numel(a);
  } else {
    size_t len;
    nn_attr_ints(k->node, "axes", &len);
    count = (int64_t)len;
  }
  if (count < 1) return nn_fail(k, DM_ERR_FORMAT, "axes must not be empty");
  if (x->ndim + count > DM_NN_MAX_DIMS) return nn_fail(k, DM_ERR_FORMAT, "output rank above %d", DM_NN_MAX_DIMS);
  int r = x->ndim + (int)count, mask[DM_NN_MAX_DIMS];
  int64_t n, dims[DM_NN_MAX_DIMS];
  if ((s = read_axes(k, r, from_input, mask, &n)) != DM_OK) return s;
  for (int i = 0, j = 0; i < r; i++) dims[i] = mask[i] ? 1 : x->dims[j++];
  nn_set_shape(k->out[0], x->dtype, r, dims);
  return DM_OK;
}

const nn_op nn_op_shape = {"Shape", 1, NN_TENSOR_OPSET_MAX, NN_OP_SHAPE_ONLY, shape_infer, NULL, shape_run, NULL, NULL};
const nn_op nn_op_size = {"Size", 1, NN_TENSOR_OPSET_MAX, NN_OP_SHAPE_ONLY, size_infer, NULL, size_run, NULL, NULL};
const nn_op nn_op_reshape = {"Reshape", 5, NN_TENSOR_OPSET_MAX, NN_OP_ALIAS, reshape_infer, NULL, copy_run, NULL, NULL};
const nn_op nn_op_flatten = {"Flatten", 1, NN_TENSOR_OPSET_MAX, NN_OP_ALIAS, flatten_infer, NULL, copy_run, NULL, NULL};
const nn_op nn_op_squeeze = {"Squeeze", 1, NN_TENSOR_OPSET_MAX, NN_OP_ALIAS, squeeze_infer, NULL, copy_run, NULL, NULL};
const nn_op nn_op_unsqueeze = {"Unsqueeze", 1, NN_TENSOR_OPSET_MAX, NN_OP_ALIAS, unsqueeze_infer, NULL, copy_run, NULL, NULL};
const nn_op nn_op_identity = {"Identity", 1, NN_TENSOR_OPSET_MAX, NN_OP_ALIAS, identity_infer, NULL, copy_run, NULL, NULL};
