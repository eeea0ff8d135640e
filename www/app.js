// Wiring: loads the wasm package, owns the current `Simulation`, and connects the controls to it. Everything
// on screen is drawn from `snapshot()` and trace records; no simulation logic lives in the page.
//
// `window.app` exposes the current simulation and a few helpers for tests and for curious learners in the
// browser console (`app.sim.traceText(0)`).

import { renderTopology, esc, linkStatus, sentinelView, failoverWord } from './topology.js';
import { TimelineIndex, renderTimeline, formatSeconds, OUTCOMES } from './timeline.js';
import { Console } from './console.js';
import { renderChecks } from './checks.js';
import { renderDisk } from './disk.js';
import { renderEventLog, renderVotes, latestLeader } from './sentinel.js';
import { clusterView, renderSlotMap, layoutHosts, clusterOverlay, resetClusterLayout, clusterWidth } from './cluster.js';

const PKG = './pkg/redis_ha_sim_web.js';
const BUILD_HINT = 'Build it from the repository root with:\n  wasm-pack build web --release --target web --out-dir ../www/pkg --no-pack';
const MAX_FRAME_MS = 250;      // a frame after a long stall (hidden tab) advances at most this much real time
const STEP_HINT = '— press Step to process one event and see it described here';
const FIGURES_EVERY_MS = 200;  // metrics() and checks() walk the whole trace: refresh them a few times a second
const WINDOWS = [100, 1000, 5000, 20000, 60000]; // the timeline window choices, as in index.html

const $ = (id) => document.getElementById(id);

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
  figuresTs: -Infinity,
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

