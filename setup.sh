#!/usr/bin/env bash
# Takes a fresh Debian 12 machine (root, apt and npm reachable) to a built
# depthmask: installs the Debian packages, builds Release (build/) and an
# AddressSanitizer + UBSan build (build-asan/) for the tests, then renders the
# demo photo. Safe to run again: it only installs what is missing and
# rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # image I/O, colour, metadata, sidecar, hashing
  libjpeg62-turbo-dev libpng-dev libtiff-dev libraw-dev libheif-dev liblcms2-dev
  libexif-dev libxml2-dev libxxhash-dev
  # tests and benchmarks: reference tools and real photographs
  liblcms2-utils libgs-common libimage-exiftool-perl libheif-examples libvips-tools time
  rawtran-doc
  python3-skimage python-matplotlib-data python3-numpy python3-pil python3-scipy
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages (network weights, onnxruntime-node for parity tests) arrive with
# the inference runtime; nothing to fetch while models/ has no lockfile.
if [ -f models/package-lock.json ]; then
  (cd models && npm ci --ignore-scripts --no-audit --no-fund)
fi

JOBS=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDM_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDM_SANITIZE=ON -DDM_WERROR=ON >/dev/null
cmake --build build-asan -j"$JOBS"

./build/depthmask demo
