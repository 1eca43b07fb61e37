/* MatMul -> Softmax(last axis) -> MatMul, the attention core, fused by the
 * planner (fuse.c) into one node: Y = softmax(A . B) . V with A [..., M, K],
 * B [..., K, N], V [..., N, D], the same leading (batch) dims on all three.
 * The unfused graph writes the M x N scores of every batch matrix out to
 * memory and reads them back three times (DA-V2-S: 6 heads x 1370 x 1370
 * floats a layer, 45 MB, three times the L3); here each worker takes a block
 * of R rows of one batch matrix, computes their R x N scores into its own
 * scratch (sized to stay in L2), normalises them with the Softmax op's own
 * row function and multiplies them by V straight away (the products:
 * math_att_kern.c with AVX2, B and V packed in its panels first, else
 * sgemm). The arithmetic is the unfused graph's, row by row, so results
 * agree to float rounding, NaN and inf included. One DA-V2-S layer
 * (nn_test_attention bench, 2 threads, shared Zen 2/3 VM, 2026-12-08):
 * 28-33 ms fused, 91-102 ms as MatMul + Softmax + MatMul.
 *
 * The operands are strided views (nn_att_state): fuse.c folds in the
 * head-splitting Reshape + Transpose of Q, K and V, the Mul(scale) on Q and
 * K and the head-merging Transpose of the output, so each of those passes
 * over memory goes. Operands with unit column stride and no scale are read
 * in place (V, and the output is written so); the others are copied dense
 * (times the scale: the Mul's own float product) for all heads before the
 * products. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/pool.h"
#include "nn/conv_internal.h"
#include "nn/math_internal.h"
#include "nn/ops_tensor.h"

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

static void view_dims(const nn_att_state *st, att_dims *d) {
  const int r = st->op[0].ndim;
  d->batch = 1;
  for (int i = 0; i < r - 2; i++) d->batch *= st->op[0].dims[i];
  d->m = st->op[0].dims[r - 2], d->k = st->op[0].dims[r - 1];
  d->n = st->op[1].dims[r - 1], d->d = st->op[2].dims[r - 1];
}

/* Read through a copy: columns not adjacent, or a scale to apply. */
static int needs_copy(const nn_view *v) { return v->strides[v->ndim - 1] != 1 || v->scale != 1.0f; }

/* Floats between rows of a view (any value when there is one row). */
static int64_t row_stride(const nn_view *v) {
  return v->dims[v->ndim - 2] > 1 ? v->strides[v->ndim - 2] : v->dims[v->ndim - 1];
}

/* Offset of flat index i over the first `axes` dims (row-major). */
static int64_t lead_offset(const nn_view *v, int64_t i, int axes) {
  int64_t off = 0;
  for (int a = axes - 1; a >= 0; a--) {
    off += i % v->dims[a] * v->strides[a];
    i /= v->dims[a];
  }
  return off;
}

/* Offset of batch matrix bt. */
static int64_t batch_offset(const nn_view *v, int64_t bt) { return lead_offset(v, bt, v->ndim - 2); }

static int64_t up16(int64_t n) { return (n + 15) / 16 * 16; } /* floats, keeping regions 64-byte aligned */

/* Scratch, in floats: per-slot score blocks (rows lds floats apart), then A
 * copied whole when needed; B and V copied whole when needed (sgemm), or
 * always packed in panels (vec8: math_att_kern.c). */
typedef struct att_layout {
  int64_t lds, a_at, b_at, v_at, total;
} att_layout;

static att_layout layout(const nn_att_state *st, const att_dims *d, int slots, int64_t rows, int vec8) {
  att_layout l;
  l.lds = vec8 ? up16(d->n) : d->n;
  l.a_at = up16(slots * rows * l.lds);
  l.b_at = l.a_at + (needs_copy(&st->op[0]) ? up16(d->batch * d->m * d->k) : 0);
  if (vec8) {
    l.v_at = l.b_at + d->batch * d->k * up16(d->n);
    l.total = l.v_at + d->batch * d->n * up16(d->d);
  } else {
    l.v_at = l.b_at + (needs_copy(&st->op[1]) ? up16(d->batch * d->k * d->n) : 0);
    l.total = l.v_at + (needs_copy(&st->op[2]) ? up16(d->batch * d->n * d->d) : 0);
  }
  return l;
}

