// The checks panel: a pure function from what `Simulation.checks()` returned (and the snapshot, for process
// names) to HTML. The figures are the core's; this file only words them. Items that happened at a moment
// (a lost write, a window without a master) are buttons carrying `data-at` (and `data-until`), so the page
// can show that moment on the timeline.

import { esc } from './topology.js';
import { formatSeconds } from './timeline.js';

const LOST_SHOWN = 5;     // the first few lost writes are listed; the count says how many there are
const WINDOWS_SHOWN = 3;

function seconds(ms) {
  return formatSeconds(ms, 1);
}

/** Per client, windows that overlap or touch merged into one (failed requests added up); sorted by start. */
export function mergeWindows(windows) {
  const out = [];
  const last = new Map();
  for (const w of [...windows].sort((a, b) => a.from - b.from)) {
    const prev = last.get(w.client);
    if (prev && w.from <= prev.to) {
      prev.to = Math.max(prev.to, w.to);
      prev.failedRequests += w.failedRequests;
    } else {
      const m = { ...w };
      out.push(m);
      last.set(w.client, m);
    }
  }
  return out;
}

/** How long at least one of the windows was open, in ms. */
function unionMs(windows) {
  let total = 0;
  let end = -Infinity;
  for (const w of [...windows].sort((a, b) => a.from - b.from)) {
    const from = Math.max(w.from, end);
    if (w.to > from) total += w.to - from;
    end = Math.max(end, w.to);
  }
  return total;
}

/**
 * With several applications (each writing to its own deployment), the lost writes per application: "which one
 * lost acknowledged writes" is the question a comparison asks.
 */
function byClient(checks, lost, name) {
  const acked = checks.ackedByClient || [];
  if (acked.length < 2) return '';
  const lostBy = new Map();
  for (const w of lost) lostBy.set(w.client, (lostBy.get(w.client) || 0) + 1);
  return '<ul class="check-apps">' + acked.map(([client, n]) => {
    const k = lostBy.get(client) || 0;
    return `<li class="${k ? 'bad' : 'good'}" data-client-lost="${esc(name(client))}"><span>${esc(name(client))}</span>` +
      `<b data-count="${k}">${k}</b><span class="muted">of ${n}</span></li>`;
  }).join('') + '</ul>';
}

function row(name, value, cls, note, list = '') {
  return `<div class="check ${cls}" data-check="${name}">` +
    `<div class="check-head"><span class="check-name">${note}</span><b class="check-count" data-count="${esc(String(value.raw))}">${esc(value.text)}</b></div>` +
    `${list}</div>`;
}

/**
 * @param {object|null} checks  `Simulation.checks()`
 * @param {object|null} snapshot  `Simulation.snapshot()`
 * @param {{cluster?: boolean}} opts  cluster: the scenario runs a Redis Cluster (maybe beside other deployments)
 * @returns {string} HTML
 */
