// Playing, stepping and the space key; what a crash looks like on the timeline.
const { test, expect } = require('@playwright/test');
const { trackErrors, open, metric } = require('./helpers');
const { thirtyProcesses } = require('../perf/thirty.js');

test('play draws requests on the timeline and counts them; pause and step work', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=3');
  expect(await metric(page, 'ok')).toBe(0);

  await page.locator('#speed').selectOption('10'); // 100x would finish the 30 s scenario before we pause
  // The lesson's question at 5 s would pause playback before the test does.
  await page.locator('#lesson-stop').uncheck();
  const play = page.getByRole('button', { name: 'Play', exact: true });
  await play.click();
  // Its name says what it does now (Play / Pause), and it is not also a toggle ("Pause, pressed").
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toBeVisible();
  expect(await page.locator('#play').getAttribute('aria-pressed')).toBeNull();
  await page.waitForFunction(() => window.app.sim.now() >= 4000);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible();
  expect(await page.locator('#play').getAttribute('aria-pressed')).toBeNull();

  const now = await page.evaluate(() => window.app.sim.now());
  expect(now).toBeGreaterThanOrEqual(4000);
  await expect(page.locator('#time')).toHaveText(`${(now / 1000).toFixed(3)} s`);
  // Requests and replies are drawn as arrows, coloured by outcome; the counts went up.
  expect(await page.locator('#timeline .msg.kind-command').count()).toBeGreaterThan(5);
  expect(await page.locator('#timeline .msg.kind-reply.ok').count()).toBeGreaterThan(5);
  expect(await page.locator('#timeline .outcome.ok').count()).toBeGreaterThan(5);
  expect(await metric(page, 'ok')).toBeGreaterThan(10);
  expect(await metric(page, 'sent')).toBeGreaterThanOrEqual(await metric(page, 'ok'));
  // Paused means paused.
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => window.app.sim.now())).toBe(now);
  await page.screenshot({ path: 'results/play.png' });

  // Step: one event at a time, each described in the status line.
  for (let i = 0; i < 3; i++) {
    const before = await page.evaluate(() => ({ now: window.app.sim.now(), len: window.app.sim.traceLen() }));
    await page.getByRole('button', { name: 'Step: process the next event' }).click();
    const after = await page.evaluate(() => ({ now: window.app.sim.now(), len: window.app.sim.traceLen() }));
    expect(after.len).toBeGreaterThan(before.len);
    expect(after.now).toBeGreaterThanOrEqual(before.now);
    await expect(page.locator('#time')).toHaveText(`${(after.now / 1000).toFixed(3)} s`);
    // The status line describes the event in the trace's own words, e.g. "4.500s app timer client-tick".
    await expect(page.locator('#step-status')).toHaveText(/\d+\.\d{3}s /);
  }
  await page.locator('#window').selectOption('100');
  await page.screenshot({ path: 'results/step.png' });
  expect(errors).toEqual([]);
});

test('space toggles play/pause when focus is not in an input', async ({ page }) => {
  await open(page);
  await page.locator('#speed').selectOption('10');
  await page.locator('body').click({ position: { x: 640, y: 10 } });
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(true);
  await page.waitForFunction(() => window.app.sim.now() > 100);
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(false);

  // On a button the keyboard went to, Space presses that button (here: one step), it does not play.
  const stepBtn = page.getByRole('button', { name: 'Step: process the next event' });
  await page.keyboard.press('Shift+Tab');
  await stepBtn.focus();
  const len = await page.evaluate(() => window.app.sim.traceLen());
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.sim.traceLen())).toBeGreaterThan(len);
  expect(await page.evaluate(() => window.app.playing)).toBe(false);
  // A button clicked with the mouse keeps the (unshown) focus: there Space still plays and pauses.
  await stepBtn.click();
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(true);
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(false);

  // Right after picking a speed, Space plays (it does not reopen the list).
  await page.locator('#speed').selectOption('1');
  await page.locator('#speed').focus();
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(true);
  await page.keyboard.press('Space');
  await expect.poll(() => page.evaluate(() => window.app.playing)).toBe(false);
});

test('a crash shows on the topology and the timeline; play stops at the end of the scenario', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone-crash&seed=7');
  await page.evaluate(() => window.app.runUntil(6500));
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveAttribute('data-proc-state', 'crashed');
  await expect(page.locator('#topology .link.bad')).toHaveCount(1);
  await expect(page.locator('#timeline [data-band="crashed"]')).toHaveCount(1);
  await expect(page.locator('#timeline .band-label.crashed')).toHaveText('✖ crashed');
  expect(await page.locator('#timeline .msg.refused').count()).toBeGreaterThan(3);
  expect(await metric(page, 'refused')).toBeGreaterThan(3);
  await expect(page.locator('#inspector')).toContainText('memory lost');
  await page.screenshot({ path: 'results/crash.png' });

  await page.evaluate(() => window.app.runUntil(9500));
  await expect(page.locator('#topology [data-proc-name="redis"]')).toHaveAttribute('data-proc-state', 'up');
  await expect(page.locator('#timeline .restart-label')).toHaveText('↻ restarted');
  await page.screenshot({ path: 'results/restart.png' });

  // Play at 1000x runs to the scenario's end (12 s) and stops there.
  await page.locator('#speed').selectOption('1000');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible({ timeout: 10_000 });
  expect(await page.evaluate(() => window.app.sim.now())).toBe(12000);
  await expect(page.locator('#step-status')).toContainText('End of the scenario');
  await page.locator('#window').selectOption('20000');
  await page.screenshot({ path: 'results/end.png' });
  expect(errors).toEqual([]);
});

