# Shared by the batch tests (sourced after ../cli/lib.sh, not run).
PY=/usr/bin/python3
DATA=/usr/lib/python3/dist-packages/skimage/data

# batch_photos DIR: five real photos Debian ships (skimage's data), JPEG and
# PNG, at most 320 px so the runs are quick; five, so that four shards wrap.
batch_photos() {
  mkdir -p "$1"
  "$PY" - "$DATA" "$1" <<'EOF2' || fail "could not make the photos"
import os, sys
from PIL import Image
src, dst = sys.argv[1:]
for out, name in [("astronaut.png", "astronaut.png"), ("chelsea.jpg", "chelsea.png"),
                  ("coffee.png", "coffee.png"), ("motorcycle.jpg", "motorcycle_left.png"),
                  ("rocket.jpg", "rocket.jpg")]:
    im = Image.open(os.path.join(src, name)).convert("RGB")
    im.thumbnail((320, 320))
    im.save(os.path.join(dst, out), quality=92)
EOF2
}

# gradient_preset PHOTO OUT.xmp: a preset of gradients only, so no depth or
# matte network runs.
gradient_preset() {
  "$DM" render "$1" -o "$T/probe.png" --bits 8 --sidecar "$2" --no-cache \
    --set 'correction[0].mask[0].kind=linear_gradient' --set 'correction[0].exposure=-0.5' \
    --set 'correction[1].mask[0].kind=radial_gradient' --set 'correction[1].mask[0].invert=true' \
    --set 'correction[1].exposure=-0.3' --set 'correction[1].saturation=15' >/dev/null 2>"$T/err" \
    || fail "making the preset: $(cat "$T/err")"
}

# run LABEL WANT CMD...: exit 0, no "fail" line, and an "ok PATH SECONDS" line
# on stdout for each photo named in WANT (one name a line), no others.
run() {
  local label=$1 want=$2 rc
  shift 2
  "$@" >"$T/$label.out" 2>"$T/$label.err"
  rc=$?
  sed -nE 's/^ok (.+) [0-9]+(\.[0-9]+)?$/\1/p' "$T/$label.out" | sed 's#.*/##' | LC_ALL=C sort >"$T/$label.ok"
  if [ "$rc" -ne 0 ]; then
    fail "$label exited $rc: $(tail -3 "$T/$label.err")"
  elif grep -q '^fail ' "$T/$label.out"; then
    fail "$label: $(grep '^fail ' "$T/$label.out")"
  elif [ "$(cat "$T/$label.ok")" != "$want" ]; then
    fail "$label: 'ok' for $(tr '\n' ' ' <"$T/$label.ok"), want $(echo "$want" | tr '\n' ' '): $(cat "$T/$label.out")"
  fi
}
