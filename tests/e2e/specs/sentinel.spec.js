// The Sentinel failover on the `sentinel` built-in: three sentinels (quorum 2, down-after-milliseconds 2000)
// watch redis-1 and its two replicas; redis-1 is killed at 10 s. The page is stopped at each step of the story
// (the first `+sdown master`, the first `+odown`, `+promoted-slave`, and `+switch-master` on all three
// sentinels) by stepping the simulation until that record appears, and must show it: the sentinel cards'
// view of the master (OK / SDOWN / ODOWN), their epoch and vote, the leader and its failover state, the event
// log in Redis's notation, the new master's badge, the client's window of unavailability. At 30 s the old
// master, restarted at 20 s, is a replica.
const { test, expect } = require('@playwright/test');
const { trackErrors, open, type } = require('./helpers');

const SEED = 1;
const CRASH_AT = 10000;

const card = (page, name) => page.locator(`#topology [data-proc-name="${name}"]`);
const sentinelCards = (page) => page.locator('#topology .proc.kind-sentinel');
const logLines = (page) => page.locator('#event-log li.ev');

/** Step the page's simulation until a Sentinel record matching `what` appears; returns it. */
async function stopAt(page, what) {
  const r = await page.evaluate((w) => window.app.stepUntil((x) => x.type === 'sentinel' && x.event === w.event &&
    (w.detail == null || x.detail.startsWith(w.detail)) && (w.procs == null || !w.procs.includes(x.proc)), 30000), what);
  expect(r, `no ${what.event} record`).not.toBeNull();
  return r;
}

const nameOf = (page, id) => page.evaluate((i) => window.app.snapshot.processes.find((p) => p.id === i).name, id);
const sentinelNames = (page) => page.evaluate(() => window.app.snapshot.processes.filter((p) => p.kind === 'sentinel').map((p) => p.name));

/** The event log's line for record `r`, as Redis prints it after the sentinel's name. */
async function expectLogged(page, r) {
  const who = await nameOf(page, r.proc);
  const line = page.locator(`#event-log li.ev[data-t="${r.t}"][data-proc="${r.proc}"][data-event="${r.event}"]`).last();
  await expect(line).toBeVisible();
  await expect(line.locator('.ev-who')).toHaveText(who);
  await expect(line.locator('.ev-text')).toHaveText(`${r.event} ${r.detail}`);
  return line;
}

