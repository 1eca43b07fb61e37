#!/usr/bin/env bash
# Depth and matte of a 12 MP photo (issue 6), 2 threads:
#  - cold (empty cache): `depthmask depth` wall time and peak RSS, with the
#    stage times (matte network, refinement, depth network, fusion) from
#    bench_scene;
#  - warm (cached): the time to have full-resolution depth, matte and
#    confidence in memory again (median of 9);
#  - the matte network's share, against onnxruntime-node on the same
#    1024x1024 input, in the same run.
# The photo is matplotlib's grace_hopper (a real portrait) upsampled to
# 3200x3750 = 12 MP and saved as a JPEG.
#   bench/depth.sh [BUILD_DIR]        (default build/, Release, -DDM_BENCH=ON)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PY=/usr/bin/python3
THREADS=2
W=$BUILD/bench-depth
HOPPER=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg
cmake -S "$ROOT" -B "$BUILD" -DDM_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 --target depthmask bench_scene depthmask_onnx >/dev/null
rm -rf "$W" && mkdir -p "$W"
"$PY" -c "
from PIL import Image
Image.open('$HOPPER').convert('RGB').resize((3200, 3750), Image.LANCZOS).save('$W/hopper12.jpg', quality=92)"

echo "depth: 12 MP (3200x3750 JPEG), $THREADS threads"
/usr/bin/time -v "$BUILD/depthmask" depth "$W/hopper12.jpg" -o "$W/d.png" --cache "$W/cache-cli" \
  --threads "$THREADS" >"$W/cli.log" 2>"$W/cli.time"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/cli.time")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/cli.time")
echo "cold, depthmask depth (decode + matte + depth + fusion + refinement + 16-bit PNG): $wall wall, peak RSS $((rss / 1024)) MB"
"$BUILD/bench_scene" "$W/hopper12.jpg" "$W/cache-bench" "$THREADS" 9 | tee "$W/scene.log"

# The matte network alone, ours and onnxruntime-node's, on the same input.
"$PY" "$ROOT/tools/nn/make_input.py" "$W/hopper12.jpg" "$W/isnet.in.npy" --size 1024 1024 --norm isnet
args=(run "$ROOT/models/isnet_medium.onnx" --in "input=$W/isnet.in.npy" --out "output=$W/isnet.out.npy"
  --threads "$THREADS" --repeat 3)
dm=$("$BUILD/depthmask-onnx" "${args[@]}" | awk '/^median:/ {print $2}')
ort=$(node "$ROOT/tools/ort/run.mjs" "${args[@]}" | awk '/^median:/ {print $2}')
net=$(awk '/matte network/ {print $(NF-1)}' "$W/scene.log")
cold=$(awk '/^cold:/ {print $2}' "$W/scene.log")
awk -v dm="$dm" -v ort="$ort" -v net="$net" -v cold="$cold" 'BEGIN {
  printf "ISNet 1024x1024 alone: depthmask %.0f ms, onnxruntime-node %.0f ms (ratio %.2f)\n", dm, ort, dm / ort
  printf "the matte network took %.0f of the cold %.0f ms (%.0f %%)\n", net, cold, 100 * net / cold }'
