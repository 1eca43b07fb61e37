# dof-eval dev2 with its photo softened (--soften: about a 0.5 px blur, so
# weaker fine texture and a smaller defocus/texture-scale ratio between the
# card and the cat, 2.78 instead of 3.34): the matte must still be split
# into card and cat (band IoU >= 0.80; the matte alone gives about 0.6).
. "$(dirname "$0")/fusion_eval_lib.sh"
S=dev2_chelsea_2.5m_fg1m_bg12m
run_eval --soften "$SCENES/$S"
at_least "$(iou ${S}_soft true_depth)" 0.99 "${S}_soft true depth band IoU (the scorer)"
at_least "$(iou ${S}_soft fused)" 0.80 "${S}_soft fused band IoU"
finish
