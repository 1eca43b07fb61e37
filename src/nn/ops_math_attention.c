/* MatMul -> Softmax(last axis) -> MatMul, the attention core, fused by the
 * planner (fuse.c) into one node: Y = softmax(A . B) . V with A [..., M, K],
 * B [..., K, N], V [..., N, D], the same leading (batch) dims on all three.
 * The unfused graph writes the M x N scores of every batch matrix out to
 * memory and reads them back three times (DA-V2-S: 6 heads x 1370 x 1370
 * floats a layer, 45 MB, three times the L3); here each worker takes a block
 * of R rows of one batch matrix, computes their R x N scores into its own
 * scratch (sized to stay in L2), normalises them with the Softmax op's own
 * row function and multiplies them by V straight away (the products:
 * math_att_kern.c with AVX2, else sgemm). The arithmetic is the unfused
 * graph's, row by row, so results agree to float rounding, NaN and inf
 * included. One DA-V2-S layer (nn_test_attention bench, 2 threads, shared
 * Zen 3): 45 ms fused, 103 ms as MatMul + Softmax + MatMul. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/pool.h"
#include "nn/conv_internal.h"
#include "nn/math_internal.h"

#define ATT_BLOCK_BYTES (192 << 10) /* one worker's score block: well inside a 512 KB L2 */
#define ATT_ROWS_MIN 4
#define ATT_ROWS_MAX 64

typedef struct att_dims {
  int64_t batch, m, k, n, d;
} att_dims;

static dm_status att_shape(nn_kctx *k, att_dims *s) {
  const dm_nn_tensor *a = k->in[0], *b = k->in[1], *v = k->in[2];
  int r = a->ndim;
  if (r < 2 || b->ndim != r || v->ndim != r) return nn_fail(k, DM_ERR_FORMAT, "inputs must have one rank >= 2");
  s->batch = 1;
  for (int i = 0; i < r - 2; i++) {
    if (b->dims[i] != a->dims[i] || v->dims[i] != a->dims[i])
      return nn_fail(k, DM_ERR_FORMAT, "batch dims differ");
    s->batch *= a->dims[i];
  }
  s->m = a->dims[r - 2], s->k = a->dims[r - 1], s->n = b->dims[r - 1], s->d = v->dims[r - 1];
  if (b->dims[r - 2] != s->k || v->dims[r - 2] != s->n) return nn_fail(k, DM_ERR_FORMAT, "inner dims differ");
  if (s->m > INT32_MAX || s->k > INT32_MAX || s->n > INT32_MAX || s->d > INT32_MAX)
    return nn_fail(k, DM_ERR_FORMAT, "matrices too large for BLAS");
  return DM_OK;
}

static dm_status att_infer(nn_kctx *k) {
  dm_status s = DM_OK;
  for (int i = 0; i < 3 && s == DM_OK; i++) s = nn_math_need_float(k, i);
  att_dims d;
  if (s == DM_OK) s = att_shape(k, &d);
  if (s != DM_OK) return s;
  dm_nn_tensor *y = k->out[0];
  *y = *k->in[0];
  y->data = NULL;
  y->dims[y->ndim - 1] = d.d;
  return DM_OK;
}

static int64_t att_rows(const att_dims *d) {
  int64_t r = ATT_BLOCK_BYTES / (int64_t)sizeof(float) / (d->n > 0 ? d->n : 1);
  r = r < ATT_ROWS_MIN ? ATT_ROWS_MIN : r > ATT_ROWS_MAX ? ATT_ROWS_MAX : r;
  return r > d->m ? d->m : r;
}

static int att_slots(const nn_kctx *k) { return k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1; }

static dm_status att_prepare(nn_kctx *k) {
  att_dims d;
  dm_status s = att_shape(k, &d);
  if (s != DM_OK) return s;
  k->node->scratch = (size_t)att_slots(k) * (size_t)(att_rows(&d) * d.n) * sizeof(float);
  att_dims *keep = malloc(sizeof *keep); /* for describe */
  if (keep) *keep = d;
  free(k->node->state);
  k->node->state = keep;
  return DM_OK;
}

