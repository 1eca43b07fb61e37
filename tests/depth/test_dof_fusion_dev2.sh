# dof-eval dev2: a foreground card at 1.0 m covers the cat's (2.5 m) lower
# right; the ISNet matte takes card + cat for the subject. The fused depth
# must split them: band IoU >= 0.80 and at least 0.2 above the matte alone.
. "$(dirname "$0")/fusion_eval_lib.sh"
S=dev2_chelsea_2.5m_fg1m_bg12m
check_scene $S 0.80
m=$(iou $S isnet_matte)
at_least "$(iou $S fused)" "$(awk -v m="${m:-1}" 'BEGIN { print m + 0.2 }')" "$S fused beats the matte alone ($m) by 0.2"
finish
