#!/usr/bin/env bash
# libheif is loaded when a HEIF file needs it (src/io/heif_lazy.c), not at
# start-up: the binary does not list it, a HEIC still decodes, and when the
# library cannot be loaded a HEIC gets one line saying so (not "not a
# photo") while every other format works as before. The phone HEIC is
# ../shared/phone (MIT, see its README).
. "$(dirname "$0")/lib.sh"
HEIC="$DM_SOURCE_DIR/../shared/phone/heic_depth_data.heic"

if readelf -d "$DM" | grep -qi 'NEEDED.*libheif'; then
  fail "depthmask links libheif at start-up: $(readelf -d "$DM" | grep -i heif)"
else
  ok "libheif is not among depthmask's NEEDED libraries"
fi

if "$DM" info "$HEIC" >"$T/info" 2>"$T/err" && grep -q "format: *HEIC" "$T/info"; then
  ok "a HEIC decodes through the loaded library"
else
  fail "info on $HEIC: $(cat "$T/err")"
fi

export DEPTHMASK_LIBHEIF=libdepthmask-no-such-heif.so.0
expect_error 1 "HEIF needs libheif, which cannot be loaded" -- "$DM" info "$HEIC"
expect_error 1 "HEIF needs libheif, which cannot be loaded" -- \
  "$DM" render "$HEIC" -o "$T/out.jpg" --no-sidecar --matte none
[ -e "$T/out.jpg" ] && fail "an output was written for a HEIC that cannot be decoded"
if "$DM" render "$COFFEE" -o "$T/coffee.jpg" --no-sidecar --matte none >"$T/out" 2>"$T/err" && [ -s "$T/coffee.jpg" ]; then
  ok "a PNG renders without libheif"
else
  fail "a PNG render needed libheif: $(cat "$T/err")"
fi
finish
