/* Shared pieces of the convolution and pooling kernels (ops_conv*.c,
 * conv_*.c, pool_*.c): window geometry from the ONNX attributes, the
 * Conv shape bundle and the kernel entry points. */
#ifndef DM_NN_CONV_INTERNAL_H
#define DM_NN_CONV_INTERNAL_H

#include <stdatomic.h>

#include "nn/nn_internal.h"

#define NN_SP_MAX (DM_NN_MAX_DIMS - 2) /* spatial rank limit */

/* A sliding window over the spatial dims of an [N, C, D1..Dn] tensor.
 * Begin/end pads may be negative only for ConvTranspose with output_shape. */
typedef struct nn_win {
  int nsp;
  int64_t in[NN_SP_MAX], out[NN_SP_MAX];
  int64_t k[NN_SP_MAX], s[NN_SP_MAX], d[NN_SP_MAX];
  int64_t pb[NN_SP_MAX], pe[NN_SP_MAX];
  int64_t opad[NN_SP_MAX]; /* ConvTranspose output_padding */
  int64_t kprod, in_prod, out_prod;
} nn_win;

typedef enum { NN_WIN_CONV, NN_WIN_POOL, NN_WIN_TRANSPOSE } nn_win_mode;

/* Parse kernel_shape / strides / dilations / pads / auto_pad (plus ceil_mode
 * for pools, output_padding / output_shape for ConvTranspose) against input
 * `x` and compute the output spatial dims. `kern` (may be NULL) is the kernel
 * taken from the weights; kernel_shape must then agree with it. */
dm_status nn_win_parse(nn_kctx *k, const dm_nn_tensor *x, const int64_t *kern, nn_win_mode mode,
                       nn_win *w);

/* Workers take items from a shared counter rather than a fixed share: when
 * the OS holds one thread back (another process on its core), the others
 * take over its part instead of waiting for it. */
static inline int64_t nn_conv_next(atomic_llong *counter) {
  return (int64_t)atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}
/* Items per thread the kernels aim for, so that the balancing has grain. */
#define NN_CONV_ITEMS_PER_THREAD 8

/* Fail unless t is float32. */
dm_status nn_conv_need_float(nn_kctx *k, const dm_nn_tensor *t, const char *what);

/* Conv / ConvTranspose problem: per group an Mg x K by K x P product. */
typedef struct nn_conv_shape {
  nn_win w;
  int64_t n, c, m, group;  /* batch, input channels, output channels, groups */
  int64_t cg, mg;          /* channels per group, in and out */
  int64_t kdim;            /* Cg * kprod (Conv) */
} nn_conv_shape;

/* Conv kernel plans, built at prepare and kept in node->state. */
/* NN_CONV_NO_INPUT: X has 0 channels, so the sum is empty (bias only). */
typedef enum { NN_CONV_GEMM, NN_CONV_1X1, NN_CONV_DW, NN_CONV_BAND, NN_CONV_NO_INPUT, NN_CONV_WINO } nn_conv_algo;

typedef struct nn_conv_plan {
  nn_conv_shape sh;
  nn_conv_algo algo;
  int slots;               /* threads the scratch was sized for */
  int64_t tile;            /* output positions per GEMM tile */
  int msplit;              /* output-channel chunks per tile (few tiles, many threads) */
  int whole;               /* NN_CONV_GEMM: one im2col matrix of the whole image, shared */
  int smallk;              /* NN_SMALLK_*: the register-blocked kernel's ISA, or sgemm
                            * (NN_CONV_DW: AVX2 or scalar) */
  size_t slot_floats;      /* per-thread scratch, in floats */
  int64_t band_h, band_w;  /* NN_CONV_BAND: rows per channel and width of a band */
  int64_t *off;            /* NN_CONV_BAND: K offsets into a band (malloc'd) */
  float *wino_u;           /* NN_CONV_WINO: transformed weights, [36][M][C] (malloc'd) */
  int64_t wino_tw;         /* NN_CONV_WINO: tiles per block row (a multiple of 8); tile = block rows */
} nn_conv_plan;

