#!/usr/bin/env bash
# Issue 3's measure: a 24 MP JPEG -> 2 corrections (radial gradient +
# luminance range, 5 sliders each) -> 16-bit TIFF, on 2 threads: wall time
# and peak RSS, and the same I/O job in vips (decode JPEG, 16-bit TIFF out)
# as the floor of what I/O costs. Median of REPEAT runs, interleaved.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-5}
W=$(mktemp -d /tmp/dm-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
. bench/lib.sh
make_24mp "$W/big.jpg"
vipsheader "$W/big.jpg"

SETS=(
  --set 'correction[0].mask[0].kind=radial_gradient' --set 'correction[0].mask[0].invert=true'
  --set 'correction[0].exposure=-0.7' --set 'correction[0].highlights=-40' --set 'correction[0].shadows=20'
  --set 'correction[0].clarity=-20' --set 'correction[0].saturation=-15'
  --set 'correction[1].mask[0].kind=luminance_range' --set 'correction[1].mask[0].luminance_range=10,30,100,100'
  --set 'correction[1].exposure=0.3' --set 'correction[1].contrast=15' --set 'correction[1].texture=10'
  --set 'correction[1].whites=10' --set 'correction[1].temperature=5'
)
dm_run() { /usr/bin/time -f "%e %M" -o "$W/t" build/depthmask render "$W/big.jpg" -o "$W/out.tif" --no-sidecar --threads 2 "${SETS[@]}" >/dev/null; cat "$W/t"; }
noop_run() { /usr/bin/time -f "%e %M" -o "$W/t" build/depthmask render "$W/big.jpg" -o "$W/noop.tif" --no-sidecar --threads 2 >/dev/null; cat "$W/t"; }
vips_run() { VIPS_CONCURRENCY=2 /usr/bin/time -f "%e %M" -o "$W/t" vips colourspace "$W/big.jpg" "$W/vips.tif" rgb16 >/dev/null; cat "$W/t"; }

: >"$W/dm.txt"; : >"$W/vips.txt"; : >"$W/noop.txt"
for i in $(seq "$REPEAT"); do dm_run >>"$W/dm.txt"; vips_run >>"$W/vips.txt"; noop_run >>"$W/noop.txt"; done
median() { sort -n -k"$2" "$1" | awk -v k="$2" '{a[NR]=$k} END {print a[int((NR+1)/2)]}'; }
dm_t=$(median "$W/dm.txt" 1); dm_m=$(median "$W/dm.txt" 2)
v_t=$(median "$W/vips.txt" 1); v_m=$(median "$W/vips.txt" 2)
n_t=$(median "$W/noop.txt" 1)
awk -v t="$dm_t" -v m="$dm_m" -v vt="$v_t" -v vm="$v_m" -v nt="$n_t" 'BEGIN {
  printf "render 24MP jpeg -> 2 corrections -> 16-bit tiff, 2 threads (median of runs)\n"
  printf "  depthmask: %.2f s wall, peak RSS %.0f MiB   (budget 4 s, 1536 MiB)\n", t, m/1024
  printf "  depthmask with no corrections (decode, colour, encode): %.2f s\n", nt
  printf "  vips decode + 16-bit tiff (I/O floor): %.2f s, %.0f MiB\n", vt, vm/1024
  printf "  ratio depthmask / vips floor: %.2fx\n", t/vt
}'
