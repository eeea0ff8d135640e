// Lessons from the picker: three built-in lessons (Sentinel, Cluster and persistence), each opened from the scenario picker, stopped at its key moments
// (every question, the last step) and run to its end, where its expectations' verdicts show.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const PREFERRED = ['sentinel', 'cluster', 'persistence'];

test('three lessons from the picker, with screenshots at their key moments', async ({ page }) => {
  test.setTimeout(180_000);
  const errors = trackErrors(page);
  await open(page, '?seed=1');
  const lessons = await page.evaluate(() => window.app.scenarios
    .filter((s) => (JSON.parse(s.json).narration || []).length > 0).map((s) => s.id));
  // Every built-in is a narrated lesson; these three are opened.
  expect(lessons).toEqual(await page.evaluate(() => window.app.scenarios.map((s) => s.id)));
  const chosen = PREFERRED;
  for (const id of chosen) expect(lessons).toContain(id);

  for (const id of chosen) {
    await page.locator('#scenario').selectOption(id);
    await expect.poll(() => page.evaluate(() => window.app.sim.now())).toBe(0);
    const { narration, duration } = await page.evaluate(() => ({ narration: window.app.sim.narration(), duration: window.app.sim.durationMs() }));
    await expect(page.locator('#lesson-panel')).toBeVisible();
    const sorted = [...narration].sort((a, b) => a.at_ms - b.at_ms);
    const key = sorted.map((n, i) => ({ ...n, i })).filter((n, i) => n.ask || i === sorted.length - 1);
    let shot = 1;
    for (const n of key) {
      await page.evaluate((t) => window.app.runUntil(t), n.at_ms);
      const cur = page.locator('#lesson-body .lesson-step.current');
      await expect(cur).toContainText(n.text.slice(0, 60));
      await expect(page.locator('#lesson-progress')).toHaveText(`step ${sorted.filter((m) => m.at_ms <= n.at_ms).length} of ${sorted.length}`);
      if (n.ask) {
        await expect(cur).toContainText(n.ask);
        await expect(cur.locator('.lesson-answer')).toHaveCount(0);
        await page.screenshot({ path: `results/lesson-${id}-${shot++}-ask.png` });
        await cur.getByRole('button', { name: /Reveal the answer/ }).click();
        if (n.answer) await expect(page.locator('#lesson-body .lesson-step.current .lesson-answer')).toContainText(n.answer.slice(0, 60));
      }
      await page.screenshot({ path: `results/lesson-${id}-${shot++}.png` });
    }
    await page.evaluate((t) => window.app.runUntil(t), duration);
    const verdicts = await page.evaluate(() => window.app.sim.judge());
    // The same expectations `cargo test` checks natively hold in the browser too.
    expect(verdicts.filter((v) => !v.passed)).toEqual([]);
    const rows = page.locator('#lesson-body .verdict');
    await expect(rows).toHaveCount(verdicts.length);
    for (let i = 0; i < verdicts.length; i++) {
      await expect(rows.nth(i)).toContainText(`${verdicts[i].passed ? '✓' : '✗'}${verdicts[i].expectation}`);
    }
    await page.screenshot({ path: `results/lesson-${id}-${shot}-end.png` });
  }
  expect(errors).toEqual([]);
});
