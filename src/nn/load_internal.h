/* Private to the ONNX loader (load*.c): the pieces nn_graph_load is built
 * from. Nothing here is used outside the loader.
 *
 *   load.c           nn_graph_load / nn_graph_free: unpack, opset, the steps below
 *   load_graph.c     names -> values, graph inputs/outputs, declared types, initializers
 *   load_node.c      nodes, their attributes, inputs and outputs
 *   load_sort.c      topological order (Kahn), cycle report
 *   load_tensor.c    TensorProto -> dm_nn_tensor (+ nn_tensor_from_pb)
 *   load_external.c  external-data files beside the model
 *   load_wire.c      splits the file: structure for protobuf-c, weights in place
 *   load_map.c       maps the model file
 *   load_pool.c      the block the converted and copied weights live in
 */
#ifndef DM_NN_LOAD_INTERNAL_H
#define DM_NN_LOAD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/nn_internal.h"
#include "onnx/onnx.pb-c.h"

/* Names in messages are cut to this many characters: a hostile file can
 * carry megabyte-long names. */
#define NN_NAME_MSG "%.200s"

/* protobuf-c allocator on plain malloc/free, so the loader may take over a
 * raw_data buffer instead of copying it (see nn_load_tensor). It also caps
 * what unpacking `len` bytes may allocate in total: real models need 1-15
 * times their size (small structures cost more than their bytes), a hostile
 * one could ask for ~100 times. */
typedef struct nn_pb_budget {
  size_t left;
  int exceeded;
} nn_pb_budget;
void nn_pb_allocator(ProtobufCAllocator *a, nn_pb_budget *b, size_t len);

/* Protobuf strings are NULL when absent. */
static inline const char *nn_str(const char *s) { return s ? s : ""; }

/* One definition of a tensor name, for the sorted name table. */
typedef enum nn_def_kind { NN_DEF_INPUT, NN_DEF_INIT, NN_DEF_NODE } nn_def_kind;
typedef struct nn_def {
  const char *name;   /* points into the unpacked model */
  size_t seq;         /* order of appearance: inputs, initializers, node outputs */
  nn_def_kind kind;
  int index;          /* graph input, initializer or node index (file order) */
  int value;          /* value index, once assigned */
} nn_def;

/* load_wire.c: the model's bytes without the initializers' raw_data (the
 * skeleton protobuf-c unpacks) and where each raw_data lies in the file. In
 * the skeleton an initializer's raw_data is 4 bytes, the little-endian index
 * of its slice. nn_wire_split returns 1, 0 when the wire format is broken,
 * -1 when out of memory. */
typedef struct nn_slice {
  size_t off, len;
} nn_slice;
typedef struct nn_wire {
  uint8_t *skeleton;
  size_t len;
  nn_slice *slices;
  size_t n_slices;
} nn_wire;
int nn_wire_split(const void *data, size_t len, nn_wire *out);
void nn_wire_free(nn_wire *w);

/* Where initializers' raw bytes are read from: the file's bytes and the
 * slices. `keep`: the bytes outlive the graph (the graph holds the mapping),
 * so tensors may point into them. `pool`: room (g->weights) for float16
 * tensors as float32 and for copies of those that cannot be used in place,
 * taken in order. */
typedef struct nn_raw_src {
  const uint8_t *data;
  const nn_slice *slices;
  size_t n_slices;
  int keep;
  uint8_t *pool;
  size_t pool_left;
  nn_load_stats *stats;
} nn_raw_src;
/* The slice an initializer's raw_data marker names: 1 and its bytes, or 0
 * when tp has no marker (no raw_data) or a bad one. */
int nn_raw_slice(const nn_raw_src *raw, const Onnx__TensorProto *tp, const uint8_t **p, size_t *len);
/* Bytes initializer tp will take from raw->pool when loaded: float16 as
 * float32, and what cannot be used in place, each rounded up to 64. */
size_t nn_raw_pool_bytes(const nn_raw_src *raw, const Onnx__TensorProto *tp);

/* load_pool.c: the weights block, g->weights. nn_pool_need: room a tensor
 * of `bytes` takes (0 for 0); nn_pool_open maps `total`, its pages faulted
 * in on ctx's threads (0 when out of memory); nn_pool_take carves the next
 * tensor (NULL when it does not fit); nn_pool_close unmaps (nn_graph_free
 * calls it). */
size_t nn_pool_need(size_t bytes);
int nn_pool_open(dm_context *ctx, nn_graph *g, size_t total);
void *nn_pool_take(nn_raw_src *raw, size_t bytes);
void nn_pool_close(nn_graph *g);

dm_status nn_map_open(dm_context *ctx, const char *path, size_t max_bytes, nn_map *m);
void nn_map_close(nn_map *m);

typedef struct nn_loader {
  dm_context *ctx;
  nn_graph *g;
  const char *base_dir;
  nn_raw_src *raw;
  Onnx__GraphProto *gp;
  nn_def *defs;       /* sorted by (name, seq) */
  size_t n_defs;
} nn_loader;

/* load_graph.c: the name table, values, graph inputs and outputs, their
 * declared types, and initializer data. */
dm_status nn_load_values(nn_loader *L);
/* Value index of `name`, or -1. */
int nn_find_value(const nn_loader *L, const char *name);

/* load_node.c: fills g->nodes (file order): names, op types, domains,
 * attributes, inputs and outputs as value indices; sets value producers.
 * Needs nn_load_values first. */
dm_status nn_load_nodes(nn_loader *L);
void nn_attr_free(nn_attr *a);

/* load_sort.c: reorders g->nodes topologically; fails on a cycle. */
dm_status nn_sort_nodes(nn_loader *L);

/* load_tensor.c: converts `tp` into `t` (float16 becomes float32). `who`
 * names the tensor in messages ("tensor 'W'"). With `raw` (initializers of
 * a split file) the raw_data is the slice its marker names and t->data may
 * point into raw->data or raw->pool; *owned gets t->data only when it was
 * malloc'd here (NULL otherwise). Without `raw` t->data is always malloc'd
 * and *owned == t->data. May take over tp's raw_data buffer (tp must come
 * from an unpack with nn_pb_allocator). `base_dir` may be NULL (external
 * data then fails). */
dm_status nn_load_tensor(dm_context *ctx, const char *file, Onnx__TensorProto *tp,
                         const char *base_dir, const char *who, nn_raw_src *raw,
                         dm_nn_tensor *t, void **owned);
/* ONNX data type code -> dm_nn_dtype this runtime can hold, or
 * DM_NN_UNDEFINED. */
dm_nn_dtype nn_onnx_dtype(int32_t code);
/* "float32", "string", ... for any ONNX data type code, for messages. */
const char *nn_onnx_type_name(int32_t code);

/* load_external.c: reads the `bytes` bytes of external data that tp's
 * external_data entries point to into a malloc'd *out (the file's size is
 * checked before allocating). */
dm_status nn_read_external(dm_context *ctx, const char *file, const Onnx__TensorProto *tp,
                           const char *base_dir, const char *who, size_t bytes, uint8_t **out);

#endif
