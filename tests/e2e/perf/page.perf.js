// Measures the page against the performance budget of the page issue and prints the figures:
// first render after load, frames per second while playing a 30-process scenario, and the time to seek
// anywhere in a 10-minute trace. Budgets are printed beside each figure; nothing here fails on speed.
const { test, expect } = require('@playwright/test');
const { thirtyProcesses } = require('./thirty.js');

const figures = [];
function report(what, value, budget) {
  figures.push(`${what.padEnd(58)} ${value.padStart(12)}   budget ${budget}`);
}

test.afterAll(() => {
  console.log(`\npage performance (headless Chromium ${process.env.CHROMIUM_VERSION || ''}, 1280×720)\n${figures.join('\n')}`);
});

test('first render, playing 30 processes, seeking in a 10-minute trace', async ({ page }) => {
  // Script time per animation frame: every requestAnimationFrame callback timed.
  await page.addInitScript(() => {
    const raf = window.requestAnimationFrame.bind(window);
    window.__frameScript = [];
    window.requestAnimationFrame = (f) => raf((t) => {
      const a = performance.now();
      f(t);
      window.__frameScript.push(performance.now() - a);
    });
  });
  // First render: from navigation start to the topology drawn.
  await page.goto('/?scenario=sentinel&seed=1');
  await page.waitForFunction(() => window.app && window.app.status === 'ready' && document.querySelector('#topology svg'));
  const firstRender = await page.evaluate(() => performance.now());
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd);
  report('first render after load (topology drawn)', `${firstRender.toFixed(0)} ms`, '≤ 1000 ms');
  report('  of which HTML parsed (DOMContentLoaded)', `${nav.toFixed(0)} ms`, '');

  // Playing a 30-process scenario: count animation frames over 5 s of real time at each speed. Its 2 minutes
  // last the runs at 1× and 10×; 100× and 1000× play one of 2 hours, so as not to reach its end.
  for (const speed of ['1', '10', '100', '1000']) {
    if (speed === '1' || speed === '100') {
      await page.evaluate((json) => window.app.loadJson(json, 1, 'perf-30.json'), thirtyProcesses(speed === '1' ? 120000 : 7200000));
      expect(await page.evaluate(() => window.app.snapshot.processes.length)).toBe(30);
    }
    await page.selectOption('#speed', speed);
    const r = await page.evaluate(async () => {
      window.__frameScript = [];
      const painted0 = window.app.timelinePainter ? window.app.timelinePainter.painted : 0;
      const stats0 = (await window.app.timelinePainter?.lastPainted())?.stats ?? { layers: 0, copies: 0 };
      const virtual0 = window.app.sim.now();
      window.app.play();
      const gaps = [];
      let last = performance.now();
      const start = last;
      await new Promise((done) => {
        const tick = (t) => {
          gaps.push(t - last);
          last = t;
          if (t - start < 5000) requestAnimationFrame(tick); else done();
        };
        requestAnimationFrame(tick);
      });
      const painted = (window.app.timelinePainter ? window.app.timelinePainter.painted : 0) - painted0;
      window.app.pause();
      const stats = (await window.app.timelinePainter.lastPainted())?.stats ?? { layers: 0, copies: 0 };
      gaps.sort((a, b) => a - b);
      // The app's own frame callbacks (the measuring loop's are near zero and left out).
      const script = window.__frameScript.filter((x) => x > 0.5).sort((a, b) => a - b);
      const msgs = document.querySelector('#timeline .msgs');
      return { fps: gaps.length / 5, p95: gaps[Math.floor(gaps.length * 0.95)], now: window.app.sim.now(),
        pace: (window.app.sim.now() - virtual0) / 5000,
        painted: painted / 5, script50: script[script.length >> 1], script95: script[Math.floor(script.length * 0.95)],
        elements: document.querySelectorAll('#timeline svg *').length, arrows: msgs ? msgs.dataset.shown : '?',
        layers: stats.layers - stats0.layers, copies: stats.copies - stats0.copies };
    });
    report(`playing 30 processes at ${speed}× (virtual time reached ${(r.now / 1000).toFixed(1)} s)`, `${r.fps.toFixed(0)} fps`, '60 fps');
    report('  95th percentile frame time', `${r.p95.toFixed(1)} ms`, '≤ 16.7 ms');
    // Past what the simulation and the page can take in, virtual time goes slower than asked, not the frames.
    report(`  the speed of virtual time reached (${speed}× chosen)`, `${r.pace.toFixed(r.pace < 10 ? 1 : 0)}×`, '');
    // The timeline is painted by a worker, which takes a new frame only when done with the last one.
    report('  the timeline canvas (painted by a worker), frames per second', `${r.painted.toFixed(0)} fps`, '60 fps');
    report(`  the page's script per frame, median / 95th percentile`, `${r.script50.toFixed(1)} / ${r.script95.toFixed(1)} ms`, '');
    report('  timeline elements / arrows in its window', `${r.elements} / ${r.arrows}`, '');
    // The dense window's kept runs: rasterised into a layer once, copied into place every frame.
    report('  layers of kept runs made / copied', `${r.layers} / ${r.copies}`, '');
    await page.screenshot({ path: `results/perf-30-${speed}x.png` });
  }

  // Seeking: the Sentinel failover scenario run for 10 minutes, then seeks to scattered times (backwards
  // ones restore a checkpoint and replay). Each seek is timed with the redraw it causes.
  const runMs = await page.evaluate(() => {
    const s = JSON.parse(window.app.scenarios.find((x) => x.id === 'sentinel').json);
    s.duration_ms = 600000;
    window.app.loadJson(JSON.stringify(s), 1, 'sentinel-10min.json');
    const t0 = performance.now();
    window.app.runUntil(600000);
    return performance.now() - t0;
  });
  const seeks = await page.evaluate(() => {
    const times = [];
    for (const target of [599000, 5000, 300000, 12345, 450000, 15000, 100, 598000, 250000, 60000, 11000, 420000]) {
      const t0 = performance.now();
      window.app.seek(target);
      window.app.refresh();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { median: times[times.length >> 1], max: times[times.length - 1], records: window.app.sim.traceLen() };
  });
  report(`running the 10-minute Sentinel scenario (${seeks.records} trace records)`, `${(runMs / 1000).toFixed(1)} s`, '');
  report('seek anywhere in the 10-minute trace, median', `${seeks.median.toFixed(0)} ms`, '≤ 100 ms');
  report('seek anywhere in the 10-minute trace, worst of 12', `${seeks.max.toFixed(0)} ms`, '≤ 100 ms');
  // Dragging the scrubber back from the end of the trace: many short seeks backwards in a row.
  const drag = await page.evaluate(() => {
    window.app.seek(600000);
    window.app.refresh();
    const times = [];
    for (let t = 599500; t >= 590000; t -= 500) {
      const t0 = performance.now();
      window.app.seek(t);
      window.app.refresh();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { median: times[times.length >> 1], max: times[times.length - 1], n: times.length };
  });
  report(`dragging the scrubber back from the end (${drag.n} seeks of 0.5 s), median`, `${drag.median.toFixed(0)} ms`, '≤ 100 ms');
  report('  worst', `${drag.max.toFixed(0)} ms`, '≤ 100 ms');
  await page.screenshot({ path: 'results/perf-after-seeks.png' });
});
