/* Blacks: moves the bottom end of the tone curve (the black point) by up
 * to 2 stops at +-100, a point curve on each pixel's luminance: weight 1
 * below -7.5 stops (~0.1 % of white), falling to 0 at -4 stops. Positive
 * lifts the blacks, negative crushes them; the lift is clamped at +2.1
 * stops so the curve stays monotonic. */
#include "adjust/adjust_op.h"

static const dm_adj_region region = {.fall0 = -7.5f, .fall1 = -4.0f};

static void span(const dm_adj_span *s, float value) {
  dm_adj_region_shift(s, value, 2.0f, -4.0f, 2.1f, &region, 0);
}

const dm_adj_op dm_adj_blacks = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_BLACKS, "blacks", "Blacks", "LocalBlacks2012",
                               "black point: positive lifts blacks, negative deepens them"),
    .domain = DM_ADJ_LOG,
    .span = span,
};
