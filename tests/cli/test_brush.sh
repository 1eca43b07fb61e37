# Brush masks end to end on a real photo (skimage's coffee, 600 x 400, CC0):
# a brush built with --set (in a shuffled order) that brightens one hard
# disc of radius 0.1 x 600 = 60 px around the centre: pixels inside are
# brighter, pixels outside are bit-identical to an unedited render; the
# sidecar holds a Lightroom brush (Mask/Aggregate of Mask/Paint) that
# exiftool reads and that re-renders to the same bytes. Then a hand-written
# Lightroom brush with an eraser stroke: its mask is the ring worked out on
# paper. Bad brush keys fail with one line; Camera Raw's opaque brush table
# is refused, never rendered on the whole photo.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

cp "$COFFEE" "$T/coffee.png"
"$DM" render "$T/coffee.png" --no-sidecar -o "$T/none.tif" >/dev/null 2>"$T/err" || fail "plain render: $(cat "$T/err")"

"$DM" render "$T/coffee.png" -o "$T/disc.tif" \
  --set 'correction[0].mask[0].stroke[0].dabs=0.5,0.5' --set 'correction[0].exposure=1' \
  --set 'correction[0].mask[0].stroke[0].feather=0' --set 'correction[0].mask[0].kind=brush' \
  --set 'correction[0].mask[0].stroke[0].radius=0.1' --set 'correction[0].name=Disc' >/dev/null 2>"$T/err" \
  || fail "brush render: $(cat "$T/err")"
[ -s "$T/coffee.png.xmp" ] || [ -s "$T/coffee.xmp" ] || fail "no sidecar"
SIDECAR=$(ls "$T"/coffee*.xmp | head -1)

$PY - "$T" <<'EOF' && ok "inside the disc brighter, outside bit-identical" || fail "disc pixels"
import sys
import numpy as np
import tifffile
t = sys.argv[1]
a = tifffile.imread(f"{t}/disc.tif").astype(np.int64)
n = tifffile.imread(f"{t}/none.tif").astype(np.int64)
assert a.shape == n.shape == (400, 600, 3), (a.shape, n.shape)
yy, xx = np.mgrid[0:400, 0:600]
d = np.hypot(xx + 0.5 - 300, yy + 0.5 - 200)  # the dab at (0.5 W, 0.5 H), R = 0.1 x 600
inside, outside = d <= 59, d > 60.5
diff = (a - n).sum(axis=2)
assert (diff[outside] == 0).all(), ("changed outside", np.count_nonzero(diff[outside]))
assert (a[outside] == n[outside]).all()
assert (diff[inside] > 0).all(), ("not brighter inside", np.count_nonzero(diff[inside] <= 0))
# +1 EV in linear light: about twice the linear value where nothing clips.
print("inside: mean 16-bit gain %.0f over %d pixels" % (diff[inside].mean() / 3, inside.sum()))
EOF

grep -q 'crs:What="Mask/Aggregate"' "$SIDECAR" && grep -q 'crs:What="Mask/Paint"' "$SIDECAR" \
  && grep -q '<rdf:li>d 0.500000 0.500000</rdf:li>' "$SIDECAR" && grep -q 'crs:CenterWeight="1"' "$SIDECAR" \
  && grep -q 'crs:Radius="0.1"' "$SIDECAR" || fail "sidecar lacks the Lightroom brush: $(cat "$SIDECAR")"
if command -v exiftool >/dev/null; then
  st=$(exiftool -s3 -struct -MaskGroupBasedCorrections "$SIDECAR" | head -c 3000)
  echo "$st" | grep -q "Masks=\[{CenterWeight=1,Dabs=\[d 0.500000 0.500000\],Flow=1," \
    && echo "$st" | grep -q "Radius=0.1,What=Mask/Paint" && ok "exiftool reads the brush" \
    || fail "exiftool does not see the brush: $st"
else
  fail "exiftool missing (setup.sh installs libimage-exiftool-perl)"
fi
"$DM" render "$T/coffee.png" -o "$T/again.tif" >/dev/null 2>"$T/err" || fail "re-render: $(cat "$T/err")"
cmp -s "$T/disc.tif" "$T/again.tif" && ok "re-render from the sidecar is identical" || fail "re-render differs"