test('sentinel failover: sdown, odown, promoted, done — and the old master comes back as a replica', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=sentinel&seed=${SEED}`);
  await expect(page.locator('#scenario')).toHaveValue('sentinel');
  const names = await sentinelNames(page);
  expect(names).toEqual(['sentinel-1', 'sentinel-2', 'sentinel-3']);

  // Sentinels are drawn apart from the data nodes: a band of their own in the topology, lanes of their own
  // at the bottom of the timeline, and their events in a tab.
  await expect(page.locator('#topology .sentinel-band-box')).toHaveCount(1);
  await expect(sentinelCards(page)).toHaveCount(3);
  await expect(page.locator('#topology [data-host="db1"]')).toContainText('+ sentinel-1');
  await expect(page.locator('#timeline .lane-name')).toHaveText(['redis-1', 'redis-2', 'redis-3', 'app', ...names]);
  await expect(page.getByRole('tab', { name: 'Sentinel events' })).toHaveAttribute('aria-selected', 'true');

  // ---- Before the crash: every sentinel sees the master OK, no vote yet.
  await page.evaluate((t) => window.app.runUntil(t), CRASH_AT - 100);
  for (const n of names) {
    await expect(card(page, n)).toHaveAttribute('data-view', 'ok');
    await expect(card(page, n).locator('.badge-text')).toHaveText('OK');
    await expect(card(page, n)).toContainText('→ redis-1 (10.0.0.1:6379)');
    await expect(card(page, n)).toContainText('epoch 0 · no vote');
  }
  await expect(card(page, 'redis-1').locator('.badge-text')).toHaveText('MASTER');
  await expect(page.locator('#votes')).toContainText('No election yet');
  await expect(logLines(page).filter({ hasText: '+monitor master mymaster 10.0.0.1 6379 quorum 2' })).toHaveCount(3);

  // ---- 1. sdown: the first sentinel to miss the master's replies for down-after-milliseconds.
  const sdown = await stopAt(page, { event: '+sdown', detail: 'master ' });
  expect(sdown.detail).toBe('master mymaster 10.0.0.1 6379');
  expect(sdown.t - CRASH_AT).toBeGreaterThanOrEqual(2000);
  const first = await nameOf(page, sdown.proc);
  await expect(card(page, first)).toHaveAttribute('data-view', 'sdown');
  await expect(card(page, first).locator('.badge-text')).toHaveText('SDOWN');
  // Its opinion alone: the others still see the master OK (no ODOWN without a quorum).
  const views = await page.evaluate(() => window.app.snapshot.processes.filter((p) => p.kind === 'sentinel').map((p) => [p.name, p.sentinel.masters[0].status]));
  for (const [n, v] of views) await expect(card(page, n)).toHaveAttribute('data-view', v);
  expect(views.filter(([, v]) => v === 'odown')).toEqual([]);
  await expectLogged(page, sdown);
  await expect(page.locator(`#timeline [data-lane="${sdown.proc}"]`)).toHaveClass(/view-sdown/);
  await expect(page.locator('#timeline [data-sentinel-band="sdown"]')).toHaveCount(1);
  await expect(page.locator('#timeline .sentinel-mark[data-sentinel-event="+sdown"]')).toHaveCount(1);
  await expect(page.locator('#timeline .sentinel-label').filter({ hasText: '+sdown' })).toHaveCount(1);
  await page.screenshot({ path: 'results/sentinel-1-sdown.png' });

  // ---- 2. odown: a sentinel hears from enough others that the master is down (quorum 2).
  const odown = await stopAt(page, { event: '+odown' });
  expect(odown.detail).toBe('master mymaster 10.0.0.1 6379 #quorum 2/2');
  const judge = await nameOf(page, odown.proc);
  await expect(card(page, judge)).toHaveAttribute('data-view', 'odown');
  await expect(card(page, judge).locator('.badge-text')).toHaveText('ODOWN');
  await expectLogged(page, odown);
  await expect(page.locator(`#event-log li.ev[data-event="+odown"] .ev-text`).first()).toHaveText('+odown master mymaster 10.0.0.1 6379 #quorum 2/2');
  await expect(page.locator('#timeline [data-sentinel-band="odown"]')).toHaveCount(1);
  await expect(page.locator('#timeline .sentinel-mark[data-events*="+odown"]')).toHaveCount(1);
  // It starts the election: a new epoch, and its own vote (run id shortened to 8 characters, then epoch).
  const judgeView = await page.evaluate((id) => window.app.snapshot.processes.find((p) => p.id === id).sentinel, odown.proc);
  expect(judgeView.currentEpoch).toBe(1);
  await expect(card(page, judge)).toContainText(`epoch 1 · vote ${judgeView.masters[0].votedFor.slice(0, 8)}/1`);
  await expect(logLines(page).filter({ hasText: '+try-failover master mymaster 10.0.0.1 6379' })).toHaveCount(1);
  await page.screenshot({ path: 'results/sentinel-2-odown.png' });

  // ---- 3. promoted: the elected leader chose a replica, sent it REPLICAOF NO ONE, and saw it become master.
  const promoted = await stopAt(page, { event: '+promoted-slave' });
  const leaderName = await nameOf(page, promoted.proc);
  const elected = await page.evaluate(() => window.app.sim.eventsSince(0).filter((r) => r.type === 'sentinel' && r.event === '+elected-leader'));
  expect(elected.map((r) => r.proc)).toEqual([promoted.proc]);
  const newAddress = /^slave (\S+) /.exec(promoted.detail)[1];
  const newMaster = await page.evaluate((a) => window.app.snapshot.processes.find((p) => p.address === a).name, newAddress);
  expect(newMaster).not.toBe('redis-1');
  await expect(card(page, newMaster)).toHaveAttribute('data-role', 'master');
  await expect(card(page, newMaster).locator('.badge-text')).toHaveText('MASTER');
  await expect(card(page, leaderName)).toHaveAttribute('data-leader', 'true');
  await expect(card(page, leaderName)).toContainText('★ LEADER');
  const leaderState = await page.evaluate((id) => window.app.snapshot.processes.find((p) => p.id === id).sentinel.masters[0].failoverState, promoted.proc);
  expect(leaderState).not.toBe('none');
  await expect(card(page, leaderName)).toHaveAttribute('data-failover-state', leaderState);
  await expect(card(page, leaderName)).toContainText(leaderState.replace(/_/g, '-'));
  await expectLogged(page, promoted);
  await expect(page.locator('#votes')).toContainText('Epoch 1 votes:');
  await expect(page.locator(`#votes .vote.won[data-vote-for="${leaderName}"]`)).toBeVisible();
  // The timeline flags the promotion on the new master's lane, and the failover the leader runs.
  await expect(page.locator('#timeline .flag-label.role-master')).toContainText('★ now MASTER');
  await expect(page.locator('#timeline .failover-span')).toHaveCount(1);
  await page.screenshot({ path: 'results/sentinel-3-promoted.png' });

  // ---- 4. done: every sentinel has switched to the new master.
  const switched = new Set();
  let last = null;
  while (switched.size < 3) {
    last = await stopAt(page, { event: '+switch-master', procs: [...switched] });
    expect(last.detail).toBe(`mymaster 10.0.0.1 6379 ${newAddress.replace(':', ' ')}`);
    switched.add(last.proc);
  }
  for (const n of names) {
    await expect(card(page, n)).toHaveAttribute('data-view', 'ok');
    await expect(card(page, n)).toContainText(`→ ${newMaster} (${newAddress})`);
  }
  await expect(logLines(page).filter({ hasText: `+switch-master mymaster 10.0.0.1 6379 ${newAddress.replace(':', ' ')}` })).toHaveCount(3);
  await expect(card(page, leaderName)).toContainText('★ led the failover of epoch 1');
  // The application followed +switch-master on its own; its unavailability window is in the checks.
  await expect(card(page, 'app')).toContainText(`sends to ${newMaster}`);
  const checks = await page.evaluate(() => window.app.sim.checks());
  expect(checks.unavailable.length).toBeGreaterThan(0);
  // The panel merges a client's overlapping windows (it sends without waiting for replies).
  const merged = [];
  for (const w of [...checks.unavailable].sort((a, b) => a.from - b.from)) {
    const prev = merged.filter((m) => m.client === w.client).pop();
    if (prev && w.from <= prev.to) {
      prev.to = Math.max(prev.to, w.to);
      prev.failedRequests += w.failedRequests;
    } else merged.push({ ...w });
  }
  const u = merged[merged.length - 1];
  expect(u.from).toBeLessThanOrEqual(CRASH_AT + 100);
  expect(u.to).toBeGreaterThan(sdown.t);
  const shown = page.locator(`[data-check="unavailable"] [data-unavailable="${u.client}"]`).last();
  await expect(shown).toContainText(`app ${(u.from / 1000).toFixed(3)} s – ${(u.to / 1000).toFixed(3)} s`);
  await expect(shown).toContainText(`${u.failedRequests} failed`);
  await expect(page.locator('[data-check="lost"] .check-count')).toHaveText(String(checks.lostWrites.length));
  // The votes of epoch 1: the leader's, by all three.
  await expect(page.locator(`#votes .vote.won[data-vote-for="${leaderName}"]`)).toHaveAttribute('data-vote-count', '3');
  // Key events only: discovery (+slave, +sentinel) hidden, the three +switch-master in view.
  await page.getByRole('checkbox', { name: 'Key events only' }).check();
  await expect(logLines(page).filter({ hasText: /^\S+\s+\S+\s*\+slave / })).toHaveCount(0);
  await expect(logLines(page).filter({ hasText: /\+failover-state-/ })).toHaveCount(0);
  await expect(logLines(page).filter({ hasText: '+switch-master' }).last()).toBeInViewport();
  await page.screenshot({ path: 'results/sentinel-4-done.png' });
  await page.getByRole('checkbox', { name: 'Key events only' }).uncheck();

  // The log can show one sentinel only.
  await page.locator('#events-filter').selectOption({ label: 'sentinel-2' });
  const s2 = await page.evaluate(() => window.app.snapshot.processes.find((p) => p.name === 'sentinel-2').id);
  const procs = await logLines(page).evaluateAll((lis) => [...new Set(lis.map((li) => li.dataset.proc))]);
  expect(procs).toEqual([String(s2)]);
  await page.locator('#events-filter').selectOption({ label: 'all sentinels' });

  // Sentinels answer in the console too: where is the master now?
  await page.getByRole('tab', { name: 'Console' }).click();
  await page.locator('#console-target').selectOption('sentinel-1');
  await expect(page.locator('.console-prompt')).toHaveText('10.0.0.1:26379> ');
  await expect(await type(page, 'SENTINEL get-master-addr-by-name mymaster')).toHaveText(`1) "${newAddress.split(':')[0]}"\n2) "${newAddress.split(':')[1]}"`);
  await page.getByRole('tab', { name: 'Sentinel events' }).click();

  // ---- 5. At 30 s the old master, restarted at 20 s, has been converted into a replica of the new one.
  await page.evaluate(() => window.app.runUntil(30000));
  await expect(card(page, 'redis-1')).toHaveAttribute('data-role', 'replica');
  await expect(card(page, 'redis-1').locator('.badge-text')).toHaveText('REPLICA');
  await expect(card(page, newMaster).locator('.badge-text')).toHaveText('MASTER');
  await expect(logLines(page).filter({ hasText: '+convert-to-slave slave 10.0.0.1:6379' }).first()).toBeVisible();
  await page.screenshot({ path: 'results/sentinel-5-old-master-replica.png' });
  expect(errors).toEqual([]);
});
