/* Shared pieces of the math kernels (ops_math*.c, math_*.c): broadcast
 * iteration, work splitting over the thread pool, 4-wide float vectors, and
 * the nn_op descriptors that ops_math.c lists. */
#ifndef DM_NN_MATH_INTERNAL_H
#define DM_NN_MATH_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "nn/nn_internal.h"

/* Newest default-domain opset whose semantics these kernels follow; the ops
 * listed here did not change meaning up to it. */
#define NN_MATH_OPSET_MAX 23

/* Element counts below which a kernel stays on the calling thread: waking
 * the pool costs a few microseconds, ~64K cheap elements' worth. */
#define NN_PAR_CHEAP 65536
#define NN_PAR_HEAVY 8192 /* for exp / erf / tanh-class work per element */

/* ---- Splitting work over the pool ---- */

typedef void (*nn_range_fn)(void *user, int64_t i0, int64_t i1);
/* fn over [0, n) in contiguous pieces, one per pool thread, or inline when
 * n < 2 * min_per_thread or the context has one thread. */
void nn_math_parallel(dm_context *ctx, int64_t n, int64_t min_per_thread, nn_range_fn fn, void *user);

/* ---- Broadcast iteration ----
 * Output shape and up to NN_BC_MAX input shapes (numpy rules, right aligned)
 * reduce to a few merged axes: size-1 axes dropped, neighbours merged while
 * every input is either broadcast along both or along neither. The innermost
 * merged axis then has, per input, element stride 1 (walks) or 0 (repeats):
 * same-shape, scalar, per-channel and bias broadcasts all become long runs. */
#define NN_BC_MAX 3

typedef struct nn_bcast {
  int n_in, ndim;
  int64_t total, inner;                     /* output elements; dims[ndim-1] */
  int64_t dims[DM_NN_MAX_DIMS];
  int64_t strides[NN_BC_MAX][DM_NN_MAX_DIMS]; /* element strides, 0 = broadcast */
  int inner_stride[NN_BC_MAX];              /* strides[i][ndim-1]: 0 or 1 */
} nn_bcast;

/* Inputs must be broadcast-compatible with `out` (checked by infer). */
void nn_bcast_init(nn_bcast *bc, const dm_nn_tensor *out, const dm_nn_tensor *const *in, int n_in);

/* One run of `len` output elements starting at out_off; in_off[i] is input
 * i's element offset at its start (advance by inner_stride[i]). */
typedef void (*nn_bcast_fn)(void *user, const int64_t *in_off, int64_t out_off, int64_t len);
void nn_bcast_range(const nn_bcast *bc, int64_t e0, int64_t e1, nn_bcast_fn fn, void *user);
/* All output elements, split over the pool when there are more than
 * 2 * min_per_thread. */
void nn_bcast_run(dm_context *ctx, const nn_bcast *bc, int64_t min_per_thread, nn_bcast_fn fn, void *user);
/* Copy `src` broadcast into the float/int32/... buffer of shape `out`. */
void nn_bcast_copy(dm_context *ctx, const dm_nn_tensor *src, const dm_nn_tensor *out, void *dst);

/* out = broadcast(a, b) with a message naming both shapes on mismatch. */
dm_status nn_math_broadcast(nn_kctx *k, const dm_nn_tensor *a, const dm_nn_tensor *b, dm_nn_tensor *out);
/* "[2,3,4]" into buf. */
const char *nn_shape_str(const dm_nn_tensor *t, char *buf, size_t size);
/* Fail unless input i is present and float32. */
dm_status nn_math_need_float(nn_kctx *k, int i);
static inline int nn_has_in(const nn_kctx *k, int i) { return i < k->n_in && k->in[i] != NULL; }
static inline int nn_has_out(const nn_kctx *k, int i) { return i < k->n_out && k->out[i] != NULL; }

/* ---- 4-wide float vectors (GCC/Clang vector extensions, SSE on x86) ---- */
typedef float nn_v4f __attribute__((vector_size(16)));
typedef int32_t nn_v4i __attribute__((vector_size(16)));

