# Lens Blur's refine strokes (crs:DepthBasedCorrections): each stroke set
# moves the depth under its mask towards its LocalCorrectedDepth before the
# blur (the reading in src/recipe/xmp_refine.c). A "Focus" set painted with
# the focal depth over a disc leaves the disc as sharp as the photo, and the
# rest of the picture as the blur made it; a set switched off, or at amount
# 0, changes nothing; the strokes survive a rewrite of the sidecar.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
S="$DM_SOURCE_DIR/../shared/dof-eval/scenes/dev3_chelsea_on_gravel_0.5to15m"
cp "$S/aif.png" "$T/photo.png"
depth=(--depth "$S/depth16.png" --depth-range 0.5:15 --depth-encoding linear --matte none)
# The photo unblurred (before any sidecar exists), then blurred: in focus the
# nearest tenth, everything beyond 0.3 fully blurred.
"$DM" render "$T/photo.png" -o "$T/sharp.png" --bits 8 --no-sidecar "${depth[@]}" >/dev/null 2>&1 \
  || fail "unblurred"
"$DM" render "$T/photo.png" -o "$T/plain.png" --bits 8 "${depth[@]}" --set lens_blur.amount=70 \
  --set lens_blur.focal_range=0,0,10,30 >/dev/null 2>"$T/err" || fail "plain: $(cat "$T/err")"

# refine SIDECAR ACTIVE AMOUNT: the photo's sidecar with one Focus set: a hard
# ellipse at (0.5, 0.35) (0.15 of the width and height across), painted with depth 0.05:
# the far gravel and wall there come into focus.
refine() {
  sed "s|</rdf:Description>\$|&|; 0,/<crs:LensBlur/s|<crs:LensBlur|<crs:DepthBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What=\"Correction\" crs:CorrectionActive=\"$2\" crs:CorrectionAmount=\"$3\" crs:LocalCorrectedDepth=\"0.05\"><crs:CorrectionMasks><rdf:Seq><rdf:li crs:What=\"Mask/CircularGradient\" crs:MaskActive=\"true\" crs:MaskBlendMode=\"0\" crs:MaskInverted=\"false\" crs:MaskValue=\"1\" crs:Top=\"0.2\" crs:Left=\"0.35\" crs:Bottom=\"0.5\" crs:Right=\"0.65\" crs:Angle=\"0\" crs:Midpoint=\"50\" crs:Roundness=\"0\" crs:Feather=\"0\" crs:Flipped=\"true\" crs:Version=\"2\"/></rdf:Seq></crs:CorrectionMasks></rdf:Description></rdf:li></rdf:Seq></crs:DepthBasedCorrections>&|" \
    "$T/photo.png.xmp" >"$1"
}
refine "$T/focus.xmp" true 1
grep -q "DepthBasedCorrections" "$T/focus.xmp" || fail "could not build the refine sidecar"
"$DM" render "$T/photo.png" -o "$T/focus.png" --bits 8 --recipe "$T/focus.xmp" --no-sidecar >/dev/null 2>"$T/err" \
  || fail "focus: $(cat "$T/err")"
[ -s "$T/err" ] && fail "refine strokes gave a warning: $(cat "$T/err")"

$PY - "$T" <<'PYEOF' && ok "the Focus disc is sharp, the rest as blurred" || fail "refine pixels"
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
def load(n):
    return np.asarray(Image.open(f"{t}/{n}.png")).astype(np.float64) / 255
plain, sharp, focus = load("plain"), load("sharp"), load("focus")
h, w = plain.shape[:2]
yy, xx = np.mgrid[0:h, 0:w]
cx, cy = 0.5 * w, 0.35 * h
rx, ry = 0.15 * w, 0.15 * h
d = ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2
inner, outer = d < 0.6, d > 2.5        # away from the disc's edge, where blur spreads across it
err_in = np.abs(focus - sharp)[inner].mean()
blur_in = np.abs(plain - sharp)[inner].mean()
err_out = np.abs(focus - plain)[outer].mean()
print(f"inside: |focus-sharp| {err_in:.5f} (plain blur {blur_in:.5f}); outside: |focus-plain| {err_out:.6f}")
ok = blur_in > 0.01 and err_in < blur_in / 10 and err_out < 1e-3
sys.exit(0 if ok else 1)
PYEOF

# Off, or amount 0: the plain blur, to the byte.
for spec in "false 1" "true 0"; do
  refine "$T/off.xmp" $spec
  "$DM" render "$T/photo.png" -o "$T/off.png" --bits 8 --recipe "$T/off.xmp" --no-sidecar >/dev/null 2>&1 \
    || fail "refine $spec"
  cmp -s "$T/off.png" "$T/plain.png" || fail "a refine set ($spec) changed the picture"
