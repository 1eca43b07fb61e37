# Boost tells a lamp from a white shirt (process version 4, src/blur/boost.c):
# on report-only scenes (tests/data/dof-report, never tuned on) whose clipped
# areas are no lights (a white facade; a white cap band, collar and shirt in
# the blur; a white card and a river), default Boost loses no more than
# 0.2 dB against Boost 0, whole and band (issue 13 item 3). A recipe of
# process version 3 (clipped regions alone) loses more than 1 dB on rep5, so
# this fails with the version 4 rule switched off. Small lights still gain at
# least 0.5 dB on the tune scenes that have them (tune2 on brick, tune9 on a
# bright sky). The report scene rep3 (lights on a bright sky) is printed, not
# asserted: there the rule gives no gain (see the issue 13 closing note).
. "$DM_SOURCE_DIR/tests/cli/lib.sh"
. "$DM_SOURCE_DIR/tools/dof_eval/dof_render.sh"
PY=/usr/bin/python3
KIT="$DM_SOURCE_DIR/../shared/dof-eval"
REP="$DM_SOURCE_DIR/tests/data/dof-report/scenes"
TUNE="$DM_SOURCE_DIR/tests/data/dof-tune/scenes"

# score DIR SCENE [ARGS...]: "PSNR BAND_PSNR" of a physical render from the true depth.
score() {
  local S=$1/$2; shift 2
  dof_render "$DM" "$S" "$S/aif.png" "$T/out.png" "$S/mask_gt.png" "$@" 2>"$T/err" \
    || { fail "render $S: $(cat "$T/err")"; echo 0 0; return; }
  "$PY" "$KIT/score.py" "$S" "$T/out.png" --json | "$PY" -c "import json,sys; d=json.load(sys.stdin); print(d['psnr'], d['psnr_band'])"
}
check() { # what cond
  if $PY -c "import sys; sys.exit(0 if $2 else 1)"; then ok "$1"; else fail "$1 ($2)"; fi
}
# A process version 3 recipe: Boost sized by clipped regions alone.
printf '%s\n' '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dm="http://ns.depthmask.org/1.0/" dm:RecipeVersion="1" dm:ProcessVersion="3"/></rdf:RDF></x:xmpmeta>' >"$T/v3.xmp"

for scene in rep1_astronaut_2.5m_building12m rep5_hopper1.3m_blurred_board4m_focus rep7_butterfly0.5m_mild_f5.6; do
  read -r new newb < <(score "$REP" "$scene")
  read -r b0 b0b < <(score "$REP" "$scene" --set lens_blur.boost=0)
  echo "$scene: Boost 50 $new / band $newb dB, Boost 0 $b0 / band $b0b dB"
  check "$scene: clipped non-lights cost at most 0.2 dB" "$b0 - $new <= 0.2 and $b0b - $newb <= 0.2"
done
read -r v3 v3b < <(score "$REP" rep5_hopper1.3m_blurred_board4m_focus --recipe "$T/v3.xmp")
echo "rep5 with version 3's Boost: $v3 / band $v3b dB"
check "rep5: version 3's clipped-region Boost cost more than 1 dB" "$b0 - $v3 > 1.0"
for scene in tune2_man_head_shoulders1.5m_brick6m_lights tune9_man2m_lights_on_bright_sky12m; do
  read -r new newb < <(score "$TUNE" "$scene")
  read -r b0 b0b < <(score "$TUNE" "$scene" --set lens_blur.boost=0)
  echo "$scene: Boost 50 $new dB, Boost 0 $b0 dB"
  check "$scene: small lights gain at least 0.5 dB" "$new - $b0 >= 0.5"
done
read -r new newb < <(score "$REP" rep3_hopper_2.5m_sky40m_lights)
read -r b0 b0b < <(score "$REP" rep3_hopper_2.5m_sky40m_lights --set lens_blur.boost=0)
echo "rep3 (report, not asserted): Boost 50 $new dB, Boost 0 $b0 dB"
finish
