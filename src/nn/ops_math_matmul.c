/* MatMul (numpy semantics: 1-D promotion, batch dims broadcast; optional
 * third input = bias broadcast to the output, fourth = a residual of the
 * output's shape added too, from the planner's MatMul+Add fusions) and
 * Gemm, on OpenBLAS's cblas_sgemm. Both honour node->act.
 *
 * Threading: OpenBLAS (pthread build) splits each sgemm over its own
 * threads, so every product here is one sgemm issued from the calling
 * thread. Batches whose right operand is shared (activations x weights) fold
 * into one tall product; true batches (attention's per-head products) are a
 * loop of threaded sgemms, which measured faster on 2 cores than splitting
 * the batch over the pool (see tests/nn/test_ops_math.c, bench mode). */
#include <cblas.h>

#include "nn/math_internal.h"

typedef struct {
  int64_t m, k, n;
  int a_vec, b_vec;
  dm_nn_tensor a_batch, b_batch, batch; /* leading dims only */
} mm_dims;

static dm_status mm_shape(nn_kctx *k, mm_dims *d) {
  const dm_nn_tensor *a = k->in[0], *b = k->in[1];
  memset(d, 0, sizeof *d);
  if (a->ndim < 1 || b->ndim < 1) return nn_fail(k, DM_ERR_FORMAT, "inputs must have rank >= 1");
  d->a_vec = a->ndim == 1;
  d->b_vec = b->ndim == 1;
  d->m = d->a_vec ? 1 : a->dims[a->ndim - 2];
  d->k = a->dims[a->ndim - 1];
  int64_t kb = d->b_vec ? b->dims[0] : b->dims[b->ndim - 2];
  d->n = d->b_vec ? 1 : b->dims[b->ndim - 1];
  if (kb != d->k) {
    char sa[160], sb[160];
    return nn_fail(k, DM_ERR_FORMAT, "inner dimensions differ: %s x %s", nn_shape_str(a, sa, sizeof sa),
                   nn_shape_str(b, sb, sizeof sb));
  }
  if (d->m > INT32_MAX || d->k > INT32_MAX || d->n > INT32_MAX)
    return nn_fail(k, DM_ERR_FORMAT, "matrices too large for BLAS");
  d->a_batch.ndim = a->ndim > 2 ? a->ndim - 2 : 0;
  d->b_batch.ndim = b->ndim > 2 ? b->ndim - 2 : 0;
  memcpy(d->a_batch.dims, a->dims, (size_t)d->a_batch.ndim * sizeof a->dims[0]);
  memcpy(d->b_batch.dims, b->dims, (size_t)d->b_batch.ndim * sizeof b->dims[0]);
  return nn_math_broadcast(k, &d->a_batch, &d->b_batch, &d->batch);
}

static dm_status mm_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s == DM_OK) s = nn_math_need_float(k, 1);
  if (s == DM_OK && nn_has_in(k, 2)) s = nn_math_need_float(k, 2);
  mm_dims d;
  if (s == DM_OK) s = mm_shape(k, &d);
  if (s != DM_OK) return s;
  dm_nn_tensor *y = k->out[0];
  y->dtype = DM_NN_FLOAT;
  y->ndim = d.batch.ndim;
  memcpy(y->dims, d.batch.dims, (size_t)d.batch.ndim * sizeof y->dims[0]);
  if (!d.a_vec) y->dims[y->ndim++] = d.m;
  if (!d.b_vec) y->dims[y->ndim++] = d.n;
  if (nn_has_in(k, 2)) {
    dm_nn_tensor b;
    if (!nn_broadcast_shape(y, k->in[2], &b) || b.ndim != y->ndim ||
        memcmp(b.dims, y->dims, (size_t)b.ndim * sizeof b.dims[0])) {
      char sy[160], sb[160];
      return nn_fail(k, DM_ERR_FORMAT, "bias %s does not broadcast to the output %s",
                     nn_shape_str(k->in[2], sb, sizeof sb), nn_shape_str(y, sy, sizeof sy));
    }
  }
  return DM_OK;
}

static inline int blas_int(int64_t v) { return (int)(v > 0 ? v : 1); }

typedef struct {
  const mm_dims *d;
  const nn_bcast *bc; /* over the batch shape */
  const float *a, *b;
  float *c;
  float beta;
} mm_job;

/* One sgemm split by rows of C over our pool: OpenBLAS itself runs one
 * thread per process (ops_conv.c), so a lone product would use one core. */
typedef struct {
  int ta, tb, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
} rows_job;

