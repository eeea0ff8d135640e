// The topology view: a pure function from a `snapshot()` object to an SVG string. Hosts are boxes holding
// their processes; each client has an arrow to the server it sends to; cut links are drawn between hosts.
// The layout depends only on the order of hosts and processes in the snapshot and on the size of the view,
// never on state, so nothing jumps when a process crashes or a role changes. Colours live in style.css
// (classes `kind-*`, `role-*`, `state-*`), so this file decides shapes and words only.

const PAD = 14;          // space around the drawing
const GAP = 18;          // least space between host boxes
const MAX_GAP = 64;      // most space between host boxes, when the view is wide enough
const MAX_HOST_W = 158;
const HOST_HEAD = 30;    // host box title strip
const PROC_H = 58;       // one process card
const PROC_GAP = 8;      // between process cards in a host
const MIN_HOST_W = 150;  // narrower than this and a host wraps to the next row

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/**
 * Where each host box and process card goes. Exported so tests and later views (e.g. slot maps) can align
 * with it. Returns {hosts: Map(name -> rect), procs: Map(id -> rect), width, height}.
 */
export function layout(snapshot, width, height) {
  const hosts = snapshot.hosts || [];
  const n = Math.max(1, hosts.length);
  const usable = Math.max(MIN_HOST_W, width - 2 * PAD);
  const cols = Math.max(1, Math.min(n, Math.floor((usable + GAP) / (MIN_HOST_W + GAP))));
  const rows = Math.ceil(n / cols);
  const hostW = Math.min(MAX_HOST_W, (usable - GAP * (cols - 1)) / cols);
  // Spare width goes into the gaps, so arrows and cut links between hosts have room to be seen.
  const gap = cols > 1 ? Math.min(MAX_GAP, Math.max(GAP, (usable - cols * hostW) / (cols - 1))) : GAP;
  const maxProcs = Math.max(1, ...hosts.map((h) => h.processes.length));
  const hostH = HOST_HEAD + maxProcs * (PROC_H + PROC_GAP) + 4;
  const contentW = cols * hostW + (cols - 1) * gap;
  const contentH = rows * hostH + (rows - 1) * (GAP + 12);
  const x0 = Math.max(PAD, (width - contentW) / 2);
  const y0 = Math.max(PAD, (height - contentH) / 2);
  const hostRects = new Map();
  const procRects = new Map();
  hosts.forEach((h, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    const rect = { x: x0 + c * (hostW + gap), y: y0 + r * (hostH + GAP + 12), w: hostW, h: hostH };
    hostRects.set(h.name, rect);
    h.processes.forEach((pid, j) => {
      procRects.set(pid, { x: rect.x + 8, y: rect.y + HOST_HEAD + j * (PROC_H + PROC_GAP), w: rect.w - 16, h: PROC_H });
    });
  });
  return {
    hosts: hostRects,
    procs: procRects,
    width: Math.max(width, contentW + 2 * PAD),
    height: Math.max(height, contentH + 2 * PAD + 36),
  };
}

function center(r) {
  return { x: r.x + r.w / 2, y: r.y + r.h / 2 };
}

// The point where the segment from the centre of `r` towards `p` leaves `r` (grown by `m`).
function exitPoint(r, p, m = 3) {
  const c = center(r);
  const dx = p.x - c.x;
  const dy = p.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const hw = r.w / 2 + m;
  const hh = r.h / 2 + m;
  const s = Math.min(dx === 0 ? Infinity : hw / Math.abs(dx), dy === 0 ? Infinity : hh / Math.abs(dy));
  return { x: c.x + dx * s, y: c.y + dy * s };
}

function procLines(p, byId) {
  // Three short lines per card: name and role, where it is, what it holds.
  if (p.kind === 'server') {
    const role = p.role || 'server';
    const third = p.state === 'crashed'
      ? 'CRASHED'
      : p.state === 'paused' ? 'PAUSED' : `${p.dbsize ?? 0} key${p.dbsize === 1 ? '' : 's'}`;
    return { badge: role, sub: p.address || p.host, third };
  }
  if (p.kind === 'client') {
    const target = p.target != null && byId.get(p.target) ? byId.get(p.target).name : '—';
    const third = p.state === 'crashed'
      ? 'CRASHED'
      : p.state === 'paused' ? 'PAUSED' : `${p.inFlight ?? 0} in flight`;
    return { badge: 'client', sub: `sends to ${target}`, third };
  }
  return { badge: p.role || p.kind, sub: p.address || p.host, third: p.state === 'up' ? '' : p.state.toUpperCase() };
}

/**
 * Render the topology.
 * @param {object} snapshot  the object returned by `Simulation.snapshot()`
 * @param {{width:number, height:number, selected?:number|null, caption?:string|string[]}} opts
 * @returns {string} an `<svg>` element as a string
 */