static dm_status att_prepare(nn_kctx *k) {
  nn_att_state *st = k->node->state;
  if (!st) { /* not folded by fuse.c: the tensors themselves */
    att_dims d;
    dm_status s = att_shape(k, &d);
    if (s != DM_OK) return s;
    if (!(st = calloc(1, sizeof *st))) return nn_fail(k, DM_ERR_NOMEM, "out of memory");
    for (int i = 0; i < 3; i++) nn_view_dense(&st->op[i], k->in[i]);
    nn_view_dense(&st->op[3], k->out[0]);
    k->node->state = st;
  }
  att_dims d;
  view_dims(st, &d);
  k->node->scratch = (size_t)layout(st, &d, att_slots(k), att_rows(&d), nn_vec8_ok()).total * sizeof(float);
  return DM_OK;
}

typedef struct att_job {
  att_dims d;
  nn_view op[4];
  int64_t rows, blocks; /* rows per item, items per batch matrix */
  int64_t lds;          /* floats between rows of a score block */
  int slots, vec8; /* vec8: the AVX2 products and exp (math_att_kern.c) on packed B and V, else sgemm */
  const float *a, *b, *v;
  float *y, *scores;
  atomic_llong next;
} att_job;

static void att_worker(void *user, int ith, int nth) {
  att_job *j = user;
  (void)nth;
  if (ith >= j->slots) return;
  const att_dims *d = &j->d;
  const nn_view *va = &j->op[0], *vb = &j->op[1], *vv = &j->op[2], *vy = &j->op[3];
  const int64_t lds = j->lds, bp = d->k * up16(d->n), vp = d->n * up16(d->d); /* packed floats a batch matrix */
  float *s = j->scores + (size_t)ith * (size_t)(j->rows * lds);
  const int64_t items = d->batch * j->blocks, ldb = row_stride(vb), ldv = row_stride(vv), ldy = row_stride(vy);
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    const int64_t bt = it / j->blocks, r0 = (it % j->blocks) * j->rows;
    const int rows = (int)(d->m - r0 < j->rows ? d->m - r0 : j->rows);
    const float *a = j->a + batch_offset(va, bt) + r0 * row_stride(va);
    const int64_t lda = row_stride(va);
    const float *b = j->vec8 ? j->b + bt * bp : j->b + batch_offset(vb, bt);
    const float *v = j->vec8 ? j->v + bt * vp : j->v + batch_offset(vv, bt);
    float *y = j->y + batch_offset(vy, bt) + r0 * ldy;
    if (d->k == 0)
      for (int r = 0; r < rows; r++) memset(s + r * lds, 0, (size_t)d->n * sizeof *s);
    else if (j->vec8)
      nn_att_scores8(a, lda, rows, d->k, b, up16(d->n), s, lds);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)d->n, (int)d->k, 1.0f, a, (int)lda, b,
                  (int)ldb, 0.0f, s, (int)d->n);
    for (int r = 0; r < rows; r++) nn_softmax_row(s + r * lds, s + r * lds, d->n, j->vec8);
    if (d->d == 0) continue;
    if (j->vec8)
      nn_att_values8(s, lds, rows, d->n, v, d->d, y, ldy);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)d->d, (int)d->n, 1.0f, s, (int)d->n, v,
                  (int)ldv, 0.0f, y, (int)ldy);
  }
}

typedef struct copy_job {
  const nn_view *v;
  const float *src;
  float *dst;
} copy_job;

/* Rows [i0, i1) of a view with unit column stride, times its scale: one
 * streaming pass. */
static void copy_rows(void *user, int64_t i0, int64_t i1) {
  const copy_job *j = user;
  const nn_view *v = j->v;
  const int64_t w = v->dims[v->ndim - 1];
  const float s = v->scale;
  for (int64_t i = i0; i < i1; i++) {
    const float *restrict x = j->src + lead_offset(v, i, v->ndim - 1);
    float *restrict y = j->dst + i * w;
    for (int64_t c = 0; c < w; c++) y[c] = x[c] * s;
  }
}

