#!/usr/bin/env bash
# libheif, LibRaw, libmicrohttpd and OpenBLAS are loaded when a file or
# command first needs them (src/core/lazy_lib.c), not at start-up: the binary does not
# list them, a HEIC and a camera raw still decode, and when a library
# cannot be loaded the photo or command that needs it gets one line saying
# so (not "not a photo") while everything else works as before. The phone
# HEIC is ../shared/phone (MIT, see its README); the CR2 is rawtran-doc's.
. "$(dirname "$0")/lib.sh"
HEIC="$DM_SOURCE_DIR/../shared/phone/heic_depth_data.heic"
CR2=/usr/share/doc/rawtran/IMG_5952.CR2

needed=$(readelf -d "$DM" | grep NEEDED)
for lib in libheif libraw libmicrohttpd libopenblas; do
  if grep -qi "$lib" <<<"$needed"; then
    fail "depthmask links $lib at start-up"
  else
    ok "$lib is not among depthmask's NEEDED libraries"
  fi
done

if "$DM" info "$HEIC" >"$T/info" 2>"$T/err" && grep -q "format: *HEIC" "$T/info"; then
  ok "a HEIC decodes through the loaded libheif"
else
  fail "info on $HEIC: $(cat "$T/err")"
fi
if "$DM" info "$CR2" >"$T/info" 2>"$T/err" && grep -qi "format: *camera raw" "$T/info"; then
  ok "a CR2 decodes through the loaded LibRaw"
else
  fail "info on $CR2: $(cat "$T/info" "$T/err")"
fi

export DEPTHMASK_LIBHEIF=libdepthmask-no-such-heif.so.0
export DEPTHMASK_LIBRAW=libdepthmask-no-such-raw.so.0
export DEPTHMASK_LIBMICROHTTPD=libdepthmask-no-such-mhd.so.0
export DEPTHMASK_LIBOPENBLAS=libdepthmask-no-such-blas.so.0
expect_error 1 "the networks need OpenBLAS, which cannot be loaded" -- \
  "$DM" depth "$HOPPER" -o "$T/d.png" --no-cache
[ -e "$T/d.png" ] && fail "a depth map was written without the networks"
expect_error 1 "HEIF needs libheif, which cannot be loaded" -- "$DM" info "$HEIC"
expect_error 1 "HEIF needs libheif, which cannot be loaded" -- \
  "$DM" render "$HEIC" -o "$T/out.jpg" --no-sidecar --matte none
[ -e "$T/out.jpg" ] && fail "an output was written for a HEIC that cannot be decoded"
expect_error 1 "camera raws need LibRaw, which cannot be loaded" -- \
  "$DM" render "$CR2" -o "$T/raw.jpg" --no-sidecar --matte none
[ -e "$T/raw.jpg" ] && fail "an output was written for a raw that cannot be decoded"
timeout 20 "$DM" edit "$COFFEE" --no-cache >"$T/stdout" 2>"$T/stderr"
rc=$?
if [ "$rc" -ne 0 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] &&
  grep -q "^depthmask: .*the editor needs libmicrohttpd, which cannot be loaded" "$T/stderr"; then
  ok "edit without libmicrohttpd -> $(cat "$T/stderr")"
else
  fail "edit without libmicrohttpd exited $rc: $(cat "$T/stdout" "$T/stderr")"
fi
if "$DM" render "$COFFEE" -o "$T/coffee.jpg" --no-sidecar --matte none >"$T/out" 2>"$T/err" && [ -s "$T/coffee.jpg" ]; then
  ok "a PNG renders without any of them"
else
  fail "a PNG render needed one of them: $(cat "$T/err")"
fi
finish
