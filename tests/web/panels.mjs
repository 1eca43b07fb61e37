// The editor page's panels through real input events (issue 15's tests):
// one session on the real-photo scene (a man's head and shoulders at 1.5 m
// before a brick wall at 6 m), every change made with page.mouse /
// page.keyboard on the page's own controls, never through the API; the API
// is only read, to check what the page did.
//
//   Depth Range: created, the far handle dragged 100 -> 40 on its canvas:
//     the preview and GET /api/mask changed, the recipe [0, 40], the
//     sidecar's crs:DepthMax 0.40 within 1.5 s; the eyedropper on the subject
//     sets the range /api/sample suggests, holding the subject's depth and
//     not the wall's
//   Adjust: Exposure with Shift+ArrowLeft (10 steps), reset by a double-click
//     on its label; Ctrl+Z restores GET /api/state's recipe exactly
//   Radial Gradient and Brush drawn on the photo: their recipe keys
//   Loupe (Z) and fit: screenshots in $DM_BUILD_DIR/editor-screens/panels-*.png
//   Export: a 16-bit TIFF that `depthmask render` of the same sidecar
//     reproduces bit for bit
//
// Every picture-changing step checks that the canvas is not blank and that
// it changed (mean absolute difference of the canvas's RGB, 0-255).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ed from './editor_driver.mjs';
import {
  apiImage, canon, checkCanvas, drag, painted, photoToScreen, python, recipe, scenePoints, snap, state,
} from './page_helpers.mjs';

const BIN = process.env.DM_BIN;
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const fmt = (x, d = 3) => (typeof x === 'number' ? x.toFixed(d) : JSON.stringify(x));

function sidecarText() {
  const files = fs.readdirSync(ed.dirs.sidecars).filter((f) => f.endsWith('.xmp'));
  if (files.length !== 1) return { file: null, text: '', files };
  const file = path.join(ed.dirs.sidecars, files[0]);
  return { file, text: fs.readFileSync(file, 'utf8'), files };
}

// crs:DepthMax as src/recipe writes it (an attribute of the
// CorrectionRangeMask), or as an element, should that change.
function depthMax(xmp) {
  const m = /crs:DepthMax="([^"]*)"/.exec(xmp) ?? /<crs:DepthMax>([^<]*)<\/crs:DepthMax>/.exec(xmp);
  return m ? Number(m[1]) : NaN;
}

// ---- the session --------------------------------------------------------------

