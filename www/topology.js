// The topology view: a pure function from a `snapshot()` object to an SVG string. Hosts are boxes holding
// their processes; each client has an arrow to the server it writes to (and a dashed one to the server it
// reads from, when it splits reads; one to each master or shard when it routes by key); each replication link
// is an arrow from a master to its replica, labelled with what the master knows of it (acknowledged offset,
// lag). An arrow runs straight between its two cards when nothing is in its way, else along the gaps between
// hosts (routeArrows), so that it never passes behind a card it does not link.
// The layout depends only on the order of hosts and processes in the snapshot and on the size of the view,
// never on state, so nothing jumps when a process crashes, a host loses power or a role changes. Colours
// live in style.css (classes `kind-*`, `role-*`, `state-*`, `repl-*`), so this file decides shapes and words.
// Sentinels are drawn apart from the data nodes: a band of sentinel cards to the right of the hosts, each
// with its view of the master (OK / SDOWN / ODOWN), its epoch and vote, and the failover it runs; the host a
// sentinel runs on names it in its title strip.

import { partitionSides } from './network.js';

const PAD = 12;          // space around the drawing
const GAP = 18;          // least space between host boxes
const ROW_GAP = 34;      // between rows of hosts: room for a replication label between them
const MAX_GAP = 64;      // most space between host boxes, when the view is wide enough
const MAX_HOST_W = 180;
const HOST_HEAD = 27;    // host box title strip
const PROC_H = 68;       // one process card: four lines
const PROC_GAP = 8;      // between process cards in a host
const MIN_HOST_W = 150;  // narrower than this and a host wraps to the next row
const SENT_W = 196;      // the sentinel band's width
const SENT_GAP = 22;     // between the hosts and the sentinel band
const SENT_H = 64;       // one sentinel card: four tighter lines

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/;
export function esc(s) {
  s = String(s);
  // Most labels need nothing: skip the replace (this runs for every label of every frame while playing).
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => ENTITIES[c]) : s;
}

/** The least width that lays out `cols` columns of hosts (beside the Sentinels band when `band`). */
export function widthFor(cols, band) {
  return 2 * PAD + cols * MIN_HOST_W + (cols - 1) * GAP + (band ? SENT_W + SENT_GAP : 0);
}

/**
 * Where each host box and process card goes. Exported so tests and later views (e.g. slot maps) can align
 * with it. Returns {hosts: Map(name -> rect), procs: Map(id -> rect), width, height}. At most `maxCols`
 * columns: a cluster's arrangement of hosts (cluster.js) is made for a number of columns, and a wider view
 * widens the hosts and the gaps instead.
 */
