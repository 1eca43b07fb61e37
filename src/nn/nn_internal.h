/* Internal structures of the ONNX runtime, shared by the loader, the
 * planner, the executor and the operator kernels.
 *
 *   load.c (+ load_tensor.c)  ONNX protobuf (protobuf-c) -> nn_graph, validated,
 *                             nodes in topological order
 *   plan.c / fuse.c / arena   shapes, constant folding, fusion, memory plan
 *   exec.c                    runs the planned nodes
 *   ops_*.c                   kernels; each group exports a NULL-terminated
 *                             list of nn_op (ops_registry.c collects them)
 */
#ifndef DM_NN_INTERNAL_H
#define DM_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/context.h"
#include "nn/nn.h"

/* Limits applied to everything read from a file. */
#define NN_MAX_NODES 200000
#define NN_MAX_VALUES 400000
#define NN_MAX_NODE_IO 4096
#define NN_MAX_ATTRS 256
#define NN_MAX_ELEMS (INT64_C(1) << 32) /* per tensor */
/* Largest tensor a plan may create (ISNet's largest is 256 MiB). The fuzz
 * build lowers it so hostile graphs cannot exhaust the fuzzer's memory. */
#ifndef NN_MAX_TENSOR_BYTES
#define NN_MAX_TENSOR_BYTES (UINT64_C(4) << 30)
#endif

/* ONNX AttributeProto.AttributeType codes. */
enum { NN_ATTR_FLOAT = 1, NN_ATTR_INT = 2, NN_ATTR_STRING = 3, NN_ATTR_TENSOR = 4,
       NN_ATTR_FLOATS = 6, NN_ATTR_INTS = 7, NN_ATTR_STRINGS = 8 };

typedef struct nn_attr {
  char *name;
  int type;
  float f;
  int64_t i;
  char *s;                /* NUL-terminated copy (STRING) */
  float *floats;          /* FLOATS */
  int64_t *ints;          /* INTS */
  char **strings;         /* STRINGS */
  size_t n;               /* element count of floats / ints / strings */
  dm_nn_tensor t;         /* TENSOR; t.data malloc'd, float16 already float32 */
} nn_attr;

/* An activation fused into the producing kernel (Conv, ConvTranspose,
 * MatMul, Gemm, Add): applied to every output element after the op. */
typedef enum nn_act_kind { NN_ACT_NONE = 0, NN_ACT_RELU, NN_ACT_CLIP } nn_act_kind;
typedef struct nn_act {
  nn_act_kind kind;
  float lo, hi;           /* NN_ACT_CLIP bounds */
} nn_act;

struct nn_op;

typedef struct nn_node {
  char *name;             /* may be "" in the file; the loader then names it "#<index>" */
  char *op_type;
  char *domain;           /* "" for the default ONNX domain */
  int n_in, n_out;
  int *in;                /* value indices; -1 for an omitted optional input */
  int *out;               /* value indices; -1 for an omitted optional output */
  nn_attr *attrs;
  int n_attrs;
  /* Set by the planner. */
  const struct nn_op *op;
  nn_act act;             /* fused activation */
  void *state;            /* kernel-private, from op->prepare; freed by op->release */
  size_t scratch;         /* bytes of scratch the kernel asked for */
  int dead;               /* folded away or fused into another node */
} nn_node;

typedef struct nn_value {
  char *name;
  dm_nn_tensor t;         /* dtype and dims once known; data when constant or planned */
  void *owned;            /* malloc'd data of initializers and folded constants */
  int is_const;           /* value known at plan time (initializer or folded) */
  int is_initializer;
  int graph_input;        /* index among runtime inputs, or -1 */
  int graph_output;       /* index among outputs, or -1 */
  int producer;           /* node index, or -1 */
  /* Declared type and shape from the file (value_info / inputs / outputs);
   * decl_ndim -1 when unknown, symbolic dims -1. */
  dm_nn_dtype decl_dtype;
  int decl_ndim;
  int64_t decl_dims[DM_NN_MAX_DIMS];
  /* Planner bookkeeping. */
  int first_def, last_use;
  size_t offset;          /* in the arena */
} nn_value;

/* The model file's bytes: mapped read-only (load_map.c), or read into a
 * malloc'd buffer where mapping fails. */
typedef struct nn_map {
  const uint8_t *data;
  size_t len;
  int mapped;
} nn_map;

/* What loading the initializers cost, in bytes of the file's tensor data. */
typedef struct nn_load_stats {
  size_t in_place;        /* used where they lie in the mapped file */
  size_t converted;       /* float16 read in place, converted to float32 */
  size_t copied;          /* copied (unaligned, byte-swapped, bool, or from a buffer) */
} nn_load_stats;

typedef struct nn_graph {
  nn_value *values;
  int n_values;
  nn_node *nodes;         /* topological order */
  int n_nodes;
  int *inputs;            /* runtime inputs (not initializers), graph order */
  int n_inputs;
  int *outputs;
  int n_outputs;
  int opset;              /* version of the default ("" / "ai.onnx") domain */
  int ir_version;
  char name[512];         /* file name, for messages */
  nn_map file;            /* kept while initializers point into it (else zeroed) */
  void *weights;          /* one mapping: float16 initializers as float32, copied ones */
  size_t weights_len;
  nn_load_stats stats;
} nn_graph;

/* The loader: bytes -> validated graph (caller frees with nn_graph_free). */
dm_status nn_graph_load(dm_context *ctx, const char *name, const void *data, size_t len,
                        const char *base_dir, nn_graph *g);
/* The same from a model file, mapped: tensors are read in place (see
 * load_map.c); external data resolves beside the file. */
