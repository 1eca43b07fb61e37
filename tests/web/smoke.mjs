// The editor page's smoke test: it loads and talks to its server, paints a
// preview of the photo on <canvas id="photo">, and repaints it darker after a
// recipe change made through the API (then window.dmEditor.refresh(), since
// the server pushes nothing to the page). Screens: $DM_BUILD_DIR/editor-screens/.
import * as ed from './editor_driver.mjs';

await ed.run(async () => {
  const { page } = await ed.start('smoke');
  ed.check((await page.title()) === 'depthmask', `the page's title is "depthmask" (${await page.title()})`);

  // The page's own origin and token reach the API (as the page's code will).
  const photos = await page.evaluate(async () => {
    const token = new URLSearchParams(location.search).get('token');
    const r = await fetch('/api/photos', { headers: { 'X-Depthmask-Token': token } });
    return { status: r.status, body: await r.json().catch(() => null) };
  });
  ed.check(photos.status === 200 && photos.body?.photos?.length === 1,
    `GET /api/photos from the page lists the photo (${photos.status})`);

  await ed.waitPreviews(page, 1);
  await ed.waitSettled(page);
  const fit = await ed.canvasStats(page);
  ed.check(fit.std > 10, `the preview is not blank (${fit.width}x${fit.height}, mean ${fit.mean.toFixed(1)}, std dev ${fit.std.toFixed(1)})`);
  await ed.screenshot(page, 'fit');

  // The background one and a half stops down, as another client would.
  const n = await ed.previews(page);
  const r = await ed.api('PATCH', '/api/recipe',
    { set: { 'correction[0].mask[0].kind': 'background', 'correction[0].exposure': -1.5 } });
  ed.check(r.status === 200, `PATCH /api/recipe answers 200 (${r.status} ${r.text.slice(0, 100)})`);
  const hook = await page.evaluate(() => typeof window.dmEditor?.refresh === 'function');
  if (!hook) throw new Error('the page has no window.dmEditor.refresh()');
  await page.evaluate(() => window.dmEditor.refresh());
  await ed.waitPreviews(page, n + 1);
  await ed.waitRevision(page, r.json.revision);
  await ed.waitSettled(page);
  const after = await ed.canvasStats(page);
  ed.check(after.mean < fit.mean - 3, `the background at -1.5 EV darkens the preview (mean ${fit.mean.toFixed(1)} -> ${after.mean.toFixed(1)})`);
  await ed.screenshot(page, 'after');

  ed.check(ed.errors().length === 0, `the page raised no errors (${ed.errors().length})`);
  await ed.stop();
});