/** Replace the running simulation. Returns true on success; on failure the old one keeps running. */
function start(json, seed, source) {
  let sim;
  try {
    sim = new state.wasm.Simulation(json, seed);
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
  state.virtual = 0;
  state.figuresTs = -Infinity;
  state.focus = null;
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
  $('description').textContent = description || '';
  $('description').title = description || '';
  $('description').hidden = !description;

  if (source.kind === 'builtin') {
    $('scenario').value = source.id;
    const url = new URL(location.href);
    url.searchParams.set('scenario', source.id);
    url.searchParams.set('seed', String(seed));
    history.replaceState(null, '', url);
  }
  con.clear();
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
  setEnabled(true);
  refresh();
  return true;
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

function loadJson(json, seed = seedFromField(), name = 'scenario file') {
  const ok = start(json, seed, { kind: 'file', name });
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
  if (f) {
    // A moment the learner asked to see sits in the middle (never before time zero).
    const mid = (f.t + (f.t1 ?? f.t)) / 2;
    const t0 = Math.max(0, mid - w / 2);
    return { t0, t1: t0 + w };
  }
  // "Now" sits near the right edge, leaving room to see in-flight messages heading for their delivery.
  const t1 = Math.max(w, now + w * 0.12);
  return { t0: t1 - w, t1 };
}

/**
 * Show a moment (or an interval) of the past in the timeline without moving the simulation: the checks
 * judge the run as it is now, and seeking back would change them. "Follow now" (or Play) returns.
 */
function focusTime(t, t1 = null, label = '') {
  pause();
  state.focus = { t, t1, label };
  const span = t1 == null ? 0 : t1 - t;
  if (span * 1.25 > state.windowMs) {
    const w = WINDOWS.find((x) => x >= span * 1.25) ?? WINDOWS[WINDOWS.length - 1];
    state.windowMs = w;
    $('window').value = String(w);
  }
  $('follow').hidden = false;
  draw();
}

function follow() {
  state.focus = null;
  $('follow').hidden = true;
  draw();
}

/** Pull new trace records and a fresh snapshot, then redraw. */
function refresh() {
  const sim = state.sim;
  if (!sim) return;
  const n = sim.traceLen();
  if (n < state.index.length) state.index.truncate(n);
  if (n > state.index.length) state.index.add(sim.eventsSince(state.index.length));
  state.snapshot = sim.snapshot();
  draw();
}

function draw() {
  const snap = state.snapshot;
  const sim = state.sim;
  if (!snap || !sim) return;
  const now = sim.now();
  const topoEl = $('topology');
  const tlEl = $('timeline');
  const topoSize = [topoEl.clientWidth, topoEl.clientHeight];
  const tlSize = [tlEl.clientWidth, tlEl.clientHeight];

  if (state.cluster) updateCluster(now);
  const view = state.cluster ? state.clusterView : null;
  // A cluster is laid out one column per shard (plus one for clients and tools), scaled down to fit if need be.
  const topoW = view ? Math.max(topoSize[0], clusterWidth(snap, view)) : topoSize[0];
  const shown = view ? { ...snap, hosts: layoutHosts(snap, view, topoW, topoSize[1]) } : snap;
  let topo = renderTopology(shown, { width: topoW, height: topoSize[1], selected: state.selected, leader: latestLeader(state.index) });
  if (view) topo = clusterOverlay(topo, shown, view, topoW, topoSize[1], topoSize[0], topoSize[1]);
  if (topo !== state.drawn.topo) {
    topoEl.innerHTML = topo;
    state.drawn.topo = topo;
  }

  const { t0, t1 } = timeWindow(now);
  drawFigures();
  const tl = renderTimeline(state.index, lanesOf(snap), { t0, t1, now, width: tlSize[0], height: tlSize[1],
    heartbeats: state.heartbeats, gossip: state.gossip, nodeNames: view ? new Map(view.nodes.map((n) => [n.id.slice(0, 8), n.name])) : null,
    // checks() judges against one serving master; in a cluster (its panel hidden) its lost writes are not drawn.
    checks: state.cluster ? null : state.checks, focus: state.focus });
  if (tl !== state.drawn.timeline) {
    tlEl.innerHTML = tl;
    state.drawn.timeline = tl;
  }

  $('time').textContent = `${(now / 1000).toFixed(3)} s`;
  const dur = sim.durationMs();
  $('duration').textContent = dur > 0 ? `/ ${formatSeconds(dur, 1000)}` : '';
  $('progress-fill').style.width = dur > 0 ? `${Math.min(100, (100 * now) / dur)}%` : '0%';

  if (state.cluster) {
    const slots = renderSlotMap(view, { width: Math.min(170, $('slotmap').clientWidth * 0.45) });
    if (slots !== state.drawn.slots) {
      $('slotmap').innerHTML = slots;
      state.drawn.slots = slots;
    }
  }
  drawSelection(snap);
  drawInspector(snap);
  drawEvents();
  con.refreshPrompt();
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
  const key = `${state.index.sentinel.length}|${state.eventsFilter}|${state.eventsImportant}`;
  const log = $('event-log');
  if (key !== state.drawn.events) {
    log.innerHTML = renderEventLog(state.index, nameOf, { proc: state.eventsFilter, important: state.eventsImportant });
    state.drawn.events = key;
  }
  // Keep following the newest line unless the learner scrolled up to read older ones.
  if (state.eventsFollow && log.scrollTop + log.clientHeight < log.scrollHeight - 2) log.scrollTop = log.scrollHeight;
}

function selectedProcess(snap = state.snapshot) {
  return snap ? snap.processes.find((p) => p.id === state.selected) : null;
}

const ACTIONS = ['kill', 'restart', 'promote', 'replicate', 'repoint', 'power'];

function setButton(id, { show = true, enabled = true, label, text, title }) {
  const b = $(id);
  b.hidden = !show;
  b.disabled = !enabled;
  if (label) b.setAttribute('aria-label', label);
  if (text != null && b.textContent !== text) b.textContent = text;
  if (title) b.title = title;
}

function drawSelection(snap) {
  const p = selectedProcess(snap);
  $('selected-name').textContent = p ? p.name : '—';
  $('selected-kind').textContent = p ? `${p.role || p.kind} on ${p.host}` : '';
  if (!p || !state.sim) {
    for (const id of ACTIONS) $(id).disabled = true;
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
}

/** Refresh metrics() and checks() (they walk the whole trace, so a few times a second while playing). */
function drawFigures(force = false) {
  const ts = performance.now();
  if (!force && state.playing && ts - state.figuresTs < FIGURES_EVERY_MS) return;
  state.figuresTs = ts;
  drawMetrics();
  drawChecks();
}

function drawChecks() {
  let checks = null;
  try {
    checks = state.sim.checks();
  } catch (e) {
    console.warn(`checks() failed: ${messageOf(e)}`);
  }
  state.checks = checks;
  const html = renderChecks(checks, state.snapshot);
  $('checks-when').textContent = `as of ${formatSeconds(state.sim.now())}`;
  if (html !== state.drawn.checks) {
    $('checks').innerHTML = html;
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
    $('metrics').innerHTML = html;
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
      rows.push([split ? 'writes to' : 'sends to', nameOf(p.target)]);
      if (split) rows.push(['reads from', nameOf(p.readTarget)]);
      rows.push(['in flight', String(p.inFlight ?? 0)]);
      const t = state.clients.find((c) => c.client === p.id);
      if (t) rows.push(['outcomes', OUTCOMES.map((o) => `<span class="metric ${o}"><i class="sw ${o}"></i>${o} <b>${t[o === 'error' ? 'errors' : o === 'timeout' ? 'timeouts' : o]}</b></span>`).join(' '), 'wide']);
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
  if (state.focus) follow();
  state.playing = true;
  state.virtual = sim.now();
  const dur = sim.durationMs();
  state.stopAtEnd = dur > 0 && sim.now() < dur;
  state.lastTs = performance.now();
  drawPlayButton();
  requestAnimationFrame(frame);
}

function pause() {
  if (!state.playing) return;
  state.playing = false;
  drawPlayButton();
  if (state.sim) {
    drawFigures(true);
    draw();
  }
}

function drawPlayButton() {
  const b = $('play');
  b.querySelector('.icon').textContent = state.playing ? '❚❚' : '▶';
  b.querySelector('.label').textContent = state.playing ? 'Pause' : 'Play';
  b.setAttribute('aria-label', state.playing ? 'Pause' : 'Play');
  b.setAttribute('aria-pressed', String(state.playing));
}

function frame(ts) {
  if (!state.playing || !state.sim) return;
  const sim = state.sim;
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
  if (target > sim.now()) {
    guarded('The simulation stopped', () => advance(target));
    if (!state.playing) return; // it failed: guarded() paused and said why
  }
  refresh();
  if (ended) {
    pause();
    $('step-status').textContent = `End of the scenario (${formatSeconds(dur, 1000)}). Play goes on from here.`;
    return;
  }
  requestAnimationFrame(frame);
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
  state.figuresTs = -Infinity;
  refresh();
}

/**
 * Run the simulation to `target`, stopping a millisecond before each scripted crash or power cut to look at
 * the host's disk, so the disk panel can show what the fault took.
 */
function advance(target) {
  const sim = state.sim;
  for (const a of state.scripted) {
    if (a.at <= sim.now() || a.at > target) continue;
    sim.runUntil(a.at - 1);
    const snapBefore = sim.snapshot();
    const before = diskOf(snapBefore, a.host);
    const was = faultable(snapBefore, a);
    sim.runUntil(a.at);
    const snap = sim.snapshot();
    // Only when the fault happened now (a power cut on a host already off does nothing).
    if (before && was && !faultable(snap, a)) recordCut(a.host, a.do, a.at, before, snap);
  }
  if (target > sim.now()) sim.runUntil(target);
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
  state.figuresTs = -Infinity;
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
  const r = guarded('That action failed', () => sim.inject(JSON.stringify(action)));
  if (before && r !== undefined) recordCut(host, action.do, sim.now(), before, sim.snapshot());
  state.figuresTs = -Infinity;
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
  state.figuresTs = -Infinity;
  refresh();
  return found;
}

// ---------------------------------------------------------------------------------------------- controls

const con = new Console($('console'), $('console-target'), {
  run: (target, line) => {
    const reply = state.sim.command(target, line);
    state.figuresTs = -Infinity;
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

function wireControls() {
  $('play').addEventListener('click', () => (state.playing ? pause() : play()));
  $('step').addEventListener('click', step);
  $('speed').addEventListener('change', (e) => {
    state.speed = Number(e.target.value);
  });
  $('window').addEventListener('change', (e) => {
    state.windowMs = Number(e.target.value);
    draw();
  });
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

  const topo = $('topology');
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
  topo.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') pick(e);
  });

  // Space plays and pauses unless the learner is typing; on a focused button it must not also click it.
  document.addEventListener('keydown', (e) => {
    if (e.code !== 'Space' || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey || $('picker').open) return;
    e.preventDefault();
    if (!e.repeat && state.sim) (state.playing ? pause() : play());
  });
  document.addEventListener('keyup', (e) => {
    if (e.code === 'Space' && !isTyping(e.target) && !$('picker').open) e.preventDefault();
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
  console: con,
  load: loadBuiltin,
  loadJson,
  reset: () => reload(),
  play,
  pause,
  step,
  runUntil,
  stepUntil,
  inject,
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

async function main() {
  wireControls();
  setEnabled(false);
  try {
    const wasm = await import(PKG);
    await wasm.default();
    state.wasm = wasm;
    state.scenarios = wasm.builtinScenarios();
  } catch (e) {
    app.status = 'failed';
    $('loading').hidden = true;
    showError('Could not load the simulator',
      `${messageOf(e)}\n\nThe WebAssembly package in www/pkg/ is missing or could not be loaded. ${BUILD_HINT}`);
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
  if (wanted && !state.scenarios.some((s) => s.id === wanted)) {
    loadBuiltin(wanted, seed); // says what is wrong; then offer the first scenario so the page is usable
    const msg = $('error-message').textContent;
    if (first && start(state.scenarios[0].json, Number.isFinite(seed) ? seed : 1, { kind: 'builtin', id: first })) {
      showError(`Unknown scenario "${wanted}"`, `${msg}\nShowing "${first}" instead.`);
    }
  } else if (first) {
    loadBuiltin(wanted || first, seed);
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
