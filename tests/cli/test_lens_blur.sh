# render with a lens blur from a depth file, through the CLI: DESIGN section
# 7's example on the dof-eval scenes, scored against the ray-traced
# reference; bad depth input gives one line and no output.
. "$(dirname "$0")/lib.sh"
. "$DM_SOURCE_DIR/tools/dof_eval/dof_render.sh"
KIT="$DM_SOURCE_DIR/../shared/dof-eval"
[ -d "$KIT/scenes" ] || { fail "dof-eval kit missing at $KIT"; finish; }
PY=/usr/bin/python3

# GEGL's numbers from the kit's README (PSNR, SSIM, band PSNR, band SSIM): the bar to beat.
declare -A GEGL=([dev1_chelsea_1.2m_bg5m_lights]="33.62 0.9790 28.93 0.8743"
                 [dev2_chelsea_2.5m_fg1m_bg12m]="34.75 0.9643 28.04 0.9061"
                 [dev3_chelsea_on_gravel_0.5to15m]="28.26 0.8442 34.40 0.9611")
for scene in "${!GEGL[@]}"; do
  S="$KIT/scenes/$scene"
  for matte in none "$S/mask_gt.png"; do
    out="$T/$scene-$(basename "$matte" .png).png"
    dof_render "$DM" "$S" "$S/aif.png" "$out" "$matte" 2>"$T/err" \
      || { fail "$scene ($matte): $(cat "$T/err")"; continue; }
    read -r p s pb sb < <($PY "$KIT/score.py" "$S" "$out" --json |
      $PY -c "import json,sys; r=json.load(sys.stdin); print(r['psnr'], r['ssim'], r['psnr_band'], r['ssim_band'])")
    read -r gp gs gpb gsb <<<"${GEGL[$scene]}"
    line="$scene matte=$(basename "$matte"): PSNR $p SSIM $s band PSNR $pb SSIM $sb (gegl $gp $gs $gpb $gsb)"
    if $PY -c "import sys; sys.exit(0 if $p > $gp and $s > $gs and $pb > $gpb and $sb > $gsb else 1)"; then
      ok "$line"
    else
      fail "$line"
    fi
  done
done

# The sidecar keeps the lens blur; re-rendering from it reproduces the picture.
S="$KIT/scenes/dev2_chelsea_2.5m_fg1m_bg12m"
cp "$S/aif.png" "$T/photo.png"
args=(--depth "$S/depth16.png" --depth-range 1:12 --depth-encoding linear --matte none)
"$DM" render "$T/photo.png" -o "$T/a.png" "${args[@]}" --set lens_blur.mode=physical --set lens_blur.f_mm=50 \
  --set lens_blur.f_number=1.8 --set lens_blur.focus_m=2.5 >/dev/null 2>"$T/err" || fail "render: $(cat "$T/err")"
grep -q "LensBlur" "$T/photo.png.xmp" || fail "sidecar has no crs:LensBlur"
"$DM" render "$T/photo.png" -o "$T/b.png" "${args[@]}" >/dev/null 2>"$T/err" || fail "re-render: $(cat "$T/err")"
cmp -s "$T/a.png" "$T/b.png" && ok "re-render from the sidecar is identical" || fail "re-render differs"
# Provenance: the sidecar names the depth file (absolute) and its mapping, and no matte; a
# re-render without --depth and --matte takes them from there, not a fresh automatic choice.
grep -q "dm:DepthSource=\"file linear 1 12 $(realpath "$S/depth16.png")\"" "$T/photo.png.xmp" \
  || fail "depth source: $(grep -o 'dm:DepthSource="[^"]*"' "$T/photo.png.xmp")"
grep -q 'dm:MatteSource="none"' "$T/photo.png.xmp" || fail "matte source not recorded"
"$DM" render "$T/photo.png" -o "$T/b2.png" >/dev/null 2>"$T/err" || fail "re-render, no options: $(cat "$T/err")"
cmp -s "$T/a.png" "$T/b2.png" && ok "re-render uses the recorded depth and matte" || fail "recorded depth not used"

# A smaller depth map is resampled, with one warning line.
$PY -c "from PIL import Image; im=Image.open('$S/depth16.png'); im.resize((480,320)).save('$T/small16.png')"
"$DM" render "$T/photo.png" -o "$T/c.png" --no-sidecar --depth "$T/small16.png" --depth-range 1:12 \
  --set lens_blur.mode=physical --set lens_blur.focus_m=2.5 >/dev/null 2>"$T/err" || fail "small depth: $(cat "$T/err")"
[ "$(grep -c 'warning: .*resampled' "$T/err")" = 1 ] || fail "want one resample warning, got: $(cat "$T/err")"

# Bad input: colour depth, missing range, focus inside the focal length, f-number <= 0, no
# embedded depth when only embedded depth is asked for.
expect_error 1 "$S/aif.png: " -- "$DM" render "$T/photo.png" -o "$T/x1.png" --no-sidecar --depth "$S/aif.png" --depth-range 1:12 --set lens_blur.amount=60
expect_error 2 "--depth-range" -- "$DM" render "$T/photo.png" -o "$T/x2.png" --no-sidecar --depth "$S/depth16.png" --depth-range 5:1
expect_error 1 "focus" -- "$DM" render "$T/photo.png" -o "$T/x3.png" --no-sidecar "${args[@]}" --set lens_blur.mode=physical --set lens_blur.f_mm=85 --set lens_blur.focus_m=0.05
expect_error 2 "lens_blur.f_number" -- "$DM" render "$T/photo.png" -o "$T/x4.png" --no-sidecar "${args[@]}" --set lens_blur.f_number=0
expect_error 1 "no usable depth" -- "$DM" render "$T/photo.png" -o "$T/x5.png" --no-sidecar --depth embedded --set lens_blur.amount=60
for x in x1 x2 x3 x4 x5; do [ -e "$T/$x.png" ] && fail "output left behind for $x"; done
expect_no_temp "$T"
finish
