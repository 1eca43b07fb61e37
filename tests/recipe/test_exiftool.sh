#!/usr/bin/env bash
# A real XMP client reads our sidecar: exiftool (Debian libimage-exiftool-perl)
# must report LocalExposure2012 and the other Lightroom fields with the values
# written, per correction and per mask component, and must be able to read a
# Lightroom sidecar we rewrote. The sample comes from recipe_test_xmp_sample
# (tests/recipe/test_xmp_sample.c), which lists the values checked here.
set -euo pipefail
: "${DM_BUILD_DIR:?}" "${DM_SOURCE_DIR:?}"
command -v exiftool >/dev/null || { echo "exiftool missing (apt-get install libimage-exiftool-perl)"; exit 1; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 1; }
tmp="$DM_BUILD_DIR/test-tmp/recipe_exiftool"
rm -rf "$tmp" && mkdir -p "$tmp"
sample="$DM_BUILD_DIR/recipe_test_xmp_sample"
[ -x "$sample" ] || { echo "build recipe_test_xmp_sample first"; exit 1; }
"$sample" "$tmp/photo.xmp" >/dev/null

exiftool -struct -j "$tmp/photo.xmp" > "$tmp/photo.json"
python3 - "$tmp/photo.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))[0]
fail = []
def expect(what, got, want):
    if got != want:
        fail.append(f"{what}: exiftool says {got!r}, we wrote {want!r}")
expect("XMP-dm RecipeVersion", d.get("RecipeVersion"), 1)
expect("ProcessVersion", d.get("ProcessVersion"), 11.0)
c = d.get("MaskGroupBasedCorrections", [])
expect("corrections", len(c), 2)
if len(c) == 2:
    a, b = c
    expect("[0] What", a.get("What"), "Correction")
    expect("[0] CorrectionName", a.get("CorrectionName"), "Background")
    expect("[0] CorrectionAmount", a.get("CorrectionAmount"), 0.8)
    expect("[0] LocalExposure2012", a.get("LocalExposure2012"), -0.175)
    expect("[0] LocalHighlights2012", a.get("LocalHighlights2012"), -0.4)
    expect("[0] LocalClarity2012", a.get("LocalClarity2012"), -0.3)
    m = a.get("CorrectionMasks", [])
    expect("[0] components", len(m), 2)
    if len(m) == 2:
        expect("[0][0] What", m[0].get("What"), "Mask/CircularGradient")
        for k, v in (("Top", 0.1), ("Left", 0.2), ("Bottom", 0.9), ("Right", 0.8), ("Feather", 60),
                     ("MaskInverted", True), ("Flipped", False), ("MaskBlendMode", 0)):
            expect(f"[0][0] {k}", m[0].get(k), v)
        expect("[0][1] What", m[1].get("What"), "Mask/RangeMask")
        expect("[0][1] MaskBlendMode", m[1].get("MaskBlendMode"), 1)   # intersect =
        expect("[0][1] MaskInverted", m[1].get("MaskInverted"), True)  # subtract of inverted
        r = m[1].get("CorrectionRangeMask", {})
        expect("[0][1] Type", r.get("Type"), 2)
        expect("[0][1] LumRange", r.get("LumRange"), "0.200000 0.400000 0.600000 0.800000")
    expect("[1] CorrectionName", b.get("CorrectionName"), "Face")
    expect("[1] LocalExposure2012", b.get("LocalExposure2012"), 0.05)
    expect("[1] LocalTemperature", b.get("LocalTemperature"), 0.08)
    m = b.get("CorrectionMasks", [])
    expect("[1] components", len(m), 2)
    if len(m) == 2:
        expect("[1][0] What", m[0].get("What"), "Mask/Gradient")
        for k, v in (("ZeroX", 0.5), ("ZeroY", 0.7), ("FullX", 0.5), ("FullY", 0.3)):
            expect(f"[1][0] {k}", m[0].get(k), v)
        expect("[1][1] What", m[1].get("What"), "dm:File")
        expect("[1][1] MaskBlendMode", m[1].get("MaskBlendMode"), 1)
        expect("[1][1] MaskValue", m[1].get("MaskValue"), 0)
