#!/usr/bin/env bash
# Writes small seed files for a fuzz target, made from the real photographs
# of tests/FIXTURES.md (resized to a few dozen pixels so each run is fast).
#   fuzz/make_seeds.sh TARGET DIR     TARGET = fuzz_jpeg, fuzz_png, fuzz_tiff,
#                                     fuzz_heic, fuzz_raw, or any target with
#                                     a fuzz/seeds/<name>/ folder (fuzz_xmp...)
#   fuzz/make_seeds.sh DIR            every image target, into DIR/<target>/
# Needs Debian's python3-pil and python3-numpy (PIL for JPEG/PNG/TIFF),
# libheif-examples (heif-enc) for HEIC; the raw seeds are small LinearRaw
# DNGs written here plus the head of the CR2 in rawtran-doc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3 # Debian's, which has PIL (a pyenv python may not)

if [ $# -eq 1 ]; then
  for t in fuzz_jpeg fuzz_png fuzz_tiff fuzz_heic fuzz_raw; do
    mkdir -p "$1/$t"
    bash "$0" "$t" "$1/$t"
  done
  exit 0
fi
[ $# -eq 2 ] || { echo "usage: $0 TARGET DIR | $0 DIR" >&2; exit 2; }
target=$1
out=$2
mkdir -p "$out"

# Seeds kept in the tree (e.g. fuzz/seeds/xmp for fuzz_xmp).
if [ -d "$here/seeds/${target#fuzz_}" ]; then
  cp -n "$here/seeds/${target#fuzz_}"/* "$out"/ 2>/dev/null || true
fi

photos=(/usr/lib/python3/dist-packages/skimage/data/coffee.png
        /usr/lib/python3/dist-packages/skimage/data/astronaut.png
        /usr/lib/python3/dist-packages/skimage/data/chelsea.png
        /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg)

case "$target" in
fuzz_jpeg|fuzz_png|fuzz_tiff|fuzz_raw)
  "$PY" - "$target" "$out" "${photos[@]}" <<'PYEOF'
import io, struct, sys
import numpy as np
from PIL import Image

target, out, photos = sys.argv[1], sys.argv[2], sys.argv[3:]

def small(path, w=48):
    im = Image.open(path)
    icc = im.info.get("icc_profile")
    im = im.convert("RGB")
    h = max(8, im.height * w // im.width)
    return im.resize((w, h), Image.LANCZOS), icc

def exif_block(orientation):
    ex = Image.Exif()
    ex[0x0112] = orientation
    ex[0x010F] = "Canon"
    ex[0x0110] = "Canon EOS 30D"
    return ex.tobytes()

def save(name, data):
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)

def encoded(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()

def dng(rgb16, orientation=1):
    """A little-endian LinearRaw DNG: 16-bit RGB strips and the colour tags."""
    h, w, _ = rgb16.shape
    pix = rgb16.astype("<u2").tobytes()
    entries = []  # (tag, type, count, value bytes)
    def tag(t, typ, vals):
        fmt = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 10: "ii"}[typ]
        if typ == 2:
            data = vals.encode() + b"\0"; count = len(data)
        elif typ in (5, 10):
            data = b"".join(struct.pack("<" + fmt, int(round(v * 10000)), 10000) for v in vals); count = len(vals)
        else:
            data = struct.pack("<%d%s" % (len(vals), fmt), *vals); count = len(vals)
        entries.append((t, typ, count, data))
    tag(254, 4, [0]); tag(256, 4, [w]); tag(257, 4, [h]); tag(258, 3, [16, 16, 16])
    tag(259, 3, [1]); tag(262, 3, [34892]); tag(271, 2, "depthmask"); tag(272, 2, "seed")
    tag(273, 4, [0]); tag(274, 3, [orientation]); tag(277, 3, [3]); tag(278, 4, [h])
    tag(279, 4, [len(pix)]); tag(284, 3, [1])
    tag(50706, 1, [1, 4, 0, 0]); tag(50707, 1, [1, 1, 0, 0]); tag(50708, 2, "depthmask seed")
    tag(50717, 4, [65535])
    tag(50721, 10, [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570])
    tag(50728, 5, [1, 1, 1]); tag(50778, 3, [21])
    entries.sort()
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(entries) + 4
    # Values longer than 4 bytes go after the directory, then the pixels.
    blobs, where = b"", {}
    for t, typ, count, data in entries:
        if len(data) > 4:
            where[t] = data_off + len(blobs)
            blobs += data + (b"\0" if len(data) % 2 else b"")
    pix_off = data_off + len(blobs)
    ifd = struct.pack("<H", len(entries))
    for t, typ, count, data in entries:
        if t == 273:
            data = struct.pack("<I", pix_off)
        value = struct.pack("<I", where[t]) if t in where else data.ljust(4, b"\0")
        ifd += struct.pack("<HHI", t, typ, count) + value
    ifd += struct.pack("<I", 0)
    return b"II*\0" + struct.pack("<I", ifd_off) + ifd + blobs + pix

for i, path in enumerate(photos):
    im, icc = small(path)
    g = im.convert("L")
    if target == "fuzz_jpeg":
        save(f"{i}-base.jpg", encoded(im, "JPEG", quality=85))
        save(f"{i}-444.jpg", encoded(im, "JPEG", quality=95, subsampling=0))
        save(f"{i}-prog.jpg", encoded(im, "JPEG", quality=80, progressive=True))
        save(f"{i}-grey.jpg", encoded(g, "JPEG", quality=80))
        save(f"{i}-exif6.jpg", encoded(im, "JPEG", quality=70, exif=exif_block(6)))
        if icc:
            save(f"{i}-icc.jpg", encoded(im, "JPEG", quality=70, icc_profile=icc))
        save(f"{i}-cmyk.jpg", encoded(im.convert("CMYK"), "JPEG", quality=70))
    elif target == "fuzz_png":
        save(f"{i}-rgb8.png", encoded(im, "PNG"))
        save(f"{i}-grey.png", encoded(g, "PNG"))
        save(f"{i}-pal.png", encoded(im.quantize(16), "PNG"))
        save(f"{i}-bits1.png", encoded(g.convert("1"), "PNG"))
        save(f"{i}-rgba.png", encoded(im.convert("RGBA"), "PNG"))
        save(f"{i}-grey16.png", encoded(Image.fromarray(np.asarray(g).astype(np.uint16) * 257), "PNG"))
        if icc:
            save(f"{i}-icc.png", encoded(im, "PNG", icc_profile=icc))
        save(f"{i}-exif.png", encoded(im, "PNG", exif=exif_block(3)))
    elif target == "fuzz_tiff":
        for comp in ("raw", "tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"):
            save(f"{i}-{comp}.tif", encoded(im, "TIFF", compression=comp))
        save(f"{i}-grey.tif", encoded(g, "TIFF"))
        save(f"{i}-grey16.tif", encoded(Image.fromarray(np.asarray(g).astype(np.uint16) * 257), "TIFF"))
        save(f"{i}-float.tif", encoded(Image.fromarray(np.asarray(g).astype(np.float32) / 255), "TIFF"))
        save(f"{i}-bits1.tif", encoded(g.convert("1"), "TIFF", compression="group4"))
        save(f"{i}-pal.tif", encoded(im.quantize(16), "TIFF"))
        save(f"{i}-cmyk.tif", encoded(im.convert("CMYK"), "TIFF"))
        if icc:
            save(f"{i}-icc.tif", encoded(im, "TIFF", icc_profile=icc))
        save(f"{i}-rgb16.dng", dng(np.asarray(im).astype(np.uint16) * 257))
    elif target == "fuzz_raw":
        lin = (np.asarray(im).astype(np.float64) / 255) ** 2.2
        save(f"{i}-linear.dng", dng(np.round(lin * 65535).astype(np.uint16)))
        save(f"{i}-linear6.dng", dng(np.round(lin * 65535).astype(np.uint16), 6))
PYEOF
  if [ "$target" = fuzz_raw ] && [ -r /usr/share/doc/rawtran/IMG_5952.CR2 ]; then
    # The real CR2's directories and maker notes (its raw data would make a
    # seed megabytes long): parsing coverage, it fails at the data.
    head -c 65536 /usr/share/doc/rawtran/IMG_5952.CR2 >"$out/cr2-head.cr2"
  fi
  ;;
fuzz_heic)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$PY" - "$tmp" "${photos[@]}" <<'PYEOF'
import sys
from PIL import Image
tmp, photos = sys.argv[1], sys.argv[2:]
for i, p in enumerate(photos):
    im = Image.open(p).convert("RGB")
    im.resize((64, 64 * im.height // im.width // 2 * 2), Image.LANCZOS).save(f"{tmp}/{i}.png")
PYEOF
  for f in "$tmp"/*.png; do
    n=$(basename "$f" .png)
    heif-enc -q 40 "$f" -o "$out/$n.heic" >/dev/null 2>&1 || echo "heif-enc failed on $f" >&2
    heif-enc -q 40 -b 10 "$f" -o "$out/$n-10bit.heic" >/dev/null 2>&1 || true
  done
  ;;
fuzz_icc)
  find /usr/share/color/icc -name '*.ic[cm]' -size -64k -exec cp -n {} "$out"/ \; 2>/dev/null || true
  ;;
esac
echo "$(ls "$out" | wc -l) seeds in $out"
