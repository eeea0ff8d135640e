// The timeline's zoom, pan and hover: + / − and Ctrl + wheel change the window, a drag pans back in time
// (leaving "follow now" until Follow now), one tooltip says what is under the pointer; a window with more
// arrows than its pixels can show draws them as one path per colour and stays small.
const { test, expect } = require('@playwright/test');
const { trackErrors, open } = require('./helpers');

/** The window the timeline shows now, from its SVG's label ("Timeline from 1.000 s to 6.000 s"). */
async function shown(page) {
  const label = await page.locator('#timeline svg').getAttribute('aria-label');
  const [, a, b] = /from ([\d.]+) s to ([\d.]+) s/.exec(label);
  return { t0: Number(a) * 1000, t1: Number(b) * 1000 };
}

test('zoom with + / − and Ctrl + wheel, pan by dragging, hover for details', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=3');
  await page.evaluate(() => window.app.runUntil(12000));
  await expect(page.locator('#window')).toHaveValue('5000');
  let w = await shown(page);
  expect(w.t1 - w.t0).toBe(5000);

  // + halves the window and keeps following "now" (no Follow now button).
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.locator('#window')).toHaveValue('2500');
  w = await shown(page);
  expect(w.t1 - w.t0).toBe(2500);
  expect(w.t1).toBeGreaterThan(12000);
  await expect(page.locator('#follow')).toBeHidden();
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await expect(page.locator('#window')).toHaveValue('5000');

  // Ctrl + wheel zooms around the pointer: the time under it stays under it.
  const box = await page.locator('#timeline').boundingBox();
  const px = box.x + box.width * 0.5;
  const py = box.y + 60;
  await page.mouse.move(px, py);
  const before = await shown(page);
  const x0 = (await page.locator('#timeline svg').boundingBox()).x;
  const geo = await page.evaluate(() => ({ w: document.querySelector('#timeline svg').width.baseVal.value }));
  // the plot starts at 142 px (lane names + inset) and ends 14 px before the right edge
  const timeAt = (win) => win.t0 + ((px - x0 - 142) / (geo.w - 142 - 14)) * (win.t1 - win.t0);
  const anchor = timeAt(before);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -200);
  await page.keyboard.up('Control');
  await expect.poll(async () => { const v = await shown(page); return v.t1 - v.t0; }).toBeLessThan(5000);
  const after = await shown(page);
  expect(Math.abs(timeAt(after) - anchor)).toBeLessThan(20);
  await expect(page.locator('#follow')).toBeVisible();
  await page.screenshot({ path: 'results/timeline-1-zoomed.png' });

  // Drag to the right: earlier times come into view; Follow now returns to the present.
  const span = after.t1 - after.t0;
  await page.mouse.move(px, py);
  await page.mouse.down();
  await page.mouse.move(px + 100, py, { steps: 5 });
  await page.mouse.move(px + 300, py, { steps: 5 });
  await page.mouse.up();
  const panned = await shown(page);
  expect(panned.t1 - panned.t0).toBeCloseTo(span, -1);
  expect(panned.t0).toBeLessThan(after.t0 - span * 0.2);
  expect(await page.evaluate(() => window.app.sim.now())).toBe(12000); // panning does not move the simulation
  await page.screenshot({ path: 'results/timeline-2-panned.png' });
  await page.locator('#follow').click();
  await expect(page.locator('#follow')).toBeHidden();
  expect((await shown(page)).t1).toBeGreaterThan(12000);

  // Hover: one tooltip for what is under the pointer (no <title> elements in the timeline).
  expect(await page.locator('#timeline title').count()).toBe(0);
  const dot = page.locator('#timeline .outcome.ok').last();
  const d = await dot.boundingBox();
  await page.mouse.move(d.x + d.width / 2, d.y + d.height / 2);
  await expect(page.locator('#timeline-tip')).toBeVisible();
  await expect(page.locator('#timeline-tip')).toContainText(/request #\d+ (SET|GET) .*\nok after \d+ ms/);
  await page.screenshot({ path: 'results/timeline-3-hover-outcome.png' });
  // An arrow: the nearest message, with its sender, receiver and times.
  const arrow = page.locator('#timeline .msg.kind-command:not(.inflight) line').last();
  const [ax1, ay1, ax2, ay2] = await arrow.evaluate((l) => ['x1', 'y1', 'x2', 'y2'].map((k) => l[k].baseVal.value));
  const svgBox = await page.locator('#timeline svg').boundingBox();
  await page.mouse.move(svgBox.x + ax1 + (ax2 - ax1) * 0.5, svgBox.y + ay1 + (ay2 - ay1) * 0.5);
  await expect(page.locator('#timeline-tip')).toContainText(/^#\d+ .+\napp → redis: command, sent at [\d.]+ s, delivered at [\d.]+ s/);
  await page.screenshot({ path: 'results/timeline-4-hover-arrow.png' });
  // Leaving the timeline hides it.
  await page.mouse.move(5, 5);
  await expect(page.locator('#timeline-tip')).toBeHidden();
  expect(errors).toEqual([]);
});

