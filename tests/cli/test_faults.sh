# Faults survived: SIGTERM, SIGINT or kill -9 while the output is written
# leave no output and no temporary file (the output is written unnamed, or
# under a name a signal handler removes); the photo and its sidecar stay.
. "$(dirname "$0")/lib.sh"
CR2=/usr/share/doc/rawtran/IMG_5952.CR2

# writing PID DIR: wait (up to 120 s) until PID holds a file open in DIR
# that is not yet in place: unnamed (O_TMPFILE, "(deleted)") or hidden.
writing() {
  local pid=$1 dir=$2 i
  for i in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || return 1
    if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -- "-> $dir/\(#[0-9]* (deleted)\|\.out\.tif\.\)"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

for sig in TERM INT KILL; do
  d="$T/$sig"
  mkdir -p "$d"
  cp "$CR2" "$d/photo.CR2"
  "$DM" render "$d/photo.CR2" -o "$d/first.tif" --set 'correction[0].exposure=-0.3' >/dev/null 2>&1 \
    || fail "$sig: first render"
  cp "$d/photo.xmp" "$d/keep.xmp"
  # A deflate 16-bit TIFF of the RAW: long enough to be caught writing.
  env --default-signal=INT "$DM" render "$d/photo.CR2" -o "$d/out.tif" --compression deflate \
    --set 'correction[0].exposure=0.4' >/dev/null 2>"$d/err" &
  pid=$!
  if writing "$pid" "$d"; then
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    [ "$rc" -gt 128 ] || fail "$sig: exit $rc, want death by the signal"
    [ -e "$d/out.tif" ] && fail "$sig: output left behind"
    cmp -s "$d/photo.xmp" "$d/keep.xmp" || fail "$sig: the sidecar changed"
    left=$(ls -A "$d" | grep '^\.' || true)
    [ -z "$left" ] && ok "$sig while writing: nothing left" || fail "$sig: left $left"
  else
    wait "$pid"
    fail "$sig: never caught the render writing its output ($(cat "$d/err"))"
  fi
  # The next render of the same output works and leaves nothing either.
  "$DM" render "$d/photo.CR2" -o "$d/out.tif" --set 'correction[0].exposure=0.4' >/dev/null 2>"$d/err" \
    || fail "$sig: render after the kill: $(cat "$d/err")"
  expect_no_temp "$d"
done
finish
