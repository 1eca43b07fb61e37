# depthmask depth and info through the CLI (issue 6): a real portrait gets a
# 16-bit depth map (0 = near) whose subject is nearer than its background,
# a heat map, a matte and a confidence map; the second run comes from the
# cache and is identical; embedded depth is listed and used; a depth file
# wins; bad input gives one line; the original is never written.
source "$DM_SOURCE_DIR/tests/cli/lib.sh"
PY=/usr/bin/python3
C="$T/cache"
cp "$HOPPER" "$T/hopper.jpg"
sum0=$(sha256sum <"$T/hopper.jpg")

"$DM" depth "$T/hopper.jpg" -o "$T/d.png" --viz "$T/heat.png" --matte-out "$T/m.png" \
  --confidence-out "$T/c.png" --cache "$C" >"$T/out1" 2>"$T/err" || fail "depth: $(cat "$T/err")"
grep -q "^depth: .*network" "$T/out1" || fail "depth source not reported: $(cat "$T/out1")"
grep -q "^confidence: " "$T/out1" || fail "confidence not reported: $(cat "$T/out1")"
$PY - "$T" <<'EOF' || fail "depth outputs"
import sys
import numpy as np
from PIL import Image
t = sys.argv[1]
d, m, c = (Image.open(f"{t}/{n}.png") for n in ("d", "m", "c"))
assert d.mode.startswith("I;16") or d.mode == "I", d.mode
assert d.size == m.size == c.size == (512, 600), (d.size, m.size, c.size)
d = np.asarray(d, np.float64) / 65535
m = np.asarray(m, np.float64) / 65535
h = Image.open(f"{t}/heat.png")
# the map, and its colour bar under it
assert h.mode == "RGB" and h.size[0] == 512 and 600 < h.size[1] < 650, (h.mode, h.size)
h = h.crop((0, 0, 512, 600))
subject, rest = d[m >= 0.5].mean(), d[m < 0.5].mean()
print(f"matte covers {100 * (m >= 0.5).mean():.1f} %; mean depth subject {subject:.3f}, rest {rest:.3f}")
assert 0.15 < (m >= 0.5).mean() < 0.9
assert subject + 0.1 < rest, "the subject is not nearer than its background"
# The heat map is warm (yellow) where near, dark where far.
h = np.asarray(h, np.float64)
assert h[m >= 0.5].mean() > h[m < 0.5].mean()
EOF
ok "depth, heat map, matte and confidence of a portrait"

"$DM" depth "$T/hopper.jpg" -o "$T/d2.png" --cache "$C" >"$T/out2" 2>"$T/err" || fail "depth again: $(cat "$T/err")"
grep -q "(cached)" "$T/out2" && ok "second run from the cache" || fail "second run not cached: $(cat "$T/out2")"
cmp -s "$T/d.png" "$T/d2.png" && ok "cached depth identical" || fail "cached depth differs"
"$DM" info "$T/hopper.jpg" >"$T/info" 2>"$T/err" || fail "info: $(cat "$T/err")"
grep -q "^embedded: *no depth or matte" "$T/info" || fail "info embedded: $(cat "$T/info")"
XDG_CACHE_HOME="$T" "$DM" info "$T/hopper.jpg" | grep -q "not computed yet" || fail "info on an empty cache"
XDG_CACHE_HOME="$T" "$DM" depth "$T/hopper.jpg" -o "$T/d3.png" >/dev/null 2>"$T/err" || fail "xdg depth: $(cat "$T/err")"
XDG_CACHE_HOME="$T" "$DM" info "$T/hopper.jpg" >"$T/info2"
grep -q "^confidence: " "$T/info2" && [ -d "$T/depthmask" ] && ok "info reports the cached confidence (XDG cache)" ||
  fail "info after depth: $(cat "$T/info2")"

# A depth file wins, and is normalised (linear metres -> near01).
S="$DM_SOURCE_DIR/../shared/dof-eval/scenes/dev1_chelsea_1.2m_bg5m_lights"
"$DM" depth "$S/aif.png" -o "$T/f.png" --depth "$S/depth16.png" --depth-range 1.2:5 \
  --depth-encoding linear --matte none >/dev/null 2>"$T/err" || fail "depth file: $(cat "$T/err")"
$PY - "$T" "$S" <<'EOF' && ok "depth file normalised to near01" || fail "depth file"
import sys
import numpy as np
from PIL import Image
t, s = sys.argv[1:]
z = 1.2 + np.asarray(Image.open(f"{s}/depth16.png"), np.float64) / 65535 * (5 - 1.2)
want = (1 / 1.2 - 1 / z) / (1 / 1.2 - 1 / 5)
got = np.asarray(Image.open(f"{t}/f.png"), np.float64) / 65535
assert np.abs(got - want).max() < 2e-4, np.abs(got - want).max()
EOF

# Embedded depth (a GDepth JPEG the embedded-depth tests build from a real
# photo and its true depth) is listed by info and used by --depth auto.
if "$DM_BUILD_DIR/depth_test_embedded_jpeg" --write-seeds "$T/seeds" >/dev/null 2>"$T/err"; then
  g=$(ls "$T"/seeds/*gdepth*.jpg 2>/dev/null | head -n 1)
  if [ -n "$g" ]; then
    "$DM" info "$g" >"$T/ginfo" 2>"$T/err" || fail "info gdepth: $(cat "$T/err")"
    grep -q "^embedded: *depth (GDepth" "$T/ginfo" && ok "info lists GDepth" || fail "info: $(cat "$T/ginfo")"
    "$DM" depth "$g" -o "$T/g.png" --matte none --cache "$C" >"$T/gout" 2>"$T/err" || fail "gdepth: $(cat "$T/err")"
    grep -qi "gdepth" "$T/gout" && ok "--depth auto uses the embedded depth" || fail "gdepth source: $(cat "$T/gout")"
    "$DM" depth "$g" -o "$T/g2.png" --depth ai --matte none --cache "$C" >"$T/gout2" 2>"$T/err" || fail "ai: $(cat "$T/err")"
    grep -q "network" "$T/gout2" && ok "--depth ai ignores it" || fail "ai source: $(cat "$T/gout2")"
  else
    fail "no GDepth seed written: $(ls "$T/seeds")"
  fi
else
  fail "depth_test_embedded_jpeg --write-seeds: $(cat "$T/err")"
fi

# Bad input and usage.
cp "$COFFEE" "$T/coffee.png"
expect_error 1 "no usable depth" -- "$DM" depth "$T/coffee.png" -o "$T/x1.png" --depth embedded --cache "$C"
expect_error 2 "-o" -- "$DM" depth "$T/coffee.png"
expect_error 2 "depth takes" -- "$DM" depth "$T/coffee.png" -o "$T/x2.png" --set exposure=1
expect_error 1 ".png or .tif" -- "$DM" depth "$T/coffee.png" -o "$T/x3.jpg" --matte none --cache "$C"
expect_error 1 "originals are never written" -- "$DM" depth "$T/coffee.png" -o "$T/coffee.png"
printf 'not a photo' >"$T/bad.jpg"
expect_error 1 "bad.jpg" -- "$DM" depth "$T/bad.jpg" -o "$T/x4.png"
for x in x1 x2 x3 x4; do [ -e "$T/$x.png" ] && fail "output left behind for $x"; done
[ "$(sha256sum <"$T/hopper.jpg")" = "$sum0" ] && ok "original untouched" || fail "original changed"
expect_no_temp "$T"
expect_no_temp "$C"
finish
