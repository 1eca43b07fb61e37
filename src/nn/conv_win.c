/* Window geometry of Conv, ConvTranspose and the pools: the attributes
 * kernel_shape, strides, dilations, pads, auto_pad, ceil_mode,
 * output_padding and output_shape, checked and turned into output sizes. */
#include <string.h>

#include "nn/conv_internal.h"

#define WIN_MAX_DIM (INT64_C(1) << 31)

dm_status nn_conv_need_float(nn_kctx *k, const dm_nn_tensor *t, const char *what) {
  if (t->dtype != DM_NN_FLOAT)
    return nn_fail(k, DM_ERR_FORMAT, "%s: dtype %s not supported (float32 only)", what,
                   dm_nn_dtype_name(t->dtype));
  return DM_OK;
}

/* An optional INTS attribute of `want` entries, each >= lo; defaults to def. */
static dm_status ints_attr(nn_kctx *k, const char *name, size_t want, int64_t lo, int64_t def,
                           int64_t *dst) {
  size_t len;
  const int64_t *v = nn_attr_ints(k->node, name, &len);
  if (!v) {
    if (nn_attr_find(k->node, name))
      return nn_fail(k, DM_ERR_FORMAT, "attribute %s is not a list of ints", name);
    for (size_t i = 0; i < want; i++) dst[i] = def;
    return DM_OK;
  }
  if (len != want)
    return nn_fail(k, DM_ERR_FORMAT, "attribute %s has %zu values, expected %zu", name, len, want);
  for (size_t i = 0; i < want; i++) {
    if (v[i] < lo || v[i] >= WIN_MAX_DIM)
      return nn_fail(k, DM_ERR_FORMAT, "attribute %s[%zu] = %lld out of range", name, i,
                     (long long)v[i]);
    dst[i] = v[i];
  }
  return DM_OK;
}

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } pad_mode;

static dm_status auto_pad(nn_kctx *k, pad_mode *pm) {
  const char *s = nn_attr_string(k->node, "auto_pad", "NOTSET");
  if (!strcmp(s, "NOTSET") || !s[0]) *pm = PAD_NOTSET;
  else if (!strcmp(s, "SAME_UPPER")) *pm = PAD_SAME_UPPER;
  else if (!strcmp(s, "SAME_LOWER")) *pm = PAD_SAME_LOWER;
  else if (!strcmp(s, "VALID")) *pm = PAD_VALID;
  else return nn_fail(k, DM_ERR_FORMAT, "auto_pad '%s' not recognised", s);
  return DM_OK;
}

/* Split a total padding; SAME_UPPER puts the odd one at the end. Halves
 * round down (the spec's Python //): a negative ConvTranspose total from
 * output_shape then extends the end, as output_padding would. */
static void split_pad(int64_t total, int upper, int64_t *pb, int64_t *pe) {
  int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
  if (upper) {
    *pb = half;
    *pe = total - half;
  } else {
    *pe = half;
    *pb = total - half;
  }
}

static dm_status transpose_dims(nn_kctx *k, pad_mode pm, nn_win *w) {
  int n = w->nsp;
  dm_status s = ints_attr(k, "output_padding", (size_t)n, 0, 0, w->opad);
  if (s) return s;
  size_t len;
  const int64_t *os = nn_attr_ints(k->node, "output_shape", &len);
  if (os && len != (size_t)n && len != (size_t)n + 2)
    return nn_fail(k, DM_ERR_FORMAT, "output_shape has %zu values, expected %d", len, n);
  if (os) os += len - (size_t)n; /* a full N, C, D... shape keeps its spatial tail */
  for (int i = 0; i < n; i++) {
    int64_t ext = (w->k[i] - 1) * w->d[i] + 1, full = w->s[i] * (w->in[i] - 1) + w->opad[i] + ext;
    if (os || pm == PAD_SAME_UPPER || pm == PAD_SAME_LOWER) {
      int64_t out = os ? os[i] : w->in[i] * w->s[i];
      if (out < 1 || out >= WIN_MAX_DIM)
        return nn_fail(k, DM_ERR_FORMAT, "output_shape[%d] = %lld out of range", i, (long long)out);
      split_pad(full - out, pm == PAD_SAME_UPPER, &w->pb[i], &w->pe[i]);
      w->out[i] = out;
    } else {
      if (pm == PAD_VALID) w->pb[i] = w->pe[i] = 0;
      w->out[i] = full - w->pb[i] - w->pe[i];
    }
    if (w->out[i] < 1)
      return nn_fail(k, DM_ERR_FORMAT, "output size %lld along spatial axis %d", (long long)w->out[i], i);
  }
  return DM_OK;
}

