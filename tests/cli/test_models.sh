# depthmask models list | add: the known networks, whether each installed file
# is the published one, and installing one from a file (only known checksums).
. "$(dirname "$0")/lib.sh"

SRC_MODELS="${DM_SOURCE_DIR:?}/models"
FASTDEPTH="$SRC_MODELS/fastdepth_7.onnx"

# list, on the default folder (the source tree's models/, filled by setup.sh).
if env -u DEPTHMASK_MODELS "$DM" models list >"$T/list" 2>"$T/err"; then
  ok "models list"
else
  fail "models list exited non-zero: $(cat "$T/err")"
fi
for id in isnet-medium fastdepth da-v2-small da-v2-small-int8; do
  grep -q "^$id " "$T/list" || fail "models list has no line for $id"
done
if [ -f "$FASTDEPTH" ]; then
  grep -Eq "^fastdepth +depth +installed +5775869 +ok +$FASTDEPTH\$" "$T/list" ||
    fail "fastdepth is installed but not listed as verified: $(grep fastdepth "$T/list")"
fi

# Usage errors: exit 2.
expect_error 2 "sub-command" -- "$DM" models
expect_error 2 "unknown models sub-command" -- "$DM" models remove x
expect_error 2 "needs a model file" -- "$DM" models add
expect_error 2 "takes no arguments" -- "$DM" models list extra

# A file that is no known model: one line, exit 1, nothing installed.
export DEPTHMASK_MODELS="$T/store"
head -c 65536 /dev/urandom >"$T/random.onnx"
want=$(sha256sum "$T/random.onnx" | cut -d' ' -f1)
expect_error 1 "$T/random.onnx: not a known model (sha256 $want)" -- "$DM" models add "$T/random.onnx"
expect_error 1 "$T/missing.onnx: " -- "$DM" models add "$T/missing.onnx"
[ -n "$(ls -A "$T/store" 2>/dev/null)" ] && fail "a refused file left something in the store"

# A known model (FastDepth, bundled by setup.sh) into an empty store.
if [ ! -f "$FASTDEPTH" ]; then
  echo "SKIP: add of a known model: $FASTDEPTH is absent (run ./setup.sh)"
else
  cp "$FASTDEPTH" "$T/some name.onnx"
  if "$DM" models add "$T/some name.onnx" >"$T/out" 2>"$T/err"; then
    ok "models add: $(cat "$T/out")"
  else
    fail "models add of a copy of fastdepth_7.onnx failed: $(cat "$T/err")"
  fi
  cmp -s "$FASTDEPTH" "$T/store/fastdepth_7.onnx" || fail "the installed copy differs from the source"
  ino=$(stat -c %i "$T/store/fastdepth_7.onnx")
  # Idempotent: the same file again is reported, not rewritten.
  "$DM" models add "$T/some name.onnx" >"$T/out" 2>"$T/err" || fail "second add failed: $(cat "$T/err")"
  grep -q "already installed" "$T/out" || fail "second add did not say already installed: $(cat "$T/out")"
  [ "$(stat -c %i "$T/store/fastdepth_7.onnx")" = "$ino" ] || fail "second add rewrote the file"
  expect_no_temp "$T/store"

  "$DM" models list >"$T/list" 2>"$T/err" || fail "models list on the store failed: $(cat "$T/err")"
  grep -Eq "^fastdepth +depth +installed +5775869 +ok " "$T/list" || fail "store: fastdepth not verified"
  grep -Eq "^isnet-medium +matte +missing " "$T/list" || fail "store: isnet-medium not shown missing"

  # A damaged file shows as MISMATCH, and add replaces it.
  printf 'Z' | dd of="$T/store/fastdepth_7.onnx" bs=1 seek=4096 conv=notrunc 2>/dev/null
  "$DM" models list >"$T/list" 2>/dev/null
  grep -Eq "^fastdepth .* MISMATCH " "$T/list" || fail "a damaged fastdepth is not shown as MISMATCH"
  "$DM" models add "$T/some name.onnx" >"$T/out" 2>"$T/err" || fail "repairing add failed: $(cat "$T/err")"
  cmp -s "$FASTDEPTH" "$T/store/fastdepth_7.onnx" || fail "add did not replace the damaged file"
  expect_no_temp "$T/store"
fi

finish
