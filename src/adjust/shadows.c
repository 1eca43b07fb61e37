/* Shadows: lifts or deepens the dark part of the BASE layer by up to 1.5
 * stops at +-100, detail put back on top (no halos at strong edges).
 * Region: 0 above middle grey, 1 from -3 down to -5.5 stops, back to 0 at
 * -9 stops, so the black point itself (blacks' job) hardly moves. The
 * shift is clamped to [-2.1, +1.8] stops, where the curve stays monotonic
 * (the ramps' steepest slopes are 0.43 and 0.5). */
#include "adjust/adjust_op.h"

static const dm_adj_region region = {.rise0 = -9.0f, .rise1 = -5.5f, .fall0 = -3.0f, .fall1 = 0.0f};

static void span(const dm_adj_span *s, float value) {
  dm_adj_region_shift(s, value, 1.5f, -2.1f, 1.8f, &region, 1);
}

const dm_adj_op dm_adj_shadows = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_SHADOWS, "shadows", "Shadows", "LocalShadows2012",
                               "dark areas: positive opens them up, negative deepens; detail kept"),
    .domain = DM_ADJ_LOG,
    .needs = DM_ADJ_NEED_LARGE,
    .span = span,
};
