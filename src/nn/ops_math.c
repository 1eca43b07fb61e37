/* The math kernel group: element-wise arithmetic and logic, activations,
 * Softmax family, normalisations, MatMul / Gemm and reductions. The kernels
 * live in ops_math_*.c; this is the list the registry searches. */
#include "nn/math_internal.h"

#define NN_MATH_LIST(sym) &nn_op_##sym,
const nn_op *const nn_ops_math[] = {NN_MATH_OPS(NN_MATH_LIST) NULL};
