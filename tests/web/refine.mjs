// Lens Blur's Refine brush in the editor page, through real input events
// (issue 15), on the real-photo scene (a man at 1.5 m before a brick wall at
// 6 m), the blur set through the API with the wall out of focus:
//   Focus painted across the wall: the recipe holds refine[0], named Focus,
//     its depth the middle of the focal range's sharp band, its strokes'
//     dabs; the wall under the stroke comes out sharper on the canvas (mean
//     absolute gradient up by a third), the rest of the picture as it was
//   "Subject" (automatic focal range): the Focus set follows it, to the
//     subject's median depth the depth histogram reports
//   Visualize Depth (GET /api/depth) shows the set painted in: the set's
//     checkbox off makes that depth farther again
//   Delete removes it; Ctrl+Z brings it back; the sidecar holds
//     crs:DepthBasedCorrections with the Focus set
import fs from 'node:fs';
import path from 'node:path';
import * as ed from './editor_driver.mjs';
import { apiImage, checkCanvas, drag, painted, photoToScreen, recipe, scenePoints, snap } from './page_helpers.mjs';

// Mean absolute horizontal + vertical difference of the canvas's green in a
// box around canvas point (cx, cy): how sharp the picture is there.
async function sharpness(page, [cx, cy], half) {
  return page.evaluate(([cx, cy, half]) => {
    const c = document.getElementById('photo');
    const g = c.getContext('2d');
    const x0 = Math.max(0, Math.round(cx - half)), y0 = Math.max(0, Math.round(cy - half));
    const w = Math.min(c.width - x0, 2 * half), h = Math.min(c.height - y0, 2 * half);
    const d = g.getImageData(x0, y0, w, h).data;
    let s = 0, n = 0;
    for (let y = 0; y + 1 < h; y++)
      for (let x = 0; x + 1 < w; x++) {
        const i = 4 * (y * w + x) + 1;
        s += Math.abs(d[i] - d[i + 4]) + Math.abs(d[i] - d[i + 4 * w]);
        n++;
      }
    return s / n;
  }, [cx, cy, half]);
}

// Screen point -> canvas pixel.
async function toCanvas(page, [sx, sy]) {
  const bb = await page.locator('#photo').boundingBox();
  const dpr = await page.evaluate(() => devicePixelRatio);
  return [(sx - bb.x) * dpr, (sy - bb.y) * dpr];
}