static inline nn_v4f nn_v4_load(const float *p) {
  nn_v4f v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void nn_v4_store(float *p, nn_v4f v) { memcpy(p, &v, sizeof v); }
static inline nn_v4f nn_v4_set1(float x) { return (nn_v4f){x, x, x, x}; }
static inline nn_v4f nn_v4_select(nn_v4i m, nn_v4f a, nn_v4f b) {
  return (nn_v4f)((m & (nn_v4i)a) | (~m & (nn_v4i)b));
}
static inline nn_v4f nn_v4_max(nn_v4f a, nn_v4f b) { return nn_v4_select(a > b, a, b); }
static inline nn_v4f nn_v4_min(nn_v4f a, nn_v4f b) { return nn_v4_select(a < b, a, b); }
static inline float nn_v4_hsum(nn_v4f v) { return (v[0] + v[1]) + (v[2] + v[3]); }
static inline float nn_v4_hmax(nn_v4f v) {
  float a = v[0] > v[1] ? v[0] : v[1], b = v[2] > v[3] ? v[2] : v[3];
  return a > b ? a : b;
}

/* e^x, ~1 ulp over the float range (math_vec.c derives it); NaN stays NaN. */
nn_v4f nn_v4_exp(nn_v4f x);
/* erf(x), abs error < 2e-7. */
nn_v4f nn_v4_erf(nn_v4f x);
/* Array forms: y[i] = f(x[i]); y may equal x. */
void nn_vexp(const float *x, float *y, int64_t n);
void nn_verf(const float *x, float *y, int64_t n);

/* math_vec8.c: 8-lane AVX2+FMA loops, for CPUs where nn_vec8_ok() (else
 * they must not be called). y may equal x. */
int nn_vec8_ok(void);
float nn_vexp_sub_sum8(const float *x, float *y, int64_t n, float m); /* y = e^(x-m); returns the sum */
float nn_vmax8(const float *x, int64_t n);                           /* -inf when n == 0 */
void nn_vscale8(float *y, int64_t n, float r);                       /* y *= r */
void nn_vexp8(const float *x, float *y, int64_t n);
void nn_verf8(const float *x, float *y, int64_t n);
void nn_vgelu8(const float *x, float *y, int64_t n); /* x / 2 * (1 + erf(x / sqrt 2)) */

/* math_att_kern.c (nn_vec8_ok() CPUs): the fused attention's two products
 * on a block of rows, a, s, p and y row-major with rows lda / lds / ldp /
 * ldy floats apart; b and v packed in panels of 16 columns (NN_ATT_PANEL: a
 * panel of an [r, c] matrix is its r rows of 16 floats one after another,
 * panel j holding columns 16j .. 16j+15, zeros past c):
 * s[rows, np] = a[rows, k] . b[k, np] (np: n rounded up to 16; the columns
 * past n get what b's zeros give) and y[rows, d] = p[rows, n] . v[n, d]. */
#define NN_ATT_PANEL 16
void nn_att_scores8(const float *a, int64_t lda, int64_t rows, int64_t k, const float *b, int64_t np, float *s,
                    int64_t lds);
void nn_att_values8(const float *p, int64_t ldp, int64_t rows, int64_t n, const float *v, int64_t d, float *y,
                    int64_t ldy);

/* A tensor read from (or written to) a buffer through strides: element
 * (i_0, ..., i_{r-1}) lies sum i_j * strides[j] floats from the start, and
 * reads are multiplied by scale (a Mul by a scalar folded in; 1 = none). */
typedef struct nn_view {
  int ndim;
  int64_t dims[DM_NN_MAX_DIMS], strides[DM_NN_MAX_DIMS];
  float scale;
} nn_view;

/* The fused attention's node->state: its operands A [..., M, K],
 * B [..., K, N], V [..., N, D] and output Y [..., M, D] as views of the
 * node's three input buffers and its output buffer. fuse.c folds the
 * Transpose / Reshape / Mul(scalar) chains that multi-head attention puts
 * around the products into them; otherwise (prepare) they are the tensors
 * themselves, dense. */
typedef struct nn_att_state {
  nn_view op[4];
} nn_att_state;

/* math_view.c: the view of tensor t itself (dense, scale 1); its axes
 * permuted (axis i of the result is axis perm[i]); relabelled to the shape
 * dims, the same elements, when strides can express that (returns 0 and
 * leaves v alone when only a copy could). */
void nn_view_dense(nn_view *v, const dm_nn_tensor *t);
void nn_view_permute(nn_view *v, const int *perm);
int nn_view_reshape(nn_view *v, int nd, const int64_t *dims);

/* Softmax of one contiguous row of d floats (y may equal x), as the Softmax
 * op computes it: max, e^(x - max), times 1 / sum. vec8: nn_vec8_ok(). */
void nn_softmax_row(const float *x, float *y, int64_t d, int vec8);

/* ---- Binary element kernels (math_binary_kern.c) ----
 * o[i] = a[i*sa] OP b[i*sb] for i < n, sa and sb 0 or 1; o may equal a or b. */
typedef enum nn_binop {
  NN_B_ADD, NN_B_SUB, NN_B_MUL, NN_B_DIV, NN_B_POW, NN_B_MOD, NN_B_FMOD, NN_B_MAX, NN_B_MIN,
  NN_B_EQ, NN_B_LT, NN_B_GT, NN_B_LE, NN_B_GE, NN_B_AND, NN_B_OR, NN_B_XOR, NN_B_PRELU
} nn_binop;
typedef void (*nn_bin_kernel)(const void *a, int sa, const void *b, int sb, void *o, int64_t n);
/* NULL when the op does not take these element types. */
nn_bin_kernel nn_bin_kernel_for(nn_binop op, dm_nn_dtype ta, dm_nn_dtype tb);

/* ---- Op descriptors (listed in ops_math.c) ---- */
#define NN_MATH_OPS(X)                                                                        \
  X(add) X(sub) X(mul) X(div) X(pow) X(mod) X(max) X(min) X(sum) X(mean)                      \
  X(equal) X(less) X(greater) X(less_equal) X(greater_equal) X(and) X(or) X(xor) X(where)     \
  X(relu) X(leaky_relu) X(prelu) X(elu) X(selu) X(celu) X(clip) X(sigmoid) X(hard_sigmoid)    \
  X(hard_swish) X(tanh) X(erf) X(exp) X(log) X(sqrt) X(reciprocal) X(neg) X(abs) X(floor)    \
  X(ceil) X(round) X(sign) X(softplus) X(softsign) X(thresholded_relu) X(sin) X(cos) X(tan)   \
  X(asin) X(acos) X(atan) X(sinh) X(cosh) X(asinh) X(acosh) X(atanh) X(not) X(gelu)          \
  X(softmax) X(log_softmax) X(hardmax)                                                        \
  X(layer_norm) X(instance_norm) X(lp_norm)                                                   \
  X(matmul) X(gemm)                                                                           \
  X(reduce_sum) X(reduce_mean) X(reduce_max) X(reduce_min) X(reduce_prod) X(reduce_l1)        \
  X(reduce_l2) X(reduce_sum_square) X(reduce_log_sum) X(reduce_log_sum_exp) X(argmax) X(argmin)

#define NN_MATH_DECLARE(sym) extern const nn_op nn_op_##sym;
NN_MATH_OPS(NN_MATH_DECLARE)
#undef NN_MATH_DECLARE
/* MatMul -> Softmax -> MatMul fused by the planner (fuse.c); not looked up
 * by name. */
extern const nn_op nn_op_attention;
/* Upsample(nearest, integer factors) -> Add, fused the same way. */
extern const nn_op nn_op_upsample_add;

/* math_mm_blocked.c: batched row-major products Y = A.B (+ column bias,
 * + activation) on the AVX-512 register-blocked kernel; ok() says whether
 * this CPU has it. Strides are in elements between batch matrices. */
int nn_mm_blocked_ok(int64_t k);
void nn_mm_blocked(dm_context *ctx, const float *a, int64_t a_stride, const float *b, int64_t b_stride,
                   const float *bias, float *y, int64_t batches, int64_t m, int64_t k, int64_t n,
                   const nn_act *act);

#endif
