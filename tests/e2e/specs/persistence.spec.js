// The persistence story on the `persistence` built-in: one server with AOF (appendfsync everysec) and an RDB
// save point, an app writing a new key every 50 ms. The disk panel shows the files (dump.rdb and the Redis 7
// multi-part AOF: base, incr, manifest), the fsynced part of each as a solid bar and the part only in the OS
// page cache hatched; BGSAVE is a span on the timeline. A power loss cuts the files back to what was fsynced
// and acknowledged writes are lost (as many as the core's checks say); a process crash keeps every written
// byte, and with everysec nothing acknowledged is lost.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const SEED = 1;
const AOF = 'appendonlydir/appendonly.aof.1.incr.aof';
const FILES = ['dump.rdb', 'appendonlydir/appendonly.aof.1.base.rdb', AOF, 'appendonlydir/appendonly.aof.manifest'];

const disk = (page) => page.locator('#inspector .disk[data-disk-host="db"]');
const file = (page, path) => page.locator(`#inspector .disk-file[data-file="${path}"]`);
const files = (page) => page.evaluate(() => window.app.snapshot.hosts.find((h) => h.name === 'db').disk);
const aofOf = (list) => list.find((f) => f.path === AOF);
const lostShown = (page) => page.locator('[data-check="lost"] .check-count');

test('power loss: the disk keeps only fsynced bytes, and acknowledged writes are lost', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=persistence&seed=${SEED}`);
  await expect(page.locator('#scenario')).toHaveValue('persistence');
  await expect(page.locator('#selected-name')).toHaveText('redis');

  // ---- 1. Before the fault: the files, their fsynced and unsynced bytes, the BGSAVE of 10 s.
  await page.evaluate(() => window.app.runUntil(12000));
  await expect(disk(page)).toBeVisible();
  await expect(disk(page).locator('.disk-head')).toContainText('Disk of db');
  const at12 = await files(page);
  expect(at12.map((f) => f.path).sort()).toEqual([...FILES].sort());
  for (const f of at12) {
    await expect(file(page, f.path)).toBeVisible();
    await expect(file(page, f.path)).toHaveAttribute('data-bytes', String(f.bytes));
    await expect(file(page, f.path)).toHaveAttribute('data-synced', String(f.syncedBytes));
  }
  await expect(disk(page).locator('.disk-dir')).toHaveText('appendonlydir/');
  // everysec: the AOF has a tail written to the OS but not fsynced yet, drawn hatched and counted.
  const aof12 = aofOf(at12);
  expect(aof12.bytes).toBeGreaterThan(aof12.syncedBytes);
  await expect(file(page, AOF).locator('.file-bar .synced')).toBeVisible();
  await expect(file(page, AOF).locator('.file-bar .unsynced')).toBeVisible();
  await expect(file(page, AOF).locator('[data-unsynced]')).toHaveAttribute('data-unsynced', String(aof12.bytes - aof12.syncedBytes));
  await expect(file(page, AOF).locator('[data-unsynced]')).toContainText('not fsynced');
  await expect(file(page, 'dump.rdb').locator('.file-bar .unsynced')).toHaveCount(0);
  await expect(disk(page).locator('.disk-summary.warn')).toContainText('lost on a power loss, kept on a crash');
  // The save point fired at 10 s: a forked child, drawn as a span; the panel names the last save.
  const bgsave = await page.evaluate(() => window.app.sim.eventsSince(0).filter((r) => r.type === 'child' && r.job === 'bgsave'));
  expect(bgsave.map((r) => r.done)).toEqual([false, true]);
  await expect(page.locator('#timeline [data-child="bgsave"]')).toHaveCount(1);
  await expect(page.locator('#timeline .child-label')).toHaveText('BGSAVE ✓');
  await expect(disk(page).locator('[data-jobs]')).toContainText(`last save: BGSAVE at ${(bgsave[1].t / 1000).toFixed(3)} s`);
  // The topology card says it in short.
  await expect(page.locator('#topology [data-proc-name="redis"]')).toContainText('not fsynced');
  // Two faults, side by side, and the line that tells them apart.
  await expect(page.getByRole('button', { name: 'Crash process: kill redis (crash it)' })).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Power loss: power off db' })).toBeEnabled();
  await expect(page.locator('#fault-note')).toHaveText('Crash process: the OS page cache survives · Power loss: only fsynced bytes survive');
  await page.screenshot({ path: 'results/persistence-1-before.png' });

  // ---- 2. Power loss just before the scripted one (which then finds the host off and does nothing).
  await page.evaluate(() => window.app.runUntil(14900));
  const before = aofOf(await files(page));
  expect(before.bytes).toBeGreaterThan(before.syncedBytes);
  await page.getByRole('button', { name: 'Power loss: power off db' }).click();
  await expect(page.locator('#topology [data-host="db"]')).toHaveAttribute('data-powered', 'false');
  await expect(page.getByRole('button', { name: 'Power on db' })).toBeVisible();
  const after = aofOf(await files(page));
  // Only what reached the disk is left: at least the fsynced bytes, never the whole written file.
  expect(after.bytes).toBeLessThan(before.bytes);
  expect(after.bytes).toBeGreaterThanOrEqual(before.syncedBytes);
  expect(after.syncedBytes).toBe(after.bytes);
  await expect(file(page, AOF)).toHaveAttribute('data-bytes', String(after.bytes));
  await expect(file(page, AOF).locator('.file-bar .unsynced')).toHaveCount(0);
  await expect(file(page, AOF).locator('.file-bar .ghost')).toBeVisible();
  await expect(file(page, AOF)).toContainText('before the power loss');
  if (after.tornBytes > 0) await expect(file(page, AOF).locator('[data-torn]')).toHaveAttribute('data-torn', String(after.tornBytes));
  await expect(disk(page).locator('[data-cut="power"]')).toHaveAttribute('data-lost', String(before.bytes - after.bytes));
  await expect(disk(page).locator('.disk-summary.off')).toContainText('Power is off');

  // ---- 3. The scripted power-on at 16 s restarts the server from its AOF; the writes acknowledged
  // after the last fsync are gone, as the core's checker counts them.
  await page.evaluate(() => window.app.runUntil(16300));
  await expect(page.locator('#topology [data-host="db"]')).toHaveAttribute('data-powered', 'true');
  const checks = await page.evaluate(() => window.app.sim.checks());
  expect(checks.lostWrites.length).toBeGreaterThan(0);
  await expect(lostShown(page)).toHaveText(String(checks.lostWrites.length));
  for (const w of checks.lostWrites) expect(w.ackedAt).toBeLessThanOrEqual(14900);
  // The AOF is still shorter than it was before the cut; the load warned about the torn tail.
  const now = aofOf(await files(page));
  expect(now.bytes).toBeLessThan(before.bytes);
  await expect(file(page, AOF)).toContainText('before the power loss');
  const logs = await page.evaluate(() => window.app.sim.eventsSince(0).filter((r) => r.type === 'log' && r.t >= 16000).map((r) => r.text));
  expect(logs).toContain('DB loaded from append only file');
  if (after.tornBytes > 0) {
    expect(logs.some((t) => t.startsWith('!!! Warning: short read'))).toBe(true);
    expect(await page.locator('#timeline .log-mark.warn').count()).toBeGreaterThan(0);
  }
  await expect(page.locator('#timeline [data-band="power"]')).toHaveCount(1);
  await page.screenshot({ path: 'results/persistence-2-after-power-loss.png' });
  expect(errors).toEqual([]);
});

test('process crash: the page cache survives, and with everysec no acknowledged write is lost', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=persistence&seed=${SEED}`);
  await page.evaluate(() => window.app.runUntil(12000));
  const before = await files(page);
  expect(aofOf(before).bytes).toBeGreaterThan(aofOf(before).syncedBytes);

  await page.getByRole('button', { name: 'Crash process: kill redis (crash it)' }).click();
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveAttribute('data-proc-state', 'crashed');
  // Every file is as it was, unsynced tail included: the OS still has it.
  expect(await files(page)).toEqual(before);
  await expect(file(page, AOF).locator('.file-bar .unsynced')).toBeVisible();
  await expect(disk(page).locator('[data-cut="crash"]')).toHaveAttribute('data-lost', '0');
  await expect(disk(page).locator('[data-cut="crash"]')).toContainText('the OS page cache survives a crash');

  await page.evaluate(() => window.app.runUntil(13000));
  await page.getByRole('button', { name: 'Restart redis' }).click();
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveAttribute('data-proc-state', 'up');
  await page.evaluate(() => window.app.runUntil(14000));
  const checks = await page.evaluate(() => window.app.sim.checks());
  expect(checks.ackedWrites).toBeGreaterThan(200);
  expect(checks.lostWrites).toEqual([]);
  await expect(lostShown(page)).toHaveText('0');
  await expect(page.locator('[data-check="lost"] [data-count="acked"]')).toHaveText(String(checks.ackedWrites));
  const logs = await page.evaluate(() => window.app.sim.eventsSince(0).filter((r) => r.type === 'log' && r.t === 13000).map((r) => r.text));
  expect(logs).toContain('DB loaded from append only file');
  await page.screenshot({ path: 'results/persistence-3-crash.png' });
  expect(errors).toEqual([]);
});