dm_status nn_win_parse(nn_kctx *k, const dm_nn_tensor *x, const int64_t *kern, nn_win_mode mode,
                       nn_win *w) {
  memset(w, 0, sizeof *w);
  if (x->ndim < 3)
    return nn_fail(k, DM_ERR_FORMAT, "input rank %d, expected [N, C, spatial...] (rank >= 3)", x->ndim);
  int n = x->ndim - 2;
  w->nsp = n;
  for (int i = 0; i < n; i++) {
    w->in[i] = x->dims[2 + i];
    if (w->in[i] < 1) return nn_fail(k, DM_ERR_FORMAT, "empty input along spatial axis %d", i);
  }
  size_t len;
  const int64_t *ks = nn_attr_ints(k->node, "kernel_shape", &len);
  if (!ks && !kern) return nn_fail(k, DM_ERR_FORMAT, "kernel_shape missing");
  if (ks && len != (size_t)n)
    return nn_fail(k, DM_ERR_FORMAT, "kernel_shape has %zu values for %d spatial axes", len, n);
  for (int i = 0; i < n; i++) {
    int64_t v = ks ? ks[i] : kern[i];
    if (v < 1 || v >= WIN_MAX_DIM)
      return nn_fail(k, DM_ERR_FORMAT, "kernel size %lld along spatial axis %d", (long long)v, i);
    if (kern && kern[i] != v)
      return nn_fail(k, DM_ERR_FORMAT, "kernel_shape[%d] = %lld but the weights have %lld", i,
                     (long long)v, (long long)kern[i]);
    w->k[i] = v;
  }
  dm_status s;
  int64_t pads[2 * NN_SP_MAX];
  if ((s = ints_attr(k, "strides", (size_t)n, 1, 1, w->s)) ||
      (s = ints_attr(k, "dilations", (size_t)n, 1, 1, w->d)) ||
      (s = ints_attr(k, "pads", 2 * (size_t)n, 0, 0, pads)))
    return s;
  for (int i = 0; i < n; i++) {
    w->pb[i] = pads[i];
    w->pe[i] = pads[n + i];
  }
  pad_mode pm = PAD_NOTSET;
  if ((s = auto_pad(k, &pm))) return s;
  if (mode == NN_WIN_TRANSPOSE) {
    if ((s = transpose_dims(k, pm, w))) return s;
  } else {
    int ceil_mode = mode == NN_WIN_POOL && nn_attr_int(k->node, "ceil_mode", 0) != 0;
    for (int i = 0; i < n; i++) {
      int64_t ext = (w->k[i] - 1) * w->d[i] + 1;
      if (pm == PAD_SAME_UPPER || pm == PAD_SAME_LOWER) {
        w->out[i] = (w->in[i] + w->s[i] - 1) / w->s[i];
        int64_t total = (w->out[i] - 1) * w->s[i] + ext - w->in[i];
        split_pad(total > 0 ? total : 0, pm == PAD_SAME_UPPER, &w->pb[i], &w->pe[i]);
        continue;
      }
      if (pm == PAD_VALID) w->pb[i] = w->pe[i] = 0;
      int64_t span = w->in[i] + w->pb[i] + w->pe[i] - ext;
      if (span < 0)
        return nn_fail(k, DM_ERR_FORMAT, "window %lld larger than the padded input %lld on axis %d",
                       (long long)ext, (long long)(w->in[i] + w->pb[i] + w->pe[i]), i);
      w->out[i] = (ceil_mode ? (span + w->s[i] - 1) : span) / w->s[i] + 1;
      /* ceil_mode never starts a window inside the end padding */
      if (ceil_mode && (w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i]) w->out[i]--;
    }
  }
  w->kprod = w->in_prod = w->out_prod = 1;
  for (int i = 0; i < n; i++) {
    if (w->out[i] < 1 || w->out[i] >= WIN_MAX_DIM)
      return nn_fail(k, DM_ERR_FORMAT, "output size %lld along spatial axis %d", (long long)w->out[i], i);
    w->kprod *= w->k[i];
    w->in_prod *= w->in[i];
    w->out_prod *= w->out[i];
    if (w->kprod > NN_MAX_ELEMS || w->in_prod > NN_MAX_ELEMS || w->out_prod > NN_MAX_ELEMS)
      return nn_fail(k, DM_ERR_FORMAT, "window or spatial size too large");
  }
  return DM_OK;
}

void nn_conv_set_output(dm_nn_tensor *y, const dm_nn_tensor *x, const nn_conv_shape *sh) {
  y->dtype = DM_NN_FLOAT;
  y->ndim = x->ndim;
  y->dims[0] = sh->n;
  y->dims[1] = sh->m;
  for (int i = 0; i < sh->w.nsp; i++) y->dims[2 + i] = sh->w.out[i];
}
