/* Placeholder until the tensor kernels land. */
#include "nn/nn_internal.h"

const nn_op *const nn_ops_tensor[] = {NULL};
