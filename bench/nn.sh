#!/usr/bin/env bash
# Network inference speed and memory: build/depthmask-onnx against
# onnxruntime-node (tools/ort/run.mjs), both on the CPU with 2 threads, one
# warm-up run then REPEAT (7) timed runs (median; FastDepth, ~10 ms a run,
# REPEAT_SMALL (101): seven of them swung its ratio from 0.75 to 1.98
# between two runs minutes apart), peak RSS from /usr/bin/time -v:
#   isnet-medium 1024x1024, fastdepth 224x224, DA-V2-S 518x518 (real graph,
#   seeded random weights: the speed does not depend on the values).
# Needs ./setup.sh (models/, tools/ort/node_modules).
#   bench/nn.sh [BUILD_DIR]        (default build/, Release)
# NN_OLD=PATH/depthmask-onnx adds its time as a first column (bench/speed.sh:
# the build of the commit before, in the same run).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PY=/usr/bin/python3
MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
THREADS=2
REPEAT=${REPEAT:-7}
REPEAT_SMALL=${REPEAT_SMALL:-101}
W=$BUILD/bench-nn
ASTRONAUT=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
HOPPER=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg

cmake -S "$ROOT" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 --target depthmask_onnx >/dev/null
[ -d "$ROOT/tools/ort/node_modules/onnxruntime-node" ] ||
  { echo "nn.sh: onnxruntime-node is not installed (run ./setup.sh)" >&2; exit 1; }
mkdir -p "$W"

# timed LOG CMD...: run under /usr/bin/time -v; prints "MEDIAN_MS RSS_MB" or "FAILED -".
timed() {
  local log=$1
  shift
  if /usr/bin/time -v "$@" >"$log" 2>"$log.time"; then
    local ms kb
    ms=$(awk '/^median:/ {print $2}' "$log")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log.time")
    echo "$ms $((kb / 1024))"
  else
    echo "FAILED -"
  fi
}

failed=0
row() { # NAME MODEL PHOTO SIZE NORM INPUT OUTPUT REPEATS
  local name=$1 model=$2 photo=$3 size=$4 norm=$5 input=$6 output=$7 repeat=$8
  if [ ! -f "$model" ]; then
    printf '%-24s %s\n' "$name" "SKIP: $model is absent (run ./setup.sh)"
    return
  fi
  "$PY" "$ROOT/tools/nn/make_input.py" "$photo" "$W/$name.in.npy" --size "$size" "$size" --norm "$norm"
  local args=(run "$model" --in "$input=$W/$name.in.npy" --out "$output=$W/$name.out.npy"
    --threads "$THREADS" --repeat "$repeat")
  local dm_ms dm_mb ort_ms ort_mb old_ms old_mb old=""
  if [ -n "${NN_OLD:-}" ]; then
    read -r old_ms old_mb <<<"$(timed "$W/$name.old.log" "$NN_OLD" "${args[@]}")"
    old=$(printf '%12s ' "$old_ms")
  fi
  read -r dm_ms dm_mb <<<"$(timed "$W/$name.dm.log" "$BUILD/depthmask-onnx" "${args[@]}")"
  read -r ort_ms ort_mb <<<"$(timed "$W/$name.ort.log" node "$ROOT/tools/ort/run.mjs" "${args[@]}")"
  local ratio=-
  if [ "$dm_ms" != FAILED ] && [ "$ort_ms" != FAILED ]; then
    ratio=$(awk -v a="$dm_ms" -v b="$ort_ms" 'BEGIN {printf "%.2f", a / b}')
  else
    failed=1
    [ "$dm_ms" = FAILED ] && echo "nn.sh: depthmask-onnx failed on $name: $(tail -n 3 "$W/$name.dm.log.time")" >&2
    [ "$ort_ms" = FAILED ] && echo "nn.sh: onnxruntime-node failed on $name: $(tail -n 3 "$W/$name.ort.log.time")" >&2
  fi
  printf '%-24s %s%14s %12s %8s %10s %10s\n' "$name ${size}x$size" "$old" "$dm_ms" "$ort_ms" "$ratio" "$dm_mb" "$ort_mb"
}

echo "nn: $THREADS threads, 1 warm-up + $REPEAT timed runs ($REPEAT_SMALL for FastDepth) (median), peak RSS in MB"
printf '%-24s %s%14s %12s %8s %10s %10s\n' model "${NN_OLD:+$(printf '%12s ' "old dm ms")}" "depthmask ms" "ort ms" \
  "dm/ort" "dm RSS" "ort RSS"
row isnet-medium "$MODELS/isnet_medium.onnx" "$ASTRONAUT" 1024 isnet input output "$REPEAT"
row fastdepth "$MODELS/fastdepth_7.onnx" "$HOPPER" 224 fastdepth 0 350 "$REPEAT_SMALL"
"$PY" "$ROOT/tools/nn/fill_da2s.py" "$ROOT/../shared/models/da2s_graph.onnx" "$W" --seed 1 >/dev/null
row da-v2-small-random "$W/da2s_random.onnx" "$ASTRONAUT" 518 imagenet pixel_values predicted_depth "$REPEAT"
node_mb=$(/usr/bin/time -f %M node -e 0 2>&1 >/dev/null | tail -n 1)
echo "(ort RSS includes Node.js itself: $((node_mb / 1024)) MB for an empty script)"
exit "$failed"
