// Fault injection by direct manipulation of the network (www/network.js): on the `sentinel` built-in with its
// scripted crash and restart taken out (so that only what the learner does acts), the master's host is
// isolated with the inspector's "Isolate host…" button and the Network dialog; the cut is drawn (host rings
// tagged with their side, the replication arrows cut, the strip under the topology); the majority side fails
// over (+switch-master in the Sentinel events); Heal; the old master becomes a replica. A replica is paused
// (PAUSED) and resumed; a link's latency is set with its slider and lands in the action log as a `link`
// action; a share link taken while the partition holds reopens with the same cut and the same trace hash.
// A second test cuts one way only.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const SEED = 1;
const ISOLATE_AT = 3000;

const card = (page, name) => page.locator(`#topology [data-proc-name="${name}"]`);
const lastAction = (page) => page.evaluate(() => { const a = window.app.sim.actions(); return a[a.length - 1]; });

/** The `sentinel` built-in without its scripted faults (nor the lesson that tells them). */
async function openSentinelWithoutFaults(page) {
  await open(page, `?scenario=sentinel&seed=${SEED}`);
  await page.evaluate((seed) => {
    const s = JSON.parse(window.app.scenarios.find((x) => x.id === 'sentinel').json);
    s.actions = [];
    s.narration = [];
    s.expect = [];
    s.name = "Sentinel, no scripted faults";
    s.description = "The sentinel built-in without its scripted crash and restart: only what you do acts.";
    window.app.loadJson(JSON.stringify(s), seed, 'sentinel-no-faults.json');
  }, SEED);
  await expect(page.locator('#topology svg')).toBeVisible();
  expect(await page.evaluate(() => window.app.sim.actions().length)).toBe(0);
}