/** The Sentinel lesson run to `until` ms, shown with heartbeats in a window of `windowMs`: a dense timeline. */
async function openDense(page, until, windowMs) {
  await open(page, '?scenario=sentinel&seed=1');
  await page.evaluate((t) => window.app.runUntil(t), until);
  await page.locator('#window').selectOption(windowMs);
  await page.locator('#heartbeats').check();
}

test('a window denser than its pixels draws its arrows as a few paths, and hovering still finds a message', async ({ page }) => {
  const errors = trackErrors(page);
  await openDense(page, 30000, '60000');
  const dense = page.locator('#timeline .msgs.dense');
  await expect(dense).toHaveCount(1);
  const shownArrows = Number(await dense.getAttribute('data-shown'));
  expect(shownArrows).toBeGreaterThan(400);
  // A few hundred elements, not one (or three) per message.
  expect(await page.locator('#timeline svg *').count()).toBeLessThan(1200);
  expect(await page.locator('#timeline .msg').count()).toBe(0);
  expect(await page.locator('#timeline path.msg-agg.heartbeat').count()).toBeGreaterThan(0);
  await page.screenshot({ path: 'results/timeline-5-dense.png' });
  // Hover along a lane pair: the tooltip names a message.
  const svgBox = await page.locator('#timeline svg').boundingBox();
  const found = await page.evaluate(() => {
    const v = window.app.index;
    const m = v.msgs.filter((x) => x.end != null && x.t > 20000).at(-1);
    return m ? m.id : null;
  });
  expect(found).not.toBeNull();
  // The middles of arrows between lanes well apart, inside the window (the paths are drawn moved by their
  // group's transform); one may sit on a mark of its own (a Sentinel event), which the tooltip names first.
  const middles = await page.evaluate((box) => {
    const found = [];
    for (const path of document.querySelectorAll('#timeline path.msg-agg')) {
      const m = path.getScreenCTM();
      for (const [, x1, y1, x2, y2] of path.getAttribute('d').matchAll(/M([-\d.]+),([-\d.]+)L([-\d.]+),([-\d.]+)/g)) {
        const x = (Number(x1) + Number(x2)) / 2;
        const y = (Number(y1) + Number(y2)) / 2;
        const sx = m.a * x + m.c * y + m.e;
        const sy = m.b * x + m.d * y + m.f;
        if (Math.abs(y2 - y1) > 40 && sx > box.x + 200 && sx < box.x + box.width - 40) found.push({ x: sx, y: sy });
      }
    }
    return found.filter((_, i) => i % Math.max(1, Math.floor(found.length / 8)) === 0).slice(0, 8);
  }, svgBox);
  expect(middles.length).toBeGreaterThan(0);
  let named = null;
  for (const p of middles) {
    await page.mouse.move(p.x, p.y);
    await expect(page.locator('#timeline-tip')).toBeVisible();
    const tip = await page.locator('#timeline-tip').textContent();
    if (/^#\d+ /.test(tip)) {
      named = tip;
      break;
    }
  }
  expect(named, 'hovering the middle of an arrow names its message').not.toBeNull();
  await page.screenshot({ path: 'results/timeline-6-dense-hover.png' });
  expect(errors).toEqual([]);
});

