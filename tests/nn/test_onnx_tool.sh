# depthmask-onnx on ONNX conformance models with inputs made by numpy: the
# outputs equal numpy's, the timing lines have the format the benchmark
# parses, and bad input / bad usage fail with one line and exit 1 / 2.
. "$(dirname "$0")/../cli/lib.sh"
TOOL="${DM_BUILD_DIR:?}/depthmask-onnx"
PY=/usr/bin/python3 # Debian's, which has numpy
NODE=/usr/share/libonnx-testdata/data/node
RELU=$NODE/test_relu/model.onnx
ADD=$NODE/test_add/model.onnx
POOL=$NODE/test_maxpool_with_argmax_2d_precomputed_pads/model.onnx

# expect_error from lib.sh wants "depthmask: "; the tool says "depthmask-onnx: ".
expect_tool_error() {
  local code=$1 needle=$2
  shift 3
  "$@" >"$T/stdout" 2>"$T/stderr"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then
    fail "$* exited $rc, want $code ($(cat "$T/stderr"))"
  elif [ "$(wc -l <"$T/stderr")" -ne 1 ] || ! grep -q "^depthmask-onnx: " "$T/stderr"; then
    fail "$*: stderr is not one 'depthmask-onnx:' line: $(cat "$T/stderr")"
  elif ! grep -qF -- "$needle" "$T/stderr"; then
    fail "$*: stderr lacks '$needle': $(cat "$T/stderr")"
  else
    ok "$* -> $(cat "$T/stderr")"
  fi
}

"$PY" - "$T" <<'EOF' || fail "numpy could not write the inputs"
import sys
import numpy as np
t = sys.argv[1]
rng = np.random.default_rng(7)
np.save(f"{t}/x.npy", rng.standard_normal((3, 4, 5)).astype(np.float32))
np.save(f"{t}/y.npy", rng.standard_normal((3, 4, 5)).astype(np.float32))
np.save(f"{t}/x64.npy", rng.standard_normal((3, 4, 5)))
np.save(f"{t}/x_small.npy", np.zeros((3, 4), np.float32))
np.save(f"{t}/img.npy", rng.standard_normal((1, 1, 5, 5)).astype(np.float32))
EOF

# Relu, one run: one "run 1:" line and the median.
"$TOOL" run "$RELU" --in x="$T/x.npy" --out y="$T/y_relu.npy" >"$T/out" 2>"$T/err" \
  || fail "relu run failed: $(cat "$T/err")"
grep -Eq '^run 1: [0-9]+\.[0-9]{3} ms$' "$T/out" && grep -Eq '^median: [0-9]+\.[0-9]{3} ms$' "$T/out" \
  && [ "$(wc -l <"$T/out")" -eq 2 ] || fail "relu timing lines: $(cat "$T/out")"
"$PY" -c "
import sys, numpy as np
x, y = np.load('$T/x.npy'), np.load('$T/y_relu.npy')
sys.exit(0 if y.dtype == np.float32 and y.shape == x.shape and (y == np.maximum(x, 0)).all() else 1)
" && ok "relu output equals numpy's" || fail "relu output differs from numpy's"
expect_no_temp "$T"

# Add with inputs given out of order, repeated: warm-up untimed, N timed runs.
"$TOOL" run "$ADD" --in y="$T/y.npy" --in x="$T/x.npy" --out sum="$T/sum.npy" --repeat 4 \
  --threads 2 --profile >"$T/out" 2>"$T/err" || fail "add run failed: $(cat "$T/err")"
[ "$(grep -Ec '^run [1-4]: [0-9]+\.[0-9]{3} ms$' "$T/out")" -eq 4 ] \
  && [ "$(tail -n 1 "$T/out" | grep -Ec '^median: [0-9]+\.[0-9]{3} ms$')" -eq 1 ] \
  && [ "$(wc -l <"$T/out")" -eq 5 ] || fail "add --repeat 4 timing lines: $(cat "$T/out")"
"$PY" -c "
import sys, numpy as np
s = np.load('$T/sum.npy')
want = np.load('$T/x.npy') + np.load('$T/y.npy')
sys.exit(0 if s.dtype == np.float32 and np.allclose(s, want, rtol=1e-6, atol=0) else 1)
" && ok "add output equals numpy's" || fail "add output differs from numpy's"

# --profile on a Conv: per-op lines, then the Conv broken down by shape and
# kernel with its GFLOP/s (1->1 channels, 3x3, 5x5 output with padding 1).
CONV=$NODE/test_basic_conv_with_padding/model.onnx
"$PY" -c "
import numpy as np
np.save('$T/w.npy', np.ones((1, 1, 3, 3), np.float32))
" || fail "numpy could not write W"
"$TOOL" run "$CONV" --in x="$T/img.npy" --in W="$T/w.npy" --repeat 2 --profile >/dev/null 2>"$T/err" \
  || fail "conv --profile run failed: $(cat "$T/err")"
