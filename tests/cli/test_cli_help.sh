# The command line teaches itself: COMMAND --help for every command (exit 0),
# `keys` lists every --set key from the parameter tables, --set lines in any
# order, unknown keys name the nearest valid ones, every bad --set is exit 2,
# and a 0..1 depth range warns about Lightroom's scale.
. "$(dirname "$0")/lib.sh"

for cmd in render depth mask info keys demo models; do
  "$DM" "$cmd" --help >"$T/help" 2>"$T/err"
  rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q "^  $cmd" "$T/help"; then
    fail "$cmd --help: exit $rc, $(head -c 300 "$T/help") $(cat "$T/err")"
  else
    ok "$cmd --help"
  fi
done
"$DM" render -h >/dev/null 2>&1 || fail "render -h"
"$DM" help mask | grep -q -- "--sample" || fail "help mask lacks --sample"
expect_error 2 "unknown command" -- "$DM" nosuch --help

# keys: every slider, every mask kind's parameter, every lens_blur key.
"$DM" keys >"$T/keys" 2>"$T/err" || fail "keys failed: $(cat "$T/err")"
for k in exposure contrast highlights shadows whites blacks temperature tint saturation clarity \
  texture dehaze amount; do
  grep -q "^correction\[N\]\.$k  number, default " "$T/keys" || fail "keys lacks correction[N].$k"
done
for k in kind mode invert opacity luminance_range zero full top left bottom right angle feather \
  depth_range smoothness path; do
  grep -q "^correction\[N\]\.mask\[M\]\.$k  " "$T/keys" || fail "keys lacks mask key $k"
done
grep -q "^correction\[N\]\.exposure  number, default 0, -4\.\.4$" "$T/keys" || fail "exposure line: $(grep exposure "$T/keys")"
grep -q "^lens_blur\.bokeh  circle|blades|ring|bubble, default circle$" "$T/keys" || fail "bokeh line"
n=$(grep -c '^lens_blur\.' "$T/keys")
[ "$n" -ge 15 ] || fail "keys lists $n lens_blur keys"
"$DM" keys lens_blur | grep -v '^    ' | grep -vq '^lens_blur\.' && fail "keys lens_blur lists other keys"
"$DM" keys depth_range | grep -q "only on kind depth_range" || fail "keys depth_range"
expect_error 2 "no --set key matches" -- "$DM" keys zzz

# The README's table of Lightroom fields is the one the code uses.
"$DM" keys --crs >"$T/crs" || fail "keys --crs"
[ "$(wc -l <"$T/crs")" -gt 100 ] || fail "keys --crs lists $(wc -l <"$T/crs") lines"
missing=$(grep -vxF -f "$DM_SOURCE_DIR/README.md" "$T/crs" | head -3)
[ -z "$missing" ] && ok "README's crs table is current" || fail "README lacks crs rows: $missing"

cp "$HOPPER" "$T/hopper.jpg"
# --set order does not matter: a kind's parameter before the kind, a later
# correction before an earlier one.
"$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/a.tif" \
  --set 'correction[0].mask[0].kind=radial_gradient' --set 'correction[0].mask[0].feather=80' \
  --set 'correction[0].exposure=-0.7' --set 'correction[1].mask[0].kind=linear_gradient' \
  --set 'correction[1].contrast=20' >/dev/null 2>"$T/err" || fail "ordered sets: $(cat "$T/err")"
"$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/b.tif" \
  --set 'correction[1].contrast=20' --set 'correction[0].mask[0].feather=80' \
  --set 'correction[1].mask[0].kind=linear_gradient' --set 'correction[0].exposure=-0.7' \
  --set 'correction[0].mask[0].kind=radial_gradient' >/dev/null 2>"$T/err" \
  || fail "shuffled sets: $(cat "$T/err")"
cmp -s "$T/a.tif" "$T/b.tif" && ok "--set order does not matter" || fail "shuffled --set gave another picture"

# Unknown keys name the nearest valid ones and list the valid keys; exit 2.
expect_error 2 "did you mean exposure?" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'correction[0].exposur=-1'
expect_error 2 "did you mean smoothness?" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'correction[0].mask[0].kind=depth_range' --set 'correction[0].mask[0].smothness=3'
expect_error 2 "valid: kind, mode, invert, opacity" -- "$DM" render "$T/hopper.jpg" --no-sidecar \
  -o "$T/x.tif" --set 'correction[0].mask[0].qqq=3'
expect_error 2 "did you mean amount?" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'lens_blur.amout=3'
# Every bad --set is a usage error.
expect_error 2 "MIN <= MAX" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'correction[0].mask[0].kind=depth_range' --set 'correction[0].mask[0].depth_range=100,35'
expect_error 2 "outside" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'correction[0].exposure=9'
expect_error 2 "unknown mask kind" -- "$DM" render "$T/hopper.jpg" --no-sidecar -o "$T/x.tif" \
  --set 'correction[0].mask[0].kind=depthrange'
[ -e "$T/x.tif" ] && fail "a refused render wrote its output"

# 0..1 depth ranges: Lightroom's XMP scale, ours is 0..100: a warning (mask
# --help exits before any network runs, so use a mask file to stay cheap).
"$DM" mask "$T/hopper.jpg" --sample 1,1 --depth "$T/hopper.jpg" \
  --set 'correction[0].mask[0].kind=depth_range' --set 'correction[0].mask[0].depth_range=0.2,0.6' \
  >/dev/null 2>"$T/err"
grep -q "warning: .*depth_range=0.2,0.6: depth_range is on the 0 (near) .. 100 (far) scale" "$T/err" \
  && ok "0..1 depth range warns" || fail "no scale warning: $(cat "$T/err")"
expect_no_temp "$T"
finish
