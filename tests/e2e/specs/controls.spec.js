// The time scrubber, the arrow keys and the dark theme.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const at = (page) => page.evaluate(() => ({ now: window.app.sim.now(), len: window.app.sim.traceLen(), hash: window.app.sim.traceHash() }));

test('the scrubber seeks back and forth; the state at a time does not depend on how we got there', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone-crash&seed=7');
  const scrub = page.getByRole('slider', { name: 'Seek: virtual time in ms' });
  await expect(scrub).toHaveAttribute('max', String(await page.evaluate(() => window.app.sim.durationMs())));
  await scrub.fill('6500');
  const forward = await at(page);
  expect(forward.now).toBe(6500);
  await expect(page.locator('#time')).toHaveText('6.500 s');
  await expect(page.locator('#topology [data-proc-kind="server"]')).toHaveAttribute('data-proc-state', 'crashed');
  await scrub.fill('2000');
  const back = await at(page);
  expect(back.now).toBe(2000);
  expect(back.len).toBeLessThan(forward.len);
  await expect(page.locator('#topology [data-proc-kind="server"]')).toHaveAttribute('data-proc-state', 'up');
  await scrub.fill('6500');
  expect(await at(page)).toEqual(forward);
  // The keyboard moves the slider too (one press, a whole second at least).
  await scrub.focus();
  await page.keyboard.press('Home');
  expect((await at(page)).now).toBe(0);
  expect(errors).toEqual([]);
});

test('→ steps one event, ← goes back before the latest one; not while typing', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=3');
  await page.evaluate(() => window.app.runUntil(1200));
  await page.locator('body').click({ position: { x: 640, y: 10 } });
  const start = await at(page);
  await page.keyboard.press('ArrowRight');
  const one = await at(page);
  expect(one.len).toBeGreaterThan(start.len);
  await expect(page.locator('#step-status')).toHaveText(/\d+\.\d{3}s /);
  await page.keyboard.press('ArrowRight');
  const two = await at(page);
  expect(two.len).toBeGreaterThan(one.len);
  await page.keyboard.press('ArrowLeft');
  const back = await at(page);
  expect(back.now).toBeLessThan(two.now);
  expect(back.len).toBeLessThan(two.len);
  await expect(page.locator('#step-status')).toContainText('Back to');
  // Typing in the console: the arrows move the caret, not the simulation.
  await page.locator('#console-input').fill('GET foo');
  await page.locator('#console-input').press('ArrowLeft');
  await page.locator('#console-input').press('ArrowRight');
  expect(await at(page)).toEqual(back);
  expect(errors).toEqual([]);
});

test('light by default, dark when the system prefers it', async ({ page }) => {
  await open(page, '?scenario=replication&seed=2');
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await bg()).toBe('rgb(238, 241, 245)');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await bg()).toBe('rgb(14, 19, 27)');
  await page.evaluate(() => window.app.runUntil(5500));
  // Text stays readable: the process names are light on the dark cards.
  const name = await page.evaluate(() => getComputedStyle(document.querySelector('#topology .proc-name')).fill);
  expect(name).toBe('rgb(227, 232, 239)');
  await page.screenshot({ path: 'results/dark-theme.png' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await open(page, '?scenario=sentinel&seed=1');
  await page.evaluate(() => window.app.runUntil(14500));
  await page.screenshot({ path: 'results/dark-theme-sentinel.png' });
});
