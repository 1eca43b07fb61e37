"""How much of a Background edit reaches the pixels just outside a subject.

outline_edge.py OUTLINE.txt ORIGINAL EDITED STOPS [--near A --far B] [--box X0,Y0,X1,Y1]
Rasterises the hand-drawn outline (vertices "x y", '#' comments) at 4x4
samples per pixel, takes the pixels whose centre lies between A and B px
(default 1 and 4) outside it, and prints one JSON line: how many, and the
mean share of the edit's STOPS (negative for darkening) each one kept,
1 - log2(edited / original) / STOPS on linear luminance (only pixels with a
linear luminance above 0.005, where 8-bit rounding stays well under 1 %),
within the box [X0, X1) x [Y0, Y1) when one is given."""
import json, sys
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

def linear(a):
    a = a / 255.0
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)

def main():
    args = sys.argv[1:]
    near, far = 1.0, 4.0
    if '--near' in args:
        i = args.index('--near'); near = float(args[i + 1]); del args[i:i + 2]
    if '--far' in args:
        i = args.index('--far'); far = float(args[i + 1]); del args[i:i + 2]
    box = None
    if '--box' in args:
        i = args.index('--box'); box = [int(v) for v in args[i + 1].split(',')]; del args[i:i + 2]
    outline, orig, edited, stops = args[0], args[1], args[2], float(args[3])
    pts = [tuple(map(float, l.split()[:2])) for l in open(outline) if l.strip() and not l.startswith('#')]
    a = np.asarray(Image.open(orig).convert('RGB'), dtype=np.float64)
    b = np.asarray(Image.open(edited).convert('RGB'), dtype=np.float64)
    h, w = a.shape[:2]
    S = 4
    im = Image.new('L', (w * S, h * S), 0)
    ImageDraw.Draw(im).polygon([(x * S, y * S) for x, y in pts], fill=255)
    inside = np.asarray(im.resize((w, h), Image.BOX), dtype=np.float64) / 255.0 >= 0.5
    dist = ndimage.distance_transform_edt(~inside)
    band = (dist >= near) & (dist <= far)
    if box:
        inbox = np.zeros_like(band)
        inbox[box[1]:box[3], box[0]:box[2]] = True
        band &= inbox
    wts = np.array([0.2126, 0.7152, 0.0722])
    la, lb = linear(a) @ wts, linear(b) @ wts
    sel = band & (la > 0.005) & (lb > 0)
    kept = 1.0 - np.log2(lb[sel] / la[sel]) / stops
    print(json.dumps({'pixels': int(sel.sum()), 'kept_mean': float(kept.mean()),
                      'kept_p90': float(np.percentile(kept, 90))}))

main()
