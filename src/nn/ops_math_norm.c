/* Normalisations: LayerNormalization (opset 17), InstanceNormalization and
 * LpNormalization. Means and variances are two-pass (mean first, then the
 * squared deviations), which keeps float32 accurate for offset data. */
#include <math.h>

#include "nn/math_internal.h"

static float vsum(const float *x, int64_t n) {
  nn_v4f acc = nn_v4_set1(0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) acc += nn_v4_load(x + i);
  float s = nn_v4_hsum(acc);
  for (; i < n; i++) s += x[i];
  return s;
}

static float vsqdev(const float *x, int64_t n, float mean) {
  nn_v4f acc = nn_v4_set1(0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    nn_v4f d = nn_v4_load(x + i) - mean;
    acc += d * d;
  }
  float s = nn_v4_hsum(acc);
  for (; i < n; i++) s += (x[i] - mean) * (x[i] - mean);
  return s;
}

/* ---- LayerNormalization ---- */

typedef struct {
  const float *x, *scale, *bias; /* scale / bias: D values (bias may be NULL) */
  float *y, *mean, *inv;         /* mean / inv may be NULL */
  int64_t d;
  float eps;
} ln_job;

static void ln_piece(void *user, int64_t r0, int64_t r1) {
  const ln_job *j = user;
  const int64_t d = j->d;
  for (int64_t r = r0; r < r1; r++) {
    const float *x = j->x + r * d;
    float *y = j->y + r * d;
    float mean = d ? vsum(x, d) / (float)d : 0.0f;
    float inv = 1.0f / sqrtf((d ? vsqdev(x, d, mean) / (float)d : 0.0f) + j->eps);
    if (j->mean) j->mean[r] = mean;
    if (j->inv) j->inv[r] = inv;
    int64_t i = 0;
    if (j->bias) {
      for (; i + 4 <= d; i += 4)
        nn_v4_store(y + i, (nn_v4_load(x + i) - mean) * inv * nn_v4_load(j->scale + i) + nn_v4_load(j->bias + i));
      for (; i < d; i++) y[i] = (x[i] - mean) * inv * j->scale[i] + j->bias[i];
    } else {
      for (; i + 4 <= d; i += 4) nn_v4_store(y + i, (nn_v4_load(x + i) - mean) * inv * nn_v4_load(j->scale + i));
      for (; i < d; i++) y[i] = (x[i] - mean) * inv * j->scale[i];
    }
  }
}

/* The normalised tail dims[axis:] as a tensor shape. */
static void ln_tail(const dm_nn_tensor *x, int axis, dm_nn_tensor *tail, int64_t *rows, int64_t *d) {
  memset(tail, 0, sizeof *tail);
  tail->dtype = DM_NN_FLOAT;
  tail->ndim = x->ndim - axis;
  *rows = *d = 1;
  for (int i = 0; i < x->ndim; i++) {
    if (i < axis) *rows *= x->dims[i];
    else *d *= (tail->dims[i - axis] = x->dims[i]);
  }
}

static dm_status ln_axis(nn_kctx *k, int *axis) {
  int64_t a = nn_attr_int(k->node, "axis", -1);
  *axis = nn_axis(a, k->in[0]->ndim);
  if (*axis < 0)
    return nn_fail(k, DM_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)a, k->in[0]->ndim);
  return DM_OK;
}

static dm_status ln_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s == DM_OK) s = nn_math_need_float(k, 1);
  if (s == DM_OK && nn_has_in(k, 2)) s = nn_math_need_float(k, 2);
  int axis;
  if (s == DM_OK) s = ln_axis(k, &axis);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  dm_nn_tensor tail, b;
  int64_t rows, d;
  ln_tail(x, axis, &tail, &rows, &d);
  for (int i = 1; i <= 2; i++) {
    if (!nn_has_in(k, i)) continue;
    if (!nn_broadcast_shape(&tail, k->in[i], &b) || b.ndim != tail.ndim ||
        memcmp(b.dims, tail.dims, (size_t)b.ndim * sizeof b.dims[0])) {
      char st[160], si[160];
      return nn_fail(k, DM_ERR_FORMAT, "%s %s does not broadcast to the normalised shape %s",
                     i == 1 ? "Scale" : "B", nn_shape_str(k->in[i], si, sizeof si), nn_shape_str(&tail, st, sizeof st));
    }
  }
  *k->out[0] = *x;
  k->out[0]->data = NULL;
  for (int o = 1; o <= 2; o++) {
    if (!nn_has_out(k, o)) continue;
    dm_nn_tensor *t = k->out[o];
    t->dtype = DM_NN_FLOAT;
    t->ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++) t->dims[i] = i < axis ? x->dims[i] : 1;
  }
  return DM_OK;
}

/* Scale or B not already D values long are expanded into scratch. */
static dm_status ln_prepare(nn_kctx *k) {
  int axis;
  dm_status s = ln_axis(k, &axis);
  if (s != DM_OK) return s;
  dm_nn_tensor tail;
  int64_t rows, d;
  ln_tail(k->in[0], axis, &tail, &rows, &d);
  size_t need = 0;
  for (int i = 1; i <= 2; i++)
    if (nn_has_in(k, i) && nn_numel(k->in[i]) != d) need += (size_t)d * sizeof(float);
  k->node->scratch = need;
  return DM_OK;
}

