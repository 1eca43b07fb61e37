/* Driving one kernel the way the planner does (infer, outputs allocated
 * with the inferred shape, prepare + scratch, run, release), for the tensor
 * kernel tests (test_ops_tensor.c, test_ops_resize.c). */
#ifndef DM_TEST_TENSOR_HARNESS_H
#define DM_TEST_TENSOR_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "dm_test.h"
#include "nn/nn_internal.h"

typedef struct th_node {
  nn_node node;
  int in_ids[16], out_ids[16];   /* no graph: all -1 */
  nn_attr attrs[16];
  int64_t ints[16][16];
  float floats[16][16];
} th_node;

static inline void th_init(th_node *t, const char *op) {
  memset(t, 0, sizeof *t);
  t->node.name = "t";
  t->node.op_type = (char *)op;
  t->node.domain = "";
  t->node.attrs = t->attrs;
  for (int i = 0; i < 16; i++) t->in_ids[i] = t->out_ids[i] = -1;
  t->node.in = t->in_ids, t->node.out = t->out_ids;
}
static inline void th_ints(th_node *t, const char *name, int n, const int64_t *v) {
  nn_attr *a = &t->attrs[t->node.n_attrs];
  a->name = (char *)name, a->type = NN_ATTR_INTS, a->n = (size_t)n;
  memcpy(t->ints[t->node.n_attrs], v, (size_t)n * sizeof *v);
  a->ints = t->ints[t->node.n_attrs++];
}
static inline void th_floats(th_node *t, const char *name, int n, const float *v) {
  nn_attr *a = &t->attrs[t->node.n_attrs];
  a->name = (char *)name, a->type = NN_ATTR_FLOATS, a->n = (size_t)n;
  memcpy(t->floats[t->node.n_attrs], v, (size_t)n * sizeof *v);
  a->floats = t->floats[t->node.n_attrs++];
}
static inline void th_int(th_node *t, const char *name, int64_t v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_INT, a->i = v;
}
static inline void th_str(th_node *t, const char *name, const char *v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_STRING, a->s = (char *)v;
}
static inline void th_float(th_node *t, const char *name, float v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_FLOAT, a->f = v;
}
static inline void th_tensor_attr(th_node *t, const char *name, dm_nn_tensor v) {
  nn_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = (char *)name, a->type = NN_ATTR_TENSOR, a->t = v;
}

/* A tensor of `dtype` over a malloc'd copy of `data` (NULL: zeros). */
static inline dm_nn_tensor th_tensor(dm_nn_dtype dtype, int ndim, const int64_t *dims, const void *data) {
  dm_nn_tensor t = {dtype, ndim, {0}, NULL};
  if (ndim) memcpy(t.dims, dims, (size_t)ndim * sizeof *dims);
  size_t bytes = (size_t)dm_nn_numel(&t) * dm_nn_dtype_size(dtype);
  t.data = calloc(bytes ? bytes : 1, 1);
  if (data && bytes) memcpy(t.data, data, bytes);
  return t;
}
static inline dm_nn_tensor th_i64(int n, const int64_t *v) {
  int64_t d = n;
  return th_tensor(DM_NN_INT64, 1, &d, v);
}
static inline dm_nn_tensor th_f32(int ndim, const int64_t *dims, const float *v) {
  return th_tensor(DM_NN_FLOAT, ndim, dims, v);
}

/* in[i] may be NULL (omitted input). Outputs get malloc'd data; free them
 * with th_free. */
static inline dm_status th_run(dm_context *ctx, th_node *t, int opset, dm_nn_tensor **in, int n_in,
                               dm_nn_tensor **out, int n_out) {
  t->node.n_in = n_in, t->node.n_out = n_out;
  const nn_op *op = nn_find_op("", t->node.op_type, opset);
  if (!op) {
    fprintf(stderr, "no kernel for %s at opset %d\n", t->node.op_type, opset);
    return DM_ERR_INTERNAL;
  }
  nn_kctx k = {ctx, NULL, &t->node, opset, n_in, n_out, in, out, NULL};
  for (int i = 0; i < n_out; i++)
    if (out[i]) memset(out[i], 0, sizeof *out[i]);
  dm_status s = op->infer(&k);
  for (int i = 0; s == DM_OK && i < n_out; i++) {
    if (!out[i]) continue;
    int64_t n = dm_nn_numel(out[i]);
    size_t es = dm_nn_dtype_size(out[i]->dtype);
    if (n < 0 || !es) return DM_ERR_INTERNAL;
    out[i]->data = malloc((size_t)(n ? n : 1) * es);
    memset(out[i]->data, 0xAB, (size_t)(n ? n : 1) * es); /* catch unwritten elements */
  }
  if (s == DM_OK && op->prepare) s = op->prepare(&k);
  void *scratch = NULL;
  if (s == DM_OK && t->node.scratch) k.scratch = scratch = aligned_alloc(64, (t->node.scratch + 63) & ~(size_t)63);
  if (s == DM_OK) s = op->run(&k);
  free(scratch);
  if (t->node.state && op->release) op->release(t->node.state);
  t->node.state = NULL, t->node.scratch = 0;
  return s;
}

static inline void th_free(dm_nn_tensor *t) {
  free(t->data);
  t->data = NULL;
}

static inline int th_dims_are(const dm_nn_tensor *t, int ndim, const int64_t *dims) {
  if (t->ndim != ndim) return 0;
  for (int i = 0; i < ndim; i++)
    if (t->dims[i] != dims[i]) return 0;
  return 1;
}

#endif
