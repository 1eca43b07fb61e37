# Occlusion orders the automatic depth (src/depth/fuse_occlusion.c), on a
# tune scene (tests/data/dof-split.json): tune1, a dog at 0.9 m before a
# bright, busy graffiti wall at 1.4 m that FastDepth reads as nearer than
# the dog. With the rule, at least 97 % of the pixels truly behind the dog
# are behind it in the fused map and pixel pairs are ordered right at
# least 85 % of the time (ties wrong); without it (--no-occlusion), most
# of the wall is in front: the test fails if the rule is switched off.
. "$(dirname "$0")/fusion_eval_lib.sh"
S=tune1_dog0.9m_graffiti1.4m
field() { awk -v s="$1" -v k="$2" '$1 == "map" && $2 == s && $3 == "fused" { for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }' "$T/out.txt"; }
run_eval "$DM_SOURCE_DIR/tests/data/dof-tune/scenes/$S" >/dev/null
at_least "$(field $S behind)" 0.97 "$S: share of what lies behind the dog put behind it"
at_least "$(field $S strict)" 0.85 "$S: pixel pairs ordered right (ties wrong)"
run_eval --no-occlusion "$DM_SOURCE_DIR/tests/data/dof-tune/scenes/$S" >/dev/null
off=$(field $S behind)
if awk -v v="$off" 'BEGIN { exit !(v < 0.6) }'; then
  echo "ok: without the occlusion rule only $off of it is behind (the test needs the rule)"
else
  fail "without the occlusion rule $off is behind: the test does not depend on the rule"
fi
finish
