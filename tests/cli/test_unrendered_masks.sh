# A correction whose mask holds a component depthmask cannot render (a
# Lightroom kind it does not model, a typo in crs:What, a blend mode it does
# not know) is refused, naming the correction, the component and its type,
# in every mode; --skip-unknown-masks skips that correction with a warning;
# a switched-off component (MaskActive=false) is ignored without a word.
. "$(dirname "$0")/lib.sh"

cp "$HOPPER" "$T/hopper.jpg"

# sidecar FILE COMPONENT_XML: one correction "Background" at -0.7 EV whose
# mask is a radial gradient plus COMPONENT_XML.
sidecar() {
  cat >"$1" <<XMP
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/">
   <crs:MaskGroupBasedCorrections>
    <rdf:Seq>
     <rdf:li>
      <rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:CorrectionActive="true"
        crs:CorrectionName="Background" crs:LocalExposure2012="-0.175">
      <crs:CorrectionMasks>
       <rdf:Seq>
        <rdf:li crs:What="Mask/CircularGradient" crs:MaskActive="true" crs:MaskBlendMode="0"
         crs:MaskInverted="false" crs:MaskValue="1" crs:Top="0.1" crs:Left="0.1" crs:Bottom="0.9"
         crs:Right="0.9" crs:Angle="0" crs:Midpoint="50" crs:Roundness="0" crs:Feather="50"
         crs:Flipped="true" crs:Version="2"/>
        $2
       </rdf:Seq>
      </crs:CorrectionMasks>
      </rdf:Description>
     </rdf:li>
    </rdf:Seq>
   </crs:MaskGroupBasedCorrections>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
XMP
}

SKY='<rdf:li crs:What="Mask/Image" crs:MaskActive="true" crs:MaskBlendMode="0" crs:MaskInverted="false" crs:MaskValue="1" crs:MaskSubType="2"/>'
TYPO='<rdf:li crs:What="Mask/Gradent" crs:MaskBlendMode="0" crs:MaskValue="1" crs:ZeroX="0.5" crs:ZeroY="0.6" crs:FullX="0.5" crs:FullY="0.2"/>'
SUBTRACT='<rdf:li crs:What="Mask/Image" crs:MaskActive="true" crs:MaskBlendMode="1" crs:MaskInverted="false" crs:MaskValue="0" crs:MaskSubType="3"/>'
BLEND='<rdf:li crs:What="Mask/Gradient" crs:MaskActive="true" crs:MaskBlendMode="7" crs:MaskValue="1" crs:ZeroX="0.5" crs:ZeroY="0.6" crs:FullX="0.5" crs:FullY="0.2"/>'
OFF='<rdf:li crs:What="Mask/Image" crs:MaskActive="false" crs:MaskBlendMode="1" crs:MaskInverted="false" crs:MaskValue="0" crs:MaskSubType="2"/>'

# Reference: the radial gradient alone.
sidecar "$T/plain.xmp" ""
"$DM" render "$T/hopper.jpg" --recipe "$T/plain.xmp" --no-sidecar -o "$T/plain.tif" >/dev/null 2>"$T/err" \
  || fail "plain render: $(cat "$T/err")"
# And no correction at all.
"$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/none.tif" >/dev/null 2>"$T/err" || fail "no-edit render"

for name in SKY TYPO SUBTRACT BLEND; do
  sidecar "$T/$name.xmp" "${!name}"
  case $name in
    SKY | SUBTRACT) what="Mask/Image" ;;
    TYPO) what="Mask/Gradent" ;;
    BLEND) what="Mask/Gradient" ;;
  esac
  expect_error 1 "correction[0] \"Background\": mask[1] is a $what component" -- \
    "$DM" render "$T/hopper.jpg" --recipe "$T/$name.xmp" --no-sidecar -o "$T/$name.tif"
  [ -e "$T/$name.tif" ] && fail "$name: an output was written although the render was refused"
  expect_error 1 "mask[1] is a $what component" -- \
    "$DM" mask "$T/hopper.jpg" --recipe "$T/$name.xmp" -o "$T/$name-mask.png"
  # Asked to skip: the correction is skipped (the photo as with no edit) with one warning.
  "$DM" render "$T/hopper.jpg" --recipe "$T/$name.xmp" --no-sidecar --skip-unknown-masks \
    -o "$T/$name-skip.tif" >/dev/null 2>"$T/err" || fail "$name --skip-unknown-masks: $(cat "$T/err")"
  [ "$(grep -c 'warning: .*correction\[0\] "Background" skipped: mask\[1\] is a' "$T/err")" = 1 ] \
    || fail "$name: want one skip warning, got: $(cat "$T/err")"
  cmp -s "$T/$name-skip.tif" "$T/none.tif" || fail "$name: skipping the correction did not give the unedited photo"
