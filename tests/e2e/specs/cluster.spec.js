// Redis Cluster on the page. `cluster`: 3 masters + 3 replicas (node timeout 2000 ms), redis-1 killed at 10 s
// and restarted at 20 s: the slot map before (three owners), after the failover (redis-1's slots owned by its
// former replica, redis-1 marked failing), and at 25 s (redis-1 back as a replica). `cluster-reshard`: slot
// 15891 moved from redis-3 to redis-7 while the application keeps using it: the slot drawn as migrating and ASK
// marks on the client's lane during the move, then owned by redis-7. What the page shows is compared with
// CLUSTER NODES asked of a node on a throwaway copy of the simulation (the page's own session stays untouched).
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

const SEED = 1;

/** CLUSTER NODES of `node` as of now, on a copy of the page's simulation: {name: {role, ranges, flags, master}}. */
async function clusterNodes(page, node) {
  return page.evaluate((n) => {
    const { sim, wasm, snapshot } = window.app;
    const copy = wasm.Simulation.fromSession(sim.exportSession());
    const reply = copy.command(n, 'CLUSTER NODES');
    copy.free();
    const byAddress = new Map(snapshot.processes.map((p) => [p.address, p.name]));
    const idName = new Map();
    const lines = reply.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 8);
    for (const f of lines) idName.set(f[0], byAddress.get(f[1].split('@')[0]));
    const out = {};
    for (const f of lines) {
      out[idName.get(f[0])] = { flags: f[2].split(',').filter((x) => x !== 'myself'), master: f[3] === '-' ? null : idName.get(f[3]),
        ranges: f.slice(8).filter((x) => /^\d+(-\d+)?$/.test(x)).join(' ') };
    }
    return out;
  }, node);
}

/** The owners the page's slot map shows: {name: "ranges"} from its legend. */
async function pageOwners(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#slotmap [data-legend-owner]')]
    .filter((li) => li.dataset.ranges).map((li) => [li.dataset.legendOwner, li.dataset.ranges])));
}

function ownersOf(nodes) {
  return Object.fromEntries(Object.entries(nodes).filter(([, n]) => n.ranges).map(([k, n]) => [k, n.ranges]));
}

const node = (page, name) => page.locator(`#topology [data-cluster-node="${name}"]`);

