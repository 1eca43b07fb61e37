/* Cast and CastLike between float32, float64, int64, int32, int8, uint8 and
 * bool.
 *
 * float16 has no runtime type: the loader widens it to float32, so a cast
 * *to* float16 yields float32 holding values rounded to half precision, and
 * a cast *from* it is a float32 copy. Float to integer truncates toward
 * zero and saturates (NaN -> 0): ONNX leaves out-of-range values undefined
 * and C would too. */
#include <math.h>
#include <string.h>

#include "core/pool.h"
#include "nn/ops_tensor.h"

static int runtime_type(int64_t t) {
  switch (t) {
  case DM_NN_FLOAT: case DM_NN_DOUBLE: case DM_NN_INT64: case DM_NN_INT32:
  case DM_NN_INT8: case DM_NN_UINT8: case DM_NN_BOOL: case DM_NN_FLOAT16:
    return 1;
  default:
    return 0;
  }
}

/* double -> float rounded to odd, so that a second rounding to half gives
 * the correctly rounded double -> half result (float keeps 13 spare bits). */
static float to_float_odd(double d) {
  float f = (float)d;
  if ((double)f == d || !isfinite(f)) return f;
  if (fabs((double)f) > fabs(d)) f = nextafterf(f, 0.0f);
  uint32_t b;
  memcpy(&b, &f, 4);
  b |= 1;
  memcpy(&f, &b, 4);
  return f;
}

/* f rounded to the nearest float16 value (ties to even), kept as float:
 * nn_half_to_float(nn_float_to_half(f)) without the branches, since ISNet
 * casts every resized feature map to float16. */
static inline float round_half(float f) {
  uint32_t b, a;
  memcpy(&b, &f, 4);
  a = b & 0x7fffffffu;
  if (a >= 0x477ff000u) {          /* >= 65520: rounds to infinity (NaN stays) */
    if (a <= 0x7f800000u) a = 0x7f800000u;
  } else if (a >= 0x38800000u) {   /* normal half: keep 10 mantissa bits */
    a = (a + 0x0fffu + ((a >> 13) & 1)) & ~0x1fffu;
  } else {                         /* subnormal half: multiples of 2^-24 */
    float x;
    memcpy(&x, &a, 4);
    x = (x + 0.5f) - 0.5f;         /* in [0.5, 1) floats are 2^-24 apart */
    memcpy(&a, &x, 4);
  }
  b = (b & 0x80000000u) | a;
  memcpy(&f, &b, 4);
  return f;
}

/* round_half on 4 lanes at once, branch-free (GCC/clang vector extension;
 * vector casts between same-size types reinterpret the bits). */
typedef int32_t rh_i4 __attribute__((vector_size(16)));
typedef uint32_t rh_u4 __attribute__((vector_size(16)));
typedef float rh_f4 __attribute__((vector_size(16)));

static void round_half_n(const float *s, float *d, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    rh_i4 b, a, normal, sub, big, m;
    memcpy(&b, s + i, 16);
    a = b & 0x7fffffff;
    rh_u4 ua = (rh_u4)a; /* the rounding add may pass 2^31 for NaNs: unsigned */
    normal = (rh_i4)((ua + 0x0fffu + ((ua >> 13) & 1u)) & ~0x1fffu);
    rh_f4 x = (rh_f4)a;
    x = (x + 0.5f) - 0.5f;
    sub = (rh_i4)x;
    /* compares give -1 / 0 per lane; a < 2^31, so signed compares are right */
    m = a >= 0x38800000;
    rh_i4 r = (normal & m) | (sub & ~m);
    m = a > 0x7f800000;                       /* NaN stays */
    big = (a & m) | (0x7f800000 & ~m);
    m = a >= 0x477ff000;
    r = (big & m) | (r & ~m);
    r |= b & (rh_i4){INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
    memcpy(d + i, &r, 16);
  }
  for (; i < n; i++) d[i] = round_half(s[i]);
}

static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9223372036854775808.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)v;
}
static double sat_d(double v, double lo, double hi) {
  if (v != v) return 0;
  return v < lo ? lo : (v > hi ? hi : v);
}

/* Source read as S, written through the destination's rule. Integer
 * sources keep int64 precision; floating ones go through double. */
#define CAST_TO(S, IS_FP)                                                                      \
  static void cast_from_##S(const S *s, void *dst, int to, int64_t n) {                       \
    switch (to) {                                                                              \
    case DM_NN_FLOAT: { float *d = dst; for (int64_t i = 0; i < n; i++) d[i] = (float)s[i]; break; } \
    case DM_NN_FLOAT16: {                                                                      \
      float *d = dst;                                                                          \
      for (int64_t i = 0; i < n; i++) d[i] = round_half(to_float_odd((double)s[i]));          \
      break;                                                                                   \
    }                                                                                          \
    case DM_NN_DOUBLE: { double *d = dst; for (int64_t i = 0; i < n; i++) d[i] = (double)s[i]; break; } \
    case DM_NN_BOOL: { uint8_t *d = dst; for (int64_t i = 0; i < n; i++) d[i] = s[i] != 0; break; } \
    case DM_NN_INT64: {                                                                        \
      int64_t *d = dst;                                                                        \
      for (int64_t i = 0; i < n; i++) d[i] = IS_FP ? sat_i64((double)s[i]) : (int64_t)s[i];    \
      break;                                                                                   \
    }                                                                                          \
    case DM_NN_INT32: {                                                                        \
      int32_t *d = dst;                                                                        \
      for (int64_t i = 0; i < n; i++)                                                          \
        d[i] = IS_FP ? (int32_t)sat_d(trunc((double)s[i]), INT32_MIN, INT32_MAX) : (int32_t)(int64_t)s[i]; \
      break;                                                                                   \
    }                                                                                          \
    case DM_NN_INT8: {                                                                         \
      int8_t *d = dst;                                                                         \
      for (int64_t i = 0; i < n; i++)                                                          \
        d[i] = IS_FP ? (int8_t)sat_d(trunc((double)s[i]), INT8_MIN, INT8_MAX) : (int8_t)(int64_t)s[i]; \
      break;                                                                                   \
    }                                                                                          \
    case DM_NN_UINT8: {                                                                        \
      uint8_t *d = dst;                                                                        \
      for (int64_t i = 0; i < n; i++)                                                          \
        d[i] = IS_FP ? (uint8_t)sat_d(trunc((double)s[i]), 0, UINT8_MAX) : (uint8_t)(int64_t)s[i]; \
      break;                                                                                   \
    }                                                                                          \
    }                                                                                          \
  }

