/* Clarity: scales mid-frequency local contrast, the luminance above the
 * LARGE edge-aware base (radius ~1.5 % of the diagonal), weighted towards
 * the midtones:
 *   lum' = lum + k * m(base) * (lum - base),  k = 0.8 * value/100 * w (>= -1),
 *   m = 1 from -4 to +1.5 stops, 0 below -8 and above +4 stops.
 * The base follows strong edges, so the detail there is ~0: no halos. */
#include "adjust/adjust_op.h"

#define GAIN 0.8f

static const dm_adj_region midtones = {.rise0 = -8.0f, .rise1 = -4.0f, .fall0 = 1.5f, .fall1 = 4.0f};

static void span(const dm_adj_span *s, float value) {
  float unit = GAIN * value / 100.0f;
  const float *bl = s->base[DM_ADJ_LARGE];
  dm_adj_region_k mid = dm_adj_region_prep(&midtones);
  for (int i = 0; i < s->n; i++) {
    float k = unit * s->w[i];
    if (k < -1.0f) k = -1.0f;
    s->lum[i] += k * dm_adj_region_eval(&mid, bl[i]) * (s->lum[i] - bl[i]);
  }
}

const dm_adj_op dm_adj_clarity = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_CLARITY, "clarity", "Clarity", "LocalClarity2012",
                               "midtone local contrast: positive punchier, negative softer"),
    .domain = DM_ADJ_LOG,
    .needs = DM_ADJ_NEED_LARGE,
    .span = span,
};
