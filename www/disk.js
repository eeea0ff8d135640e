// The disk panel: a pure function from a host of `snapshot()` (its files), the trace's forked children and
// saves (from the `TimelineIndex`), and what the page saw of the last fault, to HTML. Each file is a bar:
// the fsynced part solid, the part only in the OS page cache hatched (a power loss takes it, a process crash
// does not), a torn tail flagged. The words say what a learner needs: how much is not fsynced yet, when the
// last save and rewrite ran.

import { esc, fmtBytes, diskTotals } from './topology.js';
import { formatSeconds } from './timeline.js';

const KIND = { rdb: 'RDB', aof: 'AOF', manifest: 'manifest' };

function entriesWord(f) {
  if (f.kind === 'rdb') return `${f.entries} key${f.entries === 1 ? '' : 's'}`;
  if (f.kind === 'aof') return `${f.entries} command${f.entries === 1 ? '' : 's'}`;
  return `${f.entries} entr${f.entries === 1 ? 'y' : 'ies'}`;
}

// Intact files are not intact data: what was only in memory (writes since the last snapshot, or not yet
// written to the AOF) died with the process. The Checks panel counts those writes.
const MEMORY_GONE = '; memory is gone too, and with it every write that had not reached them.';

function fileRow(f, scale, cut) {
  const unsynced = Math.max(0, f.bytes - f.syncedBytes);
  const slash = f.path.lastIndexOf('/');
  const base = slash >= 0 ? f.path.slice(slash + 1) : f.path;
  const temp = /^temp-/.test(base);
  const before = cut && cut.files.get(f.path);
  // The bar: solid synced bytes, hatched unsynced ones; a dashed ghost for what the last power loss cut.
  const pct = (n) => (100 * n) / scale;
  const ghost = before && before.bytes > f.bytes ? pct(before.bytes - f.bytes) : 0;
  const bar = `<span class="file-bar" aria-hidden="true">` +
    `<i class="synced" style="width:${pct(f.syncedBytes).toFixed(2)}%"></i>` +
    (unsynced ? `<i class="unsynced" style="width:${Math.max(1.5, pct(unsynced)).toFixed(2)}%"></i>` : '') +
    (f.tornBytes ? '<i class="torn"></i>' : '') +
    (ghost ? `<i class="ghost" style="width:${ghost.toFixed(2)}%"></i>` : '') +
    '</span>';
  const notes = [];
  if (unsynced) notes.push(`<span class="unsynced-note" data-unsynced="${unsynced}">${fmtBytes(unsynced)} not fsynced</span>`);
  if (f.tornBytes) notes.push(`<span class="torn-note" data-torn="${f.tornBytes}" title="The last command in this file was cut short by the power loss: the server drops it with a warning when it loads (aof-load-truncated yes) or refuses to start">⚠ torn tail: ${fmtBytes(f.tornBytes)} of a cut-short command</span>`);
  if (before && before.bytes > f.bytes) notes.push(`<span class="ghost-note">was ${fmtBytes(before.bytes)} before the ${esc(cut.what)}</span>`);
  const tip = `${f.path} (${KIND[f.kind] || f.kind}${temp ? ', being written by a forked child' : ''})\n` +
    `${f.bytes} bytes, ${f.syncedBytes} fsynced${unsynced ? `, ${unsynced} only in the OS page cache` : ''}; ${entriesWord(f)}` +
    (f.tornBytes ? `\ntorn tail: ${f.tornBytes} bytes of a cut-short command` : '') +
    (before ? `\nbefore the ${cut.what} at ${formatSeconds(cut.t)}: ${before.bytes} bytes (${before.syncedBytes} fsynced)` : '');
  return `<li class="disk-file kind-${esc(f.kind)}${slash >= 0 ? ' nested' : ''}${temp ? ' temp' : ''}" data-file="${esc(f.path)}" ` +
    `data-bytes="${f.bytes}" data-synced="${f.syncedBytes}" title="${esc(tip)}">` +
    `<span class="file-name">${esc(base)}</span>${bar}` +
    `<span class="file-size">${fmtBytes(f.bytes)}</span>` +
    `<span class="file-what">${esc(entriesWord(f))}</span>` +
    (notes.length ? `<span class="file-note">${notes.join(' · ')}</span>` : '') + '</li>';
}

