# Shared helpers for the CLI tests (sourced, not run).
set -u
FAILS=0
T="${DM_BUILD_DIR:-/tmp}/test-tmp/$(basename "$0" .sh)"
rm -rf "$T" && mkdir -p "$T"
DM="${DM_BIN:?DM_BIN must point at the depthmask binary}"
COFFEE=/usr/lib/python3/dist-packages/skimage/data/coffee.png
HOPPER=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# expect_error CODE NEEDLE -- command...: exit code CODE, exactly one stderr
# line starting "depthmask: " that contains NEEDLE.
expect_error() {
  local code=$1 needle=$2
  shift 3
  "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  local lines
  lines=$(wc -l <"$T/stderr")
  if [ "$rc" -ne "$code" ]; then
    fail "$* exited $rc, want $code ($(cat "$T/stderr"))"
  elif [ "$lines" -ne 1 ] || ! grep -q "^depthmask: " "$T/stderr"; then
    fail "$*: stderr is not one 'depthmask:' line: $(cat "$T/stderr")"
  elif ! grep -qF -- "$needle" "$T/stderr"; then
    fail "$*: stderr lacks '$needle': $(cat "$T/stderr")"
  else
    ok "$* -> $(cat "$T/stderr")"
  fi
}

# No temporary files (".name.XXXXXX") left in a folder.
expect_no_temp() {
  if ls -a "$1" | grep -q '^\..*\.[A-Za-z0-9]\{6\}$'; then
    fail "temporary file left in $1: $(ls -a "$1" | tr '\n' ' ')"
  fi
}

finish() {
  if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)" >&2
    exit 1
  fi
  echo "all passed"
}
