# depthmask batch on bad and mixed inputs, its summary, --dry-run, sidecars
# and names, and sameness with render (src/cli/cmd_batch.c, src/batch).
# The preset uses gradients only, so no network runs (the networks' path is
# tests/batch/test_batch_networks.sh); photos are real ones Debian ships,
# made small. test_batch_resume.sh kills a batch and runs it again.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
CR2=/usr/share/doc/rawtran/IMG_5952.CR2

mkdir -p "$T/in"
"$PY" - "$DATA" "$T/in" <<'EOF' || fail "could not make the photos"
import os, sys
from PIL import Image
src, dst = sys.argv[1:]
def small(name):
    im = Image.open(os.path.join(src, name)).convert("RGB")
    im.thumbnail((240, 240))
    return im
small("chelsea.png").save(os.path.join(dst, "good.png"))
small("rocket.jpg").save(os.path.join(dst, "good2.jpg"), quality=92)
small("astronaut.png").save(os.path.join(dst, "pair.jpg"), quality=92)  # beside pair.CR2
rgba = small("coffee.png").convert("RGBA")
rgba.putalpha(Image.linear_gradient("L").resize(rgba.size))
rgba.save(os.path.join(dst, "alpha.png"))
small("motorcycle_left.png").save(os.path.join(dst, "for_heic.png"))
EOF
heif-enc -q 80 -o "$T/in/phone.heic" "$T/in/for_heic.png" >/dev/null 2>&1 || fail "heif-enc could not make a HEIC"
rm -f "$T/in/for_heic.png"
cp "$CR2" "$T/in/pair.CR2"
head -c 3000 "$T/in/good2.jpg" >"$T/in/truncated.jpg"
echo "not a photo at all" >"$T/in/text.jpg"
mkdir "$T/in/folder.jpg"
ln -s "$T/in/nowhere.jpg" "$T/in/gone.jpg"
echo "notes" >"$T/in/notes.txt" # not a photo by name or content: not taken
( cd "$T/in" && find . -type f -exec sha256sum {} + | sort ) >"$T/before.sha"

gradient_preset "$T/in/good.png" "$T/look.xmp"
OPTS=(--preset "$T/look.xmp" --format png --bits 8 --no-cache)

# ---- bad and mixed inputs in one batch ----
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" --summary "$T/sum.json" >"$T/stdout" 2>"$T/stderr"
rc=$?
[ "$rc" -eq 1 ] && ok "a batch with bad photos exits 1" || fail "exit $rc, want 1: $(cat "$T/stderr")"
for good in good.png good2.jpg pair.jpg pair.CR2 alpha.png phone.heic; do
  grep -q "^ok $T/in/$good [0-9.]*$" "$T/stdout" && ok "$good rendered" || fail "$good: no ok line: $(cat "$T/stdout")"
done
for bad in truncated.jpg text.jpg folder.jpg gone.jpg; do
  grep -q "^fail $T/in/$bad [0-9.]*$" "$T/stdout" || fail "$bad: no fail line: $(cat "$T/stdout")"
  grep -q "^depthmask: $T/in/$bad: " "$T/stderr" && ok "$bad: $(grep "^depthmask: $T/in/$bad: " "$T/stderr")" \
    || fail "$bad: no one-line message: $(cat "$T/stderr")"
done
[ "$(wc -l <"$T/stdout")" -eq 10 ] && ok "one line per photo, notes.txt not taken" \
  || fail "want 10 lines: $(cat "$T/stdout")"
# RAW+JPEG pair: base names collide, so the source's extension stays in the name
for f in good-dm.png good2-dm.png pair.jpg-dm.png pair.CR2-dm.png alpha-dm.png phone-dm.png; do
  [ -s "$T/out/$f" ] || fail "no $f in $(ls "$T/out" | tr '\n' ' ')"
done
"$PY" - "$T/sum.json" "$T/in" <<'EOF' && ok "the summary has every photo, its status and message" || fail "summary"
import json, sys
s = json.load(open(sys.argv[1]))
by = {p["input"].rsplit("/", 1)[1]: p for p in s["photos"]}
ok = len(s["photos"]) == 10 and s["totals"]["photos"] == 10 and s["totals"]["ok"] == 6 and s["totals"]["failed"] == 4
for name in ("truncated.jpg", "text.jpg", "folder.jpg", "gone.jpg"):
    p = by[name]
    ok &= p["status"] == "fail" and p["message"].startswith(sys.argv[2] + "/" + name + ": ") and p["output"] is None
for name in ("good.png", "pair.CR2", "phone.heic", "alpha.png"):
    p = by[name]
    ok &= p["status"] == "ok" and p["message"] == "" and p["output"].endswith("-dm.png") and p["seconds"] > 0
    ok &= p["depth_source"] == ""  # gradients need no depth
print(json.dumps(by["text.jpg"]))
sys.exit(0 if ok else 1)
EOF
( cd "$T/in" && find . -type f ! -name '*.xmp' -exec sha256sum {} + | sort ) >"$T/after.sha"
cmp -s <(grep -v '\.xmp$' "$T/before.sha") "$T/after.sha" && ok "the photos are byte-identical" \
  || fail "a photo changed: $(diff "$T/before.sha" "$T/after.sha")"
[ -s "$T/in/good.png.xmp" ] && [ -s "$T/in/pair.xmp" ] && [ -s "$T/in/pair.jpg.xmp" ] \
  && ok "--sidecars beside: each photo's own sidecar (pair.xmp for the RAW, pair.jpg.xmp for the JPEG)" \
  || fail "sidecars beside: $(ls "$T/in" | tr '\n' ' ')"
