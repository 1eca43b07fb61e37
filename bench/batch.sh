#!/usr/bin/env bash
# depthmask batch (issue 17) on this machine's cores, the seed's workflow as a
# preset (Background -0.7 EV, highlights -40; Subject +0.2 EV, texture +10;
# lens blur 50; 16-bit TIFF), each figure beside a peer run in the same command:
#  1. throughput: BATCH_N (24) photos at 24 MP, cold cache, --jobs auto: photos
#     per minute, peak RSS of the batch process and the seconds of each photo
#     (--summary: min/median/max), beside a shell loop of `depthmask render`
#     over the same photos (a fresh process each, its own empty cache, the same
#     preset and output options). When the batch is not 2x the loop: where the
#     time goes, each stage's median per photo (--timings) in both;
#  2. one 24 MP photo inside a batch (--jobs 1, 2 photos, the second timed):
#     models loaded and depth not cached (target <= 6 s), then depth cached
#     (target <= 3 s), beside `depthmask render` of that photo cold and warm;
#     and, depth cached, a copy of that photo after both: the second photo
#     needs more memory than the first and pays for fresh pages, a photo in a
#     long batch finds its pages in the pool (core/bigmem);
#  3. web delivery: BATCH_WEB_N (1000; 0 skips it) photos at 2 MP with
#     --long-edge 2048 --format jpeg, --jobs auto: wall time, photos per minute
#     and 10,000 photos over 4 shards (4 machines like this one), beside a
#     render loop over the first BATCH_WEB_PEER (20) of them (and the stages,
#     as in 1, when not 2x).
# The photos are real ones Debian ships (skimage, matplotlib, opencv-doc: 20
# subjects, cycled with other crops and mirrored so that every file differs),
# upscaled with PIL's lanczos to 6000x4000 (or 1732x1155) and saved as JPEG
# quality 92 into BATCH_DATA (/tmp/dm-bench-batch), made once (a stamp file
# per set), not timed. Peak RSS from /usr/bin/time -v. Part 3 takes about an
# hour on 2 idle cores (17 photos a minute), two on a busy machine; try
# BATCH_N=3 BATCH_WEB_N=10 first.
#   bench/batch.sh [BUILD_DIR]        (default build/, Release)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PY=/usr/bin/python3
N=${BATCH_N:-24}
WEB_N=${BATCH_WEB_N:-1000}
WEB_PEER=${BATCH_WEB_PEER:-20}
DATA=${BATCH_DATA:-/tmp/dm-bench-batch}
DM=$BUILD/depthmask
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
[ "$N" -ge 1 ] || { echo "batch.sh: BATCH_N must be at least 1" >&2; exit 2; }
[ "$WEB_PEER" -le "$WEB_N" ] || WEB_PEER=$WEB_N
cmake -S "$ROOT" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 --target depthmask >/dev/null
W=$(mktemp -d /tmp/dm-bench-batch-run.XXXXXX)
trap 'rm -rf "$W"' EXIT
failed=0

# --- the photos -------------------------------------------------------------
cat >"$W/make_photos.py" <<'EOF'
# make_photos.py DIR COUNT W H PREFIX: photo i (0-based) of the set, unless present:
# subject i % S; its first round the whole frame cropped to W:H, later rounds
# a random 72-97 % crop, mirrored every other round, so every file differs.
import os, random, sys
from multiprocessing import Pool
from PIL import Image, ImageOps
SK = '/usr/lib/python3/dist-packages/skimage/data/'
CV = '/usr/share/doc/opencv-doc/examples/data/'
SOURCES = [SK + 'astronaut.png', '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg',
           SK + 'chelsea.png', SK + 'coffee.png', SK + 'motorcycle_left.png', SK + 'rocket.jpg',
           SK + 'camera.png', CV + 'baboon.jpg', CV + 'fruits.jpg', CV + 'building.jpg',
           CV + 'butterfly.jpg', CV + 'messi5.jpg', CV + 'squirrel_cls.jpg', CV + 'home.jpg',
           CV + 'orange.jpg', CV + 'aloeL.jpg', CV + 'leuvenA.jpg', CV + 'apple.jpg',
           CV + 'board.jpg', CV + 'stuff.jpg']