/* conv_gemm.c: im2col + sgemm (and 1x1 straight sgemm) over tiles. */
void nn_conv_gemm_plan(nn_conv_plan *p, int n_threads);
void nn_conv_gemm_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                      const float *bias, float *y);
/* conv_smallk.c: y[m][j] = act(bias[m] + w[m][:] . b[:][j]) for an M x K
 * row-major w and a K x T block b (row k at b + k * ldb, or b + off[k] when
 * off is non-NULL), in the instruction set `isa` (NN_SMALLK_AVX2 or
 * NN_SMALLK_AVX512) that nn_conv_smallk_isa picked for this K and CPU;
 * NN_SMALLK_NONE means use sgemm. With AVX2 only, up to NN_CONV_SMALLK_MAX
 * it beat OpenBLAS' sgemm on every bench_conv shape (no packing, no zeroing
 * or epilogue pass of Y: 1.1-1.9x at K <= 576), past K ~ 1000 sgemm's
 * packed panels won; the AVX-512 form wins at every K. */
enum { NN_SMALLK_NONE = 0, NN_SMALLK_AVX2 = 1, NN_SMALLK_AVX512 = 2 };
#define NN_CONV_SMALLK_MAX 640
int nn_conv_smallk_isa(int64_t K);
/* `pack` asks for the rows of b to be packed into column panels first:
 * worth it where they are windows of longer rows (a 1x1 Conv reads its
 * input in place), not for im2col, band or Winograd blocks (bench_conv:
 * 5-28% slower packed). nn_conv_smallk_packs says whether the `isa`
 * kernel then packs an M x K product (never K > NN_CONV_SMALLK_MAX,
 * which Winograd's products may pass). */
int nn_conv_smallk_packs(int isa, int64_t M, int64_t K);
void nn_conv_smallk(int isa, const float *w, int64_t M, int64_t K, const float *b, int64_t ldb,
                    const int64_t *off, int64_t T, float *y, int64_t ldy, const float *bias,
                    const nn_act *act, int pack);
void nn_conv_smallk512(const float *w, int64_t M, int64_t K, const float *b, int64_t ldb, const int64_t *off,
                       int64_t T, float *y, int64_t ldy, const float *bias, const nn_act *act);
/* conv_band.c: 2-D stride-1 convs that nn_conv_smallk takes, straight
 * from zero-padded bands of input rows (no im2col). */
int nn_conv_band_ok(const nn_conv_shape *sh);
dm_status nn_conv_band_plan(nn_conv_plan *p, int n_threads);
void nn_conv_band_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                      const float *bias, float *y);
/* Rows iy0 .. iy0 + rows and columns ix0 .. ix0 + p->band_w of each of the
 * p->sh.cg channels of xg into band (p->band_h rows a channel), zero
 * outside the image: the padded input of conv_band.c and conv_wino.c. */
void nn_conv_fill_band(const nn_conv_plan *p, const float *xg, float *band, int64_t iy0, int64_t ix0,
                       int64_t rows);
/* conv_dw.c: direct 2-D depthwise (group == C, any channel multiplier). */
int nn_conv_dw_ok(const nn_conv_shape *sh);
void nn_conv_dw_plan(nn_conv_plan *p, int n_threads);
void nn_conv_dw_run(nn_kctx *k, const nn_conv_plan *p, const float *x, const float *wt,
                    const float *bias, float *y);
/* Whether the run takes the AVX2 fixed-tap path (3x3 / 5x5, stride 1 / 2,
 * on zero-padded bands; at stride 2 the bands are split by column parity). */
int nn_conv_dw_fast(const nn_conv_plan *p);

/* conv_act.c: the fused activation over n floats (vectorised), and a fill. */
void nn_conv_act(const nn_act *a, float *x, size_t n);
void nn_conv_fill(float *x, size_t n, float v);
/* Conv and ConvTranspose's output: float32, [N, M, spatial out...]. */
void nn_conv_set_output(dm_nn_tensor *y, const dm_nn_tensor *x, const nn_conv_shape *sh);


/* Ops defined outside ops_conv.c. */
extern const nn_op nn_op_conv_transpose;
extern const nn_op nn_op_batchnorm;
extern const nn_op nn_op_maxpool, nn_op_averagepool;
extern const nn_op nn_op_global_averagepool, nn_op_global_maxpool;

#endif
