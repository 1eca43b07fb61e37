#!/usr/bin/env bash
# The lens-blur table: every scene of a set rendered from its true depth by `depthmask render` in
# physical mode (the command line of tests/cli/test_lens_blur.sh), with default Boost and with
# lens_blur.boost=0, beside gegl:lens-blur (the kit's gegl_baseline.sh), all scored by the kit's
# score.py (whole image and 12-px band around mask_gt's edge) against dof_reference.png.
#   tools/dof_eval/run_report.sh [BUILD_DIR] [--set report|tune|all|DIR] [--input pinhole|f8]
#                                [--matte gt|none|auto] [-- extra render args]
# --set: a role of the declared split tests/data/dof-split.json (tools/dof_eval/split.py), or a
#   folder whose subfolders are scenes; default report (or the folder $DOF_REPORT_SCENES if set).
#   Report scenes are REPORT ONLY: never tune on their numbers.
# --input pinhole (default) feeds each scene's aif.png to depthmask and to gegl; f8 feeds the same
#   scene through the same lens at f/8 (the split's aif_f8, or DIR/<name>/aif_f8.png) to both. The
#   depth, camera, matte and reference stay the same.
# BUILD_DIR defaults to build (it must hold depthmask); --matte gt (default) passes mask_gt.png as
# the subject matte, none passes --matte none, auto the automatic matte (ISNet).
# Prints two markdown tables: PSNR (whole, band) and SSIM (whole, band), one row a scene.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then BUILD=$1; shift; fi
MATTE=gt
SET=${DOF_REPORT_SCENES:-report}
INPUT=pinhole
while [ $# -gt 0 ]; do
  case $1 in
    --matte) MATTE=$2; shift 2 ;;
    --set) SET=$2; shift 2 ;;
    --input) INPUT=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run_report.sh: unknown argument $1 (see the header)" >&2; exit 2 ;;
  esac
done
case $MATTE in gt|none|auto) ;; *) echo "run_report.sh: --matte gt|none|auto" >&2; exit 2 ;; esac
case $INPUT in pinhole) AIF=aif.png ;; f8) AIF=aif_f8.png ;; *) echo "run_report.sh: --input pinhole|f8" >&2; exit 2 ;; esac
KIT=${DOF_EVAL:-$ROOT/../shared/dof-eval}
PY=/usr/bin/python3
DM=$BUILD/depthmask
[ -x "$DM" ] || { echo "run_report.sh: $DM not built" >&2; exit 1; }
[ -f "$KIT/score.py" ] || { echo "run_report.sh: no dof-eval kit at $KIT" >&2; exit 1; }
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
OUT=$(mktemp -d /tmp/dof-report-dm.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# scene list: name, folder, f/8 input -- from the split or from a folder of scenes
case $SET in
  tune|report|all) LIST=$(DOF_EVAL=$KIT "$PY" "$ROOT/tools/dof_eval/split.py" "$SET" | cut -f1,3,4) ;;
  *) [ -d "$SET" ] || { echo "run_report.sh: --set tune|report|all or a folder of scenes, not $SET" >&2; exit 2; }
     SET=$(cd "$SET" && pwd)
     LIST=$(for d in "$SET"/*/; do d=${d%/}; printf '%s\t%s\t%s\n' "$(basename "$d")" "$d" "$d/aif_f8.png"; done) ;;
esac
[ -n "$LIST" ] || { echo "run_report.sh: no scene in $SET" >&2; exit 1; }

# each scene is seen through a folder of links, so that gegl_baseline.sh (which reads SCENE/aif.png)
# and depthmask get the chosen input while depth, camera, matte and reference stay the scene's own
SCENES=$OUT/in
while IFS=$'\t' read -r name folder f8; do
  mkdir -p "$SCENES/$name"
  for f in depth16.png mask_gt.png dof_reference.png camera.json; do ln -s "$folder/$f" "$SCENES/$name/$f"; done
  if [ "$INPUT" = f8 ]; then src=$f8; else src=$folder/aif.png; fi
  [ -f "$src" ] || { echo "run_report.sh: $name: no $src (tools/dof_eval/render_report.sh --what f8)" >&2; exit 1; }
  ln -s "$src" "$SCENES/$name/aif.png"
done <<<"$LIST"

. "$ROOT/tools/dof_eval/dof_render.sh"
render() { # scene_dir out.png [extra --set ...]
  local S=$1 out=$2 matte; shift 2
  case $MATTE in none | auto) matte=$MATTE ;; *) matte=$S/mask_gt.png ;; esac
  dof_render "$DM" "$S" "$S/aif.png" "$out" "$matte" "$@"
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

"$PY" - "$OUT" "$MATTE" "$SET" "$AIF" <<'PYEOF'
import glob, json, os, sys
out, matte, which, aif = sys.argv[1:]
rows = {}
for p in sorted(glob.glob(os.path.join(out, '*.json'))):
    name, method = os.path.basename(p)[:-5].rsplit('-', 1)
    rows.setdefault(name, {})[method] = json.load(open(p))
m = 'mask_gt' if matte == 'gt' else matte
print('set: %s; input: %s; matte: %s; gegl = gegl:lens-blur, dm = depthmask physical (default Boost), dm b0 = lens_blur.boost=0\n'
      % (which, aif, m))
for metric, fmt, label in (('psnr', '%.2f', 'PSNR dB'), ('ssim', '%.4f', 'SSIM')):
    print('| scene | %s gegl | dm | dm b0 | band gegl | band dm | band dm b0 |' % label)
    print('|---|---|---|---|---|---|---|')
    for name, r in rows.items():
        vals = [r[k][metric] for k in ('gegl', 'dm', 'dm0')] + [r[k][metric + '_band'] for k in ('gegl', 'dm', 'dm0')]
        print('| %s | %s |' % (name, ' | '.join(fmt % v for v in vals)))
    print()
PYEOF
