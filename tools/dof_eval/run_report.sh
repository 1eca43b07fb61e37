#!/usr/bin/env bash
# The report-only lens-blur table: every scene of tests/data/dof-report/scenes rendered
# from its true depth by `depthmask render` in physical mode (the command line of
# tests/cli/test_lens_blur.sh), with default Boost and with lens_blur.boost=0, beside
# gegl:lens-blur (the kit's gegl_baseline.sh), all scored by the kit's score.py
# (whole image and 12-px band around mask_gt's edge). REPORT ONLY: never tune on it.
#   tools/dof_eval/run_report.sh [BUILD_DIR] [--matte gt|none|auto] [-- extra render args]
# BUILD_DIR defaults to build (it must hold depthmask); --matte gt (default) passes
# mask_gt.png as the subject matte, none passes --matte none, auto the automatic matte (ISNet).
# Prints two markdown tables: PSNR (whole, band) and SSIM (whole, band), one row a scene.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then BUILD=$1; shift; fi
MATTE=gt
if [ "${1:-}" = "--matte" ]; then MATTE=$2; shift 2; fi
[ "${1:-}" = "--" ] && shift
KIT=${DOF_EVAL:-$ROOT/../shared/dof-eval}
SCENES=${DOF_REPORT_SCENES:-$ROOT/tests/data/dof-report/scenes}
PY=/usr/bin/python3
DM=$BUILD/depthmask
[ -x "$DM" ] || { echo "run_report.sh: $DM not built" >&2; exit 1; }
[ -f "$KIT/score.py" ] || { echo "run_report.sh: no dof-eval kit at $KIT" >&2; exit 1; }
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
OUT=$(mktemp -d /tmp/dof-report-dm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

render() { # scene_dir out.png [extra --set ...]
  local S=$1 out=$2; shift 2
  local f N focus near far matte
  read -r f N focus near far < <("$PY" -c "import json; c=json.load(open('$S/camera.json')); print(c['f_mm'], c['N'], c['focus_m'], c['depth16_near_m'], c['depth16_far_m'])")
  case $MATTE in none | auto) matte=$MATTE ;; *) matte=$S/mask_gt.png ;; esac
  nice -n 19 "$DM" render "$S/aif.png" -o "$out" --bits 8 --no-sidecar --no-cache \
    --depth "$S/depth16.png" --depth-range "$near:$far" --depth-encoding linear --matte "$matte" \
    --set lens_blur.mode=physical --set lens_blur.f_mm="$f" --set lens_blur.f_number="$N" \
    --set lens_blur.focus_m="$focus" --set lens_blur.sensor_width_mm=36 "$@" >/dev/null
}

for scene in "$SCENES"/*/; do
  scene=${scene%/}
  name=$(basename "$scene")
  sh "$KIT/gegl_baseline.sh" "$scene" "$OUT/$name-gegl.png" --json 2>/dev/null | tail -1 >"$OUT/$name-gegl.json"
  render "$scene" "$OUT/$name-dm.png" "$@"
  render "$scene" "$OUT/$name-dm0.png" --set lens_blur.boost=0 "$@"
  "$PY" "$KIT/score.py" "$scene" "$OUT/$name-dm.png" --json >"$OUT/$name-dm.json"
  "$PY" "$KIT/score.py" "$scene" "$OUT/$name-dm0.png" --json >"$OUT/$name-dm0.json"
done

"$PY" - "$OUT" "$MATTE" <<'PYEOF'
import glob, json, os, sys
out, matte = sys.argv[1:]
rows = {}
for p in sorted(glob.glob(os.path.join(out, '*.json'))):
    name, method = os.path.basename(p)[:-5].rsplit('-', 1)
    rows.setdefault(name, {})[method] = json.load(open(p))
m = 'mask_gt' if matte == 'gt' else matte
print('matte: %s; gegl = gegl:lens-blur, dm = depthmask physical (default Boost), dm b0 = lens_blur.boost=0\n' % m)
for metric, fmt, label in (('psnr', '%.2f', 'PSNR dB'), ('ssim', '%.4f', 'SSIM')):
    print('| scene | %s gegl | dm | dm b0 | band gegl | band dm | band dm b0 |' % label)
    print('|---|---|---|---|---|---|---|')
    for name, r in rows.items():
        vals = [r[k][metric] for k in ('gegl', 'dm', 'dm0')] + [r[k][metric + '_band'] for k in ('gegl', 'dm', 'dm0')]
        print('| %s | %s |' % (name, ' | '.join(fmt % v for v in vals)))
    print()
PYEOF