lb = d.get("LensBlur", {})
expect("LensBlur Version", lb.get("Version"), 1)
expect("LensBlur Active", lb.get("Active"), True)
expect("LensBlur BlurAmount", lb.get("BlurAmount"), 70)
expect("LensBlur FocalRange", lb.get("FocalRange"), "0 0 35 60")
expect("LensBlur FocalRangeSource", lb.get("FocalRangeSource"), 3)
expect("LensBlur HighlightsBoost", lb.get("HighlightsBoost"), 30)
expect("LensBlur HighlightsThreshold", lb.get("HighlightsThreshold"), 50)
expect("LensBlur CatEyeScale", lb.get("CatEyeScale"), 100)
dl = d.get("LensBlurSettings", {})
expect("dm:LensBlurSettings mode", dl.get("Mode"), "physical")
expect("dm:LensBlurSettings f_mm", dl.get("F_mm"), 85)
for f in fail:
    print("FAIL", f)
sys.exit(1 if fail else 0)
PY

# exiftool reads the file without errors (lower-case booleans inside
# MaskGroupBasedCorrections are Lightroom's own spelling: minor warnings only).
if exiftool -validate -warning -error -a "$tmp/photo.xmp" | grep -v '\[minor\]' | grep -qi 'error\|warning  *: [^\[]'; then
  echo "FAIL: exiftool reports problems:"; exiftool -validate -warning -error -a "$tmp/photo.xmp"; exit 1
fi

# A Lightroom sidecar read and rewritten by us still reads the same in exiftool,
# apart from our own dm:RecipeVersion and dm:ProcessVersion.
cp "$DM_SOURCE_DIR/tests/recipe/fixtures/lightroom_masks.xmp" "$tmp/lr.xmp"
exiftool -struct -j -G1 "$tmp/lr.xmp" | grep -v '"SourceFile"\|"System:' > "$tmp/lr_before.json"
"$DM_BUILD_DIR/recipe_test_xmp_sample" --rewrite "$tmp/lr.xmp" >/dev/null
exiftool -struct -j -G1 "$tmp/lr.xmp" | grep -v '"SourceFile"\|"System:\|"XMP-dm:RecipeVersion"\|"XMP-dm:ProcessVersion"' > "$tmp/lr_after.json"
if ! diff -u "$tmp/lr_before.json" "$tmp/lr_after.json"; then
  echo "FAIL: exiftool sees a different Lightroom sidecar after our rewrite"; exit 1
fi
# The same for a Lightroom sidecar with a Lens Blur: every crs:LensBlur field
# (Lightroom's own ones we do not model included) reads the same after our
# rewrite.
cp "$DM_SOURCE_DIR/tests/recipe/fixtures/lightroom_lens_blur.xmp" "$tmp/lrb.xmp"
exiftool -struct -j -G1 "$tmp/lrb.xmp" | grep -v '"SourceFile"\|"System:' > "$tmp/lrb_before.json"
grep -q '"BlurAmount": 63' "$tmp/lrb_before.json" || { echo "FAIL: exiftool does not see the fixture's LensBlur"; exit 1; }
"$DM_BUILD_DIR/recipe_test_xmp_sample" --rewrite "$tmp/lrb.xmp" >/dev/null
exiftool -struct -j -G1 "$tmp/lrb.xmp" | grep -v '"SourceFile"\|"System:\|"XMP-dm:RecipeVersion"\|"XMP-dm:ProcessVersion"' > "$tmp/lrb_after.json"
if ! diff -u "$tmp/lrb_before.json" "$tmp/lrb_after.json"; then
  echo "FAIL: exiftool sees a different Lens Blur after our rewrite"; exit 1
