/* Element kernels of the binary ops, one per (op, element types), each with
 * the four stride cases spelled out so the common loops stay simple. Integer
 * arithmetic wraps (as two's complement hardware does) instead of being
 * undefined, and integer division by zero gives 0 rather than a trap. */
#include <math.h>

#include "nn/math_internal.h"

typedef uint8_t nn_bool;

#define BIN_SIG(name) static void name(const void *pa, int sa, const void *pb, int sb, void *po, int64_t n)

/* EXPR reads x (from a) and y (from b). */
#define DEF_BIN(name, TA, TB, TO, EXPR)                                   \
  BIN_SIG(name) {                                                         \
    const TA *a = pa;                                                     \
    const TB *b = pb;                                                     \
    TO *o = po;                                                           \
    if (sa && sb) {                                                       \
      for (int64_t i = 0; i < n; i++) {                                   \
        const TA x = a[i];                                                \
        const TB y = b[i];                                                \
        o[i] = (TO)(EXPR);                                                \
      }                                                                   \
    } else if (sa) {                                                      \
      const TB y = b[0];                                                  \
      for (int64_t i = 0; i < n; i++) {                                   \
        const TA x = a[i];                                                \
        o[i] = (TO)(EXPR);                                                \
      }                                                                   \
    } else if (sb) {                                                      \
      const TA x = a[0];                                                  \
      for (int64_t i = 0; i < n; i++) {                                   \
        const TB y = b[i];                                                \
        o[i] = (TO)(EXPR);                                                \
      }                                                                   \
    } else {                                                              \
      const TA x = a[0];                                                  \
      const TB y = b[0];                                                  \
      const TO v = (TO)(EXPR);                                            \
      for (int64_t i = 0; i < n; i++) o[i] = v;                           \
    }                                                                     \
  }

/* float32 + - * / four lanes at a time. */
#define DEF_BIN_F32V(name, OP)                                                            \
  BIN_SIG(name) {                                                                         \
    const float *a = pa, *b = pb;                                                         \
    float *o = po;                                                                        \
    int64_t i = 0;                                                                        \
    if (sa && sb) {                                                                       \
      for (; i + 4 <= n; i += 4) nn_v4_store(o + i, nn_v4_load(a + i) OP nn_v4_load(b + i)); \
      for (; i < n; i++) o[i] = a[i] OP b[i];                                             \
    } else if (sa) {                                                                      \
      const float y = b[0];                                                               \
      const nn_v4f vy = nn_v4_set1(y);                                                    \
      for (; i + 4 <= n; i += 4) nn_v4_store(o + i, nn_v4_load(a + i) OP vy);             \
      for (; i < n; i++) o[i] = a[i] OP y;                                                \
    } else if (sb) {                                                                      \
      const float x = a[0];                                                               \
      const nn_v4f vx = nn_v4_set1(x);                                                    \
      for (; i + 4 <= n; i += 4) nn_v4_store(o + i, vx OP nn_v4_load(b + i));             \
      for (; i < n; i++) o[i] = x OP b[i];                                                \
    } else {                                                                              \
      const float v = a[0] OP b[0];                                                       \
      for (; i < n; i++) o[i] = v;                                                        \
    }                                                                                     \
  }

static inline int64_t wadd(int64_t x, int64_t y) { return (int64_t)((uint64_t)x + (uint64_t)y); }
static inline int64_t wsub(int64_t x, int64_t y) { return (int64_t)((uint64_t)x - (uint64_t)y); }
static inline int64_t wmul(int64_t x, int64_t y) { return (int64_t)((uint64_t)x * (uint64_t)y); }
static inline int64_t idiv(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return wsub(0, x);
  return x / y;
}
/* Sign of the divisor (Python %), as Mod with fmod=0. */
static inline int64_t imod(int64_t x, int64_t y) {
  if (y == 0 || y == -1) return 0;
  int64_t r = x % y;
  return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}
