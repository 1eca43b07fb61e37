#!/usr/bin/env bash
# Writes small seed files for a fuzz target, made from the real photographs
# of tests/FIXTURES.md (resized to a few dozen pixels so each run is fast).
#   fuzz/make_seeds.sh TARGET DIR     TARGET = fuzz_jpeg, fuzz_png, fuzz_tiff, fuzz_npy,
#                                     fuzz_heic, fuzz_raw, fuzz_icc, fuzz_onnx,
#                                     fuzz_onnx_run, fuzz_onnx_ext, fuzz_onnx_wire,
#                                     fuzz_sidecar, fuzz_depth_xmp, fuzz_heic_aux, fuzz_cache,
#                                     fuzz_jpeg_join, fuzz_mpf,
#                                     or any target with a fuzz/seeds/<name>/
#                                     folder (fuzz_xmp, fuzz_set, fuzz_edit_patch...)
#   fuzz/make_seeds.sh DIR            every image target, into DIR/<target>/
# Needs Debian's python3-pil and python3-numpy (PIL for JPEG/PNG/TIFF),
# libheif-examples (heif-enc) for HEIC, python3-onnx for the ONNX targets;
# the raw seeds are small LinearRaw DNGs written here plus the head of the
# CR2 in rawtran-doc. fuzz_depth_xmp, fuzz_heic_aux, fuzz_cache, fuzz_mpf and
# fuzz_jpeg_join take their seeds from test binaries (--write-seeds) of a
# build folder: build the tests first.
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

# A test binary of a build folder ($DM_BUILD_DIR, else build*/), for the
# targets whose seeds the tests write.
test_bin() {
  for b in "${DM_BUILD_DIR:-}" "$here"/../build*; do
    [ -n "$b" ] && [ -x "$b/$1" ] && { echo "$b/$1"; return 0; }
  done
  echo "$target: build $1 first (cmake --build BUILD --target $1)" >&2
  return 1
}

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
fuzz_npy)
  # Every dtype the reader knows, the three format versions, scalars, empty
  # and 1-D shapes, and the refused variants (Fortran order, big-endian).
  "$PY" - "$out" <<'PYEOF'
import sys
import numpy as np
from numpy.lib import format as fmt
out = sys.argv[1]
i = np.arange(24)
arrays = {
    "f4": (i * 0.37 - 3).astype("<f4").reshape(2, 3, 4), "f8": (i / 3.0).reshape(4, 6),
    "f2": (i * 0.5).astype("<f2"), "i8": i.astype("<i8").reshape(2, 12) * 10**10,
    "i4": (i * -7).astype("<i4").reshape(1, 2, 3, 4), "i1": (i - 12).astype("|i1"),
    "u1": (i * 11 % 256).astype("|u1").reshape(6, 4), "b1": (i % 3 == 0).reshape(3, 8),
    "scalar": np.float32(2.5), "empty": np.zeros((0, 3), "<i8"), "rank8": np.ones((1,) * 7 + (2,), "<f4"),
    "fortran": np.asfortranarray((i * 1.0).astype("<f4").reshape(4, 6)), "be": i.astype(">f4"),
}
for name, a in arrays.items():
    np.save(f"{out}/{name}.npy", a)
for v in ((2, 0), (3, 0)):
    with open(f"{out}/v{v[0]}.npy", "wb") as f:
        fmt.write_array(f, (i * 0.25).astype("<f4").reshape(4, 6), version=v)
PYEOF
  ;;
fuzz_onnx_run)
  # Every node model of the ONNX test suite (libonnx-testdata): each op's
  # graphs and attributes, to be planned and run.
  for d in /usr/share/libonnx-testdata/data/node/test_*/; do
    [ -f "$d/model.onnx" ] && cp "$d/model.onnx" "$out/$(basename "$d").onnx"
  done
  ;;
