/* Texture: scales fine detail, the luminance above the SMALL base (radius
 * ~0.3 % of the diagonal: pores, fabric, bark):
 *   lum' = lum + k * act * (lum - base_small),  k = value/100 * w (>= -1),
 * where act ~ var / (var + 0.05^2) is the local activity at that scale
 * (var, the local variance in stops^2, read back from the guided filter's
 * coefficient a = var / (var + eps)), near 0 in flat areas whose variation
 * is mostly noise, so those are spared (as Lightroom's Texture does).
 * -100 removes the fine detail (smooths skin) where act is 1. */
#include "adjust/adjust_op.h"

static void span(const dm_adj_span *s, float value) {
  float unit = value / 100.0f;
  const float *bs = s->base[DM_ADJ_SMALL], *act = s->act;
  for (int i = 0; i < s->n; i++) {
    float k = unit * s->w[i];
    if (k < -1.0f) k = -1.0f;
    s->lum[i] += k * act[i] * (s->lum[i] - bs[i]);
  }
}

const dm_adj_op dm_adj_texture = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_TEXTURE, "texture", "Texture", "LocalTexture",
                               "fine detail: positive crisper texture, negative smoother skin"),
    .domain = DM_ADJ_LOG,
    .needs = DM_ADJ_NEED_SMALL,
    .span = span,
};
