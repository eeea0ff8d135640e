// The page's layout at 1280x720, wider and in a 600 px embed: text readable and clear of other text in the
// topology, legends whole, buttons unclipped, the Checks panel shown in cluster layouts.
const { test, expect } = require('@playwright/test');
const { trackErrors, open, topologyOverlaps } = require('./helpers');

/** The topology's drawing scale (on screen / as drawn) and a card title's size on screen, in px. */
async function topologyScale(page) {
  return page.evaluate(() => {
    const svg = document.querySelector('#topology svg');
    const name = svg.querySelector('.proc-name');
    return {
      scale: svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
      nameFont: name.getBoundingClientRect().height / name.getBBox().height * parseFloat(getComputedStyle(name).fontSize),
      drawnH: svg.getBoundingClientRect().height,
      viewH: document.querySelector('#topology').clientHeight,
    };
  });
}

test('compare-deployments: its topology is drawn readable at 1280x720, 1600x1000 and in a 600 px embed', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=compare-deployments&seed=1');
  await page.evaluate(() => window.app.runUntil(13000));
  let s = await topologyScale(page);
  // Fifteen hosts and a Sentinels band: drawn at least 0.72 of their size (scrolling down if need be).
  expect(s.scale).toBeGreaterThanOrEqual(0.72);
  expect(s.nameFont).toBeGreaterThanOrEqual(10);
  expect(await topologyOverlaps(page)).toEqual([]);
  await page.screenshot({ path: 'results/layout-compare-1280.png' });

  await page.setViewportSize({ width: 1600, height: 1000 });
  await expect.poll(async () => (await topologyScale(page)).viewH).toBeGreaterThan(400);
  await page.waitForTimeout(300);
  s = await topologyScale(page);
  expect(s.scale).toBeGreaterThanOrEqual(0.72);
  // Rows of hosts, not one wide row over an empty panel: the drawing takes most of the panel's height.
  expect(s.drawnH).toBeGreaterThan(0.75 * s.viewH);
  expect(await topologyOverlaps(page)).toEqual([]);
  await page.screenshot({ path: 'results/layout-compare-1600.png' });

  await page.setViewportSize({ width: 600, height: 700 });
  await open(page, '?embed=1&views=topology,timeline&scenario=compare-deployments&seed=1');
  await page.evaluate(() => window.app.runUntil(13000));
  s = await topologyScale(page);
  expect(s.scale).toBeGreaterThanOrEqual(0.72);
  expect(await topologyOverlaps(page)).toEqual([]);
  await page.screenshot({ path: 'results/layout-compare-embed.png' });
  expect(errors).toEqual([]);
});

test('cluster layouts show the Checks panel: lost writes per application in compare-deployments, and in an embed', async ({ page }) => {
  await open(page, '?scenario=compare-deployments&seed=1');
  await expect(page.locator('.checks-panel')).toBeVisible();
  await page.evaluate(() => window.app.runUntil(35000));
  await page.evaluate(() => window.app.refresh());
  // The panel's figures are the core's: per application, the lost writes it acknowledged.
  const expected = await page.evaluate(() => {
    const { checks, snapshot } = window.app;
    const name = (id) => snapshot.processes.find((p) => p.id === id).name;
    return Object.fromEntries(checks.ackedByClient.map(([c]) => [name(c), checks.lostWrites.filter((w) => w.client === c).length]));
  });
  expect(Object.keys(expected).sort()).toEqual(['app-cluster', 'app-sentinel', 'app-shards']);
  expect(expected['app-shards']).toBeGreaterThan(0); // sh-1 came back empty: nobody had its keys
  for (const [app, n] of Object.entries(expected)) {
    await expect(page.locator(`#checks [data-client-lost="${app}"] b`)).toHaveText(String(n));
  }
  // Judged by each key's own master, not "no master now".
  await expect(page.locator('#checks [data-check="lost"] .check-note')).toContainText("each judged by its key's master in the cluster, or by its deployment's master now (");
  await page.screenshot({ path: 'results/layout-compare-checks.png' });

  await page.setViewportSize({ width: 600, height: 900 });
  await open(page, '?embed=1&views=topology,timeline,checks,lesson&scenario=cluster-reshard&seed=1');
  await page.evaluate(() => window.app.runUntil(11000));
  await expect(page.locator('.checks-panel')).toBeVisible();
  await expect(page.locator('#checks [data-check="lost"] b[data-count="acked"]')).not.toHaveText('0');
  await page.screenshot({ path: 'results/layout-embed-checks.png' });
});

