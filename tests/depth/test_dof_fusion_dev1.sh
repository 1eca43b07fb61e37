# dof-eval dev1 (cat at 1.2 m before a 5 m backdrop FastDepth cannot tell
# apart from it): the fused depth's best Depth Range band holds the true
# subject with IoU >= 0.93.
. "$(dirname "$0")/fusion_eval_lib.sh"
check_scene dev1_chelsea_1.2m_bg5m_lights 0.93
finish
