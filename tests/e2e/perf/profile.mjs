// Where a playing frame's time goes: plays the 30-process deployment of page.perf.js (two hours long, so that no
// speed reaches its end) at the speed given (1× by default) for 5 s under the Chrome DevTools profiler and a
// trace of every thread, and prints the busiest functions and the main thread's time by category, each thread's
// wall and CPU time (per frame of the timeline canvas), and the painting worker's time by event (its
// rasterising, Skia's drawPath, among them). Run from tests/e2e with the page served:
// `node perf/profile.mjs [speed]` after `python3 -m http.server 8282 --directory ../../www`.
import { chromium } from '@playwright/test';
import { createRequire } from 'node:module';

const speed = process.argv[2] || '1';
// Long enough that playing does not reach the end within the 5 s measured, even at 1000×.
const durationMs = 2 * 3600 * 1000;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto('http://127.0.0.1:8282/?scenario=sentinel&seed=1');
await page.waitForFunction(() => window.app && window.app.status === 'ready');
const { thirtyProcesses: thirty } = createRequire(import.meta.url)('./thirty.js');
await page.evaluate((json) => window.app.loadJson(json, 1, 'perf-30.json'), thirty(durationMs));
await page.selectOption('#speed', speed);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await browser.startTracing(page, { categories: ['toplevel', 'blink', 'skia', 'disabled-by-default-skia', 'devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await cdp.send('Profiler.start');
const { fps, painted, now, records } = await page.evaluate(async () => {
  const painted0 = window.app.timelinePainter.painted;
  window.app.play();
  let n = 0;
  const start = performance.now();
  await new Promise((done) => {
    const tick = (t) => { n++; if (t - start < 5000) requestAnimationFrame(tick); else done(); };
    requestAnimationFrame(tick);
  });
  window.app.pause();
  return { fps: n / 5, painted: window.app.timelinePainter.painted - painted0, now: window.app.sim.now(), records: window.app.sim.traceLen() };
});
const { profile } = await cdp.send('Profiler.stop');
const trace = JSON.parse((await browser.stopTracing()).toString());
console.log(`${fps} fps at ${speed}×, the timeline canvas ${painted / 5} fps; virtual time reached ${(now / 1000).toFixed(1)} s, ${records} trace records`);
const probe = await page.evaluate(async () => (await window.app.timelinePainter.lastPainted())?.stats);
if (probe) console.log(`painter: ${JSON.stringify(probe)}`);
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
// Every thread's busy time (its top-level tasks), the worker's and the rasteriser's beside the page's: on a
// machine of two cores they compete.
const names = new Map();
for (const e of trace.traceEvents) if (e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
// Wall time (top-level tasks, nested ones counted once) and CPU time (their `tdur`): on a machine of two
// cores busy threads wait for one, and only the CPU time says what a thread's own work costs.
const spans = new Map(); // thread -> [start, end, cpu] of its top-level tasks
for (const e of trace.traceEvents) {
  if (e.ph !== 'X' || e.cat !== 'toplevel' || !e.dur) continue;
  const k = `${names.get(`${e.pid}:${e.tid}`) || 'thread'} (${e.pid}:${e.tid})`;
  if (!spans.has(k)) spans.set(k, []);
  spans.get(k).push([e.ts, e.ts + e.dur, e.tdur || 0]);
}
const busy = new Map();
for (const [k, list] of spans) {
  list.sort((a, b) => a[0] - b[0]);
  let wall = 0;
  let cpu = 0;
  let end = -Infinity;
  for (const [a, b, c] of list) {
    if (b <= end) continue;
    wall += b - Math.max(a, end);
    if (a >= end) cpu += c;
    end = b;
  }
  busy.set(k, { wall: wall / 1000, cpu: cpu / 1000 });
}
console.log('--- time per thread over 5 s: wall (top-level tasks), CPU, CPU per frame of the timeline canvas');
for (const [k, t] of [...busy.entries()].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 12)) {
  console.log(`${t.wall.toFixed(0).padStart(7)} ms ${t.cpu.toFixed(0).padStart(6)} ms ${(t.cpu / painted).toFixed(2).padStart(6)}  ${k}`);
}
const worker = [...names.entries()].find(([, n]) => n === 'DedicatedWorker thread');
if (worker) {
  const [pid, tid] = worker[0].split(':').map(Number);
  const ev = new Map();
  for (const e of trace.traceEvents) {
    if (e.ph !== 'X' || e.pid !== pid || e.tid !== tid || !e.dur) continue;
    const v = ev.get(e.name) || { n: 0, ms: 0 };
    v.n++;
    v.ms += e.dur / 1000;
    ev.set(e.name, v);
  }
  console.log('--- the painting worker, by event (count, inclusive ms over 5 s, ms each)');
  for (const [k, v] of [...ev.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
    console.log(`${String(v.n).padStart(6)} ${v.ms.toFixed(0).padStart(7)} ms ${(v.ms / v.n).toFixed(2).padStart(7)}  ${k}`);
  }
}
await browser.close();
