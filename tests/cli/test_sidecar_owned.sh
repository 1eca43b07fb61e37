# One sidecar per photo, owned: a RAW+JPEG pair keeps two edits; a legacy
# NAME.xmp is read for a JPEG only without a RAW beside it, never rewritten;
# a sidecar naming another photo is not used; a renamed photo keeps its edit;
# --sidecar PATH works from a read-only folder; four concurrent renders
# setting four sliders leave all four.
. "$(dirname "$0")/lib.sh"
CR2=/usr/share/doc/rawtran/IMG_5952.CR2
ORIG=/usr/share/doc/rawtran/IMG_5952_orig.png

# exposure_of SIDECAR: correction[0]'s LocalExposure2012.
exposure_of() { grep -o 'LocalExposure2012="[^"]*"' "$1" | head -1 | cut -d'"' -f2; }

# --- RAW + JPEG of one shot, each with its own edit -----------------------
mkdir -p "$T/pair"
cp "$CR2" "$T/pair/IMG_5952.CR2"
"$DM" render "$ORIG" --no-sidecar --bits 8 -o "$T/pair/IMG_5952.JPG" >/dev/null 2>"$T/err" \
  || fail "making the JPEG: $(cat "$T/err")"
"$DM" render "$T/pair/IMG_5952.CR2" -o "$T/pair/raw.tif" --set 'correction[0].exposure=-1' \
  >/dev/null 2>"$T/err" || fail "RAW render: $(cat "$T/err")"
"$DM" render "$T/pair/IMG_5952.JPG" -o "$T/pair/jpg.tif" --set 'correction[0].exposure=0.5' \
  >/dev/null 2>"$T/err" || fail "JPEG render: $(cat "$T/err")"
[ "$(exposure_of "$T/pair/IMG_5952.xmp")" = "-0.25" ] || fail "RAW sidecar: $(exposure_of "$T/pair/IMG_5952.xmp")"
[ "$(exposure_of "$T/pair/IMG_5952.JPG.xmp")" = "0.125" ] || fail "JPEG sidecar: $(exposure_of "$T/pair/IMG_5952.JPG.xmp")"
grep -q 'dm:SourceFile="IMG_5952.CR2"' "$T/pair/IMG_5952.xmp" || fail "RAW sidecar does not name its photo"
grep -q 'dm:SourceFile="IMG_5952.JPG"' "$T/pair/IMG_5952.JPG.xmp" || fail "JPEG sidecar does not name its photo"
grep -q 'dm:OutputHash="[0-9a-f]\{32\}"' "$T/pair/IMG_5952.xmp" || fail "no output hash"
# Re-rendering the RAW uses its own edit, not the JPEG's.
"$DM" render "$T/pair/IMG_5952.CR2" -o "$T/pair/raw2.tif" >/dev/null 2>"$T/err" || fail "RAW re-render"
cmp -s "$T/pair/raw.tif" "$T/pair/raw2.tif" && ok "RAW+JPEG keep separate edits" || fail "RAW re-render differs"
"$DM" info "$T/pair/IMG_5952.CR2" >"$T/info" 2>&1
grep -q "process version 5" "$T/info" || fail "info lacks the process version: $(grep sidecar "$T/info")"
grep -q "as last rendered" "$T/info" || fail "info does not confirm the output: $(grep output "$T/info")"
# A crash between the two renames leaves an output that is not the one recorded.
cp "$T/pair/jpg.tif" "$T/pair/raw2.tif"
"$DM" info "$T/pair/IMG_5952.CR2" | grep -q "STALE" || fail "info does not see a stale output"

# --- legacy NAME.xmp beside a JPEG ----------------------------------------
mkdir -p "$T/legacy"
cp "$HOPPER" "$T/legacy/hopper.jpg"
"$DM" render "$T/legacy/hopper.jpg" --no-sidecar -o "$T/legacy/ref.tif" \
  --set 'correction[0].exposure=-0.8' >/dev/null 2>&1 || fail "reference render"
"$DM" render "$T/legacy/hopper.jpg" --sidecar "$T/legacy/hopper.xmp" -o "$T/legacy/x.tif" \
  --set 'correction[0].exposure=-0.8' >/dev/null 2>&1 || fail "making a legacy sidecar"