export function renderTopology(snapshot, { width, height, selected = null, caption = '' }) {
  const L = layout(snapshot, width, height);
  const byId = new Map(snapshot.processes.map((p) => [p.id, p]));
  const hostOf = new Map(snapshot.processes.map((p) => [p.id, p.host]));
  const cut = new Set((snapshot.cuts || []).map(([a, b]) => `${a}\u0000${b}`));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="topology-svg" width="${L.width}" height="${L.height}" ` +
    `viewBox="0 0 ${L.width} ${L.height}" role="img" aria-label="Topology">`);
  out.push(`<defs>
    <marker id="topo-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" class="topo-arrowhead"/></marker>
    <marker id="topo-arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" class="topo-arrowhead bad"/></marker>
  </defs>`);

  // Host boxes first, so arrows and cards draw over them.
  for (const h of snapshot.hosts) {
    const r = L.hosts.get(h.name);
    out.push(`<g class="host" data-host="${esc(h.name)}">` +
      `<rect class="host-box" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" rx="10"/>` +
      `<text class="host-name" x="${r.x + 10}" y="${r.y + 19}">${esc(h.name)}</text>` +
      `<text class="host-ip" x="${r.x + r.w - 10}" y="${r.y + 19}" text-anchor="end">${esc(h.ip || '')}</text></g>`);
  }

  // Cut links between hosts: a dashed "wall" across the gap between the two boxes (one per unordered
  // pair), labelled beyond its end, so it never hides the cards or the arrows that cross it.
  const drawnCuts = new Set();
  for (const [a, b] of snapshot.cuts || []) {
    const key = [a, b].sort().join('\u0000');
    if (drawnCuts.has(key)) continue;
    drawnCuts.add(key);
    const ra = L.hosts.get(a);
    const rb = L.hosts.get(b);
    if (!ra || !rb) continue;
    const pa = exitPoint(ra, center(rb), 0);
    const pb = exitPoint(rb, center(ra), 0);
    const m = { x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2 };
    const len = Math.hypot(pb.x - pa.x, pb.y - pa.y) || 1;
    let n = { x: -(pb.y - pa.y) / len, y: (pb.x - pa.x) / len };
    if (n.y < 0 || (n.y === 0 && n.x < 0)) n = { x: -n.x, y: -n.y }; // label below (or right of) the wall
    const half = Math.min(ra.h, rb.h) / 2 + 8;
    out.push(`<g class="cut" data-cut="${esc(a)}|${esc(b)}"><title>${esc(`${a} and ${b} cannot reach each other`)}</title>` +
      `<line x1="${m.x - n.x * half}" y1="${m.y - n.y * half}" x2="${m.x + n.x * half}" y2="${m.y + n.y * half}"/>` +
      `<text x="${m.x + n.x * (half + 16)}" y="${m.y + n.y * (half + 16) + 4}" text-anchor="middle">✂ partitioned</text></g>`);
  }

  // Client -> target arrows.
  for (const p of snapshot.processes) {
    if (p.kind !== 'client' || p.target == null) continue;
    const from = L.procs.get(p.id);
    const to = L.procs.get(p.target);
    const target = byId.get(p.target);
    if (!from || !to || !target) continue;
    const a = exitPoint(from, center(to), 3);
    const b = exitPoint(to, center(from), 5);
    const isCut = cut.has(`${hostOf.get(p.id)}\u0000${target.host}`) || cut.has(`${target.host}\u0000${hostOf.get(p.id)}`);
    const bad = isCut || target.state !== 'up';
    out.push(`<line class="link${bad ? ' bad' : ''}" data-link="${p.id}-${p.target}" x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" ` +
      `marker-end="url(#${bad ? 'topo-arrow-bad' : 'topo-arrow'})"/>`);
  }

  // Process cards.
  for (const p of snapshot.processes) {
    const r = L.procs.get(p.id);
    if (!r) continue;
    const { badge, sub, third } = procLines(p, byId);
    const cls = ['proc', `kind-${p.kind}`, p.role ? `role-${p.role}` : '', `state-${p.state}`, selected === p.id ? 'selected' : '']
      .filter(Boolean).join(' ');
    const nameW = Math.min(r.w - 90, 8 * p.name.length);
    const strike = p.state === 'crashed'
      ? `<line class="strike" x1="${r.x + 10}" y1="${r.y + 15}" x2="${r.x + 12 + nameW}" y2="${r.y + 15}"/>` : '';
    const badgeW = 8 + 6.6 * badge.length;
    out.push(`<g class="${cls}" data-proc-id="${p.id}" data-proc-name="${esc(p.name)}" data-proc-kind="${esc(p.kind)}" ` +
      `data-proc-state="${esc(p.state)}" tabindex="0" role="button" aria-label="${esc(`${p.name}: ${badge}, ${p.state}`)}">` +
      `<title>${esc(`${p.name} (${p.kind}) — ${p.state}${p.runId ? `\nrun_id ${p.runId}` : ''}`)}</title>` +
      `<rect class="card" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" rx="8"/>` +
      `<rect class="stripe" x="${r.x}" y="${r.y}" width="6" height="${r.h}" rx="3"/>` +
      `<text class="proc-name" x="${r.x + 12}" y="${r.y + 19}">${esc(p.name)}</text>${strike}` +
      `<rect class="badge" x="${r.x + r.w - badgeW - 8}" y="${r.y + 7}" width="${badgeW}" height="17" rx="8.5"/>` +
      `<text class="badge-text" x="${r.x + r.w - badgeW / 2 - 8}" y="${r.y + 19.5}" text-anchor="middle">${esc(badge)}</text>` +
      `<text class="proc-sub" x="${r.x + 12}" y="${r.y + 35}">${esc(sub)}</text>` +
      `<text class="proc-third" x="${r.x + 12}" y="${r.y + 50}">${esc(third)}</text></g>`);
  }
  // A caption of one or more lines at the bottom left.
  const lines = [].concat(caption || []);
  lines.forEach((line, i) => {
    out.push(`<text class="topo-caption" x="${PAD}" y="${L.height - 10 - (lines.length - 1 - i) * 16}">${esc(line)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