fuzz_onnx)
  # Node models and their .pb tensors from the ONNX test suite
  # (libonnx-testdata): convs, resize, casts (float16, string), a subgraph;
  # a few models written with python3-onnx (float16, external data, every
  # dtype); and FastDepth's graph (opset 7, IR 3) with every initializer cut
  # to one element when fastdepth_7.onnx is found ($DM_MODELS_DIR, models/):
  # the real structure in a few KB.
  node=/usr/share/libonnx-testdata/data/node
  for t in test_conv_with_strides_padding test_add test_constant test_resize_upsample_scales_linear \
           test_reshape_reordered_all_dims test_batchnorm_example test_gemm_default_no_bias \
           test_cast_FLOAT16_to_FLOAT test_slice test_concat_2d_axis_0 test_maxpool_2d_pads \
           test_softmax_axis_0 test_clip test_if test_cast_STRING_to_FLOAT test_layer_normalization_2d_axis0; do
    [ -d "$node/$t" ] || continue
    cp "$node/$t/model.onnx" "$out/$t.onnx"
    for pb in "$node/$t"/test_data_set_0/*.pb; do
      [ -e "$pb" ] && cp "$pb" "$out/$t-$(basename "$pb")"
    done
  done
  fastdepth=""
  for d in "${DM_MODELS_DIR:-}" "$here/../models"; do
    [ -n "$d" ] && [ -d "$d" ] || continue
    fastdepth=$(find "$d" -name fastdepth_7.onnx -print -quit 2>/dev/null)
    [ -n "$fastdepth" ] && break
  done
  "$PY" - "$out" "$fastdepth" <<'PYEOF'
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, fastdepth = sys.argv[1], sys.argv[2]

def save(name, m):
    with open(f"{out}/{name}", "wb") as f:
        f.write(m.SerializeToString())

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
# float16 weights in raw_data and in int32_data, a Constant node, nodes out of order.
w16 = numpy_helper.from_array(np.arange(27, dtype=np.float16).reshape(1, 3, 3, 3), "w")
b16 = helper.make_tensor("b", TensorProto.FLOAT16, [1], [np.float16(0.5).view(np.uint16)])
nodes = [helper.make_node("Relu", ["c"], ["y"], name="relu"),
         helper.make_node("Conv", ["x", "w", "b"], ["c0"], name="conv", pads=[1, 1, 1, 1], strides=[1, 1]),
         helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array([2.0], np.float32))),
         helper.make_node("Mul", ["c0", "k"], ["c"], name="mul")]
g = helper.make_graph(nodes, "seed", [x], [y], [w16, b16])
save("fp16-unsorted.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)]))
# External data: from memory it must fail cleanly.
ext = numpy_helper.from_array(np.ones((2, 2), np.float32), "e")
ext.ClearField("raw_data")
ext.data_location = TensorProto.EXTERNAL
for k, v in (("location", "weights.bin"), ("offset", "4096"), ("length", "16")):
    ext.external_data.add(key=k, value=v)
g = helper.make_graph([helper.make_node("Add", ["x", "e"], ["y"])], "ext", [x], [y], [ext])
save("external.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]))
# Every other initializer dtype the loader takes, in the typed fields.
inits = [helper.make_tensor(f"t{dt}", dt, [2], vals) for dt, vals in (
    (TensorProto.INT64, [1, -2]), (TensorProto.INT32, [3, -4]), (TensorProto.INT8, [-5, 6]),
    (TensorProto.UINT8, [7, 8]), (TensorProto.BOOL, [1, 0]), (TensorProto.DOUBLE, [0.5, 1.5]))]
outs = [helper.make_tensor_value_info(t.name, t.data_type, [2]) for t in inits]
save("dtypes.onnx", helper.make_model(helper.make_graph([], "dtypes", [], outs, inits)))
for t in inits:
    with open(f"{out}/{t.name}.pb", "wb") as f:
        f.write(t.SerializeToString())
if fastdepth:
    m = onnx.load(fastdepth)
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        t.CopyFrom(numpy_helper.from_array(a.reshape(-1)[:1].reshape([1] * a.ndim), t.name))
    for n in m.graph.node:
        n.ClearField("doc_string")  # the exporter's stack traces: 95 % of the graph
    save("fastdepth-slim.onnx", m)
PYEOF
  ;;
fuzz_onnx_wire)
  # The model splitter reads what the loader reads: fuzz_onnx's seeds.
  bash "$0" fuzz_onnx "$out"
  ;;
fuzz_xmp)
  # The sidecars the recipe tests read, beside fuzz/seeds/xmp's own.
  cp "$here"/../tests/recipe/fixtures/*.xmp "$out"/
  ;;
fuzz_sidecar)
  # Every pair (sidecar, preset) of the sidecars the recipe tests read and
  # of fuzz/seeds/xmp, bad ones included; and each alone (no preset).
  sidecars=("$here"/../tests/recipe/fixtures/*.xmp "$here"/seeds/xmp/*.xmp)
  for a in "${sidecars[@]}"; do
    cp "$a" "$out/$(basename "$a" .xmp).seed"
    for b in "${sidecars[@]}"; do
      { cat "$a"; printf '\n=== preset ===\n'; cat "$b"; } >"$out/$(basename "$a" .xmp)+$(basename "$b" .xmp).seed"
    done
  done
  ;;
fuzz_onnx_ext)
  # Bundles for fuzz_onnx_ext (model, then "\n@file NAME\n" and each
  # file's bytes): small models written with python3-onnx whose
  # initializers and Constant attributes are in external files (one file
  # or several, a subfolder, offsets, no offset or length, float16, int64
  # shapes), and the broken cases the loader must refuse: a location that
  # climbs out or is absolute, a missing file, a folder, a file too short,
  # a length that disagrees with the dims.
  "$PY" - "$out" <<'PYEOF'
import sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]

def ext(name, array, location, offset=None, length=None):
    t = numpy_helper.from_array(array, name)
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=location)
    if offset is not None:
        t.external_data.add(key="offset", value=str(offset))
    if length is not None:
        t.external_data.add(key="length", value=str(length))
    return t

def bundle(name, nodes, inits, files, inputs=None, outputs=None):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    g = helper.make_graph(nodes, name, inputs or [x], outputs or [y], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    data = m.SerializeToString()
    for fname, content in files:
        data += b"\n@file " + fname.encode() + b"\n" + content
    with open(f"{out}/{name}.bundle", "wb") as f:
        f.write(data)

w = np.arange(4, dtype=np.float32).reshape(2, 2)
b = np.full((2, 2), 0.5, np.float32)
add = [helper.make_node("Add", ["x", "w"], ["y"])]
two = [helper.make_node("Add", ["x", "w"], ["t"]), helper.make_node("Mul", ["t", "b"], ["y"])]
pad = b"\xab" * 8

bundle("one", add, [ext("w", w, "weights.bin", 0, 16)], [("weights.bin", w.tobytes())])
bundle("no_offset", add, [ext("w", w, "weights.bin")], [("weights.bin", w.tobytes())])
bundle("shared", two, [ext("w", w, "all.bin", 8, 16), ext("b", b, "all.bin", 24, 16)],
       [("all.bin", pad + w.tobytes() + b.tobytes())])
bundle("subfolder", two, [ext("w", w, "sub/w.bin", 0, 16), ext("b", b, "./b.bin")],
       [("sub/w.bin", w.tobytes()), ("b.bin", b.tobytes())])
bundle("float16", add, [ext("w", w.astype(np.float16), "h.bin", 2, 8)],
       [("h.bin", b"\0\0" + w.astype(np.float16).tobytes())])
shape = np.array([4, 1], np.int64)
bundle("reshape", [helper.make_node("Reshape", ["x", "s"], ["y"])], [ext("s", shape, "s.bin", 0, 16)],
       [("s.bin", shape.tobytes())])
const = helper.make_node("Constant", [], ["w"], value=ext("cw", w, "c.bin", 0, 16))
bundle("constant", [const] + add, [], [("c.bin", w.tobytes())])
for name, loc, files in (("climbs_out", "../w.bin", [("w.bin", w.tobytes())]),
                         ("absolute", "/etc/hostname", []),
                         ("missing", "gone.bin", [("w.bin", w.tobytes())]),
                         ("folder", "sub", [("sub/x.bin", w.tobytes())]),
                         ("short", "w.bin", [("w.bin", w.tobytes()[:12])])):
    bundle(name, add, [ext("w", w, loc, 0)], files)
bundle("wrong_length", add, [ext("w", w, "w.bin", 0, 12)], [("w.bin", w.tobytes())])
bundle("past_end", add, [ext("w", w, "w.bin", 4, 16)], [("w.bin", w.tobytes())])
PYEOF
  ;;
fuzz_jpeg_join)
  # Preview strips as dm_graph_jpeg encodes them (restart markers every MCU
  # row), from a crop of coffee: written by tests/io/test_jpeg_join
  # --write-seeds (any build folder).
  gen=$(test_bin io_test_jpeg_join) && "$gen" --write-seeds "$out"
  ;;
fuzz_depth_xmp)
  # JPEGs with embedded depth as the depth tests build them (GDepth with
  # Extended XMP chunks out of order, Dynamic Depth with appended items),
  # from small versions of the dof-eval scenes: written by the test binary
  # tests/depth/test_embedded_jpeg --write-seeds (any build folder).
  gen=$(test_bin depth_test_embedded_jpeg) && "$gen" --write-seeds "$out"
  ;;
fuzz_mpf)
  # JPEGs with Multi-Picture Format indices as tests/depth/test_embedded_mpf
  # builds them (little- and big-endian MP headers, apdi depth, disparity and
  # a matte, an image past the end, a bad version, a huge count), and each
  # one's MP header alone (what follows APP2 "MPF\0").
  gen=$(test_bin depth_test_embedded_mpf) && "$gen" --write-seeds "$out"
  for f in "$out"/*.jpg; do
    [ -e "$f" ] || continue
    "$PY" - "$f" "${f%.jpg}.mph" <<'PYEOF' || echo "no MP header in $f" >&2
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b"\xff\xe2")
n = int.from_bytes(b[i + 2:i + 4], "big")
open(sys.argv[2], "wb").write(b[i + 8:i + 2 + n])
PYEOF
  done
  ;;
fuzz_heic_aux)
  # HEICs with auxiliary depth and mattes as the depth tests build them
  # (tests/depth/test_embedded_heic --write-seeds), and the real iPhone 14
  # files of ../shared/phone (MIT, see its README and tests/FIXTURES.md)
  # made small: at 1.1 MB they are over libFuzzer's 1 MiB input size, which
  # cuts them short, and libheif then refuses the whole file. Apple's boxes
  # stay as they are; the mdat keeps the data of the auxiliary images under
  # 16 KB (the 480x640 depth map); every other item (the photo's tiles, the
  # 1158x1544 mattes, which fuzz_heic_aux lists without decoding) points at
  # the data of the smallest tile: 30-45 KB a file.
  gen=$(test_bin depth_test_embedded_heic) && "$gen" --write-seeds "$out"
  for f in "$here"/../../shared/phone/*.heic; do
    [ -e "$f" ] || continue
    "$PY" - "$f" "$out/$(basename "$f" .heic)" <<'PYEOF' || echo "cannot trim $f" >&2
import sys

def u(b, o, n):
    return int.from_bytes(b[o:o + n], "big")

def boxes(b, off, end):
    while off + 8 <= end:
        sz, t = u(b, off, 4), b[off + 4:off + 8].decode("latin1")
        sz = u(b, off + 8, 8) if sz == 1 else sz or end - off
        yield off, sz, t
        off += sz

def trim(d, keep):
    """d with the data of every item but the auxiliary images of keep(size)
    replaced by the smallest grid tile's (all iloc offsets rewritten)."""
    top = {t: (o, s) for o, s, t in boxes(d, 0, len(d))}
    mo, ms = top["meta"]
    m = {t: (o, s) for o, s, t in boxes(d, mo + 12, mo + ms)}
    tiles, aux = set(), set()
    o, s = m["iref"]
    w = 2 if d[o + 8] == 0 else 4
    for bo, bs, bt in boxes(d, o + 12, o + s):
        c = u(d, bo + 8 + w, 2)
        if bt == "dimg":
            tiles.update(u(d, bo + 10 + w + i * w, w) for i in range(c))
        elif bt == "auxl":
            aux.add(u(d, bo + 8, w))
    o, s = m["iloc"]
    v, q = d[o + 8], o + 12
    osz, lsz, bsz, isz = d[q] >> 4, d[q] & 15, d[q + 1] >> 4, (d[q + 1] & 15) if v >= 1 else 0
    idw = 2 if v < 2 else 4
    n, q = u(d, q + 2, idw), q + 2 + idw
    items = []  # (id, method, base field, extents as (offset field, length field, data))
    for _ in range(n):
        iid, q = u(d, q, idw), q + idw
        method = d[q + 1] & 15 if v >= 1 else 0
        q += 4 if v >= 1 else 2
        bpos, base = q, u(d, q, bsz)
        ec, q = u(d, q + bsz, 2), q + bsz + 2
        ex = []
        for _ in range(ec):
            q += isz
            off, ln = u(d, q, osz), u(d, q + osz, lsz)
            ex.append((q, q + osz, d[base + off:base + off + ln]))
            q += osz + lsz
        items.append((iid, method, bpos, ex))
    size = {iid: sum(len(e[2]) for e in ex) for iid, _, _, ex in items}
    small = min((iid for iid in tiles if iid in size), key=lambda i: size[i])
    stand_in = b"".join(e[2] for iid, _, _, ex in items if iid == small for e in ex)
    out = bytearray(d[:mo + ms])
    data, where = bytearray(), {}
    for iid, method, bpos, ex in items:
        if method != 0:
            continue
        out[bpos:bpos + bsz] = bytes(bsz)
        for opos, lpos, chunk in ex:
            if iid in tiles or (iid in aux and not keep(size[iid])):
                chunk = stand_in
            if chunk not in where:
                where[chunk] = len(out) + 8 + len(data)
                data += chunk
            out[opos:opos + osz] = where[chunk].to_bytes(osz, "big")
            out[lpos:lpos + lsz] = len(chunk).to_bytes(lsz, "big")
    return bytes(out + (8 + len(data)).to_bytes(4, "big") + b"mdat" + data)

src, dst = sys.argv[1], sys.argv[2]
d = open(src, "rb").read()
open(dst + "-slim.heic", "wb").write(trim(d, lambda n: n < 16384))
PYEOF
  done
  ;;
fuzz_cache)
  # Depth cache entries of dev1's depth and mask at small sizes, written
  # by dm_cache_put in tests/depth/test_cache --write-seeds.
  gen=$(test_bin depth_test_cache) && "$gen" --write-seeds "$out"
  ;;
esac
echo "$(ls "$out" | wc -l) seeds in $out"
