#!/usr/bin/env bash
# The default test suite: every ctest test on the AddressSanitizer + UBSan
# build. Run ./setup.sh first. Extra arguments go to ctest (e.g. -R io).
set -euo pipefail
cd "$(dirname "$0")"
cmake --build build-asan -j"$(nproc)"
cmake --build build -j"$(nproc)"
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" "$@"