typedef struct att_job {
  att_dims d;
  int64_t rows, blocks; /* rows per item, items per batch matrix */
  int slots, vec8; /* vec8: the AVX2 products and exp (math_att_kern.c), else sgemm */
  const float *a, *b, *v;
  float *y, *scratch;
  atomic_llong next;
} att_job;

static void att_worker(void *user, int ith, int nth) {
  att_job *j = user;
  (void)nth;
  if (ith >= j->slots) return;
  const att_dims *d = &j->d;
  float *s = j->scratch + (size_t)ith * (size_t)(j->rows * d->n);
  const int64_t items = d->batch * j->blocks;
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    const int64_t bt = it / j->blocks, r0 = (it % j->blocks) * j->rows;
    const int rows = (int)(d->m - r0 < j->rows ? d->m - r0 : j->rows);
    const float *a = j->a + (bt * d->m + r0) * d->k, *b = j->b + bt * d->k * d->n;
    const float *v = j->v + bt * d->n * d->d;
    float *y = j->y + (bt * d->m + r0) * d->d;
    if (d->k == 0)
      memset(s, 0, (size_t)(rows * d->n) * sizeof *s);
    else if (j->vec8)
      nn_att_scores8(a, rows, d->k, b, d->n, s);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)d->n, (int)d->k, 1.0f, a, (int)d->k, b,
                  (int)d->n, 0.0f, s, (int)d->n);
    for (int r = 0; r < rows; r++) nn_softmax_row(s + r * d->n, s + r * d->n, d->n, j->vec8);
    if (d->d == 0) continue;
    if (j->vec8)
      nn_att_values8(s, rows, d->n, v, d->d, y);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)d->d, (int)d->n, 1.0f, s, (int)d->n, v,
                  (int)d->d, 0.0f, y, (int)d->d);
  }
}

static dm_status att_run(nn_kctx *k) {
  att_job j;
  memset(&j, 0, sizeof j);
  dm_status s = att_shape(k, &j.d);
  if (s != DM_OK) return s;
  if (nn_numel(k->out[0]) == 0) return DM_OK;
  if (j.d.n == 0) { /* softmax over nothing: the products are empty sums */
    memset(k->out[0]->data, 0, (size_t)nn_numel(k->out[0]) * sizeof(float));
    return DM_OK;
  }
  j.rows = att_rows(&j.d);
  j.blocks = (j.d.m + j.rows - 1) / j.rows;
  j.slots = att_slots(k);
  j.vec8 = nn_vec8_ok();
  j.a = k->in[0]->data, j.b = k->in[1]->data, j.v = k->in[2]->data;
  j.y = k->out[0]->data;
  j.scratch = k->scratch;
  atomic_init(&j.next, 0);
  if (!j.vec8) nn_blas_single_thread(); /* one product per worker */
  dm_parallel(k->ctx, att_worker, &j);
  return DM_OK;
}

static void att_release(void *state) { free(state); }

static void att_describe(const nn_node *n, char *buf, size_t len, double *macs) {
  const att_dims *d = n->state;
  if (!d) return;
  snprintf(buf, len, "attention %lldx [%lld,%lld]x[%lld,%lld]x[%lld,%lld]", (long long)d->batch, (long long)d->m,
           (long long)d->k, (long long)d->k, (long long)d->n, (long long)d->n, (long long)d->d);
  *macs = (double)d->batch * (double)d->m * (double)d->n * (double)(d->k + d->d);
}

/* Not in the op table: only the planner makes these nodes. */
const nn_op nn_op_attention = {"Attention(fused)", 1, NN_MATH_OPSET_MAX, 0, att_infer, att_prepare, att_run,
                               att_release, att_describe};
