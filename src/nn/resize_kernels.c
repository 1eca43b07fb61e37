/* Resize kernels over the tap tables of resize_table.c.
 *
 *   gather  nearest, any element size: per output row one source row (from
 *           the outer axes' tables), then an index gather along the last axis
 *   sep2d   linear / cubic on the last two axes (the common NCHW case):
 *           each needed input row is resized horizontally once into a small
 *           per-thread row cache, output rows blend cached rows; threads
 *           take runs of (plane, row band)
 *   passes  linear / cubic on any axes: one 1-D pass per resized axis,
 *           shrinking axes first, through scratch buffers */
#include <string.h>

#include "core/pool.h"
#include "nn/ops_tensor.h"
#include "nn/resize.h"

#define PAR_BYTES ((size_t)1 << 18)

typedef struct rs_job {
  const nn_resize_plan *p;
  const unsigned char *x;
  unsigned char *y;
  size_t es;
  unsigned char extrap[8];   /* extrapolation value as one element */
  float fextrap;
  float *scratch;
  /* sep2d */
  int64_t planes, h, w, oh, ow, nchunk, units;
  /* one pass */
  const nn_resize_axis *ax;
  int64_t outer, nin, nout, inner;
  const float *src;
  float *dst;
} rs_job;

static int64_t prod(const int64_t *d, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to; i++) n *= d[i];
  return n;
}

/* ---- nearest: gather ---- */

#define GATHER_ROW(T)                                                        \
  do {                                                                       \
    T *dd = (T *)d;                                                          \
    const T *ss = (const T *)s;                                              \
    for (int64_t i = 0; i < ow; i++) dd[i] = ss[ix[i]];                      \
  } while (0)

static void gather_rows(void *user, int ith, int nth) {
  const rs_job *j = user;
  const nn_resize_spec *sp = &j->p->spec;
  int r = sp->ndim, last = r - 1;
  const nn_resize_axis *lax = &j->p->ax[last];
  const int32_t *ix = lax->idx;
  int64_t rows = prod(sp->out, 0, last), ow = sp->out[last], xs[DM_NN_MAX_DIMS], o[DM_NN_MAX_DIMS];
  int64_t r0 = rows * ith / nth, r1 = rows * (ith + 1) / nth, prev_off = -1;
  size_t es = j->es, row_bytes = (size_t)ow * es;
  nn_strides(r, sp->in, xs);
  int64_t q = r0; /* multi-index of row r0 over the outer axes */
  for (int a = last - 1; a >= 0; a--) o[a] = q % sp->out[a], q /= sp->out[a];
  for (int64_t row = r0; row < r1; row++) {
    unsigned char *d = j->y + (size_t)row * row_bytes;
    int64_t off = 0;
    int inside = 1;
    for (int a = 0; a < last; a++) {
      const nn_resize_axis *ax = &j->p->ax[a];
      if (ax->outside && ax->outside[o[a]]) inside = 0;
      off += ax->idx[o[a]] * xs[a];
    }
    for (int a = last - 1; a >= 0 && ++o[a] == sp->out[a]; a--) o[a] = 0; /* next row */
    if (!inside) {
      for (int64_t i = 0; i < ow; i++) memcpy(d + (size_t)i * es, j->extrap, es);
      prev_off = -1;
      continue;
    }
    if (off == prev_off) { /* upsampling: the same source row as the row before */
      memcpy(d, d - row_bytes, row_bytes);
      continue;
    }
    prev_off = off;
    const unsigned char *s = j->x + (size_t)off * es;
    switch (es) {
    case 1: GATHER_ROW(uint8_t); break;
    case 2: GATHER_ROW(uint16_t); break;
    case 4: GATHER_ROW(uint32_t); break;
    case 8: GATHER_ROW(uint64_t); break;
    default:
      for (int64_t i = 0; i < ow; i++) memcpy(d + (size_t)i * es, s + (size_t)ix[i] * es, es);
    }
    if (lax->outside)
      for (int64_t i = 0; i < ow; i++)
        if (lax->outside[i]) memcpy(d + (size_t)i * es, j->extrap, es);
  }
}

/* ---- linear / cubic along one axis of a row ---- */

static void hpass(const float *s, float *d, const nn_resize_axis *ax, int64_t ow, float extrap) {
  const int32_t *ix = ax->idx;
  const float *w = ax->w;
  if (ax->ntap == 2) {
    for (int64_t i = 0; i < ow; i++) d[i] = s[ix[2 * i]] * w[2 * i] + s[ix[2 * i + 1]] * w[2 * i + 1];
  } else if (ax->ntap == 4) {
    for (int64_t i = 0; i < ow; i++) {
      const int32_t *k = ix + 4 * i;
      const float *v = w + 4 * i;
      d[i] = s[k[0]] * v[0] + s[k[1]] * v[1] + s[k[2]] * v[2] + s[k[3]] * v[3];
    }
  } else {
    int nt = ax->ntap;
    for (int64_t i = 0; i < ow; i++) {
      float acc = 0;
      for (int t = 0; t < nt; t++) acc += s[ix[i * nt + t]] * w[i * nt + t];
      d[i] = acc;
    }
  }
  if (ax->outside)
    for (int64_t i = 0; i < ow; i++)
      if (ax->outside[i]) d[i] = extrap;
}

