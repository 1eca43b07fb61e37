/* Streaming box means: per block of rows, column sums over the rows of the
 * window are kept up to date as the window slides down (one row added, one
 * removed), and each output row is a horizontal running sum over them.
 *
 * A row holds each pixel's quantities side by side (box.h), so the running
 * sums along the row advance four quantities a vector: a chain of two
 * dependent adds a pixel per vector, where one quantity at a time gave
 * four scalar chains for as many quantities (the colour guided filter's 13
 * took 16 chain slots). Each lane does the adds of the scalar loop in its
 * order, so the means are the same to the bit. */
#include <stdlib.h>
#include <string.h>

#include "core/box.h"
#include "core/pool.h"

typedef struct {
  const dm_box_stream *b;
  int block;     /* rows per block */
  int stride;    /* doubles a pixel (dm_box_stride) */
  int avx2;      /* the running sums take the AVX2 loop */
  size_t line;   /* stride * width doubles */
  double *work;  /* per thread: column sums, the means, the rows entering and leaving */
  size_t per_thread;
  double *inv_cols; /* per column: 1 / the window's width there */
} box_job;

/* Column sums += the entering row `in` and -= the leaving row `out`
 * (either may be NULL) in one pass: with both, the same two roundings per
 * sum as two passes, one trip over the sums. Two doubles at a time where
 * SSE2 is there (every x86-64; GCC's -O2 leaves these loops scalar). */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
static void slide_cols(double *acc, const double *in, const double *out, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  if (in && out)
    for (; i + 2 <= n; i += 2) {
      const __m128d a = _mm_add_pd(_mm_loadu_pd(acc + i), _mm_loadu_pd(in + i));
      _mm_storeu_pd(acc + i, _mm_sub_pd(a, _mm_loadu_pd(out + i)));
    }
  else if (in)
    for (; i + 2 <= n; i += 2)
      _mm_storeu_pd(acc + i, _mm_add_pd(_mm_loadu_pd(acc + i), _mm_loadu_pd(in + i)));
  else
    for (; i + 2 <= n; i += 2)
      _mm_storeu_pd(acc + i, _mm_sub_pd(_mm_loadu_pd(acc + i), _mm_loadu_pd(out + i)));
#endif
  for (; i < n; i++) acc[i] = in && out ? (acc[i] + in[i]) - out[i] : in ? acc[i] + in[i] : acc[i] - out[i];
}

/* The running sums s (S doubles, the pixel's stride) through columns
 * [x0, x1) of a row: each column's sums written scaled by inv_rows *
 * inv_cols[x], then column x + r + 1 added (add) and column x - r taken
 * away (sub), as the window slides one column right. The portable loop,
 * one quantity at a time. */