done

# A switched-off component: kept, ignored, no warning; same as the gradient alone.
sidecar "$T/off.xmp" "$OFF"
"$DM" render "$T/hopper.jpg" --recipe "$T/off.xmp" --no-sidecar -o "$T/off.tif" >/dev/null 2>"$T/err" \
  || fail "switched-off component refused: $(cat "$T/err")"
[ -s "$T/err" ] && fail "switched-off component gave output on stderr: $(cat "$T/err")"
cmp -s "$T/off.tif" "$T/plain.tif" && ok "MaskActive=false ignored" || fail "a switched-off component changed the render"

# A correction that changes nothing (amount 0) is not refused for its mask.
sed 's/crs:CorrectionAmount="1"/crs:CorrectionAmount="0"/' "$T/SKY.xmp" >"$T/zero.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/zero.xmp" --no-sidecar -o "$T/zero.tif" >/dev/null 2>"$T/err" \
  || fail "amount 0 with an unrendered component refused: $(cat "$T/err")"

# Lightroom's global settings that are kept but not applied: one warning line naming the
# ones off their default (not the defaults, not the bookkeeping).
sed 's|crs:CorrectionName="Background"|&|; s|<rdf:Description rdf:about="" |<rdf:Description rdf:about="" crs:Exposure2012="+0.35" crs:Contrast2012="0" crs:WhiteBalance="As Shot" crs:Version="16.0" crs:HasCrop="True" crs:CropTop="0.1" crs:Vibrance="+0" crs:FutureSlider="3" |' \
  "$T/plain.xmp" >"$T/global.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/global.xmp" --no-sidecar -o "$T/global.tif" >/dev/null 2>"$T/err" \
  || fail "global settings: $(cat "$T/err")"
[ "$(grep -c warning "$T/err")" = 1 ] || fail "want one warning line, got: $(cat "$T/err")"
grep -q "Lightroom settings kept but not applied: Exposure2012=+0.35, HasCrop=True, CropTop=0.1, FutureSlider (unknown)$" "$T/err" \
  && ok "global settings named once" || fail "global warning: $(cat "$T/err")"
cmp -s "$T/global.tif" "$T/plain.tif" || fail "kept global settings changed the render"

# Local edits in Lightroom's forms before its masks: refused, or skipped when asked.
sed 's|</crs:MaskGroupBasedCorrections>|&<crs:PaintBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:LocalExposure="-0.5"/></rdf:li></rdf:Seq></crs:PaintBasedCorrections>|' \
  "$T/plain.xmp" >"$T/paint.xmp"
expect_error 1 "Lightroom edits depthmask cannot render (PaintBasedCorrections)" -- \
  "$DM" render "$T/hopper.jpg" --recipe "$T/paint.xmp" --no-sidecar -o "$T/paint.tif"
"$DM" render "$T/hopper.jpg" --recipe "$T/paint.xmp" --no-sidecar --skip-unknown-masks -o "$T/paint.tif" \
  >/dev/null 2>"$T/err" || fail "skip paint: $(cat "$T/err")"
grep -q "warning: .*rendered without the recipe's PaintBasedCorrections" "$T/err" || fail "no skip warning: $(cat "$T/err")"
# Lens Blur's refine strokes (rendered: tests/cli/test_refine.sh) whose mask we cannot
# render are refused while the lens blur is on, and ignored while it is off.
sed 's|</crs:MaskGroupBasedCorrections>|&<crs:DepthBasedCorrections><rdf:Seq><rdf:li><rdf:Description crs:What="Correction" crs:CorrectionAmount="1" crs:LocalCorrectedDepth="0.5"><crs:CorrectionMasks><rdf:Seq><rdf:li crs:What="Mask/Image" crs:MaskActive="true" crs:MaskBlendMode="0" crs:MaskValue="1" crs:MaskSubType="2"/></rdf:Seq></crs:CorrectionMasks></rdf:Description></rdf:li></rdf:Seq></crs:DepthBasedCorrections>|' \
  "$T/plain.xmp" >"$T/refine.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/refine.xmp" --no-sidecar -o "$T/refine.tif" >/dev/null 2>"$T/err" \
  || fail "refine strokes without lens blur: $(cat "$T/err")"
/usr/bin/python3 -c "from PIL import Image; Image.open('$HOPPER').convert('L').save('$T/grey.png')"
expect_error 1 "lens blur refine[0]: mask[0] is a Mask/Image component" -- "$DM" render "$T/hopper.jpg" \
  --recipe "$T/refine.xmp" --no-sidecar -o "$T/refine2.tif" --set lens_blur.amount=40 \
  --depth "$T/grey.png" --depth-encoding near01 --matte none

expect_no_temp "$T"
finish
