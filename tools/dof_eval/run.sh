#!/usr/bin/env bash
# The dof-eval quality table: every scene of ../shared/dof-eval rendered by
# depthmask's lens blur in physical mode (depth16.png + camera.json), without
# and with the ground-truth matte, scored by the kit's score.py beside
# gegl:lens-blur (the kit's gegl_baseline.sh) and the all-in-focus image.
#   tools/dof_eval/run.sh [BUILD_DIR] [-- extra dof_eval args, e.g. --set boost=0]
# BUILD_DIR defaults to build; it must hold the dof_eval tool.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
[ "${1:-}" = "--" ] && shift
KIT=${DOF_EVAL:-$ROOT/../shared/dof-eval}
PY=/usr/bin/python3
[ -x "$BUILD/dof_eval" ] || { echo "run.sh: $BUILD/dof_eval not built (make dof_eval)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/dof-eval-dm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

score() { # scene png label
  "$PY" "$KIT/score.py" "$1" "$2" --json | "$PY" -c "
import json, sys
r = json.load(sys.stdin)
print('| %s | %s | %.2f | %.4f | %.2f | %.4f |' % ('$(basename "$1")', '$3', r['psnr'], r['ssim'], r['psnr_band'], r['ssim_band']))"
}

echo "| scene | method | PSNR | SSIM | PSNR band | SSIM band |"
echo "|---|---|---|---|---|---|"
for scene in "$KIT"/scenes/*/; do
  scene=${scene%/}
  name=$(basename "$scene")
  t0=$("$BUILD/dof_eval" "$scene" "$OUT/$name-nomatte.png" --threads 2 "$@")
  t1=$("$BUILD/dof_eval" "$scene" "$OUT/$name-matte.png" --matte --threads 2 "$@")
  score "$scene" "$OUT/$name-nomatte.png" "depthmask, no matte (${t0} s)"
  score "$scene" "$OUT/$name-matte.png" "depthmask, mask_gt matte (${t1} s)"
  if command -v gegl >/dev/null 2>&1; then
    sh "$KIT/gegl_baseline.sh" "$scene" "$OUT/$name-gegl.png" >/dev/null 2>&1 &&
      score "$scene" "$OUT/$name-gegl.png" "gegl:lens-blur"
  else
    echo "| $name | gegl:lens-blur | (gegl not installed) | | | |"
  fi
  score "$scene" "$scene/aif.png" "aif"
done