# A Lightroom brush written by hand: a hard disc of R = 60 px, then an
# eraser of R = 30 px on it: a ring (CenterWeight 1 = feather 0).
paint() { # MASKVALUE RADIUS
  echo "<rdf:li><rdf:Description crs:What=\"Mask/Paint\" crs:MaskActive=\"true\" crs:MaskBlendMode=\"0\"
   crs:MaskInverted=\"false\" crs:MaskValue=\"$1\" crs:Radius=\"$2\" crs:Flow=\"1\" crs:CenterWeight=\"1\">
   <crs:Dabs><rdf:Seq><rdf:li>d 0.500000 0.500000</rdf:li></rdf:Seq></crs:Dabs></rdf:Description></rdf:li>"
}
sidecar() { # FILE AGGREGATE_ATTRIBUTES INSIDE
  cat >"$1" <<XMP
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">
   <crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li>
    <rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:CorrectionActive="true"
      crs:CorrectionName="Ring" crs:LocalExposure2012="0.25">
    <crs:CorrectionMasks><rdf:Seq><rdf:li>
     <rdf:Description crs:What="Mask/Aggregate" crs:MaskActive="true" crs:MaskName="Brush 1"
      crs:MaskBlendMode="0" crs:MaskInverted="false" crs:MaskValue="1" $2>$3</rdf:Description>
    </rdf:li></rdf:Seq></crs:CorrectionMasks>
    </rdf:Description>
   </rdf:li></rdf:Seq></crs:MaskGroupBasedCorrections>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
XMP
}
sidecar "$T/ring.xmp" "" "<crs:Masks><rdf:Seq>$(paint 1 0.1)$(paint 0 0.05)</rdf:Seq></crs:Masks>"
"$DM" mask "$T/coffee.png" --recipe "$T/ring.xmp" -o "$T/ring.png" >/dev/null 2>"$T/err" || fail "ring mask: $(cat "$T/err")"
"$DM" render "$T/coffee.png" --recipe "$T/ring.xmp" --no-sidecar -o "$T/ring.tif" >/dev/null 2>"$T/err" \
  || fail "ring render: $(cat "$T/err")"
$PY - "$T" <<'EOF' && ok "the ring: painted 30..60 px, erased inside, untouched outside" || fail "ring"
import sys
import numpy as np
import tifffile
from PIL import Image
t = sys.argv[1]
m = np.asarray(Image.open(f"{t}/ring.png")).astype(np.float64) / 65535
yy, xx = np.mgrid[0:400, 0:600]
d = np.hypot(xx + 0.5 - 300, yy + 0.5 - 200)
ring = (d > 30) & (d <= 60)
assert (m[ring] == 1).all() and (m[~ring] == 0).all(), (m[ring].min(), m[~ring].max())
r = tifffile.imread(f"{t}/ring.tif").astype(np.int64)
n = tifffile.imread(f"{t}/none.tif").astype(np.int64)
assert (r[~ring] == n[~ring]).all(), "changed outside the ring"
assert ((r - n).sum(axis=2)[ring] > 0).all(), "the ring is not brighter"
EOF

# Bad brush keys: one line, exit 2, nothing written (on a copy with no
# sidecar: coffee.png's sidecar already holds a brush of one stroke).
cp "$COFFEE" "$T/fresh.png"
expect_error 2 "correction[0].mask[0].stroke[0].dabs: expected x,y pairs" -- \
  "$DM" render "$T/fresh.png" --no-sidecar -o "$T/bad.tif" --set 'correction[0].mask[0].kind=brush' \
  --set 'correction[0].mask[0].stroke[0].dabs=0.5,0.5,0.6'
expect_error 2 "belongs to the brush's strokes" -- \
  "$DM" render "$T/fresh.png" --no-sidecar -o "$T/bad.tif" --set 'correction[0].mask[0].kind=brush' \
  --set 'correction[0].mask[0].radius=0.1'
expect_error 2 "the brush has 0 strokes; stroke[0] would add one" -- \
  "$DM" render "$T/fresh.png" --no-sidecar -o "$T/bad.tif" --set 'correction[0].mask[0].kind=brush' \
  --set 'correction[0].mask[0].stroke[1].dabs=0.5,0.5'
[ -e "$T/bad.tif" ] && fail "a refused render wrote an output"

# A malformed Lightroom brush: exit 1 naming the file and the field.
sidecar "$T/badtoken.xmp" "" "<crs:Masks><rdf:Seq>$(paint 1 0.1 | sed 's/d 0.500000 0.500000/d 0.5/')</rdf:Seq></crs:Masks>"
expect_error 1 "crs:Dabs in correction[0].mask[0].stroke[0], entry 0: \"d 0.5\": expected 2 numbers" -- \
  "$DM" render "$T/coffee.png" --recipe "$T/badtoken.xmp" --no-sidecar -o "$T/bad.tif"

# Camera Raw's opaque brush (with erasing): kept, and refused, not drawn.
rm -f "$T/bad.tif"
sidecar "$T/table.xmp" 'crs:MaskBrushTable="9F8737DEECAFF5C8FE6BB4B9D438EAF2" crs:MaskBrushUncompressedBytes="13258"' ""
expect_error 1 "correction[0] \"Ring\": mask[0] is a Mask/Aggregate component" -- \
  "$DM" render "$T/coffee.png" --recipe "$T/table.xmp" --no-sidecar -o "$T/bad.tif"
[ -e "$T/bad.tif" ] && fail "the opaque brush was rendered"

expect_no_temp "$T"
finish
