/* Broadcast iteration and work splitting for the math kernels. */
#include <stdio.h>

#include "core/pool.h"
#include "nn/math_internal.h"

typedef struct {
  nn_range_fn fn;
  void *user;
  int64_t n;
} par_job;

static void par_worker(void *user, int ith, int nth) {
  const par_job *j = user;
  /* Piece boundaries on multiples of 16 keep vector loops whole (only for
   * element counts large enough that it cannot unbalance the pieces). */
  int64_t per = (j->n + nth - 1) / nth;
  if (per >= 1024) per = (per + 15) & ~(int64_t)15;
  int64_t i0 = per * ith, i1 = i0 + per;
  if (i1 > j->n) i1 = j->n;
  if (i0 < i1) j->fn(j->user, i0, i1);
}

void nn_math_parallel(dm_context *ctx, int64_t n, int64_t min_per_thread, nn_range_fn fn, void *user) {
  if (n <= 0) return;
  if (!ctx || ctx->n_threads < 2 || n < 2 * min_per_thread) {
    fn(user, 0, n);
    return;
  }
  par_job j = {fn, user, n};
  dm_parallel(ctx, par_worker, &j);
}

void nn_bcast_init(nn_bcast *bc, const dm_nn_tensor *out, const dm_nn_tensor *const *in, int n_in) {
  memset(bc, 0, sizeof *bc);
  bc->n_in = n_in;
  bc->total = nn_numel(out);
  /* Per kept axis: its size and, per input, whether the input repeats along it. */
  int64_t dims[DM_NN_MAX_DIMS];
  int rep[DM_NN_MAX_DIMS][NN_BC_MAX];
  int nd = 0;
  for (int d = 0; d < out->ndim; d++) {
    if (out->dims[d] == 1) continue;
    dims[nd] = out->dims[d];
    for (int i = 0; i < n_in; i++) {
      int di = d - (out->ndim - in[i]->ndim);
      rep[nd][i] = di < 0 || in[i]->dims[di] == 1;
    }
    /* Merge with the previous kept axis when every input agrees. */
    int same = nd > 0;
    for (int i = 0; same && i < n_in; i++) same = rep[nd][i] == rep[nd - 1][i];
    if (same) dims[nd - 1] *= dims[nd];
    else nd++;
  }
  if (nd == 0) { /* one element: every input walks its single element */
    dims[0] = 1;
    for (int i = 0; i < n_in; i++) rep[0][i] = 0;
    nd = 1;
  }
  bc->ndim = nd;
  memcpy(bc->dims, dims, (size_t)nd * sizeof dims[0]);
  for (int i = 0; i < n_in; i++) {
    int64_t s = 1;
    for (int d = nd - 1; d >= 0; d--) {
      bc->strides[i][d] = rep[d][i] ? 0 : s;
      if (!rep[d][i]) s *= dims[d];
    }
    bc->inner_stride[i] = (int)bc->strides[i][nd - 1];
  }
  bc->inner = dims[nd - 1];
}

void nn_bcast_range(const nn_bcast *bc, int64_t e0, int64_t e1, nn_bcast_fn fn, void *user) {
  if (e0 >= e1 || bc->inner <= 0) return;
  const int nd = bc->ndim;
  int64_t idx[DM_NN_MAX_DIMS], off[NN_BC_MAX];
  int64_t row = e0 / bc->inner, col = e0 % bc->inner;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = row % bc->dims[d];
    row /= bc->dims[d];
  }
  for (int64_t e = e0; e < e1;) {
    for (int i = 0; i < bc->n_in; i++) {
      int64_t o = col * bc->strides[i][nd - 1];
      for (int d = 0; d < nd - 1; d++) o += idx[d] * bc->strides[i][d];
      off[i] = o;
    }
    int64_t len = bc->inner - col;
    if (len > e1 - e) len = e1 - e;
    fn(user, off, e, len);
    e += len;
    col = 0;
    for (int d = nd - 2; d >= 0; d--) {
      if (++idx[d] < bc->dims[d]) break;
      idx[d] = 0;
    }
  }
}

typedef struct {
  const nn_bcast *bc;
  nn_bcast_fn fn;
  void *user;
} bc_job;

static void bc_piece(void *user, int64_t i0, int64_t i1) {
  const bc_job *j = user;
  nn_bcast_range(j->bc, i0, i1, j->fn, j->user);
}

void nn_bcast_run(dm_context *ctx, const nn_bcast *bc, int64_t min_per_thread, nn_bcast_fn fn, void *user) {
  bc_job j = {bc, fn, user};
  nn_math_parallel(ctx, bc->total, min_per_thread, bc_piece, &j);
}

typedef struct {
  const nn_bcast *bc;
  const unsigned char *src;
  unsigned char *dst;
  size_t esz;
} copy_job;

static void copy_run(void *user, const int64_t *in_off, int64_t out_off, int64_t len) {
  const copy_job *j = user;
  const unsigned char *s = j->src + (size_t)in_off[0] * j->esz;
  unsigned char *d = j->dst + (size_t)out_off * j->esz;
  if (j->bc->inner_stride[0]) {
    memcpy(d, s, (size_t)len * j->esz);
    return;
  }
  for (int64_t i = 0; i < len; i++) memcpy(d + (size_t)i * j->esz, s, j->esz);
}

void nn_bcast_copy(dm_context *ctx, const dm_nn_tensor *src, const dm_nn_tensor *out, void *dst) {
  nn_bcast bc;
  const dm_nn_tensor *in[1] = {src};
  nn_bcast_init(&bc, out, in, 1);
  copy_job j = {&bc, src->data, dst, dm_nn_dtype_size(src->dtype)};
  nn_bcast_run(ctx, &bc, NN_PAR_CHEAP, copy_run, &j);
}

const char *nn_shape_str(const dm_nn_tensor *t, char *buf, size_t size) {
  size_t n = 0;
  n += (size_t)snprintf(buf, size, "[");
  for (int d = 0; d < t->ndim && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, d ? ",%lld" : "%lld", (long long)t->dims[d]);
  if (n < size) snprintf(buf + n, size - n, "]");
  return buf;
}

dm_status nn_math_broadcast(nn_kctx *k, const dm_nn_tensor *a, const dm_nn_tensor *b, dm_nn_tensor *out) {
  if (nn_broadcast_shape(a, b, out)) return DM_OK;
  char sa[160], sb[160];
  return nn_fail(k, DM_ERR_FORMAT, "shapes %s and %s do not broadcast", nn_shape_str(a, sa, sizeof sa),
                 nn_shape_str(b, sb, sizeof sb));
}

dm_status nn_math_need_float(nn_kctx *k, int i) {
  if (!nn_has_in(k, i)) return nn_fail(k, DM_ERR_FORMAT, "input %d is missing", i);
  if (k->in[i]->dtype != DM_NN_FLOAT)
    return nn_fail(k, DM_ERR_FORMAT, "input %d: unsupported dtype %s (float32 only)", i,
                   dm_nn_dtype_name(k->in[i]->dtype));
  return DM_OK;
}
