/* Ops that rearrange elements without computing: Transpose, Expand, Tile,
 * DepthToSpace, SpaceToDepth. Each describes its output as a strided view
 * of the input and hands it to nn_copy_strided (blocked, threaded). */
#include <string.h>

#include "nn/ops_tensor.h"

static dm_status need_io(nn_kctx *k) {
  if (!nn_in(k, 0) || k->n_out < 1 || !k->out[0])
    return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  return DM_OK;
}

static void copy_view(nn_kctx *k, int ndim, const int64_t *dims, const int64_t *ss) {
  const dm_nn_tensor *x = k->in[0];
  nn_copy_strided(k->ctx, k->out[0]->data, x->data, dm_nn_dtype_size(x->dtype), ndim, dims, ss);
}

/* ---- Transpose ---- */

static dm_status transpose_perm(nn_kctx *k, int *perm) {
  const dm_nn_tensor *x = k->in[0];
  size_t len;
  const int64_t *p = nn_attr_ints(k->node, "perm", &len);
  int seen[DM_NN_MAX_DIMS] = {0};
  if (p && (int)len != x->ndim) return nn_fail(k, DM_ERR_FORMAT, "perm has %zu entries for rank %d", len, x->ndim);
  for (int i = 0; i < x->ndim; i++) {
    int a = p ? nn_axis(p[i], x->ndim) : x->ndim - 1 - i;
    if (a < 0 || seen[a]++) return nn_fail(k, DM_ERR_FORMAT, "perm is not a permutation");
    perm[i] = a;
  }
  return DM_OK;
}

static dm_status transpose_infer(nn_kctx *k) {
  dm_status s = need_io(k);
  int perm[DM_NN_MAX_DIMS];
  if (s == DM_OK) s = transpose_perm(k, perm);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t dims[DM_NN_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) dims[i] = x->dims[perm[i]];
  nn_set_shape(k->out[0], x->dtype, x->ndim, dims);
  return DM_OK;
}

static dm_status transpose_run(nn_kctx *k) {
  int perm[DM_NN_MAX_DIMS];
  dm_status s = transpose_perm(k, perm);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t st[DM_NN_MAX_DIMS], ss[DM_NN_MAX_DIMS];
  nn_strides(x->ndim, x->dims, st);
  for (int i = 0; i < x->ndim; i++) ss[i] = st[perm[i]];
  copy_view(k, x->ndim, k->out[0]->dims, ss);
  return DM_OK;
}

/* ---- Expand (numpy broadcast of the input to a constant shape) ---- */

static dm_status expand_infer(nn_kctx *k) {
  dm_status s = need_io(k);
  if (s != DM_OK) return s;
  dm_nn_tensor shape = {0};
  int64_t n;
  if ((s = nn_const_ints(k, 1, "shape", shape.dims, DM_NN_MAX_DIMS, &n)) != DM_OK) return s;
  shape.ndim = (int)n;
  for (int i = 0; i < shape.ndim; i++)
    if (shape.dims[i] < 0) return nn_fail(k, DM_ERR_FORMAT, "negative dimension in shape");
  dm_nn_tensor out = {0};
  if (!nn_broadcast_shape(k->in[0], &shape, &out))
    return nn_fail(k, DM_ERR_FORMAT, "input does not broadcast to the shape");
  nn_set_shape(k->out[0], k->in[0]->dtype, out.ndim, out.dims);
  return DM_OK;
}

static dm_status expand_run(nn_kctx *k) {
  const dm_nn_tensor *x = k->in[0];
  const dm_nn_tensor *y = k->out[0];
  int64_t st[DM_NN_MAX_DIMS], ss[DM_NN_MAX_DIMS];
  nn_strides(x->ndim, x->dims, st);
  for (int i = 0; i < y->ndim; i++) {
    int j = i - (y->ndim - x->ndim);
    ss[i] = j >= 0 && x->dims[j] != 1 ? st[j] : 0;
  }
  copy_view(k, y->ndim, y->dims, ss);
  return DM_OK;
}

/* ---- Tile: output axis i is (repeat, input dim) -> a 2r-dim view ---- */

static dm_status tile_infer(nn_kctx *k) {
  dm_status s = need_io(k);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t rep[DM_NN_MAX_DIMS], n, dims[DM_NN_MAX_DIMS];
  if ((s = nn_const_ints(k, 1, "repeats", rep, DM_NN_MAX_DIMS, &n)) != DM_OK) return s;
  if (n != x->ndim) return nn_fail(k, DM_ERR_FORMAT, "repeats has %lld entries for rank %d", (long long)n, x->ndim);
  for (int i = 0; i < x->ndim; i++) {
    if (rep[i] < 0) return nn_fail(k, DM_ERR_FORMAT, "negative repeat");
    if (rep[i] && x->dims[i] > NN_MAX_ELEMS / rep[i]) return nn_fail(k, DM_ERR_FORMAT, "output too large");
    dims[i] = x->dims[i] * rep[i];
  }
  nn_set_shape(k->out[0], x->dtype, x->ndim, dims);
  return DM_OK;
}

