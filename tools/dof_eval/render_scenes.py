#!/usr/bin/env python3
"""Render dof-eval scenes with the kit's own thin-lens renderer (../shared/dof-eval/render_dof.py,
imported from there, never copied or modified): the kit's outputs, and the input "as the same lens
at f/8".

usage: /usr/bin/python3 tools/dof_eval/render_scenes.py SCENES.json --out DIR [--scene NAME ...]
                                                        [--what all|scene|f8] [--N 8]
       /usr/bin/python3 tools/dof_eval/render_scenes.py SCENES.json --out DIR --check NAME

--what scene: the kit's save_scene (aif.png, depth16.png, mask_gt.png, dof_reference.png,
camera.json in DIR/<name>/; its .npy arrays are deleted). --what f8: DIR/<name>/aif_f8.png (sRGB
8-bit, like dof_reference.png) and aif_f8.json (N, lens samples, CoCs, seconds). all: both.
The f/8 image is the same world, focal length and focus, with the f-number overridden (default 8):
  * Scene(sc, defaults, N_override=N) -- the renderer's own hook for the f-number; the layer
    margins follow the smaller CoC, the world (photo placement, cover size, lights, ground) does not
    change: cover layers use a fixed COVER_MARGIN and rect placement is independent of the margin.
  * n_lens_for(scene) -- the renderer's own sample-count rule, from the largest CoC at this N
    (1024 lens samples, its minimum, for every scene at f/8 here).
  * Scene.render(n, seed=sc.get('seed', 1)) -- the seed save_scene uses for dof_reference.png.
'matte' paths are read relative to SCENES.json's folder (for the kit's scenes_dev.json that is the
kit's folder, as render_dof.py does). --check NAME re-renders that scene with the kit's save_scene into
a temporary folder and compares its four PNGs byte for byte with DIR/NAME (exit status 1 if not equal).
"""
import argparse, copy, filecmp, glob, json, os, sys, tempfile, time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
KIT = os.environ.get('DOF_EVAL', os.path.join(ROOT, '..', 'shared', 'dof-eval'))
sys.path.insert(0, KIT)
import render_dof as R  # noqa: E402
from PIL import Image  # noqa: E402


def load_scenes(path):
    cfg = json.load(open(path))
    base = os.path.dirname(os.path.abspath(path))
    for sc in cfg['scenes']:
        for layer in sc['layers']:
            if 'matte' in layer:
                layer['matte'] = os.path.join(base, layer['matte'])
    return cfg


def render_f8(sc, defaults, outdir, N, log):
    t0 = time.time()
    S = R.Scene(copy.deepcopy(sc), defaults, N_override=N)
    S.build()
    n, cmax = R.n_lens_for(S)
    log('%s: f/%g, max CoC %.2f px, %d lens samples' % (sc['name'], N, cmax, n))
    img = S.render(n, seed=sc.get('seed', 1))
    os.makedirs(outdir, exist_ok=True)
    Image.fromarray(R.to_srgb8(img)).save(os.path.join(outdir, 'aif_f8.png'))
    meta = {'name': sc['name'], 'N': N, 'f_mm': sc['camera']['f_mm'], 'focus_m': sc['camera']['focus_m'],
            'lens_samples': n, 'seed': sc.get('seed', 1), 'max_coc_px': round(float(cmax), 3),
            'layers': [{'image': L.spec['image'], 'z_m': L.z, 'coc_px': round(float(S.cam.coc_px(L.z)), 3)} for L in S.layers],
            'renderer': 'render_dof.py Scene(N_override=N), n_lens_for, render(n, seed) via tools/dof_eval/render_scenes.py',
            'seconds': round(time.time() - t0, 1)}
    with open(os.path.join(outdir, 'aif_f8.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    log('%s: aif_f8.png in %.1f s' % (sc['name'], meta['seconds']))


def check(sc, defaults, stored, log):
    with tempfile.TemporaryDirectory(prefix='dof-check.') as tmp:
        R.save_scene(copy.deepcopy(sc), defaults, tmp, log)
        same = True
        for f in ('aif.png', 'depth16.png', 'mask_gt.png', 'dof_reference.png'):
            eq = filecmp.cmp(os.path.join(tmp, f), os.path.join(stored, f), shallow=False)
            log('%s %s: %s' % (sc['name'], f, 'identical' if eq else 'DIFFERENT'))
            same &= eq
    return same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('scenes_json')
    ap.add_argument('--out', required=True, help='folder holding <name>/ (the scene folders)')
    ap.add_argument('--scene', action='append')
    ap.add_argument('--N', type=float, default=8.0)
    ap.add_argument('--what', choices=('all', 'scene', 'f8'), default='all')
    ap.add_argument('--check', metavar='NAME')
    a = ap.parse_args()
    cfg = load_scenes(a.scenes_json)
    log = lambda m: print(m, flush=True)
    if a.check:
        sc = [s for s in cfg['scenes'] if s['name'] == a.check][0]
        sys.exit(0 if check(sc, cfg['defaults'], os.path.join(a.out, a.check), log) else 1)
    for sc in cfg['scenes']:
        if a.scene and sc['name'] not in a.scene:
            continue
        outdir = os.path.join(a.out, sc['name'])
        if a.what in ('all', 'scene'):
            R.save_scene(copy.deepcopy(sc), cfg['defaults'], outdir, log)
            for f in glob.glob(os.path.join(outdir, '*.npy')):
                os.remove(f)   # keep only the PNGs and camera.json
        if a.what in ('all', 'f8'):
            render_f8(sc, cfg['defaults'], outdir, a.N, log)


if __name__ == '__main__':
    main()
