# info describes a file; demo renders the sample photo and says what it wrote.
. "$(dirname "$0")/lib.sh"

"$DM" info "$HOPPER" >"$T/info" 2>"$T/err" || fail "info failed: $(cat "$T/err")"
grep -q "JPEG" "$T/info" || fail "info does not name the format"
grep -q "512 x 600" "$T/info" || fail "info does not give the size: $(cat "$T/info")"
grep -q "profile:" "$T/info" || fail "info does not describe the profile"

cd "$T"
"$DM" demo >"$T/demo" 2>"$T/err" || fail "demo failed: $(cat "$T/err")"
for f in demo-out/grace_hopper.jpg demo-out/grace_hopper.jpg.xmp demo-out/grace_hopper-dm.tif demo-out/grace_hopper-dm.jpg; do
  [ -s "$f" ] || fail "demo did not write $f"
  grep -q "$f" "$T/demo" || fail "demo did not print $f"
done
cmp -s demo-out/grace_hopper.jpg "$HOPPER" || fail "demo changed its copy of the photo"
# The demo's sidecar re-renders to the same picture through the CLI.
"$DM" render demo-out/grace_hopper.jpg -o demo-out/again.tif --no-sidecar >/dev/null 2>"$T/err" \
  || fail "re-render of the demo failed: $(cat "$T/err")"
cmp -s demo-out/again.tif demo-out/grace_hopper-dm.tif && ok "demo sidecar reproduces the render" \
  || fail "demo sidecar does not reproduce the render"
finish
