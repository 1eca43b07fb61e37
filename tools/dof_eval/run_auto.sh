#!/usr/bin/env bash
# The automatic path scored (issue 13 items 6-7): each scene rendered in physical mode from
# the photo alone (automatic depth and matte: no --depth, no --matte) with the true subject
# and background distances given by --subject-distance / --background-distance, beside the
# render from the true depth and mask_gt (run_report.sh's command line) and gegl:lens-blur
# from the true depth (the kit's gegl_baseline.sh); all scored by the kit's score.py.
#   tools/dof_eval/run_auto.sh [BUILD_DIR] [SCENE_DIR...]
# SCENE_DIRs default to ../shared/dof-eval/scenes/dev* (the development scenes). The
# distances: the subject layer's z_m and the farthest other layer's z_m (camera.json),
# i.e. the subject and its backdrop as a photographer would give them.
# Prints a markdown table (PSNR and band PSNR, dB; SSIM whole and band).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
if [ $# -gt 0 ] && [ -x "$1/depthmask" ]; then BUILD=$1; shift; fi
KIT=${DOF_EVAL:-$ROOT/../shared/dof-eval}
if [ $# -eq 0 ]; then set -- "$KIT"/scenes/dev*; fi
PY=/usr/bin/python3
DM=$BUILD/depthmask
[ -x "$DM" ] || { echo "run_auto.sh: $DM not built" >&2; exit 1; }
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
OUT=$(mktemp -d /tmp/dof-auto-dm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

. "$ROOT/tools/dof_eval/dof_render.sh"
score() { "$PY" "$KIT/score.py" "$1" "$2" --json | "$PY" -c \
  "import json,sys; r=json.load(sys.stdin); print('%.2f | %.2f | %.4f | %.4f' % (r['psnr'], r['psnr_band'], r['ssim'], r['ssim_band']))"; }

echo '| scene | distances | method | PSNR | band PSNR | SSIM | band SSIM |'
echo '|---|---|---|---|---|---|---|'
for S in "$@"; do
  S=${S%/}
  name=$(basename "$S")
  read -r f N focus near far < <(dof_camera "$S")
  read -r zs zb < <("$PY" -c "
import json; L = json.load(open('$S/camera.json'))['layers']
print([l['z_m'] for l in L if l['subject']][0], max(l['z_m'] for l in L if not l['subject']))")
  lens=(--bits 8 --no-sidecar --set lens_blur.mode=physical --set lens_blur.f_mm="$f"
        --set lens_blur.f_number="$N" --set lens_blur.focus_m="$focus" --set lens_blur.sensor_width_mm=36)
  dof_render "$DM" "$S" "$S/aif.png" "$OUT/$name-true.png" "$S/mask_gt.png"
  echo "| $name | $zs m, $zb m | true depth + mask_gt | $(score "$S" "$OUT/$name-true.png") |"
  if nice -n 19 "$DM" render "$S/aif.png" -o "$OUT/$name-auto.png" "${lens[@]}" \
      --subject-distance "$zs" --background-distance "$zb" >/dev/null 2>"$OUT/err"; then
    echo "| $name | $zs m, $zb m | photo alone + distances | $(score "$S" "$OUT/$name-auto.png") |"
  else
    echo "| $name | $zs m, $zb m | photo alone + distances | refused: $(tr '|' '/' <"$OUT/err") | | | |"
  fi
  sh "$KIT/gegl_baseline.sh" "$S" "$OUT/$name-gegl.png" >/dev/null 2>&1 || true
  [ -s "$OUT/$name-gegl.png" ] && echo "| $name | | gegl, true depth | $(score "$S" "$OUT/$name-gegl.png") |"
done
