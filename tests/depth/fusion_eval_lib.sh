# Shared by the test_dof_fusion_*.sh and test_fusion_*.sh tests (sourced,
# not run): they score dm_depth_fuse with depthmask-depth-eval
# (tools/depth/eval_dof.c), one photo per test so each stays well under a
# minute under the sanitizers (ISNet at 1024 x 1024 dominates).
set -u
FAILS=0
EVAL="${DM_BUILD_DIR:?}/depthmask-depth-eval"
SCENES="${DM_SOURCE_DIR:?}/../shared/dof-eval/scenes"
T="${DM_BUILD_DIR}/test-tmp/$(basename "$0" .sh)"
rm -rf "$T" && mkdir -p "$T"

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
finish() {
  [ "$FAILS" -eq 0 ] && echo "all passed" || echo "$FAILS failure(s)"
  exit $((FAILS > 0))
}

# run_eval ARGS...: depthmask-depth-eval ARGS, output in $T/out.txt
run_eval() {
  [ -x "$EVAL" ] || { echo "FAIL: $EVAL not built (target depthmask_depth_eval)" >&2; exit 1; }
  if ! "$EVAL" --threads 2 --out "$T" "$@" >"$T/out.txt" 2>"$T/err.txt"; then
    cat "$T/err.txt" >&2
    fail "depthmask-depth-eval $* failed"
  fi
  cat "$T/out.txt"
}

# iou SCENE MAP: the band IoU printed for that map
iou() { awk -v s="$1" -v m="$2" '$1 == "map" && $2 == s && $3 == m { print $7 }' "$T/out.txt"; }

# at_least VALUE MIN WHAT
at_least() {
  if [ -z "$1" ] || ! awk -v v="$1" -v t="$2" 'BEGIN { exit !(v >= t) }'; then
    fail "$3: '$1' < $2"
  else
    echo "ok: $3: $1 >= $2"
  fi
}

# check_scene SCENE MIN_IOU: the scorer is sane (true depth >= 0.99), the
# PNGs are written and the fused map's best band reaches MIN_IOU.
check_scene() {
  run_eval "$SCENES/$1"
  at_least "$(iou "$1" true_depth)" 0.99 "$1 true depth band IoU (the scorer)"
  [ -s "$T/$1_fused.png" ] && [ -s "$T/$1_confidence.png" ] || fail "$1: no PNGs written"
  at_least "$(iou "$1" fused)" "$2" "$1 fused band IoU"
}

# check_portrait PHOTO: the subject (matte >= 0.5) is nearer on average
# than the rest, by a clear margin (0.1 in near01), and kept whole: at least
# 90 % of it within 0.1 of its median (no part of the person is split off
# into another depth layer).
check_portrait() {
  [ -f "$1" ] || { fail "$1 missing"; return; }
  run_eval --portrait "$1"
  local b line
  b=$(basename "$1")
  line=$(awk -v b="$b" '$1 == "portrait" && $2 == b' "$T/out.txt")
  if [ -z "$line" ]; then
    fail "$b: no result"
  elif echo "$line" | awk '{ exit !($4 + 0.1 < $6) }'; then
    echo "ok: $b: subject nearer ($line)"
  else
    fail "$b: subject not clearly nearer than the rest ($line)"
  fi
  [ -n "$line" ] && at_least "$(echo "$line" | awk '{ print $8 }')" 0.9 "$b: subject kept whole"
}
