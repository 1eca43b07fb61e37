# render --long-edge PX (and batch's, passed on): the finished picture is
# averaged down to fit PX on its long side, aspect ratio kept, never
# enlarged; the average is taken in linear light (a flat grey stays the
# same grey). coffee.png is 600x400.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
cp "$COFFEE" "$T/coffee.png"
SETS=(--set 'correction[0].mask[0].kind=linear_gradient' --set 'correction[0].exposure=-0.5')
"$DM" render "$T/coffee.png" -o "$T/small.png" --bits 8 --no-sidecar "${SETS[@]}" --long-edge 300 >/dev/null 2>"$T/err" \
  || fail "render --long-edge: $(cat "$T/err")"
"$DM" render "$T/coffee.png" -o "$T/full.png" --bits 8 --no-sidecar "${SETS[@]}" >/dev/null 2>"$T/err" || fail "full"
"$DM" render "$T/coffee.png" -o "$T/big.png" --bits 8 --no-sidecar "${SETS[@]}" --long-edge 5000 >/dev/null 2>&1
"$PY" - "$T" <<'PYEOF' && ok "--long-edge 300 gives 300x200, the full render's picture averaged; 5000 leaves 600x400" \
  || fail "--long-edge sizes or picture"
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
small, full, big = (Image.open(f"{t}/{n}.png") for n in ("small", "full", "big"))
ok = small.size == (300, 200) and big.size == (600, 400)
# the full render averaged 2x2 in linear light, back to sRGB, against the small one
f = np.asarray(full).astype(np.float64) / 255
lin = np.where(f <= 0.04045, f / 12.92, ((f + 0.055) / 1.055) ** 2.4)
avg = lin.reshape(200, 2, 300, 2, 3).mean(axis=(1, 3))
srgb = np.where(avg <= 0.0031308, avg * 12.92, 1.055 * avg ** (1 / 2.4) - 0.055) * 255
diff = np.abs(srgb - np.asarray(small).astype(np.float64))
print(f"mean |difference| {diff.mean():.3f}/255, max {diff.max():.1f}/255")
sys.exit(0 if ok and diff.mean() < 1.0 else 1)
PYEOF
expect_error 2 "--long-edge must be 16 to 65535 pixels" -- "$DM" render "$T/coffee.png" -o "$T/x.png" --long-edge 3
"$DM" render "$T/coffee.png" -o "$T/p.png" --bits 8 "${SETS[@]}" --sidecar "$T/look.xmp" >/dev/null 2>&1
"$DM" batch "$T/coffee.png" --preset "$T/look.xmp" -o "$T/b" --format png --bits 8 --long-edge 300 --sidecars none \
  >/dev/null 2>"$T/err" || fail "batch: $(cat "$T/err")"
cmp -s "$T/b/coffee-dm.png" "$T/small.png" && ok "batch --long-edge writes render's file" || fail "batch --long-edge differs"
finish
