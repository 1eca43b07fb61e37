/* Whites: moves the top end of the tone curve (the white point) by up to
 * 1 stop at +-100, a point curve on each pixel's luminance: weight 0 below
 * +0.5 stop, 1 from +3 stops up (display white, Y = 1, is +2.47 stops).
 * Clamped at -1.3 stops so the curve stays monotonic. */
#include "adjust/adjust_op.h"

static const dm_adj_region region = {.rise0 = 0.5f, .rise1 = 3.0f};

static void span(const dm_adj_span *s, float value) {
  dm_adj_region_shift(s, value, 1.0f, -1.3f, 2.0f, &region, 0);
}

const dm_adj_op dm_adj_whites = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_WHITES, "whites", "Whites", "LocalWhites2012",
                               "white point: positive brighter whites, negative duller"),
    .domain = DM_ADJ_LOG,
    .span = span,
};
