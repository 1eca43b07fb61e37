# A batch killed with kill -9 after its first output appears, then run
# again: every photo ends complete and valid, byte for byte what a clean
# batch writes, with what was done skipped; no temporary or partial file is
# left and the photos are untouched. Two batches into one folder at once
# leave every output and the manifest whole. (src/batch/batch_manifest.c)
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/batch_lib.sh"

mkdir -p "$T/in"
"$PY" - "$DATA" "$T/in" <<'EOF' || fail "could not make the photos"
import os, sys
from PIL import Image
src, dst = sys.argv[1:]
names = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg"]
for k in range(8):  # 8 photos of 1600 px: long enough to kill in the middle
    im = Image.open(os.path.join(src, names[k % len(names)])).convert("RGB")
    im = im.resize((1600, int(1600 * im.height / im.width)), Image.LANCZOS)
    im.rotate(3 * k, resample=Image.BICUBIC).save(os.path.join(dst, f"p{k}.png"))
EOF
( cd "$T/in" && sha256sum * ) >"$T/before.sha"
"$DM" render "$T/in/p0.png" -o "$T/probe.png" --bits 8 --sidecar "$T/look.xmp" --no-cache \
  --set 'correction[0].mask[0].kind=linear_gradient' --set 'correction[0].exposure=-0.5' \
  --set 'correction[0].clarity=20' --set 'correction[1].mask[0].kind=radial_gradient' \
  --set 'correction[1].texture=30' >/dev/null 2>"$T/err" || fail "making the preset: $(cat "$T/err")"
OPTS=(--preset "$T/look.xmp" --format png --bits 16 --no-cache --sidecars none --jobs 1)

"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/clean" >/dev/null 2>"$T/err" || fail "clean batch: $(cat "$T/err")"

"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" >"$T/first" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  ls "$T/out" 2>/dev/null | grep -q -- '-dm\.png$' && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
done_before=$(ls "$T/out" | grep -c -- '-dm\.png$')
[ "$done_before" -ge 1 ] && [ "$done_before" -lt 8 ] && ok "killed with $done_before of 8 outputs written" \
  || fail "the kill came at $done_before of 8 outputs (want 1..7)"

"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" >"$T/second" 2>"$T/err"
rc=$?
[ "$rc" -eq 0 ] && ok "the run after the kill exits 0" || fail "second run exit $rc: $(cat "$T/err")"
skipped=$(grep -c '^skip ' "$T/second")
rendered=$(grep -c '^ok ' "$T/second")
[ "$skipped" -ge 1 ] && [ $((skipped + rendered)) -eq 8 ] \
  && ok "it skips the $skipped outputs that were done and renders the other $rendered" \
  || fail "second run: $(cat "$T/second")"
same=1
for f in "$T"/clean/*-dm.png; do cmp -s "$f" "$T/out/$(basename "$f")" || same=0; done
[ "$same" -eq 1 ] && [ "$(ls "$T/out" | wc -l)" -eq 8 ] && ok "every output equals the clean batch's" \
  || fail "outputs differ from a clean run: $(ls -a "$T/out" | tr '\n' ' ')"
expect_no_temp "$T/out"
"$PY" - "$T/out/.depthmask-batch.jsonl" <<'EOF' && ok "the manifest's lines parse (a cut line at most)" || fail "manifest"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
bad = 0
for line in lines[:-1]:
    try: json.loads(line)
    except ValueError: bad += 1
sys.exit(0 if lines[-1] == "" and bad <= 1 else 1)
EOF
( cd "$T/in" && sha256sum * ) | cmp -s - "$T/before.sha" && ok "the photos are byte-identical" || fail "a photo changed"

# Two batches into one folder at once: both finish, every output is the
# clean batch's and the manifest has only whole lines.
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/both" >"$T/b1" 2>&1 &
p1=$!
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/both" >"$T/b2" 2>&1 &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && ok "two batches into one folder both exit 0" || fail "exits $r1 $r2"
same=1
for f in "$T"/clean/*-dm.png; do cmp -s "$f" "$T/both/$(basename "$f")" || same=0; done
[ "$same" -eq 1 ] && ok "and every output is whole" || fail "an output was torn"
"$PY" -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$T/both/.depthmask-batch.jsonl" \
  && ok "and every manifest line is whole" || fail "a manifest line was torn"
expect_no_temp "$T/both"
finish
