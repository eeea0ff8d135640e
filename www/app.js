// Wiring: loads the wasm package, owns the current `Simulation`, and connects the controls to it. Everything
// on screen is drawn from `snapshot()` and trace records; no simulation logic lives in the page.
//
// `window.app` exposes the current simulation and a few helpers for tests and for curious learners in the
// browser console (`app.sim.traceText(0)`).

import { renderTopologyParts, esc, linkStatus, sentinelView, failoverWord } from './topology.js';
import { TimelineIndex, renderTimeline, timelineHit, timelineGeometry, formatSeconds, OUTCOMES } from './timeline.js';
import { Console } from './console.js';
import { renderChecks } from './checks.js';
import { renderDisk } from './disk.js';
import { renderEventLog, renderVotes, latestLeader, eventFilter, eventLines, earlierLine, MAX_SHOWN } from './sentinel.js';
import { clusterView, renderSlotMap, fitCluster, clusterOverlay, clusterReserve, resetClusterLayout } from './cluster.js';
import { LessonPanel, currentStep } from './lesson.js';
import { encodeFragment, decodeFragment, shareLink, embedCode, embedOptions, applyEmbed, copyText } from './share.js';
import { standaloneSvg, download, fileName } from './export.js';
import { NetworkTool, partitionSides } from './network.js';
import { CanvasPainter } from './paint.js';
import { morph, morphParts } from './morph.js';

const PKG = './pkg/redis_ha_sim_web.js';
// The built-in scenarios, `[{id, name, description, json}]` in the picker's order, each `json` the scenario
// file's text: written beside the package by `make wasm` (the wasm does not embed them).
const SCENARIOS_URL = new URL('./pkg/scenarios.json', import.meta.url);
const BUILD_HINT = 'Build it from the repository root with:\n  make wasm';
const MAX_FRAME_MS = 250;      // a frame after a long stall (hidden tab) advances at most this much real time
const SIM_BUDGET_MS = 8;       // wall time a frame may spend running the simulation while playing, at most
const MIN_SIM_MS = 1;          // ...and at least, however long the rest of the frame takes
const FRAME_SCRIPT_MS = 12;    // while playing, a frame's script (simulation, trace, drawing) aims at this much
const PACE_EVERY_MS = 1000;    // the pace of virtual time reached is measured over this much real time
const SNAPSHOT_EVERY_MS = 40;  // while playing, the snapshot is taken at most this often
const PANELS_EVERY_MS = 250;   // while playing, the topology and the panels are redrawn at most this often
const PANEL_JOBS = 5;          // ...in this many groups, one group per frame
const TOPOLOGY_PARTS_PER_FRAME = 12; // while playing, the topology's changed elements patched per frame (the rest next frame)
const FIGURES_DEFER_MS = 8;    // metrics() and checks() taking longer than this are computed after a seek's redraw
const STEP_HINT = '— press Step to process one event and see it described here';
const FIGURES_EVERY_MS = 200;  // metrics() and checks() walk the whole trace: refresh them a few times a second
const WINDOWS = [100, 1000, 5000, 20000, 60000]; // the timeline window choices, as in index.html

const $ = (id) => document.getElementById(id);
// Writes that change nothing still cost the browser a style and layout pass (a text node replaced, an
// attribute set): the panels redrawn while playing only write what differs.
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
function setFlag(el, name, on) {
  if (el[name] !== on) el[name] = on;
}

const state = {
  wasm: null,
  scenarios: [],
  source: null,          // {kind:'builtin', id} | {kind:'file', name}
  json: null,            // scenario JSON text of the current simulation
  sim: null,
  index: new TimelineIndex(),
  snapshot: null,
  selected: null,        // id of the selected process
  playing: false,
  speed: 1,
  windowMs: 5000,
  virtual: 0,            // play position in fractional virtual ms
  lastTs: 0,
  stopAtEnd: false,
  // Per figure ('metrics', 'checks'): when it was last computed, at which trace length and time, and how
  // long it took (ms).
  figures: { metrics: { ts: -Infinity, key: '', cost: 0 }, checks: { ts: -Infinity, key: '', cost: 0 } },
  figuresTimer: 0,       // a deferred refresh of the figures (see drawFigures)
  panelsTs: -Infinity,   // when a group of panels was last redrawn while playing
  panelTurn: 0,          // which group is next
  snapshotTs: -Infinity,  // when the snapshot was taken (see refresh)
  topologyBehind: false, // the topology's last redraw is not all patched in yet (see TOPOLOGY_PARTS_PER_FRAME)
  chunkMs: 20,           // virtual ms the frame loop runs in one go (adapted to fit the frame's budget)
  simBudgetMs: SIM_BUDGET_MS, // the simulation's share of a frame (adapted so that the frame fits FRAME_SCRIPT_MS)
  frameMs: 0,            // a frame's script while playing, smoothed
  pace: null,            // {ts, virtual}: where the current measure of the pace started (see drawPace)
  paceMeasured: null,    // the last measure: {from, to, pace}
  panMid: null,          // the middle of the timeline's window when the learner zoomed or panned it away from now
  tlView: null,          // the arguments the timeline was last drawn with, for hovering
  pointer: null,         // where the pointer is over the timeline: {x, y} in the SVG, clientX/Y, panel rect
  drag: null,            // a drag that pans the timeline: {clientX, mid, span, plotW, moved}
  metrics: null,         // totals over clients: {sent, ok, errors, refused, timeouts}
  clients: [],           // metrics().clients: one tally per client
  checks: null,          // checks() as of the last refresh of the figures
  heartbeats: false,     // draw keep-alives on the timeline
  focus: null,           // {t, t1?, label}: a moment the timeline shows instead of following "now"
  sentinels: false,      // the scenario has sentinels: their band, their events tab
  sideTab: 'console',    // what the bottom-right panel shows: 'events' (Sentinel events) or 'console'
  eventsFilter: null,    // show the events of this sentinel only (process id), or all
  eventsImportant: false,
  eventsFollow: true,    // the event log scrolls with new events until the learner scrolls up
  scripted: [],          // the scenario's crash / power_off actions: {at, host|null, process|null, do}
  cuts: new Map(),       // host -> its disk just before its last crash or power loss, and what that cost
  drawn: { topo: '', timeline: '', inspector: '', metrics: '', checks: '', events: '', votes: '', slots: '' },
  cluster: false,        // the scenario runs Redis Cluster: shards in the topology, the slot map
  gossip: false,         // draw the cluster bus's PING/PONG/MEET on the timeline
  shadow: null,          // a throwaway copy of the simulation, to read CLUSTER NODES without acting
  shadowActions: -1,
  clusterView: null,     // the cluster as the nodes describe it (cluster.js), as of clusterAt
  clusterAt: -1,
  clusterTs: -Infinity,
  embed: null,           // the views shown in embed mode (?embed=1&views=…), or null for the full page
  scrubbing: false,      // the learner is dragging the time scrubber
};

// ---------------------------------------------------------------------------------------------- errors

function showError(title, message) {
  $('error-title').textContent = title;
  $('error-message').textContent = message;
  $('error').hidden = false;
}

function hideError() {
  $('error').hidden = true;
}

function messageOf(e) {
  return e && e.message ? e.message : String(e);
}

