/* Box means (window 2r+1 clipped to the image) of several per-pixel
 * quantities at once, by running sums, without storing the quantities as
 * planes: the caller produces each row of quantities on demand and
 * receives each row of means. Cost is O(1) per pixel whatever the radius.
 *
 * Rows are processed in fixed blocks, each restarting its column sums, so
 * the result does not depend on the number of threads. Sums are in double:
 * the guided filter takes variances as E[I^2] - E[I]^2 from these means. */
#ifndef DM_BOX_H
#define DM_BOX_H

#include "core/image.h"

/* Quantities a pixel, at most. */
#define DM_BOX_MAX_K 16

/* Doubles a pixel takes in a row: its k quantities side by side, padded
 * to a multiple of 4 (the running sums advance four at a time). */
static inline int dm_box_stride(int k) { return (k + 3) & ~3; }

typedef struct dm_box_stream {
  int width, height;
  int k;      /* quantities per pixel, 1 .. DM_BOX_MAX_K */
  int radius; /* window 2r+1 along each axis, clipped at the borders */
  /* Write quantity q of pixel x of row y to vals[x * dm_box_stride(k) + q]
   * (the padding after the k is left alone). Called from several threads
   * at once, for any row, possibly more than once per row. */
  void (*row_in)(void *user, int y, double *vals);
  /* Receive the means of row y, mean[x * dm_box_stride(k) + q]; called
   * once per row. */
  void (*row_out)(void *user, int y, const double *mean);
  void *user;
} dm_box_stream;

dm_status dm_box_means(dm_context *ctx, const dm_box_stream *b);

/* Tests: non-zero takes the portable running sums even where AVX2 is
 * there (the two give the same bits); not for use while a box runs. */
void dm_box_portable_only(int on);

#endif
