# Bad input: one line `depthmask: FILE: problem`, exit 1 (2 for usage), no
# partial output, the input byte-identical.
. "$(dirname "$0")/lib.sh"

cp "$HOPPER" "$T/good.jpg"
cp "$COFFEE" "$T/coffee.png"
head -c 9000 "$HOPPER" >"$T/trunc.jpg"
head -c 300 "$HOPPER" >"$T/header-cut.jpg"
head -c 20000 "$COFFEE" >"$T/trunc.png"
head -c 300000 /dev/urandom >"$T/noise.jpg" 2>/dev/null || true
: >"$T/empty.png"
mkdir -p "$T/adir.jpg"
"$DM" render "$T/coffee.png" --no-sidecar -o "$T/coffee.tif" >/dev/null 2>&1 || fail "cannot make a TIFF"
head -c 100000 "$T/coffee.tif" >"$T/trunc.tif"
sums_before=$(sha256sum "$T"/*.jpg "$T"/*.png "$T"/*.tif 2>/dev/null)

for f in trunc.jpg trunc.png trunc.tif noise.jpg empty.png adir.jpg missing.jpg; do
  expect_error 1 "$T/$f: " -- "$DM" render "$T/$f" -o "$T/out-$f.tif"
  [ -e "$T/out-$f.tif" ] && fail "partial output left for $f"
  [ -e "$T/${f%.*}.xmp" ] && fail "sidecar written for bad input $f"
done
# info reads headers only (a 400 MP photo must not be decoded to list what it carries):
# a file cut inside its header is refused, one cut in its pixels is listed (render refuses it).
expect_error 1 "$T/header-cut.jpg: " -- "$DM" info "$T/header-cut.jpg"
"$DM" info "$T/trunc.jpg" >"$T/info" 2>&1 && grep -q "^size: *512 x 600" "$T/info" \
  || fail "info on a file cut in its pixels: $(cat "$T/info")"

# Sidecars: broken XML, wrong type, out of range.
hdr='<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" xmlns:dm="http://ns.depthmask.org/1.0/" dm:RecipeVersion="1"><crs:MaskGroupBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:CorrectionActive="true"'
tail='><crs:CorrectionMasks><rdf:Seq><rdf:li crs:What="Mask/CircularGradient" crs:MaskBlendMode="0" crs:MaskInverted="false" crs:MaskValue="1" crs:Top="0.2" crs:Left="0.2" crs:Bottom="0.8" crs:Right="0.8" crs:Angle="0" crs:Midpoint="50" crs:Roundness="0" crs:Feather="50" crs:Flipped="true"/></rdf:Seq></crs:CorrectionMasks></rdf:Description></rdf:li></rdf:Seq></crs:MaskGroupBasedCorrections></rdf:Description></rdf:RDF></x:xmpmeta>'
echo "$hdr crs:LocalExposure2012=\"0.1\"$tail" >"$T/ok.xmp"
echo "$hdr crs:LocalExposure2012=\"abc\"$tail" >"$T/type.xmp"
echo "$hdr crs:LocalExposure2012=\"2.5\"$tail" >"$T/range.xmp"
echo "$hdr crs:LocalExposure2012=\"0.1\"" >"$T/broken.xmp"
"$DM" render "$T/good.jpg" --recipe "$T/ok.xmp" --no-sidecar -o "$T/ok.tif" >/dev/null 2>"$T/err" \
  || fail "a valid hand-written recipe was refused: $(cat "$T/err")"
expect_error 1 "$T/type.xmp: " -- "$DM" render "$T/good.jpg" --recipe "$T/type.xmp" -o "$T/x1.tif"
grep -q "LocalExposure2012" "$T/stderr" || fail "wrong-type error does not name the field"
expect_error 1 "$T/range.xmp: " -- "$DM" render "$T/good.jpg" --recipe "$T/range.xmp" -o "$T/x2.tif"
grep -q "LocalExposure2012" "$T/stderr" || fail "out-of-range error does not name the field"
expect_error 1 "$T/broken.xmp: " -- "$DM" render "$T/good.jpg" --recipe "$T/broken.xmp" -o "$T/x3.tif"
# A broken sidecar beside the photo is reported too, and is not overwritten.
cp "$T/broken.xmp" "$T/good.xmp"
expect_error 1 "$T/good.xmp: " -- "$DM" render "$T/good.jpg" -o "$T/x4.tif"
cmp -s "$T/broken.xmp" "$T/good.xmp" || fail "a broken sidecar was overwritten"
rm -f "$T/good.xmp"
for x in x1 x2 x3 x4; do [ -e "$T/$x.tif" ] && fail "output written despite a bad recipe ($x)"; done

# A named depth or matte file that is missing or a folder is refused even
# when the recipe reads neither (no blur, no mask): a typo shows at once.
expect_error 1 "$T/nodepth.png: no such file" -- "$DM" render "$T/good.jpg" -o "$T/d1.tif" --no-sidecar \
  --no-cache --depth "$T/nodepth.png" --depth-range 1:5
expect_error 1 "$T/adir.jpg: is a directory" -- "$DM" render "$T/good.jpg" -o "$T/d2.tif" --no-sidecar \
  --no-cache --matte "$T/adir.jpg"
for x in d1 d2; do [ -e "$T/$x.tif" ] && fail "output written despite a missing depth or matte file ($x)"; done

# Usage errors: exit 2.
expect_error 2 "correction[0].nonsense" -- "$DM" render "$T/good.jpg" -o "$T/u1.tif" --set 'correction[0].nonsense=1'
expect_error 2 "correction[0].exposure" -- "$DM" render "$T/good.jpg" -o "$T/u2.tif" --set 'correction[0].exposure=9'
expect_error 2 "unknown option" -- "$DM" render "$T/good.jpg" --bogus
expect_error 2 "no input" -- "$DM" render
expect_error 2 "unknown command" -- "$DM" frobnicate
expect_error 2 "--format" -- "$DM" render "$T/good.jpg" --format gif
expect_error 2 "8-bit" -- "$DM" render "$T/good.jpg" -o "$T/u3.jpg" --bits 16
[ -e "$T/u1.tif" ] || [ -e "$T/u2.tif" ] && fail "output written despite a usage error"
[ -e "$T/good.xmp" ] && fail "sidecar written despite a usage error"

# Never write the input, even when asked to.
expect_error 1 "never written" -- "$DM" render "$T/good.jpg" -o "$T/good.jpg"
# An output folder that does not exist: error, nothing left.
expect_error 1 "$T/nodir/out.tif" -- "$DM" render "$T/good.jpg" --no-sidecar -o "$T/nodir/out.tif"

[ "$(sha256sum "$T"/*.jpg "$T"/*.png "$T"/*.tif 2>/dev/null | grep -v -e ok.tif -e coffee.tif)" = "$(echo "$sums_before" | grep -v coffee.tif)" ] \
  && ok "inputs unchanged" || fail "an input changed"
expect_no_temp "$T"
finish
