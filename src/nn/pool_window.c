/* MaxPool (with the optional Indices output and storage_order) and
 * AveragePool (count_include_pad), any spatial rank, with ceil_mode,
 * dilations, pads and auto_pad.
 *
 * The taps of a window that fall inside the input are a contiguous range of
 * tap indices on each axis, so every output point loops over its clipped
 * ranges only. 1-D and 2-D go through a 2-D row loop (1-D as height 1);
 * higher ranks through an odometer over the axes. */
#include <float.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/pool.h"
#include "nn/conv_internal.h"

typedef struct pool_shape {
  nn_win w;
  int64_t n, c;
  int is_max, count_pad, col_major;
} pool_shape;

static dm_status pool_shape_of(nn_kctx *k, int is_max, pool_shape *p) {
  if (k->n_in < 1 || !k->in[0]) return nn_fail(k, DM_ERR_FORMAT, "needs input X");
  if (k->n_out < 1 || !k->out[0]) return nn_fail(k, DM_ERR_FORMAT, "needs output Y");
  if (!is_max && k->n_out > 1 && k->out[1]) return nn_fail(k, DM_ERR_FORMAT, "one output only");
  const dm_nn_tensor *x = k->in[0];
  dm_status s = nn_conv_need_float(k, x, "X");
  if (s || (s = nn_win_parse(k, x, NULL, NN_WIN_POOL, &p->w))) return s;
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->is_max = is_max;
  p->count_pad = nn_attr_int(k->node, "count_include_pad", 0) != 0;
  p->col_major = nn_attr_int(k->node, "storage_order", 0) != 0;
  return DM_OK;
}

static dm_status pool_infer_common(nn_kctx *k, int is_max) {
  pool_shape p;
  dm_status s = pool_shape_of(k, is_max, &p);
  if (s) return s;
  for (int o = 0; o < 2 && o < k->n_out; o++) {
    dm_nn_tensor *y = k->out[o];
    if (!y) continue;
    y->dtype = o ? DM_NN_INT64 : DM_NN_FLOAT;
    y->ndim = k->in[0]->ndim;
    y->dims[0] = p.n;
    y->dims[1] = p.c;
    for (int i = 0; i < p.w.nsp; i++) y->dims[2 + i] = p.w.out[i];
  }
  return DM_OK;
}
static dm_status maxpool_infer(nn_kctx *k) { return pool_infer_common(k, 1); }
static dm_status avgpool_infer(nn_kctx *k) { return pool_infer_common(k, 0); }

/* Tap range [*lo, *hi) of output o on axis i that lands inside the input;
 * *npad counts the taps inside the padded extent (count_include_pad). */
static void tap_range(const nn_win *w, int i, int64_t o, int64_t *lo, int64_t *hi, int64_t *npad) {
  const int64_t start = o * w->s[i] - w->pb[i], d = w->d[i], k = w->k[i];
  int64_t a = start >= 0 ? 0 : (-start + d - 1) / d;
  int64_t b = w->in[i] - start <= 0 ? 0 : (w->in[i] - start + d - 1) / d;
  if (b > k) b = k;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
  if (npad) { /* taps at o*s + t*d < in + pb + pe, all of them >= 0 */
    int64_t lim = w->in[i] + w->pb[i] + w->pe[i] - o * w->s[i];
    int64_t c = lim <= 0 ? 0 : (lim + d - 1) / d;
    *npad = c < k ? c : k;
  }
}

typedef struct pool_job {
  const pool_shape *p;
  const float *x;
  float *y;
  int64_t *idx;
  int64_t chunks; /* row chunks per plane (2-D path) */
  atomic_llong next;
} pool_job;

/* Index of input point (iy, ix) of a plane in Indices' storage order. */
static inline int64_t flat2(const pool_shape *p, const nn_win *w, int64_t iy, int64_t ix) {
  return p->col_major ? ix * w->in[0] + iy : iy * w->in[1] + ix;
}

#if defined(__SSE2__)
/* Max over rows[0..nr) of 2-wide, stride-2 windows for outputs [x0, x1),
 * four at a time; returns the first output left to the scalar loop. All
 * the taps read must be inside the row (the caller checks). */
static int64_t max_k2s2_sse(const float *const *rows, int nr, int64_t ix_of0, float *out, int64_t x0,
                            int64_t x1) {
  int64_t ox = x0;
  for (; ox + 4 <= x1; ox += 4) {
    const int64_t ix = 2 * ox + ix_of0;
    __m128 a = _mm_loadu_ps(rows[0] + ix), b = _mm_loadu_ps(rows[0] + ix + 4);
    for (int i = 1; i < nr; i++) {
      a = _mm_max_ps(a, _mm_loadu_ps(rows[i] + ix));
      b = _mm_max_ps(b, _mm_loadu_ps(rows[i] + ix + 4));
    }
    __m128 even = _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    __m128 odd = _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm_storeu_ps(out + ox, _mm_max_ps(even, odd));
  }
  return ox;
}
#endif

