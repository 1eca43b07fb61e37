/* Shared pieces of the shape / data-movement kernels (ops_tensor*.c,
 * resize_*.c): the op objects ops_tensor.c lists, reading constant inputs,
 * and one strided copy engine that Transpose, Slice, Expand, Tile and
 * DepthToSpace / SpaceToDepth all reduce to. */
#ifndef DM_NN_OPS_TENSOR_H
#define DM_NN_OPS_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nn_internal.h"

/* Later versions of most of these ops (19, 21, 23) only add element types
 * (float8, int4, ...); the semantics we implement stay the same. */
#define NN_TENSOR_OPSET_MAX 23

/* ops_tensor_shape.c */
extern const nn_op nn_op_shape, nn_op_size, nn_op_reshape, nn_op_flatten, nn_op_squeeze,
    nn_op_unsqueeze, nn_op_identity;
/* ops_tensor_slice.c */
extern const nn_op nn_op_slice, nn_op_concat, nn_op_split;
/* ops_tensor_move.c */
extern const nn_op nn_op_transpose, nn_op_expand, nn_op_tile, nn_op_depth_to_space,
    nn_op_space_to_depth;
/* ops_tensor_gather.c */
extern const nn_op nn_op_gather, nn_op_gather_elements;
/* ops_tensor_cast.c */
extern const nn_op nn_op_cast, nn_op_cast_like;
/* ops_tensor_const.c */
extern const nn_op nn_op_constant, nn_op_constant_of_shape, nn_op_range;
/* ops_tensor_pad.c */
extern const nn_op nn_op_pad;
/* ops_tensor_resize.c */
extern const nn_op nn_op_resize, nn_op_upsample;

/* Input i when present (an omitted optional input is NULL). */
static inline const dm_nn_tensor *nn_in(const nn_kctx *k, int i) {
  return i < k->n_in ? k->in[i] : NULL;
}
/* Input i when present and not empty: ONNX writes "absent" both ways. */
static inline const dm_nn_tensor *nn_in_nonempty(const nn_kctx *k, int i) {
  const dm_nn_tensor *t = nn_in(k, i);
  return t && nn_numel(t) > 0 ? t : NULL;
}

/* Element j of an integer tensor (int64, int32, int8, uint8 or bool). */
int64_t nn_tensor_int(const dm_nn_tensor *t, int64_t j);
/* Element j of a numeric tensor as double. */
double nn_tensor_real(const dm_nn_tensor *t, int64_t j);

/* Input i, which must be a constant integer tensor (int64 or int32) of at
 * most `max` elements (rank <= 1): its values in buf, count in *n. `what`
 * names the input in messages. */
dm_status nn_const_ints(nn_kctx *k, int i, const char *what, int64_t *buf, int64_t max, int64_t *n);
/* The same for a constant float / double tensor. */
dm_status nn_const_reals(nn_kctx *k, int i, const char *what, double *buf, int64_t max, int64_t *n);

/* Set an output's type and shape. */
void nn_set_shape(dm_nn_tensor *t, dm_nn_dtype dtype, int ndim, const int64_t *dims);
/* Dense C-order strides (in elements) of dims. */
void nn_strides(int ndim, const int64_t *dims, int64_t *strides);
/* Store v in dst as one element of type t (integers truncate and saturate). */
void nn_store_real(dm_nn_dtype t, void *dst, double v);

/* The copy engine: dst (dense, C order, `dims`) receives src elements at
 * sum(idx[i] * sstride[i]) (strides in elements; 0 broadcasts, negative
 * walks backwards). Adjacent dims are merged, unit dims dropped; rows are
 * memcpy'd when the source is contiguous, 2-D tiles are transposed in
 * blocks when it is not, and large copies run on the context's pool. */
#define NN_COPY_MAX_DIMS 16
void nn_copy_strided(dm_context *ctx, void *dst, const void *src, size_t esize, int ndim,
                     const int64_t *dims, const int64_t *sstride);

/* Plain copy of a whole tensor (Reshape, Identity, ...); no-op in place. */
void nn_copy_whole(nn_kctx *k, const dm_nn_tensor *src, dm_nn_tensor *dst);

#endif
