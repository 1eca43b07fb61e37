/* dof-eval scene dev2_chelsea_2.5m_fg1m_bg12m: band and whole-image PSNR above
 * gegl:lens-blur's (28.04 dB band, 34.75 dB whole: ../shared/dof-eval/README.md,
 * "Baselines"), with and without the matte. See dof_eval_scene.h. */
#include "dof_eval_scene.h"

int main(void) {
  static const scene_case sc = {"dev2_chelsea_2.5m_fg1m_bg12m", 34.75, 28.04};
  return run_dof_scene(&sc, "blur/dof_dev2");
}
