# The matte layers' estimate (F and B behind the soft edge, 1-2 s at 24 MP)
# is cached beside the depth and matte: a second render reads it instead of
# estimating again, and a render is byte-identical without the cache,
# writing it and reading it; a damaged entry is a miss, never an error.
# (src/depth/scene.c build_layers)
. "$(dirname "$0")/lib.sh"
cp "$HOPPER" "$T/hopper.jpg"
C="$T/cache"
SETS=(--set 'correction[0].mask[0].kind=subject' --set 'correction[0].exposure=0.7'
  --set 'correction[1].mask[0].kind=background' --set 'correction[1].exposure=-1' --set lens_blur.amount=60)
render() { "$DM" render "$T/hopper.jpg" -o "$T/$1.tif" --format tiff --bits 16 --no-sidecar "${SETS[@]}" \
  "${@:2}" --timings >/dev/null 2>"$T/$1.err" || fail "render $1: $(cat "$T/$1.err")"; }
render none --no-cache
render write --cache "$C"
render read --cache "$C"
grep -q "scene: matte layers [0-9.]* ms" "$T/write.err" && ok "first render estimates the layers" \
  || fail "first render: $(grep layers "$T/write.err")"
grep -q "scene: matte layers (cached) [0-9.]* ms" "$T/read.err" && ok "second render reads them from the cache" \
  || fail "second render did not read the layers: $(grep layers "$T/read.err")"
cmp -s "$T/none.tif" "$T/write.tif" && ok "with and without the cache: identical" || fail "the cache changed the render"
cmp -s "$T/write.tif" "$T/read.tif" && ok "from the cache: identical" || fail "the cached layers changed the render"
# Damage every entry's tail: each is a miss, estimated again, still identical.
for f in "$C"/*.dmc; do printf 'XXXXXXXX' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 8)) conv=notrunc 2>/dev/null; done
render damaged --cache "$C"
grep -q "scene: matte layers [0-9.]* ms" "$T/damaged.err" && ok "a damaged entry is estimated again" \
  || fail "damaged entry: $(grep layers "$T/damaged.err")"
cmp -s "$T/none.tif" "$T/damaged.tif" && ok "after the damage: identical" || fail "damaged cache changed the render"
finish
