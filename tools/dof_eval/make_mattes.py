#!/usr/bin/env python3
"""Rasterise the hand-drawn outlines into the 8-bit mattes the dof-eval scenes of tests/data use.

usage: /usr/bin/python3 tools/dof_eval/make_mattes.py [report|tune ...]   (default: both sets)
writes tests/data/dof-<set>/mattes/<name>.png from the outlines listed for that set below

Each outline (a polygon with optional holes, or an ellipse; format in the .txt headers) is
filled at 8x8 samples per photo pixel (coverage = antialiased edge), then softened with a
Gaussian of the sigma below (photo pixels; 'nearest' at the borders, so a cut-out that runs
off the photo stays opaque there). Nothing else goes in: no network, no colour keying.
Needs numpy, Pillow and scipy (Debian python3-numpy, python3-pil, python3-scipy).
"""
import os
import sys
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
SS = 8  # samples per photo pixel along each axis

# set: {name: (outline file, relative to the set's mattes/ unless absolute; photo width, photo height,
#             softening sigma in photo pixels)}
SETS = {'report': {
    'astronaut': ('astronaut.txt', 512, 512, 0.8),
    'grace_hopper': (os.path.join(ROOT, 'tests', 'matte', 'fixtures', 'grace_hopper_outline.txt'), 512, 600, 0.8),
    'squirrel_cls': ('squirrel_cls.txt', 535, 426, 1.2),
    'orange': ('orange.txt', 512, 512, 0.7),
    'apple': ('apple.txt', 512, 512, 0.7),
    'butterfly': ('butterfly.txt', 493, 356, 0.6),
}, 'tune': {
    'chicky_512': ('chicky_512.txt', 512, 512, 1.2),            # fur
    'messi5': ('messi5.txt', 548, 342, 0.8),
    'basketball1_left': ('basketball1_left.txt', 640, 480, 1.5),    # motion blur in the photo
    'basketball1_right': ('basketball1_right.txt', 640, 480, 1.5),
    'left01': ('left01.txt', 640, 480, 1.0),
    'coffee': ('coffee.txt', 600, 400, 0.7),
}}


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
    for which in sys.argv[1:] or sorted(SETS):
        make_set(which)


def make_set(which):
    here = os.path.join(ROOT, 'tests', 'data', 'dof-' + which, 'mattes')
    for name, (src, w, h, sigma) in SETS[which].items():
        path = src if os.path.isabs(src) else os.path.join(here, src)
        cov = rasterise(read_outline(path), w, h)
        if sigma > 0:
            cov = ndimage.gaussian_filter(cov, sigma, mode='nearest')
        out = os.path.join(here, name + '.png')
        Image.fromarray((np.clip(cov, 0, 1) * 255 + 0.5).astype(np.uint8)).save(out)
        print('%s: %dx%d, %.1f %% subject, sigma %.1f -> %s' % (name, w, h, 100 * cov.mean(), sigma, os.path.relpath(out, ROOT)))


if __name__ == '__main__':
    main()
