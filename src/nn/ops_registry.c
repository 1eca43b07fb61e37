/* Kernel lookup: the three op groups, searched in order; the first kernel
 * whose name, domain and opset range match wins. */
#include <string.h>

#include "nn/nn_internal.h"

static const nn_op *const *const groups[] = {nn_ops_conv, nn_ops_math, nn_ops_tensor};

const nn_op *nn_find_op(const char *domain, const char *op_type, int opset) {
  if (domain && domain[0] && strcmp(domain, "ai.onnx")) return NULL;
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
    for (const nn_op *const *op = groups[g]; *op; op++)
      if (!strcmp((*op)->name, op_type) && opset >= (*op)->min_opset && opset <= (*op)->max_opset)
        return *op;
  return NULL;
}