/** Legend items that are not wholly inside their legend's box (cut off), by text. */
function cutLegendItems(page) {
  return page.evaluate(() => [...document.querySelectorAll('.legend')].filter((ul) => ul.offsetParent).flatMap((ul) => {
    const box = ul.getBoundingClientRect();
    const panel = ul.closest('.panel').getBoundingClientRect();
    return [...ul.children].filter((li) => !li.hidden).filter((li) => {
      const r = li.getBoundingClientRect();
      return r.right > Math.min(box.right, panel.right) + 0.5 || r.bottom > box.bottom + 0.5 || r.left < box.left - 0.5 || !r.width;
    }).map((li) => li.textContent.trim());
  }));
}

test('legends wrap rather than lose items at 1280 px; the Console Clear button is never clipped', async ({ page }) => {
  await open(page, '?scenario=replication&seed=1');
  expect(await cutLegendItems(page)).toEqual([]);
  await expect(page.locator('.topo-legend li', { hasText: 'replicates to' })).toBeVisible();
  await open(page, '?scenario=standalone-crash&seed=1');
  await page.evaluate(() => window.app.runUntil(8000));
  expect(await page.locator('#timeline .lost-mark').count()).toBeGreaterThan(0);
  expect(await cutLegendItems(page)).toEqual([]);
  await page.screenshot({ path: 'results/layout-legends.png' });

  for (const scenario of ['persistence', 'aof-rewrite', 'persistence-compare', 'cluster']) {
    await open(page, `?scenario=${scenario}&seed=1`);
    const clear = page.locator('#console-clear');
    await expect(clear).toBeVisible();
    const { width, needed, right, headRight } = await clear.evaluate((b) => ({
      width: b.getBoundingClientRect().width, needed: b.scrollWidth,
      right: b.getBoundingClientRect().right, headRight: b.parentNode.getBoundingClientRect().right,
    }));
    expect(width, scenario).toBeGreaterThanOrEqual(needed);
    expect(width, scenario).toBeGreaterThan(40);
    expect(right, scenario).toBeLessThanOrEqual(headRight);
  }
});

test('topology labels stand clear of other text, and the cluster inspector chip shows whole', async ({ page }) => {
  const cases = [['split-brain', 13000], ['replication', 30000], ['persistence-compare', 5000], ['cluster', 13000], ['resync', 29000],
    // The read/write split's words beside their arrows, not on the application's card; a "connecting" pill not on
    // the client's arrowhead nor on its neighbour; the end of a failover, a pill not on the old master's link line.
    ['replication-master-dies', 18500], ['replication-master-dies', 30000], ['resync', 1000], ['resync', 8000], ['resync', 28000],
    ['resync', 9500], ['sentinel', 29500], ['sentinel', 30000], ['split-brain', 10000], ['split-brain', 36000],
    ['cluster-replica-migration', 1000], ['cluster-replica-migration', 4500]];
  for (const [scenario, t] of cases) {
    await open(page, `?scenario=${scenario}&seed=1`);
    await page.evaluate((t) => window.app.runUntil(t), t);
    expect(await topologyOverlaps(page), `${scenario} at ${t} ms`).toEqual([]);
  }
  // A cluster node that crashed, in the inspector: its state chip reads "crashed", not cut.
  await open(page, '?scenario=cluster&seed=1');
  await page.evaluate(() => window.app.runUntil(13000));
  await page.locator('#topology [data-proc-name="redis-1"]').click();
  const chip = page.locator('#inspector .state-chip');
  await expect(chip).toHaveText('crashed');
  const clipped = await chip.evaluate((c) => {
    const dd = c.closest('dd');
    return c.getBoundingClientRect().right > dd.getBoundingClientRect().right + 0.5 || dd.scrollWidth > dd.clientWidth;
  });
  expect(clipped).toBe(false);
  await page.screenshot({ path: 'results/layout-cluster-13s.png' });

  // A host that runs a sentinel and lost its power: its title says POWER OFF, clear of the sentinel's name.
  await open(page, '?scenario=sentinel&seed=1');
  await page.evaluate(() => window.app.runUntil(3000));
  await page.locator('#topology [data-proc-name="redis-3"]').click();
  await page.locator('#power').click();
  await expect(page.locator('#topology [data-host="db3"] .host-off')).toHaveText('POWER OFF');
  expect(await topologyOverlaps(page)).toEqual([]);
  await page.screenshot({ path: 'results/layout-sentinel-power.png' });
});