static void fill_f(float *d, float v, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = v;
}

/* Row arithmetic in 4-lane vectors (GCC/clang vector extension: SSE on
 * x86, NEON on ARM); -O2 does not vectorise loops of unknown length. */
typedef float rs_v4 __attribute__((vector_size(16)));
static inline rs_v4 ld4(const float *p) {
  rs_v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void st4(float *p, rs_v4 v) { memcpy(p, &v, sizeof v); }

/* d = a * wa + b * wb */
static void blend2(float *restrict d, const float *a, const float *b, float wa, float wb, int64_t n) {
  const rs_v4 va = {wa, wa, wa, wa}, vb = {wb, wb, wb, wb};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    st4(d + i, ld4(a + i) * va + ld4(b + i) * vb);
    st4(d + i + 4, ld4(a + i + 4) * va + ld4(b + i + 4) * vb);
  }
  for (; i < n; i++) d[i] = a[i] * wa + b[i] * wb;
}

/* d = a * w (first) or d += a * w */
static void axpy(float *restrict d, const float *a, float w, int64_t n, int first) {
  const rs_v4 vw = {w, w, w, w};
  int64_t i = 0;
  if (first) {
    for (; i + 4 <= n; i += 4) st4(d + i, ld4(a + i) * vw);
    for (; i < n; i++) d[i] = a[i] * w;
  } else {
    for (; i + 4 <= n; i += 4) st4(d + i, ld4(d + i) + ld4(a + i) * vw);
    for (; i < n; i++) d[i] += a[i] * w;
  }
}

/* ---- sep2d ---- */

typedef struct row_cache {
  float *rows;          /* nt rows of stride row_floats */
  int32_t *tag;         /* input row held by each slot, -1 free */
  int nt;
  size_t stride;
} row_cache;

/* Input row iy resized horizontally, from the cache or computed into a
 * slot no tap of the current output row (needed[0..nt)) still wants. */
static const float *cached_row(const rs_job *j, row_cache *c, const float *plane, int32_t iy,
                               const int32_t *needed) {
  const nn_resize_axis *axw = &j->p->ax[j->p->spec.ndim - 1];
  if (axw->identity) return plane + (int64_t)iy * j->w;
  int victim = -1;
  for (int s = 0; s < c->nt; s++) {
    if (c->tag[s] == iy) return c->rows + (size_t)s * c->stride;
    if (victim < 0) {
      int busy = 0;
      for (int t = 0; t < c->nt && !busy; t++) busy = c->tag[s] >= 0 && needed[t] == c->tag[s];
      if (!busy) victim = s;
    }
  }
  if (victim < 0) victim = 0; /* cannot happen: nt slots, at most nt needed rows */
  float *row = c->rows + (size_t)victim * c->stride;
  hpass(plane + (int64_t)iy * j->w, row, axw, j->ow, j->fextrap);
  c->tag[victim] = iy;
  return row;
}

static void sep2d_run(void *user, int ith, int nth) {
  const rs_job *j = user;
  const nn_resize_plan *p = j->p;
  if (ith >= p->threads) return;
  if (nth > p->threads) nth = p->threads; /* scratch was sized for p->threads */
  int r = p->spec.ndim;
  const nn_resize_axis *axh = &p->ax[r - 2], *axw = &p->ax[r - 1];
  int nt = axh->ntap;
  row_cache c = {.nt = nt, .stride = p->row_floats};
  c.rows = j->scratch + (size_t)ith * (size_t)nt * p->row_floats;
  int32_t tags_small[8];
  c.tag = tags_small;
  if (nt > 8) c.tag = (int32_t *)(j->scratch + (size_t)p->threads * (size_t)nt * p->row_floats) + (size_t)ith * nt;
  int64_t u0 = j->units * ith / nth, u1 = j->units * (ith + 1) / nth, ow = j->ow;
  const float *x = (const float *)j->x;
  float *y = (float *)j->y;
  for (int64_t u = u0; u < u1; u++) {
    int64_t plane = u / j->nchunk, ch = u % j->nchunk;
    int64_t y0 = j->oh * ch / j->nchunk, y1 = j->oh * (ch + 1) / j->nchunk;
    const float *xp = x + plane * j->h * j->w;
    for (int s = 0; s < nt; s++) c.tag[s] = -1;
    for (int64_t oy = y0; oy < y1; oy++) {
      float *d = y + (plane * j->oh + oy) * ow;
      if (axh->outside && axh->outside[oy]) {
        fill_f(d, j->fextrap, ow);
        continue;
      }
      const int32_t *iy = axh->idx + oy * nt;
      const float *wy = axh->w + oy * nt;
      if (nt == 2 && wy[0] != 0 && wy[1] != 0 && iy[0] != iy[1]) {
        const float *a = cached_row(j, &c, xp, iy[0], iy), *b = cached_row(j, &c, xp, iy[1], iy);
        blend2(d, a, b, wy[0], wy[1], ow);
        continue;
      }
      int first = 1;
      for (int t = 0; t < nt; t++) {
        if (wy[t] == 0) continue;
        float wt = wy[t];
        int only = first;
        for (int t2 = t + 1; t2 < nt && only; t2++) only = wy[t2] == 0;
        if (only && wt == 1.0f && !axw->identity) {
          /* a single full-weight row: resize it straight into place */
          hpass(xp + (int64_t)iy[t] * j->w, d, axw, ow, j->fextrap);
        } else {
          axpy(d, cached_row(j, &c, xp, iy[t], iy), wt, ow, first);
        }
        first = 0;
      }
      if (first) fill_f(d, 0.0f, ow);
    }
  }
}

