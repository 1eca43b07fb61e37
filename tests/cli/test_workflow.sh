# The retoucher's workflow end to end (issue 7): a real portrait, correction 0
# = Background with exposure -0.7 EV and highlights -40, correction 1 =
# Subject with exposure +0.2 and texture +10, lens blur from the fused depth
# -> 16-bit TIFF + sidecar. Then the client's change: only correction 0's
# exposure to -1.2 through --recipe + --set. Pixels outside the background
# mask (< 1/255) must be identical to the first render (to 1/255; bit for
# bit away from the outline), inside darker; the original is byte-identical
# throughout.
source "$DM_SOURCE_DIR/tests/cli/lib.sh"
PY=/usr/bin/python3
cp "$HOPPER" "$T/hopper.jpg"
sum0=$(sha256sum <"$T/hopper.jpg")
sets=(--set 'correction[0].name=Background' --set 'correction[0].mask[0].kind=background'
  --set 'correction[0].exposure=-0.7' --set 'correction[0].highlights=-40'
  --set 'correction[1].name=Subject' --set 'correction[1].mask[0].kind=subject'
  --set 'correction[1].exposure=0.2' --set 'correction[1].texture=10' --set 'lens_blur.amount=50')

"$DM" render "$T/hopper.jpg" -o "$T/v1.tif" "${sets[@]}" >/dev/null 2>"$T/err" || fail "render: $(cat "$T/err")"
[ -s "$T/hopper.jpg.xmp" ] || fail "no sidecar written"
grep -q 'MaskSubCategoryID="22"\|<crs:MaskSubCategoryID>22<' "$T/hopper.jpg.xmp" || fail "sidecar lacks the background mask"
# Provenance: where the depth came from, which networks (with their sha256), the fusion version.
grep -q 'dm:DepthSource="networks"' "$T/hopper.jpg.xmp" || fail "sidecar does not name the depth source"
grep -q 'dm:DepthModels="isnet[^ ]* [0-9a-f]\{64\}; fastdepth[^ ]* [0-9a-f]\{64\}"' "$T/hopper.jpg.xmp" \
  || fail "sidecar does not name the networks: $(grep -o 'dm:DepthModels="[^"]*"' "$T/hopper.jpg.xmp")"
grep -q 'dm:FusionVersion="fused-[0-9]*"' "$T/hopper.jpg.xmp" || fail "sidecar lacks the fusion version"
# A recipe saved with other networks warns (the depth may differ).
sed 's/\(dm:DepthModels="isnet[^ ]* \)[0-9a-f]/\1x/' "$T/hopper.jpg.xmp" >"$T/other-models.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/other-models.xmp" --no-sidecar -o "$T/om.tif" >/dev/null 2>"$T/err" \
  || fail "render with other recorded models: $(cat "$T/err")"
grep -q "warning: .*the recipe was saved with the networks isnet" "$T/err" && ok "changed networks warn" \
  || fail "no warning for changed networks: $(cat "$T/err")"
"$DM" mask "$T/hopper.jpg" -o "$T/bg.png" --correction 0 >"$T/mout" 2>"$T/err" || fail "mask: $(cat "$T/err")"
"$DM" mask "$T/hopper.jpg" -o "$T/subject.png" --correction 1 --overlay "$T/overlay.png" >/dev/null 2>"$T/err" ||
  fail "subject mask: $(cat "$T/err")"
grep -q "cached" "$T/mout" && ok "mask reuses the cached depth and matte" || fail "mask output: $(cat "$T/mout")"

# The client's change: one slider, from the saved sidecar.
cp "$T/hopper.jpg.xmp" "$T/saved.xmp"
"$DM" render "$T/hopper.jpg" --recipe "$T/saved.xmp" --set 'correction[0].exposure=-1.2' -o "$T/v2.tif" \
  --no-sidecar >/dev/null 2>"$T/err" || fail "re-render: $(cat "$T/err")"
cmp -s "$T/hopper.jpg.xmp" "$T/saved.xmp" || fail "--no-sidecar rewrote the sidecar"

$PY - "$T" <<'EOF' && ok "only the background changed, and it is darker" || fail "workflow pixels"
import sys
import numpy as np
import tifffile
from PIL import Image
t = sys.argv[1]
def load16(p):
    a = np.asarray(Image.open(p))
    return a.astype(np.float64) / (255 if a.dtype == np.uint8 else 65535)
bg = load16(f"{t}/bg.png")
subj = load16(f"{t}/subject.png")
r1, r2 = tifffile.imread(f"{t}/v1.tif"), tifffile.imread(f"{t}/v2.tif")
assert r1.dtype == r2.dtype == np.uint16, ("not 16-bit TIFFs", r1.dtype, r2.dtype)
v1, v2 = r1.astype(np.int64), r2.astype(np.int64)
assert v1.shape == v2.shape == (600, 512, 3), (v1.shape, v2.shape)
assert 0.15 < (bg >= 0.5).mean() < 0.85, (bg >= 0.5).mean()
assert np.abs(bg + subj - 1).mean() < 0.02, "background is not the complement of the subject"
outside = bg < 1 / 255
inside = bg > 0.5
diff = np.abs(v1 - v2).max(axis=2)
print(f"background mask covers {100 * inside.mean():.1f} %; outside it {outside.sum()} px, max diff {diff[outside].max()}")
assert outside.sum() > 10000
# Identical at 8-bit precision everywhere outside; in 16 bits the lens
# blur's soft-edge compositing and the mask's sub-1/255 tail move a few
# pixels along the outline by less than 1/255 (see the closing note).
assert diff[outside].max() < 257, "pixels outside the background mask changed"
print(f"outside: bit-identical {100 * (diff[outside] == 0).mean():.2f} %")
assert (diff[outside] == 0).mean() > 0.97
l1, l2 = v1[inside].mean(), v2[inside].mean()
print(f"inside: mean {l1:.0f} -> {l2:.0f}")
assert l2 < 0.95 * l1
assert (v2[inside].sum(axis=1) <= v1[inside].sum(axis=1)).mean() > 0.99
EOF
[ "$(sha256sum <"$T/hopper.jpg")" = "$sum0" ] && ok "original byte-identical" || fail "original changed"
[ -s "$T/overlay.png" ] || fail "no overlay"
expect_error 1 "no correction[5]" -- "$DM" mask "$T/hopper.jpg" -o "$T/x.png" --correction 5
expect_error 2 "--sample" -- "$DM" mask "$T/hopper.jpg" --sample 12
# The eyedropper on the subject: its range, and the one behind it, which
# selects the backdrop and leaves her out.
"$DM" mask "$T/hopper.jpg" --sample 256,350 >"$T/sample" 2>"$T/err" || fail "sample: $(cat "$T/err")"
far=$(sed -n 's/^subject.s range: [0-9]*,\([0-9]*\) .*/\1/p' "$T/sample")
behind=$(sed -n 's/^behind the subject: \([0-9]*\),100 .*/\1/p' "$T/sample")
if [ -n "$far" ] && [ -n "$behind" ] && [ "$behind" -gt "$far" ]; then
  ok "--sample gives the subject's range (to $far) and the one behind it ($behind,100)"
  "$DM" mask "$T/hopper.jpg" -o "$T/behind.png" --correction 2 --no-sidecar \
    --set 'correction[2].mask[0].kind=depth_range' --set "correction[2].mask[0].depth_range=$behind,100" \
    >/dev/null 2>"$T/err" || fail "behind mask: $(cat "$T/err")"
  "$DM" depth "$T/hopper.jpg" -o "$T/d.png" --matte-out "$T/matte.png" >/dev/null 2>&1 || fail "matte"
  /usr/bin/python3 - "$T" <<'PYEOF' && ok "the range behind the subject selects the backdrop, not her" || fail "behind range"
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
m = np.asarray(Image.open(f"{t}/behind.png")).astype(float) / 65535
s = np.asarray(Image.open(f"{t}/matte.png")).astype(float) / 65535
print(f"behind mask: {m[s > 0.9].mean():.3f} on the subject, {m[s < 0.1].mean():.3f} on the rest")
sys.exit(0 if m[s > 0.9].mean() < 0.05 and m[s < 0.1].mean() > 0.8 else 1)
PYEOF
else
  fail "--sample printed no subject range and range behind it: $(cat "$T/sample")"
fi
expect_no_temp "$T"
finish