/* Rows [oy0, oy1) of one plane; 1-D pools come as 2-D with height 1. */
static void pool_rows2d(const pool_job *j, int64_t plane, int64_t oy0, int64_t oy1, const nn_win *w) {
  const pool_shape *p = j->p;
  const int64_t ih = w->in[0], iw = w->in[1], ow = w->out[1];
  const float *x = j->x + plane * ih * iw;
  float *y = j->y + plane * w->out_prod;
  int64_t *idx = j->idx ? j->idx + plane * w->out_prod : NULL;
  const int64_t dy = w->d[0], dx = w->d[1], kx = w->k[1];
  for (int64_t oy = oy0; oy < oy1; oy++) {
    int64_t ylo, yhi, ypad;
    tap_range(w, 0, oy, &ylo, &yhi, &ypad);
    const int64_t iy0 = oy * w->s[0] - w->pb[0];
    float *yr = y + oy * ow;
    int64_t skip0 = ow, skip1 = ow; /* outputs done by the vector path */
#if defined(__SSE2__)
    if (p->is_max && !idx && kx == 2 && w->s[1] == 2 && dx == 1 && yhi > ylo && yhi - ylo <= 16) {
      const float *rows[16];
      int nr = 0;
      for (int64_t ty = ylo; ty < yhi; ty++) rows[nr++] = x + (iy0 + ty * dy) * iw;
      const int64_t pl = w->pb[1];
      int64_t xa = (pl + 1) / 2, xb = (iw + pl - 2) / 2 + 1; /* both taps inside */
      if (xb > ow) xb = ow;
      if (xa < xb) skip0 = xa, skip1 = max_k2s2_sse(rows, nr, -pl, yr, xa, xb);
    }
#endif
    for (int64_t ox = 0; ox < ow; ox++) {
      if (ox == skip0) ox = skip1;
      if (ox >= ow) break;
      const int64_t ix0 = ox * w->s[1] - w->pb[1];
      int64_t xlo, xhi, xpad;
      if (ix0 >= 0 && ix0 + (kx - 1) * dx < iw) { /* interior column: no clipping */
        xlo = 0, xhi = kx, xpad = kx;
        if (!p->count_pad) xpad = 0;
      } else {
        tap_range(w, 1, ox, &xlo, &xhi, p->count_pad ? &xpad : NULL);
      }
      if (p->is_max && !idx) { /* branch-free max: the data decides no jumps */
        float m = -FLT_MAX;
        for (int64_t ty = ylo; ty < yhi; ty++) {
          const float *row = x + (iy0 + ty * dy) * iw + ix0;
          for (int64_t tx = xlo; tx < xhi; tx++) m = row[tx * dx] > m ? row[tx * dx] : m;
        }
        yr[ox] = m;
      } else if (p->is_max) {
        float m = -FLT_MAX;
        int64_t at = -1;
        for (int64_t ty = ylo; ty < yhi; ty++) {
          const float *row = x + (iy0 + ty * dy) * iw + ix0;
          for (int64_t tx = xlo; tx < xhi; tx++)
            if (row[tx * dx] > m || at < 0) m = row[tx * dx], at = (iy0 + ty * dy) * iw + ix0 + tx * dx;
        }
        yr[ox] = m;
        idx[oy * ow + ox] = plane * ih * iw + (at < 0 ? 0 : flat2(p, w, at / iw, at % iw));
      } else {
        float sum = 0.0f;
        for (int64_t ty = ylo; ty < yhi; ty++) {
          const float *row = x + (iy0 + ty * dy) * iw + ix0;
          for (int64_t tx = xlo; tx < xhi; tx++) sum += row[tx * dx];
        }
        int64_t cnt = p->count_pad ? ypad * xpad : (yhi - ylo) * (xhi - xlo);
        yr[ox] = cnt > 0 ? sum / (float)cnt : 0.0f;
      }
    }
  }
}