expect_no_temp "$T/out"

# ---- the same bytes as render ----
for f in good.png alpha.png phone.heic pair.CR2; do
  stem=${f%.*}
  name=$stem-dm.png
  [ "$f" = pair.CR2 ] && name=pair.CR2-dm.png
  "$DM" render "$T/in/$f" "${OPTS[@]}" -o "$T/render_$name" --no-sidecar >/dev/null 2>"$T/err" \
    || fail "render $f: $(cat "$T/err")"
  cmp -s "$T/render_$name" "$T/out/$name" && ok "$f: batch output identical to render's" \
    || fail "$f: batch output differs from render's"
done

# ---- run again: everything current is skipped ----
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" >"$T/stdout2" 2>"$T/stderr2"
[ "$(grep -c '^skip ' "$T/stdout2")" -eq 6 ] && [ "$(grep -c '^fail ' "$T/stdout2")" -eq 4 ] \
  && ok "a second run skips the six current outputs" || fail "second run: $(cat "$T/stdout2")"
# a changed preset value re-renders all of them
"$DM" batch "$T/in/good.png" "$T/in/alpha.png" "${OPTS[@]}" --set 'correction[0].exposure=-1' -o "$T/out" \
  >"$T/stdout3" 2>&1
[ "$(grep -c '^ok ' "$T/stdout3")" -eq 2 ] && ok "a changed recipe renders again" || fail "$(cat "$T/stdout3")"
# an output changed on disk is rendered again
printf 'x' >>"$T/out/good2-dm.png"
"$DM" batch "$T/in/good2.jpg" "${OPTS[@]}" -o "$T/out" >"$T/stdout4" 2>&1
grep -q "^ok $T/in/good2.jpg" "$T/stdout4" && cmp -s "$T/out/good2-dm.png" "$T/out/good2-dm.png" \
  && ok "an output changed since is rendered again" || fail "changed output kept: $(cat "$T/stdout4")"

# ---- --dry-run lists and writes nothing ----
cp -r "$T/in" "$T/dry_in" && rm -f "$T/dry_in"/*.xmp
"$DM" batch "$T/dry_in" "${OPTS[@]}" -o "$T/dry_out" --dry-run >"$T/dry" 2>"$T/dry_err"
[ ! -e "$T/dry_out" ] && ! ls "$T/dry_in" | grep -q '\.xmp$' && ok "--dry-run writes nothing" \
  || fail "--dry-run wrote: $(ls "$T/dry_out" "$T/dry_in" 2>&1 | tr '\n' ' ')"
grep -q "^render $T/dry_in/good.png -> $T/dry_out/good-dm.png$" "$T/dry" && ok "--dry-run lists what it would render" \
  || fail "dry run: $(cat "$T/dry")"
"$DM" batch "$T/in" "${OPTS[@]}" -o "$T/out" --dry-run >"$T/dry2" 2>&1
# pair.jpg's output is current; good.png's newest entry is the -1 EV recipe
grep -q "^current $T/in/pair.jpg -> $T/out/pair.jpg-dm.png$" "$T/dry2" \
  && grep -q "^render $T/in/good.png -> $T/out/good-dm.png$" "$T/dry2" && ok "--dry-run says what is current" \
  || fail "dry run: $(cat "$T/dry2")"

# ---- --sidecars out and none ----
cp -r "$T/dry_in" "$T/side_in"
"$DM" batch "$T/side_in/good.png" "$T/side_in/pair.jpg" "$T/side_in/pair.CR2" "${OPTS[@]}" -o "$T/side_out" \
  --sidecars out >/dev/null 2>&1 || fail "--sidecars out failed"
! ls "$T/side_in" | grep -q '\.xmp$' && [ -s "$T/side_out/good.png.xmp" ] && [ -s "$T/side_out/pair.CR2-dm.png.xmp" ] \
  && ok "--sidecars out: recipes in DIR, none beside the photos" \
  || fail "--sidecars out: $(ls "$T/side_in" "$T/side_out" | tr '\n' ' ')"
"$DM" batch "$T/side_in/good2.jpg" "${OPTS[@]}" -o "$T/none_out" --sidecars none >/dev/null 2>&1
! ls "$T/side_in" "$T/none_out" | grep -q '\.xmp$' && ok "--sidecars none writes no recipe" || fail "--sidecars none"

# ---- usage ----
expect_error 2 "needs --preset" -- "$DM" batch "$T/in" -o "$T/u"
expect_error 2 "needs -o DIR" -- "$DM" batch "$T/in" --preset "$T/look.xmp"
expect_error 2 "--shard must be I/N" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" --shard 0/2
expect_error 2 "--jobs must be auto or 1 to 64" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" --jobs many
expect_error 2 "--recipe is render's" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" --recipe x.xmp
expect_error 2 "--sidecars must be beside, out or none" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" \
  --sidecars both
expect_error 2 "no_such_key" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" --set no_such_key=1
mkdir -p "$T/r/a" "$T/r/b" && cp "$T/in/good.png" "$T/r/a/x.png" && cp "$T/in/good.png" "$T/r/b/x.png"
expect_error 2 "would be written by both" -- "$DM" batch -r "$T/r" --preset "$T/look.xmp" -o "$T/u"
expect_error 1 "nodepth.png: no such file" -- "$DM" batch "$T/in" --preset "$T/look.xmp" -o "$T/u" \
  --depth "$T/nodepth.png" --depth-range 1:5 # one line before any photo, not one per photo
[ ! -e "$T/u" ] && ok "a refused batch makes no output folder" || fail "$T/u made"
finish
