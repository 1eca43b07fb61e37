#!/usr/bin/env bash
# Network inference speed and memory: build/depthmask-onnx against
# onnxruntime-node (tools/ort/run.mjs), both on the CPU with 2 threads, peak
# RSS from /usr/bin/time -v. The runtimes take turns: CYCLES (5) rounds of
# one process each (old, new, onnxruntime), each one warm-up run then REPEAT
# (3) timed runs; a row gives the median of the rounds' medians, and dm/ort
# the median of the rounds' own ratios (a paired comparison). On our
# shared hosts the same binary's median of 201 FastDepth runs went from 7.8
# to 14.2 ms between two runs a minute apart (2026-12-07), so one long block
# per runtime measured the host's phases as much as the code. FastDepth
# (~10 ms a run) takes REPEAT_SMALL (21) runs over CYCLES_SMALL (15) rounds.
# Networks:
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
REPEAT=${REPEAT:-3}
REPEAT_SMALL=${REPEAT_SMALL:-21}
CYCLES=${CYCLES:-5}
CYCLES_SMALL=${CYCLES_SMALL:-15}
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
# median of the numbers on stdin, or FAILED when one is
median() {
  sort -n | awk '$1 == "FAILED" {f = 1} {v[++n] = $1} END {if (f || !n) print "FAILED"; else print v[int((n + 1) / 2)]}'
}

# cycle TAG LOG CMD...: one round of a runtime: appends its median to
# $W/TAG.ms and its peak RSS (MB) to $W/TAG.mb
cycle() {
  local tag=$1 log=$2 ms mb
  shift 2
  read -r ms mb <<<"$(timed "$log" "$@")"
  echo "$ms" >>"$W/$tag.ms"
  echo "$mb" >>"$W/$tag.mb"
}

row() { # NAME MODEL PHOTO SIZE NORM INPUT OUTPUT REPEATS CYCLES
  local name=$1 model=$2 photo=$3 size=$4 norm=$5 input=$6 output=$7 repeat=$8 cycles=$9
  if [ ! -f "$model" ]; then
    printf '%-24s %s\n' "$name" "SKIP: $model is absent (run ./setup.sh)"
    return
  fi
  "$PY" "$ROOT/tools/nn/make_input.py" "$photo" "$W/$name.in.npy" --size "$size" "$size" --norm "$norm"
  local args=(run "$model" --in "$input=$W/$name.in.npy" --out "$output=$W/$name.out.npy"
    --threads "$THREADS" --repeat "$repeat")
  rm -f "$W/$name".{old,dm,ort}.{ms,mb}
  local i
  for ((i = 0; i < cycles; i++)); do
    [ -z "${NN_OLD:-}" ] || cycle "$name.old" "$W/$name.old.log" "$NN_OLD" "${args[@]}"
    cycle "$name.dm" "$W/$name.dm.log" "$BUILD/depthmask-onnx" "${args[@]}"
    cycle "$name.ort" "$W/$name.ort.log" node "$ROOT/tools/ort/run.mjs" "${args[@]}"
  done
  local dm_ms dm_mb ort_ms ort_mb old_ms old=""
  dm_ms=$(median <"$W/$name.dm.ms") ort_ms=$(median <"$W/$name.ort.ms")
  dm_mb=$(sort -n "$W/$name.dm.mb" | tail -n 1) ort_mb=$(sort -n "$W/$name.ort.mb" | tail -n 1)
  if [ -n "${NN_OLD:-}" ]; then
    old_ms=$(median <"$W/$name.old.ms")
    old=$(printf '%12s ' "$old_ms")
  fi
  local ratio=-
  if [ "$dm_ms" != FAILED ] && [ "$ort_ms" != FAILED ]; then
    # the median of the rounds' own ratios: a round's two runs are a minute
    # apart at most, so the host's slow and fast phases mostly cancel
    ratio=$(paste "$W/$name.dm.ms" "$W/$name.ort.ms" | awk '{print $1 / $2}' | median |
      awk '{printf "%.2f", $1}')
  else
    failed=1
    [ "$dm_ms" = FAILED ] && echo "nn.sh: depthmask-onnx failed on $name: $(tail -n 3 "$W/$name.dm.log.time")" >&2
    [ "$ort_ms" = FAILED ] && echo "nn.sh: onnxruntime-node failed on $name: $(tail -n 3 "$W/$name.ort.log.time")" >&2
  fi
  printf '%-24s %s%14s %12s %8s %10s %10s\n' "$name ${size}x$size" "$old" "$dm_ms" "$ort_ms" "$ratio" "$dm_mb" "$ort_mb"
}

echo "nn: $THREADS threads; $CYCLES rounds of 1 warm-up + $REPEAT timed runs per runtime, taking turns" \
  "($CYCLES_SMALL rounds of $REPEAT_SMALL for FastDepth); median of the rounds' medians, ms;" \
  "dm/ort: median of the rounds' ratios; peak RSS in MB"
printf '%-24s %s%14s %12s %8s %10s %10s\n' model "${NN_OLD:+$(printf '%12s ' "old dm ms")}" "depthmask ms" "ort ms" \
  "dm/ort" "dm RSS" "ort RSS"
row isnet-medium "$MODELS/isnet_medium.onnx" "$ASTRONAUT" 1024 isnet input output "$REPEAT" "$CYCLES"
row fastdepth "$MODELS/fastdepth_7.onnx" "$HOPPER" 224 fastdepth 0 350 "$REPEAT_SMALL" "$CYCLES_SMALL"
"$PY" "$ROOT/tools/nn/fill_da2s.py" "$ROOT/../shared/models/da2s_graph.onnx" "$W" --seed 1 >/dev/null
row da-v2-small-random "$W/da2s_random.onnx" "$ASTRONAUT" 518 imagenet pixel_values predicted_depth "$REPEAT" "$CYCLES"
node_mb=$(/usr/bin/time -f %M node -e 0 2>&1 >/dev/null | tail -n 1)
echo "(ort RSS includes Node.js itself: $((node_mb / 1024)) MB for an empty script)"
exit "$failed"