dest, count, w, h, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
srcs = [s for s in SOURCES if os.path.exists(s)]
if len(srcs) < 12:
    sys.exit('batch.sh: %d source photos, 12 needed (python3-skimage, python-matplotlib-data, '
             'opencv-doc: run ./setup.sh)' % len(srcs))

def name(i):
    stem = os.path.splitext(os.path.basename(srcs[i % len(srcs)]))[0].replace('_', '-')
    return os.path.join(dest, '%s%04d-%s.jpg' % (prefix, i + 1, stem))

def make(i):
    src, rnd, rnd_round = srcs[i % len(srcs)], random.Random(1000003 * i + w), i // len(srcs)
    im = Image.open(src).convert('RGB')  # camera.png is grey
    sw, sh = im.size
    bw, bh = (sh * w / h, sh) if sw / sh > w / h else (sw, sw * h / w)
    s, fx, fy = (1.0, 0.5, 0.4) if rnd_round == 0 else (rnd.uniform(0.72, 0.97), rnd.random(), rnd.random())
    bw, bh = bw * s, bh * s
    x0, y0 = (sw - bw) * fx, (sh - bh) * fy
    out = im.resize((w, h), Image.LANCZOS, box=(x0, y0, x0 + bw, y0 + bh))
    if rnd_round % 2: out = ImageOps.mirror(out)
    tmp = name(i) + '.tmp'
    out.save(tmp, 'JPEG', quality=92)
    os.replace(tmp, name(i))

os.makedirs(dest, exist_ok=True)
todo = [i for i in range(count) if not os.path.exists(name(i))]
with Pool(os.cpu_count()) as pool:
    pool.map(make, todo, chunksize=4)
EOF
GEN=1 # bump when make_photos.py changes: the sets are made again
# make_set DIR COUNT W H PREFIX: the first COUNT photos of a set, kept between runs
make_set() {
  local dir=$1 count=$2 want="v$GEN $3x$4"
  if [ -f "$dir/.stamp" ] && [ "$(sed -n 1p "$dir/.stamp")" = "$want" ]; then
    [ "$(sed -n 2p "$dir/.stamp")" -ge "$count" ] && return 0
  else
    rm -rf "$dir"
  fi
  echo "batch.sh: making $count photos of $3x$4 in $dir (once)"
  "$PY" "$W/make_photos.py" "$dir" "$count" "$3" "$4" "$5"
  printf '%s\n%s\n' "$want" "$count" >"$dir/.stamp"
}
make_set "$DATA/24mp" $((N > 2 ? N : 2)) 6000 4000 p
all=("$DATA"/24mp/p*.jpg)
BIG=("${all[@]:0:N}")
if [ "$WEB_N" -gt 0 ]; then
  make_set "$DATA/2mp" "$WEB_N" 1732 1155 w
  all=("$DATA"/2mp/w*.jpg)
  WEB=("${all[@]:0:WEB_N}")
fi

# --- the preset: the seed's workflow, saved by render from a small photo ----
PRESET=$W/seed.xmp
"$PY" -c "from PIL import Image
Image.open('/usr/lib/python3/dist-packages/skimage/data/chelsea.png').convert('RGB').save('$W/small.jpg', quality=92)"
"$DM" render "$W/small.jpg" -o "$W/small-dm.tif" --cache "$W/cache-preset" --sidecar "$PRESET" \
  --set 'correction[0].mask[0].kind=background' --set 'correction[0].exposure=-0.7' \
  --set 'correction[0].highlights=-40' --set 'correction[1].mask[0].kind=subject' \
  --set 'correction[1].exposure=0.2' --set 'correction[1].texture=10' --set lens_blur.amount=50 >/dev/null
