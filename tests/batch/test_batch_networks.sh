# The batch's networks: three photos through the seed's workflow
# (Background and Subject corrections, lens blur) with no cache, so ISNet
# and the depth network run for each. Two workers keep a loaded copy of
# each network each and reuse it (the summary's network_loads: at most two
# copies of two files, not one load per photo), and every output is exactly
# what `render` writes for that photo alone.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
mkdir -p "$T/in"
"$PY" - "$DATA" "$T/in" "$HOPPER" <<'EOF2' || fail "could not make the photos"
import os, sys
from PIL import Image
src, dst, hopper = sys.argv[1:]
for out, path in [("cat.png", os.path.join(src, "chelsea.png")), ("hopper.jpg", hopper),
                  ("rocket.jpg", os.path.join(src, "rocket.jpg"))]:
    im = Image.open(path).convert("RGB")
    im.thumbnail((320, 320))
    im.save(os.path.join(dst, out), quality=92)
EOF2
"$DM" render "$T/in/cat.png" -o "$T/probe.png" --bits 8 --sidecar "$T/seed.xmp" --depth auto --no-cache \
  --set 'correction[0].mask[0].kind=background' --set 'correction[0].exposure=-0.7' \
  --set 'correction[0].highlights=-40' --set 'correction[1].mask[0].kind=subject' \
  --set 'correction[1].exposure=0.2' --set 'correction[1].texture=10' --set lens_blur.amount=50 \
  >/dev/null 2>"$T/err" || fail "making the preset: $(cat "$T/err")"
OPTS=(--preset "$T/seed.xmp" --format tiff --bits 16 --no-cache)
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" --jobs 2 --sidecars none --summary "$T/sum.json" \
  >"$T/stdout" 2>"$T/err" || fail "batch: $(cat "$T/err")"
[ "$(grep -c '^ok ' "$T/stdout")" -eq 3 ] && ok "the three photos rendered" || fail "$(cat "$T/stdout")"
"$PY" - "$T/sum.json" <<'EOF2' && ok "at most a copy of each network per worker, not a load per photo; the depth came from them" || fail "summary"
import json, sys
s = json.load(open(sys.argv[1]))
print("network_loads", s["totals"]["network_loads"], [p["depth_source"] for p in s["photos"]])
loads = s["totals"]["network_loads"]
sys.exit(0 if 2 <= loads <= 4 and all(p["depth_source"] == "networks" for p in s["photos"]) else 1)
EOF2
for f in cat.png hopper.jpg rocket.jpg; do
  "$DM" render "$T/in/$f" "${OPTS[@]}" -o "$T/render_${f%.*}-dm.tif" --no-sidecar >/dev/null 2>"$T/err" \
    || fail "render $f: $(cat "$T/err")"
  cmp -s "$T/render_${f%.*}-dm.tif" "$T/out/${f%.*}-dm.tif" && ok "$f: identical to render's output" \
    || fail "$f: the batch's output differs from render's"
done
finish
