// What the browser tests read of the page and of its server: the state and
// recipe through the API, copies of the canvas and their differences, an
// image endpoint decoded by the browser, photo pixels on the screen, drags.
import { spawnSync } from 'node:child_process';
import * as ed from './editor_driver.mjs';

const PY = '/usr/bin/python3'; // Debian's, with python3-pil, -numpy, -tifffile (setup.sh)

export function python(code, ...args) {
  const r = spawnSync(PY, ['-c', code, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`);
  return JSON.parse(r.stdout);
}

// The deepest pixel of the subject's matte and of the background (repeated
// erosion, the photo's edges counting as outside): a point well inside each.
export function scenePoints() {
  return python(`
import json, sys
import numpy as np
from PIL import Image
m = np.array(Image.open(sys.argv[1]).convert('L'))
def deepest(a):
    last = a
    while a.any():
        last = a
        p = np.pad(a, 1)
        a = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    ys, xs = np.nonzero(last)
    i = len(xs) // 2
    return [int(xs[i]), int(ys[i])]
print(json.dumps({"subject": deepest(m > 250), "background": deepest(m < 5), "size": [m.shape[1], m.shape[0]]}))
`, ed.scene.matte);
}


// ---- reading the page and the server ----------------------------------------

export async function state() {
  const r = await ed.api('GET', '/api/state');
  if (r.status !== 200 || !r.json?.recipe) throw new Error(`GET /api/state answered ${r.status} ${r.text.slice(0, 200)}`);
  return r.json;
}
export const recipe = async () => (await state()).recipe;
// The recipe as text with its keys sorted: equal texts, equal recipes.
export const canon = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

// A copy of the canvas's pixels kept in the page under `name`.
export async function snap(page, name) {
  await page.evaluate((name) => {
    const c = document.getElementById('photo');
    const t = document.createElement('canvas');
    t.width = c.width; t.height = c.height;
    const g = t.getContext('2d');
    g.drawImage(c, 0, 0);
    (window.__snaps ??= {})[name] = g.getImageData(0, 0, t.width, t.height);
  }, name);
}

// Two snaps compared: mean absolute RGB difference, the fraction of pixels
// that moved by more than 4 in a channel, and both means.
export async function diff(page, a, b) {
  return page.evaluate(([a, b]) => {
    const A = window.__snaps[a], B = window.__snaps[b];
    if (A.width !== B.width || A.height !== B.height) return { mad: 255, moved: 1, meanA: 0, meanB: 0, sized: true };
    let sum = 0, moved = 0, ma = 0, mb = 0;
    for (let i = 0; i < A.data.length; i += 4) {
      let m = 0;
      for (let k = 0; k < 3; k++) {
        const d = Math.abs(A.data[i + k] - B.data[i + k]);
        sum += d; m = Math.max(m, d); ma += A.data[i + k]; mb += B.data[i + k];
      }
      if (m > 4) moved++;
    }
    const n = A.data.length / 4;
    return { mad: sum / (3 * n), moved: moved / n, meanA: ma / (3 * n), meanB: mb / (3 * n) };
  }, [a, b]);
}

// An image endpoint read by the page (with its token) and decoded by the
// browser: size, mean of the first channel, and a digest of the bytes.
export async function apiImage(page, p) {
  const r = await page.evaluate(async (p) => {
    const token = new URLSearchParams(location.search).get('token');
    const r = await fetch(p, { headers: { 'X-Depthmask-Token': token } });
    if (!r.ok) return { status: r.status, error: await r.text() };
    const bytes = new Uint8Array(await r.arrayBuffer());
    const b = await createImageBitmap(new Blob([bytes]));
    const c = new OffscreenCanvas(b.width, b.height);
    const g = c.getContext('2d');
    g.drawImage(b, 0, 0);
    const d = g.getImageData(0, 0, b.width, b.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i];
    let h = 2166136261;
    for (const x of bytes) h = Math.imul(h ^ x, 16777619) >>> 0;
    return { status: r.status, width: b.width, height: b.height, mean: sum / (d.length / 4), hash: h.toString(16) };
  }, p);
  if (r.status !== 200) throw new Error(`GET ${p} answered ${r.status} ${r.error?.slice(0, 200)}`);
  return r;
}

// Where photo pixel (px, py) is on the screen at fit: the photo centred in
// the canvas at the largest scale that shows all of it (computed here, not
// asked of the page, so a page that places it elsewhere fails the tests).
export async function photoToScreen(page, px, py) {
  const bb = await page.locator('#photo').boundingBox();
  const { photo } = await state();
  const s = Math.min(bb.width / photo.width, bb.height / photo.height);
  return [bb.x + (bb.width - photo.width * s) / 2 + px * s, bb.y + (bb.height - photo.height * s) / 2 + py * s];
}

// A drag with the mouse through `steps` points from a to b (screen pixels).
export async function drag(page, [ax, ay], [bx, by], steps = 12) {
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) await page.mouse.move(ax + ((bx - ax) * i) / steps, ay + ((by - ay) * i) / steps);
  await page.mouse.up();
}

// After a change: the page has painted a preview since `before` painted
// ones, that preview shows the recipe as it is now, and painting stopped.
export async function painted(page, before) {
  await ed.waitPreviews(page, before + 1);
  await ed.waitRevision(page, (await state()).revision);
  await ed.waitSettled(page, 800);
}

// The canvas is not blank, and moved from snap `a` to snap `b` (or did not,
// with same: true: then at most a rounding's worth).
export async function checkCanvas(page, a, b, what, { same = false } = {}) {
  const s = await ed.canvasStats(page);
  ed.check(s.std > 10, `${what}: the preview is not blank (mean ${s.mean.toFixed(1)}, std dev ${s.std.toFixed(1)})`);
  const d = await diff(page, a, b);
  if (same) ed.check(d.mad < 0.5, `${what}: the canvas is as it was (mean abs diff ${d.mad.toFixed(3)}, ${(100 * d.moved).toFixed(2)} % of pixels moved)`);
  else ed.check(d.mad > 0.05 && d.moved > 0.0005, `${what}: the canvas changed (mean abs diff ${d.mad.toFixed(3)}, ${(100 * d.moved).toFixed(2)} % of pixels moved, mean ${d.meanA.toFixed(1)} -> ${d.meanB.toFixed(1)})`);
  return d;
}
