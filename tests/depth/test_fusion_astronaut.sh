# skimage's astronaut: the fused depth puts the subject nearer than the rest.
. "$(dirname "$0")/fusion_eval_lib.sh"
check_portrait /usr/lib/python3/dist-packages/skimage/data/astronaut.png
finish
