// Where a playing frame's time goes: plays the 30-process scenario of page.perf.js at 1× for 5 s under the
// Chrome DevTools profiler and a trace of the renderer's main thread, and prints the busiest functions and
// the main thread's time by category. Run from tests/e2e with the page served: `node perf/profile.mjs [speed]`
// after `python3 -m http.server 8282 --directory ../../www`.
import { chromium } from '@playwright/test';
import { createRequire } from 'node:module';

const speed = process.argv[2] || '1';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto('http://127.0.0.1:8282/?scenario=sentinel&seed=1');
await page.waitForFunction(() => window.app && window.app.status === 'ready');
const { thirtyProcesses: thirty } = createRequire(import.meta.url)('./thirty.js');
await page.evaluate((json) => window.app.loadJson(json, 1, 'perf-30.json'), thirty());
await page.selectOption('#speed', speed);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await cdp.send('Profiler.start');
const fps = await page.evaluate(async () => {
  window.app.play();
  let n = 0;
  const start = performance.now();
  await new Promise((done) => {
    const tick = (t) => { n++; if (t - start < 5000) requestAnimationFrame(tick); else done(); };
    requestAnimationFrame(tick);
  });
  window.app.pause();
  return n / 5;
});
const { profile } = await cdp.send('Profiler.stop');
const trace = JSON.parse((await browser.stopTracing()).toString());
console.log(`${fps} fps at ${speed}×`);
// Self time per function.
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = profile.timeDeltas;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) || 0) + (dt[i] || 0) / 1000);
});
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30);
for (const [k, ms] of top) console.log(`${ms.toFixed(0).padStart(7)} ms  ${k}`);
// Main-thread time by trace event name (top-level only: complete events on the renderer main thread).
const main = trace.traceEvents.find((e) => e.name === 'thread_name' && e.args.name === 'CrRendererMain');
const byName = new Map();
for (const e of trace.traceEvents) {
  if (e.ph !== 'X' || !main || e.tid !== main.tid || e.pid !== main.pid) continue;
  byName.set(e.name, (byName.get(e.name) || 0) + e.dur / 1000);
}
console.log('--- renderer main thread, by event (inclusive, ms over 5 s)');
for (const [k, ms] of [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms.toFixed(0).padStart(7)} ms  ${k}`);
// What gets painted: Paint events by the node that was painted and the area of its clip.
const paints = new Map();
for (const e of trace.traceEvents) {
  if (e.name !== 'Paint' || e.ph !== 'X' || !main || e.tid !== main.tid) continue;
  const d = (e.args && e.args.data) || {};
  const c = d.clip || [];
  const w = c.length >= 8 ? Math.round(Math.max(c[0], c[2], c[4], c[6]) - Math.min(c[0], c[2], c[4], c[6])) : 0;
  const h = c.length >= 8 ? Math.round(Math.max(c[1], c[3], c[5], c[7]) - Math.min(c[1], c[3], c[5], c[7])) : 0;
  const key = `node ${d.nodeId} ${d.nodeName || ''} ${w}×${h}`;
  const p = paints.get(key) || { n: 0, ms: 0 };
  p.n++;
  p.ms += e.dur / 1000;
  paints.set(key, p);
}
console.log('--- paints (count, ms)');
for (const [k, p] of [...paints.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(`${String(p.n).padStart(5)} ${p.ms.toFixed(0).padStart(6)} ms  ${k}`);
await browser.close();
