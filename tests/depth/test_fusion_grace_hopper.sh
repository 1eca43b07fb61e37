# matplotlib's grace_hopper: the fused depth puts the subject nearer than the rest.
. "$(dirname "$0")/fusion_eval_lib.sh"
check_portrait /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg
finish
