#!/usr/bin/env bash
# Lens blur speed (bench/bench_blur.c): vs gegl:lens-blur on the dof-eval dev1
# scene, time vs CoC radius at 12 MP, 24 MP time and peak RSS; 2 threads.
#   bench/blur.sh [BUILD_DIR] [CASE...]     cases: gegl radius 24mp (default all)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
cmake -S "$ROOT" -B "$BUILD" -DDM_BENCH=ON >/dev/null && cmake --build "$BUILD" -j2 --target bench_blur >/dev/null
command -v gegl >/dev/null || echo "blur.sh: gegl not installed (apt-get install gegl), its line is skipped" >&2
exec "$BUILD/bench_blur" --threads 2 --repeat "${REPEAT:-5}" "$@"
