/* The depth-range eyedropper.
 *
 * value: the median of d = 100 near01 over the box of half-size r around
 * the click (clipped to the image; NaN ignored).
 *
 * Suggested [min, max], the depth band of the surface under the click:
 *  - a histogram of d in a wider window around the click (half-size
 *    max(4 r, long side / 10)), bins of 0.25 units, smoothed [1 2 1] / 4;
 *  - from the bin of `value`, climb to the local peak within 1 unit, then
 *    widen each side while the bins hold at least 10% of that peak: the
 *    lobe of the connected surface (a person is one lobe; the wall behind
 *    is another, separated by a gap where the histogram drops);
 *  - the band is the union of that lobe and value +- 3 sigma, sigma =
 *    1.4826 MAD of the box (the spread under the click itself), and at
 *    least value +- 0.5 units. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mask/mask.h"

#define BINS 400 /* 0.25 depth units each */

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

static float median_of(float *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_float);
  return n % 2 ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]);
}

static int bin_of(float d) {
  int b = (int)(d * (BINS / 100.0f));
  return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}

dm_status dm_mask_depth_sample(dm_context *ctx, const dm_image *depth, int x, int y, int r,
                               float *value, float range[2]) {
  if (!depth || !depth->data || depth->channels != 1)
    return dm_fail(ctx, DM_ERR_PARAM, "depth sample", "needs a depth map");
  if (x < 0 || y < 0 || x >= depth->width || y >= depth->height)
    return dm_fail(ctx, DM_ERR_RANGE, "depth sample", "point %d,%d is outside the %dx%d image", x,
                   y, depth->width, depth->height);
  if (r < 0) r = 0;
  const int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= depth->width ? depth->width - 1 : x + r;
  const int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= depth->height ? depth->height - 1 : y + r;
  float *v = malloc((size_t)(x1 - x0 + 1) * (size_t)(y1 - y0 + 1) * sizeof *v);
  if (!v) return dm_fail(ctx, DM_ERR_NOMEM, "depth sample", "out of memory");
  size_t n = 0;
  for (int j = y0; j <= y1; j++)
    for (int i = x0; i <= x1; i++) {
      float d = dm_px(depth, i, j)[0];
      if (d == d) v[n++] = 100.0f * (d < 0 ? 0 : d > 1 ? 1 : d);
    }
  if (!n) {
    free(v);
    return dm_fail(ctx, DM_ERR_RANGE, "depth sample", "no depth at %d,%d", x, y);
  }
  const float med = median_of(v, n);
  for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i] - med);
  const float sigma = 1.4826f * median_of(v, n);
  free(v);

  const int side = depth->width > depth->height ? depth->width : depth->height;
  int hw = side / 10 > 4 * r ? side / 10 : 4 * r;
  double hist[BINS] = {0}, sm[BINS];
  for (int j = y - hw; j <= y + hw; j++) {
    if (j < 0 || j >= depth->height) continue;
    const float *row = dm_row(depth, j);
    for (int i = x - hw < 0 ? 0 : x - hw; i <= x + hw && i < depth->width; i++)
      if (row[i] == row[i]) hist[bin_of(100.0f * row[i])] += 1;
  }
  for (int b = 0; b < BINS; b++)
    sm[b] = (2 * hist[b] + hist[b > 0 ? b - 1 : b] + hist[b < BINS - 1 ? b + 1 : b]) / 4;
  int peak = bin_of(med);
  for (int b = peak - 2; b <= peak + 2; b++)
    if (b >= 0 && b < BINS && sm[b] > sm[peak]) peak = b;
  const double floor_count = 0.1 * sm[peak];
  int lo = peak, hi = peak;
  while (lo > 0 && sm[lo - 1] >= floor_count) lo--;
  while (hi < BINS - 1 && sm[hi + 1] >= floor_count) hi++;
  float rlo = lo * (100.0f / BINS), rhi = (hi + 1) * (100.0f / BINS);
  const float spread = fmaxf(3.0f * sigma, 0.25f);
  if (med - spread < rlo) rlo = med - spread;
  if (med + spread > rhi) rhi = med + spread;
  *value = med;
  range[0] = rlo < 0 ? 0 : rlo;
  range[1] = rhi > 100 ? 100 : rhi;
  return DM_OK;
}
