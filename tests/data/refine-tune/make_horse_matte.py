#!/usr/bin/python3
"""Write the horse matte of the refine-tune scenes: skimage's horse.png (a black
silhouette on white, antialiased) inverted, 8-bit, 400x328.

usage: /usr/bin/python3 make_horse_matte.py OUT.png [SKIMAGE_DATA]"""
import os
import sys

import numpy as np
from PIL import Image

out = sys.argv[1]
data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
    'SKIMAGE_DATA', os.path.expanduser('~/.cache/dm-photos/root/usr/lib/python3/dist-packages/skimage/data'))
grey = np.asarray(Image.open(os.path.join(data, 'horse.png')).convert('RGB')).astype(float).mean(-1) / 255
Image.fromarray(((1 - grey) * 255 + 0.5).astype(np.uint8)).save(out)