test('an embed of four views in a short iframe gives each its share and scrolls, rather than squeezing some to nothing', async ({ page }) => {
  const errors = trackErrors(page);
  await page.setViewportSize({ width: 600, height: 450 });
  for (const scenario of ['cluster', 'sentinel']) {
    await open(page, `?embed=1&views=topology,timeline,checks,lesson&scenario=${scenario}&seed=1`);
    for (const panel of ['.topology-panel', '.timeline-panel', '.checks-panel', '.lesson-panel']) {
      const box = await page.locator(panel).boundingBox();
      expect(box.height, `${scenario} ${panel}`).toBeGreaterThanOrEqual(100);
    }
    // The lesson's current step is scrolled into view inside the lesson, not by scrolling the embed.
    await page.evaluate(() => window.app.runUntil(12000));
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => document.querySelector('.workspace').scrollTop)).toBe(0);
    await page.screenshot({ path: `results/layout-embed-four-views-${scenario}.png` });
  }
  expect(errors).toEqual([]);
});

test("a replication link's label stays inside the topology's drawing", async ({ page }) => {
  const errors = trackErrors(page);
  // During the partition, the cut link's "✂ partitioned" pill was placed above the drawing's top edge.
  for (const [scenario, t] of [['jepsen-sentinel', 18000], ['jepsen-sentinel-async', 18000], ['split-brain', 13000]]) {
    await open(page, `?scenario=${scenario}&seed=1`);
    await page.evaluate((ms) => window.app.runUntil(ms), t);
    const outside = await page.evaluate(() => {
      const svg = document.querySelector('#topology svg').getBoundingClientRect();
      return [...document.querySelectorAll('#topology .repl-label rect')].map((r) => r.getBoundingClientRect())
        .filter((b) => b.top < svg.top || b.bottom > svg.bottom || b.left < svg.left || b.right > svg.right).length;
    });
    expect(outside, `${scenario} at ${t} ms`).toBe(0);
  }
  expect(errors).toEqual([]);
});

/**
 * Arrows in the topology that pass behind a card other than their own two, or through a host box other than
 * theirs (where they would seem to link other processes): "arrow × card" descriptions, in the drawing's units.
 */
function arrowsBehindCards(page) {
  return page.evaluate(() => {
    const svg = document.querySelector('#topology svg');
    const cards = new Map([...svg.querySelectorAll('.proc')].map((g) => {
      const r = g.querySelector('.card');
      return [g.dataset.procId, { name: g.dataset.procName, x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height') }];
    }));
    const hostOf = new Map();
    const hosts = [...svg.querySelectorAll('.host')].map((g) => {
      const r = g.querySelector('.host-box');
      const box = { name: g.dataset.host, x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height') };
      for (const c of cards.values()) if (c.x >= box.x && c.x + c.w <= box.x + box.w && c.y >= box.y && c.y + c.h <= box.y + box.h) hostOf.set(c, box);
      return box;
    });
    // Whether the segment p-q passes through the rectangle r shrunk by m (Liang-Barsky).
    const crosses = (p, q, r, m) => {
      let t0 = 0;
      let t1 = 1;
      const dx = q.x - p.x;
      const dy = q.y - p.y;
      for (const [a, b] of [[-dx, p.x - (r.x + m)], [dx, r.x + r.w - m - p.x], [-dy, p.y - (r.y + m)], [dy, r.y + r.h - m - p.y]]) {
        if (a === 0) { if (b < 0) return false; continue; }
        const t = b / a;
        if (a < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
        if (t0 >= t1) return false;
      }
      return true;
    };
    const out = [];
    for (const el of svg.querySelectorAll('.repl line, .repl polyline, line.link, polyline.link')) {
      const [from, to] = (el.closest('[data-repl]')?.dataset.repl || el.dataset.link).split('-');
      const pts = el.tagName === 'line'
        ? [{ x: +el.getAttribute('x1'), y: +el.getAttribute('y1') }, { x: +el.getAttribute('x2'), y: +el.getAttribute('y2') }]
        : el.getAttribute('points').trim().split(/\s+/).map((s) => { const [x, y] = s.split(',').map(Number); return { x, y }; });
      const mine = [cards.get(from), cards.get(to)];
      const what = `${mine[0].name} → ${mine[1].name}`;
      for (let i = 1; i < pts.length; i++) {
        for (const c of cards.values()) if (!mine.includes(c) && crosses(pts[i - 1], pts[i], c, -1)) out.push(`${what} × card of ${c.name}`);
        for (const h of hosts) if (!mine.some((c) => hostOf.get(c) === h) && crosses(pts[i - 1], pts[i], h, 2)) out.push(`${what} × host ${h.name}`);
      }
    }
    return [...new Set(out)];
  });
}

/** Every card's and host box's place, to check that nothing moves when roles change. */
function cardPlaces(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#topology .proc, #topology .host')].map((g) => {
    const r = g.querySelector('.card, .host-box');
    return [g.dataset.procName || g.dataset.host, ['x', 'y', 'width', 'height'].map((k) => r.getAttribute(k)).join(' ')];
  })));
}

