/* Pad: modes constant, reflect, edge and wrap (19); pads as an attribute
 * before opset 11, as an input from 11, restricted to 'axes' from 18.
 * Negative pads crop. Rows of the output are independent: each maps to
 * one source row (or to the pad value), and its middle is one memcpy. */
#include <string.h>

#include "core/pool.h"
#include "nn/ops_tensor.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct pad_plan {
  int mode;
  int64_t begin[DM_NN_MAX_DIMS], end[DM_NN_MAX_DIMS];
  unsigned char value[8];   /* one element of the pad value */
} pad_plan;

static dm_status pad_params(nn_kctx *k, pad_plan *p, int want_value) {
  const dm_nn_tensor *x = nn_in(k, 0);
  if (!x || k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  int r = x->ndim;
  memset(p, 0, sizeof *p);
  const char *m = nn_attr_string(k->node, "mode", "constant");
  if (!strcmp(m, "constant")) p->mode = PAD_CONSTANT;
  else if (!strcmp(m, "reflect")) p->mode = PAD_REFLECT;
  else if (!strcmp(m, "edge")) p->mode = PAD_EDGE;
  else if (!strcmp(m, "wrap")) p->mode = PAD_WRAP;
  else return nn_fail(k, DM_ERR_FORMAT, "unknown mode '%s'", m);
  int64_t pads[2 * DM_NN_MAX_DIMS], n, axes[DM_NN_MAX_DIMS], na = r;
  dm_status s;
  if (k->opset < 11) {
    size_t len;
    const int64_t *a = nn_attr_ints(k->node, "pads", &len);
    if (!a || len > 2 * DM_NN_MAX_DIMS) return nn_fail(k, DM_ERR_FORMAT, "attribute 'pads' is required");
    memcpy(pads, a, len * sizeof *a);
    n = (int64_t)len;
  } else if ((s = nn_const_ints(k, 1, "pads", pads, 2 * DM_NN_MAX_DIMS, &n)) != DM_OK) {
    return s;
  }
  if (k->opset >= 18 && nn_in(k, 3)) {
    if ((s = nn_const_ints(k, 3, "axes", axes, DM_NN_MAX_DIMS, &na)) != DM_OK) return s;
  } else {
    for (int i = 0; i < r; i++) axes[i] = i;
  }
  if (n != 2 * na) return nn_fail(k, DM_ERR_FORMAT, "pads has %lld entries for %lld axes", (long long)n, (long long)na);
  int seen[DM_NN_MAX_DIMS] = {0};
  for (int i = 0; i < na; i++) {
    int a = nn_axis(axes[i], r);
    if (a < 0 || seen[a]++) return nn_fail(k, DM_ERR_FORMAT, "invalid or repeated axis");
    p->begin[a] = pads[i], p->end[a] = pads[na + i];
    int64_t d = x->dims[a];
    if (p->begin[a] < -NN_MAX_ELEMS || p->begin[a] > NN_MAX_ELEMS || p->end[a] < -NN_MAX_ELEMS ||
        p->end[a] > NN_MAX_ELEMS || d + p->begin[a] + p->end[a] < 0)
      return nn_fail(k, DM_ERR_FORMAT, "pads out of range for axis %d", a);
    if (p->mode != PAD_CONSTANT && d == 0 && (p->begin[a] > 0 || p->end[a] > 0))
      return nn_fail(k, DM_ERR_FORMAT, "cannot pad an empty axis in this mode");
  }
  if (!want_value) return DM_OK;
  if (k->opset < 11) {
    nn_store_real(x->dtype, p->value, nn_attr_float(k->node, "value", 0.0f));
  } else if (nn_in_nonempty(k, 2)) {
    const dm_nn_tensor *v = k->in[2];
    if (v->dtype != x->dtype) return nn_fail(k, DM_ERR_FORMAT, "constant_value differs in type from data");
    memcpy(p->value, v->data, dm_nn_dtype_size(v->dtype));
  }
  return DM_OK;
}

/* Source index for output index o along an axis of n padded by b in
 * front, or -1 for the pad value. */
static int64_t pad_src(int mode, int64_t o, int64_t b, int64_t n) {
  int64_t i = o - b;
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case PAD_EDGE: return i < 0 ? 0 : n - 1;
  case PAD_WRAP: return ((i % n) + n) % n;
  case PAD_REFLECT: {
    if (n == 1) return 0;
    int64_t period = 2 * (n - 1), m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  }
  default: return -1;
  }
}

