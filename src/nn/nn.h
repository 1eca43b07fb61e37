/* src/nn: a small ONNX inference runtime.
 *
 * Load a model once, run it many times. The first run (and any run whose
 * input shapes differ from the previous one) plans the graph: static shape
 * inference, constant folding of shape sub-graphs, operator fusion and a
 * liveness-based memory plan into one arena. Later runs with the same shapes
 * only execute the kernels; nothing is allocated while the graph runs.
 *
 * Tensors cross this interface as float32 (or int64 / int32 / bool / uint8
 * for graphs that take such inputs), dense, C order. */
#ifndef DM_NN_H
#define DM_NN_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"

/* Element types, numbered as ONNX's TensorProto.DataType. float16 tensors in
 * a model are converted to float32 once, at load. */
typedef enum dm_nn_dtype {
  DM_NN_UNDEFINED = 0,
  DM_NN_FLOAT = 1,
  DM_NN_UINT8 = 2,
  DM_NN_INT8 = 3,
  DM_NN_INT32 = 6,
  DM_NN_INT64 = 7,
  DM_NN_BOOL = 9,
  DM_NN_FLOAT16 = 10,
  DM_NN_DOUBLE = 11,
} dm_nn_dtype;

#define DM_NN_MAX_DIMS 8

typedef struct dm_nn_tensor {
  dm_nn_dtype dtype;
  int ndim;
  int64_t dims[DM_NN_MAX_DIMS];
  void *data;
} dm_nn_tensor;

typedef struct dm_nn_model dm_nn_model;

/* Load and validate a model file. External-data initializers are read from
 * files beside it. A malformed model fails with DM_ERR_FORMAT and a message
 * naming the file and, where it applies, the node or tensor. */
dm_status dm_nn_load(dm_context *ctx, const char *path, dm_nn_model **out);
/* The same from memory; `base_dir` (may be NULL) resolves external data and
 * `name` is used in error messages. The buffer is not kept. */
dm_status dm_nn_load_buffer(dm_context *ctx, const char *name, const void *data, size_t len,
                            const char *base_dir, dm_nn_model **out);
void dm_nn_free(dm_nn_model *model);

/* Runtime inputs and outputs, in graph order. `decl` gets the declared type
 * and shape; symbolic dimensions are -1. */
int dm_nn_input_count(const dm_nn_model *model);
int dm_nn_output_count(const dm_nn_model *model);
const char *dm_nn_input_name(const dm_nn_model *model, int i);
const char *dm_nn_output_name(const dm_nn_model *model, int i);
void dm_nn_input_decl(const dm_nn_model *model, int i, dm_nn_tensor *decl);
int dm_nn_opset(const dm_nn_model *model);

/* Run the model. `inputs` has dm_nn_input_count entries (dtype, shape and
 * data set by the caller). On success outputs[i] (dm_nn_output_count entries)
 * gets dtype, shape and a malloc'd data buffer the caller frees with free().
 * `want` (may be NULL) selects outputs: want[i] == 0 skips output i, so the
 * graph computes only what the wanted ones need (data stays NULL). */
dm_status dm_nn_run(dm_context *ctx, dm_nn_model *model, const dm_nn_tensor *inputs,
                    dm_nn_tensor *outputs, const int *want);

/* Per-operator profile of the last run, accumulated by op type, printed to
 * `fp` (a FILE *) sorted by time. Enabled by dm_nn_set_profile. */
void dm_nn_set_profile(dm_nn_model *model, int on);
void dm_nn_print_profile(const dm_nn_model *model, void *fp);

/* Bytes per element of a dtype (0 if unsupported) and element count (-1 on
 * overflow or negative dims). */
size_t dm_nn_dtype_size(dm_nn_dtype t);
int64_t dm_nn_numel(const dm_nn_tensor *t);
const char *dm_nn_dtype_name(dm_nn_dtype t);

#endif