static void scalar_phase(const double *col, double *out, double *s, int S, const double *inv_cols,
                         double inv_rows, int x0, int x1, int r, int add, int sub) {
  for (int x = x0; x < x1; x++) {
    const double inv = inv_rows * inv_cols[x];
    double *o = out + (size_t)x * S;
    for (int q = 0; q < S; q++) o[q] = s[q] * inv;
    if (add) {
      const double *c = col + (size_t)(x + r + 1) * S;
      for (int q = 0; q < S; q++) s[q] += c[q];
    }
    if (sub) {
      const double *c = col + (size_t)(x - r) * S;
      for (int q = 0; q < S; q++) s[q] -= c[q];
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2")))
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/* NV vectors of four sums (NV * 4 <= 16 quantities) through one phase. */
AVX2_INLINE void avx2_phase_n(const double *col, double *out, double *s, int S, const double *inv_cols,
                              double inv_rows, int x0, int x1, int r, int add, int sub, int NV) {
  __m256d v[4];
  for (int i = 0; i < NV; i++) v[i] = _mm256_loadu_pd(s + 4 * i);
  for (int x = x0; x < x1; x++) {
    const __m256d inv = _mm256_set1_pd(inv_rows * inv_cols[x]);
    double *o = out + (size_t)x * S;
    for (int i = 0; i < NV; i++) _mm256_storeu_pd(o + 4 * i, _mm256_mul_pd(v[i], inv));
    if (add) {
      const double *c = col + (size_t)(x + r + 1) * S;
      for (int i = 0; i < NV; i++) v[i] = _mm256_add_pd(v[i], _mm256_loadu_pd(c + 4 * i));
    }
    if (sub) {
      const double *c = col + (size_t)(x - r) * S;
      for (int i = 0; i < NV; i++) v[i] = _mm256_sub_pd(v[i], _mm256_loadu_pd(c + 4 * i));
    }
  }
  for (int i = 0; i < NV; i++) _mm256_storeu_pd(s + 4 * i, v[i]);
}

/* The phase with its add and sub known, so the loop has no branch. */
AVX2_INLINE void avx2_phase_as(const double *col, double *out, double *s, int S, const double *inv_cols,
                               double inv_rows, int x0, int x1, int r, int add, int sub, int NV) {
  if (add && sub) avx2_phase_n(col, out, s, S, inv_cols, inv_rows, x0, x1, r, 1, 1, NV);
  else if (add) avx2_phase_n(col, out, s, S, inv_cols, inv_rows, x0, x1, r, 1, 0, NV);
  else if (sub) avx2_phase_n(col, out, s, S, inv_cols, inv_rows, x0, x1, r, 0, 1, NV);
  else avx2_phase_n(col, out, s, S, inv_cols, inv_rows, x0, x1, r, 0, 0, NV);
}

AVX2 static void avx2_phase(const double *col, double *out, double *s, int S, const double *inv_cols,
                            double inv_rows, int x0, int x1, int r, int add, int sub) {
  switch (S / 4) {
  case 1: avx2_phase_as(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub, 1); break;
  case 2: avx2_phase_as(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub, 2); break;
  case 3: avx2_phase_as(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub, 3); break;
  case 4: avx2_phase_as(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub, 4); break;
  default: scalar_phase(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub);
  }
}

static int simd_off; /* dm_box_portable_only */

/* Asked once per dm_box_means, on its caller's thread. */
static int have_avx2(void) { return __builtin_cpu_supports("avx2") && !simd_off; }

void dm_box_portable_only(int on) { simd_off = on; }
#else
static int have_avx2(void) { return 0; }
void dm_box_portable_only(int on) { (void)on; }
static void avx2_phase(const double *col, double *out, double *s, int S, const double *inv_cols,
                       double inv_rows, int x0, int x1, int r, int add, int sub) {
  scalar_phase(col, out, s, S, inv_cols, inv_rows, x0, x1, r, add, sub);
}
#endif

/* One row's means from its column sums: the sums start with the window of
 * column 0 (columns 0 .. r), then each column's mean is written and the
 * window slides. Column x + r + 1 enters while it exists (x < e = w - r -
 * 1) and column x - r leaves once it is inside (x >= r): three phases,
 * each with its adds and subs fixed. */
static void row_sums(const box_job *j, const double *col, double *out, double inv_rows) {
  const int w = j->b->width, r = j->b->radius, S = j->stride;
  double s[DM_BOX_MAX_K];
  for (int q = 0; q < S; q++) s[q] = 0;
  for (int x = 0; x <= r && x < w; x++)
    for (int q = 0; q < S; q++) s[q] += col[(size_t)x * S + q];
  const int e = w - r - 1 > 0 ? w - r - 1 : 0;
  const int lo = r < e ? r : e, hi = r < e ? e : (r < w ? r : w);
  const int x0[3] = {0, lo, hi}, x1[3] = {lo, hi, w};
  const int add[3] = {1, r < e, 0}, sub[3] = {0, r < e, 1};
  for (int p = 0; p < 3; p++) {
    if (x0[p] >= x1[p]) continue;
    if (j->avx2) avx2_phase(col, out, s, S, j->inv_cols, inv_rows, x0[p], x1[p], r, add[p], sub[p]);
    else scalar_phase(col, out, s, S, j->inv_cols, inv_rows, x0[p], x1[p], r, add[p], sub[p]);
  }
}

static void box_blocks(void *user, int ith, int nth) {
  box_job *j = user;
  const dm_box_stream *b = j->b;
  const int h = b->height, r = b->radius;
  double *col = j->work + (size_t)ith * j->per_thread, *mean = col + j->line;
  double *in = mean + j->line, *out = in + j->line; /* the rows entering and leaving */
  int nblocks = (h + j->block - 1) / j->block, b0, b1;
  dm_split_rows(nblocks, ith, nth, &b0, &b1);
  for (int blk = b0; blk < b1; blk++) {
    const int y0 = blk * j->block, y1 = y0 + j->block < h ? y0 + j->block : h;
    memset(col, 0, sizeof(double) * j->line);
    for (int y = y0 - r < 0 ? 0 : y0 - r; y <= y0 + r && y < h; y++) {
      b->row_in(b->user, y, in);
      slide_cols(col, in, NULL, j->line);
    }
    for (int y = y0; y < y1; y++) {
      /* slide the window from y-1 to y; the leaving row is made again: at
       * 8-16 doubles a pixel, reading it back from a ring of the window's
       * rows cost more than its few products (which read 4-16 bytes) */
      const int enters = y > y0 && y + r < h, leaves = y > y0 && y - r - 1 >= 0;
      if (enters) b->row_in(b->user, y + r, in);
      if (leaves) b->row_in(b->user, y - r - 1, out);
      if (enters || leaves) slide_cols(col, enters ? in : NULL, leaves ? out : NULL, j->line);
      const int ya = y - r < 0 ? 0 : y - r, yb = y + r >= h ? h - 1 : y + r;
      row_sums(j, col, mean, 1.0 / (yb - ya + 1));
      b->row_out(b->user, y, mean);
    }
  }
}

dm_status dm_box_means(dm_context *ctx, const dm_box_stream *b) {
  if (b->width <= 0 || b->height <= 0 || b->k <= 0 || b->k > DM_BOX_MAX_K || b->radius < 0)
    return dm_fail(ctx, DM_ERR_INTERNAL, "box", "bad box filter shape %dx%d, k %d, radius %d", b->width,
                   b->height, b->k, b->radius);
  const int threads = ctx && ctx->n_threads > 1 ? ctx->n_threads : 1;
  /* Restarting a block costs 2r+1 rows: keep that under half the block. */
  int block = 4 * b->radius + 2;
  if (block < 64) block = 64;
  box_job j = {.b = b, .block = block, .stride = dm_box_stride(b->k), .avx2 = have_avx2()};
  j.line = (size_t)j.stride * (size_t)b->width;
  j.per_thread = 4 * j.line;
  /* zeroed: the rows' padding (past k in each pixel) is never written */
  j.work = calloc((size_t)threads * j.per_thread, sizeof *j.work);
  j.inv_cols = malloc((size_t)b->width * sizeof *j.inv_cols);
  if (!j.work || !j.inv_cols) {
    free(j.work), free(j.inv_cols);
    return dm_fail(ctx, DM_ERR_NOMEM, "box", "out of memory");
  }
  const int r = b->radius, w = b->width;
  for (int x = 0; x < w; x++) {
    const int xa = x - r < 0 ? 0 : x - r, xb = x + r >= w ? w - 1 : x + r;
    j.inv_cols[x] = 1.0 / (xb - xa + 1);
  }
  dm_parallel(ctx, box_blocks, &j);
  free(j.work);
  free(j.inv_cols);
  return DM_OK;
}
