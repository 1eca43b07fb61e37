/* libFuzzer target for the model splitter (src/nn/load_wire.c), checked
 * against protobuf-c itself. Whenever protobuf-c unpacks the bytes as they
 * are, the splitter must accept them and its skeleton must unpack too, with
 * the same initializers in the same order (names, types, dims) and each
 * raw_data equal to the bytes of the slice its marker names; every slice
 * lies inside the input. The whole loader runs on the bytes too (fuzz_onnx
 * checks what it builds). Seeds: fuzz/make_seeds.sh fuzz_onnx_wire (the
 * fuzz_onnx ones). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/load_internal.h"

static int same_str(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

static void compare(const uint8_t *data, size_t size, const nn_wire *w, const Onnx__GraphProto *a,
                    const Onnx__GraphProto *b) {
  if (!a || !b) {
    if (a || b) abort();
    return;
  }
  if (a->n_initializer != b->n_initializer || a->n_node != b->n_node) abort();
  nn_raw_src raw = {.data = data, .slices = w->slices, .n_slices = w->n_slices};
  for (size_t i = 0; i < a->n_initializer; i++) {
    const Onnx__TensorProto *x = a->initializer[i], *y = b->initializer[i];
    if (!same_str(x->name, y->name) || x->data_type != y->data_type || x->n_dims != y->n_dims)
      abort();
    if (x->n_dims && memcmp(x->dims, y->dims, x->n_dims * sizeof *x->dims)) abort();
    const uint8_t *p;
    size_t len;
    int sliced = nn_raw_slice(&raw, y, &p, &len);
    if (x->has_raw_data != sliced) abort();
    if (sliced && (len != x->raw_data.len || (len && memcmp(p, x->raw_data.data, len)))) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nn_wire w;
  int split = nn_wire_split(data, size, &w);
  if (split < 0) return 0;
  for (size_t i = 0; split && i < w.n_slices; i++)
    if (w.slices[i].off > size || w.slices[i].len > size - w.slices[i].off) abort();
  ProtobufCAllocator a1, a2;
  nn_pb_budget b1, b2;
  nn_pb_allocator(&a1, &b1, size);
  nn_pb_allocator(&a2, &b2, size);
  Onnx__ModelProto *orig = onnx__model_proto__unpack(&a1, size, data);
  Onnx__ModelProto *skel = split ? onnx__model_proto__unpack(&a2, w.len, w.skeleton) : NULL;
  /* What protobuf-c reads, the splitter must not refuse, and its skeleton
   * must read the same (a budget refusal of either is no verdict). */
  if (orig && !b2.exceeded) {
    if (!split || !skel) abort();
    compare(data, size, &w, orig->graph, skel->graph);
  }
  if (orig) onnx__model_proto__free_unpacked(orig, &a1);
  if (skel) onnx__model_proto__free_unpacked(skel, &a2);
  if (split) nn_wire_free(&w);

  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  nn_graph g;
  if (nn_graph_load(ctx, "fuzz.onnx", data, size, NULL, &g) == DM_OK) {
    for (int i = 0; i < g.n_values; i++)
      if (g.values[i].is_initializer && !g.values[i].t.data) abort();
    nn_graph_free(&g);
  }
  dm_context_free(ctx);
  return 0;
}