static dm_status pad_infer(nn_kctx *k) {
  pad_plan p;
  dm_status s = pad_params(k, &p, 0);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int64_t dims[DM_NN_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) dims[i] = x->dims[i] + p.begin[i] + p.end[i];
  dm_nn_tensor t = {.ndim = x->ndim};
  memcpy(t.dims, dims, sizeof dims);
  if (nn_numel(&t) < 0) return nn_fail(k, DM_ERR_FORMAT, "output too large");
  nn_set_shape(k->out[0], x->dtype, x->ndim, dims);
  return DM_OK;
}

typedef struct pad_job {
  const pad_plan *p;
  const dm_nn_tensor *x, *y;
  size_t es;
  int64_t rows;
} pad_job;

static void fill(unsigned char *d, const unsigned char *v, size_t es, int64_t n) {
  for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, v, es);
}

static void pad_rows(void *user, int ith, int nth) {
  const pad_job *j = user;
  const pad_plan *p = j->p;
  const dm_nn_tensor *x = j->x, *y = j->y;
  int r = x->ndim, last = r - 1;
  size_t es = j->es;
  int64_t r0 = j->rows * ith / nth, r1 = j->rows * (ith + 1) / nth;
  int64_t xs[DM_NN_MAX_DIMS], lo = y->dims[last], n = x->dims[last], b = p->begin[last];
  nn_strides(r, x->dims, xs);
  /* the part of the row that is a straight copy */
  int64_t m0 = b > 0 ? b : 0, m1 = b + n < lo ? b + n : lo;
  if (m1 < m0) m1 = m0;
  for (int64_t row = r0; row < r1; row++) {
    unsigned char *d = (unsigned char *)y->data + (size_t)(row * lo) * es;
    int64_t rem = row, off = 0;
    int inside = 1;
    for (int a = last - 1; a >= 0 && inside; a--) {
      int64_t o = rem % y->dims[a], i = pad_src(p->mode, o, p->begin[a], x->dims[a]);
      rem /= y->dims[a];
      if (i < 0) inside = 0;
      else off += i * xs[a];
    }
    if (!inside) {
      fill(d, p->value, es, lo);
      continue;
    }
    const unsigned char *s = n > 0 ? (const unsigned char *)x->data + (size_t)off * es : p->value;
    for (int64_t o = 0; o < m0; o++) {
      int64_t i = pad_src(p->mode, o, b, n);
      memcpy(d + (size_t)o * es, i < 0 ? p->value : s + (size_t)i * es, es);
    }
    if (m1 > m0) memcpy(d + (size_t)m0 * es, s + (size_t)(m0 - b) * es, (size_t)(m1 - m0) * es);
    for (int64_t o = m1; o < lo; o++) {
      int64_t i = pad_src(p->mode, o, b, n);
      memcpy(d + (size_t)o * es, i < 0 ? p->value : s + (size_t)i * es, es);
    }
  }
}

static dm_status pad_run(nn_kctx *k) {
  pad_plan p;
  dm_status s = pad_params(k, &p, 1);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0], *y = k->out[0];
  size_t es = dm_nn_dtype_size(x->dtype);
  int64_t total = nn_numel(y);
  if (total == 0) return DM_OK;
  if (x->ndim == 0) {
    memcpy(y->data, x->data, es);
    return DM_OK;
  }
  pad_job j = {&p, x, y, es, total / y->dims[x->ndim - 1]};
  if ((size_t)total * es >= ((size_t)1 << 18) && k->ctx->pool) dm_parallel(k->ctx, pad_rows, &j);
  else pad_rows(&j, 0, 1);
  return DM_OK;
}

const nn_op nn_op_pad = {"Pad", 2, NN_TENSOR_OPSET_MAX, 0, pad_infer, NULL, pad_run, NULL, NULL};