grep -q 'crs:BlurAmount="50"' "$PRESET" && grep -q 'MaskName="Subject 1"' "$PRESET" ||
  { echo "batch.sh: the preset $PRESET lacks the lens blur or the subject correction" >&2; exit 1; }
OUT=(--format tiff --bits 16)

# --- helpers ----------------------------------------------------------------
# timev LOG CMD...: CMD's output to LOG, /usr/bin/time -v's report to LOG.time; CMD's status
timev() {
  local log=$1
  shift
  /usr/bin/time -v -o "$log.time" "$@" >"$log" 2>&1
}
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$1"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
cpu_pct() { awk -F': ' '/Percent of CPU/ {sub("%", "", $2); print $2}' "$1"; }
now() { date +%s.%N; }
# stats SUMMARY.json [PHOTO]: "OK MIN MEDIAN MAX LOADS": the ok photos' seconds and how many
# times the networks were loaded; or PHOTO's seconds
stats() {
  "$PY" - "$@" <<'EOF'
import json, os, sys
try:
    summary = json.load(open(sys.argv[1]))
    photos, loads = summary['photos'], summary['totals'].get('network_loads', '-')
except (OSError, ValueError, KeyError):
    photos, loads = [], '-'  # the batch failed before its summary
if len(sys.argv) > 2:
    print(next((p['seconds'] for p in photos if os.path.basename(p['input']) == sys.argv[2]), 'nan'))
else:
    s = sorted(p['seconds'] for p in photos if p['status'] == 'ok') or [float('nan')]
    print(len(s) if s[0] == s[0] else 0, s[0], s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2, s[-1],
          loads)
EOF
}
# run_batch NAME CMD-ARGS...: `depthmask batch` under time -v into $W/NAME (-o), $W/NAME.json
run_batch() {
  local name=$1
  shift
  if ! timev "$W/$name.log" "$DM" batch "$@" -o "$W/$name" --sidecars none --summary "$W/$name.json"; then
    failed=1
    echo "batch.sh: batch $name failed: $(grep -v '^ok ' "$W/$name.log" | tail -n 3)" >&2
  fi
}
# render_loop NAME CACHE PHOTO...: one `depthmask render` per photo (${LOOP_OPTS[@]});
# sets loop_wall (s), loop_rss (MiB, the largest), loop_cpu (the median render's), loop_fail
render_loop() {
  local name=$1 cache=$2 t0 p b
  shift 2
  mkdir -p "$W/$name"
  loop_rss=0 loop_fail=0
  t0=$(now)
  for p in "$@"; do
    b=$(basename "$p" .jpg)
    timev "$W/$name/$b.log" "$DM" render "$p" -o "$W/$name/$b-dm.$LOOP_EXT" --preset "$PRESET" --no-sidecar \
      --cache "$cache" "${LOOP_OPTS[@]}" || loop_fail=$((loop_fail + 1))
  done
  loop_wall=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {print b - a}')
  for p in "$W/$name"/*.log.time; do
    if [ "$(rss_mb "$p")" -gt "$loop_rss" ]; then loop_rss=$(rss_mb "$p"); fi
  done
  loop_cpu=$(for p in "$W/$name"/*.log.time; do cpu_pct "$p"; done | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] "%"}')
  if [ "$loop_fail" -gt 0 ]; then
    failed=1
    p=$(grep -L 'Exit status: 0$' "$W/$name"/*.log.time | head -n 1)
    echo "batch.sh: $loop_fail renders of $name failed, e.g. ${p%.time}: $(tail -n 3 "${p%.time}")" >&2
  fi
}
# (awk: a ">" among printf's arguments would be a redirection to a file; they go in parentheses)
per_min() { awk -v n="$1" -v t="$2" 'BEGIN {printf "%.2f", (t > 0 ? 60 * n / t : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "-"}'; }
# stages BATCH.log LOOP.log...: from --timings' lines ("depthmask: timing: PHOTO: STAGE MS ms,
# peak RSS ..."), the median over photos of each stage's wall time, batch beside loop
stages() {
  "$PY" - "$@" <<'EOF'
import re, statistics, sys
LINE = re.compile(r'^depthmask: timing: (.*): ((?:render|scene): [^0-9]+?) ([0-9.]+) ms,')
def medians(files):
    per = {}  # (photo, stage) -> ms; a stage that comes twice (the guide) is summed
    for f in files:
        for line in open(f, errors='replace'):
            m = LINE.match(line)
            if m: per[m[1], m[2]] = per.get((m[1], m[2]), 0.0) + float(m[3])
    by_stage = {}
    for (photo, stage), ms in per.items(): by_stage.setdefault(stage, []).append(ms)
    return {k: statistics.median(v) for k, v in by_stage.items()}
b, l = medians(sys.argv[1:2]), medians(sys.argv[2:])
print('    %-40s %12s %12s %7s' % ('stage (--timings, median ms per photo)', 'batch', 'render loop', 'ratio'))
for k in list(dict.fromkeys(list(l) + list(b))):
    if b.get(k, 0) < 0.5 and l.get(k, 0) < 0.5: continue
    r = '%.2f' % (b[k] / l[k]) if k in b and l.get(k) else '-'
    print('    %-40s %12s %12s %7s' % (k, '%.0f' % b[k] if k in b else '-', '%.0f' % l[k] if k in l else '-', r))
EOF
}

echo "batch: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GB RAM, the seed's workflow" \
  "(bg -0.7 EV/hl -40, subject +0.2 EV/texture +10, lens blur 50); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. throughput, 24 MP, cold --------------------------------------------
echo "1. $N photos at 24 MP (6000x4000 JPEG) -> 16-bit TIFF, cold cache: batch --jobs auto vs a render loop"
run_batch b1 "${BIG[@]}" --preset "$PRESET" --jobs auto --cache "$W/cache-b1" "${OUT[@]}" --timings
b1_wall=$(wall_s "$W/b1.log.time") b1_rss=$(rss_mb "$W/b1.log.time") b1_cpu=$(cpu_pct "$W/b1.log.time")%
read -r b1_ok b1_min b1_med b1_max b1_loads <<<"$(stats "$W/b1.json")"
rm -rf "$W/b1" "$W/cache-b1"
LOOP_OPTS=("${OUT[@]}" --timings) LOOP_EXT=tif
render_loop l1 "$W/cache-l1" "${BIG[@]}"
l1_wall=$loop_wall l1_rss=$loop_rss l1_fail=$loop_fail
rm -rf "$W/l1"/*.tif "$W/cache-l1"
b1_rate=$(per_min "$b1_ok" "$b1_wall") l1_rate=$(per_min $((N - l1_fail)) "$l1_wall")
b1_ratio=$(ratio "$b1_rate" "$l1_rate")
printf '  batch:       %6.1f s wall, %6s photos/min, peak RSS %5s MiB, CPU %s, %s/%s ok, networks loaded %s times\n' \
  "$b1_wall" "$b1_rate" "$b1_rss" "$b1_cpu" "$b1_ok" "$N" "$b1_loads"
printf '               seconds per photo (from --summary, each on its job'"'"'s threads): min %.1f, median %.1f, max %.1f\n' \
  "$b1_min" "$b1_med" "$b1_max"
printf '  render loop: %6.1f s wall, %6s photos/min, peak RSS %5s MiB (the largest render), %s/%s ok, CPU %s (median)\n' \
  "$l1_wall" "$l1_rate" "$l1_rss" $((N - l1_fail)) "$N" "$loop_cpu"
echo "  ratio batch / loop: ${b1_ratio}x photos per minute (target 2x)"
# below 2x: where each photo's time goes, in the batch and in the loop
if awk -v r="$b1_ratio" 'BEGIN {exit !(r == "-" || r < 2)}'; then stages "$W/b1.log" "$W/l1"/*.log; fi

# --- 2. one 24 MP photo in a batch, models loaded ---------------------------
TWO=("$DATA/24mp/p0001-"*.jpg "$DATA/24mp/p0002-"*.jpg)
second=$(basename "${TWO[1]}")
echo "2. one 24 MP photo ($second) inside a batch (--jobs 1, after ${TWO[0]##*/}) vs render, cold and warm"
run_batch b2cold "${TWO[@]}" --preset "$PRESET" --jobs 1 --cache "$W/cache-b2" "${OUT[@]}"
timev "$W/r2cold.log" "$DM" render "${TWO[1]}" -o "$W/r2cold.tif" --preset "$PRESET" --no-sidecar \
  --cache "$W/cache-r2" "${OUT[@]}" || failed=1
