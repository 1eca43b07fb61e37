/* The strided copy engine behind Transpose, Slice, Expand, Tile,
 * DepthToSpace and SpaceToDepth: a dense destination filled from a source
 * addressed by arbitrary (possibly zero or negative) element strides.
 *
 * The shape is simplified first (unit dims dropped, dims that are adjacent
 * in the source merged), which turns NCHW<->NHWC into a batched 2-D
 * transpose and most slices into a few long rows. Then one of four loops:
 *   flat     one contiguous block: chunked memcpy
 *   rows     source rows contiguous: memcpy per row
 *   blocked  a transpose: tiles so reads and writes stay in cache
 *   strided  anything else: element loop along the innermost dim */
#include <string.h>

#include "core/pool.h"
#include "nn/ops_tensor.h"

enum { COPY_FLAT, COPY_ROWS, COPY_BLOCKED, COPY_STRIDED };
#define TILE 32
#define FLAT_CHUNK 65536
/* Below this many bytes a copy is not worth waking the pool for. */
#define PAR_BYTES ((size_t)1 << 18)

typedef struct copy_job {
  unsigned char *dst;
  const unsigned char *src;
  size_t es;
  int kind;
  int nd;                     /* simplified rank */
  int64_t d[NN_COPY_MAX_DIMS], s[NN_COPY_MAX_DIMS], ds[NN_COPY_MAX_DIMS]; /* dims, src and dst strides */
  int q;                      /* blocked: the dim with source stride 1 */
  int no;                     /* blocked: outer dims (all but q and the last) */
  int64_t od[NN_COPY_MAX_DIMS], os[NN_COPY_MAX_DIMS], ods[NN_COPY_MAX_DIMS];
  int64_t units, nblk, ta, tj;   /* blocked: tile extents along q and along the last dim */
} copy_job;

/* Offsets of the multi-index of linear position r over n dims. */
static void unravel(int n, const int64_t *d, const int64_t *s, const int64_t *ds, int64_t r,
                    int64_t *idx, int64_t *soff, int64_t *doff) {
  *soff = 0, *doff = 0;
  for (int i = n - 1; i >= 0; i--) {
    idx[i] = r % d[i];
    r /= d[i];
    *soff += idx[i] * s[i];
    if (ds) *doff += idx[i] * ds[i];
  }
}

/* Advance a multi-index by one, keeping the source offset in step. */
static void step(int n, const int64_t *d, const int64_t *s, int64_t *idx, int64_t *soff) {
  for (int i = n - 1; i >= 0; i--) {
    *soff += s[i];
    if (++idx[i] < d[i]) return;
    *soff -= s[i] * d[i];
    idx[i] = 0;
  }
}

#define STRIDED_ROW(T)                                                       \
  do {                                                                       \
    T *dd = (T *)dst;                                                        \
    const T *ss = (const T *)src;                                            \
    for (int64_t j = 0; j < n; j++) dd[j] = ss[j * st];                      \
  } while (0)

static void strided_row(unsigned char *dst, const unsigned char *src, size_t es, int64_t n, int64_t st) {
  switch (es) {
  case 1: STRIDED_ROW(uint8_t); break;
  case 2: STRIDED_ROW(uint16_t); break;
  case 4: STRIDED_ROW(uint32_t); break;
  case 8: STRIDED_ROW(uint64_t); break;
  default:
    for (int64_t j = 0; j < n; j++) memcpy(dst + (size_t)j * es, src + j * st * (int64_t)es, es);
  }
}

/* One tile: dst[a * dq + j] = src[a + j * sl] for a < na, j < nj. */
#define TILE_LOOP(T)                                                         \
  do {                                                                       \
    T *dd = (T *)dst;                                                        \
    const T *ss = (const T *)src;                                            \
    for (int64_t a = 0; a < na; a++, dd += dq)                               \
      for (int64_t j = 0; j < nj; j++) dd[j] = ss[a + j * sl];               \
  } while (0)
/* The 8-wide tile of power-of-two strides, with its 8 source runs as
 * separate pointers: twice as fast as the loop above. */
#define TILE8_LOOP(T)                                                        \
  do {                                                                       \
    T *dd = (T *)dst;                                                        \
    const T *s0 = (const T *)src, *s1 = s0 + sl, *s2 = s1 + sl, *s3 = s2 + sl; \
    const T *s4 = s3 + sl, *s5 = s4 + sl, *s6 = s5 + sl, *s7 = s6 + sl;     \
    for (int64_t a = 0; a < na; a++, dd += dq) {                             \
      dd[0] = s0[a], dd[1] = s1[a], dd[2] = s2[a], dd[3] = s3[a];            \
      dd[4] = s4[a], dd[5] = s5[a], dd[6] = s6[a], dd[7] = s7[a];            \
    }                                                                        \
  } while (0)
#define TILE_SIZES(T)                                                        \
  do {                                                                       \
    if (nj == 8) TILE8_LOOP(T);                                              \
    else TILE_LOOP(T);                                                       \
  } while (0)

static void tile(unsigned char *dst, const unsigned char *src, size_t es, int64_t na, int64_t nj,
                 int64_t dq, int64_t sl) {
  switch (es) {
  case 1: TILE_SIZES(uint8_t); break;
  case 2: TILE_SIZES(uint16_t); break;
  case 4: TILE_SIZES(uint32_t); break;
  case 8: TILE_SIZES(uint64_t); break;
  default:
    for (int64_t a = 0; a < na; a++)
      for (int64_t j = 0; j < nj; j++)
        memcpy(dst + (size_t)(a * dq + j) * es, src + (size_t)(a + j * sl) * es, es);
  }
}