sed -i 's/ dm:SourceFile="[^"]*"//; s/ dm:SourceHash="[^"]*"//' "$T/legacy/hopper.xmp"
cp "$T/legacy/hopper.xmp" "$T/legacy/legacy-copy.xmp"
"$DM" render "$T/legacy/hopper.jpg" -o "$T/legacy/a.tif" >/dev/null 2>"$T/err" || fail "legacy render: $(cat "$T/err")"
cmp -s "$T/legacy/a.tif" "$T/legacy/ref.tif" && ok "legacy sidecar read" || fail "legacy sidecar not used"
cmp -s "$T/legacy/hopper.xmp" "$T/legacy/legacy-copy.xmp" || fail "legacy sidecar rewritten"
[ -s "$T/legacy/hopper.jpg.xmp" ] || fail "no own sidecar written beside the legacy one"
# With a RAW of that base name beside it, the legacy file is the RAW's: not read.
rm -f "$T/legacy/hopper.jpg.xmp"
cp "$CR2" "$T/legacy/hopper.CR2"
"$DM" render "$T/legacy/hopper.jpg" -o "$T/legacy/b.tif" >/dev/null 2>"$T/err" || fail "render beside a RAW"
cmp -s "$T/legacy/b.tif" "$T/legacy/ref.tif" && fail "the RAW's sidecar was read for the JPEG"
cmp -s "$T/legacy/hopper.xmp" "$T/legacy/legacy-copy.xmp" || fail "the RAW's sidecar was rewritten"

# --- a sidecar that names another photo -----------------------------------
mkdir -p "$T/other"
cp "$HOPPER" "$T/other/a.jpg"
"$DM" render "$T/other/a.jpg" -o "$T/other/a.tif" --set 'correction[0].exposure=-1' >/dev/null 2>&1
cp "$COFFEE" "$T/other/b.png"
cp "$T/other/a.jpg.xmp" "$T/other/b.png.xmp"
cp "$T/other/b.png.xmp" "$T/other/keep.xmp"
expect_error 1 "holds another photo's edit" -- "$DM" render "$T/other/b.png" -o "$T/other/b.tif"
grep -q "warning: .*belongs to a.jpg, not to" "$T/stderr" 2>/dev/null || true
cmp -s "$T/other/b.png.xmp" "$T/other/keep.xmp" || fail "another photo's sidecar was overwritten"
[ -e "$T/other/b.tif" ] && fail "output written although the sidecar belongs to another photo"
# A photo renamed together with its sidecar keeps its edit (same content).
mv "$T/other/a.jpg" "$T/other/renamed.jpg"
cp "$T/other/a.jpg.xmp" "$T/other/renamed.jpg.xmp"
"$DM" render "$T/other/renamed.jpg" -o "$T/other/r.tif" >/dev/null 2>"$T/err" || fail "renamed: $(cat "$T/err")"
cmp -s "$T/other/r.tif" "$T/other/a.tif" && ok "renamed photo keeps its edit" || fail "renamed photo lost its edit"
grep -q 'dm:SourceFile="renamed.jpg"' "$T/other/renamed.jpg.xmp" || fail "renamed sidecar not updated"

# --- a read-only photo folder ---------------------------------------------
# Run as an unprivileged user (root ignores permissions) when we are root.
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; else "$@"; fi; }
mkdir -p "$T/ro" "$T/rw"
cp "$HOPPER" "$T/ro/hopper.jpg"
chmod 755 "$T" && chmod 555 "$T/ro" && chmod 777 "$T/rw"
if as_user "$DM" --version >/dev/null 2>&1 && as_user test -w "$T/rw" -a -r "$T/ro/hopper.jpg"; then
  as_user "$DM" render "$T/ro/hopper.jpg" -o "$T/rw/out.tif" --set 'correction[0].exposure=-0.5' \
    >"$T/stdout" 2>"$T/stderr"
  rc=$?
  [ "$rc" = 1 ] || fail "read-only folder without --sidecar: exit $rc ($(cat "$T/stderr"))"
  grep -q "hopper.jpg.xmp: cannot create a temporary file beside it: Permission denied" "$T/stderr" \
    || fail "message: $(cat "$T/stderr")"
  [ -e "$T/rw/out.tif" ] && fail "output left although the sidecar could not be written"
  expect_no_temp "$T/rw"
  as_user "$DM" render "$T/ro/hopper.jpg" -o "$T/rw/out.tif" --sidecar "$T/rw/hopper.xmp" \
    --set 'correction[0].exposure=-0.5' >/dev/null 2>"$T/err" || fail "--sidecar elsewhere: $(cat "$T/err")"
  [ -s "$T/rw/out.tif" ] && [ -s "$T/rw/hopper.xmp" ] && ok "read-only folder with --sidecar" \
    || fail "--sidecar elsewhere wrote nothing"
  [ "$(ls -A "$T/ro")" = "hopper.jpg" ] || fail "something written into the read-only folder: $(ls -A "$T/ro")"
