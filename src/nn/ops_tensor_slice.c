/* Cutting and joining along axes: Slice, Concat, Split. */
#include <stdlib.h>
#include <string.h>

#include "nn/ops_tensor.h"

/* ---- Slice: attributes before opset 10, inputs (with steps) from 10 ---- */

typedef struct slice_plan {
  int64_t start[DM_NN_MAX_DIMS], step[DM_NN_MAX_DIMS], count[DM_NN_MAX_DIMS];
} slice_plan;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* Read starts/ends/axes/steps and resolve them per axis as numpy does:
 * negative indices count from the end, out-of-range ones (INT64_MAX and
 * INT64_MIN included) are clamped, negative steps walk backwards. */
static dm_status slice_params(nn_kctx *k, slice_plan *p) {
  const dm_nn_tensor *x = k->in[0];
  int r = x->ndim;
  int64_t starts[DM_NN_MAX_DIMS], ends[DM_NN_MAX_DIMS], axes[DM_NN_MAX_DIMS], steps[DM_NN_MAX_DIMS];
  int64_t n, ne, na = -1, ns = -1;
  dm_status s;
  if (k->opset < 10) {
    size_t l1, l2, l3;
    const int64_t *a = nn_attr_ints(k->node, "starts", &l1), *b = nn_attr_ints(k->node, "ends", &l2),
                  *c = nn_attr_ints(k->node, "axes", &l3);
    if (!a || !b) return nn_fail(k, DM_ERR_FORMAT, "attributes 'starts' and 'ends' are required");
    if (l1 > DM_NN_MAX_DIMS || l2 > DM_NN_MAX_DIMS || l3 > DM_NN_MAX_DIMS)
      return nn_fail(k, DM_ERR_FORMAT, "too many axes");
    n = (int64_t)l1, ne = (int64_t)l2;
    memcpy(starts, a, l1 * sizeof *a);
    memcpy(ends, b, l2 * sizeof *b);
    if (c) {
      na = (int64_t)l3;
      memcpy(axes, c, l3 * sizeof *c);
    }
  } else {
    if ((s = nn_const_ints(k, 1, "starts", starts, DM_NN_MAX_DIMS, &n)) != DM_OK) return s;
    if ((s = nn_const_ints(k, 2, "ends", ends, DM_NN_MAX_DIMS, &ne)) != DM_OK) return s;
    if (nn_in(k, 3) && (s = nn_const_ints(k, 3, "axes", axes, DM_NN_MAX_DIMS, &na)) != DM_OK) return s;
    if (nn_in(k, 4) && (s = nn_const_ints(k, 4, "steps", steps, DM_NN_MAX_DIMS, &ns)) != DM_OK) return s;
  }
  if (ne != n || (na >= 0 && na != n) || (ns >= 0 && ns != n))
    return nn_fail(k, DM_ERR_FORMAT, "starts, ends, axes and steps differ in length");
  for (int i = 0; i < r; i++) p->start[i] = 0, p->step[i] = 1, p->count[i] = x->dims[i];
  int seen[DM_NN_MAX_DIMS] = {0};
  for (int64_t i = 0; i < n; i++) {
    int a = na >= 0 ? nn_axis(axes[i], r) : (int)i;
    if (a < 0 || a >= r) return nn_fail(k, DM_ERR_FORMAT, "axis out of range");
    if (seen[a]++) return nn_fail(k, DM_ERR_FORMAT, "axis %d repeated", a);
    int64_t dim = x->dims[a], st = starts[i], en = ends[i], sp = ns >= 0 ? steps[i] : 1, cnt;
    if (sp == 0) return nn_fail(k, DM_ERR_FORMAT, "step must not be 0");
    if (st < 0) st += dim; /* no overflow: dim >= 0 */
    if (en < 0) en += dim;
    if (sp > 0) {
      st = clamp64(st, 0, dim), en = clamp64(en, 0, dim);
      cnt = en > st ? (en - st - 1) / sp + 1 : 0;
    } else {
      st = clamp64(st, 0, dim - 1), en = clamp64(en, -1, dim - 1);
      int64_t mag = sp == INT64_MIN ? INT64_MAX : -sp;
      cnt = st > en ? (st - en - 1) / mag + 1 : 0;
    }
    p->start[a] = cnt ? st : 0, p->step[a] = sp, p->count[a] = cnt;
  }
  return DM_OK;
}

