/* Element-wise unary ops: activations and libm functions on float32 (a few
 * also on int32 / int64, Not on bool, Clip on the integer types too). Large
 * tensors are split over the pool; exp / erf heavy ones vectorised. */
#include <float.h>
#include <math.h>

#include "nn/math_internal.h"

typedef struct un_par {
  float alpha, beta, gamma;
} un_par;

typedef void (*un_fn)(const float *x, float *y, int64_t n, const un_par *p);

#define DEF_UN(name, EXPR)                                                   \
  static void name(const float *xs, float *ys, int64_t n, const un_par *p) { \
    (void)p;                                                                 \
    for (int64_t i = 0; i < n; i++) {                                        \
      const float x = xs[i];                                                 \
      ys[i] = (EXPR);                                                        \
    }                                                                        \
  }

/* Vector body over 4 lanes (v, result r) with the tail through a padded
 * vector; VEXPR may use p. */
#define DEF_UN_V4(name, VEXPR)                                               \
  static nn_v4f name##_v(nn_v4f v, const un_par *p) {                        \
    (void)p;                                                                 \
    return (VEXPR);                                                          \
  }                                                                          \
  static void name(const float *x, float *y, int64_t n, const un_par *p) {   \
    int64_t i = 0;                                                           \
    for (; i + 4 <= n; i += 4) nn_v4_store(y + i, name##_v(nn_v4_load(x + i), p)); \
    if (i < n) {                                                             \
      float buf[4] = {0, 0, 0, 0};                                           \
      memcpy(buf, x + i, (size_t)(n - i) * sizeof *x);                       \
      nn_v4_store(buf, name##_v(nn_v4_load(buf), p));                        \
      memcpy(y + i, buf, (size_t)(n - i) * sizeof *y);                       \
    }                                                                        \
  }

static inline float softplus1(float x) { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }
static inline float signf1(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x; /* 0 and NaN pass */ }

DEF_UN_V4(k_relu, nn_v4_select(v > 0.0f, v, nn_v4_set1(0.0f)))
DEF_UN_V4(k_sigmoid, 1.0f / (1.0f + nn_v4_exp(-v)))
DEF_UN_V4(k_exp, nn_v4_exp(v))
DEF_UN_V4(k_erf, nn_v4_erf(v))
DEF_UN_V4(k_gelu, 0.5f * v * (1.0f + nn_v4_erf(v * 0.707106781f)))
/* tanh(u) = 1 - 2 / (e^2u + 1): absolute error ~1e-7, plenty inside GELU. */
DEF_UN_V4(k_gelu_tanh,
          0.5f * v * (2.0f - 2.0f / (nn_v4_exp(1.59576912f * (v + 0.044715f * v * v * v)) + 1.0f)))
DEF_UN_V4(k_neg, -v)
DEF_UN(k_leaky_relu, x < 0.0f ? x * p->alpha : x)
DEF_UN(k_elu, x < 0.0f ? p->alpha * expm1f(x) : x)
DEF_UN(k_selu, x <= 0.0f ? p->gamma * p->alpha * expm1f(x) : p->gamma * x)
DEF_UN(k_celu, x < 0.0f ? p->alpha * expm1f(x / p->alpha) : x)
DEF_UN(k_hard_sigmoid, fmaxf(0.0f, fminf(1.0f, p->alpha * x + p->beta)))
DEF_UN(k_hard_swish, x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f)))
DEF_UN(k_thresholded_relu, x > p->alpha ? x : 0.0f)
DEF_UN(k_tanh, tanhf(x))
DEF_UN(k_log, logf(x))
DEF_UN(k_sqrt, sqrtf(x))
DEF_UN(k_reciprocal, 1.0f / x)
DEF_UN(k_abs, fabsf(x))
DEF_UN(k_floor, floorf(x))
DEF_UN(k_ceil, ceilf(x))
DEF_UN(k_round, rintf(x)) /* default rounding mode: halves to even, as ONNX asks */
DEF_UN(k_sign, signf1(x))
DEF_UN(k_softplus, softplus1(x))
DEF_UN(k_softsign, x / (1.0f + fabsf(x)))
DEF_UN(k_sin, sinf(x))
DEF_UN(k_cos, cosf(x))
DEF_UN(k_tan, tanf(x))
DEF_UN(k_asin, asinf(x))
DEF_UN(k_acos, acosf(x))
DEF_UN(k_atan, atanf(x))
DEF_UN(k_sinh, sinhf(x))
DEF_UN(k_cosh, coshf(x))
DEF_UN(k_asinh, asinhf(x))
DEF_UN(k_acosh, acoshf(x))
DEF_UN(k_atanh, atanhf(x))

