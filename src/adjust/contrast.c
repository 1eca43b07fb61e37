/* Contrast: an S-curve on log-luminance pivoting at middle grey (0.18),
 *   lum' = lum + k * S * s(lum / S),  S = 2.5 stops, k = 0.5 * value/100 * w,
 * s(u) = u (27 + u^2) / (27 + 9 u^2) for |u| <= 3, +-1 beyond: tanh's Pade
 * approximant, which meets +-1 with zero slope at u = +-3, so the shift
 * levels off at +-k*S stops 7.5 stops from grey (the toe and shoulder).
 * The slope at grey is 1 + k and never below 1 + min(k, 0), so k >= -0.9
 * keeps the curve monotonic.
 * Applied to luminance only (RGB keeps its ratios, so hue is unchanged). */
#include "adjust/adjust_op.h"

#define SPREAD 2.5f
#define GAIN 0.5f

static inline float curve(float x, float k) {
  float u = dm_adj_clampf(x * (1.0f / SPREAD), -3.0f, 3.0f);
  return x + k * SPREAD * u * (27.0f + u * u) / (27.0f + 9.0f * u * u);
}

static void span(const dm_adj_span *s, float value) {
  float unit = GAIN * value / 100.0f;
  float *bl = s->base[DM_ADJ_LARGE], *bs = s->base[DM_ADJ_SMALL];
  for (int i = 0; i < s->n; i++) {
    float k = dm_adj_clampf(unit * s->w[i], -0.9f, 2.0f);
    s->lum[i] = curve(s->lum[i], k);
    if (bl) bl[i] = curve(bl[i], k);
    if (bs) bs[i] = curve(bs[i], k);
  }
}

const dm_adj_op dm_adj_contrast = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_CONTRAST, "contrast", "Contrast", "LocalContrast2012",
                               "S-curve around middle grey: positive more contrast"),
    .domain = DM_ADJ_LOG,
    .span = span,
};
