/* Streaming box means: per block of rows, column sums over the rows of the
 * window are kept up to date as the window slides down (one row added, one
 * removed), and each output row is a horizontal running sum over them. */
#include <stdlib.h>

#include "core/box.h"
#include "core/pool.h"

typedef struct {
  const dm_box_stream *b;
  int block;     /* rows per block */
  size_t line;   /* k * width doubles */
  double *work;  /* per thread: column sums, one input row, one output row, a row of
                    zeros and a sink row */
  size_t per_thread;
  int ring;      /* rows kept (2r + 2) so each row is made once, or 0: made again to leave */
  double *inv_cols; /* per column: 1 / the window's width there */
} box_job;

/* Column sums += or -= one row: two doubles at a time where SSE2 is there
 * (every x86-64; GCC's -O2 leaves this loop scalar). */
#if defined(__SSE2__)
#include <emmintrin.h>
static void add_row(double *acc, const double *row, size_t n, int sub) {
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    __m128d a = _mm_loadu_pd(acc + i), r = _mm_loadu_pd(row + i);
    _mm_storeu_pd(acc + i, sub ? _mm_sub_pd(a, r) : _mm_add_pd(a, r));
  }
  for (; i < n; i++) acc[i] += sub ? -row[i] : row[i];
}
#else
static void add_row(double *acc, const double *row, size_t n, int sub) {
  for (size_t i = 0; i < n; i++) acc[i] += sub ? -row[i] : row[i];
}
#endif

/* Where row y's quantities go: its slot of the ring, or the one row. */
static double *row_slot(const box_job *j, double *rows, int y) {
  return j->ring ? rows + (size_t)(y % j->ring) * j->line : rows;
}

static void box_blocks(void *user, int ith, int nth) {
  box_job *j = user;
  const dm_box_stream *b = j->b;
  const int w = b->width, h = b->height, r = b->radius;
  double *col = j->work + (size_t)ith * j->per_thread, *out = col + j->line;
  double *zero = out + j->line, *sink = zero + w; /* zero: w zeros (calloc) */
  double *rows = sink + w; /* the ring of the window's rows, or one row */
  int nblocks = (h + j->block - 1) / j->block, b0, b1;
  dm_split_rows(nblocks, ith, nth, &b0, &b1);
  for (int blk = b0; blk < b1; blk++) {
    const int y0 = blk * j->block, y1 = y0 + j->block < h ? y0 + j->block : h;
    for (size_t i = 0; i < j->line; i++) col[i] = 0;
    for (int y = y0 - r < 0 ? 0 : y0 - r; y <= y0 + r && y < h; y++) {
      double *in = row_slot(j, rows, y);
      b->row_in(b->user, y, in);
      add_row(col, in, j->line, 0);
    }
    for (int y = y0; y < y1; y++) {
      if (y > y0) { /* slide the window from y-1 to y */
        if (y + r < h) {
          double *in = row_slot(j, rows, y + r);
          b->row_in(b->user, y + r, in);
          add_row(col, in, j->line, 0);
        }
        if (y - r - 1 >= 0) {
          double *in = row_slot(j, rows, y - r - 1);
          /* in the ring it is still there (2r + 2 slots) */
          if (!j->ring) b->row_in(b->user, y - r - 1, in);
          add_row(col, in, j->line, 1);
        }
      }
      const int ya = y - r < 0 ? 0 : y - r, yb = y + r >= h ? h - 1 : y + r;
      const double inv_rows = 1.0 / (yb - ya + 1);
      /* The running sums along the row are chains of dependent adds; four
       * quantities advance side by side, in registers, so their chains
       * overlap (a missing fourth reads zeros and writes to a sink). */
      for (int q0 = 0; q0 < b->k; q0 += 4) {
        const double *c[4];
        double *o[4];
        for (int i = 0; i < 4; i++) {
          int q = q0 + i;
          c[i] = q < b->k ? col + (size_t)q * w : zero;
          o[i] = q < b->k ? out + (size_t)q * w : sink;
        }
        const double *c0 = c[0], *c1 = c[1], *c2 = c[2], *c3 = c[3];
        double *o0 = o[0], *o1 = o[1], *o2 = o[2], *o3 = o[3];
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int x = 0; x <= r && x < w; x++) s0 += c0[x], s1 += c1[x], s2 += c2[x], s3 += c3[x];
        for (int x = 0; x < w; x++) {
          const double inv = inv_rows * j->inv_cols[x];
          o0[x] = s0 * inv, o1[x] = s1 * inv, o2[x] = s2 * inv, o3[x] = s3 * inv;
          if (x + r + 1 < w) {
            const int a = x + r + 1;
            s0 += c0[a], s1 += c1[a], s2 += c2[a], s3 += c3[a];
          }
          if (x - r >= 0) {
            const int d = x - r;
            s0 -= c0[d], s1 -= c1[d], s2 -= c2[d], s3 -= c3[d];
          }
        }
      }
      b->row_out(b->user, y, out);
    }
  }
}

dm_status dm_box_means(dm_context *ctx, const dm_box_stream *b) {
  if (b->width <= 0 || b->height <= 0 || b->k <= 0 || b->radius < 0)
    return dm_fail(ctx, DM_ERR_INTERNAL, "box", "bad box filter shape %dx%d, k %d, radius %d", b->width,
                   b->height, b->k, b->radius);
  const int threads = ctx && ctx->n_threads > 1 ? ctx->n_threads : 1;
  /* Restarting a block costs 2r+1 rows: keep that under half the block. */
  int block = 4 * b->radius + 2;
  if (block < 64) block = 64;
  box_job j = {.b = b, .block = block, .line = (size_t)b->k * (size_t)b->width};
  /* Keep the window's rows when they fit in a few MiB a thread; else each
   * is made twice (entering and leaving the window). */
  size_t ring_bytes = (size_t)(2 * b->radius + 2) * j.line * sizeof(double);
  j.ring = ring_bytes <= ((size_t)4 << 20) ? 2 * b->radius + 2 : 0;
  j.per_thread = 2 * j.line + 2 * (size_t)b->width + (j.ring ? (size_t)j.ring : 1) * j.line;
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