// Run `fn`; on failure pause, say what happened, and return undefined.
function guarded(what, fn) {
  try {
    return fn();
  } catch (e) {
    pause();
    showError(what, messageOf(e));
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- loading

function seedFromField() {
  const raw = $('seed').value.trim();
  return raw === '' ? 1 : Number(raw);
}

/**
 * Replace the running simulation. Returns true on success; on failure the old one keeps running. `prebuilt`
 * is a simulation already made (a shared session, at its time); otherwise it starts at time zero.
 */
function start(json, seed, source, prebuilt = null) {
  let sim = prebuilt;
  try {
    if (!sim) sim = new state.wasm.Simulation(json, seed);
  } catch (e) {
    const where = source.kind === 'builtin' ? `the built-in scenario "${source.id}"` : `"${source.name}"`;
    showError(`Could not load ${where}`, messageOf(e));
    return false;
  }
  pause();
  hideError();
  if (state.sim) state.sim.free();
  state.sim = sim;
  state.json = json;
  state.source = source;
  state.index = new TimelineIndex();
  state.virtual = sim.now();
  stale();
  state.focus = null;
  state.panMid = null;
  $('follow').hidden = true;
  state.cuts = new Map();
  state.drawn = { topo: '', timeline: '', inspector: '', metrics: '', checks: '', events: '', votes: '', slots: '' };
  if (state.shadow) state.shadow.free();
  state.shadow = null;
  state.clusterView = null;
  state.clusterAt = -1;
  state.clusterTs = -Infinity;
  resetClusterLayout();
  $('seed').value = String(seed);
  $('step-status').textContent = STEP_HINT;

  const snap = sim.snapshot();
  const servers = snap.processes.filter((p) => p.kind === 'server');
  const keep = state.selected != null && snap.processes[state.selected] ? snap.processes[state.selected] : null;
  state.selected = keep && keep.kind === 'server' ? keep.id : (servers[0] ?? snap.processes[0])?.id ?? null;

  const sc = source.kind === 'builtin' ? state.scenarios.find((s) => s.id === source.id) : null;
  const description = sc ? sc.description : parseDescription(json);
  $('description-text').textContent = description || '';
  $('description').hidden = !description;
  setDescriptionOpen(false);

  // A share link's fragment describes the session it opened; once the page starts another one it no longer does.
  if (!prebuilt && location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (source.kind === 'builtin') {
    $('scenario').value = source.id;
    const url = new URL(location.href);
    url.searchParams.set('scenario', source.id);
    url.searchParams.set('seed', String(seed));
    history.replaceState(null, '', url);
  }
  con.clear();
  con.blocked = []; // the commands of the previous simulation are not waited for any more
  const target = snap.processes.find((p) => p.id === state.selected && p.kind === 'server') || servers[0];
  // Sentinels take commands too (SENTINEL masters, SENTINEL get-master-addr-by-name mymaster, ...).
  const sentinels = snap.processes.filter((p) => p.kind === 'sentinel');
  if (target) {
    con.setTargets([...servers, ...sentinels].map((p) => ({ name: p.name, address: p.address })));
    con.target = target.name;
    con.print(`# ${servers.length > 1 ? 'Pick a server above; c' : 'C'}ommands run at the current virtual time. Try: SET foo bar, GET foo, DBSIZE, KEYS *`, 'muted');
    if (sentinels.length) con.print(`# Sentinels are in the list too: SENTINEL masters, SENTINEL get-master-addr-by-name ${sentinelView(sentinels[0])?.name ?? 'mymaster'}`, 'muted');
    if (diskScenario(json, snap)) con.print('# Persistence: BGSAVE, LASTSAVE, BGREWRITEAOF, INFO persistence, CONFIG SET appendfsync always', 'muted');
  }
  setSentinelMode(sentinels, snap);
  state.cluster = /"cluster-enabled"\s*:\s*("yes"|true)/.test(json);
  document.body.classList.toggle('has-cluster', state.cluster);
  $('slots-panel').hidden = !state.cluster;
  for (const el of document.querySelectorAll('.legend-cluster')) el.hidden = !state.cluster;
  if (state.cluster) con.print('# Cluster: CLUSTER NODES, CLUSTER INFO, CLUSTER KEYSLOT foo, CLUSTER SLOTS', 'muted');
  // A scenario about persistence gets a taller inspector, where the disk panel is.
  document.body.classList.toggle('has-disk', !sentinels.length && diskScenario(json, snap));
  state.scripted = scriptedFaults(json, snap);
  loadLesson(sim);
  setEnabled(true);
  refresh();
  return true;
}

/** The scenario's narration and expectations, in the lesson panel (hidden when it has neither). */
function loadLesson(sim) {
  let narration = [];
  let expectations = 0;
  try {
    narration = sim.narration();
    expectations = sim.judge().length;
  } catch (e) {
    console.warn(`narration() failed: ${messageOf(e)}`);
  }
  lesson.load(narration, expectations);
  const on = lesson.active && (!state.embed || state.embed.includes('lesson'));
  $('lesson-panel').hidden = !on;
  document.body.classList.toggle('has-lesson', on);
  $('lesson-progress').textContent = '';
  document.querySelector('.lesson-foot').hidden = !lesson.asks;
}

/** The sentinel layout: a band of sentinel cards in a wider topology, and a tab with their events. */
function setSentinelMode(sentinels, snap) {
  state.sentinels = sentinels.length > 0;
  document.body.classList.toggle('has-sentinels', state.sentinels);
  $('side-tabs').hidden = !state.sentinels;
  $('console-title').hidden = state.sentinels;
  for (const el of document.querySelectorAll('.legend-sentinel')) el.hidden = !state.sentinels;
  for (const el of document.querySelectorAll('.legend-disk')) el.hidden = !diskScenario(state.json, snap);
  const f = $('events-filter');
  f.innerHTML = '';
  const all = document.createElement('option');
  all.value = '';
  all.textContent = 'all sentinels';
  f.append(all);
  for (const p of sentinels) {
    const o = document.createElement('option');
    o.value = String(p.id);
    o.textContent = p.name;
    f.append(o);
  }
  state.eventsFilter = null;
  state.eventsFollow = true;
  setSideTab(state.sentinels ? 'events' : 'console');
}

function setSideTab(tab) {
  state.sideTab = tab;
  const events = tab === 'events' && state.sentinels;
  $('events').hidden = !events;
  $('console').hidden = events;
  $('tab-events').setAttribute('aria-selected', String(events));
  $('tab-console').setAttribute('aria-selected', String(!events));
  for (const el of document.querySelectorAll('.console-ctl')) el.hidden = events;
  for (const el of document.querySelectorAll('.events-ctl')) el.hidden = !events;
  state.drawn.events = '';
  if (state.snapshot) drawEvents();
}

/** Whether the scenario is about persistence: RDB or AOF files at the start, AOF on, or save points set. */
function diskScenario(json, snap) {
  const files = snap.hosts.some((h) => (h.disk || []).some((f) => f.kind === 'rdb' || f.kind === 'aof'));
  return files || /"appendonly"\s*:\s*("yes"|true)/.test(json) || /"save"\s*:\s*"[^"]/.test(json);
}

/** The scenario's scripted crashes and power cuts, so that the page can look at the disk just before them. */
function scriptedFaults(json, snap) {
  let actions = [];
  try {
    actions = JSON.parse(json).actions || [];
  } catch {
    return [];
  }
  const hostOf = new Map(snap.processes.map((p) => [p.name, p.host]));
  return actions
    .filter((a) => (a.do === 'power_off' && a.host) || (a.do === 'crash' && hostOf.has(a.process)))
    .map((a) => ({ at: Number(a.at_ms) || 0, do: a.do, process: a.process ?? null, host: a.do === 'power_off' ? a.host : hostOf.get(a.process) }))
    .filter((a) => a.at > 0)
    .sort((a, b) => a.at - b.at);
}

function parseDescription(json) {
  try {
    return JSON.parse(json).description || '';
  } catch {
    return '';
  }
}

function loadBuiltin(id, seed = seedFromField()) {
  const sc = state.scenarios.find((s) => s.id === id);
  if (!sc) {
    showError(`Unknown scenario "${id}"`,
      `There is no built-in scenario with that id. Built-in scenarios: ${state.scenarios.map((s) => s.id).join(', ')}.`);
    return false;
  }
  return start(sc.json, seed, { kind: 'builtin', id });
}

function loadJson(json, seed = seedFromField(), name = 'scenario file', prebuilt = null) {
  const ok = start(json, seed, { kind: 'file', name }, prebuilt);
  if (ok) {
    let opt = $('scenario').querySelector('option[data-file]');
    if (!opt) {
      opt = document.createElement('option');
      opt.dataset.file = '1';
      $('scenario').append(opt);
    }
    opt.value = '__file__';
    opt.textContent = `File: ${name}`;
    $('scenario').value = '__file__';
  }
  return ok;
}

function reload(seed = seedFromField()) {
  if (!state.source) return loadBuiltin($('scenario').value, seed);
  return state.source.kind === 'builtin' ? loadBuiltin(state.source.id, seed) : loadJson(state.json, seed, state.source.name);
}

// Controls that need a running simulation; Reset and New seed only need the wasm package, so that a
// learner can recover from a bad seed.
function setEnabled(on) {
  for (const id of ['play', 'step', ...ACTIONS]) $(id).disabled = !on;
  for (const id of ['reset', 'new-seed']) $(id).disabled = !state.wasm;
}

// ---------------------------------------------------------------------------------------------- drawing

function lanesOf(snap) {
  // Lanes in host order, so a host's processes sit together and the order never changes during a run;
  // sentinels, apart from the data nodes, in a band of lanes of their own at the bottom.
  const byId = new Map(snap.processes.map((p) => [p.id, p]));
  const lanes = [];
  for (const h of snap.hosts) for (const id of h.processes) if (byId.has(id)) lanes.push(byId.get(id));
  for (const p of snap.processes) if (!lanes.includes(p)) lanes.push(p);
  // In a cluster the client's lane (its MOVED / ASK redirects) and the resharding tool's come first: with seven
  // nodes the lanes at the bottom are the ones that scroll out of sight.
  if (state.cluster) return [...lanes.filter((p) => p.kind !== 'server'), ...lanes.filter((p) => p.kind === 'server')];
  return [...lanes.filter((p) => p.kind !== 'sentinel'), ...lanes.filter((p) => p.kind === 'sentinel')];
}

function timeWindow(now) {
  const w = state.windowMs;
  const f = state.focus;
  if (state.panMid != null || f) {
    // Where the learner panned to, or a moment they asked to see, sits in the middle (never before time zero).
    const mid = state.panMid ?? (f.t + (f.t1 ?? f.t)) / 2;
    const t0 = Math.max(0, mid - w / 2);
    return { t0, t1: t0 + w };
  }
  return followWindow(now, w);
}

// "Now" sits near the right edge, leaving room to see in-flight messages heading for their delivery.
function followWindow(now, w) {
  const t1 = Math.max(w, now + w * 0.12);
  return { t0: t1 - w, t1 };
}

const MIN_WINDOW_MS = 10;
const MAX_WINDOW_MS = 600000;

/** Show `w` ms in the timeline; the window list names it (an extra entry when it is not one of its own). */
function setWindow(w) {
  state.windowMs = Math.round(Math.max(MIN_WINDOW_MS, Math.min(MAX_WINDOW_MS, w)));
  const sel = $('window');
  let custom = sel.querySelector('option[data-custom]');
  if (WINDOWS.includes(state.windowMs)) {
    if (custom) custom.remove();
  } else {
    if (!custom) {
      custom = document.createElement('option');
      custom.dataset.custom = '1';
      sel.append(custom);
    }
    custom.value = String(state.windowMs);
    const s = state.windowMs / 1000;
    custom.textContent = `${s >= 10 ? s.toFixed(0) : s >= 1 ? s.toFixed(1) : s.toFixed(2)} s`;
  }
  sel.value = String(state.windowMs);
}

/**
 * Zoom the timeline by `factor` (< 1 zooms in). With `px` (an x in the timeline), the time under it stays
 * under it, which leaves "follow now" unless the simulation is playing; without, the window keeps its middle
 * (or its right edge on "now").
 */
function zoomTimeline(factor, px = null) {
  const v = state.tlView;
  if (!v) return;
  const w = Math.max(MIN_WINDOW_MS, Math.min(MAX_WINDOW_MS, state.windowMs * factor));
  const following = state.panMid == null && !state.focus;
  if (px != null && !(following && state.playing)) {
    const g = timelineGeometry(v.lanes, v);
    const at = Math.max(v.t0, Math.min(v.t1, g.T(px)));
    const frac = (at - v.t0) / (v.t1 - v.t0);
    panTo(at - frac * w + w / 2, w);
  } else if (!following && state.panMid != null) {
    panTo(state.panMid, w);
  }
  setWindow(w);
  draw();
}

/** Centre the timeline's window (of `w` ms) on `mid`, no later than where following "now" would put it. */
function panTo(mid, w = state.windowMs) {
  const sim = state.sim;
  if (!sim) return;
  const latest = followWindow(sim.now(), w);
  state.panMid = Math.max(w / 2, Math.min(mid, (latest.t0 + latest.t1) / 2));
  $('follow').hidden = false;
}

/** The tooltip of the timeline: what the element under the pointer says, else the nearest arrow or outcome. */
function drawTip() {
  const tip = $('timeline-tip');
  const p = state.pointer;
  const v = state.tlView;
  if (!p || !v || state.drag) {
    tip.hidden = true;
    return;
  }
  const el = document.elementFromPoint(p.clientX, p.clientY);
  const own = el && el.closest && el.closest('#timeline [data-tip]');
  const text = own ? own.dataset.tip : timelineHit(state.index, v.lanes, v, p.x, p.y);
  if (!text) {
    tip.hidden = true;
    return;
  }
  if (tip.textContent !== text) tip.textContent = text;
  tip.hidden = false;
  // Beside the pointer, inside the panel (left of it near the right edge).
  const panel = p.panel;
  const left = p.clientX - panel.left + 14;
  const top = p.clientY - panel.top + 16;
  tip.style.left = `${Math.min(left, panel.width - 340)}px`;
  tip.style.top = `${Math.min(top, panel.height - 60)}px`;
}

function wireTimeline() {
  const el = $('timeline');
  const at = (e) => {
    const r = el.getBoundingClientRect();
    const panel = el.parentElement.getBoundingClientRect();
    // The SVG scrolls inside the view when its lanes do not fit.
    return { x: e.clientX - r.left + el.scrollLeft, y: e.clientY - r.top + el.scrollTop, clientX: e.clientX, clientY: e.clientY, panel };
  };
  el.addEventListener('pointermove', (e) => {
    state.pointer = at(e);
    const d = state.drag;
    if (d && e.buttons & 1) {
      const dx = e.clientX - d.clientX;
      if (!d.moved && Math.abs(dx) < 4) return;
      if (!d.moved) el.setPointerCapture(e.pointerId);
      d.moved = true;
      el.classList.add('panning');
      // Dragging right shows earlier times.
      panTo(d.mid - (dx * d.span) / d.plotW);
      draw();
      return;
    }
    drawTip();
  });
  el.addEventListener('pointerleave', () => {
    state.pointer = null;
    drawTip();
  });
  el.addEventListener('pointerdown', (e) => {
    const v = state.tlView;
    if (e.button !== 0 || !v) return;
    const g = timelineGeometry(v.lanes, v);
    const p = at(e);
    if (p.x < g.plotLeft) return;
    state.drag = { clientX: e.clientX, mid: (v.t0 + v.t1) / 2, span: v.t1 - v.t0, plotW: g.plotW, moved: false };
  });
  const endDrag = () => {
    state.drag = null;
    el.classList.remove('panning');
  };
  el.addEventListener('pointerup', endDrag);
  el.addEventListener('pointercancel', endDrag);
  // Ctrl + wheel (and a trackpad's pinch) zooms around the pointer; a sideways wheel (or Shift + wheel) pans.
  el.addEventListener('wheel', (e) => {
    if (!state.tlView) return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      zoomTimeline(Math.exp(Math.max(-1, Math.min(1, e.deltaY / 200))), at(e).x);
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      const v = state.tlView;
      const g = timelineGeometry(v.lanes, v);
      const d = e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX;
      panTo((v.t0 + v.t1) / 2 + (d * (v.t1 - v.t0)) / g.plotW);
      draw();
    }
  }, { passive: false });
  $('zoom-in').addEventListener('click', () => zoomTimeline(0.5));
  $('zoom-out').addEventListener('click', () => zoomTimeline(2));
}

/**
 * Show a moment (or an interval) of the past in the timeline without moving the simulation: the checks
 * judge the run as it is now, and seeking back would change them. "Follow now" (or Play) returns.
 */
function focusTime(t, t1 = null, label = '') {
  pause();
  state.focus = { t, t1, label };
  state.panMid = null;
  const span = t1 == null ? 0 : t1 - t;
  if (span * 1.25 > state.windowMs) setWindow(WINDOWS.find((x) => x >= span * 1.25) ?? WINDOWS[WINDOWS.length - 1]);
  $('follow').hidden = false;
  draw();
}

function follow() {
  state.focus = null;
  state.panMid = null;
  $('follow').hidden = true;
  draw();
}

/**
 * Trace records from `cursor` on; as one JSON string when the package can (much faster for many). The last
 * string is kept (`lastBatch`): the painting worker is sent that text rather than the records it became,
 * which the browser would copy object by object.
 */
let lastBatch = null;
function recordsSince(sim, cursor) {
  if (typeof sim.eventsSinceJson !== 'function') return sim.eventsSince(cursor);
  const text = sim.eventsSinceJson(cursor);
  const records = JSON.parse(text);
  lastBatch = { from: cursor, to: cursor + records.length, text };
  return records;
}

/** Pull new trace records and a fresh snapshot, then redraw. */
function refresh() {
  const sim = state.sim;
  if (!sim) return;
  const n = sim.traceLen();
  if (n < state.index.length) state.index.truncate(n);
  if (n > state.index.length) state.index.advanceTo(n, (cursor) => recordsSince(sim, cursor), (i) => recordsSince(sim, i)[0]);
  // While playing, the snapshot is taken a few dozen times a second, not every frame: the timeline moves with
  // the trace records; the snapshot feeds the panels (redrawn a few times a second) and the lanes' labels.
  const ts = performance.now();
  if (!state.playing || !state.snapshot || ts - state.snapshotTs >= SNAPSHOT_EVERY_MS) {
    state.snapshot = sim.snapshot();
    state.snapshotTs = ts;
  }
  draw();
  announce();
  con.follow(state.index, sim.now(), (t) => formatSeconds(t));
}

/**
 * While playing, tell a screen reader what changes the story (a crash, a power cut, a new master, the
 * sentinels agreeing the master is down, +switch-master), in the polite live region #announcer. Not when
 * stepping (the Status line says each event) nor after a seek (it would read out everything skipped).
 */
const heard = { index: null, bands: 0, power: 0, roles: 0, sentinel: 0, said: new Map() };
function announce() {
  const ix = state.index;
  const lens = { bands: ix.bands.length, power: ix.power.length, roles: ix.roles.length, sentinel: ix.sentinel.length };
  const fresh = heard.index === ix && state.playing;
  if (heard.index !== ix) heard.said.clear();
  const lines = [];
  if (fresh) {
    const procs = state.snapshot.processes;
    const nameOf = (id) => procs.find((q) => q.id === id)?.name ?? `#${id}`;
    const byAddress = (addr) => procs.find((q) => q.address === addr)?.name ?? addr;
    for (const b of ix.bands.slice(heard.bands)) if (b.state === 'crashed') lines.push([b.t0, `${nameOf(b.proc)} crashed`]);
    for (const w of ix.power.slice(heard.power)) lines.push([w.t0, `${w.host} lost power`]);
    for (const r of ix.roles.slice(heard.roles)) {
      lines.push([r.t, r.role === 'master' ? `${nameOf(r.proc)} is now a master`
        : `${nameOf(r.proc)} now replicates from ${r.master ? byAddress(r.master) : 'nobody'}`]);
    }
    for (const e of ix.sentinel.slice(heard.sentinel)) {
      if (e.event !== '+odown' && e.event !== '+switch-master') continue;
      // Every sentinel logs these: say each once.
      const key = `${e.event} ${String(e.detail).split(' #')[0]}`;
      if (heard.said.has(key) && e.t - heard.said.get(key) < 5000) continue;
      heard.said.set(key, e.t);
      const d = String(e.detail).split(' ');
      lines.push([e.t, e.event === '+odown' ? `sentinels agree the master ${d[1] ?? ''} is down (+odown)`
        : `sentinels switched ${d[0]} to ${byAddress(`${d[3]}:${d[4]}`)} (+switch-master)`]);
    }
  }
  Object.assign(heard, lens, { index: ix });
  if (lines.length) {
    lines.sort((a, b) => a[0] - b[0]);
    $('announcer').textContent = `${lines.slice(-3).map((l) => l[1]).join('. ')}.`;
  }
}

let timelinePainter = null;
function painter(el) {
  if (!timelinePainter || timelinePainter.container !== el) timelinePainter = new CanvasPainter(el);
  return timelinePainter;
}

/** An element's content size, as its ResizeObserver last saw it (measured once when first asked). */
const sizes = new Map();
const resized = new ResizeObserver((entries) => {
  let changed = false;
  for (const e of entries) {
    const size = [Math.floor(e.contentRect.width), Math.floor(e.contentRect.height)];
    const old = sizes.get(e.target);
    if (!old || old[0] !== size[0] || old[1] !== size[1]) changed = true;
    sizes.set(e.target, size);
  }
  if (changed && !state.playing) draw();
});
function sizeOf(el) {
  let size = sizes.get(el);
  if (!size) {
    size = [el.clientWidth, el.clientHeight];
    sizes.set(el, size);
    resized.observe(el);
  }
  return size;
}

/**
 * A topology taller than its view (a big cluster, kept at a readable size) scrolls: a cue at the view's
 * bottom names the hosts below the fold and, pressed, brings the first row cut off to the top. Read on a paused
 * redraw, a scroll and a resize only (it reads the layout).
 */
function moreBelow() {
  const view = $('topology');
  const cue = $('topo-more');
  const box = view.getBoundingClientRect();
  const all = [...view.querySelectorAll('svg .host')].map((g) => ({ name: g.dataset.host, r: g.getBoundingClientRect() }));
  const below = all.filter((h) => h.r.bottom > box.bottom + 1);
  // At the bottom: the cue goes back to the top.
  const above = below.length ? [] : all.filter((h) => h.r.top < box.top - 1);
  const shown = below.length ? below : above;
  setFlag(cue, 'hidden', !shown.length);
  if (!shown.length) return;
  const names = shown.map((h) => h.name);
  const list = `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`;
  const hosts1 = `host${names.length === 1 ? '' : 's'}`;
  setText(cue, below.length ? `↓ ${names.length} more ${hosts1} below: ${list}` : `↑ ${names.length} ${hosts1} above: ${list}`);
  setAttr(cue, 'title', `${below.length ? 'Scroll the topology down' : 'Back to the top'}: ${names.join(', ')}`);
  cue.onclick = () => (below.length ? view.scrollBy({ top: Math.min(...below.map((h) => h.r.top)) - box.top - 6 }) : view.scrollTo({ top: 0 }));
}

function draw() {
  const snap = state.snapshot;
  const sim = state.sim;
  if (!snap || !sim) return;
  const now = sim.now();
  const topoEl = $('topology');
  const tlEl = $('timeline');
  // Sizes come from ResizeObservers: reading clientWidth after the last frame's writes would force a layout.
  const topoSize = sizeOf(topoEl);
  const tlSize = sizeOf(tlEl);

  if (state.cluster) updateCluster(now);
  const view = state.cluster ? state.clusterView : null;
  // While playing, the topology and the panels of figures are redrawn a few times a second (their numbers
  // change every frame, but nobody reads offsets at 60 Hz); the timeline, which moves, every frame.
  // Each group has a frame of its own (topology, metrics, checks, side panels, event log, in turn), so that
  // no frame carries them all; a topology redraw that changes many cards is itself spread over frames.
  const ts = performance.now();
  let job = -1;
  if (state.playing && state.topologyBehind) job = 0;
  else if (state.playing && ts - state.panelsTs >= PANELS_EVERY_MS / PANEL_JOBS) {
    state.panelsTs = ts;
    job = state.panelTurn++ % PANEL_JOBS;
  }
  const all = !state.playing;
  state.topologyBehind = false;
  if (all || job === 0) {
    // A cluster is laid out one column per shard, in as many columns as show it largest (scaled down to fit,
    // but not below a readable size: then it scrolls).
    const fit = view ? fitCluster(snap, view, topoSize[0], topoSize[1]) : { width: topoSize[0], height: topoSize[1] };
    const shown = view ? { ...snap, hosts: fit.hosts } : snap;
    const parts = renderTopologyParts(shown, { width: fit.width, height: fit.height, cols: fit.cols, selected: state.selected,
      leader: latestLeader(state.index), reserve: view ? clusterReserve(snap, view) : undefined });
    // A cluster's overlay rewrites the whole string; anything else is morphed part by part.
    const topo = view ? clusterOverlay(parts.join(''), shown, view, fit) : parts.join('');
    if (topo !== state.drawn.topo) {
      if (view) morph(topoEl, topo);
      else state.topologyBehind = !morphParts(topoEl, parts, all ? Infinity : TOPOLOGY_PARTS_PER_FRAME);
      state.drawn.topo = state.topologyBehind ? null : topo;
    }
    if (all) moreBelow();
  }

  const { t0, t1 } = timeWindow(now);
  if (all) drawFigures();
  else if (job === 1) drawFigures(false, 'metrics');
  else if (job === 2) drawFigures(false, 'checks');
  const lanes = lanesOf(snap);
  const tlView = { t0, t1, now, width: tlSize[0], height: tlSize[1], heartbeats: state.heartbeats, gossip: state.gossip,
    nodeNames: view ? new Map(view.nodes.map((n) => [n.id.slice(0, 8), n.name])) : null,
    // checks() judges each write by its own deployment (a cluster key by its slot's master): drawn in a cluster too.
    checks: state.checks, focus: state.focus };
  state.tlView = { lanes, ...tlView };
  // Playing, the timeline is painted on a canvas from the same SVG, built and painted by a worker (a new SVG
  // document every frame costs the browser more than the frame has); paused, it is the SVG itself, whose
  // marks can be hovered, clicked, exported and read by a screen reader.
  if (state.playing) {
    const { checks, nodeNames, ...rest } = tlView;
    const key = JSON.stringify([state.index.version, rest, lanes, nodeNames && [...nodeNames]]);
    if (key !== state.drawn.timelineKey || checks !== state.drawn.timelineChecks || !painter(tlEl).showing) {
      painter(tlEl).paintTimeline(state.index, lanes, tlView, tlSize[0], tlSize[1], lastBatch);
      state.drawn.timelineKey = key;
      state.drawn.timelineChecks = checks;
      state.drawn.timeline = null;
    }
  } else {
    const tl = renderTimeline(state.index, lanes, tlView);
    if (tl !== state.drawn.timeline || painter(tlEl).showing) {
      tlEl.innerHTML = tl;
      state.drawn.timeline = tl;
      state.drawn.timelineKey = null;
      if (state.pointer) drawTip();
    }
  }

  setText($('time'), `${(now / 1000).toFixed(3)} s`);
  const dur = sim.durationMs();
  setText($('duration'), dur > 0 ? `/ ${formatSeconds(dur, 1000)}` : '');
  const fill = dur > 0 ? `${Math.min(100, (100 * now) / dur).toFixed(2)}%` : '0%';
  if ($('progress-fill').style.width !== fill) $('progress-fill').style.width = fill;
  drawScrubber(now, dur);
  drawLesson(now, dur);

  if (state.cluster) {
    const slots = renderSlotMap(view, { width: Math.min(170, sizeOf($('slotmap'))[0] * 0.45) });
    if (slots !== state.drawn.slots) {
      $('slotmap').innerHTML = slots;
      state.drawn.slots = slots;
    }
  }
  if (all || job === 3) {
    drawSelection(snap);
    drawNetwork(snap);
    drawInspector(snap);
    con.refreshPrompt();
  }
  if (all || job === 4) drawEvents();
}

/**
 * Read the cluster as its nodes describe it (CLUSTER NODES of every up node) on a throwaway copy of the
 * simulation, so that the learner's session records no console action. The copy is kept and advanced with
 * the simulation; it is rebuilt after a seek backwards or an action from the page. At most 4 times a second
 * while playing.
 */
function updateCluster(now) {
  const sim = state.sim;
  if (state.clusterAt === now) return;
  const ts = performance.now();
  if (state.playing && ts - state.clusterTs < 250) return;
  state.clusterTs = ts;
  const actions = sim.actions().length;
  if (!state.shadow || state.shadow.now() > now || state.shadowActions !== actions) {
    if (state.shadow) state.shadow.free();
    state.shadow = state.wasm.Simulation.fromSession(sim.exportSession());
    state.shadowActions = actions;
  }
  const shadow = state.shadow;
  if (shadow.now() < now) shadow.runUntil(now);
  const replies = [];
  for (const p of shadow.snapshot().processes) {
    if (p.kind !== 'server' || p.state !== 'up' || p.hostPowered === false) continue;
    try {
      replies.push({ name: p.name, reply: shadow.command(p.name, 'CLUSTER NODES') });
    } catch {
      // not a cluster node
    }
  }
  state.clusterView = clusterView(replies, state.snapshot);
  state.clusterAt = now;
}

/** The Sentinel events tab: who voted for whom, and the event stream in Redis's notation. */
function drawEvents() {
  if (!state.sentinels || state.sideTab !== 'events' || !state.snapshot) return;
  const nameOf = (id) => state.snapshot.processes.find((q) => q.id === id)?.name ?? `#${id}`;
  const votes = renderVotes(state.snapshot, state.index, nameOf);
  if (votes !== state.drawn.votes) {
    $('votes').innerHTML = votes;
    state.drawn.votes = votes;
  }
  const events = state.index.sentinel;
  const key = `${state.eventsFilter}|${state.eventsImportant}`;
  const log = $('event-log');
  const drawnTo = state.drawn.eventsTo ?? -1;
  if (key === state.drawn.events && drawnTo === events.length) return; // reading the log's scroll size costs a layout
  const filter = { proc: state.eventsFilter, important: state.eventsImportant };
  const fresh = key === state.drawn.events && drawnTo > 0 && drawnTo < events.length && log.querySelector('.ev')
    ? events.slice(drawnTo).filter(eventFilter(filter)) : null;
  if (fresh) {
    // Only new events: append their lines (and let the oldest go) rather than redraw hundreds of them.
    if (fresh.length) {
      log.insertAdjacentHTML('beforeend', eventLines(fresh, nameOf).join(''));
      const lines = log.querySelectorAll('.ev');
      const extra = lines.length - MAX_SHOWN;
      if (extra > 0) {
        for (let i = 0; i < extra; i++) lines[i].remove();
        const earlier = log.querySelector('.ev-earlier');
        const n = (earlier ? Number(earlier.dataset.earlier) : 0) + extra;
        if (earlier) earlier.remove();
        log.insertAdjacentHTML('afterbegin', earlierLine(n));
      }
    }
  } else {
    log.innerHTML = renderEventLog(state.index, nameOf, filter);
  }
  state.drawn.events = key;
  state.drawn.eventsTo = events.length;
  // Keep following the newest line unless the learner scrolled up to read older ones.
  if (state.eventsFollow && log.scrollTop + log.clientHeight < log.scrollHeight - 2) log.scrollTop = log.scrollHeight;
}

function selectedProcess(snap = state.snapshot) {
  return snap ? snap.processes.find((p) => p.id === state.selected) : null;
}

const ACTIONS = ['kill', 'restart', 'promote', 'replicate', 'repoint', 'power', 'pause-proc', 'isolate'];

function setButton(id, { show = true, enabled = true, label, text, title }) {
  const b = $(id);
  setFlag(b, 'hidden', !show);
  setFlag(b, 'disabled', !enabled);
  if (label) setAttr(b, 'aria-label', label);
  if (text != null) setText(b, text);
  if (title) setAttr(b, 'title', title);
}

// When the focused action becomes disabled (Crash process once the process is down), the browser drops the
// focus to <body> and a keyboard user is thrown back to the top of the page: give it to the action that
// undoes it, else to the next one still enabled. Only a keyboard focus is moved (see usesSpace): after a
// mouse click the focus stays where the browser leaves it, so that Space still plays rather than pressing
// some other button.
const UNDO = { kill: 'restart', restart: 'kill' };

function keepActionFocus(id) {
  const usable = (b) => b && !b.disabled && !b.hidden;
  let next = UNDO[id] && usable($(UNDO[id])) ? $(UNDO[id]) : null;
  for (let i = 1; !next && i < ACTIONS.length; i++) {
    const b = $(ACTIONS[(ACTIONS.indexOf(id) + i) % ACTIONS.length]);
    if (usable(b)) next = b;
  }
  (next || $('topology').querySelector('.proc.selected, [data-proc-id]'))?.focus();
}

function drawSelection(snap) {
  const p = selectedProcess(snap);
  setText($('selected-name'), p ? p.name : '—');
  setText($('selected-kind'), p ? `${p.role || p.kind} on ${p.host}` : '');
  const active = document.activeElement;
  const had = ACTIONS.find((id) => $(id) === active && !pointerFocused.has(active));
  if (had) queueMicrotask(() => {
    if ($(had).disabled || $(had).hidden) keepActionFocus(had);
  });
  if (!p || !state.sim) {
    for (const id of ACTIONS) setFlag($(id), 'disabled', true);
    return;
  }
  const server = p.kind === 'server';
  const powered = p.hostPowered !== false;
  const up = p.state === 'up';
  setButton('kill', {
    enabled: p.state !== 'crashed',
    label: `Crash process: kill ${p.name} (crash it)`,
    title: `SIGKILL ${p.name}: its memory is lost, but what it wrote to files stays in the OS page cache and survives`,
  });
  setButton('restart', {
    enabled: p.state === 'crashed' && powered,
    label: `Restart ${p.name}`,
    title: powered ? 'Start the process again from its configuration' : `${p.host} has no power: power it on first`,
  });
  const isReplica = server && p.role === 'replica';
  setButton('promote', {
    show: server,
    enabled: up && isReplica,
    label: `Promote ${p.name} (REPLICAOF NO ONE)`,
    title: !server ? '' : !up ? `${p.name} is not running` : isReplica
      ? `Make ${p.name} a master that accepts writes: REPLICAOF NO ONE` : `${p.name} is already a master`,
  });
  setButton('replicate', { show: server, enabled: up, label: `Make ${p.name} replicate from another server` });
  setButton('repoint', { show: p.kind === 'client', enabled: true, label: `Repoint ${p.name} to another server` });
  setButton('power', {
    text: powered ? 'Power loss' : `Power on ${p.host}`,
    label: powered ? `Power loss: power off ${p.host}` : `Power on ${p.host}`,
    title: powered
      ? `Cut ${p.host}'s power: no FIN, in-flight data lost, peers notice only by timeouts; its disk keeps only the fsynced bytes`
      : `Power ${p.host} on: its processes boot from their configuration (and from what is left on the disk)`,
  });
  const paused = p.state === 'paused';
  setButton('pause-proc', {
    enabled: powered && p.state !== 'crashed',
    text: paused ? 'Resume' : 'Pause',
    label: paused ? `Resume ${p.name} (SIGCONT)` : `Pause ${p.name} (SIGSTOP)`,
    title: paused ? `SIGCONT ${p.name}: it handles what waited for it (messages, timers) and goes on`
      : `SIGSTOP ${p.name}: it keeps its memory and connections but answers nothing; messages and timers wait until Resume`,
  });
  setButton('isolate', {
    enabled: true,
    label: `Isolate ${p.host}: partition it from every other host`,
    title: `Open the Network tool with ${p.host} alone on one side of a partition and every other host on the other`,
  });
}

/** The partition strip under the topology: what is cut now, and Heal. */
function drawNetwork(snap) {
  const sides = partitionSides(snap);
  const text = sides ? `✂ ${sides.text}` : '';
  setText($('net-status'), text);
  setFlag($('net-strip'), 'hidden', !sides);
  setFlag($('topo-hint'), 'hidden', !!sides);
}

/**
 * The snapshot and the figures no longer match the simulation (a seek, a step, an action): take the snapshot
 * again at the next redraw, and recompute the figures at the next chance.
 */
function stale() {
  state.snapshotTs = -Infinity;
  for (const f of Object.values(state.figures)) {
    f.ts = -Infinity;
    f.key = '';
  }
}

const FIGURES = { metrics: drawMetrics, checks: drawChecks };

/**
 * Refresh metrics() and checks() (or only the one named). They walk the whole trace: only when it changed,
 * and while playing at most every FIGURES_EVERY_MS, or less often when they take long (a long trace), so
 * that they never cost more than about one frame in twenty.
 */
function drawFigures(force = false, only = null) {
  const key = `${state.sim.traceLen()}|${state.sim.now()}`;
  const names = only ? [only] : Object.keys(FIGURES);
  const due = names.filter((name) => {
    const f = state.figures[name];
    if (force) return true;
    if (key === f.key) return false;
    return !state.playing || performance.now() - f.ts >= Math.max(FIGURES_EVERY_MS, 20 * f.cost);
  });
  if (!due.length) return;
  // Paused with a long trace: right after this frame, so that a seek or a step shows its moment at once and
  // the figures (and the lost writes they mark on the timeline) a moment later.
  const cost = due.reduce((sum, name) => sum + state.figures[name].cost, 0);
  if (!force && !state.playing && cost > FIGURES_DEFER_MS) {
    if (!state.figuresTimer) {
      state.figuresTimer = setTimeout(() => {
        state.figuresTimer = 0;
        if (!state.sim) return;
        drawFigures(true);
        draw();
      }, 0);
    }
    return;
  }
  for (const name of due) {
    const f = state.figures[name];
    const ts = performance.now();
    FIGURES[name]();
    f.ts = ts;
    f.key = key;
    f.cost = performance.now() - ts;
  }
}

function drawChecks() {
  let checks = null;
  try {
    checks = state.sim.checks();
  } catch (e) {
    console.warn(`checks() failed: ${messageOf(e)}`);
  }
  state.checks = checks;
  const html = renderChecks(checks, state.snapshot, { cluster: state.cluster });
  setText($('checks-when'), `as of ${formatSeconds(state.sim.now())}`);
  if (html !== state.drawn.checks) {
    morph($('checks'), html); // in place: its figures change a few times a second while playing
    state.drawn.checks = html;
  }
}

function drawMetrics() {
  let clients = [];
  try {
    clients = state.sim.metrics().clients;
  } catch (e) {
    console.warn(`metrics() failed: ${messageOf(e)}`);
  }
  state.clients = clients;
  const sum = { sent: 0, ok: 0, errors: 0, refused: 0, timeouts: 0 };
  for (const c of clients) for (const k of Object.keys(sum)) sum[k] += c[k] || 0;
  state.metrics = sum;
  const item = (cls, label, n) => `<span class="metric ${cls}" data-metric="${cls}"><i class="sw ${cls}"></i>${label} <b>${n}</b></span>`;
  const html = `<span class="metric" data-metric="sent">requests <b>${sum.sent}</b></span>` +
    item('ok', 'ok', sum.ok) + item('error', 'errors', sum.errors) +
    item('refused', 'refused', sum.refused) + item('timeout', 'timeouts', sum.timeouts);
  if (html !== state.drawn.metrics) {
    morph($('metrics'), html);
    state.drawn.metrics = html;
  }
}

function drawInspector(snap) {
  const p = selectedProcess(snap);
  let html;
  if (!p) {
    html = '<p class="muted">Click a process in the topology to inspect it.</p>';
  } else {
    // Facts in two columns of label/value pairs; a 'wide' one takes a whole row.
    const rows = [['state', `<span class="state-chip ${esc(p.state)}">${esc(p.state)}</span>`], ['host', esc(p.host)]];
    if (p.hostPowered === false) rows[0] = ['state', '<span class="state-chip off">host powered off</span>'];
    const nameOf = (id) => esc(snap.processes.find((q) => q.id === id)?.name ?? '—');
    const sv = sentinelView(p);
    if (sv && p.state !== 'crashed' && p.hostPowered !== false) {
      const byRun = new Map(snap.processes.filter((q) => q.kind === 'sentinel').map((q) => [q.runId, q.name]));
      const served = snap.processes.find((q) => q.kind === 'server' && q.address === sv.address);
      const leader = latestLeader(state.index);
      rows.push(['view', `<span class="view-chip ${esc(sv.status)}">${esc(sv.status.toUpperCase())}</span> <span class="muted">quorum ${sv.quorum}</span>`, 'wide']);
      rows.push(['watches', `${esc(sv.name)} → ${served ? esc(served.name) : '?'} (${esc(sv.address)})`, 'wide']);
      rows.push(['epoch', `current ${p.sentinel.currentEpoch} · config ${sv.configEpoch}`, 'wide']);
      rows.push(['vote', sv.votedFor ? `${esc(sv.votedFor.slice(0, 8))} (${esc(byRun.get(sv.votedFor) ?? '?')}) in epoch ${sv.votedEpoch}` : 'none yet', 'wide']);
      rows.push(['failover', `${esc(failoverWord(sv.failoverState))}${leader && leader.proc === p.id ? ` <span class="leader-chip">★ leader of epoch ${leader.epoch ?? '?'}</span>` : ''}`, 'wide']);
      rows.push(['knows', `${sv.replicas} replicas, ${sv.otherSentinels} other sentinels`, 'wide']);
    }
    if (p.role) rows.push(['role', esc(p.role)]);
    if (p.address) rows.push(['address', esc(p.address)]);
    const r = p.replication;
    if (r && p.state !== 'crashed') {
      rows.push(['offset', String(r.offset)]);
      if (r.backlogHistlen != null) rows.push(['backlog', `${r.backlogHistlen} B`]);
      rows.push(['replid', `<span title="${esc(r.replid)}">${esc(r.replid)}</span>`, 'wide']);
      if (!/^0+$/.test(r.replid2)) rows.push(['replid2', `<span title="${esc(r.replid2)}">${esc(r.replid2)}</span>`, 'wide']);
      if (r.masterAddress) {
        const s = linkStatus(p, new Map(snap.processes.map((q) => [q.id, q])));
        rows.push(['master', `${r.master != null ? nameOf(r.master) : '?'} (${esc(r.masterAddress)})`, 'wide']);
        rows.push(['link', s ? `<span class="link-${s.cls}">${esc(s.text.replace(' ⚠', ''))}</span>${s.note ? ` <span class="muted">— ${esc(s.note)}</span>` : ''}` : 'down', 'wide']);
      }
      if (r.loading) rows.push(['loading', 'yes: loading the snapshot', 'wide']);
    }
    if (p.runId) rows.push(['run_id', `<span title="${esc(p.runId)}">${esc(p.runId)}</span>`, 'wide']);
    if (p.kind === 'client') {
      const split = p.readTarget != null && p.readTarget !== p.target;
      if (p.routeBy) rows.push([p.routeBy === 'slot' ? 'sends by slot to' : 'shards over', (p.routes || []).map(nameOf).join(', ') || '—', 'wide']);
      else rows.push([split ? 'writes to' : 'sends to', nameOf(p.target)]);
      if (split) rows.push(['reads from', nameOf(p.readTarget)]);
      rows.push(['in flight', String(p.inFlight ?? 0)]);
      const t = state.clients.find((c) => c.client === p.id);
      if (t) rows.push(['outcomes', OUTCOMES.map((o) => `<span class="metric ${o}"><i class="sw ${o}"></i>${o} <b>${t[o === 'error' ? 'errors' : o === 'timeout' ? 'timeouts' : o]}</b></span>`).join(' '), 'wide']);
    }
    if (p.kind === 'database') {
      const full = p.inFlight >= p.capacity;
      rows.push(['connections', `<b${full ? ' class="link-down"' : ''}>${p.inFlight ?? 0} / ${p.capacity}</b>${full ? ' <span class="muted">— at capacity: new queries are refused</span>' : ''}`, 'wide']);
    }
    const facts = rows.map(([k, v, wide]) => `<dt${wide ? ' class="wide"' : ''}>${k}</dt><dd${wide ? ' class="wide"' : ''}>${v}</dd>`).join('');
    let keys = '';
    if (r && r.replicas.length && p.state !== 'crashed') {
      keys += `<h3>Replicas <span class="muted">(what ${esc(p.name)} knows of them)</span></h3>` +
        '<table class="keys replicas"><thead><tr><th>replica</th><th>state</th><th>acked offset</th><th>lag</th><th>last ACK</th></tr></thead><tbody>' +
        r.replicas.map((x) => `<tr><td>${nameOf(x.id)}</td><td>${esc(x.state)}</td><td>${x.ackOffset}</td><td>${x.lagBytes} B</td><td>${(x.lastAckMs / 1000).toFixed(1)} s ago</td></tr>`).join('') +
        '</tbody></table>';
    }
    if (p.kind === 'server') {
      const total = p.dbsize ?? 0;
      const shown = p.keys.length;
      const head = `<h3>Keys <span class="muted">${p.state === 'crashed' ? '(memory lost)' : total > shown ? `(first ${shown} of ${total})` : `(${total})`}</span></h3>`;
      const body = p.keys.length
        ? `<table class="keys"><thead><tr><th>key</th><th>value</th><th>ttl</th></tr></thead><tbody>${
          p.keys.map((k) => `<tr><td>${esc(k.key)}</td><td>${esc(k.value)}</td><td>${k.ttlMs == null ? '—' : `${(k.ttlMs / 1000).toFixed(1)} s`}</td></tr>`).join('')
        }</tbody></table>`
        : `<p class="muted small">${p.state === 'crashed' ? 'A crashed server holds nothing in memory.' : 'No keys yet.'}</p>`;
      keys += head + body;
    }
    // The disk of the process's host comes first once it holds an RDB or an AOF: what a restart starts from.
    let disk = '';
    const host = snap.hosts.find((h) => h.name === p.host);
    if (host && (p.kind === 'server' || (host.disk && host.disk.length))) {
      const procs = new Set(snap.processes.filter((q) => q.host === host.name && q.kind === 'server').map((q) => q.id));
      disk = renderDisk(host, { index: state.index, procs, now: snap.now, cut: state.cuts.get(host.name) || null });
    }
    const persistent = host && (host.disk || []).some((f) => f.kind === 'rdb' || f.kind === 'aof');
    html = persistent ? `${disk}<dl class="facts">${facts}</dl>${keys}` : `<dl class="facts">${facts}</dl>${keys}${disk}`;
  }
  if (html !== state.drawn.inspector) {
    $('inspector').innerHTML = html;
    state.drawn.inspector = html;
  }
}

// ---------------------------------------------------------------------------------------------- playing

function play() {
  const sim = state.sim;
  if (!sim || state.playing) return;
  if (state.focus || state.panMid != null) follow();
  state.playing = true;
  state.virtual = sim.now();
  const dur = sim.durationMs();
  state.stopAtEnd = dur > 0 && sim.now() < dur;
  state.lastTs = performance.now();
  state.simBudgetMs = SIM_BUDGET_MS;
  state.frameMs = 0;
  restartPace();
  drawPlayButton();
  requestAnimationFrame(frame);
}

function pause() {
  if (!state.playing) return;
  state.playing = false;
  drawPlayButton();
  drawPace(null);
  if (state.sim) {
    state.snapshot = state.sim.snapshot(); // playing, it may be a frame or two older than the simulation
    drawFigures(true);
    draw();
  }
}

function drawPlayButton() {
  const b = $('play');
  b.querySelector('.icon').textContent = state.playing ? '❚❚' : '▶';
  b.querySelector('.label').textContent = state.playing ? 'Pause' : 'Play';
  // One pattern: the name says what pressing it does (Play / Pause, as its text), with no aria-pressed
  // besides, which would make a screen reader say "Pause, pressed".
  b.setAttribute('aria-label', state.playing ? 'Pause' : 'Play');
}

function frame(ts) {
  if (!state.playing || !state.sim) return;
  const sim = state.sim;
  const start = performance.now();
  const dt = Math.max(0, Math.min(MAX_FRAME_MS, ts - state.lastTs));
  state.lastTs = ts;
  state.virtual = Math.max(state.virtual, sim.now()) + dt * state.speed;
  let target = Math.floor(state.virtual);
  const dur = sim.durationMs();
  let ended = false;
  if (state.stopAtEnd && target >= dur) {
    target = dur;
    ended = true;
  }
  // A lesson's question stops playback, so the learner can predict before seeing what happens.
  const question = $('lesson-stop').checked && !$('lesson-panel').hidden ? lesson.questionBetween(sim.now(), target) : null;
  if (question != null) {
    target = question;
    ended = false;
  }
  if (target > sim.now()) {
    guarded('The simulation stopped', () => advanceFor(target, state.simBudgetMs));
    if (!state.playing) return; // it failed: guarded() paused and said why
  }
  // At a speed the simulation cannot keep up with, play slower rather than let frames grow: the time not
  // reached in this frame's budget is dropped, not owed.
  const reached = sim.now() >= target;
  if (!reached) state.virtual = sim.now();
  refresh();
  fitFrame(performance.now() - start, reached);
  drawPace(ts);
  if (!reached) {
    requestAnimationFrame(frame);
    return;
  }
  if (question != null) {
    lesson.stoppedAt(question);
    pause();
    $('step-status').textContent = 'The lesson asks a question: predict, then Reveal (or press Play to go on).';
    return;
  }
  if (ended) {
    pause();
    $('step-status').textContent = `End of the scenario (${formatSeconds(dur, 1000)}). Play goes on from here.`;
    return;
  }
  requestAnimationFrame(frame);
}

/**
 * Fit the simulation's share of the next frames to what the rest of a frame costs. The trace records a
 * frame's simulation writes must then be taken in and drawn, at a cost that grows with them: at hundreds of
 * times real time that is as much again as the simulation, and frames of 20 ms would drop the page to 40 fps.
 * So while the simulation is what limits the pace (it did not reach its target), its share shrinks until the
 * whole frame fits FRAME_SCRIPT_MS: virtual time goes a little slower (see drawPace), the page stays smooth.
 */
function fitFrame(spentMs, reached) {
  state.frameMs = state.frameMs ? 0.7 * state.frameMs + 0.3 * spentMs : spentMs;
  const ratio = reached ? 1.1 : Math.min(1.1, Math.max(0.7, FRAME_SCRIPT_MS / state.frameMs));
  state.simBudgetMs = Math.min(SIM_BUDGET_MS, Math.max(MIN_SIM_MS, state.simBudgetMs * ratio));
}

/**
 * Beside the clock while playing: the speed of virtual time actually reached, when it is short of the speed
 * chosen (a large deployment at 1000× asks more of the simulation than a frame has). Hidden otherwise.
 */
function restartPace() {
  state.pace = { ts: performance.now(), virtual: state.sim.now() };
}

function drawPace(ts) {
  const el = $('pace');
  // The pace takes the place of the clock's label (of about its width), so that the bar does not shift.
  const label = el.parentNode.querySelector('.clock-label');
  if (ts == null) {
    el.hidden = true;
    label.hidden = false;
    return;
  }
  const p = state.pace;
  if (!p || ts - p.ts < PACE_EVERY_MS) return;
  const pace = (state.sim.now() - p.virtual) / (ts - p.ts);
  state.pace = { ts, virtual: state.sim.now() };
  state.paceMeasured = { from: p, to: state.pace, pace };
  const short = pace < 0.9 * state.speed;
  if (short) setText(el, `≈${pace >= 10 ? Math.round(pace) : pace.toFixed(1)}× reached`);
  if (el.hidden === short) {
    el.hidden = !short;
    label.hidden = short;
  }
}

function step() {
  const sim = state.sim;
  if (!sim) return;
  pause();
  const before = sim.traceLen();
  const t = guarded('Step failed', () => sim.step());
  if (t === undefined) return;
  if (t < 0) {
    $('step-status').textContent = 'Nothing left to happen.';
  } else {
    const lines = sim.traceText(before).split('\n').map((l) => l.trim()).filter(Boolean);
    $('step-status').textContent = lines.length ? lines.slice(0, 3).join('  ·  ') + (lines.length > 3 ? '  …' : '') : `${formatSeconds(t)}`;
  }
  state.virtual = sim.now();
  stale();
  refresh();
}

/**
 * Run the simulation towards `target` for at most about `budgetMs` of wall time, in chunks of virtual time
 * sized from how long the last ones took.
 */
function advanceFor(target, budgetMs) {
  const sim = state.sim;
  const start = performance.now();
  while (sim.now() < target) {
    const c0 = performance.now();
    advance(Math.min(target, sim.now() + Math.max(1, Math.round(state.chunkMs))));
    const c1 = performance.now();
    if (c1 - c0 < budgetMs / 8) state.chunkMs = Math.min(60000, state.chunkMs * 2);
    else if (c1 - c0 > budgetMs / 2) state.chunkMs = Math.max(1, state.chunkMs / 2);
    if (c1 - start >= budgetMs) break;
  }
}

/**
 * Run the simulation to `target`, stopping a millisecond before each scripted crash or power cut to look at
 * the host's disk, so the disk panel can show what the fault took.
 */
function advance(target) {
  const sim = state.sim;
  for (const a of state.scripted) {
    if (a.at <= sim.now() || a.at > target) continue;
    // seek() forwards is runUntil(), except that after a seek backwards it restores a later checkpoint of
    // the future already run instead of replaying all of it.
    sim.seek(a.at - 1);
    const snapBefore = sim.snapshot();
    const before = diskOf(snapBefore, a.host);
    const was = faultable(snapBefore, a);
    sim.seek(a.at);
    const snap = sim.snapshot();
    // Only when the fault happened now (a power cut on a host already off does nothing).
    if (before && was && !faultable(snap, a)) recordCut(a.host, a.do, a.at, before, snap);
  }
  if (target > sim.now()) sim.seek(target);
}

/** Whether a scripted fault would still do something: its host has power, its process runs. */
function faultable(snap, a) {
  const host = snap.hosts.find((h) => h.name === a.host);
  if (!host || host.powered === false) return false;
  if (a.do !== 'crash') return true;
  const p = snap.processes.find((q) => q.name === a.process);
  return !!p && p.state !== 'crashed';
}

function diskOf(snap, hostName) {
  const h = snap.hosts.find((x) => x.name === hostName);
  return h && h.disk && h.disk.length ? new Map(h.disk.map((f) => [f.path, { bytes: f.bytes, syncedBytes: f.syncedBytes }])) : null;
}

function recordCut(hostName, what, t, before, snapAfter) {
  const after = diskOf(snapAfter, hostName) || new Map();
  let lost = 0;
  for (const [path, b] of before) lost += Math.max(0, b.bytes - (after.get(path)?.bytes ?? 0));
  state.cuts.set(hostName, { what: what === 'power_off' ? 'power loss' : 'crash', t, files: before, lostBytes: lost });
}

function runUntil(ms) {
  const sim = state.sim;
  if (!sim) return;
  guarded('The simulation stopped', () => advance(ms));
  state.virtual = sim.now();
  stale();
  refresh();
}

function inject(action) {
  const sim = state.sim;
  if (!sim) return undefined;
  // A crash or a power cut made here: look at the disk just before and just after it.
  let host = null;
  let before = null;
  if (action.do === 'power_off' || action.do === 'crash') {
    const snap = sim.snapshot();
    host = action.do === 'power_off' ? action.host : snap.processes.find((p) => p.name === action.process)?.host;
    before = host ? diskOf(snap, host) : null;
  }
  state.index.forgetAhead();
  const r = guarded('That action failed', () => sim.inject(JSON.stringify(action)));
  if (before && r !== undefined) recordCut(host, action.do, sim.now(), before, sim.snapshot());
  stale();
  refresh();
  return r;
}

/** Type `line` into the console attached to `server`, as a learner would: it shows there, with its reply. */
function commandOn(server, line) {
  con.target = server;
  return con.submit(line);
}

function select(id) {
  const snap = state.snapshot;
  const p = snap && snap.processes.find((q) => q.id === id);
  if (!p) return;
  state.selected = id;
  if (p.kind === 'server' || p.kind === 'sentinel') con.target = p.name;
  draw();
}

/**
 * Step the simulation event by event until a new trace record satisfies `pred` (or `limitMs` of virtual
 * time pass), then redraw. Returns that record, or null. For tests and for curious learners:
 * `app.stepUntil((r) => r.type === 'sentinel' && r.event === '+odown')`.
 */
function stepUntil(pred, limitMs = 60000) {
  const sim = state.sim;
  if (!sim) return null;
  pause();
  const stop = sim.now() + limitMs;
  let found = null;
  guarded('The simulation stopped', () => {
    while (!found) {
      const cursor = sim.traceLen();
      const t = sim.step();
      if (t < 0) break;
      const recs = sim.eventsSince(cursor);
      found = recs.find(pred) || null;
      if (t > stop) break;
    }
  });
  state.virtual = sim.now();
  stale();
  refresh();
  return found;
}

// ---------------------------------------------------------------------------------------------- time travel

/** Go to virtual time `ms`, backwards (the core restores a checkpoint and replays) or forwards. */
function seekTo(ms) {
  const sim = state.sim;
  if (!sim) return;
  pause();
  const t = Math.max(0, Math.round(ms));
  if (t === sim.now()) return;
  guarded('Could not go to that time', () => (t > sim.now() ? advance(t) : sim.seek(t)));
  // A crash or power cut the page looked at that is now in the future has not happened yet.
  for (const [host, cut] of state.cuts) if (cut.t > sim.now()) state.cuts.delete(host);
  state.virtual = sim.now();
  stale();
  if (state.focus || state.panMid != null) follow();
  refresh();
}

/** Back to just before the latest event that has happened (the mirror of Step). */
function stepBack() {
  const sim = state.sim;
  if (!sim) return;
  const now = sim.now();
  const n = sim.traceLen();
  if (n === 0 || now === 0) return;
  const last = sim.eventsSince(n - 1)[0];
  const t = last && last.t < now ? last.t : last ? last.t - 1 : now - 1;
  seekTo(Math.max(0, t === now ? now - 1 : t));
  $('step-status').textContent = `Back to ${formatSeconds(sim.now())}: Step goes forward again.`;
}

/** The scenario's description: one line, or all of it. "more" shows only when the line cuts the text. */
function setDescriptionOpen(open) {
  const b = $('description-more');
  $('description').classList.toggle('open', open);
  b.setAttribute('aria-expanded', String(open));
  b.textContent = open ? 'less' : 'more';
  fitDescription();
}

function fitDescription() {
  const t = $('description-text');
  const open = $('description').classList.contains('open');
  setFlag($('description-more'), 'hidden', !open && t.scrollWidth <= t.clientWidth);
}

/** The scrubber spans [0, duration] (or a little past now when the run has gone on longer). */
function drawScrubber(now, dur) {
  const s = $('scrub');
  const max = Math.max(dur, now, 1000);
  if (Number(s.max) !== max) s.max = String(max);
  if (!state.scrubbing && Number(s.value) !== now) s.value = String(now);
  setAttr(s, 'aria-valuetext', `${formatSeconds(now, 100)} of ${formatSeconds(max, 1000)}`);
}

function drawLesson(now, dur) {
  if ($('lesson-panel').hidden) return;
  lesson.update(now, dur, () => state.sim.judge(), state.sim.actions().length);
  const cur = currentStep(lesson.narration, now);
  const n = lesson.narration.length;
  setText($('lesson-progress'), n ? `step ${Math.max(0, cur + 1)} of ${n}` : '');
}

function setLessonOpen(open) {
  document.body.classList.toggle('lesson-collapsed', !open);
  const b = $('lesson-hide');
  b.setAttribute('aria-expanded', String(open));
  b.setAttribute('aria-label', open ? 'Hide the lesson' : 'Show the lesson');
  b.title = open ? 'Hide the lesson' : 'Show the lesson';
  b.textContent = open ? '▸' : '◂ Lesson';
}

// ---------------------------------------------------------------------------------------------- share, export

async function currentFragment() {
  const sim = state.sim;
  return encodeFragment({ source: state.source, json: state.json, seed: sim.seed(), actions: sim.actions(), now: sim.now() });
}

function embedViews() {
  return [...document.querySelectorAll('input[name="embed-view"]:checked')].map((i) => i.value);
}

async function drawEmbedCode() {
  const sim = state.sim;
  if (!sim) return;
  const views = embedViews();
  const plain = sim.actions().length === 0 && sim.now() === 0;
  const title = `redis-ha-sim: ${state.source.kind === 'builtin' ? (state.scenarios.find((s) => s.id === state.source.id)?.name ?? state.source.id) : state.source.name}`;
  const code = embedCode({ views: views.length ? views : ['topology'], autoplay: $('embed-autoplay').checked, source: state.source,
    seed: sim.seed(), fragment: await currentFragment(), plain, title });
  $('embed-code').value = code.html;
  $('embed-code').dataset.src = code.src;
}

async function openShare() {
  const sim = state.sim;
  if (!sim) return;
  pause();
  $('share-status').textContent = '';
  const link = shareLink(await currentFragment());
  $('share-link').value = link;
  await drawEmbedCode();
  const dlg = $('share-dialog');
  if (!dlg.open) dlg.showModal();
  $('share-link').select();
}

async function copyFrom(field, what) {
  const ok = await copyText(field.value, field);
  $('share-status').textContent = ok ? `${what} copied to the clipboard.` : `Select the ${what.toLowerCase()} above and copy it (the clipboard refused).`;
}

function exportWhat(what) {
  const sim = state.sim;
  if (!sim) return;
  pause();
  const base = state.source.kind === 'builtin' ? state.source.id : state.source.name;
  const name = (w, ext) => fileName(base, sim.seed(), sim.now(), w, ext);
  const title = `${base}, seed ${sim.seed()}, at ${formatSeconds(sim.now())}`;
  const svgOf = (id) => $(id).querySelector('svg');
  const bg = getComputedStyle($('topology')).backgroundColor || '#ffffff';
  if (what === 'topology' || what === 'timeline') {
    const svg = svgOf(what);
    if (!svg) return;
    download(name(what, 'svg'), standaloneSvg(svg, { background: bg, title: `${what === 'topology' ? 'Topology' : 'Timeline'} — ${title}` }), 'image/svg+xml');
  } else if (what === 'trace') {
    download(name('trace', 'jsonl'), `${sim.traceJson()}\n`, 'application/x-ndjson');
  } else if (what === 'session') {
    download(name('session', 'json'), `${sim.exportSession()}\n`, 'application/json');
  } else if (what === 'config') {
    download(name('redis-config', 'txt'), sim.deploymentText(), 'text/plain');
  }
}

function setExportMenu(open) {
  $('export-list').hidden = !open;
  $('export').setAttribute('aria-expanded', String(open));
  if (open) $('export-list').querySelector('button')?.focus();
}

/** Open the session a share link describes. Returns true when it did; on failure says why. */
async function openShared(hash) {
  let shared;
  try {
    shared = await decodeFragment(hash, state.scenarios);
  } catch (e) {
    showError('Could not open this link', messageOf(e));
    return false;
  }
  let sim;
  try {
    sim = state.wasm.Simulation.fromSession(shared.session);
  } catch (e) {
    showError('Could not replay this link\'s session', `${messageOf(e)}\n\nThe link may come from another version of the simulator, or it was cut short when it was copied.`);
    return false;
  }
  return shared.source.kind === 'builtin'
    ? start(shared.json, shared.seed, shared.source, sim)
    : loadJson(shared.json, shared.seed, shared.source.name, sim);
}

// ---------------------------------------------------------------------------------------------- controls

const con = new Console($('console'), $('console-target'), {
  run: (target, line) => {
    state.index.forgetAhead();
    const reply = state.sim.command(target, line);
    stale();
    refresh();
    return reply;
  },
  prompt: (target) => {
    const p = state.snapshot && state.snapshot.processes.find((q) => q.name === target);
    // redis-cli shows "not connected> " once the server has gone away.
    return p && p.state !== 'crashed' ? `${p.address || p.name}> ` : 'not connected> ';
  },
  onSelect: (target) => {
    const p = state.snapshot && state.snapshot.processes.find((q) => q.name === target);
    if (p) select(p.id);
  },
  // The typed command is the last console record (run() has taken it into the index).
  blocked: () => {
    const c = state.index.consoles;
    return c.length ? { at: c.length - 1, t: c[c.length - 1].t, proc: c[c.length - 1].proc } : null;
  },
});

const lesson = new LessonPanel($('lesson-body'), { seek: seekTo });
lesson.onChange = () => draw();

// The Network tool (network.js): partitions, heal, link latency / jitter / loss, all through inject().
const network = new NetworkTool({
  snapshot: () => state.snapshot,
  selected: () => selectedProcess(),
  inject,
  pause,
});

// ---------------------------------------------------------------------------------------------- picker

/**
 * Ask for a server (and optionally a second one) in a small modal dialog. `options` are [{value, text}];
 * `preview(value, value2)` says what will run. Resolves to {value, value2}, or null when cancelled.
 */
function pick({ title, text, label, options, selected, label2 = null, options2 = null, selected2 = '', ok, preview }) {
  const dlg = $('picker');
  $('picker-title').textContent = title;
  $('picker-text').textContent = text;
  $('picker-label').textContent = label;
  $('picker-ok').textContent = ok;
  const fill = (sel, opts, value) => {
    sel.innerHTML = '';
    for (const o of opts) {
      const el = document.createElement('option');
      el.value = o.value;
      el.textContent = o.text;
      sel.append(el);
    }
    if (opts.some((o) => o.value === value)) sel.value = value;
  };
  fill($('picker-select'), options, selected);
  $('picker-row2').hidden = !options2;
  if (options2) {
    $('picker-label2').textContent = label2;
    fill($('picker-select2'), options2, selected2);
  }
  const update = () => {
    $('picker-preview').textContent = preview($('picker-select').value, options2 ? $('picker-select2').value : null);
  };
  update();
  $('picker-select').onchange = update;
  $('picker-select2').onchange = update;
  pause();
  return new Promise((resolve) => {
    dlg.onclose = () => {
      resolve(dlg.returnValue === 'ok' ? { value: $('picker-select').value, value2: options2 ? $('picker-select2').value : null } : null);
    };
    dlg.returnValue = '';
    dlg.showModal();
    $('picker-select').focus();
  });
}

function serverOptions(snap, except = null) {
  return snap.processes
    .filter((q) => q.kind === 'server' && q.id !== except)
    .map((q) => {
      const how = q.hostPowered === false ? 'host powered off' : q.state !== 'up' ? q.state : q.role;
      return { value: q.name, text: `${q.name} — ${q.address} (${how})` };
    });
}

async function replicateFrom() {
  const p = selectedProcess();
  const snap = state.snapshot;
  if (!p || p.kind !== 'server') return;
  const options = serverOptions(snap, p.id);
  const current = p.replication && p.replication.master != null ? snap.processes.find((q) => q.id === p.replication.master) : null;
  const byName = (name) => snap.processes.find((q) => q.name === name);
  const line = (name) => {
    const [ip, port] = splitAddress(byName(name).address);
    return `REPLICAOF ${ip} ${port}`;
  };
  const preferred = current ? current.name : (options.find((o) => byName(o.value).role === 'master' && byName(o.value).state === 'up') || options[0] || {}).value;
  const got = await pick({
    title: `Make ${p.name} replicate from…`,
    text: `${p.name} drops its data, copies the chosen server's (a partial resync when their histories match, ` +
      'a full snapshot otherwise) and then follows its stream.',
    label: 'Master',
    options,
    selected: preferred,
    ok: 'Replicate',
    preview: (v) => `${p.address}> ${line(v)}`,
  });
  if (got) commandOn(p.name, line(got.value));
}

async function repointTo() {
  const p = selectedProcess();
  const snap = state.snapshot;
  if (!p || p.kind !== 'client') return;
  const options = serverOptions(snap);
  const nameOf = (id) => snap.processes.find((q) => q.id === id)?.name;
  const split = p.readTarget != null && p.readTarget !== p.target;
  const keep = split ? `keep reading from ${nameOf(p.readTarget)}` : 'with the writes';
  const options2 = [{ value: '', text: keep }, ...options.map((o) => ({ value: o.value, text: o.text }))];
  const preferred = (options.find((o) => {
    const q = snap.processes.find((x) => x.name === o.value);
    return q.role === 'master' && q.state === 'up' && q.hostPowered !== false;
  }) || options[0] || {}).value;
  const got = await pick({
    title: `Repoint ${p.name} to…`,
    text: 'After a manual promotion nothing tells the application where the new master is: an operator changes its configuration.',
    label: 'Send writes to',
    options,
    selected: preferred,
    label2: 'Reads go to',
    options2,
    selected2: '',
    ok: 'Repoint',
    preview: (v, r) => JSON.stringify(repointAction(p.name, v, r)),
  });
  if (got) inject(repointAction(p.name, got.value, got.value2));
}

function repointAction(process, target, readTarget) {
  const a = { do: 'repoint', process, target };
  if (readTarget) a.read_target = readTarget;
  return a;
}

function splitAddress(address) {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

// Where Space must type a space. A focused <select> is not one of them: after picking a speed, Space
// should start playback rather than reopen the list.
function isTyping(el) {
  return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}

// Controls that Space presses (or toggles), when the keyboard put the focus there. A button clicked with the
// mouse keeps the focus in Chrome (unshown: no :focus-visible), and Space must still play rather than press
// it again; :focus-visible itself cannot tell, as Chrome turns it on at the key press.
const SPACE_CONTROLS = 'button, a[href], summary, [role="button"], [role="link"], [role="tab"], [role="checkbox"], [role="switch"], [role="menuitem"]';
const pointerFocused = new WeakSet(); // elements that got the focus from a click or a touch
let pointerInput = false;
addEventListener('pointerdown', (e) => {
  pointerInput = true;
  // A click on what has the focus already fires no focusin.
  if (document.activeElement?.contains(e.target)) pointerFocused.add(document.activeElement);
}, true);
addEventListener('keydown', () => { pointerInput = false; }, true);
addEventListener('focusin', (e) => {
  if (pointerInput) pointerFocused.add(e.target);
  else pointerFocused.delete(e.target);
}, true);

function usesSpace(el) {
  return !!(el && el.matches && el.matches(SPACE_CONTROLS) && !el.disabled && !pointerFocused.has(el));
}

/**
 * The topology is updated in place (morph.js), but a card is still replaced when the layout puts another
 * process where it was (a cluster's shards regrouped, say). When the card that had the keyboard focus goes,
 * focus the same process's new card: else a keyboard user would be thrown back to the top of the page.
 */
function keepCardFocus(topo) {
  let focused = null; // the data-proc-id of the card with the focus
  topo.addEventListener('focusin', (e) => {
    focused = e.target.closest && e.target.closest('[data-proc-id]') ? e.target.dataset.procId : null;
  });
  // Chrome fires focusout for a removed element while it is still in the page: it is a real blur (the
  // learner moved on) only if the card is still there once the redraw is over.
  topo.addEventListener('focusout', (e) => {
    if (e.relatedTarget) focused = null;
    else queueMicrotask(() => { if (e.target.isConnected) focused = null; });
  });
  new MutationObserver(() => {
    const active = document.activeElement;
    if (focused == null || (active && active !== document.body)) return;
    topo.querySelector(`[data-proc-id="${focused}"]`)?.focus({ preventScroll: true });
  }).observe(topo, { childList: true, subtree: true });
}

function wireControls() {
  $('play').addEventListener('click', () => (state.playing ? pause() : play()));
  $('step').addEventListener('click', step);
  $('speed').addEventListener('change', (e) => {
    state.speed = Number(e.target.value);
    if (state.playing) restartPace(); // measured afresh at the new speed
  });
  $('window').addEventListener('change', (e) => {
    setWindow(Number(e.target.value));
    if (state.panMid != null) panTo(state.panMid);
    draw();
  });
  wireTimeline();
  $('scenario').addEventListener('change', (e) => {
    if (e.target.value !== '__file__') loadBuiltin(e.target.value);
  });
  $('seed').addEventListener('change', () => reload());
  $('new-seed').addEventListener('click', () => {
    const seed = guarded('Could not pick a seed', () => state.wasm.randomSeed());
    if (seed !== undefined) reload(seed);
  });
  $('reset').addEventListener('click', () => reload());
  $('load-json').addEventListener('click', () => $('load-json-file').click());
  $('load-json-file').addEventListener('change', async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    loadJson(await file.text(), seedFromField(), file.name);
    e.target.value = '';
  });
  $('kill').addEventListener('click', () => {
    const p = selectedProcess();
    if (p) inject({ do: 'crash', process: p.name });
  });
  $('restart').addEventListener('click', () => {
    const p = selectedProcess();
    if (p) inject({ do: 'restart', process: p.name });
  });
  $('promote').addEventListener('click', () => {
    const p = selectedProcess();
    if (p && p.kind === 'server') commandOn(p.name, 'REPLICAOF NO ONE');
  });
  $('replicate').addEventListener('click', replicateFrom);
  $('repoint').addEventListener('click', repointTo);
  $('power').addEventListener('click', () => {
    const p = selectedProcess();
    if (p) inject({ do: p.hostPowered === false ? 'power_on' : 'power_off', host: p.host });
  });
  $('pause-proc').addEventListener('click', () => {
    const p = selectedProcess();
    if (p) inject({ do: p.state === 'paused' ? 'resume' : 'pause', process: p.name });
  });
  $('isolate').addEventListener('click', () => {
    const p = selectedProcess();
    if (p) network.open({ isolate: p.host });
  });
  $('network').addEventListener('click', () => network.open());
  $('net-heal-now').addEventListener('click', () => inject({ do: 'heal' }));
  $('follow').addEventListener('click', follow);
  $('gossip').addEventListener('change', (e) => {
    state.gossip = e.target.checked;
    draw();
  });
  $('heartbeats').addEventListener('change', (e) => {
    state.heartbeats = e.target.checked;
    draw();
  });
  // A lost write or a window without a master, clicked in the checks panel: show that moment.
  $('checks').addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('[data-at]');
    if (!b) return;
    const t1 = b.dataset.until ? Number(b.dataset.until) : null;
    focusTime(Number(b.dataset.at), t1, b.dataset.label || '');
  });
  $('console-clear').addEventListener('click', () => con.clear());
  $('tab-events').addEventListener('click', () => setSideTab('events'));
  $('tab-console').addEventListener('click', () => setSideTab('console'));
  $('events-filter').addEventListener('change', (e) => {
    state.eventsFilter = e.target.value === '' ? null : Number(e.target.value);
    drawEvents();
  });
  $('events-important').addEventListener('change', (e) => {
    state.eventsImportant = e.target.checked;
    drawEvents();
  });
  $('event-log').addEventListener('scroll', (e) => {
    const log = e.target;
    state.eventsFollow = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  });
  // An event clicked in the log: show that moment on the timeline.
  $('event-log').addEventListener('click', (e) => {
    const li = e.target.closest && e.target.closest('[data-t]');
    if (!li) return;
    focusTime(Number(li.dataset.t), null, `${li.querySelector('.ev-who')?.textContent ?? ''} ${li.dataset.event}`);
  });
  $('error-close').addEventListener('click', hideError);
  $('scrub').addEventListener('input', (e) => {
    state.scrubbing = true;
    seekTo(Number(e.target.value));
  });
  $('scrub').addEventListener('change', () => {
    state.scrubbing = false;
    draw();
  });
  // The slider's step is 1 ms, so that dragging reaches any moment; its keys would move by that step too
  // (30 000 presses for a 30 s run). The arrows move 1% of the run, Page Up / Down 10%, Home / End the ends.
  $('scrub').addEventListener('keydown', (e) => {
    const s = e.target;
    const max = Number(s.max);
    const small = Math.max(10, Math.round(max / 100));
    const by = { ArrowRight: small, ArrowUp: small, ArrowLeft: -small, ArrowDown: -small,
      PageUp: small * 10, PageDown: -small * 10, Home: -Infinity, End: Infinity }[e.key];
    if (by == null || e.ctrlKey || e.metaKey || e.altKey || !state.sim) return;
    e.preventDefault();
    const t = Math.max(0, Math.min(max, Number(s.value) + by));
    s.value = String(t);
    seekTo(t);
  });
  $('description-more').addEventListener('click', () => setDescriptionOpen(!$('description').classList.contains('open')));
  new ResizeObserver(fitDescription).observe($('description'));
  $('lesson-hide').addEventListener('click', () => setLessonOpen(document.body.classList.contains('lesson-collapsed')));
  $('share').addEventListener('click', () => {
    openShare().catch((e) => showError('Could not make a share link', messageOf(e)));
  });
  $('share-copy').addEventListener('click', () => copyFrom($('share-link'), 'Link'));
  $('embed-copy').addEventListener('click', () => copyFrom($('embed-code'), 'Embed code'));
  $('share-dialog').addEventListener('change', (e) => {
    if (e.target.name === 'embed-view' || e.target.id === 'embed-autoplay') drawEmbedCode();
  });
  $('export').addEventListener('click', () => setExportMenu($('export-list').hidden));
  $('export-list').addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('[data-export]');
    if (!b) return;
    setExportMenu(false);
    guarded('Export failed', () => exportWhat(b.dataset.export));
  });
  document.addEventListener('click', (e) => {
    if (!$('export-list').hidden && !$('export-menu').contains(e.target)) setExportMenu(false);
  });
  $('export-menu').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      setExportMenu(false);
      $('export').focus();
    }
  });
  window.addEventListener('hashchange', () => {
    if (state.wasm && location.hash.length > 1) openShared(location.hash);
  });

  const topo = $('topology');
  topo.addEventListener('scroll', moreBelow, { passive: true });
  new ResizeObserver(moreBelow).observe(topo);
  const pick = (e) => {
    const g = e.target.closest && e.target.closest('[data-proc-id]');
    if (g) return select(Number(g.dataset.procId));
    // A click on a host box selects its server (its disk shows in the inspector), else its first process.
    const h = e.target.closest && e.target.closest('[data-host]');
    const snap = state.snapshot;
    if (!h || !snap) return undefined;
    const procs = snap.processes.filter((p) => p.host === h.dataset.host);
    const p = procs.find((q) => q.kind === 'server') || procs[0];
    return p ? select(p.id) : undefined;
  };
  topo.addEventListener('click', pick);
  // A card is a button (tabindex, role): Enter or Space selects it, as they press any button.
  topo.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') pick(e);
    else if (e.code === 'Space' && usesSpace(e.target)) {
      e.preventDefault(); // not a scroll either
      if (!e.repeat) pick(e);
    }
  });
  keepCardFocus(topo);

  // Space plays and pauses unless the focus is on something Space works: a field being typed in, a button,
  // link, checkbox or tab the keyboard went to, or anything in a dialog or the Export menu.
  const ownSpace = (e) => isTyping(e.target) || usesSpace(e.target) || !!document.querySelector('dialog[open]') ||
    !!(e.target.closest && e.target.closest('[role="menu"]'));
  document.addEventListener('keydown', (e) => {
    if (e.code !== 'Space' || e.ctrlKey || e.metaKey || e.altKey) return;
    // A link does not answer Space by itself (the page would scroll): it follows it, as a button is pressed.
    if (e.target.matches?.('a[href]') && usesSpace(e.target)) {
      e.preventDefault();
      if (!e.repeat) e.target.click();
      return;
    }
    if (ownSpace(e)) return;
    e.preventDefault();
    if (!e.repeat && state.sim) (state.playing ? pause() : play());
  });
  document.addEventListener('keyup', (e) => {
    if (e.code === 'Space' && !ownSpace(e)) e.preventDefault();
  });
  // Arrows step: → one event forward, ← back to just before the latest event (not while typing, in a list
  // or in a dialog, whose radio buttons and sliders the arrows move).
  document.addEventListener('keydown', (e) => {
    if ((e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') || isTyping(e.target) || e.target.tagName === 'SELECT') return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || document.querySelector('dialog[open]') || !state.sim) return;
    if (e.target.closest && e.target.closest('[role="menu"], .event-log')) return;
    e.preventDefault();
    if (e.key === 'ArrowRight') step();
    else stepBack();
  });

  new ResizeObserver(() => {
    if (!state.playing) draw();
  }).observe($('main'));
}

// ---------------------------------------------------------------------------------------------- start

const app = {
  status: 'loading',
  get sim() { return state.sim; },
  get snapshot() { return state.snapshot; },
  get index() { return state.index; },
  get scenarios() { return state.scenarios; },
  get playing() { return state.playing; },
  get metrics() { return state.metrics; },
  get checks() { return state.checks; },
  get focus() { return state.focus; },
  get wasm() { return state.wasm; },
  get clusterView() { return state.clusterView; },
  get timelinePainter() { return timelinePainter; },
  /** The lanes and view the timeline was last drawn with (`{lanes, ...view}`, as renderTimeline takes them). */
  get timelineView() { return state.tlView; },
  /** The last measure of the pace reached: `{from, to, pace}`, each end `{ts, virtual}` (ts: the frame's). */
  get paceMeasured() { return state.paceMeasured; },
  console: con,
  load: loadBuiltin,
  loadJson,
  reset: () => reload(),
  play,
  pause,
  step,
  runUntil,
  stepUntil,
  seek: seekTo,
  stepBack,
  inject,
  get lesson() { return lesson; },
  network,
  share: async () => shareLink(await currentFragment()),
  openShared,
  exportSvg: (what) => { const svg = $(what).querySelector('svg'); return svg ? standaloneSvg(svg) : null; },
  showTab: setSideTab,
  get cuts() { return state.cuts; },
  command: commandOn,
  focusTime,
  follow,
  select,
  refresh,
  showError,
  error: () => ($('error').hidden ? null : `${$('error-title').textContent}\n${$('error-message').textContent}`),
};
window.app = app;

/** The built-in scenarios' bundle, checked enough that a wrong file is said plainly, not a broken picker. */
async function loadScenarios() {
  const where = SCENARIOS_URL.pathname;
  const res = await fetch(SCENARIOS_URL);
  if (!res.ok) throw new Error(`${where}: HTTP ${res.status} ${res.statusText}`.trim());
  let list;
  try {
    list = await res.json();
  } catch (e) {
    throw new Error(`${where} is not valid JSON: ${messageOf(e)}`);
  }
  if (!Array.isArray(list) || !list.every((s) => s && typeof s.id === 'string' && typeof s.json === 'string')) {
    throw new Error(`${where} is not a list of scenarios [{id, name, description, json}]`);
  }
  return list;
}

async function main() {
  wireControls();
  setEnabled(false);
  const scenarios = loadScenarios(); // in parallel with the wasm package
  scenarios.catch(() => {});         // (its failure is reported below, after the package's)
  const failed = (title, e, what) => {
    app.status = 'failed';
    $('loading').hidden = true;
    showError(title, `${messageOf(e)}\n\n${what} ${BUILD_HINT}`);
  };
  try {
    const wasm = await import(PKG);
    await wasm.default();
    state.wasm = wasm;
  } catch (e) {
    failed('Could not load the simulator', e, 'The WebAssembly package in www/pkg/ is missing or could not be loaded.');
    return;
  }
  try {
    state.scenarios = await scenarios;
  } catch (e) {
    failed('Could not load the built-in scenarios', e, "The scenarios' bundle www/pkg/scenarios.json is missing or could not be read.");
    return;
  }

  const picker = $('scenario');
  for (const s of state.scenarios) {
    const o = document.createElement('option');
    o.value = s.id;
    o.textContent = s.name || s.id;
    o.title = s.description || '';
    picker.append(o);
  }

  const params = new URLSearchParams(location.search);
  const seedParam = params.get('seed');
  const seed = seedParam == null || seedParam === '' ? 1 : Number(seedParam);
  $('seed').value = seedParam ?? '1';
  const wanted = params.get('scenario');
  const first = state.scenarios[0] && state.scenarios[0].id;
  const embed = embedOptions(params);
  if (embed) {
    state.embed = embed.views;
    applyEmbed(embed.views, {
      topology: document.querySelector('.topology-panel'), timeline: document.querySelector('.timeline-panel'),
      inspector: document.querySelector('.inspector-panel'), checks: document.querySelector('.checks-panel'),
      console: document.querySelector('.console-panel'), slots: $('slots-panel'), lesson: $('lesson-panel'),
    });
    const full = new URL(location.href);
    for (const k of ['embed', 'views', 'autoplay']) full.searchParams.delete(k);
    $('open-full').href = full.href;
  }
  // A share link: its fragment says everything; when it cannot be read, say why and show the usual page.
  let sharedError = null;
  if (location.hash.length > 1 && !(await openShared(location.hash))) sharedError = app.error();
  if (state.sim) {
    // opened from the link
  } else if (wanted && !state.scenarios.some((s) => s.id === wanted)) {
    loadBuiltin(wanted, seed); // says what is wrong; then offer the first scenario so the page is usable
    const msg = $('error-message').textContent;
    if (first && start(state.scenarios[0].json, Number.isFinite(seed) ? seed : 1, { kind: 'builtin', id: first })) {
      showError(`Unknown scenario "${wanted}"`, `${msg}\nShowing "${first}" instead.`);
    }
  } else if (first) {
    loadBuiltin(wanted || first, seed);
  }
  if (sharedError) {
    const [title, ...rest] = sharedError.split('\n');
    const shown = state.source ? `\n\nShowing "${state.source.kind === 'builtin' ? state.source.id : state.source.name}" from the start instead.` : '';
    showError(title, rest.join('\n') + shown);
  } else if (embed && embed.error && $('error').hidden) {
    showError('Some views could not be shown', embed.error);
  }
  $('loading').hidden = true;
  setEnabled(!!state.sim);
  if (!state.sim) con.setTargets([]);
  if (params.get('autoplay') === '1') play();
  app.status = 'ready';
}

main().catch((e) => {
  app.status = 'failed';
  $('loading').hidden = true;
  showError('The page failed to start', messageOf(e));
});
