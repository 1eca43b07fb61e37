/* Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to
 * 2-D at `axis` (default 1) and each row of the flattened tail is
 * normalised; from 13 on only the one axis is (default -1). Either way the
 * work is [outer, D, inner]; inner == 1 (the attention case) runs on
 * contiguous rows with the vector exp. */
#include <math.h>

#include "nn/math_internal.h"

typedef enum { SM_SOFT, SM_LOG, SM_HARD } sm_kind;

typedef struct {
  sm_kind kind;
  const float *x;
  float *y;
  int64_t outer, d, inner;
} sm_job;

static float row_max(const float *x, int64_t d) {
  int64_t i = 0;
  float m = -INFINITY;
  if (d >= 4) {
    nn_v4f vm = nn_v4_load(x);
    for (i = 4; i + 4 <= d; i += 4) vm = nn_v4_max(vm, nn_v4_load(x + i));
    m = nn_v4_hmax(vm);
  }
  for (; i < d; i++) m = x[i] > m ? x[i] : m;
  return m;
}

/* y = exp(x - m); returns the sum. */
static float row_exp(const float *x, float *y, int64_t d, float m) {
  int64_t i = 0;
  nn_v4f vs = nn_v4_set1(0.0f);
  for (; i + 4 <= d; i += 4) {
    nn_v4f e = nn_v4_exp(nn_v4_load(x + i) - m);
    nn_v4_store(y + i, e);
    vs += e;
  }
  float s = nn_v4_hsum(vs);
  for (; i < d; i++) {
    y[i] = expf(x[i] - m);
    s += y[i];
  }
  return s;
}

void nn_softmax_row(const float *x, float *y, int64_t d, int vec8) {
  if (!vec8) {
    float m = row_max(x, d), r = 1.0f / row_exp(x, y, d, m);
    int64_t i = 0;
    for (; i + 4 <= d; i += 4) nn_v4_store(y + i, nn_v4_load(y + i) * r);
    for (; i < d; i++) y[i] *= r;
    return;
  }
  float m = nn_vmax8(x, d);
  nn_vscale8(y, d, 1.0f / nn_vexp_sub_sum8(x, y, d, m));
}

static void row(sm_kind kind, const float *x, float *y, int64_t d, int vec8) {
  if (kind == SM_SOFT) {
    nn_softmax_row(x, y, d, vec8);
    return;
  }
  float m = row_max(x, d);
  if (kind == SM_HARD) {
    int64_t at = 0;
    for (int64_t i = 0; i < d; i++)
      if (x[i] == m) {
        at = i;
        break;
      }
    memset(y, 0, (size_t)d * sizeof *y);
    if (d) y[at] = 1.0f;
    return;
  }
  const float sub = m + logf(row_exp(x, y, d, m));
  for (int64_t i = 0; i < d; i++) y[i] = x[i] - sub;
}

/* Strided case: columns of a [d, inner] slab, a block of columns at a time
 * so every pass reads whole cache lines. */
#define SM_COLS 256

static void slab(sm_kind kind, const float *x, float *y, int64_t d, int64_t inner, int64_t c0, int64_t c1) {
  float m[SM_COLS], s[SM_COLS];
  int64_t w = c1 - c0;
  for (int64_t c = 0; c < w; c++) m[c] = -INFINITY, s[c] = 0.0f;
  for (int64_t r = 0; r < d; r++)
    for (int64_t c = 0; c < w; c++) {
      float v = x[r * inner + c0 + c];
      if (v > m[c]) m[c] = v;
    }
  if (kind == SM_HARD) {
    for (int64_t c = 0; c < w; c++) s[c] = 0.0f; /* 1 once the first max is seen */
    for (int64_t r = 0; r < d; r++)
      for (int64_t c = 0; c < w; c++) {
        int first = s[c] == 0.0f && x[r * inner + c0 + c] == m[c];
        y[r * inner + c0 + c] = first ? 1.0f : 0.0f;
        if (first) s[c] = 1.0f;
      }
    return;
  }
  for (int64_t r = 0; r < d; r++)
    for (int64_t c = 0; c < w; c++) {
      float e = expf(x[r * inner + c0 + c] - m[c]);
      y[r * inner + c0 + c] = e;
      s[c] += e;
    }
  for (int64_t c = 0; c < w; c++) s[c] = kind == SM_SOFT ? 1.0f / s[c] : m[c] + logf(s[c]);
  for (int64_t r = 0; r < d; r++)
    for (int64_t c = 0; c < w; c++) {
      int64_t at = r * inner + c0 + c;
      y[at] = kind == SM_SOFT ? y[at] * s[c] : x[at] - s[c];
    }
}