typedef struct {
  un_fn fn;
  const float *x;
  float *y;
  un_par p;
} un_job;

static void un_piece(void *user, int64_t i0, int64_t i1) {
  const un_job *j = user;
  j->fn(j->x + i0, j->y + i0, i1 - i0, &j->p);
}

static void un_apply(nn_kctx *k, un_fn fn, const un_par *p, int heavy) {
  un_job j = {fn, k->in[0]->data, k->out[0]->data, *p};
  nn_math_parallel(k->ctx, nn_numel(k->in[0]), heavy ? NN_PAR_HEAVY : NN_PAR_CHEAP, un_piece, &j);
}

/* Output: the input's type and shape; `types` is a mask of 1 << dtype. */
static dm_status un_infer_types(nn_kctx *k, unsigned types) {
  if (!nn_has_in(k, 0) || !nn_has_out(k, 0)) return nn_fail(k, DM_ERR_FORMAT, "needs one input");
  dm_nn_dtype t = k->in[0]->dtype;
  if ((unsigned)t >= 32 || !(types & (1u << t)))
    return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype %s", dm_nn_dtype_name(t));
  k->out[0]->dtype = t;
  k->out[0]->ndim = k->in[0]->ndim;
  memcpy(k->out[0]->dims, k->in[0]->dims, sizeof k->out[0]->dims);
  return DM_OK;
}

#define T_F (1u << DM_NN_FLOAT)
#define T_INT ((1u << DM_NN_INT32) | (1u << DM_NN_INT64))

static dm_status un_infer_float(nn_kctx *k) { return un_infer_types(k, T_F); }

/* Attribute defaults per op; the attribute names are alpha, beta, gamma. */
#define UN_OP(sym, name, minv, fn, heavy, da, db, dg)                                  \
  static dm_status sym##_run(nn_kctx *k) {                                             \
    un_par p = {nn_attr_float(k->node, "alpha", da), nn_attr_float(k->node, "beta", db), \
                nn_attr_float(k->node, "gamma", dg)};                                  \
    un_apply(k, fn, &p, heavy);                                                        \
    return DM_OK;                                                                      \
  }                                                                                    \
  const nn_op nn_op_##sym = {name, minv, NN_MATH_OPSET_MAX, 0, un_infer_float, NULL, sym##_run, NULL, NULL};
#define UN_SIMPLE(sym, name, minv, fn, heavy) UN_OP(sym, name, minv, fn, heavy, 0.0f, 0.0f, 0.0f)

UN_SIMPLE(relu, "Relu", 1, k_relu, 0)
UN_OP(leaky_relu, "LeakyRelu", 1, k_leaky_relu, 0, 0.01f, 0.0f, 0.0f)
UN_OP(elu, "Elu", 1, k_elu, 1, 1.0f, 0.0f, 0.0f)
UN_OP(selu, "Selu", 1, k_selu, 1, 1.67326319217681884765625f, 0.0f, 1.05070102214813232421875f)
UN_OP(celu, "Celu", 12, k_celu, 1, 1.0f, 0.0f, 0.0f)
UN_OP(hard_sigmoid, "HardSigmoid", 1, k_hard_sigmoid, 0, 0.2f, 0.5f, 0.0f)
UN_SIMPLE(hard_swish, "HardSwish", 14, k_hard_swish, 0)
UN_OP(thresholded_relu, "ThresholdedRelu", 10, k_thresholded_relu, 0, 1.0f, 0.0f, 0.0f)
UN_SIMPLE(sigmoid, "Sigmoid", 1, k_sigmoid, 1)
UN_SIMPLE(tanh, "Tanh", 1, k_tanh, 1)
UN_SIMPLE(erf, "Erf", 9, k_erf, 1)
UN_SIMPLE(exp, "Exp", 1, k_exp, 1)
UN_SIMPLE(log, "Log", 1, k_log, 1)
UN_SIMPLE(sqrt, "Sqrt", 1, k_sqrt, 0)
UN_SIMPLE(reciprocal, "Reciprocal", 1, k_reciprocal, 0)
UN_SIMPLE(floor, "Floor", 1, k_floor, 0)
UN_SIMPLE(ceil, "Ceil", 1, k_ceil, 0)
UN_SIMPLE(round, "Round", 11, k_round, 0)
UN_SIMPLE(softplus, "Softplus", 1, k_softplus, 1)
UN_SIMPLE(softsign, "Softsign", 1, k_softsign, 0)
UN_SIMPLE(sin, "Sin", 7, k_sin, 1)
UN_SIMPLE(cos, "Cos", 7, k_cos, 1)
UN_SIMPLE(tan, "Tan", 7, k_tan, 1)
UN_SIMPLE(asin, "Asin", 7, k_asin, 1)
UN_SIMPLE(acos, "Acos", 7, k_acos, 1)
UN_SIMPLE(atan, "Atan", 7, k_atan, 1)
UN_SIMPLE(sinh, "Sinh", 9, k_sinh, 1)
UN_SIMPLE(cosh, "Cosh", 9, k_cosh, 1)
UN_SIMPLE(asinh, "Asinh", 9, k_asinh, 1)
UN_SIMPLE(acosh, "Acosh", 9, k_acosh, 1)
UN_SIMPLE(atanh, "Atanh", 9, k_atanh, 1)