test('playing, the canvas painter copies a dense window\'s kept runs from a layer and shows what drawing them would', async ({ page }) => {
  const errors = trackErrors(page);
  await openDense(page, 40000, '20000');
  // Play a moment, so that the page has its painter (whose probes resolve the stylesheet's styles).
  await page.evaluate(() => window.app.play());
  await page.waitForFunction(() => window.app.timelinePainter && window.app.timelinePainter.painted > 2);
  await page.evaluate(() => window.app.pause());
  const result = await page.evaluate(async () => {
    const { OpsPainter } = await import('./paint-ops.js');
    const { renderTimeline } = await import('./timeline.js');
    const styler = window.app.timelinePainter;
    // Paused, the timeline is its SVG again: put the painter's probes back beside it to read styles.
    document.querySelector('#timeline').append(styler.probe);
    const { lanes, ...base } = window.app.timelineView;
    const layered = new OpsPainter();
    const direct = new OpsPainter({ layers: false });
    const canvases = [new OffscreenCanvas(base.width, 10), new OffscreenCanvas(base.width, 10)];
    // Pixels of one canvas that no pixel of the other within one pixel sideways matches.
    const mismatched = () => {
      const [a, b] = canvases.map((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
      const W = canvases[0].width;
      const close = (i, j) => Math.abs(a[i] - b[j]) + Math.abs(a[i + 1] - b[j + 1]) + Math.abs(a[i + 2] - b[j + 2]) + Math.abs(a[i + 3] - b[j + 3]) < 96;
      let bad = 0;
      for (let i = 0; i < a.length; i += 4) {
        const x = (i / 4) % W;
        if (!(close(i, i) || (x > 0 && close(i, i - 4)) || (x < W - 1 && close(i, i + 4)))) bad++;
      }
      return bad / (a.length / 4);
    };
    // Pixels of the direct drawing that have colour (not white, not empty).
    const inked = () => {
      const d = canvases[1].getContext('2d').getImageData(0, 0, canvases[1].width, canvases[1].height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] + d[i + 1] + d[i + 2] < 600) n++;
      return n / (d.length / 4);
    };
    const frame = (view) => {
      const svg = renderTimeline(window.app.index, lanes, view);
      const f = { svg, width: view.width, height: Number(/height="([\d.]+)"/.exec(svg)[1]), dpr: 1 };
      [layered, direct].forEach((painter, i) => {
        const missing = painter.draw(canvases[i], { ...f });
        if (missing.length) {
          const styles = Object.fromEntries(missing.map((k) => [k, styler.styleOf(k)]));
          painter.draw(canvases[i], { ...f, styles });
        }
      });
      return svg;
    };
    const out = { kept: 0, worst: 0, afterFilter: 0, frames: 0 };
    // The window slides as while playing, 50 ms a frame.
    for (let t1 = 30000; t1 <= 40000; t1 += 50) {
      const svg = frame({ ...base, t0: t1 - 20000, t1, now: 40000 });
      out.kept = Math.max(out.kept, (svg.match(/class="kept"/g) || []).length);
      out.frames++;
      if (t1 % 1000 === 0) out.worst = Math.max(out.worst, mismatched());
      if (t1 === 40000) out.inked = inked();
    }
    out.stats = { ...layered.stats };
    // Heartbeats filtered out in place: every run the layer holds is gone where it shows.
    frame({ ...base, t0: 20000, t1: 40000, now: 40000, heartbeats: false });
    const filtered = frame({ ...base, t0: 20000, t1: 40000, now: 40000, heartbeats: false });
    out.filteredKept = (filtered.match(/class="kept"/g) || []).length;
    out.afterFilter = mismatched();
    // Back in time, and a wider window.
    for (const [t0, t1] of [[5000, 25000], [5050, 25050], [0, 40000], [50, 40050]]) frame({ ...base, t0, t1, now: 40000 });
    out.afterSeek = mismatched();
    out.layers = layered.stats.layers;
    return out;
  });
  expect(result.kept, 'the window is dense, with kept runs').toBeGreaterThan(3);
  expect(result.filteredKept).toBeGreaterThan(3);
  expect(result.inked, 'the arrows are drawn').toBeGreaterThan(0.05);
  // The layer is made once and copied every frame, not redrawn.
  expect(result.stats.copies).toBeGreaterThan(result.frames);
  expect(result.stats.layers).toBeLessThan(result.frames / 10);
  expect(result.stats.direct).toBe(0);
  // The same pixels but for a few where overlapping arrows are stacked in another order.
  expect(result.worst, 'sliding').toBeLessThan(0.001);
  expect(result.afterFilter, 'after a filter changed every run').toBeLessThan(0.001);
  expect(result.afterSeek, 'after a seek back and a zoom').toBeLessThan(0.001);
  expect(result.layers).toBeGreaterThan(result.stats.layers);
  expect(errors).toEqual([]);
});

test('the timeline index cut back by a seek is the index of the records kept, and grows back the same', async ({ page }) => {
  const errors = trackErrors(page);
  // The split-brain lesson has it all: requests and outcomes, a partition and its heal, a crash, Sentinel
  // bands, failovers and role changes.
  await open(page, '?scenario=split-brain&seed=2');
  const r = await page.evaluate(async () => {
    const { TimelineIndex } = await import('./timeline.js');
    window.app.runUntil(window.app.sim.durationMs());
    const records = window.app.sim.eventsSince(0);
    // Everything the drawing reads, as plain data. Maps and sets are looked up, never drawn in their own
    // order: compared sorted.
    const sorted = (entries) => entries.map((e) => JSON.stringify(e)).sort();
    const view = (ix) => JSON.stringify(Object.fromEntries(Object.entries(ix)
      .map(([k, v]) => [k, v instanceof Map ? sorted([...v]) : v instanceof Set ? sorted([...v])
        : k === 'msgById' ? v.filter((m) => m != null) : v])));
    const built = (n) => {
      const ix = new TimelineIndex();
      ix.add(records.slice(0, n));
      return ix;
    };
    const full = built(records.length);
    const fullView = view(full);
    const results = [];
    for (const n of [records.length - 1, Math.floor(records.length * 0.6), Math.floor(records.length * 0.3), 17, 0]) {
      full.truncate(n);
      const a = JSON.parse(view(full));
      const b = JSON.parse(view(built(n)));
      const differ = Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      results.push({ n, same: differ.length === 0, differ });
    }
    // Forward again, from the records kept aside.
    const fromAhead = (ix, n) => ix.advanceTo(n, () => { throw new Error('fetched'); }, (i) => records[i]);
    fromAhead(full, records.length);
    const regrown = view(full) === fullView;
    // Back and forth as a learner scrubbing would: cuts undone and redone, each state that of the prefix.
    const steps = [];
    const at = (f) => Math.floor(records.length * f);
    for (const [how, n] of [['cut', at(0.5)], ['grow', at(0.8)], ['cut', at(0.7)], ['cut', at(0.65)], ['grow', at(0.9)],
      ['cut', at(0.1)], ['grow', at(0.4)], ['cut', at(0.35)], ['grow', records.length]]) {
      if (how === 'cut') full.truncate(n); else fromAhead(full, n);
      steps.push({ how, n, same: view(full) === view(built(n)) });
    }
    // Forward past what is known: the known part done again, the rest fetched from where it ends.
    const part = built(at(0.6));
    part.truncate(at(0.3));
    const cursors = [];
    part.advanceTo(records.length, (c) => { cursors.push(c); return records.slice(c); }, (i) => records[i]);
    const partial = { cursors, same: view(part) === fullView };
    // A future that changed (the record the simulation has is not the one known): digested afresh.
    full.truncate(at(0.2));
    const changed = [];
    full.advanceTo(records.length, (c) => { changed.push(c); return records.slice(c); }, (i) => ({ ...records[i], t: -1 }));
    const refetched = { cursors: changed, same: view(full) === fullView };
    return { len: records.length, results, regrown, steps, partial, refetched, at: [at(0.2), at(0.6)],
      marks: [...new Set(records.map((x) => x.type))] };
  });
  expect(r.len).toBeGreaterThan(1000);
  expect(r.marks).toEqual(expect.arrayContaining(['send', 'deliver', 'request', 'outcome', 'sentinel', 'fault', 'role', 'state']));
  for (const x of r.results) expect(x, `cut at record ${x.n}`).toEqual({ n: x.n, same: true, differ: [] });
  expect(r.regrown).toBe(true);
  for (const x of r.steps) expect(x, `${x.how} to record ${x.n}`).toEqual({ how: x.how, n: x.n, same: true });
  expect(r.partial).toEqual({ cursors: [r.at[1]], same: true });
  expect(r.refetched).toEqual({ cursors: [r.at[0]], same: true });
  expect(errors).toEqual([]);
});

// The boxes of the timeline's texts (from the SVG the page shows, paused) that overlap one another or run
// past the drawing's right edge, where its clip would cut them.
function crowdedLabels(selector) {
  const svg = document.querySelector('#timeline svg');
  const width = Number(svg.getAttribute('width'));
  const boxes = [...svg.querySelectorAll(selector)].map((t) => ({ text: t.textContent, b: t.getBBox() }));
  const out = [];
  for (const { text, b } of boxes) if (b.x + b.width > width) out.push(`cut at the right edge: ${text}`);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [p, q] = [boxes[i].b, boxes[j].b];
      // (1 px of slack: neighbouring rows may touch)
      if (p.x < q.x + q.width - 1 && q.x < p.x + p.width - 1 && p.y < q.y + q.height - 1 && q.y < p.y + p.height - 1) out.push(`${boxes[i].text} over ${boxes[j].text}`);
    }
  }
  return out;
}

