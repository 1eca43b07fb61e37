/* Temperature: blue <-> yellow white-balance shift, luminance preserved.
 * +100 re-balances as if the light were 70 mired warmer than 5500 K
 * (~3970 K), -100 70 mired cooler (~8940 K); see wb.c for the model. */
#include "adjust/adjust_op.h"

static dm_status prepare(dm_adj_run *run, dm_adjust_id id, float value) {
  return dm_adj_wb_prepare(run, id, value, 0);
}

const dm_adj_op dm_adj_temperature = {
    .param = DM_ADJ_SLIDER_100(DM_ADJ_TEMPERATURE, "temperature", "Temp", "LocalTemperature",
                               "white balance: negative cooler (blue), positive warmer (yellow)"),
    .domain = DM_ADJ_RGB,
    .prepare = prepare,
    .release = dm_adj_wb_release,
    .span = dm_adj_wb_span,
};
