# opencv-doc's messi5 (a footballer before a blurred crowd, on grass that
# runs towards the camera): the fused depth puts the subject nearer.
. "$(dirname "$0")/fusion_eval_lib.sh"
check_portrait "$(find /usr/share/doc/opencv-doc -name messi5.jpg 2>/dev/null | head -n 1)"
finish
