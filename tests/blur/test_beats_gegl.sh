# Issue 13 item 4: the physical lens blur from the true depth and matte beats
# gegl:lens-blur (the dof-eval kit's baseline, gegl_baseline.sh) on every
# report-only scene (tests/data/dof-report, never tuned on), whole image and
# 12-px band around the subject's edge, PSNR and SSIM, fed the pinhole image
# and fed the same lens at f/8 (the input retouchers are usually handed).
# The foreground must veil what is behind it (rep4: an orange over the
# astronaut; rep5: a blurred person in front of a sharp board).
. "$DM_SOURCE_DIR/tests/cli/lib.sh"
. "$DM_SOURCE_DIR/tools/dof_eval/dof_render.sh"
PY=/usr/bin/python3
KIT="$DM_SOURCE_DIR/../shared/dof-eval"
REP="$DM_SOURCE_DIR/tests/data/dof-report/scenes"
command -v gegl >/dev/null || { fail "gegl is not installed (./setup.sh installs it)"; finish; }

for S in "$REP"/*/; do
  S=${S%/}
  name=$(basename "$S")
  for input in aif aif_f8; do
    # the scene seen with the chosen input (gegl_baseline.sh reads SCENE/aif.png)
    V="$T/$name-$input"
    mkdir -p "$V"
    for x in depth16.png mask_gt.png dof_reference.png camera.json; do ln -sf "$S/$x" "$V/$x"; done
    ln -sf "$S/$input.png" "$V/aif.png"
    sh "$KIT/gegl_baseline.sh" "$V" "$T/gegl.png" >/dev/null 2>"$T/err" || { fail "gegl on $name: $(cat "$T/err")"; continue; }
    dof_render "$DM" "$S" "$V/aif.png" "$T/dm.png" "$S/mask_gt.png" 2>"$T/err" \
      || { fail "render $name: $(cat "$T/err")"; continue; }
    g=$("$PY" "$KIT/score.py" "$V" "$T/gegl.png" --json) d=$("$PY" "$KIT/score.py" "$V" "$T/dm.png" --json)
    if "$PY" - "$g" "$d" "$name $input" <<'PYEOF'; then ok "$name ($input) ahead of gegl"; else fail "$name ($input) not ahead of gegl"; fi
import json, sys
g, d, what = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
keys = ('psnr', 'psnr_band', 'ssim', 'ssim_band')
print(what, ' '.join('%s %.4g/%.4g' % (k, d[k], g[k]) for k in keys))
sys.exit(0 if all(d[k] > g[k] for k in keys) else 1)
PYEOF
  done
done
finish
