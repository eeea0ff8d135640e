// Failures are explained on the page, never a blank page.
const { test, expect } = require('@playwright/test');
const { open } = require('./helpers');

test('an unknown scenario in the URL says so and falls back to a working one', async ({ page }) => {
  await open(page, '?scenario=no-such-scenario');
  const box = page.locator('#error');
  await expect(box).toBeVisible();
  await expect(box).toHaveAttribute('role', 'alert');
  await expect(box).toContainText('Unknown scenario "no-such-scenario"');
  await expect(box).toContainText('standalone, standalone-crash');
  await expect(box).toContainText('Showing "standalone" instead');
  await expect(page.locator('#topology [data-proc-kind="server"]')).toHaveCount(1);
  await page.screenshot({ path: 'results/error-unknown-scenario.png' });
  await page.getByRole('button', { name: 'Dismiss this message' }).click();
  await expect(box).toBeHidden();
});

test('a bad scenario file shows the loader message and keeps the running simulation', async ({ page }) => {
  await open(page);
  const bad = JSON.stringify({ version: 1, name: 'broken', hosts: [{ name: 'db', processes: [{ kind: 'server', name: 'redis', port: 'six' }] }] });
  await page.locator('#load-json-file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(bad) });
  const box = page.locator('#error');
  await expect(box).toBeVisible();
  await expect(box).toContainText('Could not load "broken.json"');
  await expect(box).toContainText('invalid scenario');
  // The previous simulation is still there and usable.
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Play' })).toBeEnabled();
  await page.screenshot({ path: 'results/error-bad-file.png' });

  // Not JSON at all, through the page hook.
  const ok = await page.evaluate(() => window.app.loadJson('this is not json', 1, 'notes.txt'));
  expect(ok).toBe(false);
  await expect(box).toContainText('Could not load "notes.txt"');
  await expect(box).toContainText('invalid scenario JSON');

  // A good file loads and shows up in the picker.
  const good = await page.evaluate(() => window.app.scenarios.find((s) => s.id === 'standalone-crash').json);
  await page.locator('#load-json-file').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(good) });
  await expect(box).toBeHidden();
  await expect(page.locator('#scenario option:checked')).toHaveText('File: mine.json');
  await expect(page.locator('#description')).toContainText('killed at 5 s');
});

test('a bad seed in the URL is explained', async ({ page }) => {
  await open(page, '?scenario=standalone&seed=-5');
  await expect(page.locator('#error')).toContainText('seed must be a whole number');
  await expect(page.locator('#topology')).toContainText('No simulation loaded');
  await page.screenshot({ path: 'results/error-bad-seed.png' });
});

// A missing wasm package or scenarios bundle: the page says which, and how to build it.
for (const [what, url, title, detail, shot] of [
  ['wasm package', '**/pkg/redis_ha_sim_web_bg.wasm', 'Could not load the simulator', null, 'error-no-wasm'],
  ['scenarios bundle', '**/pkg/scenarios.json', 'Could not load the built-in scenarios', 'scenarios.json: HTTP 404', 'error-no-scenarios'],
]) {
  test(`a missing ${what} is explained with the build command`, async ({ page }) => {
    await page.route(url, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await open(page);
    expect(await page.evaluate(() => window.app.status)).toBe('failed');
    const box = page.locator('#error');
    await expect(box).toBeVisible();
    await expect(box).toContainText(title);
    if (detail) await expect(box).toContainText(detail);
    await expect(box).toContainText('make wasm');
    await expect(page.locator('.brand')).toBeVisible();
    await page.screenshot({ path: `results/${shot}.png` });
  });
}
