// The look-aside cache lesson on the page: the database's card, inspector and connection gauge while the
// Redis master is down and every read falls through to it.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

test('cache-aside: the database fills to its capacity while no master answers', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=cache-aside&seed=1');
  const db = page.locator('#topology [data-proc-name="db"]');
  await expect(db.locator('.badge-text')).toHaveText('DATABASE');

  // Warm cache: reads hit Redis, the database is idle.
  await page.evaluate(() => window.app.runUntil(6000));
  await expect(db).toContainText('0/5 connections');

  // The master dies at 8 s: stop at the first refusal the database logs.
  const refused = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'log' && /too many clients/.test(r.text), 12000));
  expect(refused).not.toBeNull();
  await page.evaluate(() => window.app.refresh());
  const snap = await page.evaluate(() => window.app.snapshot.processes.find((p) => p.name === 'db'));
  expect(snap.inFlight).toBe(snap.capacity);
  await expect(db).toContainText(`${snap.capacity}/${snap.capacity} connections`);
  await expect(db).toContainText('at capacity: refusing');
  await db.click();
  await expect(page.locator('#inspector')).toContainText(`${snap.capacity} / ${snap.capacity}`);
  await expect(page.locator('#inspector')).toContainText('at capacity');
  // The gauge on the database's lane: a step line, with the time at capacity shaded.
  await page.locator('#window').selectOption('5000');
  await expect(page.locator('#timeline .gauge')).toHaveCount(1);
  expect(await page.locator('#timeline .gauge-full rect').count()).toBeGreaterThan(0);
  await page.screenshot({ path: 'results/cache-aside-1-db-full.png' });

  // After the failover, reads hit the cache again and the database drains.
  await page.evaluate(() => window.app.runUntil(20000));
  await expect(db).toContainText('0/5 connections');
  await page.screenshot({ path: 'results/cache-aside-2-recovered.png' });
  expect(errors).toEqual([]);
});
