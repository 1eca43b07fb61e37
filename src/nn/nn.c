/* The public face of the runtime: load, describe, run. A model keeps the
 * loaded graph and the plan for the last input shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "nn/plan.h"

struct dm_nn_model {
  nn_graph graph;
  nn_plan plan;
  int planned;
  int profile;
};

dm_status dm_nn_load_buffer(dm_context *ctx, const char *name, const void *data, size_t len,
                            const char *base_dir, dm_nn_model **out) {
  *out = NULL;
  dm_nn_model *m = calloc(1, sizeof *m);
  if (!m) return dm_fail(ctx, DM_ERR_NOMEM, name, "out of memory");
  dm_status s = nn_graph_load(ctx, name, data, len, base_dir, &m->graph);
  if (s != DM_OK) {
    free(m);
    return s;
  }
  *out = m;
  return DM_OK;
}

dm_status dm_nn_load(dm_context *ctx, const char *path, dm_nn_model **out) {
  *out = NULL;
  dm_nn_model *m = calloc(1, sizeof *m);
  if (!m) return dm_fail(ctx, DM_ERR_NOMEM, path, "out of memory");
  dm_status s = nn_graph_load_file(ctx, path, &m->graph);
  if (s != DM_OK) {
    free(m);
    return s;
  }
  *out = m;
  return DM_OK;
}

void dm_nn_free(dm_nn_model *m) {
  if (!m) return;
  if (m->planned) nn_plan_free(&m->plan);
  nn_graph_free(&m->graph);
  free(m);
}

int dm_nn_input_count(const dm_nn_model *m) { return m->graph.n_inputs; }
int dm_nn_output_count(const dm_nn_model *m) { return m->graph.n_outputs; }
int dm_nn_opset(const dm_nn_model *m) { return m->graph.opset; }
const char *dm_nn_input_name(const dm_nn_model *m, int i) { return m->graph.values[m->graph.inputs[i]].name; }
const char *dm_nn_output_name(const dm_nn_model *m, int i) { return m->graph.values[m->graph.outputs[i]].name; }

void dm_nn_input_decl(const dm_nn_model *m, int i, dm_nn_tensor *decl) {
  const nn_value *v = &m->graph.values[m->graph.inputs[i]];
  memset(decl, 0, sizeof *decl);
  decl->dtype = v->decl_dtype == DM_NN_FLOAT16 ? DM_NN_FLOAT : v->decl_dtype;
  decl->ndim = v->decl_ndim;
  for (int d = 0; d < v->decl_ndim && d < DM_NN_MAX_DIMS; d++) decl->dims[d] = v->decl_dims[d];
}

void dm_nn_set_profile(dm_nn_model *m, int on) { m->profile = on; }

void dm_nn_print_profile(const dm_nn_model *m, void *fp) {
  if (m->planned) nn_plan_print_profile(&m->plan, fp);
}

static void free_outputs(dm_nn_tensor *outputs, int n) {
  for (int i = 0; i < n; i++) {
    free(outputs[i].data);
    outputs[i].data = NULL;
  }
}

dm_status dm_nn_run(dm_context *ctx, dm_nn_model *m, const dm_nn_tensor *inputs, dm_nn_tensor *outputs,
                    const int *want) {
  nn_graph *g = &m->graph;
  for (int i = 0; i < g->n_outputs; i++) memset(&outputs[i], 0, sizeof outputs[i]);
  for (int i = 0; i < g->n_inputs; i++)
    if (!inputs[i].data && dm_nn_numel(&inputs[i]) > 0)
      return dm_fail(ctx, DM_ERR_PARAM, g->name, "input '%s' has no data", dm_nn_input_name(m, i));
  const char *no_blas = dm_blas_unavailable();
  if (no_blas) return dm_fail(ctx, DM_ERR_IO, g->name, "the networks need OpenBLAS, which cannot be loaded: %s", no_blas);
  if (!m->planned || !nn_plan_matches(&m->plan, inputs, want)) {
    if (m->planned) nn_plan_free(&m->plan);
    m->planned = 0;
    dm_status s = nn_plan_build(ctx, g, inputs, want, &m->plan);
    if (s != DM_OK) return s;
    m->planned = 1;
  }
  nn_plan *p = &m->plan;
  dm_status s = nn_plan_arena_acquire(ctx, p);
  if (s != DM_OK) return s;
  for (int i = 0; i < g->n_inputs; i++) {
    const dm_nn_tensor *t = &p->g.values[g->inputs[i]].t;
    if (p->g.values[g->inputs[i]].is_const) continue;
    size_t bytes = (size_t)dm_nn_numel(t) * dm_nn_dtype_size(t->dtype);
    if (bytes) memcpy(t->data, inputs[i].data, bytes);
  }
  s = nn_exec(ctx, p, m->profile);
  for (int i = 0; s == DM_OK && i < g->n_outputs; i++) {
    if (!p->want[i]) continue;
    const dm_nn_tensor *t = &p->g.values[g->outputs[i]].t;
    size_t bytes = (size_t)dm_nn_numel(t) * dm_nn_dtype_size(t->dtype);
    outputs[i] = *t;
    outputs[i].data = malloc(bytes ? bytes : 1);
    if (!outputs[i].data) s = dm_fail(ctx, DM_ERR_NOMEM, g->name, "out of memory for outputs");
    else if (bytes) memcpy(outputs[i].data, t->data, bytes);
  }
  nn_plan_arena_release(p);
  if (s != DM_OK) free_outputs(outputs, g->n_outputs);
  return s;
}

const nn_plan *nn_model_plan(const dm_nn_model *m) { return m->planned ? &m->plan : NULL; }
