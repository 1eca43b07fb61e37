/* Highlights: moves the bright part of the BASE layer (edge-aware smooth
 * luminance) up or down by up to 1.5 stops at +-100, and puts the detail
 * back on top, so local contrast survives and strong edges get no halo.
 * Region: weight 0 below -1 stop (just under middle grey), rising to 1 at
 * +2 stops and staying there. The shift is clamped to -1.8 stops so the
 * tone curve stays monotonic (the ramp's steepest slope is 0.5). */
#include "adjust/adjust_op.h"

static const dm_adj_region region = {.rise0 = -1.0f, .rise1 = 2.0f};

static void span(const dm_adj_span *s, float value) {
  dm_adj_region_shift(s, value, 1.5f, -1.8f, 3.0f, &region, 1);
}

const dm_adj_op dm_adj_highlights = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_HIGHLIGHTS, "highlights", "Highlights", "LocalHighlights2012",
                               "bright areas: negative recovers them, positive brightens; detail kept"),
    .domain = DM_ADJ_LOG,
    .needs = DM_ADJ_NEED_LARGE,
    .span = span,
};