done

# The strokes are kept as written when the recipe is saved again.
cp "$T/focus.xmp" "$T/photo.png.xmp"
"$DM" render "$T/photo.png" -o "$T/again.png" --bits 8 --set lens_blur.boost=40 >/dev/null 2>"$T/err" \
  || fail "re-save: $(cat "$T/err")"
grep -q 'crs:LocalCorrectedDepth="0.05"' "$T/photo.png.xmp" || fail "refine strokes lost on rewrite"
# (what it adds: the sync IDs and mask names Lightroom writes, where the
# hand-made sidecar has none)
/usr/bin/python3 - "$T/focus.xmp" "$T/photo.png.xmp" <<'PYEOF' || fail "the refine XML changed on rewrite"
import re, sys
def block(f):
    m = re.search(r"<crs:DepthBasedCorrections>.*</crs:DepthBasedCorrections>", open(f).read(), re.S)
    return re.sub(r"> <", "><", re.sub(r"\s+", " ", m.group(0))) if m else ""
a, b = block(sys.argv[1]), block(sys.argv[2])
added = re.compile(r' crs:(CorrectionSyncID|MaskSyncID|MaskName)="[^"]*"')
if not a or added.sub("", b) != a:
    print(a, "\n", b)
    sys.exit(1)
PYEOF
ok "a rewrite keeps the refine strokes as Lightroom wrote them"

# The same Focus set made with --set refine[0]... (the editor's keys) renders
# the same picture, and its sidecar says LocalCorrectedDepth 0.05.
cp "$T/photo.png" "$T/keys.png"
"$DM" render "$T/keys.png" -o "$T/keys_out.png" --bits 8 "${depth[@]}" --set lens_blur.amount=70 \
  --set lens_blur.focal_range=0,0,10,30 --set refine[0].depth=5 \
  --set refine[0].mask[0].kind=radial_gradient --set refine[0].mask[0].top=0.2 \
  --set refine[0].mask[0].left=0.35 --set refine[0].mask[0].bottom=0.5 \
  --set refine[0].mask[0].right=0.65 --set refine[0].mask[0].feather=0 >/dev/null 2>"$T/err" \
  || fail "refine by keys: $(cat "$T/err")"
cmp -s "$T/keys_out.png" "$T/focus.png" || fail "refine[0] by --set renders differently from the sidecar's"
grep -q 'crs:LocalCorrectedDepth="0.05"' "$T/keys.png.xmp" || fail "no LocalCorrectedDepth 0.05 written"
"$DM" render "$T/keys.png" -o "$T/keys_again.png" --bits 8 "${depth[@]}" >/dev/null 2>"$T/err" \
  || fail "re-render: $(cat "$T/err")"
cmp -s "$T/keys_again.png" "$T/focus.png" || fail "the written refine set does not render the same"
ok "refine[0] by --set: the same picture, written to crs:DepthBasedCorrections and read back"
# A new set takes the middle of the focal range's sharp band (0,0,10,30: 5).
"$DM" render "$T/keys.png" -o "$T/new.png" --bits 8 "${depth[@]}" --set refine[1].name=Focus \
  >/dev/null 2>"$T/err" || fail "refine[1]: $(cat "$T/err")"
grep -q 'crs:CorrectionName="Focus"' "$T/keys.png.xmp" && [ "$(grep -c 'crs:LocalCorrectedDepth="0.05"' "$T/keys.png.xmp")" -ge 1 ] \
  || fail "refine[1] not written with its name and depth"
expect_error 2 "refine[0].amount: 150 is outside 0..100" -- \
  "$DM" render "$T/keys.png" -o "$T/bad.png" --set refine[0].amount=150
expect_error 2 "refine[5].depth: there are 2 refine stroke sets; refine[2] would add one" -- \
  "$DM" render "$T/keys.png" -o "$T/bad.png" --set refine[5].depth=10

# A stroke's depth outside 0..1 is refused, naming it.
sed 's/crs:LocalCorrectedDepth="0.05"/crs:LocalCorrectedDepth="1.5"/' "$T/focus.xmp" >"$T/bad.xmp"
expect_error 1 "crs:LocalCorrectedDepth in refine[0]: 1.5 is outside 0..1" -- \
  "$DM" render "$T/photo.png" -o "$T/bad.png" --recipe "$T/bad.xmp" --no-sidecar
expect_no_temp "$T"
finish