fi
# Depth Range, Select Subject and Select Background (issue 7) as Lightroom
# stores them; the sample and its values are in tests/recipe/test_lightroom_depth.c.
depth="$DM_BUILD_DIR/recipe_test_lightroom_depth"
[ -x "$depth" ] || { echo "build recipe_test_lightroom_depth first"; exit 1; }
"$depth" "$tmp/depth.xmp" >/dev/null
exiftool -struct -j "$tmp/depth.xmp" > "$tmp/depth.json"
python3 - "$tmp/depth.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))[0]
fail = []
def expect(what, got, want):
    if got != want or type(got) != type(want):
        fail.append(f"{what}: exiftool says {got!r}, we wrote {want!r}")
def fields(where, obj, want):
    for k, v in want.items():
        expect(f"{where} {k}", obj.get(k), v)
c = d.get("MaskGroupBasedCorrections", [])
expect("corrections", len(c), 2)
if len(c) == 2:
    m = c[0].get("CorrectionMasks", [])
    expect("[0] components", len(m), 2)
    if len(m) == 2:
        fields("[0][0]", m[0], {"What": "Mask/RangeMask", "MaskBlendMode": 0, "MaskInverted": False,
                                "MaskValue": 1})
        fields("[0][0] CorrectionRangeMask", m[0].get("CorrectionRangeMask", {}),
               {"Type": 3, "DepthMin": 0.2, "DepthMax": 0.45, "DepthFeather": 0.3, "Invert": False})
        # intersect = subtract of the inverted subject
        fields("[0][1]", m[1], {"What": "Mask/Image", "MaskSubType": 1, "MaskBlendMode": 1,
                                "MaskInverted": True, "MaskValue": 0})
        expect("[0][1] no MaskSubCategoryID", "MaskSubCategoryID" in m[1], False)
    m = c[1].get("CorrectionMasks", [])
    expect("[1] components", len(m), 2)
    if len(m) == 2:
        fields("[1][0]", m[0], {"What": "Mask/Image", "MaskSubType": 0, "MaskSubCategoryID": 22,
                                "MaskBlendMode": 0, "MaskInverted": False, "MaskValue": 0.8})
        fields("[1][1]", m[1], {"What": "Mask/RangeMask", "MaskBlendMode": 1, "MaskInverted": False,
                                "MaskValue": 0.75})
        fields("[1][1] CorrectionRangeMask", m[1].get("CorrectionRangeMask", {}),
               {"Type": 3, "DepthMin": 0, "DepthMax": 0.125, "DepthFeather": 0})
for f in fail:
    print("FAIL", f)
sys.exit(1 if fail else 0)
PY
if exiftool -validate -warning -error -a "$tmp/depth.xmp" | grep -v '\[minor\]' | grep -qi 'error\|warning  *: [^\[]'; then
  echo "FAIL: exiftool reports problems:"; exiftool -validate -warning -error -a "$tmp/depth.xmp"; exit 1
fi
# The hand-written Lightroom-style depth sidecar reads the same in exiftool
# after our rewrite (DepthSampleInfo, MaskDigest, ErrorReason included).
cp "$DM_SOURCE_DIR/tests/recipe/fixtures/lightroom_depth.xmp" "$tmp/lrd.xmp"
# (trailing commas dropped: dm:RecipeVersion is the last field after the rewrite)
exiftool -struct -j -G1 "$tmp/lrd.xmp" | grep -v '"SourceFile"\|"System:' | sed 's/,$//' > "$tmp/lrd_before.json"
grep -q '"DepthSampleInfo": "0.331 0.612305 0.418945"' "$tmp/lrd_before.json" || { echo "FAIL: exiftool does not see the fixture's DepthSampleInfo"; exit 1; }
"$DM_BUILD_DIR/recipe_test_xmp_sample" --rewrite "$tmp/lrd.xmp" >/dev/null
exiftool -struct -j -G1 "$tmp/lrd.xmp" | grep -v '"SourceFile"\|"System:\|"XMP-dm:RecipeVersion"\|"XMP-dm:ProcessVersion"' | sed 's/,$//' > "$tmp/lrd_after.json"
if ! diff -u "$tmp/lrd_before.json" "$tmp/lrd_after.json"; then
  echo "FAIL: exiftool sees a different depth sidecar after our rewrite"; exit 1
fi
echo "recipe/exiftool: exiftool $(exiftool -ver) reads what we write"