export function renderChecks(checks, snapshot, { cluster = false } = {}) {
  if (!checks) return '<p class="muted">The checks could not be computed (see the browser console).</p>';
  const name = (id) => {
    const p = snapshot && snapshot.processes.find((q) => q.id === id);
    return p ? p.name : `#${id}`;
  };
  const out = [];

  // Acknowledged writes lost: the headline figure.
  const lost = checks.lostWrites || [];
  // The core judges a cluster key by the master serving its slot now, any other write by the master of the
  // deployment that acknowledged it: deployments side by side (independent servers, say) are judged apart.
  const masters = (checks.servingMasters || []).length > 1 ? checks.servingMasters
    : checks.servingMaster != null ? [checks.servingMaster] : [];
  const names = masters.map((m) => esc(name(m))).join(', ');
  const judge = cluster
    ? masters.length ? `each judged by its key's master in the cluster, or by its deployment's master now (${names})` : "each judged by its key's master now"
    : masters.length > 1 ? `each judged against its own deployment's master now (${names})`
      : masters.length ? `judged against ${names}, the master now` : 'no master now: nothing to judge against';
  let list = '';
  if (lost.length) {
    list = '<ul class="check-list">' + lost.slice(0, LOST_SHOWN).map((w) => {
      const label = `lost: SET ${w.key} ${w.value}`;
      return `<li><button type="button" class="check-item lost" data-at="${w.ackedAt}" data-label="${esc(label)}" ` +
        `title="${esc(`${name(w.client)} was told OK at ${seconds(w.ackedAt)}; the master now has ${w.found == null ? 'nothing' : `"${w.found}"`} for ${w.key}. Click to see that moment.`)}">` +
        `<span class="kv">${esc(w.key)} = ${esc(w.value)}</span><span class="when">acked ${seconds(w.ackedAt)}, now ${w.found == null ? '(nil)' : esc(w.found)}</span></button></li>`;
    }).join('') + (lost.length > LOST_SHOWN ? `<li class="muted more">and ${lost.length - LOST_SHOWN} more</li>` : '') + '</ul>';
  }
  out.push(`<div class="check lost${lost.length ? ' bad' : ' good'}" data-check="lost">` +
    `<div class="check-head"><span class="check-name">Acknowledged writes lost</span>` +
    `<b class="check-count big" data-count="${lost.length}">${lost.length}</b></div>` +
    `<p class="check-note">of <b data-count="acked">${checks.ackedWrites}</b> acknowledged, ${judge}</p>${byClient(checks, lost, name)}${list}</div>`);

  // Windows in which a client got no successful reply (from the checks): its view of availability. A client
  // sends without waiting for replies, so windows of one client can overlap; they are merged for reading.
  const unavailable = mergeWindows(checks.unavailable || []);
  const downMs = unionMs(unavailable);
  const unavailableList = unavailable.length
    ? '<ul class="check-list">' + unavailable.slice(-WINDOWS_SHOWN).map((u) =>
      `<li><button type="button" class="check-item" data-at="${u.from}" data-until="${u.to}" data-label="${esc(`${name(u.client)} unavailable`)}" ` +
      `data-unavailable="${u.client}" title="${esc(`${name(u.client)} got no successful reply from ${seconds(u.from)} to ${seconds(u.to)} (${u.failedRequests} requests failed). Click to see it.`)}">` +
      `<span class="kv">${esc(name(u.client))} ${seconds(u.from)} – ${seconds(u.to)}</span>` +
      `<span class="when">${seconds(u.to - u.from)} · ${u.failedRequests} failed</span></button></li>`).join('') +
      (unavailable.length > WINDOWS_SHOWN ? `<li class="muted more">and ${unavailable.length - WINDOWS_SHOWN} earlier</li>` : '') + '</ul>'
    : '';
  out.push(row('unavailable', { raw: downMs, text: seconds(downMs) }, downMs ? 'warn' : 'good',
    '<span title="Time during which a client\'s requests failed (refused, timed out or errors) until one succeeded again">Client unavailable</span>', unavailableList));

  // Stale reads.
  const stale = checks.staleReads || [];
  const staleList = stale.length
    ? '<ul class="check-list">' + stale.slice(0, 3).map((r) =>
      `<li><button type="button" class="check-item" data-at="${r.sentAt}" data-label="${esc(`stale read: GET ${r.key}`)}" ` +
      `title="${esc(`GET ${r.key} on ${name(r.server)} at ${seconds(r.sentAt)} returned ${r.got == null ? '(nil)' : `"${r.got}"`}, but "${r.expected}" had been acknowledged before`)}">` +
      `<span class="kv">GET ${esc(r.key)} → ${r.got == null ? '(nil)' : esc(r.got)}</span><span class="when">${seconds(r.sentAt)} · expected ${esc(r.expected)}</span></button></li>`).join('') +
      (stale.length > 3 ? `<li class="muted more">and ${stale.length - 3} more</li>` : '') + '</ul>'
    : '';
  out.push(row('stale', { raw: stale.length, text: String(stale.length) }, stale.length ? 'warn' : 'good',
    '<span title="A read that returned an older value than a write acknowledged before the read was sent">Stale reads</span>', staleList));

  // Time without a writable master.
  const windows = checks.noMaster || [];
  const windowList = windows.length
    ? '<ul class="check-list inline">' + windows.slice(-WINDOWS_SHOWN).map(([a, b]) =>
      `<li><button type="button" class="check-item" data-at="${a}" data-until="${b}" data-label="no writable master" ` +
      `title="No master accepted writes from ${seconds(a)} to ${seconds(b)}. Click to see it.">` +
      `<span class="kv">${seconds(a)} – ${seconds(b)}</span></button></li>`).join('') + '</ul>'
    : '';
  out.push(row('nomaster', { raw: checks.noMasterMs, text: seconds(checks.noMasterMs) }, checks.noMasterMs ? 'warn' : 'good',
    'Time without a writable master', windowList));

  // Split brain.
  const split = checks.splitBrain || [];
  const splitList = split.length
    ? '<ul class="check-list">' + split.slice(-WINDOWS_SHOWN).map(([a, b]) =>
      `<li><button type="button" class="check-item" data-at="${a}" data-until="${b}" data-label="two masters" ` +
      `title="Two or more masters accepted writes from ${seconds(a)} to ${seconds(b)}">` +
      `<span class="kv">${seconds(a)} – ${seconds(b)}</span><span class="when">${seconds(b - a)}</span></button></li>`).join('') + '</ul>'
    : '';
  out.push(row('split', { raw: split.length, text: split.length ? String(split.length) : 'none' }, split.length ? 'bad' : 'good',
    '<span title="Two or more masters accepting writes at once">Split brain</span>', splitList));
  return out.join('');
}
