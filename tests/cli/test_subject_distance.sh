# --subject-distance / --background-distance (issue 13 item 6): relative
# depth made metric by pinning the matte's median depth and the median
# outside it, so physical mode works without a metric range; saved as
# lens_blur.subject_distance_m / background_distance_m, so a re-render
# reproduces; bad values exit 2 with one line naming the option. And the
# Amount scale of process version 4 (Amount 100 = 10 % of the long side,
# as Amount²), which recipes of version 3 do not get.
. "$(dirname "$0")/lib.sh"
KIT="$DM_SOURCE_DIR/../shared/dof-eval"
PY=/usr/bin/python3
S="$KIT/scenes/dev1_chelsea_1.2m_bg5m_lights"
[ -d "$S" ] || { fail "dof-eval kit missing at $KIT"; finish; }
cp "$S/aif.png" "$T/photo.png"
# The true depth as relative depth: near01 (linear in disparity) with no metric range.
$PY - "$S" "$T/near01.png" <<'EOF'
import json, sys
import numpy as np
from PIL import Image
s, out = sys.argv[1:]
c = json.load(open(s + '/camera.json'))
zn, zf = c['depth16_near_m'], c['depth16_far_m']
z = np.asarray(Image.open(s + '/depth16.png')).astype(float) / 65535 * (zf - zn) + zn
n = (1 / zn - 1 / z) / (1 / zn - 1 / zf)
Image.fromarray(np.round(n * 65535).astype(np.uint16)).save(out)
EOF
lens=(--set lens_blur.mode=physical --set lens_blur.f_mm=85 --set lens_blur.f_number=2
      --set lens_blur.focus_m=1.2 --set lens_blur.sensor_width_mm=36)
rel=(--depth "$T/near01.png" --depth-encoding near01 --matte "$S/mask_gt.png")

# Bad input: exit 2, one line naming the option.
r=("$DM" render "$T/photo.png" -o "$T/bad.png" --no-sidecar "${rel[@]}" "${lens[@]}")
expect_error 2 "--subject-distance must be a distance" -- "${r[@]}" --subject-distance nan --background-distance 5
expect_error 2 "--background-distance must be a distance" -- "${r[@]}" --subject-distance 1.2 --background-distance -5
expect_error 2 "--subject-distance: 5 m is not less than --background-distance 5 m" -- \
  "${r[@]}" --subject-distance 5 --background-distance 5
expect_error 2 "--subject-distance: 6 m is not less than --background-distance 5 m" -- \
  "${r[@]}" --subject-distance 6 --background-distance 5
expect_error 2 "--subject-distance: 0.085 m is not beyond the focal length 85 mm" -- \
  "${r[@]}" --subject-distance 0.085 --background-distance 5
expect_error 2 "--background-distance: 0.05 m is not beyond the focal length 50 mm" -- \
  "${r[@]}" --subject-distance 1.2 --background-distance 0.05 --set lens_blur.f_mm=35 --set lens_blur.f_mm=50
expect_error 2 "--subject-distance must be a distance in metres beyond the focal length, not \"0\"" -- "${r[@]}" --subject-distance 0 --background-distance 5
expect_error 2 "--background-distance: needed with --subject-distance" -- "${r[@]}" --subject-distance 1.2
expect_error 2 "--background-distance needs a value" -- "${r[@]}" --subject-distance 1.2 --background-distance
expect_error 2 "lens_blur.background_distance_m: -1 is outside" -- "${r[@]}" --set lens_blur.background_distance_m=-1
# Relative depth without distances: physical mode says what to give.
expect_error 1 "give --subject-distance M --background-distance M" -- "${r[@]}"
# No matte to take the medians from: refused, naming the field.
expect_error 1 "needs the subject matte" -- "$DM" render "$T/photo.png" -o "$T/bad.png" --no-sidecar \
  --depth "$T/near01.png" --depth-encoding near01 --matte none "${lens[@]}" \
  --subject-distance 1.2 --background-distance 5
[ -e "$T/bad.png" ] && fail "a refused render left an output"

# The true distances on relative depth give the true-depth render.
"$DM" render "$T/photo.png" -o "$T/true.png" --bits 8 --no-sidecar --depth "$S/depth16.png" \
  --depth-range 1.2:5 --depth-encoding linear --matte "$S/mask_gt.png" "${lens[@]}" >/dev/null 2>"$T/err" \
  || fail "true depth: $(cat "$T/err")"
"$DM" render "$T/photo.png" -o "$T/pinned.png" --bits 8 "${rel[@]}" "${lens[@]}" \
  --subject-distance 1.2 --background-distance 5 >/dev/null 2>"$T/err" || fail "pinned: $(cat "$T/err")"
