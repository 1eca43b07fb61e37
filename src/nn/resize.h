/* Resize / Upsample internals: what to compute (nn_resize_spec, parsed from
 * the node by ops_tensor_resize.c), per-axis tap tables built once per plan
 * (resize_table.c) and the kernels that apply them (resize_kernels.c).
 *
 * Every resize here is separable: output coordinate o along axis a reads
 * ntap input indices idx[o*ntap + t] (already clamped, i.e. edge-padded)
 * with weights w[o*ntap + t], or is "outside" (tf_crop_and_resize: the
 * extrapolation value). Nearest is the 1-tap case, done as a gather. */
#ifndef DM_NN_RESIZE_H
#define DM_NN_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nn_internal.h"

enum { NN_RS_NEAREST, NN_RS_LINEAR, NN_RS_CUBIC };
enum { NN_RS_HALF_PIXEL, NN_RS_HALF_PIXEL_SYMMETRIC, NN_RS_PYTORCH_HALF_PIXEL, NN_RS_ALIGN_CORNERS,
       NN_RS_ASYMMETRIC, NN_RS_TF_HALF_PIXEL_FOR_NN, NN_RS_TF_CROP_AND_RESIZE };
/* SIMPLE is Upsample's and Resize-10's rule: floor, or ceil when the axis
 * shrinks (what onnxruntime does; the spec says nothing). */
enum { NN_RS_ROUND_PREFER_FLOOR, NN_RS_ROUND_PREFER_CEIL, NN_RS_FLOOR, NN_RS_CEIL, NN_RS_SIMPLE };

typedef struct nn_resize_spec {
  int mode, coord, nearest;
  double cubic_a;
  int exclude_outside, antialias;
  float extrapolation;
  int ndim;
  int64_t in[DM_NN_MAX_DIMS], out[DM_NN_MAX_DIMS];
  double scale[DM_NN_MAX_DIMS];            /* output / input, as the op defines it */
  double roi_lo[DM_NN_MAX_DIMS], roi_hi[DM_NN_MAX_DIMS];
} nn_resize_spec;

typedef struct nn_resize_axis {
  int ntap;
  int identity;          /* output == input along this axis */
  int32_t *idx;          /* [out * ntap] input indices, in range */
  float *w;              /* [out * ntap] */
  uint8_t *outside;      /* [out], or NULL when nothing is outside */
} nn_resize_axis;

enum { NN_RS_COPY, NN_RS_GATHER, NN_RS_SEP2D, NN_RS_PASSES };

typedef struct nn_resize_plan {
  nn_resize_spec spec;
  nn_resize_axis ax[DM_NN_MAX_DIMS];
  int kind;
  int n_pass, pass_axis[DM_NN_MAX_DIMS];   /* NN_RS_PASSES: axes in order */
  size_t pass_elems;     /* NN_RS_PASSES: floats of each intermediate buffer */
  size_t row_floats;     /* NN_RS_SEP2D: floats per cached row (padded) */
  int threads;           /* thread slots the scratch was sized for */
} nn_resize_plan;

/* Tables and kernel choice for `s` on up to `threads` threads; NULL on OOM
 * or absurd sizes. */
nn_resize_plan *nn_resize_plan_new(const nn_resize_spec *s, int threads);
void nn_resize_plan_free(void *plan);
size_t nn_resize_scratch_bytes(const nn_resize_plan *p);

/* y = resize(x). Linear and cubic need float32 (es == 4); nearest moves
 * elements of any size. `scratch` has nn_resize_scratch_bytes, 64-aligned. */
void nn_resize_run(dm_context *ctx, const nn_resize_plan *p, const void *x, void *y, size_t es,
                   dm_nn_dtype dtype, void *scratch);

#endif
