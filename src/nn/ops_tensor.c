/* The shape, data-movement, cast / constant and resize kernels (the
 * ops_tensor_*.c and resize_*.c files), as one list for ops_registry.c. */
#include "nn/ops_tensor.h"

const nn_op *const nn_ops_tensor[] = {
    &nn_op_shape, &nn_op_size, &nn_op_reshape, &nn_op_flatten, &nn_op_squeeze, &nn_op_unsqueeze,
    &nn_op_identity, &nn_op_slice, &nn_op_concat, &nn_op_split, &nn_op_transpose, &nn_op_expand,
    &nn_op_tile, &nn_op_depth_to_space, &nn_op_space_to_depth, &nn_op_gather, &nn_op_gather_elements,
    &nn_op_cast, &nn_op_cast_like, &nn_op_constant, &nn_op_constant_of_shape, &nn_op_range,
    &nn_op_pad, &nn_op_resize, &nn_op_upsample, NULL};
