// Every built-in lesson runs in the page to its end and its expectations hold there, as natively
// (tests/lessons checks seeds 1..20; this checks seed 1 in the browser, with the page drawing as it goes).
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

test('every built-in lesson runs in the page and its expectations hold', async ({ page }) => {
  test.setTimeout(300_000);
  const errors = trackErrors(page);
  await open(page, '?seed=1');
  const ids = await page.evaluate(() => window.app.scenarios.map((s) => s.id));
  expect(ids.length).toBeGreaterThanOrEqual(17);
  const failed = [];
  for (const id of ids) {
    await page.locator('#scenario').selectOption(id);
    const result = await page.evaluate(() => {
      const { sim } = window.app;
      window.app.runUntil(sim.durationMs());
      window.app.refresh();
      return { now: sim.now(), duration: sim.durationMs(), narration: sim.narration().length, verdicts: sim.judge() };
    });
    expect(result.duration, id).toBeGreaterThan(0);
    expect(result.now, id).toBe(result.duration);
    expect(result.narration, `${id} has narration`).toBeGreaterThan(0);
    await expect(page.locator('#lesson-body .verdict')).toHaveCount(result.verdicts.length);
    for (const v of result.verdicts) if (!v.passed) failed.push(`${id}: ${v.expectation} — ${v.detail}`);
  }
  expect(failed).toEqual([]);
  expect(errors).toEqual([]);
});
