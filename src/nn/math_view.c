/* Strided views (nn_view): a tensor read in place from another's buffer
 * after relabelling and permuting its axes, for the planner to fold
 * Transpose / Reshape chains into the kernels that take views (the fused
 * attention). */
#include "nn/math_internal.h"
#include "nn/ops_tensor.h"

void nn_view_dense(nn_view *v, const dm_nn_tensor *t) {
  v->ndim = t->ndim;
  memcpy(v->dims, t->dims, (size_t)t->ndim * sizeof t->dims[0]);
  nn_strides(v->ndim, v->dims, v->strides);
  v->scale = 1.0f;
}

void nn_view_permute(nn_view *v, const int *perm) {
  nn_view o = *v;
  for (int i = 0; i < v->ndim; i++) o.dims[i] = v->dims[perm[i]], o.strides[i] = v->strides[perm[i]];
  *v = o;
}

/* numpy's no-copy reshape rule: the axes are cut into groups whose sizes
 * multiply to the same on both sides; each group of old axes must be
 * contiguous within itself (size-1 axes aside), and the new axes of the
 * group then step through it densely. */
int nn_view_reshape(nn_view *v, int nd, const int64_t *dims) {
  int64_t od[DM_NN_MAX_DIMS], os[DM_NN_MAX_DIMS], ns[DM_NN_MAX_DIMS];
  int on = 0;
  for (int i = 0; i < v->ndim; i++) {
    if (v->dims[i] == 0) return 0;
    if (v->dims[i] != 1) od[on] = v->dims[i], os[on++] = v->strides[i];
  }
  int oi = 0, oj = 1, ni = 0, nj = 1;
  while (ni < nd && oi < on) {
    int64_t np = dims[ni], op = od[oi];
    while (np != op) {
      if (np < op && nj < nd) np *= dims[nj++];
      else if (op < np && oj < on) op *= od[oj++];
      else return 0;
    }
    for (int k = oi; k < oj - 1; k++)
      if (os[k] != od[k + 1] * os[k + 1]) return 0;
    ns[nj - 1] = os[oj - 1];
    for (int k = nj - 1; k > ni; k--) ns[k - 1] = ns[k] * dims[k];
    ni = nj++, oi = oj++;
  }
  if (oi < on) return 0;
  for (int k = ni; k < nd; k++) {
    if (dims[k] != 1) return 0;
    ns[k] = 1;
  }
  v->ndim = nd;
  memcpy(v->dims, dims, (size_t)nd * sizeof *dims);
  memcpy(v->strides, ns, (size_t)nd * sizeof *ns);
  return 1;
}
