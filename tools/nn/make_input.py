#!/usr/bin/python3
"""A network input from a photo: 1x3xHxW float32, C order, as a .npy file.

    /usr/bin/python3 tools/nn/make_input.py IMAGE OUT.npy --size W H --norm isnet|fastdepth|imagenet
                                            [--round-fp16]

The photo is converted to RGB and resized to W x H with PIL's bilinear filter,
then normalised:
  isnet      RGB/255 - 0.5 (mean 0.5, std 1.0: ISNet/DIS's own preprocessing)
  fastdepth  RGB/255
  imagenet   (RGB/255 - mean) / std, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)

--round-fp16 rounds every value to the nearest float16 (still stored as
float32). For a graph whose first op is Cast(to=FLOAT16), like ISNet's, this
changes nothing by the ONNX semantics, but it takes the cast out of a
comparison: onnxruntime's CPU provider drops fp32->fp16->fp32 cast pairs, so it
never rounds the input, while a runtime that follows the spec does.
"""
import argparse

import numpy as np
from PIL import Image

NORMS = {
    "isnet": ((0.5, 0.5, 0.5), (1.0, 1.0, 1.0)),
    "fastdepth": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("image")
    ap.add_argument("out")
    ap.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), required=True)
    ap.add_argument("--norm", choices=sorted(NORMS), required=True)
    ap.add_argument("--round-fp16", action="store_true")
    args = ap.parse_args()
    w, h = args.size
    if w <= 0 or h <= 0:
        ap.error("--size wants positive W H")

    with Image.open(args.image) as im:
        rgb = im.convert("RGB").resize((w, h), Image.BILINEAR)
    x = np.asarray(rgb, dtype=np.float32) / np.float32(255)  # H x W x 3
    mean, std = (np.asarray(v, dtype=np.float32) for v in NORMS[args.norm])
    x = (x - mean) / std
    if args.round_fp16:
        x = x.astype(np.float16).astype(np.float32)
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis], dtype="<f4")
    np.save(args.out, x)


if __name__ == "__main__":
    main()