static void rows_piece(void *user, int64_t i0, int64_t i1) {
  const rows_job *j = user;
  const float *a = j->ta ? j->a + i0 : j->a + i0 * j->lda;
  cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, (int)(i1 - i0),
              j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta, j->c + i0 * j->ldc, j->ldc);
}

static void sgemm_rows(dm_context *ctx, rows_job *j, int64_t m) {
  nn_blas_single_thread();
  int64_t work = (int64_t)j->n * (j->k > 0 ? j->k : 1);
  nn_math_parallel(ctx, m, work >= 65536 ? 1 : 65536 / work, rows_piece, j);
}

static void sgemm1(const mm_dims *d, const float *a, const float *b, float *c, int64_t m, float beta) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)d->n, (int)d->k, 1.0f, a, blas_int(d->k), b,
              blas_int(d->n), beta, c, blas_int(d->n));
}

/* A run of batch matrices: in_off are matrix indices into A's and B's own
 * batch shapes, each advancing by its inner stride (0 = shared). */
static void mm_batch_run(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {
  const mm_job *j = user;
  const mm_dims *d = j->d;
  const int64_t mk = d->m * d->k, kn = d->k * d->n, mn = d->m * d->n;
  for (int64_t i = 0; i < len; i++) {
    const float *a = j->a + (in_off[0] + i * j->bc->inner_stride[0]) * mk;
    const float *b = j->b + (in_off[1] + i * j->bc->inner_stride[1]) * kn;
    sgemm1(d, a, b, j->c + (out_off + i) * mn, d->m, j->beta);
  }
}

typedef struct {
  const nn_act *act;
  float *y;
} act_job;

static void act_piece(void *user, int64_t i0, int64_t i1) {
  const act_job *j = user;
  nn_act_apply(j->act, j->y + i0, (size_t)(i1 - i0));
}

static void apply_act(nn_kctx *k, float *y, int64_t n) {
  if (k->node->act.kind == NN_ACT_NONE) return;
  act_job j = {&k->node->act, y};
  nn_math_parallel(k->ctx, n, NN_PAR_CHEAP, act_piece, &j);
}

/* The rows of Y before the product accumulates onto them: residual plus
 * bias (input 3, from fuse.c's MatMul + Add fusion). */
typedef struct {
  const float *res, *bias;
  float *y;
  int64_t n;
} start_job;

static void start_piece(void *user, int64_t i0, int64_t i1) {
  const start_job *j = user;
  for (int64_t i = i0; i < i1; i++) {
    const float *r = j->res + i * j->n;
    float *y = j->y + i * j->n;
    if (j->bias)
      for (int64_t c = 0; c < j->n; c++) y[c] = r[c] + j->bias[c];
    else
      memcpy(y, r, (size_t)j->n * sizeof *y);
  }
}

static dm_status mm_run(nn_kctx *k) {
  mm_dims d;
  dm_status s = mm_shape(k, &d);
  if (s != DM_OK) return s;
  dm_nn_tensor *y = k->out[0];
  int64_t total = nn_numel(y);
  if (total == 0) return DM_OK;
  int64_t nb = nn_numel(&d.batch), na = nn_numel(&d.a_batch), nbb = nn_numel(&d.b_batch);
  const dm_nn_tensor *bias = nn_has_in(k, 2) ? k->in[2] : NULL, *res = nn_has_in(k, 3) ? k->in[3] : NULL;
  int plain_bias = !bias || (bias->ndim == 1 && bias->dims[0] == d.n);
  if (!res && d.k > 0 && plain_bias && (na == nb || na == 1) && (nbb == nb || nbb == 1) &&
      nn_mm_blocked_ok(d.k)) {
    /* no batch broadcasting beyond "shared": the blocked AVX-512 kernel */
    nn_mm_blocked(k->ctx, k->in[0]->data, na == 1 ? 0 : d.m * d.k, k->in[1]->data, nbb == 1 ? 0 : d.k * d.n,
                  bias ? bias->data : NULL, y->data, nb, d.m, d.k, d.n, &k->node->act);
    return DM_OK;
  }
  float beta = 0.0f;
  if (res) { /* fuse.c: a residual of the output's shape, and a plain bias */
    start_job j = {res->data, bias ? bias->data : NULL, y->data, d.n};
    nn_math_parallel(k->ctx, total / d.n, NN_PAR_CHEAP / d.n + 1, start_piece, &j);
    beta = 1.0f;
  } else if (bias) {
    nn_bcast_copy(k->ctx, bias, y, y->data);
    beta = 1.0f;
  }
  if (d.k == 0 && beta == 0.0f) memset(y->data, 0, (size_t)total * sizeof(float));
  if (nbb == 1 && na == nb && nb * d.m <= INT32_MAX) {
    /* B shared by every batch: one [nb*M, K] x [K, N] product. */
    rows_job j = {0, 0, (int)d.n, (int)d.k, blas_int(d.k), blas_int(d.n), blas_int(d.n), 1.0f, beta,
                  k->in[0]->data, k->in[1]->data, y->data};
    sgemm_rows(k->ctx, &j, nb * d.m);
  } else {
    nn_bcast bc;
    const dm_nn_tensor *in[2] = {&d.a_batch, &d.b_batch};
    nn_bcast_init(&bc, &d.batch, in, 2);
    mm_job j = {&d, &bc, k->in[0]->data, k->in[1]->data, y->data, beta};
    /* a matrix per task: OpenBLAS runs one thread (ops_conv.c) */
    nn_blas_single_thread();
    nn_bcast_run(k->ctx, &bc, 1, mm_batch_run, &j);
  }
  apply_act(k, y->data, total);
  return DM_OK;
}

const nn_op nn_op_matmul = {"MatMul", 1, NN_MATH_OPSET_MAX, NN_OP_ACT, mm_infer, NULL, mm_run, NULL, NULL};

/* ---- Gemm: Y = alpha * A' B' + beta * C ---- */

static dm_status gemm_infer(nn_kctx *k) {
  dm_status s = nn_math_need_float(k, 0);
  if (s == DM_OK) s = nn_math_need_float(k, 1);
  if (s == DM_OK && nn_has_in(k, 2)) s = nn_math_need_float(k, 2);
  if (s != DM_OK) return s;
  const dm_nn_tensor *a = k->in[0], *b = k->in[1];
  if (a->ndim != 2 || b->ndim != 2) return nn_fail(k, DM_ERR_FORMAT, "A and B must be matrices");
  int ta = nn_attr_int(k->node, "transA", 0) != 0, tb = nn_attr_int(k->node, "transB", 0) != 0;
  int64_t m = a->dims[ta], ka = a->dims[!ta], kb = b->dims[tb], n = b->dims[!tb];
  if (ka != kb) {
    char sa[160], sb[160];
    return nn_fail(k, DM_ERR_FORMAT, "inner dimensions differ: A %s%s, B %s%s", nn_shape_str(a, sa, sizeof sa),
                   ta ? " (transposed)" : "", nn_shape_str(b, sb, sizeof sb), tb ? " (transposed)" : "");
  }
  if (m > INT32_MAX || n > INT32_MAX || ka > INT32_MAX)
    return nn_fail(k, DM_ERR_FORMAT, "matrices too large for BLAS");
  dm_nn_tensor *y = k->out[0];
  memset(y->dims, 0, sizeof y->dims);
  y->dtype = DM_NN_FLOAT;
  y->ndim = 2;
  y->dims[0] = m, y->dims[1] = n;
  if (nn_has_in(k, 2)) {
    dm_nn_tensor bc;
    if (!nn_broadcast_shape(y, k->in[2], &bc) || bc.ndim != 2 || bc.dims[0] != m || bc.dims[1] != n) {
      char sc[160];
      return nn_fail(k, DM_ERR_FORMAT, "C %s does not broadcast to [%lld,%lld]",
                     nn_shape_str(k->in[2], sc, sizeof sc), (long long)m, (long long)n);
    }
  }
  return DM_OK;
}

static dm_status gemm_run(nn_kctx *k) {
  const dm_nn_tensor *a = k->in[0], *b = k->in[1];
  dm_nn_tensor *y = k->out[0];
  int ta = nn_attr_int(k->node, "transA", 0) != 0, tb = nn_attr_int(k->node, "transB", 0) != 0;
  float alpha = nn_attr_float(k->node, "alpha", 1.0f), beta = nn_attr_float(k->node, "beta", 1.0f);
  int64_t m = y->dims[0], n = y->dims[1], kk = a->dims[!ta];
  if (m == 0 || n == 0) return DM_OK;
  if (nn_has_in(k, 2) && beta != 0.0f) {
    nn_bcast_copy(k->ctx, k->in[2], y, y->data);
  } else {
    beta = 0.0f;
    if (kk == 0) memset(y->data, 0, (size_t)(m * n) * sizeof(float));
  }
  rows_job j = {ta, tb, (int)n, (int)kk, blas_int(a->dims[1]), blas_int(b->dims[1]), blas_int(n), alpha, beta,
                a->data, b->data, y->data};
  sgemm_rows(k->ctx, &j, m);
  apply_act(k, y->data, m * n);
  return DM_OK;
}

const nn_op nn_op_gemm = {"Gemm", 1, NN_MATH_OPSET_MAX, NN_OP_ACT, gemm_infer, NULL, gemm_run, NULL, NULL};
