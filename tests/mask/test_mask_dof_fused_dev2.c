/* Quality bar, fused network depth (no depth file) on dof-eval dev2: a
 * depth range chosen by the eyedropper on the subject, alone and
 * intersected with Subject, has IoU >= 0.80 against mask_gt >= 0.5 each
 * time; the edge-band errors of the refined and raw masks are printed.
 * The out-of-focus foreground card fools the matte here; only depth
 * separates it.
 * Depth and matte come from dm_scene_build with a cache kept in the build
 * tree, so only the first run pays for the networks. */
#include "mask_dof.h"

int main(void) {
  dm_context *ctx = dm_context_new(2);
  dof_scene s;
  dof_load(ctx, "dev2_chelsea_2.5m_fg1m_bg12m", 1, &s);
  dof_score alone = dof_run(ctx, "dev2", &s, 0);
  dof_score sc = dof_run(ctx, "dev2", &s, 1);
  CHECK(alone.iou >= 0.80);
  CHECK(sc.iou >= 0.80);
  dof_free(&s);
  dm_context_free(ctx);
  return dm_test_done("mask/mask_dof_fused_dev2");
}
