// Share links and embed mode: a link's fragment carries scenario, seed, action log and time, and opening it
// replays the same session (the same trace hash); bad fragments say what is wrong; the embed mode shows only
// the chosen views in a 600 px iframe, from the snippet the page generates.
const path = require('path');
const { test, expect } = require('@playwright/test');
const { trackErrors, open, type } = require('./helpers');

const fingerprint = (page) => page.evaluate(() => ({
  hash: window.app.sim.traceHash(),
  now: window.app.sim.now(),
  len: window.app.sim.traceLen(),
  actions: JSON.stringify(window.app.sim.actions()),
}));

async function shareLinkFromDialog(page) {
  await page.getByRole('button', { name: /^Share/ }).click();
  await expect(page.locator('#share-dialog')).toBeVisible();
  await expect(page.locator('#share-link')).toHaveValue(/#v=1&/);
  return page.locator('#share-link').inputValue();
}

test('a share link reopened in a new page reproduces the session: same trace hash, same actions', async ({ page, context, baseURL }) => {
  const errors = trackErrors(page);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await open(page, '?scenario=replication&seed=5');
  await page.evaluate(() => window.app.runUntil(3000));
  // Crash a replica by clicking it in the topology, then the button; type a command; run on.
  const name = await page.evaluate(() => window.app.snapshot.processes.find((p) => p.role === 'replica').name);
  await page.locator(`#topology [data-proc-name="${name}"]`).click();
  await page.getByRole('button', { name: new RegExp(`^Crash process: kill ${name}`) }).click();
  await page.evaluate(() => window.app.runUntil(4200));
  await type(page, 'SET shared yes');
  await page.evaluate(() => window.app.runUntil(6100));
  const before = await fingerprint(page);
  expect(JSON.parse(before.actions).map((a) => a.action.do)).toEqual(['crash', 'command']);

  const link = await shareLinkFromDialog(page);
  expect(link).toContain('s=replication');
  expect(link).toContain('seed=5');
  expect(link).toContain('t=6100');
  await page.getByRole('button', { name: 'Copy link' }).click();
  await expect(page.locator('#share-status')).toHaveText('Link copied to the clipboard.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await page.screenshot({ path: 'results/share-1-dialog.png' });
  await page.getByRole('button', { name: 'Close' }).click();

  const other = await context.newPage();
  const otherErrors = trackErrors(other);
  await other.goto(link);
  await other.waitForFunction(() => window.app && window.app.status !== 'loading');
  expect(await other.evaluate(() => window.app.error())).toBeNull();
  expect(await fingerprint(other)).toEqual(before);
  await expect(other.locator('#scenario')).toHaveValue('replication');
  await expect(other.locator('#seed')).toHaveValue('5');
  await expect(other.locator('#time')).toHaveText('6.100 s');
  await expect(other.locator(`#topology [data-proc-name="${name}"]`)).toContainText('CRASHED');
  await other.screenshot({ path: 'results/share-2-reopened.png' });
  // The same future, too.
  await page.evaluate(() => window.app.runUntil(9000));
  await other.evaluate(() => window.app.runUntil(9000));
  expect(await fingerprint(other)).toEqual(await fingerprint(page));
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});

test('a scenario from a file travels inside the link', async ({ page, context }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=2');
  await page.locator('#load-json-file').setInputFiles(path.resolve(__dirname, '../../scenarios/replication-stale-read.json'));
  await page.evaluate(() => window.app.runUntil(2500));
  await type(page, 'SET from-file 1');
  await page.evaluate(() => window.app.runUntil(4000));
  const before = await fingerprint(page);
  const link = await shareLinkFromDialog(page);
  expect(link).toMatch(/#v=1&j=z[A-Za-z0-9_-]+&n=replication-stale-read\.json&seed=2&t=4000&a=z/);

  const other = await context.newPage();
  await other.goto(link);
  await other.waitForFunction(() => window.app && window.app.status !== 'loading');
  expect(await other.evaluate(() => window.app.error())).toBeNull();
  expect(await fingerprint(other)).toEqual(before);
  await expect(other.locator('#scenario option:checked')).toHaveText('File: replication-stale-read.json');
  // Another link pasted into the same tab is opened too.
  await page.evaluate(() => window.app.runUntil(5000));
  const later = await fingerprint(page);
  const link2 = await page.evaluate(() => window.app.share());
  await other.evaluate((h) => { location.hash = h; }, new URL(link2).hash);
  await expect.poll(() => other.evaluate(() => window.app.sim.now())).toBe(5000);
  expect(await fingerprint(other)).toEqual(later);
  expect(errors).toEqual([]);
});

test('a bad fragment gives a readable message and the page still works', async ({ page }) => {
  const cases = [
    ['#v=1&s=no-such-scenario&seed=1&t=0', 'names the scenario "no-such-scenario", which is not built in'],
    ['#hello', 'does not say which link format it uses'],
    ['#v=9&s=standalone&seed=1&t=0', 'uses link format "9"'],
    ['#v=1&s=standalone&seed=x&t=0', 'Its seed "x" is not a whole number'],
    ['#v=1&s=standalone&seed=1&t=0&a=z$$$', 'Its action log could not be read: it is not base64url text'],
    ['#v=1&s=standalone&seed=1&t=0&a=zAAAAAAA', 'Its action log could not be read'],
    ['#v=1&j=pbm90IGpzb24&seed=1&t=0', 'Its scenario is not valid JSON'],
    // An action at 5 s in a session that ends at 1 s: the core refuses the log.
    ['#v=1&s=standalone&seed=1&t=1000&a=pW3sidCI6NTAwMCwiYWZ0ZXJfZXZlbnRzIjoxLCJhY3Rpb24iOnsiZG8iOiJjcmFzaCIsInByb2Nlc3MiOiJyZWRpcyJ9fV0',
      'after the session\'s end'],
  ];
  for (const [hash, text] of cases) {
    const errors = trackErrors(page);
    await page.goto('about:blank');
    await open(page, `?seed=1${hash}`);
    await expect(page.locator('#error')).toBeVisible();
    await expect(page.locator('#error-title')).toHaveText(/Could not (open|replay) this link/);
    await expect(page.locator('#error-message')).toContainText(text);
    await expect(page.locator('#error-message')).toContainText('from the start instead');
    // Never a blank page: a scenario is loaded and drawn.
    await expect(page.locator('#topology svg')).toBeVisible();
    expect(await page.evaluate(() => window.app.sim.now())).toBe(0);
    expect(errors).toEqual([]);
    if (text.includes('not built in')) await page.screenshot({ path: 'results/share-3-bad-fragment.png' });
  }
});

test('embed mode: the generated snippet renders topology and timeline in a 600 px iframe', async ({ page, context }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  await page.getByRole('button', { name: /^Share/ }).click();
  const code = page.getByRole('textbox', { name: 'Embed code' });
  // The page's own address, whatever port the tests serve it on.
  const origin = new URL(page.url()).origin.replace(/[.]/g, '\\.');
  await expect(code).toHaveValue(new RegExp(`^<iframe src="${origin}/index\\.html\\?embed=1&amp;views=topology,timeline&amp;autoplay=1&amp;scenario=sentinel&amp;seed=1" width="600"`));
  await page.getByRole('checkbox', { name: 'checks' }).check();
  await expect(code).toHaveValue(/views=topology,timeline,checks&amp;/);
  await page.getByRole('checkbox', { name: 'checks' }).uncheck();
  const snippet = await code.inputValue();
  await page.getByRole('button', { name: 'Copy embed code' }).click();
  await expect(page.locator('#share-status')).toContainText(/Embed code copied|copy it/);
  await page.screenshot({ path: 'results/embed-1-code.png' });

  // A documentation page holding the snippet.
  const doc = await context.newPage();
  const docErrors = trackErrors(doc);
  await doc.route('**/embed-test.html', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>docs</title></head>
      <body style="font-family:sans-serif;margin:20px;background:#fafafa"><h1 style="font-size:18px">Sentinel failover, live</h1>
      <p>The embed below is 600 px wide.</p>${snippet}</body></html>`,
  }));
  await doc.setViewportSize({ width: 680, height: 760 });
  await doc.goto('/embed-test.html');
  // The snippet's iframe loads lazily: wait for it to navigate.
  await expect.poll(() => doc.frame({ url: /embed=1/ }) !== null).toBe(true);
  const frame = doc.frame({ url: /embed=1/ });
  await frame.waitForFunction(() => window.app && window.app.status === 'ready');
  expect(await frame.evaluate(() => window.app.error())).toBeNull();
  const f = doc.frameLocator('iframe');
  await expect(f.locator('#topology svg')).toBeVisible();
  // Autoplaying, the timeline is painted on a canvas; paused, it is an SVG.
  await expect(f.locator('#timeline > svg.timeline-svg:not(.paint-probe), #timeline > canvas.timeline-canvas').first()).toBeVisible();
  for (const hidden of ['.bar.top', '.inspector-panel', '.checks-panel', '.console-panel', '#step', '#metrics', '#description']) {
    await expect(f.locator(hidden)).toBeHidden();
  }
  await expect(f.getByRole('button', { name: 'Pause', exact: true })).toBeVisible(); // autoplay
  await expect(f.locator('#time')).toBeVisible();
  await expect(f.locator('#open-full')).toHaveAttribute('href', /scenario=sentinel&seed=1$/);
  // Fits: nothing wider than the iframe, both views have room.
  const fit = await frame.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
    topo: document.querySelector('.topology-panel').getBoundingClientRect().height,
    tl: document.querySelector('.timeline-panel').getBoundingClientRect().height,
  }));
  expect(fit.width).toBe(600);
  expect(fit.scroll).toBeLessThanOrEqual(600);
  expect(fit.topo).toBeGreaterThan(150);
  expect(fit.tl).toBeGreaterThan(150);
  await frame.waitForFunction(() => window.app.sim.now() > 2500);
  await doc.screenshot({ path: 'results/embed-2-iframe-600.png', fullPage: true });
  await frame.evaluate(() => window.app.pause());
  expect(docErrors).toEqual([]);
  expect(errors).toEqual([]);
});

test('embed mode from a share link; unknown views are named', async ({ page }) => {
  await open(page, '?scenario=standalone&seed=3');
  await page.evaluate(() => window.app.runUntil(1500));
  const hash = new URL(await page.evaluate(() => window.app.share())).hash;
  const before = await fingerprint(page);
  await page.goto('about:blank');
  await page.setViewportSize({ width: 600, height: 420 });
  await open(page, `?embed=1&views=timeline,bogus${hash}`);
  expect(await fingerprint(page)).toEqual(before);
  await expect(page.locator('#timeline svg')).toBeVisible();
  await expect(page.locator('.topology-panel')).toBeHidden();
  await expect(page.locator('#error-message')).toContainText('Unknown view "bogus"');
  await page.screenshot({ path: 'results/embed-3-timeline-only.png' });
});