grep -Eq '^Conv +1 +[0-9]+\.[0-9]{3} +[0-9.]+%$' "$T/err" \
  && grep -Eq '^described node +nodes +ms/run +share +GFLOP/s$' "$T/err" \
  && grep -Eq '^[a-z0-9-]+/[a-z0-9]+ 3x3 d1 s1 g1 1->1 5x5 +1 +[0-9]+\.[0-9]{3} +[0-9.]+% +[0-9]+\.[0-9]$' "$T/err" \
  && ok "conv --profile: per op and per shape" || fail "conv --profile lines: $(cat "$T/err")"

# Only the requested output is written (MaxPool with indices: ask for z only).
"$TOOL" run "$POOL" --in x="$T/img.npy" --out z="$T/z.npy" >/dev/null 2>"$T/err" \
  || fail "maxpool run failed: $(cat "$T/err")"
"$PY" -c "
import sys, numpy as np
z = np.load('$T/z.npy')
sys.exit(0 if z.dtype == np.int64 and z.shape == (1, 1, 5, 5) else 1)
" && ok "maxpool indices written as int64" || fail "maxpool indices wrong"

# info
"$TOOL" info "$ADD" >"$T/info" 2>&1 || fail "info failed: $(cat "$T/info")"
grep -q '^opset: 14$' "$T/info" && grep -q '^  x: float32 \[3, 4, 5\]$' "$T/info" \
  && grep -q '^  sum: float32 \[3, 4, 5\]$' "$T/info" && grep -q '^  Add: 1$' "$T/info" \
  && grep -q '^weights: 0 bytes read in place, 0 float16 bytes converted, 0 bytes copied$' "$T/info" \
  || fail "info output: $(cat "$T/info")"

# Bad input: exit 1, one line naming the file.
head -c 3000 /dev/urandom >"$T/noise.onnx"
: >"$T/empty.npy"
expect_tool_error 1 "$T/noise.onnx: " -- "$TOOL" run "$T/noise.onnx" --in x="$T/x.npy"
expect_tool_error 1 "$T/missing.onnx: " -- "$TOOL" run "$T/missing.onnx" --in x="$T/x.npy"
expect_tool_error 1 "$T/noise.onnx: " -- "$TOOL" info "$T/noise.onnx"
expect_tool_error 1 "$T/empty.npy: not a .npy file" -- "$TOOL" run "$RELU" --in x="$T/empty.npy"
expect_tool_error 1 "$T/x64.npy: dtype float64" -- "$TOOL" run "$RELU" --in x="$T/x64.npy"
expect_tool_error 1 "$T/x_small.npy: shape [3, 4]" -- "$TOOL" run "$RELU" --in x="$T/x_small.npy"
expect_tool_error 1 "$T/nodir/y.npy: " -- "$TOOL" run "$RELU" --in x="$T/x.npy" --out y="$T/nodir/y.npy"

# Bad usage: exit 2.
expect_tool_error 2 'missing --in for input "x"' -- "$TOOL" run "$RELU"
expect_tool_error 2 'missing --in for input "y"' -- "$TOOL" run "$ADD" --in x="$T/x.npy"
expect_tool_error 2 'no input "bogus"' -- "$TOOL" run "$RELU" --in bogus="$T/x.npy"
expect_tool_error 2 'no output "bogus"' -- "$TOOL" run "$RELU" --in x="$T/x.npy" --out bogus="$T/o.npy"
expect_tool_error 2 'given twice' -- "$TOOL" run "$RELU" --in x="$T/x.npy" --in x="$T/x.npy"
expect_tool_error 2 'NAME=FILE' -- "$TOOL" run "$RELU" --in "$T/x.npy"
expect_tool_error 2 '--repeat' -- "$TOOL" run "$RELU" --in x="$T/x.npy" --repeat 0
expect_tool_error 2 '--threads' -- "$TOOL" run "$RELU" --in x="$T/x.npy" --threads many
expect_tool_error 2 'unknown option' -- "$TOOL" run "$RELU" --bogus
expect_tool_error 2 'needs a MODEL' -- "$TOOL" run
expect_tool_error 2 'unknown command' -- "$TOOL" frobnicate
"$TOOL" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no arguments should exit 2"
"$TOOL" --help | grep -q "^usage: depthmask-onnx COMMAND" || fail "--help"

finish