else
  echo "note: cannot drop privileges here; read-only folder not tested"
fi
chmod 755 "$T/ro"

# --- the output fails after the sidecar landed: the old sidecar comes back -
mkdir -p "$T/tx"
cp "$HOPPER" "$T/tx/hopper.jpg"
"$DM" render "$T/tx/hopper.jpg" -o "$T/tx/first.tif" --set 'correction[0].exposure=-1' >/dev/null 2>&1
cp "$T/tx/hopper.jpg.xmp" "$T/tx/before.xmp"
mkdir -p "$T/tx/out.tif/x" # a folder where the output file would go: its rename fails
expect_error 1 "out.tif: cannot replace it: Is a directory" -- \
  "$DM" render "$T/tx/hopper.jpg" -o "$T/tx/out.tif" --set 'correction[0].exposure=0.7'
cmp -s "$T/tx/hopper.jpg.xmp" "$T/tx/before.xmp" && ok "sidecar restored when the output fails" \
  || fail "the sidecar kept an edit whose output failed"
expect_no_temp "$T/tx"

# --- a full disk while the output is written ------------------------------
bash -c "trap '' XFSZ; ulimit -f 200; exec \"$DM\" render \"$T/tx/hopper.jpg\" -o \"$T/tx/big.tif\" \
  --set 'correction[0].exposure=0.3'" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ "$rc" = 1 ] || fail "full disk: exit $rc"
grep -q "big.tif: cannot write: File too large" "$T/stderr" && ok "full disk named: $(cat "$T/stderr")" \
  || fail "full disk message: $(cat "$T/stderr")"
cmp -s "$T/tx/hopper.jpg.xmp" "$T/tx/before.xmp" || fail "sidecar changed although the output failed"
[ -e "$T/tx/big.tif" ] && fail "partial output left"
expect_no_temp "$T/tx"

# --- a client's sidecar must not read the retoucher's other files ----------
mkdir -p "$T/client/job"
cp "$HOPPER" "$T/client/job/hopper.jpg"
/usr/bin/python3 -c "from PIL import Image; Image.new('L', (64, 64), 200).save('$T/client/secret.png')"
cp "$T/client/secret.png" "$T/client/job/inside.png"
for p in "../secret.png" "$T/client/secret.png"; do
  expect_error 1 "it must lie inside the recipe's folder" -- "$DM" render "$T/client/job/hopper.jpg" \
    -o "$T/client/job/x.tif" --set 'correction[0].mask[0].kind=file' --set "correction[0].mask[0].path=$p" \
    --set 'correction[0].exposure=-1'
done
[ -e "$T/client/job/x.tif" ] && fail "rendered with a mask from outside the recipe's folder"
"$DM" render "$T/client/job/hopper.jpg" -o "$T/client/job/y.tif" --no-sidecar --allow-outside-paths \
  --set 'correction[0].mask[0].kind=file' --set "correction[0].mask[0].path=../secret.png" \
  --set 'correction[0].exposure=-1' >/dev/null 2>"$T/err" || fail "--allow-outside-paths: $(cat "$T/err")"
"$DM" render "$T/client/job/hopper.jpg" -o "$T/client/job/z.tif" --no-sidecar \
  --set 'correction[0].mask[0].kind=file' --set "correction[0].mask[0].path=inside.png" \
  --set 'correction[0].exposure=-1' >/dev/null 2>"$T/err" || fail "a mask inside: $(cat "$T/err")"

# --- four processes, four sliders, one photo ------------------------------
mkdir -p "$T/conc"
cp "$HOPPER" "$T/conc/hopper.jpg"
"$DM" render "$T/conc/hopper.jpg" -o "$T/conc/0.tif" --set 'correction[0].mask[0].kind=radial_gradient' \
  >/dev/null 2>&1 || fail "concurrent setup"
pids=()
i=0
for kv in exposure=-0.5 contrast=20 highlights=-40 shadows=30; do
  i=$((i + 1))
  "$DM" render "$T/conc/hopper.jpg" -o "$T/conc/$i.tif" --set "correction[0].$kv" >/dev/null 2>"$T/conc/err$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent render failed: $(cat "$T"/conc/err*)"; done
for f in 'LocalExposure2012="-0.125"' 'LocalContrast2012="0.2"' 'LocalHighlights2012="-0.4"' 'LocalShadows2012="0.3"'; do
  grep -q "$f" "$T/conc/hopper.jpg.xmp" || fail "concurrent edit lost: $f"
done
ok "four concurrent sliders all kept"
expect_no_temp "$T/conc"
finish
