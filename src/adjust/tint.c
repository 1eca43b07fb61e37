/* Tint: green <-> magenta white-balance shift, luminance preserved.
 * +-100 moves the light's white Duv -+0.02 off the Planckian locus at
 * 5500 K (positive = magenta, as in Lightroom); see wb.c for the model. */
#include "adjust/adjust_op.h"

static dm_status prepare(dm_adj_run *run, dm_adjust_id id, float value) {
  return dm_adj_wb_prepare(run, id, value, 1);
}

const dm_adj_op dm_adj_tint = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_TINT, "tint", "Tint", "LocalTint",
                               "white balance: negative greener, positive more magenta"),
    .domain = DM_ADJ_RGB,
    .prepare = prepare,
    .release = dm_adj_wb_release,
    .span = dm_adj_wb_span,
};