/* One plane of a pool of rank >= 3. */
static void pool_plane_nd(const pool_job *j, int64_t plane) {
  const pool_shape *p = j->p;
  const nn_win *w = &p->w;
  const int n = w->nsp;
  int64_t istr[NN_SP_MAX], oc[NN_SP_MAX] = {0};
  istr[n - 1] = 1;
  for (int i = n - 2; i >= 0; i--) istr[i] = istr[i + 1] * w->in[i + 1];
  const float *x = j->x + plane * w->in_prod;
  for (int64_t o = 0; o < w->out_prod; o++) {
    int64_t lo[NN_SP_MAX], hi[NN_SP_MAX], t[NN_SP_MAX], cnt = 1, cpad = 1;
    int empty = 0;
    for (int i = 0; i < n; i++) {
      int64_t np;
      tap_range(w, i, oc[i], &lo[i], &hi[i], &np);
      t[i] = lo[i];
      empty |= lo[i] >= hi[i];
      cnt *= hi[i] - lo[i];
      cpad *= np;
    }
    float m = -FLT_MAX, sum = 0.0f;
    int64_t at = -1;
    while (!empty) {
      int64_t off = 0;
      for (int i = 0; i < n; i++) off += (oc[i] * w->s[i] - w->pb[i] + t[i] * w->d[i]) * istr[i];
      const float v = x[off];
      if (p->is_max) {
        if (v > m || at < 0) m = v, at = off;
      } else {
        sum += v;
      }
      int i = n - 1;
      for (; i >= 0; i--) {
        if (++t[i] < hi[i]) break;
        t[i] = lo[i];
      }
      if (i < 0) break;
    }
    if (p->is_max) {
      j->y[plane * w->out_prod + o] = m;
      if (j->idx) {
        int64_t flat = 0;
        if (at >= 0 && p->col_major) { /* first axis fastest */
          int64_t rest = at, mul = 1, pos[NN_SP_MAX];
          for (int i = n - 1; i >= 0; i--) pos[i] = rest % w->in[i], rest /= w->in[i];
          for (int i = 0; i < n; i++) flat += pos[i] * mul, mul *= w->in[i];
        } else if (at >= 0) {
          flat = at;
        }
        j->idx[plane * w->out_prod + o] = plane * w->in_prod + flat;
      }
    } else {
      int64_t c = p->count_pad ? cpad : cnt;
      j->y[plane * w->out_prod + o] = c > 0 ? sum / (float)c : 0.0f;
    }
    for (int i = n - 1; i >= 0; i--) {
      if (++oc[i] < w->out[i]) break;
      oc[i] = 0;
    }
  }
}

static void pool_worker(void *user, int ith, int nth) {
  pool_job *j = user;
  const pool_shape *p = j->p;
  const int64_t planes = p->n * p->c;
  if (p->w.nsp > 2) {
    for (int64_t pl = planes * ith / nth; pl < planes * (ith + 1) / nth; pl++) pool_plane_nd(j, pl);
    return;
  }
  nn_win w2 = p->w;
  if (w2.nsp == 1) { /* height-1 2-D window */
    w2.in[1] = w2.in[0], w2.out[1] = w2.out[0], w2.k[1] = w2.k[0], w2.s[1] = w2.s[0];
    w2.d[1] = w2.d[0], w2.pb[1] = w2.pb[0], w2.pe[1] = w2.pe[0];
    w2.in[0] = w2.out[0] = w2.k[0] = w2.s[0] = w2.d[0] = 1;
    w2.pb[0] = w2.pe[0] = 0;
  }
  const int64_t oh = w2.out[0], items = planes * j->chunks;
  for (int64_t it; (it = nn_conv_next(&j->next)) < items;) {
    int64_t pl = it / j->chunks, c = it % j->chunks;
    pool_rows2d(j, pl, oh * c / j->chunks, oh * (c + 1) / j->chunks, &w2);
  }
}

static dm_status pool_run_common(nn_kctx *k, int is_max) {
  pool_shape p;
  dm_status s = pool_shape_of(k, is_max, &p);
  if (s) return s;
  pool_job j = {&p, k->in[0]->data, k->out[0]->data,
                is_max && k->n_out > 1 && k->out[1] ? k->out[1]->data : NULL, 1, 0};
  const int64_t planes = p.n * p.c, oh = p.w.nsp == 2 ? p.w.out[0] : 1;
  if (planes <= 0 || oh <= 0) return DM_OK; /* empty output */
  int nt = k->ctx && k->ctx->n_threads > 1 ? k->ctx->n_threads : 1;
  const int64_t want = NN_CONV_ITEMS_PER_THREAD * nt;
  if (planes < want) j.chunks = (want + planes - 1) / planes < oh ? (want + planes - 1) / planes : oh;
  dm_parallel(k->ctx, pool_worker, &j);
  return DM_OK;
}
static dm_status maxpool_run(nn_kctx *k) { return pool_run_common(k, 1); }
static dm_status avgpool_run(nn_kctx *k) { return pool_run_common(k, 0); }

const nn_op nn_op_maxpool = {"MaxPool", 1, 22, 0, maxpool_infer, NULL, maxpool_run, NULL, NULL};
const nn_op nn_op_averagepool = {"AveragePool", 1, 22, 0, avgpool_infer, NULL, avgpool_run, NULL, NULL};