static inline int64_t ifmod(int64_t x, int64_t y) { return y == 0 || y == -1 ? 0 : x % y; }
static inline float fmodpy(float x, float y) {
  float r = fmodf(x, y);
  return r != 0.0f && ((r < 0.0f) != (y < 0.0f)) ? r + y : r;
}
static inline int64_t ipow(int64_t x, int64_t e) {
  if (e < 0) return x == 1 ? 1 : x == -1 ? ((e & 1) ? -1 : 1) : 0;
  uint64_t r = 1, b = (uint64_t)x;
  for (uint64_t u = (uint64_t)e; u; u >>= 1) {
    if (u & 1) r *= b;
    b *= b;
  }
  return (int64_t)r;
}
static inline int64_t d2i(double v) {
  if (v != v) return 0;
  if (v >= 9.2e18) return INT64_MAX;
  if (v <= -9.2e18) return INT64_MIN;
  return (int64_t)v;
}
static inline float fmaxnan(float x, float y) { return (x > y || x != x) ? x : y; }
static inline float fminnan(float x, float y) { return (x < y || x != x) ? x : y; }

/* ---- float32 ---- */
DEF_BIN_F32V(f_add, +)
DEF_BIN_F32V(f_sub, -)
DEF_BIN_F32V(f_mul, *)
DEF_BIN_F32V(f_div, /)
DEF_BIN(f_max, float, float, float, fmaxnan(x, y))
DEF_BIN(f_min, float, float, float, fminnan(x, y))
DEF_BIN(f_mod, float, float, float, fmodpy(x, y))
DEF_BIN(f_fmod, float, float, float, fmodf(x, y))
DEF_BIN(f_prelu, float, float, float, x < 0.0f ? x * y : x)
DEF_BIN(f_eq, float, float, nn_bool, x == y)
DEF_BIN(f_lt, float, float, nn_bool, x < y)
DEF_BIN(f_gt, float, float, nn_bool, x > y)
DEF_BIN(f_le, float, float, nn_bool, x <= y)
DEF_BIN(f_ge, float, float, nn_bool, x >= y)
DEF_BIN(f_powf, float, float, float, powf(x, y))

/* x^2 (LayerNorm spelled out as ops) is common enough to skip powf. */
BIN_SIG(f_pow) {
  if (sa && !sb && *(const float *)pb == 2.0f) {
    f_mul(pa, 1, pa, 1, po, n);
    return;
  }
  f_powf(pa, sa, pb, sb, po, n);
}

