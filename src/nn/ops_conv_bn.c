/* BatchNormalization, inference form: y = (x - mean) / sqrt(var + eps) *
 * scale + B per channel, as one multiply-add per element. Opset 14's
 * training_mode = 1 is also computed (batch statistics for Y, and the
 * running_mean / running_var outputs); older opsets' training outputs are
 * refused. spatial = 0 (opsets < 9) takes per-element parameters. */
#include <math.h>
#include <stdlib.h>

#include "core/pool.h"
#include "nn/conv_internal.h"

typedef struct bn_shape {
  int64_t n, c, s;   /* batch, channels, elements per channel plane */
  int64_t pc;        /* parameters per sample: C (spatial) or C * S */
  int training;
} bn_shape;

static dm_status bn_shape_of(nn_kctx *k, bn_shape *b) {
  if (k->n_in < 5) return nn_fail(k, DM_ERR_FORMAT, "needs 5 inputs, has %d", k->n_in);
  for (int i = 0; i < 5; i++) {
    if (!k->in[i]) return nn_fail(k, DM_ERR_FORMAT, "input %d missing", i);
    dm_status s = nn_conv_need_float(k, k->in[i], i ? "parameter" : "X");
    if (s) return s;
  }
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs output Y");
  const dm_nn_tensor *x = k->in[0];
  if (x->ndim < 2) return nn_fail(k, DM_ERR_FORMAT, "X has rank %d, expected >= 2", x->ndim);
  b->n = x->dims[0];
  b->c = x->dims[1];
  b->s = 1;
  for (int i = 2; i < x->ndim; i++) b->s *= x->dims[i];
  int spatial = k->opset < 9 ? (int)nn_attr_int(k->node, "spatial", 1) : 1;
  b->pc = spatial ? b->c : b->c * b->s;
  int extra = 0;
  for (int i = 1; i < k->n_out; i++) extra |= k->out[i] != NULL;
  b->training = k->opset >= 14 && nn_attr_int(k->node, "training_mode", 0) != 0;
  if (extra && !b->training)
    return nn_fail(k, DM_ERR_FORMAT, "training outputs are only supported with training_mode = 1 (opset 14+)");
  if (b->training && !spatial) return nn_fail(k, DM_ERR_FORMAT, "training_mode with spatial = 0");
  for (int i = 1; i < 5; i++) {
    int64_t ne = nn_numel(k->in[i]);
    if (ne != b->pc && !(ne == b->c && !spatial))
      return nn_fail(k, DM_ERR_FORMAT, "parameter %d has %lld values, expected %lld", i, (long long)ne,
                     (long long)b->pc);
  }
  if (!spatial && nn_numel(k->in[1]) == b->c) b->pc = b->c; /* per-channel anyway */
  return DM_OK;
}

static dm_status bn_infer(nn_kctx *k) {
  bn_shape b;
  dm_status s = bn_shape_of(k, &b);
  if (s) return s;
  *k->out[0] = *k->in[0];
  k->out[0]->data = NULL;
  for (int i = 1; i < 3 && i < k->n_out; i++)
    if (k->out[i]) {
      k->out[i]->dtype = DM_NN_FLOAT;
      k->out[i]->ndim = 1;
      k->out[i]->dims[0] = b.c;
    }
  return DM_OK;
}

typedef struct bn_job {
  const bn_shape *b;
  const float *x, *scale, *bias, *mean, *var;
  float *y;
  float eps;
} bn_job;

static void bn_worker(void *user, int ith, int nth) {
  const bn_job *j = user;
  const bn_shape *b = j->b;
  const int64_t planes = b->n * b->c;
  for (int64_t pl = planes * ith / nth; pl < planes * (ith + 1) / nth; pl++) {
    const int64_t c = pl % b->c;
    const float *x = j->x + pl * b->s;
    float *y = j->y + pl * b->s;
    if (b->pc == b->c) {
      const float a = j->scale[c] / sqrtf(j->var[c] + j->eps), o = j->bias[c] - j->mean[c] * a;
      for (int64_t i = 0; i < b->s; i++) y[i] = x[i] * a + o;
    } else { /* spatial = 0: one parameter set per element */
      const int64_t p0 = c * b->s;
      for (int64_t i = 0; i < b->s; i++) {
        const float a = j->scale[p0 + i] / sqrtf(j->var[p0 + i] + j->eps);
        y[i] = (x[i] - j->mean[p0 + i]) * a + j->bias[p0 + i];
      }
    }
  }
}

/* Batch mean and (population) variance per channel into mean / var. */
static void batch_stats(const bn_shape *b, const float *x, float *mean, float *var) {
  const double cnt = (double)(b->n * b->s);
  for (int64_t c = 0; c < b->c; c++) {
    double sum = 0.0, sq = 0.0;
    for (int64_t n = 0; n < b->n; n++) {
      const float *p = x + (n * b->c + c) * b->s;
      for (int64_t i = 0; i < b->s; i++) sum += p[i];
    }
    const double mu = cnt > 0 ? sum / cnt : 0.0;
    for (int64_t n = 0; n < b->n; n++) {
      const float *p = x + (n * b->c + c) * b->s;
      for (int64_t i = 0; i < b->s; i++) sq += (p[i] - mu) * (p[i] - mu);
    }
    mean[c] = (float)mu;
    var[c] = cnt > 0 ? (float)(sq / cnt) : 0.0f;
  }
}

static dm_status bn_run(nn_kctx *k) {
  bn_shape b;
  dm_status s = bn_shape_of(k, &b);
  if (s) return s;
  bn_job j = {&b, k->in[0]->data, k->in[1]->data, k->in[2]->data, k->in[3]->data, k->in[4]->data,
              k->out[0]->data, nn_attr_float(k->node, "epsilon", 1e-5f)};
  float *stats = NULL;
  if (b.training) {
    stats = malloc(2 * (size_t)(b.c ? b.c : 1) * sizeof *stats);
    if (!stats) return nn_fail(k, DM_ERR_NOMEM, "out of memory");
    batch_stats(&b, j.x, stats, stats + b.c);
    const float mom = nn_attr_float(k->node, "momentum", 0.9f);
    for (int i = 1; i < 3 && i < k->n_out; i++) {
      if (!k->out[i]) continue;
      const float *run = i == 1 ? j.mean : j.var, *cur = stats + (i == 1 ? 0 : b.c);
      float *dst = k->out[i]->data;
      for (int64_t c = 0; c < b.c; c++) dst[c] = run[c] * mom + cur[c] * (1.0f - mom);
    }
    j.mean = stats;
    j.var = stats + b.c;
  }
  dm_parallel(k->ctx, bn_worker, &j);
  free(stats);
  return DM_OK;
}

const nn_op nn_op_batchnorm = {"BatchNormalization", 1, 22, 0, bn_infer, NULL, bn_run, NULL, NULL};