run_batch b2warm "${TWO[@]}" --preset "$PRESET" --jobs 1 --cache "$W/cache-b2" "${OUT[@]}"
timev "$W/r2warm.log" "$DM" render "${TWO[1]}" -o "$W/r2warm.tif" --preset "$PRESET" --no-sidecar \
  --cache "$W/cache-r2" "${OUT[@]}" || failed=1
cp "${TWO[1]}" "$W/again-$second"
run_batch b2again "${TWO[@]}" "$W/again-$second" --preset "$PRESET" --jobs 1 --cache "$W/cache-b2" "${OUT[@]}"
b2_cold=$(printf '%.2f' "$(stats "$W/b2cold.json" "$second")") b2_warm=$(printf '%.2f' "$(stats "$W/b2warm.json" "$second")")
b2_again=$(printf '%.2f' "$(stats "$W/b2again.json" "again-$second")")
r2_cold=$(wall_s "$W/r2cold.log.time") r2_warm=$(wall_s "$W/r2warm.log.time")
b2_rss=$(rss_mb "$W/b2cold.log.time") r2_rss=$(rss_mb "$W/r2cold.log.time")
rm -rf "$W/b2cold" "$W/b2warm" "$W/b2again" "$W/again-$second" "$W"/r2*.tif "$W/cache-b2" "$W/cache-r2"
printf '  models loaded, depth not cached: batch %5.1f s (target <= 6 s)   render cold %5.1f s (ratio %s)\n' \
  "$b2_cold" "$r2_cold" "$(ratio "$b2_cold" "$r2_cold")"