typedef struct scale_job {
  float *x, s;
} scale_job;

static void scale_piece(void *user, int64_t i0, int64_t i1) {
  const scale_job *j = user;
  for (int64_t i = i0; i < i1; i++) j->x[i] *= j->s;
}

/* Operand v copied dense into dst, scaled; v becomes that copy. Rows with
 * unit column stride go in one pass; others through the copy engine's
 * tiled transpose, then the scale. (A per-item copy of A's rows inside the
 * workers instead ran at the latency of its strided misses: 1% of DA-V2-S
 * in perf.) */
static const float *copy_operand(dm_context *ctx, nn_view *v, const float *src, float *dst) {
  const int64_t w = v->dims[v->ndim - 1];
  int64_t n = 1;
  for (int i = 0; i < v->ndim; i++) n *= v->dims[i];
  if (v->strides[v->ndim - 1] == 1) {
    copy_job cj = {v, src, dst};
    nn_math_parallel(ctx, w ? n / w : 0, w ? NN_PAR_CHEAP / w + 1 : 1, copy_rows, &cj);
  } else {
    nn_copy_strided(ctx, dst, src, sizeof(float), v->ndim, v->dims, v->strides);
    if (v->scale != 1.0f) {
      scale_job sj = {dst, v->scale};
      nn_math_parallel(ctx, n, NN_PAR_CHEAP, scale_piece, &sj);
    }
  }
  nn_strides(v->ndim, v->dims, v->strides);
  v->scale = 1.0f;
  return dst;
}

typedef struct pack_job {
  const nn_view *v;
  const float *src;
  float *dst;
  int64_t r, c, panels, chunks; /* the matrices' rows, columns, panels; row chunks a matrix */
} pack_job;

#define PACK_ROWS 64 /* rows a work item when rows are read whole */

/* Row chunks [i0, i1) over all batch matrices of a view with unit column
 * stride (V: a head's slice of each token's row), times its scale, into
 * math_att_kern.c's panels: each row is read once, front to back, and
 * dealt to the panels. */
static void pack_rows(void *user, int64_t i0, int64_t i1) {
  const pack_job *j = user;
  const nn_view *v = j->v;
  const int64_t sr = v->strides[v->ndim - 2], P = NN_ATT_PANEL, tail = j->c % P, full = j->c - tail;
  const float s = v->scale;
  for (int64_t i = i0; i < i1; i++) {
    const int64_t bt = i / j->chunks, r0 = i % j->chunks * PACK_ROWS;
    const int64_t r1 = j->r - r0 < PACK_ROWS ? j->r : r0 + PACK_ROWS;
    float *restrict y = j->dst + bt * j->panels * j->r * P;
    const float *m = j->src + batch_offset(v, bt);
    for (int64_t r = r0; r < r1; r++) {
      const float *restrict x = m + r * sr;
      for (int64_t c0 = 0; c0 < full; c0 += P)
        for (int64_t c = 0; c < P; c++) y[(c0 / P * j->r + r) * P + c] = x[c0 + c] * s;
      for (int64_t c = 0; c < P && tail; c++) y[(full / P * j->r + r) * P + c] = c < tail ? x[full + c] * s : 0.0f;
    }
  }
}

/* Panels [i0, i1) over all batch matrices of any other view (K^T: a head's
 * slice of each token's row is a column), times its scale: the inner loop
 * runs down the columns, reading memory in order when rows are adjacent. */
static void pack_cols(void *user, int64_t i0, int64_t i1) {
  const pack_job *j = user;
  const nn_view *v = j->v;
  const int64_t sr = v->strides[v->ndim - 2], sc = v->strides[v->ndim - 1], P = NN_ATT_PANEL;
  const float s = v->scale;
  for (int64_t i = i0; i < i1; i++) {
    const int64_t bt = i / j->panels, c0 = i % j->panels * P, w = j->c - c0 < P ? j->c - c0 : P;
    const float *restrict x = j->src + batch_offset(v, bt) + c0 * sc;
    float *restrict y = j->dst + i * j->r * P;
    for (int64_t c = 0; c < w; c++)
      for (int64_t r = 0; r < j->r; r++) y[r * P + c] = x[r * sr + c * sc] * s;
    for (int64_t r = 0; r < j->r; r++)
      for (int64_t c = w; c < P; c++) y[r * P + c] = 0.0f;
  }
}