test('isolate the master\'s host: cut drawn, the majority fails over, heal, the old master becomes a replica; pause; link latency', async ({ page, context }) => {
  const errors = trackErrors(page);
  await openSentinelWithoutFaults(page);
  await page.evaluate((t) => window.app.runUntil(t), ISOLATE_AT);

  // ---- Isolate db1 (redis-1, the master, and sentinel-1) from the inspector.
  await card(page, 'redis-1').click();
  await page.getByRole('button', { name: 'Isolate db1: partition it from every other host' }).click();
  const dlg = page.locator('#network-dialog');
  await expect(dlg).toBeVisible();
  await expect(dlg.getByRole('radio', { name: 'db1: side A' })).toBeChecked();
  for (const h of ['db2', 'db3', 'app']) await expect(dlg.getByRole('radio', { name: `${h}: side B` })).toBeChecked();
  await expect(page.locator('#net-part-preview')).toHaveText('{"do":"partition","groups":[["db1"],["db2","db3","app"]]}');
  await expect(page.locator('#net-current')).toHaveText('Nothing is cut now.');
  await page.screenshot({ path: 'results/network-1-isolate-dialog.png' });
  await dlg.getByRole('button', { name: 'Cut: apply the partition' }).click();
  await expect(dlg).toBeHidden();
  expect(await lastAction(page)).toEqual({ t: ISOLATE_AT, after_events: expect.any(Number), action: { do: 'partition', groups: [['db1'], ['db2', 'db3', 'app']] } });

  // The cut, drawn: db1 ringed as side A, the others as side B, the master's arrows to its replicas cut.
  await page.evaluate((t) => window.app.runUntil(t), ISOLATE_AT + 500);
  await expect(page.locator('#topology [data-cut-host="db1"]')).toHaveAttribute('data-side', 'A');
  for (const h of ['db2', 'db3', 'app']) await expect(page.locator(`#topology [data-cut-host="${h}"]`)).toHaveAttribute('data-side', 'B');
  await expect(page.locator('#topology [data-cut-tag="db1"]')).toContainText('✂ side A');
  const ids = await page.evaluate(() => Object.fromEntries(window.app.snapshot.processes.map((p) => [p.name, p.id])));
  for (const r of ['redis-2', 'redis-3']) {
    await expect(page.locator(`#topology [data-repl="${ids['redis-1']}-${ids[r]}"]`)).toHaveClass(/repl-down/);
    await expect(page.locator(`#topology [data-repl-label="${ids['redis-1']}-${ids[r]}"]`)).toHaveText('✂ partitioned');
  }
  await expect(page.locator('#net-strip')).toBeVisible();
  await expect(page.locator('#net-status')).toHaveText('✂ partitioned: db1 (A) | db2, db3, app (B)');
  await page.screenshot({ path: 'results/network-2-cut.png' });

  // A share link taken while the partition holds reopens with the same cut and the same trace.
  const link = await page.evaluate(() => window.app.share());
  const other = await context.newPage();
  const otherErrors = trackErrors(other);
  await other.goto(link);
  await other.waitForFunction(() => window.app && window.app.status !== 'loading');
  expect(await other.evaluate(() => window.app.error())).toBeNull();
  const fp = (p) => p.evaluate(() => ({ hash: window.app.sim.traceHash(), cuts: window.app.snapshot.cuts, actions: window.app.sim.actions() }));
  expect(await fp(other)).toEqual(await fp(page));
  await expect(other.locator('#topology [data-cut-host="db1"]')).toHaveAttribute('data-side', 'A');
  await expect(other.locator('#net-status')).toHaveText('✂ partitioned: db1 (A) | db2, db3, app (B)');
  expect(otherErrors).toEqual([]);
  await other.close();

  // ---- Time runs: sentinel-2 and sentinel-3 (a majority of three, quorum 2) fail over to a replica.
  const sw = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'sentinel' && r.event === '+switch-master', 30000));
  expect(sw, 'no +switch-master').not.toBeNull();
  const switched = await page.evaluate((id) => window.app.snapshot.processes.find((p) => p.id === id).name, sw.proc);
  expect(['sentinel-2', 'sentinel-3']).toContain(switched);
  const newAddress = sw.detail.split(' ').slice(-2).join(':');
  const promoted = await page.evaluate((a) => window.app.snapshot.processes.find((p) => p.address === a).name, newAddress);
  expect(['redis-2', 'redis-3']).toContain(promoted);
  await page.getByRole('tab', { name: 'Sentinel events' }).click();
  await expect(page.locator('#event-log li.ev').filter({ hasText: `+switch-master mymaster 10.0.0.1 6379 ${newAddress.replace(':', ' ')}` }).first()).toBeVisible();
  await expect(card(page, promoted)).toHaveAttribute('data-role', 'master');
  // Split brain: the isolated old master still believes it is the master.
  await expect(card(page, 'redis-1')).toHaveAttribute('data-role', 'master');
  await page.screenshot({ path: 'results/network-3-failover.png' });

  // ---- Heal (the strip's button): the sentinels turn the old master into a replica of the new one.
  await page.locator('#net-heal-now').click();
  expect((await lastAction(page)).action).toEqual({ do: 'heal' });
  await expect(page.locator('#net-strip')).toBeHidden();
  await expect(page.locator('#topology [data-cut-host]')).toHaveCount(0);
  const conv = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'sentinel' && r.event === '+convert-to-slave', 30000));
  expect(conv, 'no +convert-to-slave').not.toBeNull();
  await page.evaluate(() => window.app.runUntil(window.app.sim.now() + 2000));
  await expect(card(page, 'redis-1')).toHaveAttribute('data-role', 'replica');
  const master = await page.evaluate(() => {
    const s = window.app.snapshot;
    const r1 = s.processes.find((p) => p.name === 'redis-1');
    return s.processes.find((p) => p.id === r1.replication.master).name;
  });
  expect(master).toBe(promoted);
  await page.screenshot({ path: 'results/network-4-healed.png' });

  // ---- Pause a replica with its button: PAUSED; Resume.
  const replica = promoted === 'redis-2' ? 'redis-3' : 'redis-2';
  await card(page, replica).click();
  await page.getByRole('button', { name: `Pause ${replica} (SIGSTOP)` }).click();
  expect((await lastAction(page)).action).toEqual({ do: 'pause', process: replica });
  await expect(card(page, replica)).toHaveAttribute('data-proc-state', 'paused');
  await expect(card(page, replica)).toContainText('PAUSED');
  await page.evaluate(() => window.app.runUntil(window.app.sim.now() + 1000));
  await expect(page.getByRole('button', { name: `Resume ${replica} (SIGCONT)` })).toHaveText('Resume');
  await page.screenshot({ path: 'results/network-5-paused.png' });
  await page.getByRole('button', { name: `Resume ${replica} (SIGCONT)` }).click();
  expect((await lastAction(page)).action).toEqual({ do: 'resume', process: replica });
  await expect(card(page, replica)).toHaveAttribute('data-proc-state', 'up');

  // ---- A link's latency with its slider: db2 ↔ db3 to 250 ms.
  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  await expect(dlg).toBeVisible();
  await dlg.getByRole('combobox', { name: 'Link from host' }).selectOption('db2');
  await dlg.getByRole('combobox', { name: 'Link to host' }).selectOption('db3');
  await expect(page.locator('#net-link-now')).toHaveText('db2 → db3: 1 ms ± 1 ms, 0% loss (default); db3 → db2: 1 ms ± 1 ms, 0% loss (default)');
  await dlg.getByRole('slider', { name: 'Latency in ms' }).fill('250');
  await expect(dlg.getByRole('spinbutton', { name: 'Latency in ms (number)' })).toHaveValue('250');
  await dlg.getByRole('slider', { name: 'Loss in percent' }).fill('5');
  await expect(dlg.getByRole('spinbutton', { name: 'Loss in percent (number)' })).toHaveValue('5');
  await expect(page.locator('#net-link-preview')).toHaveText('{"do":"link","from":"db2","to":"db3","latency_ms":250,"jitter_ms":1,"loss":0.05,"symmetric":true}');
  await page.screenshot({ path: 'results/network-6-link-dialog.png' });
  const t = await page.evaluate(() => window.app.sim.now());
  await dlg.getByRole('button', { name: 'Apply the link settings' }).click();
  await expect(dlg).toBeHidden();
  expect(await lastAction(page)).toEqual({ t, after_events: expect.any(Number),
    action: { do: 'link', from: 'db2', to: 'db3', latency_ms: 250, jitter_ms: 1, loss: 0.05, symmetric: true } });
  const links = await page.evaluate(() => window.app.snapshot.links);
  expect(links).toEqual([
    { from: 'db2', to: 'db3', latencyMs: 250, jitterMs: 1, loss: 0.05 },
    { from: 'db3', to: 'db2', latencyMs: 250, jitterMs: 1, loss: 0.05 },
  ]);
  // Reopened, the dialog shows the link as it is now.
  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  await dlg.getByRole('combobox', { name: 'Link from host' }).selectOption('db2');
  await dlg.getByRole('combobox', { name: 'Link to host' }).selectOption('db3');
  await expect(page.locator('#net-link-now')).toHaveText('db2 → db3: 250 ms ± 1 ms, 5% loss; db3 → db2: 250 ms ± 1 ms, 5% loss');
  await expect(dlg.getByRole('slider', { name: 'Latency in ms' })).toHaveValue('250');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await expect(dlg).toBeHidden();

  const log = await page.evaluate(() => window.app.sim.actions().map((a) => a.action.do));
  expect(log).toEqual(['partition', 'heal', 'pause', 'resume', 'link']);
  expect(errors).toEqual([]);
});