/* ---- one 1-D pass along an arbitrary axis ---- */

static void pass_run(void *user, int ith, int nth) {
  const rs_job *j = user;
  const nn_resize_axis *ax = j->ax;
  int nt = ax->ntap;
  int64_t rows = j->outer * j->nout, r0 = rows * ith / nth, r1 = rows * (ith + 1) / nth, inner = j->inner;
  int64_t o = r0 / j->nout, oy = r0 % j->nout;
  for (int64_t row = r0; row < r1; row++, oy++) {
    if (oy == j->nout) oy = 0, o++;
    float *d = j->dst + row * inner;
    if (ax->outside && ax->outside[oy]) {
      fill_f(d, j->fextrap, inner);
      continue;
    }
    const int32_t *ix = ax->idx + oy * nt;
    const float *w = ax->w + oy * nt, *s = j->src + o * j->nin * inner;
    if (inner == 1) {
      float acc = 0;
      for (int t = 0; t < nt; t++) acc += s[ix[t]] * w[t];
      d[0] = acc;
      continue;
    }
    axpy(d, s + ix[0] * inner, w[0], inner, 1);
    for (int t = 1; t < nt; t++)
      if (w[t] != 0) axpy(d, s + ix[t] * inner, w[t], inner, 0);
  }
}

static void launch(dm_context *ctx, dm_job_fn fn, rs_job *j, size_t out_bytes) {
  if (out_bytes >= PAR_BYTES && ctx && ctx->pool) dm_parallel(ctx, fn, j);
  else fn(j, 0, 1);
}

void nn_resize_run(dm_context *ctx, const nn_resize_plan *p, const void *x, void *y, size_t es,
                   dm_nn_dtype dtype, void *scratch) {
  const nn_resize_spec *sp = &p->spec;
  int r = sp->ndim;
  int64_t total = prod(sp->out, 0, r);
  if (total == 0) return;
  rs_job j;
  memset(&j, 0, sizeof j);
  j.p = p, j.x = x, j.y = y, j.es = es, j.scratch = scratch, j.fextrap = sp->extrapolation;
  nn_store_real(dtype, j.extrap, sp->extrapolation);
  size_t out_bytes = (size_t)total * es;
  if (p->kind == NN_RS_COPY) {
    int64_t one = 1;
    nn_copy_strided(ctx, y, x, es, 1, &total, &one);
  } else if (p->kind == NN_RS_GATHER) {
    launch(ctx, gather_rows, &j, out_bytes);
  } else if (p->kind == NN_RS_SEP2D) {
    j.planes = prod(sp->out, 0, r - 2);
    j.h = sp->in[r - 2], j.w = sp->in[r - 1], j.oh = sp->out[r - 2], j.ow = sp->out[r - 1];
    /* enough (plane, band) units to balance the threads; a band re-reads
     * at most ntap input rows at its top */
    j.nchunk = 1;
    if (p->threads > 1 && j.planes < 4 * p->threads) j.nchunk = (4 * p->threads + j.planes - 1) / j.planes;
    if (j.nchunk > j.oh) j.nchunk = j.oh;
    j.units = j.planes * j.nchunk;
    launch(ctx, sep2d_run, &j, out_bytes);
  } else {
    int64_t cur[DM_NN_MAX_DIMS];
    memcpy(cur, sp->in, sizeof cur);
    float *buf[2] = {scratch, scratch ? (float *)scratch + p->pass_elems : NULL};
    const float *src = x;
    for (int i = 0; i < p->n_pass; i++) {
      int a = p->pass_axis[i];
      j.ax = &p->ax[a];
      j.outer = prod(cur, 0, a), j.nin = cur[a], j.nout = sp->out[a], j.inner = prod(cur, a + 1, r);
      j.src = src;
      j.dst = i == p->n_pass - 1 ? (float *)y : buf[i % 2];
      cur[a] = sp->out[a];
      launch(ctx, pass_run, &j, (size_t)prod(cur, 0, r) * sizeof(float));
      src = j.dst;
    }
  }
}
