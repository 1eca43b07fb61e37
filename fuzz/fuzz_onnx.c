/* libFuzzer target for the ONNX loader: the bytes as a model (from memory,
 * no folder, so external data must fail cleanly) and as one TensorProto
 * (.pb). Whatever loads must be self-consistent: indices in range, nodes in
 * topological order, constants with data. Seeds: fuzz/make_seeds.sh
 * fuzz_onnx (the ONNX test suite's node models and tensors). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

static void check_graph(const nn_graph *g) {
  for (int i = 0; i < g->n_inputs; i++)
    if (g->inputs[i] < 0 || g->inputs[i] >= g->n_values) abort();
  for (int i = 0; i < g->n_outputs; i++)
    if (g->outputs[i] < 0 || g->outputs[i] >= g->n_values) abort();
  for (int k = 0; k < g->n_nodes; k++) {
    const nn_node *n = &g->nodes[k];
    for (int j = 0; j < n->n_in; j++)
      if (n->in[j] < -1 || n->in[j] >= g->n_values ||
          (n->in[j] >= 0 && g->values[n->in[j]].producer >= k))
        abort();
    for (int j = 0; j < n->n_out; j++)
      if (n->out[j] < -1 || n->out[j] >= g->n_values ||
          (n->out[j] >= 0 && g->values[n->out[j]].producer != k))
        abort();
  }
  for (int i = 0; i < g->n_values; i++) {
    const nn_value *v = &g->values[i];
    if (v->is_initializer && !v->t.data) abort();
    if (v->is_initializer && dm_nn_numel(&v->t) < 0) abort();
    if (v->decl_ndim < -1 || v->decl_ndim > DM_NN_MAX_DIMS) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dm_context *ctx = dm_context_new(1);
  if (!ctx) return 0;
  nn_graph g;
  if (nn_graph_load(ctx, "fuzz.onnx", data, size, NULL, &g) == DM_OK) check_graph(&g);
  nn_graph_free(&g);
  dm_nn_tensor t;
  char *name = NULL;
  if (nn_tensor_from_pb(ctx, "fuzz.pb", data, size, &t, &name) == DM_OK) {
    if (!t.data || dm_nn_numel(&t) < 0) abort();
    free(t.data);
    free(name);
  }
  dm_context_free(ctx);
  return 0;
}