static dm_status ln_run(nn_kctx *k) {
  int axis;
  dm_status s = ln_axis(k, &axis);
  if (s != DM_OK) return s;
  dm_nn_tensor tail;
  ln_job j = {k->in[0]->data, NULL, NULL, k->out[0]->data, NULL, NULL, 0, nn_attr_float(k->node, "epsilon", 1e-5f)};
  int64_t rows;
  ln_tail(k->in[0], axis, &tail, &rows, &j.d);
  float *scratch = k->scratch;
  const float **dst[3] = {NULL, &j.scale, &j.bias};
  for (int i = 1; i <= 2; i++) {
    if (!nn_has_in(k, i)) continue;
    if (nn_numel(k->in[i]) == j.d) {
      *dst[i] = k->in[i]->data;
      continue;
    }
    if (!scratch) return nn_fail(k, DM_ERR_INTERNAL, "scratch for the broadcast Scale / B is missing");
    nn_bcast_copy(k->ctx, k->in[i], &tail, scratch);
    *dst[i] = scratch;
    scratch += j.d;
  }
  if (nn_has_out(k, 1)) j.mean = k->out[1]->data;
  if (nn_has_out(k, 2)) j.inv = k->out[2]->data;
  int64_t min_rows = NN_PAR_CHEAP / (j.d ? j.d : 1);
  nn_math_parallel(k->ctx, rows, min_rows > 0 ? min_rows : 1, ln_piece, &j);
  return DM_OK;
}

const nn_op nn_op_layer_norm = {"LayerNormalization", 17, NN_MATH_OPSET_MAX, 0, ln_infer, ln_prepare, ln_run, NULL, NULL};

/* ---- InstanceNormalization: per (n, c) over the spatial dims ---- */

typedef struct {
  const float *x, *scale, *bias;
  float *y;
  int64_t c, d;
  float eps;
} in_job;

static void in_piece(void *user, int64_t r0, int64_t r1) {
  const in_job *j = user;
  for (int64_t r = r0; r < r1; r++) {
    const float *x = j->x + r * j->d;
    float *y = j->y + r * j->d;
    float mean = j->d ? vsum(x, j->d) / (float)j->d : 0.0f;
    float inv = 1.0f / sqrtf((j->d ? vsqdev(x, j->d, mean) / (float)j->d : 0.0f) + j->eps);
    float a = j->scale[r % j->c] * inv, b = j->bias[r % j->c] - mean * a;
    for (int64_t i = 0; i < j->d; i++) y[i] = x[i] * a + b;
  }
}

static dm_status in_infer(nn_kctx *k) {
  dm_status s = DM_OK;
  for (int i = 0; i < 3 && s == DM_OK; i++) s = nn_math_need_float(k, i);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  if (x->ndim < 2) return nn_fail(k, DM_ERR_FORMAT, "input has rank %d, needs N and C", x->ndim);
  for (int i = 1; i <= 2; i++)
    if (k->in[i]->ndim != 1 || k->in[i]->dims[0] != x->dims[1])
      return nn_fail(k, DM_ERR_FORMAT, "%s must have C = %lld values", i == 1 ? "scale" : "B", (long long)x->dims[1]);
  *k->out[0] = *x;
  k->out[0]->data = NULL;
  return DM_OK;
}

static dm_status in_run(nn_kctx *k) {
  const dm_nn_tensor *x = k->in[0];
  in_job j = {x->data, k->in[1]->data, k->in[2]->data, k->out[0]->data, x->dims[1], 1,
              nn_attr_float(k->node, "epsilon", 1e-5f)};
  for (int i = 2; i < x->ndim; i++) j.d *= x->dims[i];
  int64_t rows = x->dims[0] * x->dims[1];
  if (j.c == 0 || rows == 0) return DM_OK;
  int64_t min_rows = NN_PAR_CHEAP / (j.d ? j.d : 1);
  nn_math_parallel(k->ctx, rows, min_rows > 0 ? min_rows : 1, in_piece, &j);
  return DM_OK;
}

const nn_op nn_op_instance_norm = {"InstanceNormalization", 1, NN_MATH_OPSET_MAX, 0, in_infer, NULL, in_run, NULL, NULL};

/* ---- LpNormalization: x / ||x||_p along one axis, p = 1 or 2 ---- */

static dm_status lp_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s != DM_OK) return s;
  int64_t a = nn_attr_int(k->node, "axis", -1), p = nn_attr_int(k->node, "p", 2);
  if (nn_axis(a, k->in[0]->ndim) < 0)
    return nn_fail(k, DM_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)a, k->in[0]->ndim);
  if (p != 1 && p != 2) return nn_fail(k, DM_ERR_FORMAT, "p is %lld, not 1 or 2", (long long)p);
  *k->out[0] = *k->in[0];
  k->out[0]->data = NULL;
  return DM_OK;
}

static dm_status lp_run(nn_kctx *k) {
  const dm_nn_tensor *xt = k->in[0];
  int axis = nn_axis(nn_attr_int(k->node, "axis", -1), xt->ndim);
  int p = (int)nn_attr_int(k->node, "p", 2);
  int64_t outer = 1, d = xt->dims[axis], inner = 1;
  for (int i = 0; i < xt->ndim; i++) {
    if (i < axis) outer *= xt->dims[i];
    if (i > axis) inner *= xt->dims[i];
  }
  const float *x = xt->data;
  float *y = k->out[0]->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t c = 0; c < inner; c++) {
      const int64_t base = o * d * inner + c;
      double n = 0.0;
      for (int64_t r = 0; r < d; r++) {
        double v = x[base + r * inner];
        n += p == 1 ? fabs(v) : v * v;
      }
      float norm = (float)(p == 1 ? n : sqrt(n));
      for (int64_t r = 0; r < d; r++) y[base + r * inner] = x[base + r * inner] / norm;
    }
  return DM_OK;
}

const nn_op nn_op_lp_norm = {"LpNormalization", 1, NN_MATH_OPSET_MAX, 0, lp_infer, NULL, lp_run, NULL, NULL};
