// Contrast in the dark theme (the system's preference): every piece of text in the page's panels against
// the colour behind it reaches WCAG AA (4.5:1, 3:1 for large text), measured from computed colours
// (contrast.js), at moments that show the coloured states: lost writes, a powered-off host, an election.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');
const { lowContrast } = require('./contrast');

const PANELS = ['.bar', '#description', '#main', '#lesson-panel'];

for (const [scenario, at, select] of [
  ['replication-master-dies', 20000, 'master'], // lost writes, a host powered off, the checks' warnings
  ['sentinel', 13000, null], // the sentinels' votes and the election, the event log
  ['standalone-crash', 8000, null], // a crash, the disk
  ['persistence', 20000, null], // bytes not fsynced
]) {
  test(`dark theme: the text of ${scenario} at ${at / 1000} s reaches AA contrast`, async ({ browser }) => {
    const ctx = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 720 } });
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    await open(page, `?scenario=${scenario}&seed=1`);
    await page.evaluate(() => { document.getElementById('lesson-stop').checked = false; });
    await page.evaluate((t) => window.app.seek(t), at);
    if (select) await page.locator(`#topology [data-proc-name="${select}"]`).click();
    await expect(page.locator('#time')).toHaveText(`${(at / 1000).toFixed(3)} s`);
    // The measure finds text at all (a page of nothing would pass).
    expect(await page.evaluate(() => document.querySelectorAll('#checks .check').length)).toBeGreaterThan(2);
    expect(await page.evaluate(lowContrast, PANELS)).toEqual([]);
    await page.screenshot({ path: `results/contrast-dark-${scenario}.png` });
    expect(errors).toEqual([]);
    await ctx.close();
  });
}
