// Contrast in both themes (light, and dark as the system's preference): every piece of text in the page's panels
// — the HTML, and the labels of the topology and the timeline (SVG: their fill against what is drawn under them)
// — against the colour behind it reaches WCAG AA (4.5:1, 3:1 for large text), measured from computed colours
// (contrast.js), at moments that show the coloured states: lost writes, a powered-off host, an election, a
// crash, a cluster's shard tags and failure flags, a partition.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');
const { lowContrast } = require('./contrast');

const PANELS = ['.bar', '#description', '#main', '#lesson-panel'];

for (const theme of ['dark', 'light']) {
  for (const [scenario, at, select] of [
    ['replication-master-dies', 20000, 'master'], // lost writes, a host powered off, the checks' warnings
    ['sentinel', 13000, null], // the sentinels' votes and the election, the event log
    ['standalone-crash', 8000, null], // a crash, the disk
    ['persistence', 20000, null], // bytes not fsynced
    ['persistence', 10000, 'redis'], // a BGSAVE running, its temporary file
    ['sentinel-two', 12000, null], // a sentinel on a powered-off host, a failover that waits
    ['cluster', 16500, 'redis-4'], // shard tags, a slotless master, FAIL and the election on the timeline
    ['cluster-replica-migration', 12800, null], // "fail? 2/2" as the masters suspect a node
    ['cluster-reshard', 11000, null], // the resharding tool, MOVED on the timeline
    ['resync', 28000, 'replica-1'], // links down, a partition
  ]) {
    test(`${theme} theme: the text of ${scenario} at ${at / 1000} s, its drawings' labels too, reaches AA contrast`, async ({ browser }) => {
      const ctx = await browser.newContext({ colorScheme: theme, viewport: { width: 1280, height: 720 } });
      const page = await ctx.newPage();
      const errors = trackErrors(page);
      await open(page, `?scenario=${scenario}&seed=1`);
      await page.evaluate(() => { document.getElementById('lesson-stop').checked = false; });
      await page.evaluate((t) => window.app.seek(t), at);
      if (select) await page.locator(`#topology [data-proc-name="${select}"]`).click();
      await expect(page.locator('#time')).toHaveText(`${(at / 1000).toFixed(3)} s`);
      // The measure finds text at all (a page of nothing would pass), in the drawings too.
      expect(await page.evaluate(() => document.querySelectorAll('#checks .check').length)).toBeGreaterThan(2);
      expect(await page.locator('#topology svg text').count()).toBeGreaterThan(10);
      expect(await page.locator('#timeline svg text').count()).toBeGreaterThan(5);
      expect(await page.evaluate(lowContrast, PANELS)).toEqual([]);
      await page.screenshot({ path: `results/contrast-${theme}-${scenario}-${at / 1000}.png` });
      expect(errors).toEqual([]);
      await ctx.close();
    });
  }
}
