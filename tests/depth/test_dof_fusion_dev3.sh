# dof-eval dev3: the cat stands on a ground plane running from 0.5 m to
# 15 m, through the subject's own depth: the fused band IoU >= 0.93.
. "$(dirname "$0")/fusion_eval_lib.sh"
check_scene dev3_chelsea_on_gravel_0.5to15m 0.93
finish
