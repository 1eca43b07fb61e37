#!/usr/bin/env bash
# Model loading (issue 18, item 1): `depthmask-onnx info MODEL` (load and
# validate the whole model, every weight converted) on ISNet (88 MB, float16
# weights) and FastDepth (5.8 MB, float32), warm page cache, whole processes,
# median wall time of 7 runs. Beside it in the same loop: `cat MODEL
# >/dev/null` (the disk's speed, the peer) and the loader before the mapped
# one (commit $DM_LOAD_OLD, default ce60a08, built once into
# /tmp/dm-bench-load-old-REV). ISNet is timed twice: runs back to back, and
# runs 2 s apart, as a user's single command is: on a VM whose host takes
# back free memory the first touch of fresh pages then costs more (see
# src/nn/load_pool.c).
#   bench/load.sh [BUILD]    (bench/run load)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OLD=${DM_LOAD_OLD:-ce60a08}
RUNS=7
MODELS=${DEPTHMASK_MODELS:-models}
NEW_BIN=$BUILD/depthmask-onnx
[ -x "$NEW_BIN" ] || { echo "load: $NEW_BIN is not built" >&2; exit 1; }

old_dir=/tmp/dm-bench-load-old-$OLD
OLD_BIN=$old_dir/build/depthmask-onnx
if [ ! -x "$OLD_BIN" ]; then
  echo "load: building depthmask-onnx at $OLD into $old_dir (once)"
  rm -rf "$old_dir" && mkdir -p "$old_dir"
  git archive "$OLD" | tar -x -C "$old_dir"
  cmake -S "$old_dir" -B "$old_dir/build" -DCMAKE_BUILD_TYPE=Release -DDM_TESTS=OFF >/dev/null
  cmake --build "$old_dir/build" -j"$(nproc)" --target depthmask_onnx >/dev/null
fi

# secs CMD...: wall seconds of one run (output discarded).
secs() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

row() { # row NAME FILE [SECONDS between runs]
  local name=$1 file=$2 gap=${3:-0} c=() o=() n=() i
  [ -f "$file" ] || { echo "  $name: SKIP ($file is absent; run ./setup.sh)"; return; }
  cat "$file" >/dev/null # warm the page cache
  "$NEW_BIN" info "$file" >/dev/null
  for ((i = 0; i < RUNS; i++)); do
    c+=("$(secs cat "$file")")
    sleep "$gap"
    o+=("$(secs "$OLD_BIN" info "$file")")
    sleep "$gap"
    n+=("$(secs "$NEW_BIN" info "$file")")
  done
  local mc mo mn
  mc=$(printf '%s\n' "${c[@]}" | median)
  mo=$(printf '%s\n' "${o[@]}" | median)
  mn=$(printf '%s\n' "${n[@]}" | median)
  printf '  %-16s %6s MB   cat %.3f s   old %.3f s   new %.3f s   new: %.1fx faster than old, %.1fx cat\n' \
    "$name" "$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')" "$mc" "$mo" "$mn" \
    "$(awk -v a="$mo" -v b="$mn" 'BEGIN { print a / b }')" "$(awk -v a="$mn" -v b="$mc" 'BEGIN { print a / b }')"
  printf '  %-16s runs: cat %s | old %s | new %s\n' "" "${c[*]}" "${o[*]}" "${n[*]}"
}

echo "load: depthmask-onnx info MODEL, warm page cache, median of $RUNS runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)); old = $OLD, new = $(git rev-parse --short HEAD)"
row ISNet "$MODELS/isnet_medium.onnx"
row "ISNet, 2 s apart" "$MODELS/isnet_medium.onnx" 2
row FastDepth "$MODELS/fastdepth_7.onnx"
"$NEW_BIN" info "$MODELS/isnet_medium.onnx" 2>/dev/null | grep '^weights:' | sed 's/^/  ISNet /' || true