dm_status nn_graph_load_file(dm_context *ctx, const char *path, nn_graph *g);
void nn_graph_free(nn_graph *g);

/* One ONNX TensorProto (a .pb file of the ONNX test suite, say) -> tensor with
 * a malloc'd data buffer (float16 -> float32, others as stored). `tensor_name`
 * may be NULL; otherwise it receives a malloc'd copy of the name. */
dm_status nn_tensor_from_pb(dm_context *ctx, const char *name, const void *data, size_t len,
                            dm_nn_tensor *t, char **tensor_name);

/* What a kernel sees. in[i] is NULL for an omitted optional input; its
 * dtype and dims are always set, and data is non-NULL at plan time only when
 * the input is constant. out[i] is NULL for an omitted optional output. */
typedef struct nn_kctx {
  dm_context *ctx;
  const nn_graph *graph;
  nn_node *node;
  int opset;
  int n_in, n_out;
  dm_nn_tensor **in;
  dm_nn_tensor **out;
  void *scratch;          /* node->scratch bytes, 64-byte aligned, shared by all threads */
} nn_kctx;

typedef enum nn_op_flags {
  NN_OP_SHAPE_ONLY = 1,   /* output depends only on input shapes (Shape, Size): always folded */
  NN_OP_ACT = 2,          /* honours node->act (a following Relu/Clip may be fused into it) */
  /* Output 0 is input 0's bytes unchanged (Reshape and kin): the memory
   * plan may give it input 0's buffer, and run must then do nothing. */
  NN_OP_ALIAS = 4,
} nn_op_flags;

typedef struct nn_op {
  const char *name;       /* op_type */
  int min_opset, max_opset; /* default-domain opset range this kernel implements */
  int flags;
  /* Set out[i]->dtype, ndim, dims from the inputs' types and shapes (and the
   * data of inputs that must be constant, e.g. Reshape's shape). Fail with
   * DM_ERR_FORMAT and a message naming the node on bad attributes/shapes. */
  dm_status (*infer)(nn_kctx *k);
  /* Optional, after infer, once per plan: build node->state (packed weights
   * from constant inputs, say) and set node->scratch. */
  dm_status (*prepare)(nn_kctx *k);
  /* Compute out[i]->data (already allocated with the inferred shape). */
  dm_status (*run)(nn_kctx *k);
  void (*release)(void *state);
  /* Optional, for --profile: a line naming the node's shape and algorithm
   * (nodes with the same line are summed) and its multiply-adds per run. */
  void (*describe)(const nn_node *n, char *buf, size_t len, double *macs);
} nn_op;

/* Kernel lookup by (domain, op_type, opset); NULL if none. */
const nn_op *nn_find_op(const char *domain, const char *op_type, int opset);
/* The kernel groups (each a NULL-terminated list). */
extern const nn_op *const nn_ops_conv[];     /* ops_conv*.c: Conv, ConvTranspose, BatchNormalization, pooling */
extern const nn_op *const nn_ops_math[];     /* ops_math*.c: element-wise, activations, MatMul, Gemm, Softmax, norms, reductions */
extern const nn_op *const nn_ops_tensor[];   /* ops_tensor*.c: shape and data movement, Resize, Cast, Constant */

/* Attribute access (defaults when absent; type mismatches count as absent
 * for the getters, nn_attr_find returns the raw attribute). */
const nn_attr *nn_attr_find(const nn_node *n, const char *name);
int64_t nn_attr_int(const nn_node *n, const char *name, int64_t def);
float nn_attr_float(const nn_node *n, const char *name, float def);
const char *nn_attr_string(const nn_node *n, const char *name, const char *def);
/* INTS attribute: count in *len, NULL (and *len 0) when absent. */
const int64_t *nn_attr_ints(const nn_node *n, const char *name, size_t *len);
const float *nn_attr_floats(const nn_node *n, const char *name, size_t *len);

/* Fail for node `k->node` with a message "node 'NAME' (OP): ..." under the
 * graph's file name. Returns `s`. */
dm_status nn_fail(nn_kctx *k, dm_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Helpers for kernels. */
static inline int64_t nn_numel(const dm_nn_tensor *t) { return dm_nn_numel(t); }
/* Apply a fused activation to n floats. */
void nn_act_apply(const nn_act *a, float *x, size_t n);
/* Broadcast the shapes a and b (numpy rules) into out; 0 on mismatch. */
int nn_broadcast_shape(const dm_nn_tensor *a, const dm_nn_tensor *b, dm_nn_tensor *out);
/* float16 (IEEE binary16 bits) <-> float32 */
float nn_half_to_float(uint16_t h);
/* n float16 values (little-endian bytes, any alignment) -> float32, bit for
 * bit as nn_half_to_float on each; F16C when the CPU has it (half.c). The
 * _ref one is the scalar code; nn_halves_simd says whether F16C is used. */
void nn_halves_to_floats(const void *src, float *dst, size_t n);
void nn_halves_to_floats_ref(const void *src, float *dst, size_t n);
int nn_halves_simd(void);
uint16_t nn_float_to_half(float f);
/* Normalise an axis attribute against rank; -1 if out of range. */
static inline int nn_axis(int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) return -1;
  return (int)(axis < 0 ? axis + rank : axis);
}

/* Every BLAS call runs single-threaded inside dm_parallel workers (convs,
 * MatMul, Gemm): OpenBLAS' count is set to 1 once per process, before the
 * first call (ops_conv.c). */
void nn_blas_single_thread(void);
/* NULL once OpenBLAS is loaded (blas_lazy.c), else why it cannot be. */
const char *dm_blas_unavailable(void);

#endif