export function layout(snapshot, width, height, maxCols = Infinity) {
  const hosts = snapshot.hosts || [];
  const kindOf = new Map((snapshot.processes || []).map((p) => [p.id, p.kind]));
  const sentinels = (snapshot.processes || []).filter((p) => p.kind === 'sentinel');
  const band = sentinels.length > 0;
  // Data processes stay in their host boxes; sentinels go to the band.
  const dataOf = (h) => h.processes.filter((id) => kindOf.get(id) !== 'sentinel');
  const n = Math.max(1, hosts.length);
  const usable = Math.max(MIN_HOST_W, width - 2 * PAD - (band ? SENT_W + SENT_GAP : 0));
  const cols = Math.max(1, Math.min(n, maxCols, Math.floor((usable + GAP) / (MIN_HOST_W + GAP))));
  const rows = Math.ceil(n / cols);
  const hostW = Math.min(MAX_HOST_W, (usable - GAP * (cols - 1)) / cols);
  // Spare width goes into the gaps, so arrows and their labels between hosts have room to be seen.
  const gap = cols > 1 ? Math.min(MAX_GAP, Math.max(GAP, (usable - cols * hostW) / (cols - 1))) : GAP;
  const maxProcs = Math.max(1, ...hosts.map((h) => dataOf(h).length));
  const hostH = HOST_HEAD + maxProcs * (PROC_H + PROC_GAP);
  const hostsW = cols * hostW + (cols - 1) * gap;
  const hostsH = rows * hostH + (rows - 1) * ROW_GAP;
  const bandH = band ? HOST_HEAD + sentinels.length * (SENT_H + PROC_GAP) : 0;
  const contentW = hostsW + (band ? SENT_GAP + SENT_W : 0);
  const contentH = Math.max(hostsH, bandH);
  const x0 = Math.max(PAD, (width - contentW) / 2);
  const y0 = Math.max(PAD, (height - contentH) / 2);
  const hostRects = new Map();
  const procRects = new Map();
  hosts.forEach((h, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    const rect = { x: x0 + c * (hostW + gap), y: y0 + r * (hostH + ROW_GAP), w: hostW, h: hostH };
    hostRects.set(h.name, rect);
    dataOf(h).forEach((pid, j) => {
      procRects.set(pid, { x: rect.x + 8, y: rect.y + HOST_HEAD + j * (PROC_H + PROC_GAP), w: rect.w - 16, h: PROC_H });
    });
  });
  let bandRect = null;
  if (band) {
    bandRect = { x: x0 + hostsW + SENT_GAP, y: y0, w: SENT_W, h: bandH };
    sentinels.forEach((p, j) => {
      procRects.set(p.id, { x: bandRect.x + 8, y: bandRect.y + HOST_HEAD + j * (SENT_H + PROC_GAP), w: SENT_W - 16, h: SENT_H });
    });
  }
  const W = Math.max(width, contentW + 2 * PAD);
  const H = Math.max(height, contentH + 2 * PAD);
  // The gaps between columns and rows of hosts (and the margins around them), which arrows are routed along
  // when a straight one would pass behind another card: boundary k of `cols + 1` is left of column k.
  const margin = (m) => Math.min(m, 24) / 2;
  const right = x0 + hostsW;
  const bottom = y0 + hostsH;
  const colGap = (k) => (k === 0 ? { at: x0 - margin(x0), half: margin(x0) }
    : k < cols ? { at: x0 + k * (hostW + gap) - gap / 2, half: gap / 2 }
      : band ? { at: right + SENT_GAP / 2, half: SENT_GAP / 2 } : { at: right + margin(W - right), half: margin(W - right) });
  const rowGap = (k) => (k === 0 ? { at: y0 - margin(y0), half: margin(y0) }
    : k < rows ? { at: y0 + k * (hostH + ROW_GAP) - ROW_GAP / 2, half: ROW_GAP / 2 }
      : { at: bottom + margin(H - bottom), half: margin(H - bottom) });
  const cell = new Map(hosts.map((h, i) => [h.name, { c: i % cols, r: Math.floor(i / cols) }]));
  return { hosts: hostRects, procs: procRects, band: bandRect, width: W, height: H, grid: { cols, rows, cell, colGap, rowGap } };
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

/** Whether a host has lost power: the snapshot says so on each of its processes. */
export function hostPowered(snapshot, hostName) {
  return !snapshot.processes.some((p) => p.host === hostName && p.hostPowered === false);
}

/** The replica's link as a short phrase and a class: up, sync (on its way up) or down. */
export function linkStatus(p, byId) {
  const r = p.replication;
  if (!r || r.link == null) return null;
  const master = r.master != null ? byId.get(r.master) : null;
  const masterDown = master && (master.state !== 'up' || master.hostPowered === false);
  if (r.link === 'connected') {
    // Redis's replica keeps saying master_link_status:up until repl-timeout passes without data: it has
    // not noticed yet. The page knows better and says so, without hiding what the replica believes.
    return masterDown
      ? { cls: 'stale', text: 'link: connected ⚠', note: 'master down: not noticed yet' }
      : { cls: 'up', text: 'link: connected', note: '' };
  }
  if (r.link === 'sync') return { cls: 'sync', text: 'link: syncing (RDB)', note: 'loading the snapshot' };
  // connect / connecting / handshake: master_link_status:down.
  return { cls: 'down', text: `link: down (${r.link})`, note: '' };
}

// Rough advance of one character of each card line's font (12 px mono, sans, semibold sans), in px.
const CHAR_W = { mono: 7.3, sans: 6.6, bold: 7.1, name: 8.4 }; // name: the card's 14 px bold title

function fit(text, room, font) {
  // Squeeze a line that would overflow its card rather than cut it: textLength keeps it inside.
  return text.length * CHAR_W[font] > room ? ` textLength="${Math.round(room)}" lengthAdjust="spacingAndGlyphs"` : '';
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Bytes as a learner reads them: 740 B, 8.5 KB, 1.2 MB. */
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A host's files in short: {files, bytes, unsynced, torn}. */
export function diskTotals(host) {
  const files = (host && host.disk) || [];
  let bytes = 0;
  let unsynced = 0;
  let torn = 0;
  for (const f of files) {
    bytes += f.bytes;
    unsynced += Math.max(0, f.bytes - f.syncedBytes);
    torn += f.tornBytes || 0;
  }
  return { files: files.length, bytes, unsynced, torn };
}

/** A sentinel's view of its (first) master, or null. */
export function sentinelView(p) {
  return p && p.sentinel && p.sentinel.masters.length ? p.sentinel.masters[0] : null;
}

/** The failover state as Redis's events spell it: select_slave -> select-slave. */
export function failoverWord(state) {
  return String(state || 'none').replace(/_/g, '-');
}

function sentinelLines(p, byAddress, byRunId, leader) {
  const off = p.hostPowered === false;
  const m = sentinelView(p);
  const down = off || p.state !== 'up';
  const badge = down ? (off ? 'OFF' : p.state.toUpperCase()) : m ? m.status.toUpperCase() : 'IDLE';
  if (down) {
    return { badge, sub: off ? 'POWER OFF' : p.state.toUpperCase(), third: 'its view is gone', fourth: '', fourthCls: 'muted' };
  }
  if (!m) return { badge, sub: p.address || p.host, third: 'monitors nothing', fourth: '', fourthCls: 'muted' };
  const target = byAddress.get(m.address);
  const sub = `→ ${target ? `${target.name} ` : ''}(${m.address})`;
  const vote = m.votedFor ? `vote ${m.votedFor.slice(0, 8)}/${m.votedEpoch}` : 'no vote';
  const third = `epoch ${p.sentinel.currentEpoch} · ${vote}`;
  const isLeader = leader && leader.proc === p.id;
  let fourth;
  let fourthCls = 'muted';
  if (m.failoverState !== 'none') {
    fourth = `${isLeader ? '★ LEADER · ' : ''}${failoverWord(m.failoverState)}`;
    fourthCls = 'failover';
  } else if (isLeader) {
    fourth = `★ led the failover of epoch ${leader.epoch ?? '?'}`;
    fourthCls = 'leader';
  } else {
    fourth = `no failover · quorum ${m.quorum}`;
  }
  const voted = m.votedFor ? byRunId.get(m.votedFor) : null;
  return { badge, sub, third, fourth, fourthCls, status: m.status, voteName: voted ? voted.name : null };
}

function procLines(p, byId, extra = {}) {
  // Four short lines per card: name and role, where it is, what it holds, how it is linked.
  const off = p.hostPowered === false;
  if (p.kind === 'server') {
    const badge = (p.role || 'server').toUpperCase();
    const r = p.replication;
    if (off) return { badge, sub: p.address || p.host, third: 'POWER OFF', fourth: 'memory lost', fourthCls: 'muted' };
    if (p.state === 'crashed') return { badge, sub: p.address || p.host, third: 'CRASHED', fourth: 'memory lost', fourthCls: 'muted' };
    const keys = plural(p.dbsize ?? 0, 'key');
    const third = p.state === 'paused' ? 'PAUSED' : r ? `${keys} · offset ${r.offset}` : keys;
    let fourth = '';
    let fourthCls = 'muted';
    if (r && p.role === 'replica') {
      const s = linkStatus(p, byId);
      fourth = s ? s.text : `link: down → ${r.masterAddress || '?'}`;
      fourthCls = s ? `link-${s.cls}` : 'link-down';
    } else if (r) {
      const n = r.replicas.length;
      const online = r.replicas.filter((x) => x.state === 'online').length;
      fourth = n === 0 ? 'no replicas' : online === n ? `${plural(n, 'replica')} online` : `${plural(n, 'replica')}, ${n - online} syncing`;
      // A master without replicas and with files on its host: what its disk holds matters more.
      const d = extra.disk;
      if (n === 0 && d && d.files) {
        fourth = d.unsynced ? `disk ${fmtBytes(d.bytes)} · ${fmtBytes(d.unsynced)} not fsynced` : `disk ${fmtBytes(d.bytes)} · all fsynced`;
        fourthCls = d.unsynced ? 'disk-unsynced' : 'muted';
      }
    }
    return { badge, sub: p.address || p.host, third, fourth, fourthCls };
  }
  if (p.kind === 'client') {
    const name = (id) => (id != null && byId.get(id) ? byId.get(id).name : '—');
    const split = p.readTarget != null && p.readTarget !== p.target;
    const state = off ? 'POWER OFF' : p.state === 'crashed' ? 'CRASHED' : p.state === 'paused' ? 'PAUSED' : `${p.inFlight ?? 0} in flight`;
    // A cluster client or a sharding one sends each key to its own server: an arrow to each, not to its seed.
    if (p.routeBy) {
      const n = (p.routes || []).length;
      return { badge: 'CLIENT', sub: p.routeBy === 'slot' ? `by slot → ${plural(n, 'master')}` : `by key → ${plural(n, 'shard')}`, third: state, fourth: '', fourthCls: 'muted' };
    }
    return split
      ? { badge: 'CLIENT', sub: `writes → ${name(p.target)}`, third: `reads → ${name(p.readTarget)}`, fourth: state, fourthCls: 'muted' }
      : { badge: 'CLIENT', sub: `sends to ${name(p.target)}`, third: state, fourth: '', fourthCls: 'muted' };
  }
  if (p.kind === 'database') {
    // The database behind a look-aside cache: its connections in use out of its capacity.
    const full = p.inFlight != null && p.capacity != null && p.inFlight >= p.capacity;
    const third = off ? 'POWER OFF' : p.state !== 'up' ? p.state.toUpperCase() : `${p.inFlight ?? 0}/${p.capacity ?? '?'} connections`;
    return { badge: 'DATABASE', sub: p.address || p.host, third, fourth: full && !off ? 'at capacity: refusing' : '', fourthCls: full ? 'link-down' : 'muted' };
  }
  if (p.kind === 'reshard') return { badge: 'TOOL', sub: `on ${p.host}`, third: p.state === 'up' ? '' : p.state.toUpperCase(), fourth: '', fourthCls: 'muted' };
  return { badge: (p.role || p.kind).toUpperCase(), sub: p.address || p.host, third: p.state === 'up' ? '' : p.state.toUpperCase(), fourth: '', fourthCls: 'muted' };
}

/**
 * What a screen reader says for a process card, e.g. "redis-1, master on db1, up, 3 keys": the card's facts
 * in words (no arrows or badges), so that a learner who cannot see the drawing can still tell who is who.
 */
export function cardLabel(p, byId) {
  const off = p.hostPowered === false;
  const running = !off && (p.state === 'up' || p.state === 'paused');
  const name = (id) => (id != null && byId.get(id) ? byId.get(id).name : 'nothing');
  const facts = [p.name, `${p.kind === 'server' ? p.role || 'server' : p.kind} on ${p.host}`, off ? 'powered off' : p.state];
  if (p.kind === 'server') {
    facts.push(running ? plural(p.dbsize ?? 0, 'key') : 'memory lost');
    const link = running && p.role === 'replica' ? linkStatus(p, byId) : null;
    if (link) facts.push(`replicates from ${name(p.replication.master)}, ${link.text.replace(' ⚠', '')}${link.note ? ` (${link.note})` : ''}`);
  } else if (p.kind === 'client' && p.routeBy) {
    const to = (p.routes || []).map(name).join(', ') || 'nothing yet';
    facts.push(p.routeBy === 'slot' ? `sends each key to its slot's master: ${to}` : `shards keys over ${to}`);
  } else if (p.kind === 'client') {
    const split = p.readTarget != null && p.readTarget !== p.target;
    facts.push(split ? `writes to ${name(p.target)}, reads from ${name(p.readTarget)}` : `sends to ${name(p.target)}`);
  } else if (p.kind === 'database' && running) {
    facts.push(`${p.inFlight ?? 0} of ${p.capacity ?? '?'} connections in use`);
  }
  return facts.join(', ');
}

/** The replication links to draw: one per replica that names a master in the snapshot. */
export function replicationLinks(snapshot) {
  const byId = new Map(snapshot.processes.map((p) => [p.id, p]));
  const cut = new Set((snapshot.cuts || []).map(([a, b]) => `${a}\u0000${b}`));
  const links = [];
  for (const p of snapshot.processes) {
    const r = p.replication;
    if (!r || r.master == null || !byId.has(r.master)) continue;
    const m = byId.get(r.master);
    const seen = m.replication ? m.replication.replicas.find((x) => x.id === p.id) : null;
    const isCut = cut.has(`${m.host}\u0000${p.host}`) || cut.has(`${p.host}\u0000${m.host}`);
    const masterDown = m.state !== 'up' || m.hostPowered === false;
    const replicaDown = p.state !== 'up' || p.hostPowered === false;
    let cls;
    let label;
    if (masterDown) {
      cls = 'down';
      label = ['master', 'down'];
    } else if (replicaDown) {
      cls = 'down';
      label = ['replica', 'down'];
    } else if (isCut) {
      cls = 'down';
      label = ['✂ partitioned'];
    } else if (r.link === 'connected' && seen && seen.state === 'online') {
      cls = 'up';
      label = [`ack ${seen.ackOffset}`, `lag ${seen.lagBytes} B`];
    } else if (r.link === 'sync' || (seen && seen.state !== 'online')) {
      cls = 'sync';
      label = ['full sync', seen && seen.state === 'send_bulk' ? 'RDB →' : 'waiting'];
    } else {
      cls = 'sync';
      label = [r.link || 'connecting'];
    }
    links.push({ from: m.id, to: p.id, cls, label, link: r.link, ackOffset: seen ? seen.ackOffset : null, lagBytes: seen ? seen.lagBytes : null });
  }
  return links;
}

function pillSize(lines) {
  return { w: Math.max(...lines.map((l) => l.length)) * 6.4 + 10, h: lines.length * 13 + 4 };
}

function pill(x, y, lines, cls) {
  const { w, h } = pillSize(lines);
  const text = lines.map((l, i) => `<tspan x="${x}" y="${y - h / 2 + 13 + i * 13}">${esc(l)}</tspan>`).join('');
  return `<rect class="pill ${cls}" x="${x - w / 2}" y="${y - h / 2}" width="${w}" height="${h}" rx="5"/>` +
    `<text class="pill-text ${cls}" text-anchor="middle">${text}</text>`;
}

function overlap(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Where the label of an arrow (its points) goes: near its middle, or beside it, wherever it covers the least of
 * the cards, host titles, arrowheads and other labels, never its own arrowhead (the direction is the point),
 * and inside `bounds` (the drawing) if given.
 */
function placePill(way, { w, h }, obstacles, placed, bounds) {
  const segs = [];
  let total = 0;
  for (let i = 1; i < way.length; i++) {
    const len = Math.hypot(way[i].x - way[i - 1].x, way[i].y - way[i - 1].y);
    segs.push({ a: way[i - 1], b: way[i], from: total, len });
    total += len;
  }
  const head = headBox(way);
  let best = null;
  // Along a straight arrow, a few places around its middle; along a routed one (which bends around cards),
  // anywhere but its ends, where it runs in the gaps between hosts.
  const along = way.length === 2 ? [0.5, 0.42, 0.58, 0.35, 0.3] : [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65, 0.3, 0.7, 0.25, 0.75, 0.2, 0.8];
  for (const t of along) {
    const d = t * total;
    const seg = segs.find((q) => d <= q.from + q.len + 1e-9) || segs[segs.length - 1];
    const len = seg.len || 1;
    const u = { x: (seg.b.x - seg.a.x) / len, y: (seg.b.y - seg.a.y) / len };
    const n = { x: -u.y, y: u.x };
    const side = Math.abs(n.x) * w / 2 + Math.abs(n.y) * h / 2 + 5;
    const px = seg.a.x + u.x * (d - seg.from);
    const py = seg.a.y + u.y * (d - seg.from);
    // Beside the arrow, up to a card and a half away: between two cards side by side the gap is seldom wide
    // enough for a label, the space above or below them is.
    // Along a routed arrow, which runs in a gap between hosts, out to 100 px: the room beside another label.
    const offsets = [0];
    for (let k = 1; k * side <= 80; k++) offsets.push(k * side, -k * side);
    for (let o = 8; o <= (way.length > 2 ? 100 : 80); o += 8) offsets.push(o, -o);
    for (const o of offsets) {
      const x = px + n.x * o;
      const y = py + n.y * o;
      const rect = { x: x - w / 2, y: y - h / 2, w, h };
      let score = Math.abs(t - 0.5) * 40 + Math.abs(o / side) * 15;
      for (const ob of obstacles) score += ob.weight * overlap(rect, ob);
      for (const p of placed) score += 4 * overlap(rect, p);
      score += 5000 * overlap(rect, head);
      // Outside the drawing it would be cut off.
      if (bounds) score += 5000 * (w * h - overlap(rect, bounds));
      if (!best || score < best.score) best = { score, x, y, rect };
    }
  }
  // Whether it had to cover another label or a card to go there.
  best.clash = placed.some((p) => overlap(best.rect, p) > 0) || obstacles.some((o) => o.weight >= 2 && overlap(best.rect, o) > 0);
  return best;
}

/** The box of an arrow's head: the last few pixels of its way. */
function headBox(way) {
  const b = way[way.length - 1];
  const a = way[way.length - 2];
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  return { x: b.x - ((b.x - a.x) / len) * 5 - 5, y: b.y - ((b.y - a.y) / len) * 5 - 5, w: 10, h: 10 };
}

/** An arrow along its way: a line when straight, else a polyline; `attrs` its class and data attributes. */
function arrowShape(way, attrs, marker) {
  const end = `marker-end="url(#${marker})"/>`;
  if (way.length === 2) return `<line ${attrs}x1="${way[0].x}" y1="${way[0].y}" x2="${way[1].x}" y2="${way[1].y}" ${end}`;
  return `<polyline ${attrs}fill="none" points="${way.map((q) => `${q.x},${q.y}`).join(' ')}" ${end}`;
}

/** Whether the segment a-b passes through the rectangle r (Liang-Barsky clipping). */
function crosses(a, b, r) {
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  for (const [p, q] of [[-dx, a.x - r.x], [dx, r.x + r.w - a.x], [-dy, a.y - r.y], [dy, r.y + r.h - a.y]]) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

const grow = (r, m) => ({ x: r.x - m, y: r.y - m, w: r.w + 2 * m, h: r.h + 2 * m });
// Arrows side by side in one gap, px from its middle; arrows meeting one side of a card, px from its middle.
const LANES = [0, 5, -5, 10, -10, 15, -15];
const PORTS = [0, -18, 18, -30, 30];

/**
 * The way of each arrow `{from, to}` (process ids) between cards, as points: straight from card to card when
 * their hosts are in one row or one column and nothing else is in its way, else routed along the gaps between hosts so that it never passes behind another
 * card (where it would seem to link other processes): out of its card's side into the gap beside its host,
 * along that gap (and, to reach another column, along the gap between two rows and the gap beside the other
 * host), into the other card's side. Arrows that share a gap run in lanes a few px apart and meet a card's side
 * at ports apart, but for arrows of one `share` key into one card (several clients of one server): they join
 * in one lane and one head, as a bus. Depends only on the layout and on which processes are linked, never on
 * labels or selection.
 */
export function routeArrows(L, arrows, hostOf) {
  // The ys where arrows leave or meet a card's side, by the gap between columns that side faces: two arrows
  // at one y from both sides of a gap would read as one.
  const ports = new Map();
  const use = (k, y) => {
    if (!ports.has(k)) ports.set(k, []);
    ports.get(k).push(y);
  };
  const blocked = (a, b, from, to) => {
    if (Math.hypot(b.x - a.x, b.y - a.y) < 14) return true; // too short to show its head: it goes around
    for (const [id, r] of L.procs) if (id !== from && id !== to && crosses(a, b, grow(r, 2))) return true;
    for (const [name, r] of L.hosts) {
      if (!name.startsWith('__gap') && name !== hostOf.get(from) && name !== hostOf.get(to) && crosses(a, b, grow(r, -3))) return true;
    }
    return !!L.band && crosses(a, b, L.band);
  };
  const ways = arrows.map(({ from, to }) => {
    const A = L.procs.get(from);
    const B = L.procs.get(to);
    const a = exitPoint(A, center(B), 3);
    const b = exitPoint(B, center(A), 5);
    // Hosts in one row or one column: straight, if nothing is in the way. Diagonal: routed, as a diagonal
    // crosses the corner between four hosts, where the labels of the others go.
    const ca = L.grid && L.grid.cell.get(hostOf.get(from));
    const cb = L.grid && L.grid.cell.get(hostOf.get(to));
    if (ca && cb && ((ca.c !== cb.c && ca.r !== cb.r) || blocked(a, b, from, to))) return null;
    for (const [r, q, m, c] of [[A, a, 3, ca], [B, b, 5, cb]]) {
      if (!c) continue;
      if (Math.abs(q.x - (r.x - m)) < 0.5) use(c.c, q.y);
      else if (Math.abs(q.x - (r.x + r.w + m)) < 0.5) use(c.c + 1, q.y);
    }
    return [a, b];
  });
  const { cols, rows, cell, colGap, rowGap } = L.grid || {};
  const lanes = new Map();
  const lane = (key, g) => {
    const n = lanes.get(key) || 0;
    lanes.set(key, n + 1);
    return g.at + Math.max(2 - g.half, Math.min(g.half - 2, LANES[n % LANES.length]));
  };
  const port = (k, r) => {
    const used = ports.get(k) || [];
    const mid = r.y + r.h / 2;
    const y = PORTS.map((o) => mid + o).find((v) => used.every((u) => Math.abs(u - v) >= 16)) ?? mid;
    use(k, y);
    return y;
  };
  const joined = new Map(); // "share:to:side" -> {x, y}: where a bus meets its card
  arrows.forEach(({ from, to, share }, i) => {
    if (ways[i]) return;
    const A = L.procs.get(from);
    const B = L.procs.get(to);
    const ca = cell.get(hostOf.get(from));
    const cb = cell.get(hostOf.get(to));
    if (!ca || !cb) {
      ways[i] = [exitPoint(A, center(B), 3), exitPoint(B, center(A), 5)];
      return;
    }
    // The gap beside each host, on the other's side (in one column: the same gap, right of it but for the
    // last of several columns). Gap k is left of column k.
    let kA;
    let kB;
    if (ca.c !== cb.c) [kA, kB] = ca.c < cb.c ? [ca.c + 1, cb.c] : [ca.c, cb.c + 1];
    else kA = kB = ca.c + 1 < cols || cols === 1 ? ca.c + 1 : ca.c;
    const sideA = kA > ca.c ? 'r' : 'l';
    const sideB = kB > cb.c ? 'r' : 'l';
    const bus = share != null ? `${share}:${to}:${sideB}` : null;
    if (bus && !joined.has(bus)) joined.set(bus, { y: port(kB, B), x: lane(`c${kB}`, colGap(kB)) });
    const yA = port(kA, A);
    const yB = bus ? joined.get(bus).y : port(kB, B);
    const start = { x: sideA === 'r' ? A.x + A.w + 3 : A.x - 3, y: yA };
    const end = { x: sideB === 'r' ? B.x + B.w + 5 : B.x - 5, y: yB };
    const xB = bus ? joined.get(bus).x : kA === kB ? null : lane(`c${kB}`, colGap(kB));
    const xA = kA === kB && bus ? xB : lane(`c${kA}`, colGap(kA));
    if (kA === kB) {
      ways[i] = [start, { x: xA, y: yA }, { x: xA, y: yB }, end];
      return;
    }
    // Across the columns between: along the gap between rows that makes the shortest way (not a margin when
    // an inner gap is as short).
    let best = 0;
    let cost = Infinity;
    for (let k = 0; k <= rows; k++) {
      const y = rowGap(k).at;
      const c = Math.abs(yA - y) + Math.abs(y - yB) + (k === 0 || k === rows ? 1 : 0);
      if (c < cost - 1e-6) [best, cost] = [k, c];
    }
    const y = lane(`r${best}`, rowGap(best));
    ways[i] = [start, { x: xA, y: yA }, { x: xA, y }, { x: xB, y }, { x: xB, y: yB }, end];
  });
  return ways;
}

// Up to this many replication links, each keeps its label wherever it goes; past it (a master and many
// replicas) a label is drawn only where it covers no other label and no card, the selected process's first.
const FEW_LINKS = 4;

/**
 * Render the topology, as the parts of an `<svg>` element: its opening tag, one string per top-level element,
 * `</svg>` (joined, the SVG; `morphParts` updates the page part by part).
 * @param {object} snapshot  the object returned by `Simulation.snapshot()`
 * @param {{width:number, height:number, cols?:number, selected?:number|null, reserve?:{head?:Map, tail?:Map}}} opts
 * @returns {string[]}
 */
export function renderTopologyParts(snapshot, { width, height, cols = Infinity, selected = null, leader = null, reserve = {} }) {
  // Room another layer draws into (cluster.js: a shard tag at the right of a host's title, a FAIL badge at the
  // right of a card's last line), in px by host name and by process id: this drawing's text stays clear of it.
  const headReserve = reserve.head || new Map();
  const tailReserve = reserve.tail || new Map();
  const L = layout(snapshot, width, height, cols);
  const byId = new Map(snapshot.processes.map((p) => [p.id, p]));
  const byAddress = new Map(snapshot.processes.filter((p) => p.kind === 'server' && p.address).map((p) => [p.address, p]));
  const byRunId = new Map(snapshot.processes.filter((p) => p.kind === 'sentinel' && p.runId).map((p) => [p.runId, p]));
  const hostByName = new Map(snapshot.hosts.map((h) => [h.name, h]));
  const hostOf = new Map(snapshot.processes.map((p) => [p.id, p.host]));
  const cut = new Set((snapshot.cuts || []).map(([a, b]) => `${a}\u0000${b}`));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="topology-svg" width="${L.width}" height="${L.height}" ` +
    // A group, not an img: an img's children are presentational, and the process cards inside are buttons.
    `viewBox="0 0 ${L.width} ${L.height}" role="group" aria-describedby="topo-hint" ` +
    `aria-label="Topology: ${plural(snapshot.hosts.length, 'host')}, ${snapshot.processes.length} process${snapshot.processes.length === 1 ? '' : 'es'}">`);
  const marker = (id, cls) => `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ` +
    `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="topo-arrowhead ${cls}"/></marker>`;
  out.push(`<defs>${marker('topo-arrow', '')}${marker('topo-arrow-bad', 'bad')}` +
    `${marker('topo-arrow-repl-up', 'repl-up')}${marker('topo-arrow-repl-sync', 'repl-sync')}${marker('topo-arrow-repl-down', 'repl-down')}</defs>`);

  // Host boxes first, so arrows and cards draw over them. A host without power is drawn dark.
  for (const h of snapshot.hosts) {
    const r = L.hosts.get(h.name);
    const on = hostPowered(snapshot, h.name);
    // A sentinel on this host is drawn in the band; the host's title says it runs there.
    const sents = h.processes.map((id) => byId.get(id)).filter((p) => p && p.kind === 'sentinel');
    const onlySentinels = h.processes.length > 0 && sents.length === h.processes.length;
    // The title strip: the name on the left; on the right POWER OFF, else the IP; the sentinel note after the
    // name. Each only where it fits (the IP is on every card, the sentinel in the band, power off on the cards).
    const right = r.x + r.w - 10 - (headReserve.get(h.name) || 0);
    let room = right - (r.x + 10 + 8 * h.name.length) - 6;
    let tail = '';
    if (!on && room >= 72) {
      tail = `<text class="host-off" x="${right}" y="${r.y + 18}" text-anchor="end">POWER OFF</text>`;
      room -= 78;
    }
    const note = sents.length ? `+ ${sents.map((p) => p.name).join(', ')}` : '';
    const noteSvg = note && room >= 6.4 * note.length
      ? `<text class="host-sentinel" x="${r.x + 14 + 8 * h.name.length}" y="${r.y + 18}">${esc(note)}</text>` : '';
    if (noteSvg) room -= 6.4 * note.length + 6;
    if (on && h.ip && room >= 7.3 * h.ip.length) tail = `<text class="host-ip" x="${right}" y="${r.y + 18}" text-anchor="end">${esc(h.ip)}</text>`;
    out.push(`<g class="host${on ? '' : ' off'}" data-host="${esc(h.name)}" data-powered="${on}">` +
      `<title>${esc(on ? `host ${h.name}${sents.length ? ` (also runs ${sents.map((p) => p.name).join(', ')}, drawn in the Sentinels band)` : ''}` : `${h.name} has no power: its processes are gone and nobody hears from it`)}</title>` +
      `<rect class="host-box" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" rx="10"/>` +
      `<text class="host-name" x="${r.x + 10}" y="${r.y + 18}">${esc(h.name)}</text>${noteSvg}` +
      (onlySentinels ? `<text class="host-empty" x="${r.x + r.w / 2}" y="${r.y + HOST_HEAD + 30}" text-anchor="middle">only sentinels here →</text>` : '') +
      tail + '</g>');
  }

  // The Sentinels band: a box of its own, apart from the data nodes.
  if (L.band) {
    const b = L.band;
    const first = snapshot.processes.find((p) => p.kind === 'sentinel' && sentinelView(p));
    const q = first ? sentinelView(first).quorum : null;
    out.push(`<g class="sentinel-band-box"><title>Sentinels watch the master and its replicas, agree it is down, elect a leader and promote a replica</title>` +
      `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="10"/>` +
      `<text class="band-title" x="${b.x + 10}" y="${b.y + 18}">SENTINELS</text>` +
      (q != null ? `<text class="band-quorum" x="${b.x + b.w - 10}" y="${b.y + 18}" text-anchor="end">quorum ${q}</text>` : '') + '</g>');
  }

  // A partition: each host a cut touches is outlined (dashed) and tagged with its side, A, B…, as the strip
  // under the topology names them ("partitioned: db1 | db2, db3"); arrows that cross a cut are drawn cut
  // below. Hosts no cut touches still reach everyone and are left as they are.
  const sides = partitionSides(snapshot);
  const cutTags = []; // the side tags, which the replication labels keep clear of
  const tagSvg = [];
  if (sides) {
    sides.groups.forEach((g, i) => {
      const letter = String.fromCharCode(65 + i);
      const oneWay = sides.oneWay.find((w) => w.from[0] === g[0]);
      const tag = oneWay ? `✂ ${letter} ↛ ${sides.oneWay.length === 1 ? String.fromCharCode(65 + sides.groups.findIndex((x) => x.includes(oneWay.to[0]))) : '…'}` : `✂ side ${letter}`;
      for (const h of g) {
        const r = L.hosts.get(h);
        if (!r) continue;
        const tip = oneWay ? `${h}'s messages to ${oneWay.to.join(', ')} are lost` : `${h} is on side ${letter} of the partition: it cannot reach the other side`;
        const w = tag.length * 7 + 12;
        cutTags.push({ x: r.x + 10, y: r.y + r.h - 4, w, h: 16 });
        out.push(`<g class="cut side-${letter}" data-cut-host="${esc(h)}" data-side="${letter}"><title>${esc(tip)}</title>` +
          `<rect class="cut-ring" x="${r.x - 4}" y="${r.y - 4}" width="${r.w + 8}" height="${r.h + 8}" rx="13"/></g>`);
        // The tag goes over the arrows (with the labels), at the box's lower left where arrows seldom pass.
        tagSvg.push(`<g class="cut cut-label" data-cut-tag="${esc(h)}"><title>${esc(tip)}</title>` +
          `<rect class="cut-tag" x="${r.x + 10}" y="${r.y + r.h - 4}" width="${w}" height="16" rx="8"/>` +
          `<text x="${r.x + 10 + w / 2}" y="${r.y + r.h + 8}" text-anchor="middle">${esc(tag)}</text></g>`);
      }
    });
  }

  // Every arrow's way, routed first in one order (replication links, then clients), so that selecting a card
  // or a label's place never moves an arrow.
  const links = replicationLinks(snapshot).filter((l) => L.procs.has(l.from) && L.procs.has(l.to));
  const clientLinks = [];
  for (const p of snapshot.processes) {
    if (p.kind !== 'client' || p.target == null) continue;
    const split = p.readTarget != null && p.readTarget !== p.target;
    const to = p.routeBy ? (p.routes || []).map((r) => [r, false]) : split ? [[p.target, false], [p.readTarget, true]] : [[p.target, false]];
    for (const [targetId, read] of to) {
      if (L.procs.has(p.id) && L.procs.has(targetId) && byId.has(targetId)) clientLinks.push({ from: p.id, to: targetId, read, split, p, share: read ? 'reads' : 'sends' });
    }
  }
  const ways = routeArrows(L, [...links, ...clientLinks], hostOf);
  links.forEach((l, i) => { l.way = ways[i]; });
  clientLinks.forEach((l, i) => { l.way = ways[links.length + i]; });

  const labels = []; // pills and arrow words, drawn over every arrow
  // What a label should not cover: the cards, the host title strips, the arrowheads, the other labels.
  const obstacles = [];
  for (const r of L.procs.values()) obstacles.push({ ...r, weight: 3 });
  for (const r of L.hosts.values()) obstacles.push({ x: r.x, y: r.y, w: r.w, h: HOST_HEAD, weight: 2 });
  for (const t of cutTags) obstacles.push({ ...t, weight: 3 });
  for (const w of ways) obstacles.push({ ...headBox(w), weight: 3 });
  const pills = [];
  const bounds = { x: 1, y: 1, w: L.width - 2, h: L.height - 2 };

  // Replication links: master -> replica, the direction the data flows.
  const mine = (l) => (l.from === selected || l.to === selected ? 0 : 1);
  const many = links.length > FEW_LINKS;
  const labelled = many ? [...links].sort((x, y) => mine(x) - mine(y)) : links;
  for (const link of links) {
    const m = byId.get(link.from);
    const rp = byId.get(link.to);
    out.push(`<g class="repl repl-${link.cls}" data-repl="${link.from}-${link.to}" data-link-state="${esc(link.link || '')}">` +
      `<title>${esc(`${m.name} → ${rp.name}: replication stream (${rp.name}'s link: ${link.link})` +
        (link.ackOffset != null ? `\n${rp.name} acknowledged offset ${link.ackOffset} (REPLCONF ACK, once a second); ` +
          `${m.name} has sent ${link.lagBytes} bytes more since` : ''))}</title>` +
      `${arrowShape(link.way, '', `topo-arrow-repl-${link.cls}`)}</g>`);
  }
  for (const link of labelled) {
    const spot = placePill(link.way, pillSize(link.label), obstacles, pills, bounds);
    if (many && spot.clash) continue; // its figures stay in the arrow's tooltip and the inspector
    pills.push(spot.rect);
    labels.push(`<g class="repl-label" data-repl-label="${link.from}-${link.to}">${pill(spot.x, spot.y, link.label, `repl-${link.cls}`)}</g>`);
  }

  // Client -> target arrows (writes, or everything), and a dashed one to where reads go when they split.
  for (const { from, to, read, split, p, way } of clientLinks) {
    const target = byId.get(to);
    const isCut = cut.has(`${hostOf.get(from)}\u0000${target.host}`) || cut.has(`${target.host}\u0000${hostOf.get(from)}`);
    const bad = isCut || target.state !== 'up';
    out.push(arrowShape(way, `class="link${read ? ' read' : ''}${bad ? ' bad' : ''}" data-link="${p.id}-${to}${read ? '-read' : ''}" `,
      bad ? 'topo-arrow-bad' : 'topo-arrow'));
    if (split) {
      const word = read ? 'reads' : 'writes';
      // Beside its own arrow, clear of the cards and of the other labels; many applications: only where it
      // covers no other label.
      const spot = placePill(way, { w: word.length * 6.6 + 6, h: 15 }, obstacles, pills, bounds);
      if (pills.some((q) => overlap(spot.rect, q) > 0)) continue;
      pills.push(spot.rect);
      labels.push(`<text class="link-word${read ? ' read' : ''}" x="${spot.x}" y="${spot.y + 4}" text-anchor="middle">${word}</text>`);
    }
  }

  // Process cards.
  for (const p of snapshot.processes) {
    const r = L.procs.get(p.id);
    if (!r) continue;
    if (p.kind === 'sentinel') {
      out.push(sentinelCard(p, r, { byAddress, byRunId, leader, selected }));
      continue;
    }
    const { badge, sub, third, fourth, fourthCls } = procLines(p, byId, { disk: p.kind === 'server' ? diskTotals(hostByName.get(p.host)) : null });
    const off = p.hostPowered === false;
    const cls = ['proc', `kind-${p.kind}`, p.role ? `role-${p.role}` : '', `state-${p.state}`, off ? 'host-off' : '', selected === p.id ? 'selected' : '']
      .filter(Boolean).join(' ');
    const nameW = Math.min(r.w - 90, 8 * p.name.length);
    const strike = p.state === 'crashed'
      ? `<line class="strike" x1="${r.x + 10}" y1="${r.y + 14}" x2="${r.x + 12 + nameW}" y2="${r.y + 14}"/>` : '';
    const badgeW = 10 + 7 * badge.length;
    const room = r.w - 20;
    // The name stops short of the badge; the last line, of what cluster.js draws at its end.
    const nameRoom = r.w - badgeW - 7 - 12 - 4;
    const lastRoom = room - (tailReserve.get(p.id) || 0);
    const link = p.kind === 'server' && p.role === 'replica' ? linkStatus(p, byId) : null;
    const tip = [`${p.name} (${p.kind}) — ${off ? 'host powered off' : p.state}`];
    if (p.runId) tip.push(`run_id ${p.runId}`);
    if (link && link.note) tip.push(`${link.text.replace(' ⚠', '')}: ${link.note} (a replica declares the link down after repl-timeout without data)`);
    out.push(`<g class="${cls}" data-proc-id="${p.id}" data-proc-name="${esc(p.name)}" data-proc-kind="${esc(p.kind)}" ` +
      `data-proc-state="${esc(p.state)}"${p.role ? ` data-role="${esc(p.role)}"` : ''}${link ? ` data-repl-link="${esc(p.replication.link)}"` : ''} ` +
      `tabindex="0" role="button" aria-pressed="${selected === p.id}" aria-label="${esc(cardLabel(p, byId))}">` +
      `<title>${esc(tip.join('\n'))}</title>${focusRing(r)}` +
      `<rect class="card" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" rx="8"/>` +
      `<rect class="stripe" x="${r.x}" y="${r.y}" width="6" height="${r.h}" rx="3"/>` +
      `<text class="proc-name" x="${r.x + 12}" y="${r.y + 18}"${fit(p.name, nameRoom, 'name')}>${esc(p.name)}</text>${strike}` +
      `<rect class="badge" x="${r.x + r.w - badgeW - 7}" y="${r.y + 6}" width="${badgeW}" height="17" rx="8.5"/>` +
      `<text class="badge-text" x="${r.x + r.w - badgeW / 2 - 7}" y="${r.y + 18.5}" text-anchor="middle">${esc(badge)}</text>` +
      `<text class="proc-sub" x="${r.x + 12}" y="${r.y + 34}"${fit(sub, room, 'mono')}>${esc(sub)}</text>` +
      `<text class="proc-third" x="${r.x + 12}" y="${r.y + 48.5}"${fit(third, room, off || p.state !== 'up' ? 'bold' : 'sans')}>${esc(third)}</text>` +
      (fourth ? `<text class="proc-fourth ${fourthCls}" x="${r.x + 12}" y="${r.y + 62}"${fit(fourth, lastRoom, fourthCls === 'muted' ? 'sans' : 'bold')}>${esc(fourth)}</text>` : '') +
      '</g>');
  }
  out.push(`<g class="labels">${tagSvg.join('')}${labels.join('')}</g>`);
  out.push('</svg>');
  return out;
}

/** The keyboard focus ring, just outside a card (drawn only on :focus-visible, see style.css). */
function focusRing(r) {
  return `<rect class="focus-ring" x="${r.x - 4}" y="${r.y - 4}" width="${r.w + 8}" height="${r.h + 8}" rx="11"/>`;
}

function sentinelCard(p, r, { byAddress, byRunId, leader, selected }) {
  const { badge, sub, third, fourth, fourthCls, status, voteName } = sentinelLines(p, byAddress, byRunId, leader);
  const off = p.hostPowered === false;
  const isLeader = leader && leader.proc === p.id;
  const cls = ['proc', 'kind-sentinel', `state-${p.state}`, status ? `view-${status}` : '', off ? 'host-off' : '',
    isLeader ? 'leader' : '', selected === p.id ? 'selected' : ''].filter(Boolean).join(' ');
  const m = sentinelView(p);
  const tip = [`${p.name} (sentinel on ${p.host}, ${p.address || ''}) — ${off ? 'host powered off' : p.state}`];
  if (m && !off && p.state === 'up') {
    tip.push(`view of ${m.name}: ${m.status.toUpperCase()} (${m.status === 'ok' ? 'the master answers' : m.status === 'sdown' ? 'subjectively down: no valid reply for down-after-milliseconds' : 'objectively down: a quorum agrees'})`);
    tip.push(`gives clients ${m.address} for ${m.name}; config epoch ${m.configEpoch}`);
    tip.push(`current epoch ${p.sentinel.currentEpoch}; ${m.votedFor ? `voted for ${voteName || m.votedFor} (${m.votedFor}) in epoch ${m.votedEpoch}` : 'has not voted'}`);
    tip.push(`failover state: ${failoverWord(m.failoverState)}; knows ${plural(m.replicas, 'replica')} and ${plural(m.otherSentinels, 'other sentinel')}`);
  }
  const badgeW = 12 + 7.8 * badge.length;
  const room = r.w - 20;
  const nameW = Math.min(r.w - 90, 8 * p.name.length);
  const strike = p.state === 'crashed'
    ? `<line class="strike" x1="${r.x + 10}" y1="${r.y + 13}" x2="${r.x + 12 + nameW}" y2="${r.y + 13}"/>` : '';
  return `<g class="${cls}" data-proc-id="${p.id}" data-proc-name="${esc(p.name)}" data-proc-kind="sentinel" ` +
    `data-proc-state="${esc(p.state)}" data-view="${esc(status || '')}" data-failover-state="${esc(m ? m.failoverState : '')}"${isLeader ? ' data-leader="true"' : ''} ` +
    `tabindex="0" role="button" aria-pressed="${selected === p.id}" ` +
    `aria-label="${esc(`${p.name}, sentinel on ${p.host}, ${off ? 'powered off' : p.state}${status ? `, sees the master ${status}` : ''}${isLeader ? ', failover leader' : ''}`)}">` +
    `<title>${esc(tip.join('\n'))}</title>${focusRing(r)}` +
    `<rect class="card" x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" rx="8"/>` +
    `<rect class="stripe" x="${r.x}" y="${r.y}" width="6" height="${r.h}" rx="3"/>` +
    `<text class="proc-name" x="${r.x + 12}" y="${r.y + 16}"${fit(p.name, r.w - badgeW - 7 - 16, 'name')}>${esc(p.name)}</text>${strike}` +
    `<rect class="badge view-badge" x="${r.x + r.w - badgeW - 7}" y="${r.y + 5}" width="${badgeW}" height="16" rx="8"/>` +
    `<text class="badge-text" x="${r.x + r.w - badgeW / 2 - 7}" y="${r.y + 16.5}" text-anchor="middle">${esc(badge)}</text>` +
    `<text class="proc-sub" x="${r.x + 12}" y="${r.y + 30}"${fit(sub, room, 'mono')}>${esc(sub)}</text>` +
    `<text class="proc-third" x="${r.x + 12}" y="${r.y + 44}"${fit(third, room, 'sans')}>${esc(third)}</text>` +
    (fourth ? `<text class="proc-fourth ${fourthCls}" x="${r.x + 12}" y="${r.y + 58}"${fit(fourth, room, fourthCls === 'muted' ? 'sans' : 'bold')}>${esc(fourth)}</text>` : '') +
    '</g>';
}
