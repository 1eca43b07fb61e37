#!/usr/bin/env python3
"""Rasterise the hand-drawn outlines into the 8-bit mattes the report scenes use.

usage: /usr/bin/python3 make_mattes.py            (writes <name>.png beside this script)

Each outline (a polygon with optional holes, or an ellipse; format in the .txt headers) is
filled at 8x8 samples per photo pixel (coverage = antialiased edge), then softened with a
Gaussian of the sigma below (photo pixels; 'nearest' at the borders, so a cut-out that runs
off the photo stays opaque there). Nothing else goes in: no network, no colour keying.
Needs numpy, Pillow and scipy (Debian python3-numpy, python3-pil, python3-scipy).
"""
import os
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..'))
SS = 8  # samples per photo pixel along each axis

# name: (outline file, photo width, photo height, softening sigma in photo pixels)
MATTES = {
    'astronaut': ('astronaut.txt', 512, 512, 0.8),
    'grace_hopper': (os.path.join(ROOT, 'tests', 'matte', 'fixtures', 'grace_hopper_outline.txt'), 512, 600, 0.8),
    'squirrel_cls': ('squirrel_cls.txt', 535, 426, 1.2),
    'orange': ('orange.txt', 512, 512, 0.7),
    'apple': ('apple.txt', 512, 512, 0.7),
    'butterfly': ('butterfly.txt', 493, 356, 0.6),
}


def read_outline(path):
    """-> list of (kind, data): ('ring', [(x, y), ...]) with a flag for holes, or ('ellipse', (cx, cy, rx, ry))"""
    shapes, ring, hole = [], [], False
    for line in open(path):
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        if line == 'hole':
            if ring:
                shapes.append(('hole' if hole else 'ring', ring))
            ring, hole = [], True
        elif line.startswith('ellipse'):
            shapes.append(('ellipse', tuple(float(v) for v in line.split()[1:5])))
        else:
            x, y = (float(v) for v in line.split())
            ring.append((x, y))
    if ring:
        shapes.append(('hole' if hole else 'ring', ring))
    return shapes


def rasterise(shapes, w, h):
    big = Image.new('L', (w * SS, h * SS), 0)
    d = ImageDraw.Draw(big)
    for kind, data in shapes:
        if kind == 'ellipse':
            cx, cy, rx, ry = data
            d.ellipse([(cx - rx) * SS, (cy - ry) * SS, (cx + rx) * SS, (cy + ry) * SS], fill=255)
        else:
            # sample (i, j) of the fine grid sits at ((i + 0.5)/SS, (j + 0.5)/SS) in photo coordinates;
            # PIL fills the fine pixels whose centres lie inside, so shift by half a fine pixel
            pts = [(x * SS - 0.5, y * SS - 0.5) for x, y in data]
            d.polygon(pts, fill=0 if kind == 'hole' else 255)
    a = np.asarray(big, np.float64) / 255.0
    return a.reshape(h, SS, w, SS).mean(axis=(1, 3))


def main():
    for name, (src, w, h, sigma) in MATTES.items():
        path = src if os.path.isabs(src) else os.path.join(HERE, src)
        cov = rasterise(read_outline(path), w, h)
        if sigma > 0:
            cov = ndimage.gaussian_filter(cov, sigma, mode='nearest')
        out = os.path.join(HERE, name + '.png')
        Image.fromarray((np.clip(cov, 0, 1) * 255 + 0.5).astype(np.uint8)).save(out)
        print('%s: %dx%d, %.1f %% subject, sigma %.1f -> %s' % (name, w, h, 100 * cov.mean(), sigma, os.path.relpath(out, ROOT)))


if __name__ == '__main__':
    main()
