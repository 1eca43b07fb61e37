# render: outputs, sidecar beside the input, re-render from the sidecar gives
# identical pixels, originals untouched, exiftool reads the sidecar.
. "$(dirname "$0")/lib.sh"

cp "$HOPPER" "$T/hopper.jpg"
sum_before=$(sha256sum "$T/hopper.jpg" | cut -d' ' -f1)

"$DM" render "$T/hopper.jpg" -o "$T/a.tif" \
  --set 'correction[0].mask[0].kind=radial_gradient' --set 'correction[0].mask[0].invert=true' \
  --set 'correction[0].exposure=-0.7' --set 'correction[0].highlights=-40' \
  --set 'correction[1].mask[0].kind=luminance_range' --set 'correction[1].mask[0].luminance_range=20,40,100,100' \
  --set 'correction[1].exposure=0.3' --set 'correction[1].texture=10' >"$T/out" 2>"$T/err" \
  || fail "render failed: $(cat "$T/err")"
[ -s "$T/a.tif" ] || fail "no output TIFF"
[ -s "$T/hopper.jpg.xmp" ] || fail "no sidecar beside the input"
grep -qx "$T/a.tif" "$T/out" || fail "render did not print the output path"

# 16-bit, sRGB profile embedded.
if command -v exiftool >/dev/null; then
  bits=$(exiftool -s3 -BitsPerSample "$T/a.tif")
  [ "$bits" = "16 16 16" ] || fail "BitsPerSample is '$bits', want 16 16 16"
  desc=$(exiftool -s3 -ProfileDescription "$T/a.tif")
  case "$desc" in *sRGB*) ok "profile: $desc" ;; *) fail "profile description '$desc'" ;; esac
  # A real client reads the sidecar: Lightroom's scaling, EV / 4.
  exp=$(exiftool -s3 -struct -MaskGroupBasedCorrections "$T/hopper.jpg.xmp" | head -c 2000)
  echo "$exp" | grep -q "LocalExposure2012=-0.175" || fail "exiftool does not see LocalExposure2012=-0.175: $exp"
  echo "$exp" | grep -q "LocalHighlights2012=-0.4" || fail "exiftool does not see LocalHighlights2012=-0.4"
  echo "$exp" | grep -q "LocalExposure2012=0.075" || fail "exiftool does not see LocalExposure2012=0.075"
else
  fail "exiftool missing (setup.sh installs libimage-exiftool-perl)"
fi

# Re-render from the saved sidecar alone: identical pixels (identical bytes).
"$DM" render "$T/hopper.jpg" -o "$T/b.tif" >/dev/null 2>"$T/err" || fail "re-render failed: $(cat "$T/err")"
cmp -s "$T/a.tif" "$T/b.tif" && ok "re-render from sidecar is identical" || fail "re-render from the sidecar differs"
# And through --recipe with a copy of the sidecar somewhere else.
cp "$T/hopper.jpg.xmp" "$T/recipe-copy.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/recipe-copy.xmp" --no-sidecar -o "$T/c.tif" >/dev/null 2>"$T/err" \
  || fail "--recipe render failed: $(cat "$T/err")"
cmp -s "$T/a.tif" "$T/c.tif" || fail "--recipe render differs"

# Changing one slider changes the output and the sidecar, nothing else needed.
"$DM" render "$T/hopper.jpg" -o "$T/d.tif" --set 'correction[0].exposure=-1.2' >/dev/null 2>"$T/err" \
  || fail "slider change failed: $(cat "$T/err")"
cmp -s "$T/a.tif" "$T/d.tif" && fail "changing exposure did not change the output"
grep -q 'LocalExposure2012="-0.3' "$T/hopper.jpg.xmp" || fail "sidecar does not hold the new exposure"

# Default output name and the other formats.
"$DM" render "$T/hopper.jpg" --no-sidecar >/dev/null 2>"$T/err" || fail "default output: $(cat "$T/err")"
[ -s "$T/hopper-dm.tif" ] || fail "default output hopper-dm.tif missing"
for spec in "png 16 p3" "png 8 adobergb" "jpg 8 srgb" "tif 16 prophoto"; do
  set -- $spec
  "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/out.$1" --bits "$2" --profile "$3" >/dev/null 2>"$T/err" \
    || fail "render to $spec: $(cat "$T/err")"
  [ -s "$T/out.$1" ] || fail "no $spec output"
done

[ "$(sha256sum "$T/hopper.jpg" | cut -d' ' -f1)" = "$sum_before" ] && ok "original unchanged" \
  || fail "the original photo changed"
expect_no_temp "$T"
finish