function jobLine(saves, children, procs, now) {
  const mine = (x) => procs.has(x.proc);
  const running = children.filter((c) => mine(c) && c.t1 == null);
  const last = (what) => {
    for (let i = saves.length - 1; i >= 0; i--) if (mine(saves[i]) && what.includes(saves[i].what)) return saves[i];
    return null;
  };
  const save = last(['SAVE', 'BGSAVE']);
  const rewrite = last(['AOF rewrite']);
  const ago = (t) => `${formatSeconds(t)} (${((now - t) / 1000).toFixed(1)} s ago)`;
  const parts = [];
  for (const c of running) parts.push(`<b class="running">${c.job === 'bgsave' ? 'BGSAVE' : 'AOF rewrite'} running</b> since ${formatSeconds(c.t0)}`);
  parts.push(save ? `last save: ${save.what} at ${ago(save.t)} ${save.ok ? '<span class="ok">✓</span>' : '<span class="bad">✗ failed</span>'}` : 'no save yet');
  parts.push(rewrite ? `last AOF rewrite: ${ago(rewrite.t)} ${rewrite.ok ? '<span class="ok">✓</span>' : '<span class="bad">✗ failed</span>'}` : 'no AOF rewrite yet');
  return `<p class="disk-jobs" data-jobs>${parts.join(' · ')}</p>`;
}

/**
 * @param {object} host  a host of `snapshot()` (name, powered, disk)
 * @param {{index: import('./timeline.js').TimelineIndex, procs: Set<number>, now: number,
 *   cut?: {what: string, t: number, files: Map<string, {bytes:number, syncedBytes:number}>}|null}} ctx
 *   `procs` are the host's servers (whose saves count); `cut` is the host's disk as the page saw it just before
 *   its last power loss or crash.
 * @returns {string} HTML
 */
export function renderDisk(host, { index, procs, now, cut = null }) {
  const files = [...(host.disk || [])];
  const totals = diskTotals(host);
  const head = `<h3 class="disk-head">Disk of ${esc(host.name)} <span class="muted">${files.length ? `${files.length} file${files.length === 1 ? '' : 's'} · ${fmtBytes(totals.bytes)}` : 'empty'}</span></h3>`;
  if (!files.length) {
    return `<section class="disk" data-disk-host="${esc(host.name)}">${head}` +
      '<p class="muted small">No RDB or AOF file yet: a restart starts empty. Try <code>BGSAVE</code> or <code>CONFIG SET appendonly yes</code>.</p>' +
      jobLine(index.saves, index.children, procs, now) + '</section>';
  }
  // Top-level files first, then each directory's files under its name.
  files.sort((a, b) => {
    const da = a.path.includes('/') ? 1 : 0;
    const db = b.path.includes('/') ? 1 : 0;
    return da - db || a.path.localeCompare(b.path);
  });
  const scale = Math.max(1, ...files.map((f) => Math.max(f.bytes, cut && cut.files.get(f.path) ? cut.files.get(f.path).bytes : 0)));
  const rows = [];
  let dir = null;
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    const d = slash >= 0 ? f.path.slice(0, slash + 1) : null;
    if (d && d !== dir) rows.push(`<li class="disk-dir">${esc(d)}</li>`);
    dir = d;
    rows.push(fileRow(f, scale, cut));
  }
  let summary;
  if (host.powered === false) {
    summary = `<p class="disk-summary off"><b>Power is off:</b> the disk kept only what was fsynced (and what the OS had already written back).</p>`;
  } else if (totals.unsynced) {
    summary = `<p class="disk-summary warn" data-unsynced-total="${totals.unsynced}"><b>${fmtBytes(totals.unsynced)}</b> not fsynced yet (hatched): lost on a power loss, kept on a crash.</p>`;
  } else {
    summary = '<p class="disk-summary good">Every byte is fsynced: a power loss now would take nothing.</p>';
  }
  let cutLine = '';
  if (cut) {
    const lost = cut.lostBytes || 0;
    cutLine = cut.what === 'power loss'
      ? `<p class="disk-cut power" data-cut="power" data-lost="${lost}">⚡ Power loss at ${formatSeconds(cut.t)}: ` +
        `${lost ? `${fmtBytes(lost)} that were not fsynced are gone from the files` : 'the files lost nothing, every byte had been fsynced'}` +
        `${MEMORY_GONE}</p>`
      : `<p class="disk-cut crash" data-cut="crash" data-lost="${lost}">✖ Process crash at ${formatSeconds(cut.t)}: ` +
        `${lost ? `${fmtBytes(lost)} gone from the files` : 'the files kept every written byte (the OS page cache survives a crash)'}` +
        `${MEMORY_GONE}</p>`;
  }
  return `<section class="disk" data-disk-host="${esc(host.name)}">${head}${summary}` +
    `${cutLine}<ul class="disk-files">${rows.join('')}</ul>${jobLine(index.saves, index.children, procs, now)}</section>`;
}