/* ---- integers: T is int8_t, uint8_t, int32_t or int64_t ---- */
#define DEF_INT(P, T)                                                           \
  DEF_BIN(P##_add, T, T, T, wadd(x, y))                                         \
  DEF_BIN(P##_sub, T, T, T, wsub(x, y))                                         \
  DEF_BIN(P##_mul, T, T, T, wmul(x, y))                                         \
  DEF_BIN(P##_div, T, T, T, idiv(x, y))                                         \
  DEF_BIN(P##_mod, T, T, T, imod(x, y))                                         \
  DEF_BIN(P##_fmod, T, T, T, ifmod(x, y))                                       \
  DEF_BIN(P##_max, T, T, T, x > y ? x : y)                                      \
  DEF_BIN(P##_min, T, T, T, x < y ? x : y)                                      \
  DEF_BIN(P##_eq, T, T, nn_bool, x == y)                                        \
  DEF_BIN(P##_lt, T, T, nn_bool, x < y)                                         \
  DEF_BIN(P##_gt, T, T, nn_bool, x > y)                                         \
  DEF_BIN(P##_le, T, T, nn_bool, x <= y)                                        \
  DEF_BIN(P##_ge, T, T, nn_bool, x >= y)
DEF_INT(i32, int32_t)
DEF_INT(i64, int64_t)
DEF_INT(i8, int8_t)
DEF_INT(u8, uint8_t)

/* ---- Pow over every pairing of float32 / int32 / int64: the result has
 * the base's type ---- */
DEF_BIN(pow_f_i32, float, int32_t, float, powf(x, (float)y))
DEF_BIN(pow_f_i64, float, int64_t, float, powf(x, (float)y))
DEF_BIN(pow_i32_f, int32_t, float, int32_t, d2i(pow((double)x, (double)y)))
DEF_BIN(pow_i64_f, int64_t, float, int64_t, d2i(pow((double)x, (double)y)))
DEF_BIN(pow_i32_i32, int32_t, int32_t, int32_t, ipow(x, y))
DEF_BIN(pow_i32_i64, int32_t, int64_t, int32_t, ipow(x, y))
DEF_BIN(pow_i64_i32, int64_t, int32_t, int64_t, ipow(x, y))
DEF_BIN(pow_i64_i64, int64_t, int64_t, int64_t, ipow(x, y))

/* ---- bool ---- */
DEF_BIN(b_and, nn_bool, nn_bool, nn_bool, (x != 0) & (y != 0))
DEF_BIN(b_or, nn_bool, nn_bool, nn_bool, (x != 0) | (y != 0))
DEF_BIN(b_xor, nn_bool, nn_bool, nn_bool, (x != 0) ^ (y != 0))
DEF_BIN(b_eq, nn_bool, nn_bool, nn_bool, (x != 0) == (y != 0))

static nn_bin_kernel pow_kernel(dm_nn_dtype ta, dm_nn_dtype tb) {
  if (ta == DM_NN_FLOAT)
    return tb == DM_NN_FLOAT ? f_pow : tb == DM_NN_INT32 ? pow_f_i32 : tb == DM_NN_INT64 ? pow_f_i64 : NULL;
  if (ta == DM_NN_INT32)
    return tb == DM_NN_FLOAT ? pow_i32_f : tb == DM_NN_INT32 ? pow_i32_i32 : tb == DM_NN_INT64 ? pow_i32_i64 : NULL;
  if (ta == DM_NN_INT64)
    return tb == DM_NN_FLOAT ? pow_i64_f : tb == DM_NN_INT32 ? pow_i64_i32 : tb == DM_NN_INT64 ? pow_i64_i64 : NULL;
  return NULL;
}

/* Kernels indexed [op][type]: float32, int32, int64, bool, int8, uint8. */
#define K4(f, i, l, b) {f, i, l, b, NULL, NULL}
#define KI(name, b) {f_##name, i32_##name, i64_##name, b, i8_##name, u8_##name}
static const nn_bin_kernel table[][6] = {
  [NN_B_ADD] = KI(add, NULL),
  [NN_B_SUB] = KI(sub, NULL),
  [NN_B_MUL] = KI(mul, NULL),
  [NN_B_DIV] = KI(div, NULL),
  [NN_B_POW] = K4(NULL, NULL, NULL, NULL),
  [NN_B_MOD] = KI(mod, NULL),
  [NN_B_FMOD] = KI(fmod, NULL),
  [NN_B_MAX] = KI(max, NULL),
  [NN_B_MIN] = KI(min, NULL),
  [NN_B_EQ] = KI(eq, b_eq),
  [NN_B_LT] = KI(lt, NULL),
  [NN_B_GT] = KI(gt, NULL),
  [NN_B_LE] = KI(le, NULL),
  [NN_B_GE] = KI(ge, NULL),
  [NN_B_AND] = K4(NULL, NULL, NULL, b_and),
  [NN_B_OR] = K4(NULL, NULL, NULL, b_or),
  [NN_B_XOR] = K4(NULL, NULL, NULL, b_xor),
  [NN_B_PRELU] = K4(f_prelu, NULL, NULL, NULL),
};

nn_bin_kernel nn_bin_kernel_for(nn_binop op, dm_nn_dtype ta, dm_nn_dtype tb) {
  if (op == NN_B_POW) return pow_kernel(ta, tb);
  if (ta != tb || (unsigned)op >= sizeof table / sizeof table[0]) return NULL;
  int t = ta == DM_NN_FLOAT ? 0 : ta == DM_NN_INT32 ? 1 : ta == DM_NN_INT64 ? 2 : ta == DM_NN_BOOL ? 3
        : ta == DM_NN_INT8 ? 4 : ta == DM_NN_UINT8 ? 5 : -1;
  return t < 0 ? NULL : table[op][t];
}
