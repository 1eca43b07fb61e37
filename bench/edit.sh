#!/usr/bin/env bash
# Issue 14's speed bars for the editor's render graph, in process (bench_edit) and through
# `depthmask edit`'s HTTP API (edit_http.py), and issue 15's in the browser (edit_browser.mjs:
# a slider's input event to the preview painted): one slider
# change to the preview's JPEG bytes at the draft and proxy levels, a region at 100 %, peak
# RSS, on a 24 MP photo with its depth and matte cached; beside the same change rendered by a
# `depthmask render` process on the proxy-sized photo (depth cached), the peer the issue names.
#   bench/edit.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEAT=${REPEAT:-15}
W=$(mktemp -d /tmp/dm-bench-edit.XXXXXX)
trap 'rm -rf "$W"' EXIT
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$PWD/models}
. bench/lib.sh
make_24mp "$W/big.jpg"
vips thumbnail "$W/big.jpg" "$W/proxy.jpg[Q=92]" 1600
# The networks once per photo, so both sides read depth and matte from the cache.
for p in big proxy; do
  "$BUILD/depthmask" depth "$W/$p.jpg" -o "$W/$p-depth.png" --cache "$W/cache" --threads 2 >/dev/null
done
"$BUILD/bench_edit" "$W/big.jpg" --cache "$W/cache" --threads 2 --repeat "$REPEAT"
# The same through the server, as the page does it: PATCH then GET /api/preview; peak memory.
/usr/bin/python3 bench/edit_http.py "$BUILD/depthmask" "$W/big.jpg" "$W/cache" "$REPEAT"
# Issue 15's bar in the browser: a slider's input event to the new preview painted on the
# page's canvas, 30 mouse moves per control (headless chromium, playwright-core).
if [ -x /usr/bin/chromium ] && [ -d tools/browser/node_modules/playwright-core ]; then
  node bench/edit_browser.mjs "$BUILD/depthmask" "$W/big.jpg" "$W/cache" 30
else
  echo "  browser: skipped (chromium or tools/browser's playwright-core missing: run ./setup.sh)"
fi
SETS=(--set 'correction[0].mask[0].kind=depth_range' --set 'correction[0].mask[0].depth_range=0,35'
      --set 'correction[0].mask[0].smoothness=30' --set 'correction[0].mask[1].kind=subject'
      --set 'correction[0].mask[1].mode=intersect' --set 'correction[0].exposure=0.3'
      --set 'correction[1].mask[0].kind=background' --set 'correction[1].exposure=-0.7'
      --set 'lens_blur.amount=50')
: >"$W/peer.txt"
for i in $(seq 5); do
  /usr/bin/time -f "%e" -a -o "$W/peer.txt" "$BUILD/depthmask" render "$W/proxy.jpg" -o "$W/out.jpg" \
    --no-sidecar --cache "$W/cache" --threads 2 "${SETS[@]}" --set "correction[1].exposure=-0.$((60 + i))" >/dev/null
done
sort -n "$W/peer.txt" | awk '{a[NR]=$1} END {printf "  peer: a `depthmask render` process of the 1600 px photo, same recipe, depth cached: median %.0f ms\n", 1000*a[int((NR+1)/2)]}'
