/* dof-eval scene dev3_chelsea_on_gravel_0.5to15m: band and whole-image PSNR above
 * gegl:lens-blur's (34.40 dB band, 28.26 dB whole: ../shared/dof-eval/README.md,
 * "Baselines"), with and without the matte. See dof_eval_scene.h. */
#include "dof_eval_scene.h"

int main(void) {
  static const scene_case sc = {"dev3_chelsea_on_gravel_0.5to15m", 28.26, 34.40};
  return run_dof_scene(&sc, "blur/dof_dev3");
}
