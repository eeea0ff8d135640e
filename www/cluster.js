// Redis Cluster views: pure functions from CLUSTER NODES text (read on a throwaway copy of the simulation, see
// app.js) and `snapshot()` to SVG/HTML. The slot map shows who owns each of the 16384 hash slots, with
// migrating / importing slots marked; the cluster topology groups the nodes by shard (a master and its replicas).

import { esc, layout, widthFor } from './topology.js';

export const SLOTS = 16384;
// Dark enough for the white text of the host tags (4.5:1).
const SHARD_COLOURS = ['#2563eb', '#15803d', '#c2410c', '#8e44ad', '#be123c', '#0e7490', '#4d7c0f', '#a21caf'];

/** Parse redis-cli's quoted CLUSTER NODES reply into node records. */
export function parseClusterNodes(reply) {
  let text = String(reply || '').trim();
  if (text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"');
  const nodes = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9a-f]{40}$/.test(f[0])) continue;
    const flags = f[2].split(',');
    const n = { id: f[0], address: f[1].split('@')[0], flags, myself: flags.includes('myself'),
      master: f[3] === '-' ? null : f[3], configEpoch: Number(f[6]), link: f[7], ranges: [], migrating: [], importing: [],
      role: flags.includes('master') ? 'master' : flags.includes('slave') ? 'replica' : '?',
      fail: flags.includes('fail') ? 'fail' : flags.includes('fail?') ? 'fail?' : null };
    for (const tok of f.slice(8)) {
      let m;
      if ((m = /^\[(\d+)->-([0-9a-f]+)\]$/.exec(tok))) n.migrating.push({ slot: Number(m[1]), to: m[2] });
      else if ((m = /^\[(\d+)-<-([0-9a-f]+)\]$/.exec(tok))) n.importing.push({ slot: Number(m[1]), from: m[2] });
      else if ((m = /^(\d+)(?:-(\d+))?$/.exec(tok))) n.ranges.push([Number(m[1]), Number(m[2] ?? m[1])]);
    }
    nodes.push(n);
  }
  return nodes;
}

/**
 * The page's cluster view from each up node's CLUSTER NODES: the first up node's view of everyone (owners,
 * roles, failure flags) plus each node's own migrating/importing slots (only the two nodes of a move know them).
 * @param {{name:string, reply:string}[]} replies
 * @param snapshot  to name nodes by address
 */
