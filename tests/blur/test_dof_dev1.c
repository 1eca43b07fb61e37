/* dof-eval scene dev1_chelsea_1.2m_bg5m_lights: band and whole-image PSNR above
 * gegl:lens-blur's (28.93 dB band, 33.62 dB whole: ../shared/dof-eval/README.md,
 * "Baselines"), with and without the matte. See dof_eval_scene.h. */
#include "dof_eval_scene.h"

int main(void) {
  static const scene_case sc = {"dev1_chelsea_1.2m_bg5m_lights", 33.62, 28.93};
  return run_dof_scene(&sc, "blur/dof_dev1");
}
