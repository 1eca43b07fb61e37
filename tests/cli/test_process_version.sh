# dm:ProcessVersion: written with every recipe (5 today); a recipe of an
# older version keeps its version, renders with today's behaviour where the
# old one is not kept, and gets one warning naming what changed for its
# picture; info shows it; a newer version is refused.
. "$(dirname "$0")/lib.sh"
cp "$COFFEE" "$T/coffee.png"
brush=(--set 'correction[0].mask[0].kind=brush' --set 'correction[0].mask[0].stroke[0].dabs=0.5,0.5'
  --set 'correction[0].mask[0].stroke[0].radius=0.1' --set 'correction[0].exposure=1')
"$DM" render "$T/coffee.png" -o "$T/new.png" "${brush[@]}" >/dev/null 2>"$T/err" || fail "new: $(cat "$T/err")"
[ -s "$T/err" ] && fail "a new recipe warned: $(cat "$T/err")"
grep -q 'dm:ProcessVersion="5"' "$T/coffee.png.xmp" || fail "new recipe not written as version 5"

# The same recipe as version 1 wrote it (a sidecar of before process versions has none).
sed 's/ dm:ProcessVersion="5"//' "$T/coffee.png.xmp" >"$T/v1.xmp"
cp "$T/v1.xmp" "$T/coffee.png.xmp"
"$DM" render "$T/coffee.png" -o "$T/old.png" >/dev/null 2>"$T/err" || fail "v1: $(cat "$T/err")"
[ "$(grep -c warning "$T/err")" = 1 ] || fail "want one warning: $(cat "$T/err")"
grep -q "warning: .*made by process version 1, rendered by version 5: Lightroom brushes are rendered" "$T/err" \
  && ok "version 1 brush recipe warned once" || fail "warning: $(cat "$T/err")"
cmp -s "$T/old.png" "$T/new.png" || fail "the version 1 recipe rendered differently from today's"
grep -q 'dm:ProcessVersion="1"' "$T/coffee.png.xmp" || fail "the recipe's process version was changed"
"$DM" info "$T/coffee.png" >"$T/info" 2>&1
grep -q "process version 1" "$T/info" && grep -q "made by process version 1; this build's is 5" "$T/info" \
  || fail "info: $(grep -A1 sidecar "$T/info")"

# A version 1 recipe that no change touches renders without a word.
"$DM" render "$T/coffee.png" -o "$T/plain.png" --recipe "$T/v1.xmp" --no-sidecar \
  --set 'correction[0].mask[0].kind=radial_gradient' >/dev/null 2>"$T/err" || fail "plain v1"
[ -s "$T/err" ] && fail "an untouched version 1 recipe warned: $(cat "$T/err")"

# The fixtures of the sidecars of today (Lightroom's, ours) read as version 1.
for f in good_recipe lightroom_depth lightroom_lens_blur; do
  "$DM" render "$T/coffee.png" -o "$T/fx.png" --recipe "$DM_SOURCE_DIR/tests/recipe/fixtures/$f.xmp" \
    --sidecar "$T/fx-$f.xmp" --skip-unknown-masks >/dev/null 2>&1
  grep -q 'dm:ProcessVersion="1"' "$T/fx-$f.xmp" || fail "$f: not kept as version 1"
done

# Newer than this build: refused.
sed 's/dm:RecipeVersion="1"/& dm:ProcessVersion="6"/' "$T/v1.xmp" >"$T/v6.xmp"
expect_error 1 "dm:ProcessVersion: 6 is newer than this build's (5)" -- \
  "$DM" render "$T/coffee.png" -o "$T/v6.png" --recipe "$T/v6.xmp" --no-sidecar
expect_no_temp "$T"
finish