test('four persistence settings side by side: each judged against its own server, and intact files are not intact data', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=persistence-compare&seed=1');
  await page.evaluate(() => window.app.runUntil(45000));
  const checks = await page.evaluate(() => window.app.sim.checks());
  const names = await page.evaluate(() => Object.fromEntries(window.app.snapshot.processes.map((p) => [p.id, p.name])));
  // Four deployments: the note names each one's master, and each client's own count is given.
  expect(checks.servingMasters.map((id) => names[id])).toEqual(['redis-rdb', 'redis-always', 'redis-everysec', 'redis-no']);
  const note = page.locator('[data-check="lost"] .check-note').first();
  await expect(note).toContainText("each judged against its own deployment's master now (redis-rdb, redis-always, redis-everysec, redis-no)");
  for (const [client, acked] of checks.ackedByClient) {
    const lost = checks.lostWrites.filter((w) => w.client === client).length;
    const row = page.locator(`[data-check="lost"] [data-client-lost="${names[client]}"]`);
    await expect(row.locator('b')).toHaveText(String(lost));
    await expect(row).toContainText(`of ${acked}`);
  }
  const rdbLost = checks.lostWrites.filter((w) => names[w.client] === 'app-rdb').length;
  expect(rdbLost).toBeGreaterThan(0);
  // The RDB file survived the power loss whole; the writes since its last save did not: the disk panel says both.
  await page.locator('#topology [data-proc-name="redis-rdb"]').click();
  const cut = page.locator('[data-disk-host="db-rdb"] [data-cut="power"]');
  await expect(cut).toHaveAttribute('data-lost', '0');
  await expect(cut).toContainText('the files lost nothing');
  await expect(cut).toContainText('memory is gone too, and with it every write that had not reached them');
  expect(errors).toEqual([]);
});
