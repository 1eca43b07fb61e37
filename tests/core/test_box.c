/* core/box: the streaming box means against each window's mean summed
 * directly, for 1 to 16 quantities a pixel (every padding of the pixel's
 * stride), radii from 0 to past the image's sides, one row or column, on
 * one thread and on three; the means do not depend on the thread count,
 * nor on whether the running sums take AVX2 or the portable loop (the
 * same bits). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/box.h"
#include "dm_test.h"

typedef struct {
  int w, h, k;
  double *mean; /* h rows of w * stride */
} shape;

/* Quantity q of pixel (x, y): smooth plus a hash, so a wrong column or
 * row in a window shows. */
static double value(int q, int x, int y) {
  unsigned u = (unsigned)x * 73856093u ^ (unsigned)y * 19349663u ^ (unsigned)q * 83492791u;
  u ^= u >> 13, u *= 0x5bd1e995u, u ^= u >> 15;
  return sin(0.3 * x + 0.7 * y + q) + (double)(u & 0xffff) / 65536.0 + q;
}

static void row_in(void *user, int y, double *vals) {
  const shape *s = user;
  const int S = dm_box_stride(s->k);
  for (int x = 0; x < s->w; x++)
    for (int q = 0; q < s->k; q++) vals[(size_t)x * S + q] = value(q, x, y);
}

static void row_out(void *user, int y, const double *mean) {
  const shape *s = user;
  const size_t n = (size_t)s->w * dm_box_stride(s->k);
  memcpy(s->mean + (size_t)y * n, mean, n * sizeof(double));
}

/* The means of shape (w, h, k, r) on `threads` threads, or NULL. */
static double *means(int w, int h, int k, int r, int threads) {
  shape s = {w, h, k, malloc(sizeof(double) * (size_t)w * h * dm_box_stride(k))};
  dm_context *ctx = dm_context_new(threads);
  dm_box_stream b = {.width = w, .height = h, .k = k, .radius = r, .row_in = row_in, .row_out = row_out,
                     .user = &s};
  if (!s.mean || !ctx || dm_box_means(ctx, &b) != DM_OK) {
    free(s.mean);
    s.mean = NULL;
  }
  dm_context_free(ctx);
  return s.mean;
}

/* Largest difference to each clipped window's mean, from a summed-area
 * table in long double (exact enough: sums under 1e5, 64-bit mantissa). */
static double max_error(const double *m, int w, int h, int k, int r) {
  const int S = dm_box_stride(k);
  long double *P = calloc((size_t)(w + 1) * (h + 1), sizeof *P);
  double worst = P ? 0 : INFINITY;
  for (int q = 0; P && q < k; q++) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        P[(size_t)(y + 1) * (w + 1) + x + 1] = value(q, x, y) + P[(size_t)y * (w + 1) + x + 1] +
                                               P[(size_t)(y + 1) * (w + 1) + x] - P[(size_t)y * (w + 1) + x];
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        const int xa = x - r < 0 ? 0 : x - r, xb = x + r + 1 > w ? w : x + r + 1;
        const int ya = y - r < 0 ? 0 : y - r, yb = y + r + 1 > h ? h : y + r + 1;
        const long double sum = P[(size_t)yb * (w + 1) + xb] - P[(size_t)ya * (w + 1) + xb] -
                                P[(size_t)yb * (w + 1) + xa] + P[(size_t)ya * (w + 1) + xa];
        const double e = fabs(m[((size_t)y * w + x) * S + q] - (double)(sum / ((xb - xa) * (yb - ya))));
        if (e > worst) worst = e;
      }
  }
  free(P);
  return worst;
}

static void check_shape(int w, int h, int k, int r) {
  double *one = means(w, h, k, r, 1), *three = means(w, h, k, r, 3);
  dm_box_portable_only(1);
  double *portable = means(w, h, k, r, 3);
  dm_box_portable_only(0);
  CHECK(one && three && portable);
  if (one && three && portable) {
    const double e = max_error(one, w, h, k, r);
    if (e > 1e-9) fprintf(stderr, "%dx%d k %d r %d: off by %g\n", w, h, k, r, e);
    CHECK(e <= 1e-9);
    /* quantities only: the padding after them holds nothing */
    int same = 1;
    const int S = dm_box_stride(k);
    for (size_t i = 0; i < (size_t)w * h; i++)
      same &= !memcmp(one + i * S, three + i * S, sizeof(double) * k) &&
              !memcmp(one + i * S, portable + i * S, sizeof(double) * k);
    CHECK(same);
  }
  free(one), free(three), free(portable);
}

int main(void) {
  for (int k = 1; k <= DM_BOX_MAX_K; k++) check_shape(37, 29, k, 3);
  const int radii[] = {0, 1, 2, 5, 18, 36, 60};
  for (size_t i = 0; i < sizeof radii / sizeof *radii; i++) {
    check_shape(37, 150, 13, radii[i]); /* several blocks of rows, r past the width */
    check_shape(1, 40, 4, radii[i]);
    check_shape(40, 1, 5, radii[i]);
  }
  /* refused: no quantities, too many, a negative radius */
  dm_context *ctx = dm_context_new(1);
  shape s = {4, 4, 0, NULL};
  dm_box_stream b = {.width = 4, .height = 4, .k = 0, .radius = 1, .row_in = row_in, .row_out = row_out,
                     .user = &s};
  CHECK(dm_box_means(ctx, &b) != DM_OK);
  b.k = DM_BOX_MAX_K + 1;
  CHECK(dm_box_means(ctx, &b) != DM_OK);
  b.k = 2, b.radius = -1;
  CHECK(dm_box_means(ctx, &b) != DM_OK);
  dm_context_free(ctx);
  return dm_test_done("core/box");
}
