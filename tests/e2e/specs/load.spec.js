// The first render: topology with a server and a client, the timeline with their lanes, the controls.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

test('page loads and draws the topology and the timeline', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page);
  await expect(page.locator('#error')).toBeHidden();

  // Scenario picker lists the built-ins, the first one is loaded.
  const ids = await page.locator('#scenario option').evaluateAll((os) => os.map((o) => o.value));
  expect(ids).toEqual(expect.arrayContaining(['standalone', 'standalone-crash']));
  await expect(page.locator('#scenario')).toHaveValue('standalone');
  await expect(page.locator('#seed')).toHaveValue('1');
  await expect(page.locator('#description')).toContainText('One Redis server');

  // Topology: two hosts, a master server, a client, and the client's arrow to it.
  const topo = page.locator('#topology svg');
  await expect(topo.locator('[data-host]')).toHaveCount(2);
  const server = topo.locator('[data-proc-kind="server"]');
  const client = topo.locator('[data-proc-kind="client"]');
  await expect(server).toHaveCount(1);
  await expect(client).toHaveCount(1);
  await expect(server).toHaveAttribute('data-proc-name', 'redis');
  await expect(server).toHaveAttribute('data-proc-state', 'up');
  await expect(server.locator('.badge-text')).toHaveText('MASTER');
  await expect(server).toContainText('10.0.0.1:6379');
  await expect(client).toContainText('sends to redis');
  await expect(topo.locator('[data-link="1-0"]')).toHaveCount(1);

  // Timeline: one lane per process, a time axis, at virtual time zero.
  const tl = page.locator('#timeline svg');
  await expect(tl.locator('[data-lane]')).toHaveCount(2);
  await expect(tl.locator('.lane-name')).toHaveText(['redis', 'app']);
  await expect(tl.locator('.tick').first()).toHaveText('0 s');
  await expect(page.locator('#time')).toHaveText('0.000 s');
  await expect(page.locator('#duration')).toHaveText('/ 30 s');

  // Controls are there, labelled, and usable.
  for (const label of ['Play', 'Step: process the next event', 'Reset the simulation to time zero', 'Pick a new random seed and restart']) {
    await expect(page.getByRole('button', { name: label })).toBeEnabled();
  }
  await expect(page.getByRole('button', { name: 'Kill redis (crash it)' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Restart redis' })).toBeDisabled();
  await expect(page.locator('.console-prompt')).toHaveText('10.0.0.1:6379> ');

  // The page hook exposes the live simulation.
  expect(await page.evaluate(() => window.app.sim.now())).toBe(0);
  expect(await page.evaluate(() => window.app.snapshot.processes.length)).toBe(2);

  await page.screenshot({ path: 'results/load.png' });
  expect(errors).toEqual([]);
});

test('scenario picker, seed and new seed rebuild the simulation', async ({ page }) => {
  await open(page);
  await page.locator('#scenario').selectOption('standalone-crash');
  await expect(page.locator('#description')).toContainText('killed at 5 s');
  await expect(page.locator('#duration')).toHaveText('/ 12 s');
  expect(await page.evaluate(() => window.app.sim.seed())).toBe(1);
  expect(page.url()).toContain('scenario=standalone-crash');

  await page.locator('#seed').fill('42');
  await page.locator('#seed').press('Enter');
  await expect.poll(() => page.evaluate(() => window.app.sim.seed())).toBe(42);

  await page.getByRole('button', { name: 'Pick a new random seed and restart' }).click();
  const seed = await page.evaluate(() => window.app.sim.seed());
  expect(seed).not.toBe(42);
  await expect(page.locator('#seed')).toHaveValue(String(seed));

  // Reset goes back to time zero with the same seed.
  await page.evaluate(() => window.app.runUntil(3000));
  await expect(page.locator('#time')).toHaveText('3.000 s');
  await page.getByRole('button', { name: 'Reset the simulation to time zero' }).click();
  await expect(page.locator('#time')).toHaveText('0.000 s');
  expect(await page.evaluate(() => window.app.sim.seed())).toBe(seed);
});