export function clusterView(replies, snapshot) {
  const byAddress = new Map(snapshot.processes.filter((p) => p.kind === 'server').map((p) => [p.address, p]));
  const parsed = replies.map((r) => ({ name: r.name, nodes: parseClusterNodes(r.reply) })).filter((r) => r.nodes.length);
  if (!parsed.length) return null;
  const base = parsed[0];
  const nodes = base.nodes.map((n) => ({ ...n, name: byAddress.get(n.address)?.name ?? n.address, migrating: [], importing: [] }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const r of parsed) {
    const me = r.nodes.find((n) => n.myself);
    const mine = me && byId.get(me.id);
    if (!mine) continue;
    mine.migrating = me.migrating;
    mine.importing = me.importing;
  }
  // Failure detection as each master sees it: a master that flags a node "fail?" (PFAIL) holds a failure
  // report against it, and gossips it; once a majority of masters agree, the node is marked FAIL.
  for (const n of nodes) n.suspectedBy = [];
  for (const r of parsed) {
    const me = r.nodes.find((x) => x.myself);
    if (!me || me.role !== 'master' || !me.ranges.length) continue;
    for (const other of r.nodes) {
      if (!other.myself && other.fail) byId.get(other.id)?.suspectedBy.push(r.name);
    }
  }
  // One colour per shard, in the order of the first slot a master owns (masters without slots after).
  const masters = nodes.filter((n) => n.role === 'master');
  const first = (n) => (n.ranges.length ? Math.min(...n.ranges.map((r) => r[0])) : SLOTS + nodes.indexOf(n));
  masters.sort((a, b) => first(a) - first(b));
  // A master that owns no slot (a node that just joined, a failed master whose replica took over) is grey.
  masters.forEach((m, i) => { m.colour = m.ranges.length ? SHARD_COLOURS[i % SHARD_COLOURS.length] : '#6b7280'; m.shard = i; });
  for (const n of nodes) {
    if (n.role === 'replica') {
      const m = byId.get(n.master);
      n.colour = m ? m.colour : '#6b7280';
      n.shard = m ? m.shard : 99;
    }
    n.slotCount = n.ranges.reduce((s, [a, b]) => s + b - a + 1, 0);
  }
  const voters = masters.filter((m) => m.ranges.length).length;
  return { seenBy: base.name, nodes, byId, masters, voters, quorum: Math.floor(voters / 2) + 1 };
}

/** Slot ranges as Redis prints them: "0-5460 10923". */
export function rangeText(ranges) {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(' ');
}

/** The 16384-slot map: a 128 × 128 grid of slots (row by row), coloured by owner, with a legend. */
export function renderSlotMap(view, { width = 300 } = {}) {
  if (!view) return '<p class="muted small">No up node to ask for CLUSTER NODES.</p>';
  const COLS = 128;
  const cell = Math.max(0.5, Math.min(1.25, (width - 8) / COLS));
  const W = COLS * cell;
  const out = [`<svg class="slotgrid" width="${W + 2}" height="${W + 2}" viewBox="-1 -1 ${W + 2} ${W + 2}" role="img" aria-label="16384 hash slots, 128 per row, coloured by owner">`];
  out.push(`<rect class="slot-free" x="0" y="0" width="${W}" height="${W}"/>`);
  const rects = (a, b, cls, style, attrs) => {
    // Slots a..b, row-major, as up to three rectangles.
    const parts = [];
    const ra = Math.floor(a / COLS);
    const rb = Math.floor(b / COLS);
    const col = (s) => s % COLS;
    if (ra === rb) parts.push([col(a), ra, col(b) - col(a) + 1, 1]);
    else {
      parts.push([col(a), ra, COLS - col(a), 1]);
      if (rb - ra > 1) parts.push([0, ra + 1, COLS, rb - ra - 1]);
      parts.push([0, rb, col(b) + 1, 1]);
    }
    return parts.map(([x, y, w, h]) => `<rect class="${cls}" ${attrs} x="${x * cell}" y="${y * cell}" width="${w * cell}" height="${h * cell}" style="${style}"/>`).join('');
  };
  for (const n of view.nodes) {
    for (const [a, b] of n.ranges) out.push(`<g data-slot-owner="${esc(n.name)}" data-range="${a}-${b}"><title>${esc(`slots ${a}-${b}: ${n.name}`)}</title>${rects(a, b, 'slot-range', `fill:${n.colour}`, '')}</g>`);
  }
  // A range too small to see (less than a row) gets a ring in its owner's colour.
  for (const n of view.nodes) {
    for (const [a, b] of n.ranges) {
      if (b - a + 1 >= COLS) continue;
      const s = Math.floor((a + b) / 2);
      out.push(`<circle class="slot-small" data-small-range="${a}-${b}" cx="${(s % COLS) * cell + cell / 2}" cy="${Math.floor(s / COLS) * cell + cell / 2}" r="5" style="stroke:${n.colour}"><title>${esc(`slots ${rangeText([[a, b]])}: ${n.name}`)}</title></circle>`);
    }
  }
  const moves = [];
  for (const n of view.nodes) {
    for (const m of n.migrating) moves.push({ slot: m.slot, from: n, to: view.byId.get(m.to) });
  }
  for (const n of view.nodes) {
    for (const m of n.importing) if (!moves.some((x) => x.slot === m.slot)) moves.push({ slot: m.slot, from: view.byId.get(m.from), to: n });
  }
  for (const mv of moves) {
    const x = (mv.slot % COLS) * cell;
    const y = Math.floor(mv.slot / COLS) * cell;
    out.push(`<g class="slot-moving" data-moving-slot="${mv.slot}"><title>${esc(`slot ${mv.slot} moving ${mv.from?.name ?? '?'} → ${mv.to?.name ?? '?'}`)}</title>` +
      `<circle class="halo" cx="${x + cell / 2}" cy="${y + cell / 2}" r="6"/><circle cx="${x + cell / 2}" cy="${y + cell / 2}" r="6"/>` +
      `<rect x="${x}" y="${y}" width="${Math.max(cell, 1.5)}" height="${Math.max(cell, 1.5)}"/></g>`);
  }
  out.push('</svg>');
  const legend = view.masters.map((m) => {
    const note = m.fail ? ` <b class="slot-fail">${esc(m.fail)}</b>` : '';
    const epoch = ` <span class="muted small" data-config-epoch="${m.configEpoch}">epoch ${m.configEpoch}</span>`;
    return `<li title="${esc(`${m.name}: ${m.slotCount} slots${m.fail ? `, flagged ${m.fail}` : ''}`)}" data-legend-owner="${esc(m.name)}" data-ranges="${esc(rangeText(m.ranges))}"><i class="sw" style="background:${m.colour}"></i>` +
      `<b>${esc(m.name)}</b>${note} <span class="mono">${m.ranges.length ? esc(rangeText(m.ranges)) : 'no slots'}</span>${epoch}` +
      '</li>';
  });
  for (const mv of moves) {
    legend.push(`<li class="slot-move-legend" data-migrating="${mv.slot}"><i class="sw moving"></i><b>slot ${mv.slot}</b> migrating ` +
      `${esc(mv.from?.name ?? '?')} → ${esc(mv.to?.name ?? '?')}</li>`);
  }
  return `<div class="slotmap-grid">${out.join('')}</div><div class="slotmap-side"><div class="slotmap-title">16384 slots <span class="muted">as ${esc(view.seenBy)} sees them</span></div>` +
    `<ul class="slot-legend">${legend.join('')}</ul></div>`;
}

// Which shard each node was first seen in, so that a failover (master and replica swap roles) or a master
// that lost its slots does not move its host box around. Forgotten when a new simulation starts.
const groupOf = new Map();
let groups = 0;
export function resetClusterLayout() {
  groupOf.clear();
  groups = 0;
}

function updateGroups(view) {
  for (const m of view.masters) {
    const members = [m, ...view.nodes.filter((n) => n.master === m.id)];
    const known = members.map((n) => groupOf.get(n.name)).find((g) => g != null);
    if (known == null && !m.ranges.length && members.length === 1) {
      // a master with no slots and no replicas (a node that just joined): a group of its own
      if (!groupOf.has(m.name)) groupOf.set(m.name, groups++);
      continue;
    }
    const g = known ?? groups++;
    for (const n of members) if (!groupOf.has(n.name)) groupOf.set(n.name, g);
  }
}

/**
 * Hosts in the order `layout()` places them on a grid of `cols` columns. The deployments keep the scenario's
 * order of hosts: the cluster where its first node is, each of its shards a column (its first node on top,
 * the others under it), as many side by side as there are columns; the servers of other deployments (a
 * Sentinel-managed group, independent masters) in rows, starting a row of their own. Hosts without a server
 * (clients, tools) fill the places left free, then follow. A free place that nothing fills is a gap host
 * (`__gap…`), removed from the drawing. Depends only on the shards first seen, never on roles now.
 */
export function layoutHosts(snapshot, view, cols) {
  updateGroups(view);
  const byId = new Map(snapshot.processes.map((p) => [p.id, p]));
  const server = (h) => h.processes.map((id) => byId.get(id)).find((p) => p && p.kind === 'server');
  const shards = new Map();
  const runs = []; // {cluster: true} once, where the cluster's first host is, or {hosts: [...]} of other servers
  const others = [];
  for (const h of snapshot.hosts) {
    const s = server(h);
    const g = s ? groupOf.get(s.name) : null;
    if (!s) others.push(h);
    else if (g == null) {
      if (!runs.length || !runs[runs.length - 1].hosts) runs.push({ hosts: [] });
      runs[runs.length - 1].hosts.push(h);
    } else {
      if (!shards.size) runs.push({ cluster: true });
      if (!shards.has(g)) shards.set(g, []);
      shards.get(g).push(h);
    }
  }
  const out = [];
  let gaps = 0;
  const free = () => others.shift() ?? { name: `__gap${gaps++}`, ip: '', processes: [], powered: true, disk: [] };
  for (const run of runs) {
    if (run.cluster) {
      const columns = [...shards.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
      for (let b = 0; b < columns.length; b += cols) {
        const block = columns.slice(b, b + cols);
        const depth = Math.max(...block.map((c) => c.length));
        for (let k = 0; k < depth; k++) for (let c = 0; c < cols; c++) out.push(block[c]?.[k] ?? free());
      }
    } else {
      run.hosts.forEach((h, i) => {
        out.push(h);
        if (i === run.hosts.length - 1) while (out.length % cols) out.push(free());
      });
    }
  }
  out.push(...others);
  while (out.length && out[out.length - 1].name.startsWith('__gap')) out.pop();
  return out;
}

// Smaller than this, a card's 12 px text is under 8.6 px: the topology scrolls instead of shrinking further.
export const MIN_SCALE = 0.72;

/**
 * How to draw a cluster in a view of viewW x viewH: the number of columns whose arrangement shows largest
 * (at most 1:1), or, when even the best would be smaller than MIN_SCALE, the arrangement with the fewest
 * rows that is readable across the view's width: that one scrolls down. Returns {cols, hosts, scale, width,
 * height}: the hosts in layout order, and the drawing's size before it is scaled.
 */
export function fitCluster(snapshot, view, viewW, viewH) {
  const band = snapshot.processes.some((p) => p.kind === 'sentinel');
  let best = null;
  let readable = null;
  for (let cols = 1; cols <= Math.max(1, snapshot.hosts.length); cols++) {
    const hosts = layoutHosts(snapshot, view, cols);
    const L = layout({ ...snapshot, hosts }, widthFor(cols, band), 0, cols);
    const fit = { cols, hosts, width: L.width, height: L.height, scale: Math.min(1, viewW / L.width, viewH / L.height) };
    if (!best || fit.scale > best.scale + 1e-3) best = fit;
    if (viewW / L.width >= MIN_SCALE && (!readable || L.height < readable.height)) readable = fit;
  }
  if (best.scale < MIN_SCALE && readable) best = { ...readable, scale: Math.min(1, viewW / readable.width) };
  // The view's whole width (and height, when it fits), for the host boxes and gaps to spread into.
  return { ...best, width: Math.max(best.width, viewW / best.scale), height: Math.max(best.height, Math.min(viewH / best.scale, 1e5)) };
}

/** The tag at the right of a node's host title: its slots (a master), or the master it replicates (a replica). */
function nodeTag(n, view) {
  if (n.role !== 'master') return `↳ ${view.byId.get(n.master)?.name ?? '?'}`;
  return n.ranges.length > 1 ? `${n.slotCount} slots` : n.ranges.length ? rangeText(n.ranges) : 'no slots';
}
const tagWidth = (tag) => 7 * tag.length + 8;
const failWidth = (n) => (n.fail === 'fail' ? 38 : 56);

/**
 * The room the overlay draws into, for renderTopologyParts to keep its text out of: {head: host name -> px at
 * the right of its title (the tag), tail: process id -> px at the right of its card's last line (the badge)}.
 */
export function clusterReserve(snapshot, view) {
  const byName = new Map(view.nodes.map((n) => [n.name, n]));
  const head = new Map();
  const tail = new Map();
  for (const p of snapshot.processes) {
    const n = p.kind === 'server' ? byName.get(p.name) : null;
    if (!n) continue;
    head.set(p.host, tagWidth(nodeTag(n, view)) + 4);
    if (n.fail || n.suspectedBy.length) tail.set(p.id, failWidth(n) + 6);
  }
  return { head, tail };
}

/**
 * A node's failure state as the masters see it: "fail? 1/2" while some masters hold a failure report (out of
 * the majority needed), "FAIL" once it is agreed. At the right of the card's last line (kept free for it).
 */
function failBadge(n, view, r) {
  const k = n.suspectedBy.length;
  if (!n.fail && !k) return '';
  const agreed = n.fail === 'fail';
  const text = agreed ? 'FAIL' : `fail? ${k}/${view.quorum}`;
  const w = failWidth(n);
  const title = agreed
    ? `FAIL: a majority of the ${view.voters} masters agreed`
    : `PFAIL: ${k} of the ${view.quorum} masters needed hold a failure report (${n.suspectedBy.join(', ')})`;
  return `<g class="cl-fail ${agreed ? 'fail' : 'pfail'}" data-suspected-by="${k}" role="img" aria-label="${esc(title)}">` +
    `<rect x="${r.x + r.w - w - 6}" y="${r.y + r.h - 18}" width="${w}" height="15" rx="3"/>` +
    `<text x="${r.x + r.w - 6 - w / 2}" y="${r.y + r.h - 7}" text-anchor="middle">${esc(text)}</text></g>`;
}

export function clusterOverlay(svg, snapshot, view, { width, height, cols, scale }) {
  const L = layout(snapshot, width, height, cols);
  const byName = new Map(view.nodes.map((n) => [n.name, n]));
  const out = [];
  for (const p of snapshot.processes) {
    const r = L.procs.get(p.id);
    if (!r) continue;
    if (p.kind === 'reshard') {
      const moves = view.nodes.flatMap((n) => n.migrating.map((m) => ({ slot: m.slot, from: n.name, to: view.byId.get(m.to)?.name ?? '?' })));
      const [a, b] = moves.length ? [`moving slot ${moves[0].slot}`, `${moves[0].from} → ${moves[0].to}`] : ['redis-cli --cluster', 'no slot moving'];
      out.push(`<g class="cl-tool${moves.length ? ' active' : ''}" data-tool-moving="${moves.length ? moves[0].slot : ''}">` +
        `<rect x="${r.x + 8}" y="${r.y + 38}" width="${r.w - 16}" height="28" style="fill:#fff"/>` +
        `<text x="${r.x + 12}" y="${r.y + 48.5}">${esc(a)}</text><text x="${r.x + 12}" y="${r.y + 62}">${esc(b)}</text></g>`);
      continue;
    }
    const n = byName.get(p.name);
    if (!n || p.kind !== 'server') continue;
    const tag = nodeTag(n, view);
    const hr = L.hosts.get(p.host);
    out.push(`<g class="cl-node" data-cluster-node="${esc(n.name)}" data-cluster-role="${n.role}" data-cluster-flags="${esc(n.flags.filter((f) => f !== 'myself').join(','))}"` +
      ` data-slots="${esc(rangeText(n.ranges))}">` +
      `<rect class="cl-stripe" x="${r.x}" y="${r.y}" width="6" height="${r.h}" rx="3" style="fill:${n.colour}"/>` +
      (hr ? `<rect class="cl-tag-bg" x="${hr.x + hr.w - 4 - tagWidth(tag)}" y="${hr.y + 5}" width="${tagWidth(tag)}" height="17" rx="4" style="fill:${n.colour}"/>` +
        `<text class="cl-tag" x="${hr.x + hr.w - 8}" y="${hr.y + 18}" text-anchor="end">${esc(tag)}</text>` : '') +
      failBadge(n, view, r) +
      '</g>');
  }
  let res = svg.replace(/<g class="host[^"]*" data-host="__gap\d+"[\s\S]*?<\/g>/g, '')
    .replace(/<\/svg>$/, `<g class="cluster-overlay">${out.join('')}</g></svg>`);
  // Larger than the panel (a fourth shard, a tool, three deployments): scaled down, as fitCluster chose.
  if (scale < 1) {
    res = res.replace(/^<svg([^>]*?) width="[^"]*" height="[^"]*"/, `<svg$1 width="${Math.floor(L.width * scale)}" height="${Math.floor(L.height * scale)}"`);
  }
  return res;
}