/* Gelu (opset 20) is also what the planner fuses the spelled-out
 * x * 0.5 * (1 + erf(x / sqrt 2)) into, at any opset. */
static void k_gelu8(const float *x, float *y, int64_t n, const un_par *p) {
  (void)p;
  nn_vgelu8(x, y, n);
}

static dm_status gelu_infer(nn_kctx *k) {
  const char *a = nn_attr_string(k->node, "approximate", "none");
  if (strcmp(a, "none") && strcmp(a, "tanh"))
    return nn_fail(k, DM_ERR_FORMAT, "approximate is '%s', not 'none' or 'tanh'", a);
  return un_infer_float(k);
}

static dm_status gelu_run(nn_kctx *k) {
  un_par p = {0, 0, 0};
  int tanh_form = !strcmp(nn_attr_string(k->node, "approximate", "none"), "tanh");
  un_apply(k, tanh_form ? k_gelu_tanh : nn_vec8_ok() ? k_gelu8 : k_gelu, &p, 1);
  return DM_OK;
}

const nn_op nn_op_gelu = {"Gelu", 1, NN_MATH_OPSET_MAX, 0, gelu_infer, NULL, gelu_run, NULL, NULL};

/* ---- Neg / Abs / Sign also on int32 and int64 (shape arithmetic) ---- */

typedef enum { I_NEG, I_ABS, I_SIGN } int_un;

#define INT_UN_LOOP(T)                                                                   \
  do {                                                                                   \
    const T *x = k->in[0]->data;                                                         \
    T *y = k->out[0]->data;                                                              \
    for (int64_t i = 0; i < n; i++) {                                                    \
      T v = x[i];                                                                        \
      /* negate through unsigned: the most negative value wraps to itself */            \
      T neg = (T)(0 - (uint64_t)v);                                                      \
      y[i] = op == I_NEG ? neg : op == I_ABS ? (v < 0 ? neg : v) : (T)((v > 0) - (v < 0)); \
    }                                                                                    \
  } while (0)

static dm_status int_un_run(nn_kctx *k, int_un op, un_fn f) {
  int64_t n = nn_numel(k->in[0]);
  if (k->in[0]->dtype == DM_NN_INT32) INT_UN_LOOP(int32_t);
  else if (k->in[0]->dtype == DM_NN_INT64) INT_UN_LOOP(int64_t);
  else un_apply(k, f, &(un_par){0, 0, 0}, 0);
  return DM_OK;
}

static dm_status int_un_infer(nn_kctx *k) { return un_infer_types(k, T_F | T_INT); }

#define INT_UN_OP(sym, name, code, fn)                                        \
  static dm_status sym##_run(nn_kctx *k) { return int_un_run(k, code, fn); }  \
  const nn_op nn_op_##sym = {name, 1, NN_MATH_OPSET_MAX, 0, int_un_infer, NULL, sym##_run, NULL, NULL};

INT_UN_OP(neg, "Neg", I_NEG, k_neg)
INT_UN_OP(abs, "Abs", I_ABS, k_abs)
INT_UN_OP(sign, "Sign", I_SIGN, k_sign)

/* ---- Not ---- */