static void sm_piece(void *user, int64_t u0, int64_t u1) {
  const sm_job *j = user;
  if (j->inner == 1) {
    const int vec8 = nn_vec8_ok();
    for (int64_t o = u0; o < u1; o++) row(j->kind, j->x + o * j->d, j->y + o * j->d, j->d, vec8);
    return;
  }
  int64_t blocks = (j->inner + SM_COLS - 1) / SM_COLS;
  for (int64_t u = u0; u < u1; u++) {
    int64_t o = u / blocks, c0 = (u % blocks) * SM_COLS, c1 = c0 + SM_COLS;
    if (c1 > j->inner) c1 = j->inner;
    int64_t base = o * j->d * j->inner;
    slab(j->kind, j->x + base, j->y + base, j->d, j->inner, c0, c1);
  }
}

static dm_status sm_layout(nn_kctx *k, int64_t *outer, int64_t *d, int64_t *inner) {
  const dm_nn_tensor *x = k->in[0];
  int legacy = k->opset < 13;
  int64_t a = nn_attr_int(k->node, "axis", legacy ? 1 : -1);
  int axis = nn_axis(a, x->ndim);
  if (axis < 0) return nn_fail(k, DM_ERR_FORMAT, "axis %lld is out of range for rank %d", (long long)a, x->ndim);
  *outer = *d = *inner = 1;
  for (int i = 0; i < x->ndim; i++) {
    if (i < axis) *outer *= x->dims[i];
    else if (i == axis || legacy) *d *= x->dims[i];
    else *inner *= x->dims[i];
  }
  return DM_OK;
}

static dm_status sm_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s != DM_OK) return s;
  int64_t outer, d, inner;
  s = sm_layout(k, &outer, &d, &inner);
  if (s != DM_OK) return s;
  *k->out[0] = *k->in[0];
  k->out[0]->data = NULL;
  return DM_OK;
}

static dm_status sm_run(nn_kctx *k, sm_kind kind) {
  sm_job j = {kind, k->in[0]->data, k->out[0]->data, 1, 1, 1};
  dm_status s = sm_layout(k, &j.outer, &j.d, &j.inner);
  if (s != DM_OK) return s;
  if (nn_numel(k->in[0]) == 0) return DM_OK;
  int64_t units = j.inner == 1 ? j.outer : j.outer * ((j.inner + SM_COLS - 1) / SM_COLS);
  int64_t per_unit = j.d * (j.inner == 1 ? 1 : (j.inner < SM_COLS ? j.inner : SM_COLS));
  int64_t min_units = NN_PAR_HEAVY / (per_unit ? per_unit : 1);
  nn_math_parallel(k->ctx, units, min_units > 0 ? min_units : 1, sm_piece, &j);
  return DM_OK;
}

#define SM_OP(sym, name, kind)                                              \
  static dm_status sym##_run(nn_kctx *k) { return sm_run(k, kind); }        \
  const nn_op nn_op_##sym = {name, 1, NN_MATH_OPSET_MAX, 0, sm_infer, NULL, sym##_run, NULL, NULL};

SM_OP(softmax, "Softmax", SM_SOFT)
SM_OP(log_softmax, "LogSoftmax", SM_LOG)
SM_OP(hardmax, "Hardmax", SM_HARD)
