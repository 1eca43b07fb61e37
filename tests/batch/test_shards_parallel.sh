# batch --shard I/N under GNU parallel: the four shards of one batch, run at
# once into one folder, give exactly one batch's files, byte for byte; and
# each shard alone renders exactly its share of the photos sorted by path
# (photo k, 0-based, belongs to shard k % 4 + 1).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
N=4

# Five real photos, JPEG and PNG, at most 320 px so the runs are quick. Five
# over four shards makes shard 1 wrap round (photos 0 and 4), which a split
# into contiguous runs would not do.
batch_photos "$T/in"
PHOTOS=$(LC_ALL=C ls "$T/in")
# The preset: gradients only, so no depth or matte network runs.
gradient_preset "$T/in/coffee.png" "$T/look.xmp"
# Every run reads the same photos: --sidecars none, so no run leaves a
# sidecar there for the next to read.
OPTS=(--preset "$T/look.xmp" --format png --bits 8 --sidecars none)

# The photos shard I of N takes, one name a line: photo k when k % N + 1 == I.
share() {
  local k=0 f
  for f in $PHOTOS; do
    [ $((k % N + 1)) -eq "$1" ] && echo "$f"
    k=$((k + 1))
  done
}
# A photo's output: NAME-dm.png.
outputs() { sed 's/\.[^.]*$/-dm.png/'; }
# Same file names and, file by file, the same bytes (hidden files, such as
# the batch's own bookkeeping, are not outputs).
same_files() {
  local want=$1 got=$2 label=$3 f bad=0
  if [ "$(LC_ALL=C ls "$want" 2>&1)" != "$(LC_ALL=C ls "$got" 2>&1)" ]; then
    fail "$label: files $(ls "$got" 2>&1 | tr '\n' ' '), want $(ls "$want" 2>&1 | tr '\n' ' ')"
    return
  fi
  for f in "$got"/*; do
    cmp -s "$f" "$want/${f##*/}" || { fail "$label: ${f##*/} differs from one batch's"; bad=1; }
  done
  [ "$bad" -eq 0 ] && ok "$label: $(ls "$got" | wc -l) files, byte for byte"
  expect_no_temp "$got"
}

# The reference: one unsharded batch, one NAME-dm.png per photo.
run whole "$PHOTOS" "$DM" batch "$T/in" -o "$T/whole" "${OPTS[@]}"
echo "$PHOTOS" | outputs >"$T/want.all"
LC_ALL=C ls "$T/whole" >"$T/got.all" 2>&1
cmp -s "$T/want.all" "$T/got.all" && ok "one batch: NAME-dm.png for each of $(echo "$PHOTOS" | wc -l) photos" \
  || fail "one batch wrote $(tr '\n' ' ' <"$T/got.all"), want $(tr '\n' ' ' <"$T/want.all")"

# All shards at once into one folder (-q: the paths reach depthmask as they are).
run parallel "$PHOTOS" parallel --will-cite -q "$DM" batch "$T/in" -o "$T/par" --shard "{}/$N" "${OPTS[@]}" \
  ::: $(seq 1 "$N")
same_files "$T/whole" "$T/par" "parallel --shard 1..$N/$N into one folder"

# Each shard alone: exactly its share, the same bytes as in the whole batch.
for i in $(seq 1 "$N"); do
  share "$i" | outputs >"$T/want.$i"
  run "shard-$i" "$(share "$i")" "$DM" batch "$T/in" -o "$T/shard$i" --shard "$i/$N" "${OPTS[@]}"
  LC_ALL=C ls "$T/shard$i" >"$T/got.$i" 2>&1
  if cmp -s "$T/want.$i" "$T/got.$i"; then
    ok "shard $i/$N alone: $(tr '\n' ' ' <"$T/got.$i")"
    for f in $(cat "$T/got.$i"); do
      cmp -s "$T/shard$i/$f" "$T/whole/$f" || fail "shard $i/$N: $f differs from one batch's"
    done
  else
    fail "shard $i/$N wrote $(tr '\n' ' ' <"$T/got.$i"), want $(tr '\n' ' ' <"$T/want.$i")"
  fi
done

# The photos' folder holds the photos alone: no sidecar, nothing written.
[ "$(LC_ALL=C ls -A "$T/in")" = "$PHOTOS" ] || fail "the photos' folder changed: $(ls -A "$T/in" | tr '\n' ' ')"
finish
