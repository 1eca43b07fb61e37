#!/usr/bin/env bash
# Re-render the report-only dof-eval scenes (tests/data/dof-report/) with the kit's own
# thin-lens renderer, ../shared/dof-eval/render_dof.py (called from there, never copied).
#   tools/dof_eval/render_report.sh [SCENE_NAME ...]      (default: every scene)
# The kit reads a layer's "matte" relative to the kit's folder unless the path is absolute,
# so the scene file is passed on with its matte paths made absolute (they are relative to
# scenes_report.json). Rendering is deterministic (fixed seeds); it runs under nice -n 19.
# Needs the kit's photo cache: bash ../shared/dof-eval/get_photos.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KIT=${DOF_EVAL:-$ROOT/../shared/dof-eval}
DATA=$ROOT/tests/data/dof-report
PY=/usr/bin/python3
[ -f "$KIT/render_dof.py" ] || { echo "render_report.sh: no dof-eval kit at $KIT" >&2; exit 1; }
TMP=$(mktemp -d /tmp/dof-report.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

"$PY" - "$DATA/scenes_report.json" "$TMP/scenes.json" <<'PYEOF'
import json, os, sys
src, dst = sys.argv[1:]
cfg = json.load(open(src))
base = os.path.dirname(os.path.abspath(src))
for sc in cfg['scenes']:
    for layer in sc['layers']:
        if 'matte' in layer:
            layer['matte'] = os.path.join(base, layer['matte'])
json.dump(cfg, open(dst, 'w'), indent=1)
PYEOF

args=()
for s in "$@"; do args+=(--scene "$s"); done
nice -n 19 "$PY" "$KIT/render_dof.py" "$TMP/scenes.json" --out "$DATA/scenes" "${args[@]}"
rm -f "$DATA"/scenes/*/*.npy   # keep only the PNGs and camera.json