test('a one-way cut from the Network dialog, drawn as one way, and healed from the dialog', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=sentinel&seed=${SEED}`);
  await page.evaluate(() => window.app.runUntil(2000));
  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  const dlg = page.locator('#network-dialog');
  await expect(dlg.getByRole('button', { name: 'Cut: apply the partition' })).toBeDisabled();
  await expect(page.locator('#net-part-preview')).toHaveText('(put at least one host on each side)');
  await dlg.getByRole('radio', { name: /^one way/ }).check();
  await dlg.getByRole('radio', { name: 'db1: side A' }).check();
  await dlg.getByRole('radio', { name: 'db2: side B' }).check();
  await expect(page.locator('#net-part-preview')).toHaveText('{"do":"partition_one_way","from":["db1"],"to":["db2"]}');
  await page.screenshot({ path: 'results/network-7-one-way-dialog.png' });
  await dlg.getByRole('button', { name: 'Cut: apply the partition' }).click();
  expect((await lastAction(page)).action).toEqual({ do: 'partition_one_way', from: ['db1'], to: ['db2'] });
  expect(await page.evaluate(() => window.app.snapshot.cuts)).toEqual([['db1', 'db2']]);
  await expect(page.locator('#net-status')).toHaveText('✂ one-way cut: db1 ↛ db2');
  await expect(page.locator('#topology [data-cut-tag="db1"]')).toContainText('✂ A ↛ B');
  await expect(page.locator('#topology [data-cut-tag="db2"]')).toContainText('✂ side B');
  await expect(page.locator('#topology [data-cut-host="db3"]')).toHaveCount(0);
  await page.evaluate(() => window.app.runUntil(2500));
  await page.screenshot({ path: 'results/network-8-one-way.png' });

  await page.getByRole('button', { name: /^Network: partition hosts/ }).click();
  await expect(page.locator('#net-current')).toHaveText('Now one-way cut: db1 ↛ db2');
  await dlg.getByRole('button', { name: 'Heal: repair every cut link' }).click();
  expect((await lastAction(page)).action).toEqual({ do: 'heal' });
  expect(await page.evaluate(() => window.app.snapshot.cuts)).toEqual([]);
  await expect(page.locator('#net-strip')).toBeHidden();
  expect(errors).toEqual([]);
});