[ -s "$T/err" ] && fail "pinned render warned: $(cat "$T/err")"
psnr=$($PY -c "
import numpy as np, sys
from PIL import Image
a, b = (np.asarray(Image.open(p)).astype(float) for p in sys.argv[1:])
print('%.2f' % (10 * np.log10(255 ** 2 / max(((a - b) ** 2).mean(), 1e-12))))" "$T/true.png" "$T/pinned.png")
if $PY -c "import sys; sys.exit(0 if $psnr >= 45 else 1)"; then ok "pinned relative depth vs true depth: $psnr dB"
else fail "pinned relative depth vs true depth: $psnr dB (< 45)"; fi
# Distances that are wrong by a factor of two render visibly differently (the pins matter).
"$DM" render "$T/photo.png" -o "$T/wrong.png" --bits 8 --no-sidecar "${rel[@]}" "${lens[@]}" \
  --subject-distance 1.2 --background-distance 2.5 >/dev/null 2>&1 || fail "wrong distances: render failed"
cmp -s "$T/pinned.png" "$T/wrong.png" && fail "the background distance changed nothing"

# The sidecar keeps them; a re-render without the options reproduces the picture.
grep -q 'dm:subject_distance_m="1.2"' "$T/photo.png.xmp" && grep -q 'dm:background_distance_m="5"' "$T/photo.png.xmp" \
  && ok "sidecar holds the distances" || fail "sidecar: $(grep -A12 LensBlurSettings "$T/photo.png.xmp")"
"$DM" render "$T/photo.png" -o "$T/again.png" --bits 8 --matte "$S/mask_gt.png" >/dev/null 2>"$T/err" \
  || fail "re-render: $(cat "$T/err")"
cmp -s "$T/pinned.png" "$T/again.png" && ok "re-render from the sidecar is identical" || fail "re-render differs"
"$DM" keys lens_blur >"$T/keys" 2>&1
grep -q "lens_blur.subject_distance_m" "$T/keys" && grep -q "lens_blur.background_distance_m" "$T/keys" \
  && ok "keys lists both" || fail "keys: $(cat "$T/keys")"
# Metric depth and distances: the distances win, and say so.
"$DM" render "$T/photo.png" -o "$T/both.png" --bits 8 --no-sidecar --depth "$S/depth16.png" \
  --depth-range 1.2:5 --depth-encoding linear --matte "$S/mask_gt.png" "${lens[@]}" \
  --subject-distance 1.2 --background-distance 5 >/dev/null 2>"$T/err" || fail "metric + distances: $(cat "$T/err")"
grep -q "replace the depth's own range (1.2 to 5 m)" "$T/err" && ok "metric + distances warned" \
  || fail "no warning: $(cat "$T/err")"

# Amount: process version 4 (10 % of the long side x (Amount/100)²) against
# version 3 (4 % of the diagonal x Amount/100). On a 300 x 400 frame both
# give a 10 px CoC at Amount 50; at 100, version 3 gives 20 px, version 4 40.
$PY -c "
from PIL import Image
Image.open('$S/aif.png').crop((300, 100, 600, 500)).save('$T/small.png')
Image.open('$T/near01.png').crop((300, 100, 600, 500)).save('$T/small_depth.png')"
v3="$T/v3.xmp"
printf '%s\n' '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dm="http://ns.depthmask.org/1.0/" dm:RecipeVersion="1" dm:ProcessVersion="3"/></rdf:RDF></x:xmpmeta>' >"$v3"
amount() { # OUT AMOUNT [ARGS...]
  local out=$1 a=$2; shift 2
  "$DM" render "$T/small.png" -o "$T/$out.png" --bits 8 --no-sidecar --depth "$T/small_depth.png" \
    --depth-encoding near01 --matte none --set lens_blur.amount="$a" "$@" >/dev/null 2>"$T/err" \
    || fail "amount $a $*: $(cat "$T/err")"
}
amount v4_50 50; amount v4_100 100; amount v3_50 50 --recipe "$v3"; amount v3_100 100 --recipe "$v3"
cmp -s "$T/v3_50.png" "$T/v4_50.png" && ok "Amount 50: 10 px in both versions" || fail "Amount 50 differs between versions"
cmp -s "$T/v3_100.png" "$T/v4_100.png" && fail "Amount 100: version 3 rendered version 4's scale" \
  || ok "Amount 100: version 3 keeps 4 % of the diagonal"
expect_no_temp "$T"
finish