printf '  depth cached:                    batch %5.1f s (target <= 3 s)   render warm %5.1f s (ratio %s)\n' \
  "$b2_warm" "$r2_warm" "$(ratio "$b2_warm" "$r2_warm")"
printf '  depth cached, the photo again after both (its pages in the pool, as in a long batch): batch %5.1f s\n' \
  "$b2_again"
printf '  peak RSS: the cold batch of 2 %s MiB, render cold %s MiB\n' "$b2_rss" "$r2_rss"

# --- 3. web delivery, 2 MP ---------------------------------------------------
if [ "$WEB_N" -gt 0 ]; then
  echo "3. web delivery: $WEB_N photos at 2 MP (1732x1155) -> --long-edge 2048 --format jpeg, cold cache," \
    "batch --jobs auto vs a render loop over $WEB_PEER of them"
  WEB_OPTS=(--long-edge 2048 --format jpeg)
  run_batch b3 "${WEB[@]}" --preset "$PRESET" --jobs auto --cache "$W/cache-b3" "${WEB_OPTS[@]}" --timings
  b3_wall=$(wall_s "$W/b3.log.time") b3_rss=$(rss_mb "$W/b3.log.time") b3_cpu=$(cpu_pct "$W/b3.log.time")%
  read -r b3_ok b3_min b3_med b3_max b3_loads <<<"$(stats "$W/b3.json")"
  rm -rf "$W/b3" "$W/cache-b3"
  LOOP_OPTS=("${WEB_OPTS[@]}" --timings) LOOP_EXT=jpg
  render_loop l3 "$W/cache-l3" "${WEB[@]:0:WEB_PEER}"
  l3_wall=$loop_wall l3_rss=$loop_rss l3_fail=$loop_fail
  rm -rf "$W/l3"/*.jpg "$W/cache-l3"
  b3_rate=$(per_min "$b3_ok" "$b3_wall") l3_rate=$(per_min $((WEB_PEER - l3_fail)) "$l3_wall")
  # 10,000 photos, --shard I/4 on 4 machines like this one
  hours() { awk -v r="$1" 'BEGIN {printf "%.1f", (r > 0 ? 10000 / 4 / r / 60 : 0)}'; }
  b3_proj=$(hours "$b3_rate") l3_proj=$(hours "$l3_rate")
  printf '  batch:       %7.1f s wall for %s, %6s photos/min, peak RSS %5s MiB, CPU %s, %s ok, networks loaded %s times\n' \
    "$b3_wall" "$WEB_N" "$b3_rate" "$b3_rss" "$b3_cpu" "$b3_ok" "$b3_loads"
  printf '               seconds per photo: min %.2f, median %.2f, max %.2f\n' "$b3_min" "$b3_med" "$b3_max"
  printf '  render loop: %7.1f s wall for %s, %6s photos/min, peak RSS %5s MiB, CPU %s (median)\n' \
    "$l3_wall" "$WEB_PEER" "$l3_rate" "$l3_rss" "$loop_cpu"
  b3_ratio=$(ratio "$b3_rate" "$l3_rate")
  echo "  ratio batch / loop: ${b3_ratio}x photos per minute"
  if awk -v r="$b3_ratio" 'BEGIN {exit !(r == "-" || r < 2)}'; then stages "$W/b3.log" "$W/l3"/*.log; fi
  echo "  10,000 photos over 4 shards (4 such machines): batch $b3_proj h, render loop $l3_proj h"
fi

# --- the table --------------------------------------------------------------
echo
printf '%-44s %14s %14s %8s\n' "batch, issue 17 ($(nproc) cores)" batch "render loop" ratio
printf '%-44s %14s %14s %8s\n' "1. 24 MP x$N cold, photos/min (target 2x)" "$b1_rate" "$l1_rate" "$b1_ratio"
printf '%-44s %14s %14s %8s\n' "   peak RSS MiB" "$b1_rss" "$l1_rss" "$(ratio "$b1_rss" "$l1_rss")"
printf '%-44s %14s %14s\n' "   s/photo min/median/max" "$(printf '%.1f/%.1f/%.1f' "$b1_min" "$b1_med" "$b1_max")" "-"
printf '%-44s %14s %14s %8s\n' "2. 24 MP, models loaded, cold s (<= 6)" "$b2_cold" "$r2_cold" "$(ratio "$b2_cold" "$r2_cold")"
printf '%-44s %14s %14s %8s\n' "   depth cached s (<= 3)" "$b2_warm" "$r2_warm" "$(ratio "$b2_warm" "$r2_warm")"
printf '%-44s %14s %14s\n' "   depth cached, pool at size, s (<= 3)" "$b2_again" "-"
if [ "$WEB_N" -gt 0 ]; then
  printf '%-44s %14s %14s %8s\n' "3. 2 MP web, photos/min (loop: $WEB_PEER)" "$b3_rate" "$l3_rate" "$(ratio "$b3_rate" "$l3_rate")"
  printf '%-44s %14.1f %14.1f\n' "   wall s ($WEB_N photos; loop $WEB_PEER)" "$b3_wall" "$l3_wall"
  printf '%-44s %14s %14s\n' "   10,000 over 4 shards, hours" "$b3_proj" "$l3_proj"
fi
exit "$failed"