test('seven lanes fit beside the lesson at 1280×720, their names apart; annotations stay inside the drawing', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=1');
  await page.evaluate(() => { document.getElementById('lesson-stop').checked = false; });
  await page.evaluate(() => window.app.seek(13000));
  await expect(page.locator('#time')).toHaveText('13.000 s');
  await expect(page.locator('#timeline .lane-label')).toHaveCount(7);
  // No lane below the view's bottom (sentinel-3 was cut off).
  expect(await page.evaluate(() => { const v = document.getElementById('timeline'); return v.scrollHeight - v.clientHeight; })).toBeLessThanOrEqual(0);
  expect(await page.evaluate(crowdedLabels, '.lane-label text')).toEqual([]);
  expect(await page.evaluate(crowdedLabels, '.labels text:not(.msg-label)')).toEqual([]);
  await page.locator('.timeline-panel').screenshot({ path: 'results/timeline-sentinel-crowded.png' });

  // A restart at the right edge: its label turns to the left of its mark instead of being cut ("↻ restarte").
  await page.evaluate(() => window.app.load('standalone-crash', 1));
  await page.evaluate(() => window.app.seek(8000));
  await expect(page.locator('#timeline .restart-label')).toHaveText('↻ restarted');
  expect(await page.evaluate(crowdedLabels, '.labels text')).toEqual([]);
  const [label, mark] = await Promise.all([
    page.locator('#timeline .restart-label').evaluate((t) => { const b = t.getBBox(); return { x: b.x, width: b.width }; }),
    page.locator('#timeline .restart-mark line').evaluate((l) => Number(l.getAttribute('x1'))),
  ]);
  expect(label.x + label.width).toBeLessThanOrEqual(mark);
  expect(errors).toEqual([]);
});

