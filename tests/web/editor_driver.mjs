// Shared by the editor page's browser tests (tests/web/*.mjs): starts
// `depthmask edit` on a scene that needs no networks, waits for the scene,
// opens the page in headless Debian chromium driven by playwright-core, and
// gives small helpers. Env: DM_BIN, DM_SOURCE_DIR, DM_BUILD_DIR (as ctest sets).
//
//   import * as ed from './editor_driver.mjs';
//   await ed.run(async () => {
//     const { page } = await ed.start('NAME');   // scratch: test-tmp/web-NAME-*
//     ... ed.check(cond, 'what') ...
//     await ed.stop();
//   });                                          // then finish(): exit 1 on a FAIL
//
// start(NAME, { upscale: 2 }) opens the scene twice its size (see
// upscaledScene); ed.scene names the files and the options `depthmask edit`
// got (a `depthmask render` of the same sidecar takes the same), ed.dirs the
// session's folders (out, sidecars, scratch); run(body, { timeoutMs }) for a
// session longer than the default 120 s; until(fn, what) polls.
//
// An exception anywhere in the body is one "FAIL: reason" line and exit 1; the
// server and the browser are killed on every way out (exit, signal, timeout).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const SRC = process.env.DM_SOURCE_DIR;
const BUILD = process.env.DM_BUILD_DIR || '/tmp';
const BIN = process.env.DM_BIN;
const CHROMIUM = '/usr/bin/chromium';
const GLOBAL_TIMEOUT_MS = 120_000;
export const SCENE_DIR = `${SRC}/tests/data/dof-tune/scenes/tune2_man_head_shoulders1.5m_brick6m_lights`;

// The session's photo, depth and matte, and the options that bring them to
// `depthmask edit` (and to a `depthmask render` that must give the same
// pixels). camera.json: depth16_near_m 1.5, depth16_far_m 6.0, linear in the
// grey values. Set by start(): the scene's own files, or (upscale: K) copies
// K times larger in the session's scratch folder.
export const scene = { photo: '', depth: '', matte: '', width: 0, height: 0, options: [] };

function setScene(dir, width, height) {
  Object.assign(scene, { photo: `${dir}/aif.png`, depth: `${dir}/depth16.png`, matte: `${dir}/mask_gt.png`, width, height });
  scene.options = ['--depth', scene.depth, '--depth-encoding', 'linear', '--depth-range', '1.5:6',
    '--matte', scene.matte, '--no-cache', '--threads', '2'];
}