/* Operand v ([.., r, c] batch matrices) packed into dst. */
static const float *pack_operand(dm_context *ctx, const nn_view *v, const float *src, float *dst, int64_t batch) {
  const int64_t r = v->dims[v->ndim - 2], c = v->dims[v->ndim - 1];
  pack_job pj = {v, src, dst, r, c, up16(c) / NN_ATT_PANEL, (r + PACK_ROWS - 1) / PACK_ROWS};
  if (v->strides[v->ndim - 1] == 1)
    nn_math_parallel(ctx, batch * pj.chunks, NN_PAR_CHEAP / (PACK_ROWS * c + 1) + 1, pack_rows, &pj);
  else
    nn_math_parallel(ctx, batch * pj.panels, NN_PAR_CHEAP / (r * NN_ATT_PANEL + 1) + 1, pack_cols, &pj);
  return dst;
}

static dm_status att_run(nn_kctx *k) {
  const nn_att_state *st = k->node->state;
  if (!st) return nn_fail(k, DM_ERR_PARAM, "run before prepare");
  att_job j;
  memset(&j, 0, sizeof j);
  view_dims(st, &j.d);
  memcpy(j.op, st->op, sizeof j.op);
  if (nn_numel(k->out[0]) == 0) return DM_OK;
  if (j.d.n == 0) { /* softmax over nothing: the products are empty sums */
    memset(k->out[0]->data, 0, (size_t)nn_numel(k->out[0]) * sizeof(float));
    return DM_OK;
  }
  j.rows = att_rows(&j.d);
  j.blocks = (j.d.m + j.rows - 1) / j.rows;
  j.slots = att_slots(k);
  j.vec8 = nn_vec8_ok();
  const att_layout l = layout(st, &j.d, j.slots, j.rows, j.vec8);
  j.lds = l.lds;
  float *scratch = k->scratch;
  j.a = k->in[0]->data, j.b = k->in[1]->data, j.v = k->in[2]->data;
  j.y = k->out[0]->data;
  j.scores = scratch;
  if (needs_copy(&j.op[0])) j.a = copy_operand(k->ctx, &j.op[0], j.a, scratch + l.a_at);
  if (j.vec8) {
    j.b = pack_operand(k->ctx, &j.op[1], j.b, scratch + l.b_at, j.d.batch);
    j.v = pack_operand(k->ctx, &j.op[2], j.v, scratch + l.v_at, j.d.batch);
  } else {
    if (needs_copy(&j.op[1])) j.b = copy_operand(k->ctx, &j.op[1], j.b, scratch + l.b_at);
    if (needs_copy(&j.op[2])) j.v = copy_operand(k->ctx, &j.op[2], j.v, scratch + l.v_at);
  }
  atomic_init(&j.next, 0);
  if (!j.vec8) nn_blas_single_thread(); /* one product per worker */
  dm_parallel(k->ctx, att_worker, &j);
  return DM_OK;
}

static void att_release(void *state) { free(state); }

static void att_describe(const nn_node *n, char *buf, size_t len, double *macs) {
  if (!n->state) return;
  att_dims dd, *d = &dd;
  view_dims(n->state, d);
  snprintf(buf, len, "attention %lldx [%lld,%lld]x[%lld,%lld]x[%lld,%lld]", (long long)d->batch, (long long)d->m,
           (long long)d->k, (long long)d->k, (long long)d->n, (long long)d->n, (long long)d->d);
  *macs = (double)d->batch * (double)d->m * (double)d->n * (double)(d->k + d->d);
}

/* Not in the op table: only the planner makes these nodes. */
const nn_op nn_op_attention = {"Attention(fused)", 1, NN_MATH_OPSET_MAX, 0, att_infer, att_prepare, att_run,
                               att_release, att_describe};
