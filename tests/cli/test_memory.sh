# Memory is estimated before the big allocations: a 1.2 MB PNG of
# 20000x20000 (inside the 400 MP cap) is refused at once with one line naming
# its size and what it needs, instead of taking gigabytes; --max-memory sets
# the limit.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# A grey 20000x20000 PNG, written row by row (never 400 MB in memory).
$PY - "$T/huge.png" <<'PYEOF'
import struct, sys, zlib
w = h = 20000
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
z = zlib.compressobj(9)
row = b"\0" + bytes(w)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PYEOF
ls -l "$T/huge.png" | awk '{print "huge.png:", $5, "bytes"}'

# The default (3/4 of the RAM or the cgroup's limit) or a stated limit: refused
# before decoding, in little memory.
expect_error 1 "20000x20000 pixels (400.0 MP) need about" -- \
  "$DM" render "$T/huge.png" -o "$T/out.tif" --max-memory 8G --set 'correction[0].exposure=-0.5'
grep -q "more than the 8.0 GiB allowed (--max-memory)" "$T/stderr" || fail "limit not named: $(cat "$T/stderr")"
/usr/bin/time -f "%M" -o "$T/rss" "$DM" render "$T/huge.png" -o "$T/out.tif" --max-memory 8G >/dev/null 2>&1
rss_mb=$(( $(tail -1 "$T/rss") / 1024 ))
[ "$rss_mb" -lt 1500 ] && ok "refused in $rss_mb MB" || fail "refusing took $rss_mb MB"
[ -e "$T/out.tif" ] && fail "an output was written"
[ -e "$T/huge.png.xmp" ] && fail "a sidecar was written"

# info reads headers only: the size of the 400 MP file, in little memory.
/usr/bin/time -f "%M" -o "$T/rss" "$DM" info "$T/huge.png" >"$T/info" 2>"$T/err" || fail "info: $(cat "$T/err")"
grep -q "^size: *20000 x 20000 (400.0 MP)" "$T/info" || fail "info size: $(grep size "$T/info")"
rss_mb=$(( $(tail -1 "$T/rss") / 1024 ))
[ "$rss_mb" -lt 400 ] && ok "info on 400 MP in $rss_mb MB" || fail "info took $rss_mb MB"

# A small photo under a tiny limit is refused the same way; under a fair one it renders.
cp "$HOPPER" "$T/hopper.jpg"
expect_error 1 "need about" -- "$DM" render "$T/hopper.jpg" -o "$T/a.tif" --no-sidecar --max-memory 1M
"$DM" render "$T/hopper.jpg" -o "$T/a.tif" --no-sidecar --max-memory 512M >/dev/null 2>"$T/err" \
  || fail "512M render: $(cat "$T/err")"
expect_error 2 "--max-memory must be a size" -- "$DM" render "$T/hopper.jpg" -o "$T/b.tif" --max-memory lots
expect_no_temp "$T"
finish