test('while playing, the painting worker draws what the page would: its copy of the timeline follows seeks back and actions', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=sentinel&seed=4');
  await page.locator('#speed').selectOption('10');
  if (await page.locator('#lesson-stop').count()) await page.locator('#lesson-stop').uncheck();
  const playUntil = async (ms) => {
    await page.evaluate(() => window.app.play());
    await page.waitForFunction((t) => window.app.sim.now() >= t, ms);
    await page.evaluate(() => window.app.pause());
  };
  // The SVG the worker built for its last frame, from its own copy of the index, against the one the page
  // builds from its index with the same lanes and window; and what each index holds.
  const compare = () => page.evaluate(async () => {
    const { renderTimeline } = await import('./timeline.js');
    const last = await window.app.timelinePainter.lastPainted();
    if (!last) return { worker: false };
    const mine = renderTimeline(window.app.index, last.lanes, last.view);
    const counts = JSON.stringify(window.app.index.counts());
    return { worker: true, same: last.svg === mine && JSON.stringify(last.counts) === counts, arrows: (mine.match(/class="msg /g) || []).length };
  });

  await playUntil(6000);
  const first = await compare();
  expect(first.worker, 'the browser paints the timeline in a worker').toBe(true);
  expect(first).toMatchObject({ worker: true, same: true });
  expect(first.arrows).toBeGreaterThan(10);
  // Back in time (the page's index is cut back), then on again over the same records.
  await page.evaluate(() => window.app.seek(2000));
  await playUntil(4000);
  expect(await compare()).toMatchObject({ same: true });
  // Back again, and an action that rewrites the future: the records the worker had past this point are gone.
  await page.evaluate(() => window.app.seek(1500));
  await page.evaluate(() => window.app.inject({ do: 'crash', process: 'redis-1' }));
  await playUntil(9000);
  const after = await compare();
  expect(after).toMatchObject({ same: true });
  expect(after.arrows).toBeGreaterThan(10);
  // (The crash made at 1.5 s is in what was compared.)
  expect(await page.evaluate(() => window.app.index.bands.some((b) => b.state === 'crashed' && b.t0 === 1500))).toBe(true);
  expect(errors).toEqual([]);
});

test('beside the clock, the speed of virtual time reached when it is short of the speed chosen', async ({ page }) => {
  const errors = trackErrors(page);
  await open(page, '?scenario=standalone&seed=3');
  await page.locator('#lesson-stop').uncheck();
  // A small scenario at 1× keeps up: nothing is said.
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForTimeout(1600);
  await expect(page.locator('#pace')).toBeHidden();
  await page.getByRole('button', { name: 'Pause', exact: true }).click();

  // Thirty processes at 1000×: no browser runs that simulation (and takes in its trace) a thousand times faster
  // than real time, so the page plays slower and says how fast.
  await page.evaluate((json) => window.app.loadJson(json, 1, 'thirty.json'), thirtyProcesses(3600 * 1000));
  await page.locator('#speed').selectOption('1000');
  const bar = async () => page.locator('.progress').boundingBox();
  const before = await bar();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect(page.locator('#pace')).toBeVisible({ timeout: 5000 });
  // It takes the clock label's place: the bar beside the clock does not move.
  await expect(page.locator('.clock-label')).toBeHidden();
  expect(await bar()).toEqual(before);
  // What it says is what virtual time did: each figure shown against the virtual time the test saw pass
  // between the two frames the page measured it over (sampled every frame, beside the page's own loop; a
  // frame's callbacks all get its timestamp). Paused and played again, the measure starts afresh.
  const checked = await page.evaluate(async () => {
    const el = document.getElementById('pace');
    window.app.pause();
    window.app.play();
    const samples = new Map(); // frame timestamp -> virtual time
    const shown = [];
    let last = window.app.paceMeasured;
    let going = true;
    const tick = (t) => {
      samples.set(t, window.app.sim.now());
      // A new measure: what the page shows for it.
      if (window.app.paceMeasured !== last && !el.hidden) shown.push({ text: el.textContent, measured: window.app.paceMeasured });
      last = window.app.paceMeasured;
      if (going) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    await new Promise((r) => setTimeout(r, 3500));
    going = false;
    return shown.filter((s) => samples.has(s.measured.from.ts) && samples.has(s.measured.to.ts)).map((s) => ({
      text: s.text,
      actual: (samples.get(s.measured.to.ts) - samples.get(s.measured.from.ts)) / (s.measured.to.ts - s.measured.from.ts),
    }));
  });
  expect(checked.length).toBeGreaterThan(0);
  for (const { text, actual } of checked) {
    const shown = Number(text.match(/^≈([\d.]+)× reached$/)[1]);
    expect(shown).toBeLessThan(900);
    expect(Math.abs(shown - actual)).toBeLessThanOrEqual(Math.max(1, 0.2 * actual));
  }
  await page.locator('.transport').screenshot({ path: 'results/pace.png' });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.locator('#pace')).toBeHidden();
  await expect(page.locator('.clock-label')).toBeVisible();
  expect(errors).toEqual([]);
});