test('fault labels close together stack instead of writing over one another', async ({ page }) => {
  const errors = trackErrors(page);
  // What the tester did (at 1600×1000): a partition, healed; a one-way partition a second later; a heal and a
  // link change at the same instant.
  await page.setViewportSize({ width: 1600, height: 1000 });
  await open(page, '?scenario=sentinel&seed=1');
  await page.evaluate(() => { document.getElementById('lesson-stop').checked = false; });
  const run = (t) => page.evaluate((x) => window.app.runUntil(x), t);
  const inject = (a) => page.evaluate((x) => window.app.inject(x), a);
  await run(3000);
  await inject({ do: 'partition', groups: [['db1'], ['db2', 'db3', 'app']] });
  await run(9000);
  await inject({ do: 'heal' });
  await run(10000);
  await inject({ do: 'partition_one_way', from: ['db2'], to: ['db1'] });
  await run(11000);
  await inject({ do: 'heal' });
  await inject({ do: 'link', from: 'app', to: 'db1', latency_ms: 300, loss: 0.2 });
  await run(13000);
  await expect(page.locator('#timeline .band-label.partition')).toHaveCount(2);
  await expect(page.locator('#timeline .fault-label')).toHaveCount(3);
  expect(await page.evaluate(crowdedLabels, '.band-label, .fault-label')).toEqual([]);
  await page.locator('.timeline-panel').screenshot({ path: 'results/timeline-faults-stacked.png' });
  expect(errors).toEqual([]);
});