test('cluster: the slot map before and after a failover, and the old master back as a replica', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=cluster&seed=${SEED}`);
  await expect(page.locator('#slots-panel')).toBeVisible();
  await expect(page.locator('#gossip')).not.toBeChecked();
  // Beside the lesson, with the cluster's gossip toggle too, every panel's controls fit in its head.
  await expect(page.locator('#lesson-panel')).toBeVisible();
  // So do they with "Follow now" shown (after a jump back in time).
  const overflowing = () => page.evaluate(() => [...document.querySelectorAll('.panel-head')]
    .filter((h) => h.offsetParent && h.scrollWidth > h.clientWidth + 1).map((h) => h.textContent.trim().slice(0, 30)));
  expect(await overflowing()).toEqual([]);
  await page.evaluate(() => window.app.focusTime(0));
  await expect(page.locator('#follow')).toBeVisible();
  expect(await overflowing()).toEqual([]);
  await page.screenshot({ path: 'results/cluster-0-follow-beside-lesson.png' });
  await page.evaluate(() => window.app.follow());

  // ---- Before the crash: three owners, the ranges of `redis-cli --cluster create`.
  await page.evaluate(() => window.app.runUntil(5000));
  await expect(page.locator('#slotmap [data-legend-owner]')).toHaveCount(3);
  const before = await pageOwners(page);
  expect(before).toEqual({ 'redis-1': '0-5460', 'redis-2': '5461-10922', 'redis-3': '10923-16383' });
  expect(before).toEqual(ownersOf(await clusterNodes(page, 'redis-2')));
  for (const [m, r] of [['redis-1', 'redis-4'], ['redis-2', 'redis-5'], ['redis-3', 'redis-6']]) {
    await expect(node(page, m)).toHaveAttribute('data-cluster-role', 'master');
    await expect(node(page, r)).toHaveAttribute('data-cluster-role', 'replica');
    await expect(node(page, r)).toContainText(`↳ ${m}`);
  }
  // Gossip is hidden by default, and shows with its toggle.
  await expect(page.locator('#timeline .msg.gossip')).toHaveCount(0);
  await page.locator('#gossip').check();
  expect(await page.locator('#timeline .msg.gossip').count()).toBeGreaterThan(10);
  await page.locator('#gossip').uncheck();
  await expect(page.locator('#timeline .msg.gossip')).toHaveCount(0);
  await page.screenshot({ path: 'results/cluster-1-before.png' });

  // Created by redis-cli: config epochs 1..3 for the three masters, shown in the slot map's legend.
  await expect(page.locator('#slotmap [data-legend-owner="redis-1"] [data-config-epoch]')).toHaveText('epoch 1');

  // ---- Failure detection: a master flags redis-1 PFAIL ("possibly failing"); the card counts the masters that
  // hold a failure report against it, out of the majority needed, as CLUSTER NODES of each master says.
  const pfail = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'log' && /possibly failing/.test(r.text), 20000));
  expect(pfail).not.toBeNull();
  await page.evaluate(() => window.app.refresh());
  await expect(node(page, 'redis-1').locator('.cl-fail')).toHaveText(/^fail\? [12]\/2$/);
  const suspects = Number(await node(page, 'redis-1').locator('.cl-fail').getAttribute('data-suspected-by'));
  let flagged = 0;
  for (const m of ['redis-2', 'redis-3']) {
    const v = await clusterNodes(page, m);
    if (/fail/.test(v['redis-1'].flags)) flagged += 1;
  }
  expect(suspects).toBe(flagged);
  await page.screenshot({ path: 'results/cluster-1b-pfail.png' });

  // ---- After the failover: the election was won by redis-4, which now owns 0-5460; redis-1 is marked failing.
  const won = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'log' && /^Failover election won/.test(r.text), 20000));
  expect(won).not.toBeNull();
  await page.evaluate(() => window.app.runUntil(15000));
  const after = await clusterNodes(page, 'redis-2');
  expect(after['redis-4'].ranges).toBe('0-5460');
  expect(after['redis-1'].flags).toContain('fail');
  expect(await pageOwners(page)).toEqual(ownersOf(after));
  await expect(page.locator('#slotmap [data-legend-owner="redis-4"]')).toHaveAttribute('data-ranges', '0-5460');
  await expect(node(page, 'redis-4')).toHaveAttribute('data-cluster-role', 'master');
  await expect(node(page, 'redis-4')).toContainText('0-5460');
  await expect(node(page, 'redis-1').locator('.cl-fail')).toHaveText('FAIL');
  // The winner took a new config epoch, greater than any before.
  expect(Number(await page.locator('#slotmap [data-legend-owner="redis-4"] [data-config-epoch]').getAttribute('data-config-epoch'))).toBeGreaterThan(3);
  await expect(page.locator('#topology [data-proc-name="redis-4"] .badge-text')).toHaveText('MASTER');
  // The story on the timeline: FAIL, the election, the votes, the win (the window shows 10-15 s).
  await page.locator('#window').selectOption('5000');
  await page.evaluate(() => window.app.focusTime(12800));
  await expect(page.locator('#timeline .cluster-mark[data-cluster-event="fail"]').first()).toBeVisible();
  await expect(page.locator('#timeline .cluster-mark[data-cluster-event="election"]')).not.toHaveCount(0);
  await expect(page.locator('#timeline .cluster-mark[data-cluster-event="vote"]')).not.toHaveCount(0);
  await expect(page.locator('#timeline .cluster-mark[data-cluster-event="won"]')).toHaveCount(1);
  await expect(page.locator('#timeline .cluster-label.won')).toHaveText('won: new master');
  await expect(page.locator('#timeline .cluster-label.fail').first()).toHaveText('FAIL redis-1');
  await page.screenshot({ path: 'results/cluster-2-after-failover.png' });
  await page.evaluate(() => window.app.follow());

  // ---- 25 s: redis-1, restarted at 20 s, is a replica of redis-4.
  await page.evaluate(() => window.app.runUntil(25000));
  const late = await clusterNodes(page, 'redis-2');
  expect(late['redis-1'].master).toBe('redis-4');
  expect(await pageOwners(page)).toEqual(ownersOf(late));
  await expect(node(page, 'redis-1')).toHaveAttribute('data-cluster-role', 'replica');
  await expect(node(page, 'redis-1')).toContainText('↳ redis-4');
  await expect(node(page, 'redis-1').locator('.cl-fail')).toHaveCount(0);
  await expect(page.locator('#topology [data-proc-name="redis-1"] .badge-text')).toHaveText('REPLICA');
  await page.screenshot({ path: 'results/cluster-3-old-master-replica.png' });

  // Reading CLUSTER NODES for the page recorded no console action in the learner's session.
  expect(await page.evaluate(() => window.app.sim.actions().filter((a) => a.do === 'command' || a.command).length)).toBe(0);
  expect(errors).toEqual([]);
});

test('cluster-reshard: slot 15891 migrating with ASK, then owned by redis-7', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, `?scenario=cluster-reshard&seed=${SEED}`);
  // During the move: the first ASK the application gets.
  const ask = await page.evaluate(() => window.app.stepUntil((r) => r.type === 'redirect' && r.kind === 'ASK', 20000));
  expect(ask).not.toBeNull();
  expect(ask.slot).toBe(15891);
  await page.evaluate((t) => window.app.runUntil(t), ask.t + 300);
  await page.locator('#window').selectOption('1000');
  await expect(page.locator('#slotmap [data-moving-slot="15891"]')).toHaveCount(1);
  await expect(page.locator('#slotmap [data-migrating="15891"]')).toContainText('slot 15891 migrating redis-3 → redis-7');
  await expect(page.locator('#timeline .redirect-mark[data-redirect="ASK"]')).not.toHaveCount(0);
  await expect(page.locator('#timeline .redirect-label.kind-ASK').first()).toContainText('ASK 15891→redis-7');
  await expect(page.locator('#topology .cl-tool.active')).toHaveText('moving slot 15891redis-3 → redis-7');
  const during = await clusterNodes(page, 'redis-2');
  expect(await pageOwners(page)).toEqual(ownersOf(during));
  await page.screenshot({ path: 'results/cluster-4-resharding.png' });

  // After: redis-7 owns 15891; redis-3 owns the rest of its range.
  await page.evaluate(() => window.app.runUntil(15000));
  const done = await clusterNodes(page, 'redis-2');
  expect(done['redis-7'].ranges).toBe('15891');
  expect(done['redis-3'].ranges).toBe('10923-15890 15892-16383');
  expect(await pageOwners(page)).toEqual(ownersOf(done));
  await expect(page.locator('#slotmap [data-moving-slot]')).toHaveCount(0);
  await expect(page.locator('#slotmap [data-legend-owner="redis-7"]')).toContainText('15891');
  await expect(node(page, 'redis-7')).toContainText('15891');
  await page.screenshot({ path: 'results/cluster-5-resharded.png' });
  expect(errors).toEqual([]);
});

test("a cluster client's arrows go to the masters serving its slots, not to its seed; a sharding client's to each shard", async ({ page }) => {
  const errors = trackErrors(page);
  /** The servers the application's arrows point at, by name, and whether each is drawn failing. */
  const arrows = (app) => page.evaluate((app) => {
    const names = new Map([...document.querySelectorAll('#topology .proc')].map((g) => [g.dataset.procId, g.dataset.procName]));
    const id = [...names].find(([, n]) => n === app)[0];
    return Object.fromEntries([...document.querySelectorAll(`#topology .link[data-link^="${id}-"]`)]
      .map((l) => [names.get(l.dataset.link.split('-')[1]), l.classList.contains('bad') ? 'bad' : 'ok']));
  }, app);
  // redis-2 (the client's seed) is killed at 10 s, its replica redis-5 takes its slots, and is killed in turn;
  // redis-7 migrated to redis-5 and took over. At 32 s the application is served by redis-1, redis-3 and redis-7.
  await open(page, `?scenario=cluster-replica-migration&seed=${SEED}`);
  await page.evaluate(() => window.app.runUntil(32000));
  const owners = Object.keys(ownersOf(await clusterNodes(page, 'redis-1'))).sort();
  expect(owners).toEqual(['redis-1', 'redis-3', 'redis-7']);
  expect(await arrows('app')).toEqual(Object.fromEntries(owners.map((n) => [n, 'ok'])));
  await expect(page.locator('#topology [data-proc-name="app"] .proc-sub')).toHaveText('by slot → 3 masters');
  await expect(page.locator('#topology [data-proc-name="app"]')).toHaveAttribute('aria-label', /sends each key to its slot's master: redis-1, redis-7, redis-3$/);

  // Client-side sharding: sh-1's host is powered off at 10 s; the application still sends a third of its keys there.
  await open(page, `?scenario=compare-deployments&seed=${SEED}`);
  await page.evaluate(() => window.app.runUntil(15000));
  expect(await arrows('app-shards')).toEqual({ 'sh-1': 'bad', 'sh-2': 'ok', 'sh-3': 'ok' });
  await expect(page.locator('#topology [data-proc-name="app-shards"] .proc-sub')).toHaveText('by key → 3 shards');
  expect(errors).toEqual([]);
});
