// Export: the topology and the timeline as standalone SVG files (styles inlined: they render alone, with no
// page stylesheet), the trace as JSON lines, the session as JSON and the deployment as Redis config files.
const fs = require('fs');
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

async function exportFile(page, item) {
  await page.getByRole('button', { name: 'Export ▾' }).click();
  await expect(page.getByRole('menu')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: item }).click()]);
  await expect(page.getByRole('menu')).toBeHidden();
  const file = await download.path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

test('topology and timeline download as SVG files that render on their own; trace and session as JSON', async ({ page, browser }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=replication&seed=2');
  await page.evaluate(() => window.app.runUntil(6000));

  const topo = await exportFile(page, 'Topology (SVG)');
  expect(topo.name).toBe('replication-seed2-6.000s-topology.svg');
  expect(topo.text.startsWith('<?xml')).toBe(true);
  expect(topo.text).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(topo.text).not.toMatch(/var\(--/);
  // The process names and roles, with the colours the page gives them inlined.
  const masterName = await page.evaluate(() => window.app.snapshot.processes.find((p) => p.role === 'master').name);
  expect(topo.text).toContain(`>${masterName}<`);
  expect(topo.text).toMatch(/style="[^"]*fill:rgb\(/);

  const tl = await exportFile(page, 'Timeline (SVG)');
  expect(tl.name).toBe('replication-seed2-6.000s-timeline.svg');
  expect(tl.text).toContain('class="timeline-svg"');
  expect(tl.text).toMatch(/marker-end="url\(#tl-/);

  // Rendered alone, in a page with no stylesheet: the same picture as in the page (same size, coloured).
  const bare = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  for (const [what, file] of [['topology', topo], ['timeline', tl]]) {
    await bare.setContent(`<!doctype html><body style="margin:0">${file.text.replace(/^<\?xml[^>]*>/, '')}</body>`);
    const box = await bare.locator('svg').first().boundingBox();
    const shown = await page.locator(`#${what} svg`).boundingBox();
    expect(Math.round(box.width)).toBe(Math.round(shown.width));
    expect(Math.round(box.height)).toBe(Math.round(shown.height));
    await bare.screenshot({ path: `results/export-${what}.png`, clip: { x: 0, y: 0, width: Math.min(1280, box.width), height: Math.min(720, box.height) } });
  }
  // The master's card keeps its colour once the stylesheet is gone.
  await bare.setContent(`<!doctype html><body style="margin:0">${topo.text.replace(/^<\?xml[^>]*>/, '')}</body>`);
  const fillAlone = await bare.evaluate(() => getComputedStyle(document.querySelector('[data-role="master"] .badge')).fill);
  expect(fillAlone).toBe(await page.evaluate(() => getComputedStyle(document.querySelector('#topology [data-role="master"] .badge')).fill));
  expect(fillAlone).toBe('rgb(37, 99, 235)'); // --master
  await bare.close();

  const trace = await exportFile(page, 'Trace (JSON lines)');
  expect(trace.name).toBe('replication-seed2-6.000s-trace.jsonl');
  const lines = trace.text.trim().split('\n');
  expect(lines.length).toBe(await page.evaluate(() => window.app.sim.traceLen()));
  expect(trace.text.trim()).toBe(await page.evaluate(() => window.app.sim.traceJson()));
  for (const l of lines.slice(0, 50)) expect(() => JSON.parse(l)).not.toThrow();

  const session = await exportFile(page, 'Session (JSON)');
  const parsed = JSON.parse(session.text);
  expect(parsed.seed).toBe(2);
  expect(parsed.now).toBe(6000);

  // The deployment as real Redis files: each server's redis.conf (the replicas' replicaof lines), what
  // `redis-ha-sim conf` prints and tests/deploy starts in a real redis-server.
  const conf = await exportFile(page, 'Redis config files (text)');
  expect(conf.name).toMatch(/redis-config.*\.txt$/);
  expect(conf.text).toBe(await page.evaluate(() => window.app.sim.deploymentText()));
  const files = await page.evaluate(() => window.app.sim.deploymentConfig());
  for (const f of files) expect(conf.text).toContain(`# ---- ${f.host ? `${f.host}/` : ''}${f.process}: ${f.file} ----`);
  expect(conf.text).toMatch(/^replicaof 10\.0\.0\.1 6379$/m);
  expect(conf.text).toMatch(/^port 6379$/m);
  expect(errors).toEqual([]);
});
