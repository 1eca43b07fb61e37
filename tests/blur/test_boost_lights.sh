# Boost tells a lamp from a white shirt (process version 3, src/blur/boost.c):
# on report-only scenes (tests/data/dof-report, never tuned on), default
# Boost now gives up little against Boost 0 where the clipped areas are not
# lights (a white facade; a white card and a river) and still gains where
# small lights are (rep3); a recipe of process version 2 keeps the old Boost,
# which lost several dB there, so this fails with the rule switched off.
. "$DM_SOURCE_DIR/tests/cli/lib.sh"
PY=/usr/bin/python3
KIT="$DM_SOURCE_DIR/../shared/dof-eval"
SC="$DM_SOURCE_DIR/tests/data/dof-report/scenes"

# psnr SCENE [ARGS...]: whole-image PSNR of a physical render from the true depth.
psnr() {
  local S=$SC/$1; shift
  local f N focus near far
  read -r f N focus near far < <("$PY" -c "import json; c=json.load(open('$S/camera.json')); print(c['f_mm'], c['N'], c['focus_m'], c['depth16_near_m'], c['depth16_far_m'])")
  "$DM" render "$S/aif.png" -o "$T/out.png" --bits 8 --no-sidecar --no-cache --depth "$S/depth16.png" \
    --depth-range "$near:$far" --depth-encoding linear --matte "$S/mask_gt.png" \
    --set lens_blur.mode=physical --set lens_blur.f_mm="$f" --set lens_blur.f_number="$N" \
    --set lens_blur.focus_m="$focus" --set lens_blur.sensor_width_mm=36 "$@" >/dev/null 2>"$T/err" \
    || { fail "render $S: $(cat "$T/err")"; echo 0; return; }
  "$PY" "$KIT/score.py" "$S" "$T/out.png" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['psnr'])"
}
# A process version 2 recipe: the old Boost.
printf '%s\n' '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dm="http://ns.depthmask.org/1.0/" dm:RecipeVersion="1" dm:ProcessVersion="2"/></rdf:RDF></x:xmpmeta>' >"$T/v2.xmp"

check() { # what cond
  if $PY -c "import sys; sys.exit(0 if $2 else 1)"; then ok "$1"; else fail "$1 ($2)"; fi
}
for scene in rep1_astronaut_2.5m_building12m rep7_butterfly0.5m_mild_f5.6; do
  new=$(psnr "$scene"); b0=$(psnr "$scene" --set lens_blur.boost=0); old=$(psnr "$scene" --recipe "$T/v2.xmp")
  echo "$scene: Boost 50 $new dB, Boost 0 $b0 dB, version 2's Boost $old dB"
  check "$scene: clipped non-lights cost little (< 1 dB)" "$b0 - $new < 1.0"
  check "$scene: the old Boost cost more than 3 dB" "$b0 - $old > 3.0"
done
scene=rep3_hopper_2.5m_sky40m_lights
new=$(psnr "$scene"); b0=$(psnr "$scene" --set lens_blur.boost=0)
echo "$scene: Boost 50 $new dB, Boost 0 $b0 dB"
check "$scene: small lights gain at least 0.5 dB" "$new - $b0 >= 0.5"
finish
