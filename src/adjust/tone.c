/* Shared tone-curve kernels of the LOG-domain ops. */
#include "adjust/adjust_op.h"

void dm_adj_region_shift(const dm_adj_span *s, float value, float stops, float lo, float hi,
                         const dm_adj_region *region, int by_base) {
  float unit = value / 100.0f * stops;
  float *lum = s->lum, *bl = s->base[DM_ADJ_LARGE], *bs = s->base[DM_ADJ_SMALL];
  dm_adj_region_k rk = dm_adj_region_prep(region);
  float a[DM_ADJ_SPAN];
  for (int i = 0; i < s->n; i++) a[i] = dm_adj_clampf(unit * s->w[i], lo, hi);
  if (by_base && bl) {
    /* Judge the region on the smooth base and move pixel and bases by the
     * same amount: the detail (lum - base) is kept as it was. */
    for (int i = 0; i < s->n; i++) a[i] *= dm_adj_region_eval(&rk, bl[i]);
    for (int i = 0; i < s->n; i++) {
      lum[i] += a[i];
      bl[i] += a[i];
    }
    if (bs)
      for (int i = 0; i < s->n; i++) bs[i] += a[i];
    return;
  }
  /* A point curve: on the pixel, and on the bases to keep them in step. */
  for (int i = 0; i < s->n; i++) lum[i] += a[i] * dm_adj_region_eval(&rk, lum[i]);
  if (bl)
    for (int i = 0; i < s->n; i++) bl[i] += a[i] * dm_adj_region_eval(&rk, bl[i]);
  if (bs)
    for (int i = 0; i < s->n; i++) bs[i] += a[i] * dm_adj_region_eval(&rk, bs[i]);
}