static dm_status not_infer(nn_kctx *k) { return un_infer_types(k, 1u << DM_NN_BOOL); }

static dm_status not_run(nn_kctx *k) {
  const uint8_t *x = k->in[0]->data;
  uint8_t *y = k->out[0]->data;
  for (int64_t i = 0, n = nn_numel(k->in[0]); i < n; i++) y[i] = !x[i];
  return DM_OK;
}

const nn_op nn_op_not = {"Not", 1, NN_MATH_OPSET_MAX, 0, not_infer, NULL, not_run, NULL, NULL};

/* ---- Clip: bounds are attributes before opset 11, optional scalar inputs
 * from 11 on ---- */

#define T_CLIP (T_F | T_INT | (1u << DM_NN_INT8) | (1u << DM_NN_UINT8))

static dm_status clip_infer(nn_kctx *k) {
  dm_status s = un_infer_types(k, k->opset < 11 ? T_F : T_CLIP);
  if (s != DM_OK || k->opset < 11) return s;
  for (int i = 1; i <= 2; i++) {
    if (!nn_has_in(k, i)) continue;
    if (k->in[i]->dtype != k->in[0]->dtype || nn_numel(k->in[i]) != 1)
      return nn_fail(k, DM_ERR_FORMAT, "%s must be a %s scalar", i == 1 ? "min" : "max",
                     dm_nn_dtype_name(k->in[0]->dtype));
  }
  return DM_OK;
}

/* min applied before max, so min > max gives max everywhere (as ONNX says). */
#define CLIP_LOOP(T, LO, HI)                                                  \
  do {                                                                        \
    const T *x = k->in[0]->data;                                              \
    T *y = k->out[0]->data;                                                   \
    T lo = nn_has_in(k, 1) ? *(const T *)k->in[1]->data : (LO);               \
    T hi = nn_has_in(k, 2) ? *(const T *)k->in[2]->data : (HI);               \
    for (int64_t i = 0; i < n; i++) {                                         \
      T v = x[i] < lo ? lo : x[i];                                            \
      y[i] = v > hi ? hi : v;                                                 \
    }                                                                         \
  } while (0)

typedef struct {
  const float *x;
  float *y;
  float lo, hi;
} clip_job;

static void clip_piece(void *user, int64_t i0, int64_t i1) {
  const clip_job *j = user;
  const nn_v4f lo = nn_v4_set1(j->lo), hi = nn_v4_set1(j->hi);
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    nn_v4f v = nn_v4_load(j->x + i);
    v = nn_v4_select(v < lo, lo, v);
    nn_v4_store(j->y + i, nn_v4_select(v > hi, hi, v));
  }
  for (; i < i1; i++) {
    float v = j->x[i] < j->lo ? j->lo : j->x[i];
    j->y[i] = v > j->hi ? j->hi : v;
  }
}

static dm_status clip_run(nn_kctx *k) {
  int64_t n = nn_numel(k->in[0]);
  switch (k->in[0]->dtype) {
  case DM_NN_FLOAT: {
    clip_job j = {k->in[0]->data, k->out[0]->data, -INFINITY, INFINITY};
    if (k->opset < 11) {
      j.lo = nn_attr_float(k->node, "min", -FLT_MAX);
      j.hi = nn_attr_float(k->node, "max", FLT_MAX);
    } else {
      if (nn_has_in(k, 1)) j.lo = *(const float *)k->in[1]->data;
      if (nn_has_in(k, 2)) j.hi = *(const float *)k->in[2]->data;
    }
    nn_math_parallel(k->ctx, n, NN_PAR_CHEAP, clip_piece, &j);
    break;
  }
  case DM_NN_INT32: CLIP_LOOP(int32_t, INT32_MIN, INT32_MAX); break;
  case DM_NN_INT64: CLIP_LOOP(int64_t, INT64_MIN, INT64_MAX); break;
  case DM_NN_INT8: CLIP_LOOP(int8_t, INT8_MIN, INT8_MAX); break;
  case DM_NN_UINT8: CLIP_LOOP(uint8_t, 0, UINT8_MAX); break;
  default: return nn_fail(k, DM_ERR_FORMAT, "unsupported dtype");
  }
  return DM_OK;
}

const nn_op nn_op_clip = {"Clip", 1, NN_MATH_OPSET_MAX, 0, clip_infer, NULL, clip_run, NULL, NULL};