// The scene K times larger (the photo Lanczos, depth and matte nearest, so
// depth keeps its two planes): a photo larger than the view at 1280x800, for
// the loupe. Debian's python3-pil and -numpy (setup.sh).
function upscaledScene(k, dir) {
  const code = `
import sys
import numpy as np
from PIL import Image
src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = Image.open(src + '/aif.png')
a.resize((a.width * k, a.height * k), Image.LANCZOS).save(dst + '/aif.png')
d = np.array(Image.open(src + '/depth16.png')).astype(np.uint16)
Image.fromarray(d.repeat(k, 0).repeat(k, 1)).save(dst + '/depth16.png')
m = np.array(Image.open(src + '/mask_gt.png').convert('L'))
Image.fromarray(m.repeat(k, 0).repeat(k, 1)).save(dst + '/mask_gt.png')
print(a.width * k, a.height * k)
`;
  const r = spawnSync('/usr/bin/python3', ['-c', code, SCENE_DIR, dir, String(k)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot upscale the scene: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`);
  const [w, h] = r.stdout.trim().split(' ').map(Number);
  setScene(dir, w, h);
}

let server = null;    // the `depthmask edit` child process
let serverErr = '';   // its stderr, shown when something fails
let browser = null;
let base = '', token = '';
const fails = [];
const pageErrors = [];

// ---- results ---------------------------------------------------------------

export function check(cond, what) {
  if (cond) console.log(`ok: ${what}`);
  else { console.log(`FAIL: ${what}`); fails.push(what); }
  return cond;
}

export function finish() {
  if (fails.length) {
    console.log(`${fails.length} failure(s)`);
    process.exit(1);
  }
  console.log('all passed');
  process.exit(0);
}

// Uncaught errors and console.error of the page so far (the tests may check none).
export const errors = () => pageErrors.slice();

// ---- cleanup on every way out ----------------------------------------------

// Synchronous: also runs from process 'exit', where nothing async can.
function killAll() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  // playwright kills the browsers it launched on process exit too; this is
  // for the paths where it might not. Chromium runs in a process group of its
  // own (playwright spawns it detached): the group, renderers included.
  const bp = browser?.process?.();
  if (bp && bp.exitCode === null) {
    try { process.kill(-bp.pid, 'SIGKILL'); } catch { try { process.kill(bp.pid, 'SIGKILL'); } catch {} }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { console.log(`FAIL: got ${sig}`); killAll(); process.exit(1); });

function fatal(reason) {
  console.log(`FAIL: ${reason}`);
  const tail = serverErr.trim().split('\n').slice(-20).join('\n');
  if (tail) console.log(`--- depthmask edit stderr (tail) ---\n${tail}`);
  killAll();
  process.exit(1);
}

// Runs a test body with the global timeout (timeoutMs: a longer one for a
// long session; the ASan build is ~3x slower); any exception is one FAIL line.
export async function run(body, { timeoutMs = GLOBAL_TIMEOUT_MS } = {}) {
  setTimeout(() => fatal(`the test took longer than ${timeoutMs / 1000} s`), timeoutMs).unref();
  try {
    await body();
  } catch (e) {
    fatal(e?.message?.split('\n')[0] || String(e));
  }
  finish();
}

// ---- the server ------------------------------------------------------------

function scratch(name) {
  const d = path.join(BUILD, 'test-tmp', name);
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
  return d;
}

// The session's folders: out (exports), sidecars (--sidecar-dir), and
// scratch, for the test's own files. Set by start().
export const dirs = { out: '', sidecars: '', scratch: '' };

// The first stdout line is http://127.0.0.1:PORT/?token=TOKEN.
function startServer(name, { upscale = 1, folder = false } = {}) {
  if (!BIN || !SRC) throw new Error('DM_BIN and DM_SOURCE_DIR must be set (run through ctest)');
  dirs.out = scratch(`web-${name}-out`);
  dirs.sidecars = scratch(`web-${name}-sidecars`);
  dirs.scratch = scratch(`web-${name}-tmp`);
  if (upscale > 1) upscaledScene(upscale, scratch(`web-${name}-scene`));
  else setScene(SCENE_DIR, 960, 640);
  // a folder: the scene's photo and its f/8 rendering, one size, so the
  // scene's depth and matte files serve both
  let target = scene.photo;
  if (folder) {
    target = scratch(`web-${name}-photos`);
    fs.copyFileSync(`${SCENE_DIR}/aif.png`, `${target}/a.png`);
    fs.copyFileSync(`${SCENE_DIR}/aif_f8.png`, `${target}/b.png`);
  }
  const args = ['edit', target, ...scene.options,
    // nothing written beside the test data
    '--out', dirs.out, '--sidecar-dir', dirs.sidecars];
  server = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (s) => { serverErr += s; });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('depthmask edit printed no address within 30 s')), 30_000);
    server.on('error', (e) => reject(new Error(`cannot run ${BIN}: ${e.message}`)));
    server.on('exit', (code, sig) => reject(new Error(`depthmask edit exited (${code ?? sig}) before printing its address`)));
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (s) => {
      if (out.includes('\n')) return;     // later output is drained and ignored
      out += s;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)$/.exec(out.slice(0, nl).trim());
      if (!m) return reject(new Error(`unexpected first line from depthmask edit: ${out.slice(0, nl)}`));
      resolve({ url: m[0], base: m[1], token: m[2] });
    });
  });
}

// fetch with the token; the reply's status, text and (if it is JSON) json.
export async function api(method, p, body) {
  const headers = { 'X-Depthmask-Token': token };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(base + p, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    const gone = server && server.exitCode !== null ? `; depthmask edit exited ${server.exitCode}` : '';
    throw new Error(`${method} ${p} failed (${e.cause?.code ?? e.message})${gone}`);
  }
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch {}
  return { status: r.status, text, json };
}

async function waitScene(timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  // the first photo's: a folder's photos are opened when first asked for
  const first = (await api('GET', '/api/photos')).json?.photos?.[0]?.id ?? '0';
  await api('GET', `/api/photos/${first}/state`);
  while (Date.now() < end) {
    const scene = (await api('GET', `/api/photos/${first}/progress`)).json?.scene;
    if (scene?.failed) throw new Error(`the scene failed: ${scene.error}`);
    if (scene?.ready) return scene;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the scene was not ready within ${timeoutMs / 1000} s`);
}

// ---- the browser -----------------------------------------------------------

function playwright() {
  // Resolved from tools/browser/, so this works from any working directory.
  const require = createRequire(path.join(SRC, 'tools/browser/package.json'));
  try {
    return require('playwright-core');
  } catch {
    throw new Error('playwright-core is not installed in tools/browser (run ./setup.sh)');
  }
}

// Starts the server and the browser; the page is open at the editor's URL
// (not yet painted: see waitPreviews). options.upscale: K, the scene K times
// larger (see upscaledScene).
export async function start(name, options = {}) {
  const { chromium } = playwright();
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (run ./setup.sh)`);
  const s = await startServer(name, options);
  base = s.base; token = s.token;
  server.removeAllListeners('exit');
  await waitScene();
  // --no-sandbox: the tests run as root in containers, where chromium's
  // sandbox cannot start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 30_000 });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => {
    pageErrors.push(e.message);
    const at = (e.stack ?? '').split('\n').filter((l) => /^\s*at /.test(l)).slice(0, 2).map((l) => l.trim()).join(' < ');
    console.log(`page error: ${e.message}${at ? ` (${at})` : ''}`);
  });
  page.on('console', (m) => {
    const where = m.location()?.url || '';
    // Chromium asks for /favicon.ico by itself (without the token: 403); not the page's doing.
    if (m.type() !== 'error' || where.endsWith('/favicon.ico')) return;
    pageErrors.push(m.text());
    console.log(`page console.error: ${m.text()} ${where}`);
  });
  const resp = await page.goto(s.url, { waitUntil: 'load' });
  if (!resp || resp.status() !== 200) throw new Error(`GET / answered ${resp?.status()}`);
  return { page, browser, url: s.url, token };
}

// POST /api/quit, the server's exit (0: clean, and no leak under ASan), the browser closed.
export async function stop() {
  if (browser) { await browser.close(); browser = null; }
  if (!server) return;
  const exited = new Promise((r) => server.exitCode !== null ? r(server.exitCode) : server.once('exit', (c, sig) => r(c ?? sig)));
  const r = await api('POST', '/api/quit');
  check(r.status === 200, `POST /api/quit answers 200 (${r.status})`);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
  if (!check(code === 0, `the server quit cleanly (exit ${code})`)) console.log(serverErr.trim().split('\n').slice(-20).join('\n'));
  server = null;
}

// ---- page helpers ----------------------------------------------------------

export const previews = (page) => page.evaluate(() => Number(document.body.dataset.previews || 0));

// Until body.dataset[field] >= n; after timeoutMs an error from
// why(what the page shows).
async function waitBody(page, field, n, timeoutMs, why) {
  try {
    await page.waitForFunction(([f, n]) => Number(document.body.dataset[f] || 0) >= n, [field, n], { timeout: timeoutMs });
  } catch (e) {
    if (e?.name !== 'TimeoutError') throw e;
    const got = await page.evaluate((f) => document.body.dataset[f], field).catch(() => '?');
    throw new Error(`${why(got ?? 'unset')} after ${timeoutMs / 1000} s`);
  }
}

// Until the page has painted n previews (body.dataset.previews >= n).
export function waitPreviews(page, n, timeoutMs = 30_000) {
  return waitBody(page, 'previews', n, timeoutMs, (got) => n <= 1
    ? `the page never painted a preview (body.dataset.previews is ${got})`
    : `the page did not paint preview ${n} (body.dataset.previews is ${got})`);
}

// Until the photo on the page shows recipe revision `rev` or a later one
// (body.dataset.revision, from the preview's X-Depthmask-Revision): a paint
// counted before it may still be of the recipe before the change.
export function waitRevision(page, rev, timeoutMs = 30_000) {
  return waitBody(page, 'revision', rev, timeoutMs, (got) => `the page did not paint recipe revision ${rev} (it shows ${got})`);
}

// Mean and standard deviation of the RGB values (0-255) of <canvas id="photo">.
// Copied onto a scratch 2D canvas first, so it reads a WebGL canvas as well.
export async function canvasStats(page) {
  const s = await page.evaluate(() => {
    const c = document.getElementById('photo');
    if (!(c instanceof HTMLCanvasElement)) return { error: `#photo is ${c ? `a <${c.tagName.toLowerCase()}>` : 'missing'}, not a <canvas>` };
    if (!c.width || !c.height) return { error: '#photo canvas has no size' };
    const t = document.createElement('canvas');
    t.width = c.width; t.height = c.height;
    const ctx = t.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, t.width, t.height).data;
    let sum = 0, sum2 = 0;
    for (let i = 0; i < d.length; i += 4) {
      for (let k = 0; k < 3; k++) { const v = d[i + k]; sum += v; sum2 += v * v; }
    }
    const n = (d.length / 4) * 3;
    const mean = sum / n;
    return { width: c.width, height: c.height, mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)) };
  });
  if (s.error) throw new Error(s.error);
  return s;
}

// The whole page as $DM_BUILD_DIR/editor-screens/NAME.png.
export async function screenshot(page, name) {
  const dir = path.join(BUILD, 'editor-screens');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
  return file;
}

// Until body.dataset.previews has not moved for quietMs: a page that paints a
// draft and then the full preview is done painting, so the next count is ours.
export async function waitSettled(page, quietMs = 1000, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  let last = await previews(page), since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > end) throw new Error(`the page kept painting previews for ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
    const now = await previews(page);
    if (now !== last) { last = now; since = Date.now(); }
  }
  return last;
}

// Until fn() (async) gives a truthy value, which is returned; after timeoutMs
// an error naming `what` (and the last value seen).
export async function until(fn, what, timeoutMs = 15_000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s (last seen: ${JSON.stringify(last)?.slice(0, 200)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