await ed.run(async () => {
  // The scene twice its size (1920x1280): larger than the view at 1280x800,
  // so the loupe at 100 % is not the fit view.
  const { page } = await ed.start('panels', { upscale: 2 });
  const points = scenePoints();
  console.log(`scene: ${ed.scene.width}x${ed.scene.height}; subject point ${points.subject}, background point ${points.background}`);
  await ed.waitPreviews(page, 1);
  await ed.waitSettled(page, 800);
  const st0 = await state();
  ed.check(Object.keys(st0.recipe).every((k) => !k.startsWith('correction[')), `the recipe starts with no corrections (${Object.keys(st0.recipe).length} keys)`);
  await snap(page, 'start');
  const start = await ed.canvasStats(page);
  ed.check(start.std > 10, `the first preview is not blank (${start.width}x${start.height}, mean ${start.mean.toFixed(1)}, std dev ${start.std.toFixed(1)})`);
  const masking = page.locator('details#masking .body');
  const createBtn = (name) => masking.getByRole('button', { name, exact: true });

  // ---- Depth Range: create --------------------------------------------------
  await createBtn('Depth Range').click();
  const C = 0, DR = `correction[${C}].mask[0].depth_range`;
  await ed.until(async () => (await recipe())[`correction[${C}].mask[0].kind`] === 'depth_range', 'a Depth Range correction in the recipe');
  const handles = masking.locator(`[data-key="${DR}"] canvas.handles`);
  await handles.waitFor({ state: 'visible', timeout: 15_000 });
  ed.check(true, `"Depth Range" made correction[${C}] with its handles canvas (${secs()} s)`);

  // ---- Adjust: Exposure with the keyboard -----------------------------------
  const EXP = `correction[${C}].exposure`;
  const expo = page.locator(`details#adjust .body input[type=range][data-key="${EXP}"]`);
  await expo.waitFor({ state: 'visible' });
  const step = Number(await expo.getAttribute('step'));
  const exp0 = (await recipe())[EXP] ?? 0;
  let n = await ed.previews(page);
  await snap(page, 'before-exposure');
  await expo.focus();
  await page.keyboard.press('Shift+ArrowLeft');
  const exp1 = await ed.until(async () => { const v = (await recipe())[EXP]; return v !== undefined && v !== exp0 ? { v } : null; }, 'Exposure to change in the recipe');
  ed.check(Math.abs(exp1.v - (exp0 - 10 * step)) < 1e-6, `Shift+ArrowLeft on Exposure: ${exp0} -> ${exp1.v} (10 steps of ${step}: ${fmt(exp0 - 10 * step, 2)})`);
  await painted(page, n);
  await snap(page, 'after-exposure');
  const dExp = await checkCanvas(page, 'before-exposure', 'after-exposure', 'Exposure -10 steps on Depth Range 0-100');
  ed.check(dExp.meanB < dExp.meanA - 2, `Exposure ${exp1.v} darkens the whole photo (mean ${dExp.meanA.toFixed(1)} -> ${dExp.meanB.toFixed(1)})`);

  // ---- Depth Range: the far handle 100 -> 40 with the mouse -----------------
  const mask0 = await apiImage(page, `/api/mask?correction=${C}`);
  await handles.scrollIntoViewIfNeeded();
  const hb = await handles.boundingBox();
  const hy = hb.y + hb.height / 2;
  n = await ed.previews(page);
  await snap(page, 'before-drag');
  await page.mouse.move(hb.x + hb.width - 1, hy); // the far handle, at 100
  await page.mouse.down();
  let liveOverlay = false;
  for (let i = 1; i <= 12; i++) {
    await page.mouse.move(hb.x + hb.width * (1 - (0.6 * i) / 12), hy);
    if (i === 6) { // half way: the mask overlay painted over the photo
      liveOverlay = await page.evaluate(() => window.dmEditor.preview.layer?.kind === 'mask');
      await page.waitForFunction(() => window.dmEditor.preview.images.layer, null, { timeout: 15_000 }).catch(() => {});
      await ed.screenshot(page, 'panels-depth-drag');
    }
  }
  await page.mouse.up();
  const upAt = Date.now();
  ed.check(liveOverlay, 'while the handle is dragged the mask overlay is shown (preview.layer is the mask)');
  // the value the drag ended on, not one still in flight before it: the
  // page's PATCHes go one at a time, the last one after the others
  await page.evaluate(() => window.dmEditor.store.send.idle());
  const dr = await ed.until(async () => {
    const v = (await recipe())[DR];
    return Array.isArray(v) && Math.abs(v[1] - 100) > 1 ? v : null;
  }, `${DR} to move from [0, 100]`);
  ed.check(Math.abs(dr[0] - 0) <= 1 && Math.abs(dr[1] - 40) <= 1, `the far handle dragged 100 -> 40: ${DR} = ${JSON.stringify(dr)} (want [0, 40] +-1)`);
  const inputs = await masking.locator(`[data-key="${DR}"] input[data-handle]`).evaluateAll((l) => l.map((i) => Number(i.value)));
  ed.check(Math.abs(inputs[1] - dr[1]) < 0.05, `the Far number field shows the handle (${inputs.join(', ')})`);
  await painted(page, n);
  ed.check(await page.evaluate(() => !window.dmEditor.preview.layer), 'the live mask overlay is gone once the handle rests');
  await snap(page, 'after-drag');
  const dDrag = await checkCanvas(page, 'before-drag', 'after-drag', 'Depth Range [0, 40]');
  ed.check(dDrag.meanB > dDrag.meanA + 1, `the wall (far) leaves the range: the preview brightens (mean ${dDrag.meanA.toFixed(1)} -> ${dDrag.meanB.toFixed(1)})`);
  const mask1 = await apiImage(page, `/api/mask?correction=${C}`);
  ed.check(mask1.hash !== mask0.hash && mask1.mean < mask0.mean - 20,
    `GET /api/mask?correction=${C} changed (${mask0.width}x${mask0.height}, mean ${mask0.mean.toFixed(1)} -> ${mask1.mean.toFixed(1)}, digest ${mask0.hash} -> ${mask1.hash})`);
  await page.waitForTimeout(Math.max(0, 1500 - (Date.now() - upAt)));
  const sc = sidecarText();
  const dmax = depthMax(sc.text);
  ed.check(sc.file && Math.abs(dmax - 0.40) <= 0.01,
    `${((Date.now() - upAt) / 1000).toFixed(1)} s after the drag the sidecar ${sc.file ? path.basename(sc.file) : `(${sc.files.length} .xmp files)`} holds crs:DepthMax ${dmax} (want 0.40)`);

  // ---- Depth Range: the eyedropper on the subject ---------------------------
  const [sx, sy] = points.subject, [bgx, bgy] = points.background;
  const subj = (await ed.api('GET', `/api/sample?x=${sx}&y=${sy}&r=0`)).json;
  const wall = (await ed.api('GET', `/api/sample?x=${bgx}&y=${bgy}&r=0`)).json;
  if (!subj || !wall) throw new Error('GET /api/sample did not answer JSON');
  await masking.getByRole('button', { name: 'Eyedropper', exact: true }).click();
  n = await ed.previews(page);
  await page.mouse.click(...(await photoToScreen(page, sx, sy)));
  const picked = await ed.until(async () => {
    const v = (await recipe())[DR];
    return JSON.stringify(v) !== JSON.stringify(dr) ? v : null;
  }, 'the eyedropper to set the depth range');
  ed.check(picked[0] <= subj.depth && subj.depth <= picked[1],
    `the eyedropper on the subject (${sx}, ${sy}) sets ${JSON.stringify(picked)}, holding its depth ${fmt(subj.depth, 2)} (/api/sample suggests ${JSON.stringify(subj.range)})`);
  ed.check(Math.abs(picked[0] - subj.range[0]) < 0.5 && Math.abs(picked[1] - subj.range[1]) < 0.5,
    `the range is /api/sample's suggestion (${JSON.stringify(picked)} vs ${JSON.stringify(subj.range)})`);
  ed.check(wall.depth < picked[0] || wall.depth > picked[1], `the wall's depth ${fmt(wall.depth, 2)} at (${bgx}, ${bgy}) is outside it`);
  await painted(page, n).catch(() => {}); // the range may or may not move the picture
  await masking.getByRole('button', { name: 'Eyedropper', exact: true }).click(); // off again

  // ---- Adjust: reset by a double-click, then Ctrl+Z --------------------------
  const beforeReset = await recipe();
  await snap(page, 'before-reset');
  n = await ed.previews(page);
  const expoLabel = page.locator(`details#adjust .body .slider[data-key="${EXP}"] label`);
  await expoLabel.scrollIntoViewIfNeeded();
  await expoLabel.dblclick();
  const reset = await ed.until(async () => { const v = (await recipe())[EXP]; return v !== exp1.v ? { v } : null; }, 'Exposure to reset');
  ed.check(reset.v === 0, `a double-click on "${await expoLabel.textContent()}" resets Exposure: ${exp1.v} -> ${reset.v} (default 0)`);
  await painted(page, n);
  await snap(page, 'after-reset');
  const dReset = await checkCanvas(page, 'before-reset', 'after-reset', 'Exposure reset');
  ed.check(dReset.meanB > dReset.meanA + 1, `the subject brightens back (mean ${dReset.meanA.toFixed(1)} -> ${dReset.meanB.toFixed(1)})`);
  // Ctrl+Z from outside a text field (the page leaves keys typed in inputs alone)
  await page.locator('header strong').click();
  const { revision: rev, recipe: afterReset } = await state();
  n = await ed.previews(page);
  await page.keyboard.press('Control+z');
  const undone = await ed.until(async () => { const s = await state(); return s.revision !== rev || canon(s.recipe) !== canon(afterReset) ? s : null; }, 'Ctrl+Z to undo');
  ed.check(canon(undone.recipe) === canon(beforeReset),
    `Ctrl+Z restores GET /api/state's recipe exactly (${Object.keys(undone.recipe).length} keys; Exposure ${undone.recipe[EXP]}; revision ${rev} -> ${undone.revision}; can_redo ${undone.can_redo})`);
  if (canon(undone.recipe) !== canon(beforeReset)) {
    for (const k of new Set([...Object.keys(beforeReset), ...Object.keys(undone.recipe)]))
      if (JSON.stringify(beforeReset[k]) !== JSON.stringify(undone.recipe[k])) console.log(`  differs: ${k}: ${JSON.stringify(beforeReset[k])} -> ${JSON.stringify(undone.recipe[k])}`);
  }
  await painted(page, n);
  await snap(page, 'after-undo');
  await checkCanvas(page, 'after-reset', 'after-undo', 'undo');
  await checkCanvas(page, 'before-reset', 'after-undo', 'undo: the picture of the recipe before the reset', { same: true });

  // ---- Radial Gradient drawn with the mouse ---------------------------------
  await createBtn('Radial Gradient').click();
  const R = 1, RK = `correction[${R}].mask[0]`;
  await ed.until(async () => (await recipe())[`${RK}.kind`] === 'radial_gradient', 'a Radial Gradient correction in the recipe');
  await page.waitForFunction(() => window.dmEditor.view.tool?.name === 'radial');
  await ed.waitSettled(page, 500);
  await snap(page, 'before-radial');
  const rb = await recipe();
  const [pw, ph] = points.size;
  const centre = [0.30, 0.45], rim = [0.42, 0.62];
  await drag(page, await photoToScreen(page, centre[0] * pw, centre[1] * ph), await photoToScreen(page, rim[0] * pw, rim[1] * ph));
  const want = { left: 0.18, top: 0.28, right: 0.42, bottom: 0.62 };
  const got = await ed.until(async () => {
    const r = await recipe();
    return Object.keys(want).every((s) => r[`${RK}.${s}`] !== undefined) && Object.keys(want).some((s) => r[`${RK}.${s}`] !== rb[`${RK}.${s}`]) ? r : null;
  }, 'the radial gradient in the recipe');
  const off = Math.max(...Object.keys(want).map((s) => Math.abs(got[`${RK}.${s}`] - want[s])));
  ed.check(off < 0.01, `the radial gradient drawn from (${centre}) to (${rim}) is in the recipe: ${Object.keys(want).map((s) => `${s} ${got[`${RK}.${s}`]}`).join(', ')} (drawn ${Object.values(want).join(', ')}; off by ${off.toFixed(4)})`);
  await ed.waitSettled(page, 800);
  await snap(page, 'after-radial');
  await checkCanvas(page, 'before-radial', 'after-radial', 'radial gradient (its outline on the photo)');

  // ---- Brush: a stroke ------------------------------------------------------
  await createBtn('Brush').click();
  const B = 2, BK = `correction[${B}].mask[0]`;
  await ed.until(async () => (await recipe())[`${BK}.kind`] === 'brush', 'a Brush correction in the recipe');
  await page.waitForFunction(() => window.dmEditor.view.tool?.name === 'brush');
  await ed.waitSettled(page, 500);
  const from = [0.10, 0.20], to = [0.50, 0.26];
  await drag(page, await photoToScreen(page, from[0] * pw, from[1] * ph), await photoToScreen(page, to[0] * pw, to[1] * ph), 24);
  const dabsKey = `${BK}.stroke[0].dabs`;
  const dabs = await ed.until(async () => (await recipe())[dabsKey], `${dabsKey} in the recipe`);
  const xy = String(dabs).split(',').map(Number);
  const nd = xy.length / 2;
  let along = true;
  for (let i = 0; i < xy.length; i += 2) along &&= xy[i] > from[0] - 0.01 && xy[i] < to[0] + 0.01 && xy[i + 1] > from[1] - 0.01 && xy[i + 1] < to[1] + 0.01;
  ed.check(nd >= 5 && along, `a brush stroke adds ${nd} dabs along the path (${dabsKey} = ${String(dabs).slice(0, 60)}...; radius ${(await recipe())[`${BK}.stroke[0].radius`]})`);
  const bmask = await apiImage(page, `/api/mask?correction=${B}`);
  ed.check(bmask.mean > 2 && bmask.mean < 128, `the brush's mask (GET /api/mask?correction=${B}) holds the stroke (mean ${bmask.mean.toFixed(1)} of 255)`);
  await ed.waitSettled(page, 800);

  // ---- fit and loupe screenshots -----------------------------------------------
  await page.locator('header strong').click(); // keys to the page, not to a field
  await snap(page, 'fit');
  await ed.screenshot(page, 'panels-fit');
  n = await ed.previews(page);
  await page.keyboard.press('z');
  await page.waitForFunction(() => window.dmEditor.view.region?.bitmap, null, { timeout: 30_000 });
  await painted(page, n);
  const region = await page.evaluate(() => { const r = window.dmEditor.view.region; return [r.x, r.y, r.w, r.h]; });
  await snap(page, 'loupe');
  await checkCanvas(page, 'fit', 'loupe', `Z: the loupe at 100 % (region ${region.join(', ')})`);
  await ed.screenshot(page, 'panels-loupe');
  n = await ed.previews(page);
  await page.keyboard.press('z');
  await painted(page, n);
  await snap(page, 'fit-again');
  await checkCanvas(page, 'fit', 'fit-again', 'Z again: back to fit', { same: true });

  // ---- Export a 16-bit TIFF, and `depthmask render` of the same sidecar ----------
  // First the edits saved (the page's indicator and GET /api/photos agree).
  const sidecarState = async () => ({
    api: (await ed.api('GET', '/api/photos')).json?.photos?.[0]?.sidecar,
    page: (await page.locator('#saved').textContent()).trim(),
  });
  let ss = null;
  const tSave = Date.now();
  do {
    if (ss) await new Promise((r) => setTimeout(r, 200));
    ss = await sidecarState();
  } while ((ss.api !== 'saved' || ss.page !== 'saved') && Date.now() - tSave < 10_000);
  ed.check(ss.api === 'saved' && ss.page === 'saved', `before the export the edits are saved (GET /api/photos: "${ss.api}"; the page says "${ss.page}")`);
  await page.locator('details#export > summary').click();
  const exp = page.locator('details#export .body');
  await exp.locator('#ex-format').selectOption('tiff');
  await exp.locator('#ex-bits').selectOption('16');
  await exp.locator('#ex-profile').selectOption('srgb');
  await exp.locator('#ex-name').click();
  await page.keyboard.type('panels-export.tif');
  await exp.locator('#ex-go').click();
  const tExport = Date.now();
  await page.waitForFunction(() => /\S/.test(document.querySelector('#ex-result')?.textContent ?? ''), null, { timeout: 120_000 });
  const result = await exp.locator('#ex-result').textContent();
  const written = /^written: (.+)$/.exec(result)?.[1];
  ed.check(written && fs.existsSync(written), `Export: "${result}" (${((Date.now() - tExport) / 1000).toFixed(1)} s)`);
  if (!written) throw new Error('no exported file to compare');
  // The export saved the same recipe: nothing changed on disk behind the
  // session's back (the page polls the sidecar's state every 1.5 s).
  await page.waitForTimeout(2000);
  ss = await sidecarState();
  ed.check(ss.api === 'saved' && ss.page === 'saved', `after the export the sidecar is still "saved" (GET /api/photos: "${ss.api}"; the page says "${ss.page}"; status line "${(await page.locator('#status').textContent()).trim()}")`);
  const sidecar = sidecarText().file;
  const copy = path.join(ed.dirs.scratch, 'render.xmp'); // render saves back to --sidecar: a copy, not the editor's
  fs.copyFileSync(sidecar, copy);
  const rendered = path.join(ed.dirs.scratch, 'render.tif');
  const rr = spawnSync(BIN, ['render', ed.scene.photo, '-o', rendered, '--sidecar', copy, ...ed.scene.options,
    '--format', 'tiff', '--bits', '16', '--profile', 'srgb'], { encoding: 'utf8', timeout: 300_000 });
  ed.check(rr.status === 0, `depthmask render of the sidecar (exit ${rr.status}${rr.status ? `: ${rr.stderr.trim().split('\n').slice(-1)[0]}` : ''})`);
  const cmp = python(`
import json, sys
import numpy as np, tifffile
a, b = tifffile.imread(sys.argv[1]), tifffile.imread(sys.argv[2])
same = a.shape == b.shape and a.dtype == b.dtype
d = np.abs(a.astype(np.int64) - b.astype(np.int64)) if same else None
print(json.dumps({"a": [list(a.shape), str(a.dtype)], "b": [list(b.shape), str(b.dtype)],
  "equal": bool(same and np.array_equal(a, b)), "differ": int((d != 0).sum()) if same else -1,
  "max": int(d.max()) if same else -1, "mean": float(a.mean())}))
`, written, rendered);
  ed.check(cmp.a[1] === 'uint16' && cmp.a[0].length === 3 && cmp.a[0][0] === ph && cmp.a[0][1] === pw,
    `the export is a 16-bit ${cmp.a[0].join('x')} TIFF (${cmp.a[1]}, mean ${cmp.mean.toFixed(0)})`);
  ed.check(cmp.equal, `depthmask render of the same sidecar reproduces it bit for bit (${cmp.b[0].join('x')} ${cmp.b[1]}; ${cmp.differ} values differ, by at most ${cmp.max})`);

  ed.check(ed.errors().length === 0, `the page raised no errors (${ed.errors().length})`);
  await ed.stop();
  console.log(`session: ${secs()} s`);
}, { timeoutMs: 360_000 });
