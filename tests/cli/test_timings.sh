# --timings (render, depth, mask, batch): each stage's end on stderr with its
# wall time and the process's peak memory, so a user's report says where
# the time went; without it, nothing of the kind. (src/cli/render_args.c)
. "$(dirname "$0")/lib.sh"
cp "$COFFEE" "$T/coffee.png"
SETS=(--set 'correction[0].mask[0].kind=linear_gradient' --set 'correction[0].exposure=-0.5')
"$DM" render "$T/coffee.png" -o "$T/out.png" --bits 8 --no-sidecar "${SETS[@]}" --timings >/dev/null 2>"$T/err" \
  || fail "render --timings: $(cat "$T/err")"
for stage in "render: decode" "render: corrections and lens blur" "render: colour" "render: encode"; do
  grep -q "^depthmask: timing: $T/coffee.png: $stage [0-9.]* ms, peak RSS [0-9]* MiB$" "$T/err" \
    && ok "render --timings: $stage" || fail "no '$stage' line: $(cat "$T/err")"
done
# finer lines: each correction run, and the lens blur's parts (a depth file: no network)
/usr/bin/python3 -c "import numpy as n; from PIL import Image; Image.fromarray((n.tile(n.linspace(0, 65535, 600), (400, 1))).astype(n.uint16)).save('$T/depth.png')"
"$DM" render "$T/coffee.png" -o "$T/blur.png" --bits 8 --no-sidecar "${SETS[@]}" --depth "$T/depth.png" \
  --depth-range 1:5 --depth-encoding linear --matte none --set lens_blur.amount=50 --timings >/dev/null 2>"$T/err" \
  || fail "render with the blur --timings: $(cat "$T/err")"
for stage in "render: correction 0" "lens blur: geometry" "lens blur: layers and fills" "lens blur: bands" \
  "render: lens blur"; do
  grep -q "^depthmask: timing: $T/coffee.png: $stage [0-9.]* ms, peak RSS [0-9]* MiB$" "$T/err" \
    && ok "render --timings: $stage" || fail "no '$stage' line: $(cat "$T/err")"
done
"$DM" render "$T/coffee.png" -o "$T/out.png" --bits 8 --no-sidecar "${SETS[@]}" >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] && ok "without --timings stderr stays empty" || fail "stderr: $(cat "$T/err")"
"$DM" mask "$T/coffee.png" -o "$T/mask.png" "${SETS[@]}" --timings >/dev/null 2>"$T/err" || fail "mask: $(cat "$T/err")"
grep -q "^depthmask: timing: $T/coffee.png: " "$T/err" && ok "mask --timings" || fail "mask: $(cat "$T/err")"
"$DM" render "$T/coffee.png" -o "$T/p.png" --bits 8 "${SETS[@]}" --sidecar "$T/look.xmp" >/dev/null 2>&1
"$DM" batch "$T/coffee.png" --preset "$T/look.xmp" -o "$T/b" --format png --sidecars none --timings \
  >/dev/null 2>"$T/err" || fail "batch: $(cat "$T/err")"
grep -q "^depthmask: timing: $T/coffee.png: render: encode" "$T/err" && ok "batch --timings names each photo" \
  || fail "batch: $(cat "$T/err")"
finish