test('every arrow in the topology runs from its own card to its own card, never behind another; cards stay put', async ({ page }) => {
  const errors = trackErrors(page);
  // A client two rows below its server, a replica under another's card, applications of three deployments.
  const cases = [['cluster-replica-migration', [1000, 14400, 20000, 32000]], ['cluster', [1000, 13500, 30000]],
    ['compare-deployments', [1000, 15750, 35000]], ['jepsen-sentinel', [2500, 18000]], ['sentinel', [1000, 30000]], ['resync', [9500]]];
  for (const [vp, query] of [[{ width: 1280, height: 720 }, ''], [{ width: 600, height: 700 }, 'embed=1&views=topology,timeline&']]) {
    await page.setViewportSize(vp);
    for (const [scenario, times] of cases) {
      await open(page, `?${query}scenario=${scenario}&seed=1`);
      let places = null;
      for (const t of times) {
        await page.evaluate((ms) => window.app.seek(ms), t);
        expect(await page.locator('#topology .repl, #topology .link').count()).toBeGreaterThan(0);
        expect(await arrowsBehindCards(page), `${scenario} at ${t} ms, ${vp.width} px`).toEqual([]);
        const now = await cardPlaces(page);
        if (places) expect(now, `${scenario} at ${t} ms`).toEqual(places);
        places = now;
      }
      if (scenario === 'cluster-replica-migration') await page.screenshot({ path: `results/layout-arrows-${scenario}-${vp.width}.png` });
    }
  }
  expect(errors).toEqual([]);
});

test('a topology taller than its view says what is below and steps through it row by row (compare-deployments at 1280x720)', async ({ page }) => {
  const errors = trackErrors(page);
  const visible = (name) => page.evaluate((name) => {
    const v = document.querySelector('#topology').getBoundingClientRect();
    const r = document.querySelector(`#topology [data-host="${name}"] .host-box`).getBoundingClientRect();
    return r.top >= v.top - 0.5 && r.bottom <= v.bottom + 0.5;
  }, name);
  for (const [vp, query] of [[{ width: 1280, height: 720 }, ''], [{ width: 600, height: 700 }, 'embed=1&views=topology,timeline&']]) {
    await page.setViewportSize(vp);
    await open(page, `?${query}scenario=compare-deployments&seed=1`);
    await page.evaluate(() => window.app.runUntil(15750));
    const cue = page.locator('#topo-more');
    // The applications' row is out of sight at first: the cue names hosts below the fold, and only those.
    await expect(cue).toBeVisible();
    await expect(cue).toContainText(/↓ \d+ more hosts below: /);
    await expect.poll(() => visible('web-sentinel')).toBe(false);
    const named = (await cue.getAttribute('title')).replace(/^[^:]*: /, '').split(', ');
    expect(named).toContain('web-sentinel');
    for (const h of named) expect(await visible(h), h).toBe(false);
    if (vp.width === 1280) await page.screenshot({ path: 'results/layout-compare-more-below.png' });
    // Each press brings the first row cut off to the top, whole; a few presses reach the applications.
    let presses = 0;
    while (!(await visible('web-sentinel')) && presses < 6) {
      const first = named[0];
      await cue.click();
      presses++;
      await expect.poll(() => visible(first)).toBe(true);
      const title = await cue.getAttribute('title');
      named.splice(0, named.length, ...title.replace(/^[^:]*: /, '').split(', '));
    }
    expect(presses).toBeLessThanOrEqual(4);
    expect(await visible('web-sentinel')).toBe(true);
    // At the bottom it offers the way back up.
    await expect(cue).toContainText(/↑ \d+ hosts? above: /);
    await cue.click();
    await expect.poll(() => page.evaluate(() => document.querySelector('#topology').scrollTop)).toBe(0);
  }
  // A topology that fits shows no cue.
  await page.setViewportSize({ width: 1280, height: 720 });
  await open(page, '?scenario=sentinel&seed=1');
  await expect(page.locator('#topo-more')).toBeHidden();
  expect(errors).toEqual([]);
});
