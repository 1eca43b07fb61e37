#!/usr/bin/python3
"""Give a weightless ONNX graph seeded random weights, to test a runtime on it.

    /usr/bin/python3 tools/nn/fill_da2s.py GRAPH.onnx OUTDIR [--seed 1]

writes OUTDIR/da2s_random.onnx and OUTDIR/da2s_random.bin: every initializer
stored as external data in GRAPH (../shared/models/da2s_graph.onnx has 258 of
them and no weights file) gets standard normal values x 0.02 from one numpy
generator seeded with --seed, in initializer order, and is re-pointed at the
one .bin (offsets aligned to 64 bytes). Everything else in the graph is kept
as it is. Only float32 external initializers are expected; any other type is
an error, since random integers would make nonsense of shapes and indices.
"""
import argparse
import os
import sys

import numpy as np
import onnx

ALIGN = 64
SCALE = 0.02


def check(onnx_path, filled):
    """Read the result back through onnx's own external-data loader (its
    checker predates IR 10): every filled tensor must come back whole and
    equal to what was written. filled: name -> float32 values."""
    back = {t.name: t for t in onnx.load(onnx_path).graph.initializer}
    for name, values in filled.items():
        got = np.frombuffer(back[name].raw_data, dtype="<f4")
        if got.shape != values.shape or not np.array_equal(got, values):
            sys.exit(f"fill_da2s: {onnx_path}: {name} does not read back as written")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("graph")
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    model = onnx.load(args.graph, load_external_data=False)
    os.makedirs(args.outdir, exist_ok=True)
    onnx_path = os.path.join(args.outdir, "da2s_random.onnx")
    bin_name = "da2s_random.bin"
    rng = np.random.default_rng(args.seed)

    filled, offset = {}, 0
    tmp_bin = os.path.join(args.outdir, bin_name + ".tmp")
    with open(tmp_bin, "wb") as out:
        for t in model.graph.initializer:
            if t.data_location != onnx.TensorProto.EXTERNAL:
                continue
            if t.data_type != onnx.TensorProto.FLOAT:
                name = onnx.TensorProto.DataType.Name(t.data_type)
                sys.exit(f"fill_da2s: {args.graph}: external initializer {t.name} is {name}, "
                         "only FLOAT ones can be filled with random values")
            count = int(np.prod(t.dims, dtype=np.int64))
            values = (rng.standard_normal(count, dtype=np.float32) * np.float32(SCALE)).astype("<f4")
            pad = (-offset) % ALIGN
            out.write(b"\0" * pad)
            offset += pad
            data = values.tobytes()
            out.write(data)
            del t.external_data[:]
            for key, value in (("location", bin_name), ("offset", str(offset)),
                               ("length", str(len(data)))):
                entry = t.external_data.add()
                entry.key, entry.value = key, value
            offset += len(data)
            filled[t.name] = values
    if not filled:
        os.unlink(tmp_bin)
        sys.exit(f"fill_da2s: {args.graph}: no external initializers to fill")
    os.replace(tmp_bin, os.path.join(args.outdir, bin_name))
    onnx.save(model, onnx_path)
    check(onnx_path, filled)
    print(f"fill_da2s: {len(filled)} initializers, {offset} bytes -> {onnx_path} + {bin_name} "
          f"(seed {args.seed})")


if __name__ == "__main__":
    main()
