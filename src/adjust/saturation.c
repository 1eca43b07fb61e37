/* Saturation: scales chroma about each pixel's luminance,
 *   rgb' = Y + k (rgb - Y),  k = 1 + value/100 * w,  k >= 0,
 * so -100 gives grey of the same luminance and +100 doubles the distance
 * from grey. Luminance is preserved exactly (the weights sum to 1). When
 * k > 1 would push a non-negative channel below zero, k is limited for that
 * pixel to where the channel reaches 0 (hue and luminance stay put). */
#include "adjust/adjust_op.h"

static void span(const dm_adj_span *s, float value) {
  float unit = value / 100.0f;
  for (int i = 0; i < s->n; i++) {
    if (s->w[i] == 0.0f) continue;
    float *p = s->rgb + 3 * i;
    float y = dm_luma(p);
    float k = 1.0f + unit * s->w[i];
    if (k < 0.0f) k = 0.0f;
    if (k > 1.0f && y > 0.0f)
      for (int c = 0; c < 3; c++)
        if (p[c] >= 0.0f && p[c] < y) k = dm_adj_minf(k, y / (y - p[c]));
    for (int c = 0; c < 3; c++) {
      float v = y + k * (p[c] - y);
      p[c] = (p[c] >= 0.0f && v < 0.0f) ? 0.0f : v;
    }
  }
}

const dm_adj_op dm_adj_saturation = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_SATURATION, "saturation", "Saturation", "LocalSaturation",
                               "colour intensity: -100 is grey, positive more vivid"),
    .domain = DM_ADJ_RGB,
    .span = span,
};
