/* Quality bar, true depth: on every dof-eval scene, from depth16.png, a
 * depth range chosen by the eyedropper on the subject has IoU >= 0.95
 * against mask_gt >= 0.5, and the edge refinement lowers the mean alpha
 * error in the 12-px edge band (mask_dof.h says how each is measured). */
#include "mask_dof.h"

static const char *const scenes[] = {"dev1_chelsea_1.2m_bg5m_lights",
                                     "dev2_chelsea_2.5m_fg1m_bg12m",
                                     "dev3_chelsea_on_gravel_0.5to15m"};

int main(void) {
  dm_context *ctx = dm_context_new(2);
  for (int i = 0; i < 3; i++) {
    dof_scene s;
    dof_load(ctx, scenes[i], 0, &s);
    dof_score sc = dof_run(ctx, scenes[i], &s, 0);
    CHECK(sc.iou >= 0.95);
    CHECK(sc.band_refined < sc.band_raw);
    dof_free(&s);
  }
  dm_context_free(ctx);
  return dm_test_done("mask/mask_dof");
}
