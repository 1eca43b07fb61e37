#!/usr/bin/env bash
# Issue 18's table, whole processes: the depthmask under test ("new"), the
# build of an earlier commit ("old") and the peer, interleaved in the same
# run (these machines are shared and noisy), median of REPEAT runs (5).
#   bench/speed.sh [BUILD_DIR] [OLD_DIR]
#     BUILD_DIR  default build/ (Release)
#     OLD_DIR    holds depthmask and depthmask-onnx of the commit before
#                (default /tmp/h-blur-old); when absent, old is not run
#   SPEED_ONLY="blur big noblur encode startup nn load" picks rows (default all).
#
# The lens blur case: the dof-eval kit's dev1 scene (chelsea, lights at 5 m)
# upscaled 2x to 1920x1280 (photo lanczos3, depth16.png nearest), a
# physical 85 mm f/2.3 lens focused at 1.2 m on a 36 mm sensor, so the
# largest CoC radius is 57 px; depthmask reads it from the depth file
# (--depth, --depth-range 1.2:5, linear), PNG in and 8-bit PNG out, no matte.
# GEGL gets the kit's own recipe (gegl_baseline.sh): gegl:lens-blur on the
# same PNG with the CoC map of coc_map.py (the scene's camera with the
# pixel pitch of the upscaled frame) and radius = its largest CoC radius.
# "big" is the same at 4x the pixels (3840x2560, radius 114 px).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
OLD=${2:-/tmp/h-blur-old}
REPEAT=${REPEAT:-5}
REPEAT_BIG=${REPEAT_BIG:-3}
ONLY=${SPEED_ONLY:-blur big noblur encode startup nn load}
KIT=$ROOT/../shared/dof-eval
SCENE=$KIT/scenes/dev1_chelsea_1.2m_bg5m_lights
PY=/usr/bin/python3
W=$BUILD/bench-speed
NEW_DM=$BUILD/depthmask
OLD_DM=$OLD/depthmask
[ -x "$OLD_DM" ] || { echo "speed.sh: no $OLD_DM, old is not run" >&2; OLD_DM=""; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

cmake -S "$ROOT" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 --target depthmask depthmask_onnx >/dev/null
command -v gegl >/dev/null || { echo "speed.sh: installing gegl (the blur peer)"; apt-get install -y -qq gegl >/dev/null; }
mkdir -p "$W"

# make_case K: the scene upscaled K x into $W/xK/ (aif.png, depth16.png, and
# for GEGL camera.json, map.png and radius.txt).
make_case() {
  local k=$1 d=$W/x$1
  [ -f "$d/radius.txt" ] && return
  mkdir -p "$d"
  vips resize "$SCENE/aif.png" "$d/aif.png" "$k" --kernel lanczos3
  vips resize "$SCENE/depth16.png" "$d/depth16.png" "$k" --kernel nearest
  "$PY" - "$SCENE/camera.json" "$d/camera.json" "$k" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
k = float(sys.argv[3])
c['N'] = 2.3
c['pixel_pitch_mm'] /= k
c['width'], c['height'] = int(c['width'] * k), int(c['height'] * k)
json.dump(c, open(sys.argv[2], 'w'))
EOF
  "$PY" "$KIT/coc_map.py" "$d" "$d/map.png" >"$d/radius.txt"
}

# dm_args K: depthmask's render options for case K (without the output).
dm_args() {
  local d=$W/x$1
  echo "$d/aif.png --bits 8 --no-sidecar --no-cache --depth $d/depth16.png --depth-range 1.2:5"
  echo "--depth-encoding linear --matte none --set lens_blur.mode=physical --set lens_blur.f_mm=85"
  echo "--set lens_blur.f_number=2.3 --set lens_blur.focus_m=1.2 --set lens_blur.sensor_width_mm=36"
}

# ms CMD...: wall milliseconds of one run (stdout and stderr to $W/last.*);
# "FAILED" when it fails.
ms() {
  local t0 t1
  t0=$(date +%s%N)
  if "$@" >"$W/last.out" 2>"$W/last.err"; then
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
  else
    echo FAILED
  fi
}

# median of the words on stdin; "-" for none, FAILED if a run failed
median() {
  tr ' ' '\n' | sort -n | awk '$1 == "FAILED" {f = 1} $1 + 0 > 0 || $1 == "0" {v[++n] = $1 + 0}
    END {if (f) print "FAILED"; else if (!n) print "-"; else print v[int((n + 1) / 2)]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.1fx", a / b; else print "-"}'; }
row() { printf '%-34s %10s %10s %12s %10s %10s\n' "$@"; }

# blur_row NAME K REPEAT [EXTRA...]: old, new, gegl interleaved on case K,
# each depthmask run right after a GEGL run. A depthmask that follows
# another depthmask ran 100-150 ms faster than one that follows GEGL (its
# first touch of fresh pages, 0.2 against up to 2 ms per MB on our VMs), so
# the old order, old then new then GEGL, favoured new (measured 2026-12-07).
# The ratio columns are the medians of each run's own ratio to the GEGL run
# just before it (a paired comparison: the host's slow and fast phases
# mostly cancel); the peer column is the median of all GEGL runs.
blur_row() {
  local name=$1 k=$2 n=$3 d=$W/x$2 o=() nw=() g=() go=() gn=() i
  shift 3
  make_case "$k"
  local rad
  rad=$(cat "$d/radius.txt")
  # shellcheck disable=SC2207
  local args=($(dm_args "$k"))
  peer() {
    [ "${GEGL:-1}" = 1 ] || return 0
    g+=("$(ms gegl "$d/aif.png" -o "$d/gegl.png" -- gegl:lens-blur radius="$rad" linear-mask=true \
      aux=[ gegl:load path="$d/map.png" ])")
  }
  for ((i = 0; i < n; i++)); do
    if [ -n "$OLD_DM" ]; then
      peer
      o+=("$(ms "$OLD_DM" render "${args[@]}" -o "$d/old.png" "$@")")
      go+=("${g[*]: -1}/${o[*]: -1}")
    fi
    peer
    nw+=("$(ms "$NEW_DM" render "${args[@]}" -o "$d/new.png" "$@")")
    gn+=("${g[*]: -1}/${nw[*]: -1}")
  done
  local om nm gm
  om=$(echo "${o[*]:-}" | median)
  nm=$(echo "${nw[*]}" | median)
  gm=$(echo "${g[*]:-}" | median)
  row "$name" "$om" "$nm" "$gm" "$(paired "${go[*]:-}")" "$(paired "${gn[*]:-}")"
}

# paired "P/Q P/Q ...": the median of the ratios, as ratio prints it ("-"
# without GEGL runs or when a run failed)
paired() {
  echo "$1" | tr ' ' '\n' | awk -F/ '$1 + 0 > 0 && $2 + 0 > 0 {print $1 / $2; next} NF {print "FAILED"}' |
    median | awk '$1 == "FAILED" || $1 == "-" {print "-"; next} {printf "%.1fx\n", $1}'
}

# stage_row NAME STAGE K [EXTRA...]: the median of one --timings stage (ms),
# old and new interleaved.
stage_row() {
  local name=$1 stage=$2 k=$3 d=$W/x$3 o=() nw=() i
  shift 3
  make_case "$k"
  # shellcheck disable=SC2207
  local args=($(dm_args "$k"))
  local get="s/.*render: $stage \\([0-9.]*\\) ms.*/\\1/p"
  # which goes first alternates: the second of two finds warmer pages (blur_row)
  local one
  for ((i = 0; i < 2 * REPEAT; i++)); do
    one=new
    [ $((i % 4)) = 0 ] || [ $((i % 4)) = 3 ] && one=old
    if [ "$one" = old ]; then
      [ -n "$OLD_DM" ] || continue
      "$OLD_DM" render "${args[@]}" --timings "$@" >/dev/null 2>"$W/stage.err"
      o+=("$(sed -n "$get" "$W/stage.err")")
    else
      "$NEW_DM" render "${args[@]}" --timings "$@" >/dev/null 2>"$W/stage.err"
      nw+=("$(sed -n "$get" "$W/stage.err")")
    fi
  done
  row "$name" "$(echo "${o[*]:-}" | median)" "$(echo "${nw[*]}" | median)" "" "" ""
}

echo "speed: 2 threads; old = $OLD_DM, new = $NEW_DM; median of $REPEAT (big: $REPEAT_BIG), ms"
row "" old new peer "peer/old" "peer/new"
if want blur; then
  make_case 2
  blur_row "lens blur 1920x1280 r$(cut -d. -f1 "$W/x2/radius.txt") vs gegl" 2 "$REPEAT"
fi
if want big; then
  make_case 4
  blur_row "lens blur 3840x2560 r$(cut -d. -f1 "$W/x4/radius.txt") vs gegl" 4 "$REPEAT_BIG"
fi
if want noblur; then
  GEGL=0 blur_row "same render without the blur" 2 "$REPEAT" --set lens_blur.active=false
fi
if want encode; then
  stage_row "  encode PNG 8-bit (+fsync)" encode 2 -o "$W/x2/e.png"
  stage_row "  encode PNG 16-bit (+fsync)" encode 2 -o "$W/x2/e.png" --bits 16
  stage_row "  encode TIFF 16-bit (+fsync)" encode 2 -o "$W/x2/e.tif" --bits 16
  stage_row "  encode TIFF 16-bit LZW (+fsync)" encode 2 -o "$W/x2/e.tif" --bits 16 --compression lzw
  stage_row "  decode PNG 1920x1280" decode 2 -o "$W/x2/e.png"
fi
if want startup; then
  # a 77x51 render of the same scene: start-up, tables, page faults
  d=$W/x0.04
  if [ ! -f "$d/depth16.png" ]; then
    mkdir -p "$d"
    vips resize "$SCENE/aif.png" "$d/aif.png" 0.08 --kernel lanczos3
    vips resize "$SCENE/depth16.png" "$d/depth16.png" 0.08 --kernel nearest
  fi
  GEGL=0 blur_row "start-up: 77x51 render" 0.04 "$REPEAT"
  for b in "$OLD_DM" "$NEW_DM"; do
    [ -n "$b" ] && command -v perf >/dev/null || continue
    # shellcheck disable=SC2046
    perf stat -r "$REPEAT" "$b" render $(dm_args 0.04) -o "$d/p.png" 2>&1 >/dev/null |
      awk -v b="$b" '/task-clock/ {c = $1} /page-faults/ {f = $1} END {printf "  %s: %s ms CPU, %s page faults\n", b, c, f}'
  done
fi
if want load; then
  M=${DEPTHMASK_MODELS:-$ROOT/models}/isnet_medium.onnx
  o=() nw=()
  for ((i = 0; i < REPEAT; i++)); do
    [ -n "$OLD_DM" ] && o+=("$(ms "$OLD/depthmask-onnx" info "$M")")
    nw+=("$(ms "$BUILD/depthmask-onnx" info "$M")")
  done
  row "ISNet load (depthmask-onnx info)" "$(echo "${o[*]:-}" | median)" "$(echo "${nw[*]}" | median)" "" "" ""
fi
if want nn; then
  NN_OLD=${OLD_DM:+$OLD/depthmask-onnx} bash "$ROOT/bench/nn.sh" "$BUILD"
fi