static dm_status slice_infer(nn_kctx *k) {
  if (!nn_in(k, 0) || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  slice_plan p;
  dm_status s = slice_params(k, &p);
  if (s == DM_OK) nn_set_shape(k->out[0], k->in[0]->dtype, k->in[0]->ndim, p.count);
  return s;
}

static dm_status slice_run(nn_kctx *k) {
  const dm_nn_tensor *x = k->in[0];
  slice_plan p;
  dm_status s = slice_params(k, &p);
  if (s != DM_OK) return s;
  int64_t st[DM_NN_MAX_DIMS], ss[DM_NN_MAX_DIMS], base = 0;
  nn_strides(x->ndim, x->dims, st);
  for (int i = 0; i < x->ndim; i++) {
    base += p.start[i] * st[i];
    ss[i] = st[i] * p.step[i];
  }
  size_t es = dm_nn_dtype_size(x->dtype);
  if (nn_numel(k->out[0]) > 0)
    nn_copy_strided(k->ctx, k->out[0]->data, (const unsigned char *)x->data + base * (int64_t)es, es,
                    x->ndim, p.count, ss);
  return DM_OK;
}

/* ---- Concat ---- */

static dm_status concat_axis(nn_kctx *k, int *axis) {
  const dm_nn_tensor *x0 = nn_in(k, 0);
  if (!x0 || k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs inputs and an output");
  const nn_attr *a = nn_attr_find(k->node, "axis");
  if (!a && k->opset >= 4) return nn_fail(k, DM_ERR_FORMAT, "attribute 'axis' is required");
  *axis = nn_axis(a ? a->i : 1, x0->ndim);
  if (*axis < 0) return nn_fail(k, DM_ERR_FORMAT, "axis out of range for rank %d", x0->ndim);
  return DM_OK;
}

static dm_status concat_infer(nn_kctx *k) {
  int axis;
  dm_status s = concat_axis(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x0 = k->in[0];
  int64_t dims[DM_NN_MAX_DIMS];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 0; i < k->n_in; i++) {
    const dm_nn_tensor *x = k->in[i];
    if (!x) return nn_fail(k, DM_ERR_FORMAT, "input %d is missing", i);
    if (x->dtype != x0->dtype || x->ndim != x0->ndim)
      return nn_fail(k, DM_ERR_FORMAT, "input %d differs in type or rank", i);
    for (int d = 0; d < x->ndim; d++)
      if (d != axis && x->dims[d] != x0->dims[d])
        return nn_fail(k, DM_ERR_FORMAT, "input %d differs in dimension %d", i, d);
    dims[axis] += x->dims[axis];
  }
  nn_set_shape(k->out[0], x0->dtype, x0->ndim, dims);
  return DM_OK;
}

static dm_status concat_run(nn_kctx *k) {
  int axis;
  dm_status s = concat_axis(k, &axis);
  if (s != DM_OK) return s;
  dm_nn_tensor *y = k->out[0];
  size_t es = dm_nn_dtype_size(y->dtype);
  int64_t outer = 1, inner = 1, one = 1;
  for (int d = 0; d < axis; d++) outer *= y->dims[d];
  for (int d = axis + 1; d < y->ndim; d++) inner *= y->dims[d];
  size_t row = (size_t)(y->dims[axis] * inner) * es, off = 0;
  unsigned char *dst = y->data;
  for (int i = 0; i < k->n_in; i++) {
    const unsigned char *src = k->in[i]->data;
    int64_t n = k->in[i]->dims[axis] * inner;
    size_t chunk = (size_t)n * es;
    if (outer == 1 && n > 0) {
      nn_copy_strided(k->ctx, dst + off, src, es, 1, &n, &one); /* large: threaded */
    } else if (chunk) {
      for (int64_t o = 0; o < outer; o++) memcpy(dst + (size_t)o * row + off, src + (size_t)o * chunk, chunk);
    }
    off += chunk;
  }
  return DM_OK;
}

/* ---- Split: 'split' attribute before 13, input from 13, num_outputs 18 ---- */

static dm_status split_sizes(nn_kctx *k, int axis, int64_t *sizes) {
  const dm_nn_tensor *x = k->in[0];
  int n = k->n_out;
  int64_t dim = x->dims[axis], sum = 0, cnt = -1;
  dm_status s;
  if (k->opset < 13) {
    size_t len;
    const int64_t *a = nn_attr_ints(k->node, "split", &len);
    if (a) {
      if ((int64_t)len != n) return nn_fail(k, DM_ERR_FORMAT, "'split' has %zu entries for %d outputs", len, n);
      memcpy(sizes, a, len * sizeof *a);
      cnt = n;
    }
  } else if (nn_in_nonempty(k, 1)) {
    if ((s = nn_const_ints(k, 1, "split", sizes, n, &cnt)) != DM_OK) return s;
    if (cnt != n) return nn_fail(k, DM_ERR_FORMAT, "'split' has %lld entries for %d outputs", (long long)cnt, n);
  }
  if (cnt < 0) {
    int64_t parts = k->opset >= 18 ? nn_attr_int(k->node, "num_outputs", n) : n;
    if (parts != n) return nn_fail(k, DM_ERR_FORMAT, "num_outputs %lld but %d outputs", (long long)parts, n);
    if (dim % n && k->opset < 18)
      return nn_fail(k, DM_ERR_FORMAT, "dimension %lld does not split into %d equal parts", (long long)dim, n);
    int64_t chunk = (dim + n - 1) / n; /* 18: the last part may be smaller */
    for (int i = 0; i < n; i++) sizes[i] = i < n - 1 ? chunk : dim - chunk * (n - 1);
  }
  for (int i = 0; i < n; i++) {
    if (sizes[i] < 0) return nn_fail(k, DM_ERR_FORMAT, "negative split size");
    sum += sizes[i];
  }
  if (sum != dim) return nn_fail(k, DM_ERR_FORMAT, "split sizes add to %lld, not %lld", (long long)sum, (long long)dim);
  return DM_OK;
}

/* Both phases: with out_shapes set the outputs' shapes, else copy data. */
static dm_status split_do(nn_kctx *k, int out_shapes) {
  const dm_nn_tensor *x = nn_in(k, 0);
  if (!x || k->n_out < 1) return nn_fail(k, DM_ERR_FORMAT, "needs an input and outputs");
  int axis = nn_axis(nn_attr_int(k->node, "axis", 0), x->ndim);
  if (axis < 0) return nn_fail(k, DM_ERR_FORMAT, "axis out of range");
  int64_t small[64], *sizes = k->n_out <= 64 ? small : malloc((size_t)k->n_out * sizeof *sizes);
  if (!sizes) return nn_fail(k, DM_ERR_NOMEM, "out of memory");
  dm_status s = split_sizes(k, axis, sizes);
  int64_t outer = 1, inner = 1, off = 0;
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = axis + 1; d < x->ndim; d++) inner *= x->dims[d];
  size_t es = dm_nn_dtype_size(x->dtype), row = (size_t)(x->dims[axis] * inner) * es;
  for (int i = 0; s == DM_OK && i < k->n_out; i++) {
    dm_nn_tensor *y = k->out[i];
    if (y && out_shapes) {
      nn_set_shape(y, x->dtype, x->ndim, x->dims);
      y->dims[axis] = sizes[i];
    } else if (y && sizes[i] * inner > 0) {
      size_t chunk = (size_t)(sizes[i] * inner) * es;
      const unsigned char *src = (const unsigned char *)x->data + (size_t)(off * inner) * es;
      for (int64_t o = 0; o < outer; o++)
        memcpy((unsigned char *)y->data + (size_t)o * chunk, src + (size_t)o * row, chunk);
    }
    off += sizes[i];
  }
  if (sizes != small) free(sizes);
  return s;
}

static dm_status split_infer(nn_kctx *k) { return split_do(k, 1); }
static dm_status split_run(nn_kctx *k) { return split_do(k, 0); }

const nn_op nn_op_slice = {"Slice", 1, NN_TENSOR_OPSET_MAX, 0, slice_infer, NULL, slice_run, NULL, NULL};
const nn_op nn_op_concat = {"Concat", 1, NN_TENSOR_OPSET_MAX, 0, concat_infer, NULL, concat_run, NULL, NULL};
const nn_op nn_op_split = {"Split", 2, NN_TENSOR_OPSET_MAX, 0, split_infer, NULL, split_run, NULL, NULL};
