/* Exposure: linear gain 2^(EV x w), the same on every channel. In the LOG
 * domain that is adding EV x w stops to luminance and to the bases. */
#include "adjust/adjust_op.h"

static void span(const dm_adj_span *s, float ev) {
  float *bl = s->base[DM_ADJ_LARGE], *bs = s->base[DM_ADJ_SMALL];
  for (int i = 0; i < s->n; i++) {
    float d = ev * s->w[i];
    s->lum[i] += d;
    if (bl) bl[i] += d;
    if (bs) bs[i] += d;
  }
}

const dm_adj_op dm_adj_exposure = {
    .param = {.key = "exposure", .label = "Exposure", .type = DM_PARAM_FLOAT, .count = 1,
              .offset = offsetof(dm_adjust_values, v) + DM_ADJ_EXPOSURE * sizeof(float),
              .def = 0.0f, .min = -4.0f, .max = 4.0f, .ui_min = -4.0f, .ui_max = 4.0f,
              .xmp_name = "LocalExposure2012", .xmp_scale = 0.25f,
              .doc = "brightness in stops (EV): +1 doubles the light"},
    .domain = DM_ADJ_LOG,
    .span = span,
};
