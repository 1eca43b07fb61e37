#!/usr/bin/env bash
# Re-render the dof-eval scenes declared in tests/data/dof-split.json with the kit's own thin-lens
# renderer, through tools/dof_eval/render_scenes.py (which imports ../shared/dof-eval/render_dof.py;
# nothing of the kit is copied or written).
#   tools/dof_eval/render_report.sh [--set report|tune|all] [--what all|scene|f8] [SCENE_NAME ...]
# --set: a role of the split (default report); SCENE_NAMEs narrow it. --what: scene = the kit's
# outputs (aif.png, depth16.png, mask_gt.png, dof_reference.png, camera.json; the .npy arrays are
# deleted), f8 = the same scene through the same lens at f/8 (aif_f8.png, aif_f8.json), all
# (default) = both. Scenes that live in the kit (dev1-dev3) only ever get their f/8 image, written
# where the split says (tests/data/dof-tune/dev_f8/<name>/).
# Layers' "matte" paths are relative to their scenes json (render_scenes.py makes them absolute).
# Rendering is deterministic (fixed seeds); it runs under nice -n 19, one scene at a time.
# Needs the kit's photo cache: bash ../shared/dof-eval/get_photos.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SET=report
WHAT=all
while [ $# -gt 0 ]; do
  case $1 in
    --set) SET=$2; shift 2 ;;
    --what) WHAT=$2; shift 2 ;;
    *) break ;;
  esac
done
case $WHAT in all|scene|f8) ;; *) echo "render_report.sh: --what all|scene|f8" >&2; exit 2 ;; esac
declare -A want=()
for s in "$@"; do want[$s]=1; done
lines=$("$PY" "$HERE/split.py" "$SET")
n=0
while IFS=$'\t' read -r name role folder f8 json where; do
  [ $# -gt 0 ] && [ -z "${want[$name]:-}" ] && continue
  n=$((n + 1))
  if [ "$WHAT" != f8 ] && [ "$where" = repo ]; then
    nice -n 19 "$PY" "$HERE/render_scenes.py" "$json" --out "$(dirname "$folder")" --scene "$name" --what scene
  fi
  if [ "$WHAT" != scene ]; then
    [ "$(basename "$f8")" = aif_f8.png ] && [ "$(basename "$(dirname "$f8")")" = "$name" ] ||
      { echo "render_report.sh: $name: aif_f8 must be <dir>/$name/aif_f8.png" >&2; exit 1; }
    nice -n 19 "$PY" "$HERE/render_scenes.py" "$json" --out "$(dirname "$(dirname "$f8")")" --scene "$name" --what f8
  fi
done <<<"$lines"
[ "$n" -gt 0 ] || { echo "render_report.sh: no scene selected" >&2; exit 1; }