static dm_status tile_run(nn_kctx *k) {
  const dm_nn_tensor *x = k->in[0];
  int64_t st[DM_NN_MAX_DIMS], dims[2 * DM_NN_MAX_DIMS], ss[2 * DM_NN_MAX_DIMS];
  nn_strides(x->ndim, x->dims, st);
  for (int i = 0; i < x->ndim; i++) {
    dims[2 * i] = x->dims[i] ? k->out[0]->dims[i] / x->dims[i] : 0;
    dims[2 * i + 1] = x->dims[i];
    ss[2 * i] = 0, ss[2 * i + 1] = st[i];
  }
  copy_view(k, 2 * x->ndim, dims, ss);
  return DM_OK;
}

/* ---- DepthToSpace / SpaceToDepth (4-D, NCHW) ---- */

static dm_status block_size(nn_kctx *k, int64_t *b) {
  dm_status s = need_io(k);
  if (s != DM_OK) return s;
  if (k->in[0]->ndim != 4) return nn_fail(k, DM_ERR_FORMAT, "input must be 4-D");
  *b = nn_attr_int(k->node, "blocksize", 0);
  if (*b < 1 || *b > 65536) return nn_fail(k, DM_ERR_FORMAT, "blocksize must be positive");
  return DM_OK;
}

static int crd_mode(nn_kctx *k, int *crd) {
  const char *m = nn_attr_string(k->node, "mode", "DCR");
  *crd = !strcmp(m, "CRD");
  return *crd || !strcmp(m, "DCR");
}

static dm_status d2s_infer(nn_kctx *k) {
  int64_t b;
  int crd;
  dm_status s = block_size(k, &b);
  if (s != DM_OK) return s;
  if (!crd_mode(k, &crd)) return nn_fail(k, DM_ERR_FORMAT, "mode must be DCR or CRD");
  const int64_t *d = k->in[0]->dims;
  if (d[1] % (b * b)) return nn_fail(k, DM_ERR_FORMAT, "channels not divisible by blocksize^2");
  int64_t dims[4] = {d[0], d[1] / (b * b), d[2] * b, d[3] * b};
  nn_set_shape(k->out[0], k->in[0]->dtype, 4, dims);
  return DM_OK;
}

static dm_status d2s_run(nn_kctx *k) {
  int64_t b;
  int crd;
  dm_status s = block_size(k, &b);
  if (s != DM_OK) return s;
  crd_mode(k, &crd);
  const int64_t *d = k->in[0]->dims;
  int64_t c = d[1] / (b * b), hw = d[2] * d[3], w = d[3];
  /* output viewed as (N, C', H, b, W, b) */
  int64_t dims[6] = {d[0], c, d[2], b, d[3], b};
  int64_t dcr[6] = {d[1] * hw, hw, w, b * c * hw, 1, c * hw};
  int64_t crdv[6] = {d[1] * hw, b * b * hw, w, b * hw, 1, hw};
  copy_view(k, 6, dims, crd ? crdv : dcr);
  return DM_OK;
}

static dm_status s2d_infer(nn_kctx *k) {
  int64_t b;
  dm_status s = block_size(k, &b);
  if (s != DM_OK) return s;
  const int64_t *d = k->in[0]->dims;
  if (d[2] % b || d[3] % b) return nn_fail(k, DM_ERR_FORMAT, "height and width must be multiples of blocksize");
  if (d[1] > NN_MAX_ELEMS / (b * b)) return nn_fail(k, DM_ERR_FORMAT, "output too large");
  int64_t dims[4] = {d[0], d[1] * b * b, d[2] / b, d[3] / b};
  nn_set_shape(k->out[0], k->in[0]->dtype, 4, dims);
  return DM_OK;
}

static dm_status s2d_run(nn_kctx *k) {
  int64_t b;
  dm_status s = block_size(k, &b);
  if (s != DM_OK) return s;
  const int64_t *d = k->in[0]->dims;
  int64_t hw = d[2] * d[3], w = d[3];
  /* output viewed as (N, b, b, C, H/b, W/b) */
  int64_t dims[6] = {d[0], b, b, d[1], d[2] / b, d[3] / b};
  int64_t ss[6] = {d[1] * hw, w, 1, hw, b * w, b};
  copy_view(k, 6, dims, ss);
  return DM_OK;
}

const nn_op nn_op_transpose = {"Transpose", 1, NN_TENSOR_OPSET_MAX, 0, transpose_infer, NULL, transpose_run, NULL, NULL};
const nn_op nn_op_expand = {"Expand", 8, NN_TENSOR_OPSET_MAX, 0, expand_infer, NULL, expand_run, NULL, NULL};
const nn_op nn_op_tile = {"Tile", 6, NN_TENSOR_OPSET_MAX, 0, tile_infer, NULL, tile_run, NULL, NULL};
const nn_op nn_op_depth_to_space = {"DepthToSpace", 1, NN_TENSOR_OPSET_MAX, 0, d2s_infer, NULL, d2s_run, NULL, NULL};
const nn_op nn_op_space_to_depth = {"SpaceToDepth", 1, NN_TENSOR_OPSET_MAX, 0, s2d_infer, NULL, s2d_run, NULL, NULL};
