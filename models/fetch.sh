#!/usr/bin/env bash
# Puts the network weights listed in SHA256SUMS into models/, from the npm
# packages pinned here (README.md says what each one is), and checks every file
# by SHA-256. Called by ../setup.sh; safe to run again: a file that is present
# and verifies is left alone, and npm is only asked for what is missing.
#   ISNet medium   rebuilt from the chunks of @imgly/background-removal-data
#                  (package.json / package-lock.json, `npm ci`)
#   FastDepth      one file out of an `npm pack` tarball (packs.txt)
# Any checksum mismatch deletes the bad file and stops with an error.
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "models: error: $*" >&2; exit 1; }
say() { echo "models: $*"; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dm-models.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

expected_sum() { # FILE -> its line's checksum in SHA256SUMS
  awk -v f="$1" '$2 == f || $2 == "*" f { print $1 }' SHA256SUMS
}

verified() { # FILE: present and matching SHA256SUMS
  local want
  want=$(expected_sum "$1")
  [ -n "$want" ] && [ -f "$1" ] && echo "$want  $1" | sha256sum --quiet -c - >/dev/null 2>&1
}

# Check a freshly built SRC against FILE's checksum and move it into place;
# on a mismatch delete it and stop.
install_checked() { # SRC FILE
  local src=$1 file=$2 want got
  want=$(expected_sum "$file")
  [ -n "$want" ] || die "$file is not listed in SHA256SUMS"
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$src"
    die "$file: sha256 mismatch (got $got, SHA256SUMS says $want); the file was deleted"
  fi
  mv -f "$src" "$file"
  say "$file ok ($(stat -c %s "$file") bytes, sha256 verified)"
}

# --- ISNet medium: chunks of @imgly/background-removal-data ------------------
imgly=node_modules/@imgly/background-removal-data

npm_installed() { # the lockfile's version of the data package is in node_modules
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
    const want = lock.packages["node_modules/@imgly/background-removal-data"].version;
    const got = JSON.parse(fs.readFileSync(process.argv[1] + "/package.json", "utf8")).version;
    process.exit(want === got ? 0 : 1);' "$imgly" 2>/dev/null
}

# The model is stored as 4 MiB chunks named by their SHA-256; resources.json
# lists them with [start, end) offsets. Check each chunk's name, size and
# that the offsets tile [0, size) before concatenating.
assemble_chunks() { # KEY OUT
  # shellcheck disable=SC2016 # ${...} below is JavaScript's
  node -e '
    const fs = require("fs"), crypto = require("crypto"), path = require("path");
    const [dist, key, out] = process.argv.slice(1);
    const fail = (msg) => { console.error("models: error: " + msg); process.exit(1); };
    const entry = JSON.parse(fs.readFileSync(path.join(dist, "resources.json"), "utf8"))[key];
    if (!entry || !Array.isArray(entry.chunks)) fail(`no ${key} in resources.json`);
    const fd = fs.openSync(out, "w");
    let at = 0;
    for (const c of entry.chunks) {
      const [start, end] = c.offsets;
      if (!/^[0-9a-f]{64}$/.test(c.hash)) fail(`chunk name ${c.hash} is not a sha256`);
      if (start !== at || end <= start) fail(`chunk ${c.hash}: offsets ${start}-${end}, expected to start at ${at}`);
      const data = fs.readFileSync(path.join(dist, c.hash));
      if (data.length !== end - start) fail(`chunk ${c.hash}: ${data.length} bytes, offsets say ${end - start}`);
      if (crypto.createHash("sha256").update(data).digest("hex") !== c.hash) fail(`chunk ${c.hash}: content does not match its name`);
      fs.writeSync(fd, data);
      at = end;
    }
    fs.closeSync(fd);
    if (entry.size !== undefined && at !== entry.size) fail(`chunks end at ${at}, size is ${entry.size}`);
  ' "$imgly/dist" "$1" "$2" || die "could not rebuild ${2##*/} from $imgly/dist"
}

fetch_isnet() {
  local file=isnet_medium.onnx
  if verified "$file"; then return; fi
  [ -f "$file" ] && { say "$file does not match SHA256SUMS; deleting and rebuilding it"; rm -f "$file"; }
  if ! npm_installed; then
    say "npm ci (@imgly/background-removal-data, ~136 MB download on a cold npm cache)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null ||
      die "npm ci failed in models/"
  fi
  assemble_chunks /models/medium "$scratch/$file"
  install_checked "$scratch/$file" "$file"
}

# --- packs.txt: single files out of `npm pack` tarballs ----------------------
integrity_of() { # FILE -> sha512-<base64>, npm's dist.integrity form
  node -e '
    const fs = require("fs"), crypto = require("crypto");
    process.stdout.write("sha512-" + crypto.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
  ' "$1"
}

fetch_pack() { # SPEC INTEGRITY MEMBER FILE
  local spec=$1 integrity=$2 member=$3 file=$4 tgz got
  if verified "$file"; then return; fi
  [ -f "$file" ] && { say "$file does not match SHA256SUMS; deleting and rebuilding it"; rm -f "$file"; }
  say "npm pack $spec"
  tgz=$(cd "$scratch" && npm pack "$spec" --silent --loglevel=error) || die "npm pack $spec failed"
  tgz=$scratch/$(tail -n1 <<<"$tgz")
  got=$(integrity_of "$tgz")
  [ "$got" = "$integrity" ] || die "$spec: tarball integrity $got does not match packs.txt ($integrity)"
  tar -xmzf "$tgz" -C "$scratch" "$member" || die "$spec: no $member in the tarball"
  install_checked "$scratch/$member" "$file"
}

command -v npm >/dev/null || die "npm is not installed (setup.sh installs it)"
fetch_isnet
while read -r spec integrity member file; do
  case "$spec" in '' | '#'*) continue ;; esac
  fetch_pack "$spec" "$integrity" "$member" "$file"
done <packs.txt

# Final word: every listed file, as sha256sum sees it.
sha256sum --quiet -c SHA256SUMS || die "a file in models/ does not match SHA256SUMS"
