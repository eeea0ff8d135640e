// The same scenario and seed give the same trace in the browser (wasm) as natively (the CLI).
const { test, expect } = require('@playwright/test');
const { execSync } = require('child_process');
const path = require('path');
const { open } = require('./helpers');

const ROOT = path.resolve(__dirname, '../../..');
const CLI = 'cargo run -q -p redis-ha-sim -- hash builtin:standalone-crash --seed 7 --until 12000';

test('trace hash in the page equals the native CLI', async ({ page }) => {
  test.setTimeout(15 * 60_000); // the first `cargo run` may have to compile the workspace
  const native = execSync(CLI, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  expect(native, `${CLI} should print a 16-hex trace hash`).toMatch(/^[0-9a-f]{16}$/);

  await open(page, '?scenario=standalone-crash&seed=7');
  const inPage = await page.evaluate(() => {
    const { Simulation } = window.app.wasm;
    const json = window.app.scenarios.find((s) => s.id === 'standalone-crash').json;
    const sim = new Simulation(json, 7);
    sim.runUntil(12000);
    const hash = sim.traceHash();
    sim.free();
    return hash;
  });
  // A mismatch right after a core change can also mean www/pkg/ is stale: rebuild it with `make wasm` first.
  expect(inPage, `wasm and native traces differ; reproduce with: ${CLI}`).toBe(native);

  // The page's own simulation, driven through the page, agrees too.
  await page.evaluate(() => window.app.runUntil(12000));
  expect(await page.evaluate(() => window.app.sim.traceHash())).toBe(native);
  await page.locator('#window').selectOption('20000');
  await page.screenshot({ path: 'results/determinism.png' });
});