static void run_rows(const copy_job *j, int64_t u0, int64_t u1) {
  int nr = j->nd - 1;
  int64_t len = j->d[nr], st = j->s[nr], idx[NN_COPY_MAX_DIMS], soff, doff;
  unravel(nr, j->d, j->s, NULL, u0, idx, &soff, &doff);
  size_t row = (size_t)len * j->es;
  for (int64_t r = u0; r < u1; r++) {
    unsigned char *dst = j->dst + (size_t)r * row;
    const unsigned char *src = j->src + soff * (int64_t)j->es;
    if (j->kind == COPY_ROWS) memcpy(dst, src, row);
    else strided_row(dst, src, j->es, len, st);
    step(nr, j->d, j->s, idx, &soff);
  }
}

static void run_blocked(const copy_job *j, int64_t u0, int64_t u1) {
  int64_t idx[NN_COPY_MAX_DIMS], soff, doff;
  int last = j->nd - 1;
  int64_t na_all = j->d[j->q], nj_all = j->d[last], dq = j->ds[j->q], sl = j->s[last];
  for (int64_t u = u0; u < u1; u++) {
    int64_t outer = u / j->nblk, a0 = (u % j->nblk) * j->ta;
    unravel(j->no, j->od, j->os, j->ods, outer, idx, &soff, &doff);
    int64_t na = na_all - a0 < j->ta ? na_all - a0 : j->ta;
    for (int64_t j0 = 0; j0 < nj_all; j0 += j->tj) {
      int64_t nj = nj_all - j0 < j->tj ? nj_all - j0 : j->tj;
      tile(j->dst + (size_t)(doff + a0 * dq + j0) * j->es,
           j->src + (soff + a0 + j0 * sl) * (int64_t)j->es, j->es, na, nj, dq, sl);
    }
  }
}

static void copy_run(void *user, int ith, int nth) {
  const copy_job *j = user;
  int64_t u0 = j->units * ith / nth, u1 = j->units * (ith + 1) / nth;
  if (u0 >= u1) return;
  if (j->kind == COPY_FLAT) {
    /* units are FLAT_CHUNK-element pieces of one block */
    size_t chunk = (size_t)FLAT_CHUNK * j->es, total = (size_t)j->d[0] * j->es;
    size_t b0 = (size_t)u0 * chunk, b1 = (size_t)u1 * chunk;
    if (b1 > total) b1 = total;
    memcpy(j->dst + b0, j->src + b0, b1 - b0);
  } else if (j->kind == COPY_BLOCKED) {
    run_blocked(j, u0, u1);
  } else {
    run_rows(j, u0, u1);
  }
}

/* Drop unit dims and merge dims contiguous in the source. Returns the rank. */
static int simplify(int ndim, const int64_t *dims, const int64_t *ss, int64_t *d, int64_t *s) {
  int n = 0;
  for (int i = ndim - 1; i >= 0; i--) {  /* built inner-first, reversed below */
    if (dims[i] == 1) continue;
    if (n > 0 && ss[i] == s[n - 1] * d[n - 1]) {
      d[n - 1] *= dims[i];
    } else {
      d[n] = dims[i], s[n] = ss[i];
      n++;
    }
  }
  for (int i = 0; i < n / 2; i++) {
    int64_t t = d[i]; d[i] = d[n - 1 - i]; d[n - 1 - i] = t;
    t = s[i]; s[i] = s[n - 1 - i]; s[n - 1 - i] = t;
  }
  return n;
}

void nn_copy_strided(dm_context *ctx, void *dst, const void *src, size_t esize, int ndim,
                     const int64_t *dims, const int64_t *sstride) {
  int64_t total = 1;
  for (int i = 0; i < ndim; i++) total *= dims[i];
  if (total <= 0) return;
  copy_job j;
  memset(&j, 0, sizeof j);
  j.dst = dst, j.src = src, j.es = esize;
  j.nd = simplify(ndim, dims, sstride, j.d, j.s);
  if (j.nd == 0) {
    memcpy(dst, src, esize);
    return;
  }
  nn_strides(j.nd, j.d, j.ds);
  int last = j.nd - 1;
  j.q = -1;
  if (j.s[last] != 1)
    for (int i = 0; i < last; i++)
      if (j.s[i] == 1 && j.d[i] >= 4 && j.d[last] >= 4) j.q = i;
  if (j.nd == 1 && j.s[0] == 1) {
    j.kind = COPY_FLAT;
    j.units = (total + FLAT_CHUNK - 1) / FLAT_CHUNK;
  } else if (j.s[last] == 1) {
    j.kind = COPY_ROWS;
    j.units = total / j.d[last];
  } else if (j.q >= 0) {
    j.kind = COPY_BLOCKED;
    for (int i = 0; i < last; i++)
      if (i != j.q) {
        j.od[j.no] = j.d[i], j.os[j.no] = j.s[i], j.ods[j.no] = j.ds[i];
        j.no++;
      }
    /* Source runs a power-of-two apart (NCHW -> NHWC: HW floats) share
     * cache sets: read only 8 of them at a time, each for longer. */
    j.ta = TILE, j.tj = TILE;
    if (((size_t)(j.s[last] < 0 ? -j.s[last] : j.s[last]) * esize) % 1024 == 0) j.ta = 256, j.tj = 8;
    j.nblk = (j.d[j.q] + j.ta - 1) / j.ta;
    j.units = total / (j.d[j.q] * j.d[last]) * j.nblk;
  } else {
    j.kind = COPY_STRIDED;
    j.units = total / j.d[last];
  }
  if ((size_t)total * esize >= PAR_BYTES && ctx && ctx->pool && j.units > 1)
    dm_parallel(ctx, copy_run, &j);
  else
    copy_run(&j, 0, 1);
}
