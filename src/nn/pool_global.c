/* GlobalAveragePool and GlobalMaxPool: one value per (batch, channel)
 * plane, output [N, C, 1, ...]. Averages accumulate in double. */
#include <float.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

static dm_status global_infer(nn_kctx *k) {
  if (k->n_in < 1 || !k->in[0] || k->n_out < 1 || !k->out[0])
    return nn_fail(k, DM_ERR_FORMAT, "needs input X and output Y");
  const dm_nn_tensor *x = k->in[0];
  dm_status s = nn_conv_need_float(k, x, "X");
  if (s) return s;
  if (x->ndim < 3) return nn_fail(k, DM_ERR_FORMAT, "X has rank %d, expected >= 3", x->ndim);
  for (int i = 2; i < x->ndim; i++)
    if (x->dims[i] < 1) return nn_fail(k, DM_ERR_FORMAT, "empty spatial axis %d", i - 2);
  dm_nn_tensor *y = k->out[0];
  y->dtype = DM_NN_FLOAT;
  y->ndim = x->ndim;
  y->dims[0] = x->dims[0];
  y->dims[1] = x->dims[1];
  for (int i = 2; i < x->ndim; i++) y->dims[i] = 1;
  return DM_OK;
}

typedef struct global_job {
  const float *x;
  float *y;
  int64_t planes, size;
  int is_max;
} global_job;

static void global_worker(void *user, int ith, int nth) {
  const global_job *j = user;
  for (int64_t p = j->planes * ith / nth; p < j->planes * (ith + 1) / nth; p++) {
    const float *x = j->x + p * j->size;
    if (j->is_max) {
      float m = x[0];
      for (int64_t i = 1; i < j->size; i++) m = x[i] > m ? x[i] : m;
      j->y[p] = m;
    } else {
      double s = 0.0;
      for (int64_t i = 0; i < j->size; i++) s += x[i];
      j->y[p] = (float)(s / (double)j->size);
    }
  }
}

static dm_status global_run(nn_kctx *k, int is_max) {
  const dm_nn_tensor *x = k->in[0];
  global_job j = {x->data, k->out[0]->data, x->dims[0] * x->dims[1], 1, is_max};
  for (int i = 2; i < x->ndim; i++) j.size *= x->dims[i];
  dm_parallel(k->ctx, global_worker, &j);
  return DM_OK;
}
static dm_status gmax_run(nn_kctx *k) { return global_run(k, 1); }
static dm_status gavg_run(nn_kctx *k) { return global_run(k, 0); }

const nn_op nn_op_global_averagepool = {"GlobalAveragePool", 1, 22, 0, global_infer, NULL, gavg_run, NULL, NULL};
const nn_op nn_op_global_maxpool = {"GlobalMaxPool", 1, 22, 0, global_infer, NULL, gmax_run, NULL, NULL};
