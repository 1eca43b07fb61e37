/* The plan: a private copy of the graph specialised to one set of input
 * shapes, with constants folded, operators fused, kernels prepared and every
 * runtime tensor placed in one arena.
 *
 * The copy shares initializer data and attributes with the loaded graph
 * (borrowed) and owns everything it creates (folded constants, fused
 * weights, per-node state), so re-planning for new shapes starts again from
 * the untouched graph. */
#ifndef DM_NN_PLAN_H
#define DM_NN_PLAN_H

#include "nn/nn_internal.h"

typedef struct nn_plan {
  nn_graph g;               /* copy: values, nodes (in/out arrays owned; attrs borrowed) */
  unsigned char *owns;      /* owns[v]: g.values[v].owned was allocated by the plan */
  int *order;               /* live nodes in execution order */
  int n_order;
  dm_nn_tensor **ptrs;      /* kernel in/out pointer arrays, carved per node */
  int *ptr_base;            /* ptr_base[node]: index of its inputs in ptrs (outputs follow) */
  unsigned char *arena;     /* NULL between runs when borrowed */
  size_t arena_size;
  int arena_borrowed;       /* taken from core/bigmem.c's pool for each run */
  int *arena_vals;          /* the values placed in the arena (their offset fields) */
  int n_arena_vals;
  unsigned char *scratch;
  size_t scratch_size;
  /* What the plan was made for. */
  dm_nn_tensor *in_sig;     /* dtype + dims per runtime input */
  unsigned char *want;      /* per output */
  /* Profile: seconds per node of the last runs. */
  double *node_time;
  int profiled_runs;
} nn_plan;

/* Tiny inputs (at most 64 int64 / int32 elements, at most 8 floats) are
 * taken as plan-time constants and the plan is keyed on their values: they
 * are the shapes, axes, scales and limits that Reshape, Slice, Expand, Tile,
 * Pad, Resize, Range... must know to plan statically. Image tensors are never
 * this small, and re-planning when such a value changes is cheap. */
static inline int nn_input_specialised(const dm_nn_tensor *t) {
  int64_t n = dm_nn_numel(t);
  if (t->dtype == DM_NN_INT64 || t->dtype == DM_NN_INT32) return n >= 0 && n <= 64;
  return t->dtype == DM_NN_FLOAT && n >= 0 && n <= 8;
}

/* Build a plan from the loaded graph for these inputs (data ignored, except
 * for specialised inputs). */
dm_status nn_plan_build(dm_context *ctx, const nn_graph *src, const dm_nn_tensor *inputs,
                        const int *want, nn_plan *p);
void nn_plan_free(nn_plan *p);
/* True if the plan was made for these input types/shapes and wanted outputs. */
int nn_plan_matches(const nn_plan *p, const dm_nn_tensor *inputs, const int *want);

/* Steps of nn_plan_build, in files of their own. */
dm_status nn_fuse(dm_context *ctx, nn_plan *p);          /* fuse.c */
dm_status nn_memory_plan(dm_context *ctx, nn_plan *p);   /* arena.c */
/* Give the arena memory (again) and point the runtime values into it; a
 * borrowed arena goes back to the pool with nn_plan_arena_release. */
dm_status nn_plan_arena_acquire(dm_context *ctx, nn_plan *p);
void nn_plan_arena_release(nn_plan *p);
/* Replace the data of constant value v with a new plan-owned buffer. */
void nn_plan_set_const(nn_plan *p, int v, void *data);
/* Number of live nodes reading value v (and 1 more if it is a graph output). */
int nn_plan_uses(const nn_plan *p, int v);

/* Run the planned nodes on the inputs already copied into the arena. */
dm_status nn_exec(dm_context *ctx, nn_plan *p, int profile);   /* exec.c */
/* Kernel context for node i of the plan. */
void nn_plan_kctx(dm_context *ctx, nn_plan *p, int i, nn_kctx *k);

#include <stdio.h>
void nn_plan_print_profile(const nn_plan *p, FILE *fp);

/* True when every output of the node is empty (a 0 dimension): there is
 * nothing to compute, and kernels are not asked to. */
int nn_outputs_empty(const nn_kctx *k);

void *nn_alloc_aligned(size_t bytes);   /* 64-byte aligned, huge pages for large; free() */

/* For tests and diagnostics: the current plan of a model (NULL before the
 * first run). */
const nn_plan *nn_model_plan(const dm_nn_model *m);

#endif