await ed.run(async () => {
  const { page } = await ed.start('refine');
  const points = scenePoints();
  await ed.waitPreviews(page, 1);
  await ed.waitSettled(page, 800);
  const lb = page.locator('details#lensblur');
  if (!(await lb.evaluate((d) => d.open))) await lb.locator('summary').click();
  const body = lb.locator('.body');

  // The wall out of focus (the subject sharp), through the API.
  const fr = [0, 0, 10, 25];
  let n = await ed.previews(page);
  const r = await ed.api('PATCH', '/api/recipe', { set: { 'lens_blur.amount': 80, 'lens_blur.focal_range': fr } });
  ed.check(r.status === 200, `the lens blur on, focal range ${fr} (${r.status})`);
  await page.evaluate(() => window.dmEditor.store.load());
  await page.evaluate(() => window.dmEditor.refresh());
  await painted(page, n);

  // ---- Focus painted across the wall ------------------------------------------
  await body.getByRole('button', { name: 'Focus', exact: true }).click();
  await ed.until(() => page.evaluate(() => window.dmEditor.view.tool?.name === 'refine-Focus'), 'the Focus brush to be the tool');
  const [bx, by] = points.background, span = ed.scene.width * 0.08;
  const a = await photoToScreen(page, bx - span, by), b = await photoToScreen(page, bx + span, by);
  const mid = await toCanvas(page, await photoToScreen(page, bx, by));
  await snap(page, 'before-focus');
  const sharp0 = await sharpness(page, mid, 40);
  n = await ed.previews(page);
  await drag(page, a, b, 16);
  const rc = await ed.until(async () => { const x = await recipe(); return x['refine[0].mask[0].stroke[0].dabs'] ? x : null; }, 'refine[0] in the recipe');
  ed.check(rc['refine[0].name'] === 'Focus' && rc['refine[0].mask[0].kind'] === 'brush',
    `the Focus brush made refine[0] (name ${rc['refine[0].name']}, kind ${rc['refine[0].mask[0].kind']}, ${String(rc['refine[0].mask[0].stroke[0].dabs']).split(',').length / 2} dabs)`);
  ed.check(rc['refine[0].depth'] === (fr[1] + fr[2]) / 2, `its depth is the middle of the sharp band ${fr[1]}..${fr[2]} (${rc['refine[0].depth']})`);
  await painted(page, n);
  await snap(page, 'after-focus');
  const sharp1 = await sharpness(page, mid, 40);
  await checkCanvas(page, 'before-focus', 'after-focus', 'Focus across the wall');
  ed.check(sharp1 > 1.33 * sharp0, `the wall under the stroke is sharper (mean gradient ${sharp0.toFixed(2)} -> ${sharp1.toFixed(2)})`);
  const far = await toCanvas(page, await photoToScreen(page, ed.scene.width * 0.04, ed.scene.height * 0.96));
  await ed.screenshot(page, 'refine-focus');

  // ---- the Focus set follows the focal range ------------------------------------
  const hist = (await ed.api('GET', '/api/histogram?of=depth')).json;
  await body.getByRole('button', { name: 'Subject', exact: true }).click();
  const follow = await ed.until(async () => { const x = await recipe(); return String(x['lens_blur.focal_range']) === '0,0,100,100' ? x : null; }, 'Subject to set the focal range');
  ed.check(Math.abs(follow['refine[0].depth'] - hist.subject[1]) < 1e-3,
    `Subject: the Focus set follows to the subject's median depth (${follow['refine[0].depth']}, histogram says ${hist.subject.map((v) => v.toFixed(2))})`);

  // ---- Visualize Depth with the set on and off -----------------------------------
  const depthOn = await apiImage(page, '/api/depth?viz=grey');
  await body.locator('.refine-set[data-refine="0"] input[type=checkbox]').click();
  await ed.until(async () => (await recipe())['refine[0].active'] === false, 'the set to switch off');
  const depthOff = await apiImage(page, '/api/depth?viz=grey');
  ed.check(depthOff.mean > depthOn.mean + 0.3,
    `Visualize Depth shows the set: off, the wall under it is far again (mean grey ${depthOn.mean.toFixed(2)} -> ${depthOff.mean.toFixed(2)})`);
  await body.locator('.refine-set[data-refine="0"] input[type=checkbox]').click();
  await ed.until(async () => (await recipe())['refine[0].active'] === true, 'the set to switch on again');

  // ---- Delete, then Ctrl+Z --------------------------------------------------------
  await body.locator('.refine-set[data-refine="0"]').getByRole('button', { name: 'Delete' }).click();
  await ed.until(async () => !Object.keys(await recipe()).some((k) => k.startsWith('refine[')), 'Delete to remove the set');
  ed.check(true, 'Delete removes refine[0]');
  await page.locator('header strong').click();
  await page.keyboard.press('Control+z');
  const back = await ed.until(async () => { const x = await recipe(); return x['refine[0].name'] ? x : null; }, 'Ctrl+Z to bring the set back');
  ed.check(back['refine[0].mask[0].stroke[0].dabs'] === rc['refine[0].mask[0].stroke[0].dabs'], 'Ctrl+Z brings it back with its strokes');

  // ---- the sidecar ------------------------------------------------------------------
  const xmp = await ed.until(() => {
    const f = fs.readdirSync(ed.dirs.sidecars).find((x) => x.endsWith('.xmp'));
    const t = f ? fs.readFileSync(path.join(ed.dirs.sidecars, f), 'utf8') : '';
    return /<crs:DepthBasedCorrections>[\s\S]*crs:CorrectionName="Focus"/.test(t) ? t : null;
  }, 'the sidecar to hold the Focus set', 10_000);
  ed.check(/crs:LocalCorrectedDepth="[0-9.]+"/.test(xmp), 'the sidecar holds crs:DepthBasedCorrections with the Focus set and its crs:LocalCorrectedDepth');
  ed.check(ed.errors().length === 0, `the page raised no errors (${ed.errors().length})`);
  void far;
  await ed.stop();
});
