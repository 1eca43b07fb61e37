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
  double *work;  /* per thread: column sums, one input row, one output row */
} box_job;

static void add_row(double *acc, const double *row, size_t n, double sign) {
  for (size_t i = 0; i < n; i++) acc[i] += sign * row[i];
}

static void box_blocks(void *user, int ith, int nth) {
  box_job *j = user;
  const dm_box_stream *b = j->b;
  const int w = b->width, h = b->height, r = b->radius;
  double *col = j->work + (size_t)ith * 3 * j->line, *in = col + j->line, *out = in + j->line;
  int nblocks = (h + j->block - 1) / j->block, b0, b1;
  dm_split_rows(nblocks, ith, nth, &b0, &b1);
  for (int blk = b0; blk < b1; blk++) {
    const int y0 = blk * j->block, y1 = y0 + j->block < h ? y0 + j->block : h;
    for (size_t i = 0; i < j->line; i++) col[i] = 0;
    for (int y = y0 - r < 0 ? 0 : y0 - r; y <= y0 + r && y < h; y++) {
      b->row_in(b->user, y, in);
      add_row(col, in, j->line, 1.0);
    }
    for (int y = y0; y < y1; y++) {
      if (y > y0) { /* slide the window from y-1 to y */
        if (y + r < h) {
          b->row_in(b->user, y + r, in);
          add_row(col, in, j->line, 1.0);
        }
        if (y - r - 1 >= 0) {
          b->row_in(b->user, y - r - 1, in);
          add_row(col, in, j->line, -1.0);
        }
      }
      const int ya = y - r < 0 ? 0 : y - r, yb = y + r >= h ? h - 1 : y + r;
      const double rows = yb - ya + 1;
      for (int q = 0; q < b->k; q++) {
        const double *c = col + (size_t)q * w;
        double *o = out + (size_t)q * w, s = 0;
        for (int x = 0; x <= r && x < w; x++) s += c[x];
        for (int x = 0; x < w; x++) {
          const int xa = x - r < 0 ? 0 : x - r, xb = x + r >= w ? w - 1 : x + r;
          o[x] = s / (rows * (xb - xa + 1));
          if (x + r + 1 < w) s += c[x + r + 1];
          if (x - r >= 0) s -= c[x - r];
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
  j.work = malloc((size_t)threads * 3 * j.line * sizeof *j.work);
  if (!j.work) return dm_fail(ctx, DM_ERR_NOMEM, "box", "out of memory");
  dm_parallel(ctx, box_blocks, &j);
  free(j.work);
  return DM_OK;
}