test('a run of lost writes is labelled once with a count, not by labels written over one another; flags keep clear', async ({ page }) => {
  const errors = trackErrors(page);
  // split-brain at 16 s: the isolated old master acknowledged dozens of writes in a few seconds, all lost.
  await open(page, '?scenario=split-brain&seed=1');
  await page.evaluate(() => { document.getElementById('lesson-stop').checked = false; });
  await page.evaluate(() => window.app.seek(16000));
  await expect(page.locator('#time')).toHaveText('16.000 s');
  const { rings, inWindow } = await page.evaluate(() => {
    const { t0, t1 } = window.app.timelineView;
    return {
      rings: document.querySelectorAll('#timeline .lost-mark').length,
      inWindow: window.app.checks.lostWrites.filter((w) => w.ackedAt >= t0 && w.ackedAt <= t1).length,
    };
  });
  expect(inWindow).toBeGreaterThan(5);
  expect(rings).toBe(inWindow); // every lost write keeps its ring
  const labels = await page.locator('#timeline .lost-label').allTextContents();
  expect(labels.length).toBeGreaterThan(0);
  expect(labels.length).toBeLessThan(inWindow);
  // The counts add up: each label names one write and how many more follow it.
  expect(labels.reduce((n, t) => n + 1 + Number((/ \+(\d+)$/.exec(t) || [0, 0])[1]), 0)).toBeLessThanOrEqual(inWindow);
  expect(labels.some((t) => / \+\d+$/.test(t))).toBe(true);
  expect(await page.evaluate(crowdedLabels, '.labels text:not(.msg-label)')).toEqual([]);
  await page.locator('.timeline-panel').screenshot({ path: 'results/timeline-lost-run.png' });

  // A role flag's bold capitals are wider than other labels: "★ now MASTER" ran into "cluster ok" after it.
  await open(page, '?scenario=cluster&seed=1');
  await page.evaluate(() => window.app.seek(14000));
  await expect(page.locator('#timeline .flag-label', { hasText: 'now MASTER' })).toHaveCount(1);
  expect(await page.evaluate(crowdedLabels, '.labels text:not(.msg-label)')).toEqual([]);
  expect(errors).toEqual([]);
});
