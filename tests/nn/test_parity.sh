#!/usr/bin/env bash
# Parity of our ONNX runtime (build/depthmask-onnx) with onnxruntime-node
# (tools/ort/run.mjs) on the real networks and real photos, 2 threads each:
#   isnet-medium  1024x1024, skimage's astronaut, input RGB/255 - 0.5 (an fp16
#                 graph: both runtimes compute it in float32, see src/nn/fuse.c)
#   fastdepth      224x224, matplotlib's grace_hopper, input RGB/255
#   da-v2-small    518x518, astronaut with ImageNet normalisation, on the real
#                  DA-V2-S graph with seeded random weights (tools/nn/fill_da2s.py)
# One line "PARITY model max_abs range ratio" per model; fails if any ratio
# (max |ours - ort| / range of ort's output) exceeds 1e-3. A model whose file is
# absent is skipped with a SKIP line (./setup.sh fetches them, so CI runs all).
set -euo pipefail
SRC=${DM_SOURCE_DIR:?}
BUILD=${DM_BUILD_DIR:?}
PY=/usr/bin/python3
TOL=1e-3
ONNX_BIN=$BUILD/depthmask-onnx
ORT=(node "$SRC/tools/ort/run.mjs")
MODELS=$SRC/models
DA2S_GRAPH=$SRC/../shared/models/da2s_graph.onnx
ASTRONAUT=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
HOPPER=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg
W=$BUILD/test-tmp/nn_parity
rm -rf "$W" && mkdir -p "$W"

[ -x "$ONNX_BIN" ] || { echo "FAIL: $ONNX_BIN is not built" >&2; exit 1; }
[ -d "$SRC/tools/ort/node_modules/onnxruntime-node" ] ||
  { echo "FAIL: onnxruntime-node is not installed in tools/ort (run ./setup.sh)" >&2; exit 1; }
for photo in "$ASTRONAUT" "$HOPPER"; do
  [ -f "$photo" ] || { echo "FAIL: $photo is missing (run ./setup.sh)" >&2; exit 1; }
done

fails=0
ran=0
echo "PARITY model max_abs range ratio"

# parity NAME MODEL PHOTO W H NORM INPUT OUTPUT [make_input.py options]
parity() {
  local name=$1 model=$2 photo=$3 w=$4 h=$5 norm=$6 input=$7 output=$8 line
  shift 8
  "$PY" "$SRC/tools/nn/make_input.py" "$photo" "$W/$name.in.npy" --size "$w" "$h" --norm "$norm" "$@"
  if ! "$ONNX_BIN" run "$model" --in "$input=$W/$name.in.npy" --out "$output=$W/$name.dm.npy" \
    --threads 2 >"$W/$name.dm.log" 2>&1; then
    echo "FAIL: depthmask-onnx on $name: $(tail -n 5 "$W/$name.dm.log")" >&2
    fails=$((fails + 1))
    return
  fi
  if ! "${ORT[@]}" run "$model" --in "$input=$W/$name.in.npy" --out "$output=$W/$name.ort.npy" \
    --threads 2 >"$W/$name.ort.log" 2>&1; then
    echo "FAIL: onnxruntime-node on $name: $(tail -n 5 "$W/$name.ort.log")" >&2
    fails=$((fails + 1))
    return
  fi
  ran=$((ran + 1))
  if line=$("$PY" "$SRC/tools/nn/compare.py" "$W/$name.dm.npy" "$W/$name.ort.npy" --tol "$TOL"); then
    echo "PARITY $name $(awk '{print $2, $4, $6}' <<<"$line")"
  else
    if [[ $line == max_abs* ]]; then
      echo "PARITY $name $(awk '{print $2, $4, $6}' <<<"$line")   <-- over $TOL"
    else
      echo "PARITY $name $line"
    fi
    fails=$((fails + 1))
  fi
}

# Input and output names are fixed by the files' checksums (models/SHA256SUMS).
if [ -f "$MODELS/isnet_medium.onnx" ]; then
  parity isnet-medium "$MODELS/isnet_medium.onnx" "$ASTRONAUT" 1024 1024 isnet input output
else
  echo "SKIP: isnet-medium: $MODELS/isnet_medium.onnx is absent (run ./setup.sh)"
fi
if [ -f "$MODELS/fastdepth_7.onnx" ]; then
  parity fastdepth "$MODELS/fastdepth_7.onnx" "$HOPPER" 224 224 fastdepth 0 350
else
  echo "SKIP: fastdepth: $MODELS/fastdepth_7.onnx is absent (run ./setup.sh)"
fi
if [ -f "$DA2S_GRAPH" ]; then
  "$PY" "$SRC/tools/nn/fill_da2s.py" "$DA2S_GRAPH" "$W" --seed 1 >/dev/null
  parity da-v2-small-random "$W/da2s_random.onnx" "$ASTRONAUT" 518 518 imagenet \
    pixel_values predicted_depth
else
  echo "SKIP: da-v2-small-random: $DA2S_GRAPH is absent"
fi

if ((fails)); then
  echo "$fails of the networks failed parity (tolerance $TOL)" >&2
  exit 1
fi
echo "parity: $ran network(s) within $TOL"