CAST_TO(float, 1)
CAST_TO(double, 1)
CAST_TO(int64_t, 0)
CAST_TO(int32_t, 0)
CAST_TO(int8_t, 0)
CAST_TO(uint8_t, 0)

/* Target type: the 'to' attribute (Cast) or the second input's type
 * (CastLike). A CastLike target declared float16 in the file arrives as
 * float32; its declared type tells the two apart. */
static dm_status target(nn_kctx *k, int *to) {
  if (!nn_in(k, 0) || k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs an input and an output");
  int64_t t;
  if (!strcmp(k->node->op_type, "CastLike")) {
    if (!nn_in(k, 1)) return nn_fail(k, DM_ERR_FORMAT, "input 'target_type' is missing");
    t = k->in[1]->dtype;
    int v = k->node->in && k->node->n_in > 1 ? k->node->in[1] : -1;
    if (k->graph && v >= 0 && v < k->graph->n_values && k->graph->values[v].decl_dtype == DM_NN_FLOAT16)
      t = DM_NN_FLOAT16;
  } else {
    const nn_attr *a = nn_attr_find(k->node, "to");
    if (!a || a->type != NN_ATTR_INT) return nn_fail(k, DM_ERR_FORMAT, "attribute 'to' is required");
    t = a->i;
  }
  if (!runtime_type(t)) return nn_fail(k, DM_ERR_FORMAT, "unsupported element type %lld as the target", (long long)t);
  if (!runtime_type(k->in[0]->dtype))
    return nn_fail(k, DM_ERR_FORMAT, "unsupported element type %s", dm_nn_dtype_name(k->in[0]->dtype));
  *to = (int)t;
  return DM_OK;
}

static dm_status cast_infer(nn_kctx *k) {
  int to;
  dm_status s = target(k, &to);
  if (s != DM_OK) return s;
  nn_set_shape(k->out[0], to == DM_NN_FLOAT16 ? DM_NN_FLOAT : (dm_nn_dtype)to, k->in[0]->ndim, k->in[0]->dims);
  return DM_OK;
}

typedef struct cast_job {
  const unsigned char *src;
  unsigned char *dst;
  int from, to;
  size_t es_from, es_to;
  int64_t n;
} cast_job;

static void cast_part(void *user, int ith, int nth) {
  const cast_job *j = user;
  int64_t i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth, n = i1 - i0;
  const void *s = j->src + (size_t)i0 * j->es_from;
  void *d = j->dst + (size_t)i0 * j->es_to;
  if (n <= 0) return;
  if (j->from == DM_NN_FLOAT && j->to == DM_NN_FLOAT16) { /* the hot one */
    round_half_n(s, d, n);
    return;
  }
  switch (j->from) {
  case DM_NN_FLOAT: cast_from_float(s, d, j->to, n); break;
  case DM_NN_DOUBLE: cast_from_double(s, d, j->to, n); break;
  case DM_NN_INT64: cast_from_int64_t(s, d, j->to, n); break;
  case DM_NN_INT32: cast_from_int32_t(s, d, j->to, n); break;
  case DM_NN_INT8: cast_from_int8_t(s, d, j->to, n); break;
  default: cast_from_uint8_t(s, d, j->to, n); break; /* uint8, bool */
  }
}

static dm_status cast_run(nn_kctx *k) {
  int to;
  dm_status s = target(k, &to);
  if (s != DM_OK) return s;
  const dm_nn_tensor *x = k->in[0];
  int from = x->dtype == DM_NN_FLOAT16 ? DM_NN_FLOAT : x->dtype; /* never at runtime */
  if (from == to) {
    nn_copy_whole(k, x, k->out[0]);
    return DM_OK;
  }
  cast_job j = {x->data, k->out[0]->data, from, to, dm_nn_dtype_size(from),
                dm_nn_dtype_size(k->out[0]->dtype), nn_numel(x)};
  if (j.n >= ((int64_t)1 << 16) && k->ctx && k->ctx->pool) dm_parallel(k->ctx, cast_part, &j);
  else cast_part(&j, 0, 1);
  return DM_OK;
}

const nn_op nn_op_cast = {"Cast", 6, NN_TENSOR_OPSET_MAX, 0, cast_infer, NULL, cast_run, NULL, NULL};
const nn_op nn_op_cast_like = {"CastLike", 15, NN_TENSOR_OPSET_MAX, 0, cast_infer, NULL, cast_run, NULL, NULL};
