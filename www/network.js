// The Network tool: partitions (both ways or one way) between hosts, healing them, and each link's latency,
// jitter and loss. It builds its own dialog and acts only through the `inject` it is given, so every change
// lands in the session's action log (and in share links) with its virtual time. `partitionSides` is a pure
// function of a snapshot, also used to label the topology while a partition holds.

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const LATENCY_MAX = 1000;   // the sliders' ranges; the number fields take more (up to the core's limit)
const JITTER_MAX = 500;

/**
 * What the cuts in a snapshot amount to, in words. Hosts are grouped by what they cannot reach (and what
 * cannot reach them); hosts no cut touches are left out (they still reach everyone).
 * Returns null when nothing is cut, else {symmetric, groups: [[host]], oneWay: [{from: [host], to: [host]}], text}.
 */
export function partitionSides(snapshot) {
  const cuts = (snapshot && snapshot.cuts) || [];
  if (!cuts.length) return null;
  const order = snapshot.hosts.map((h) => h.name);
  const rank = new Map(order.map((n, i) => [n, i]));
  const byRank = (a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0);
  const set = new Set(cuts.map(([a, b]) => `${a}\u0000${b}`));
  const symmetric = cuts.every(([a, b]) => set.has(`${b}\u0000${a}`));
  const out = new Map();
  const inn = new Map();
  for (const [a, b] of cuts) {
    if (!out.has(a)) out.set(a, []);
    if (!inn.has(b)) inn.set(b, []);
    out.get(a).push(b);
    inn.get(b).push(a);
  }
  const sig = (h) => `${(out.get(h) || []).sort(byRank).join(',')}|${(inn.get(h) || []).sort(byRank).join(',')}`;
  const groups = new Map();
  for (const h of order) {
    if (!out.has(h) && !inn.has(h)) continue;
    const k = sig(h);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(h);
  }
  const list = [...groups.values()];
  const oneWay = [];
  if (!symmetric) {
    for (const g of list) {
      const to = (out.get(g[0]) || []).filter((b) => !set.has(`${b}\u0000${g[0]}`)).sort(byRank);
      if (to.length) oneWay.push({ from: g, to });
    }
  }
  const text = symmetric
    ? `partitioned: ${list.map((g, i) => `${g.join(', ')} (${String.fromCharCode(65 + i)})`).join(' | ')}`
    : `one-way cut: ${oneWay.map((w) => `${w.from.join(', ')} ↛ ${w.to.join(', ')}`).join('; ')}` +
      (oneWay.length < list.length && list.some((g) => (out.get(g[0]) || []).some((b) => set.has(`${b}\u0000${g[0]}`))) ? ' (and some links cut both ways)' : '');
  return { symmetric, groups: list, oneWay, text };
}

/** The parameters of the link from → to in a snapshot: the link's own, or the network's default. */
export function linkParams(snapshot, from, to) {
  const own = (snapshot.links || []).find((l) => l.from === from && l.to === to);
  const d = snapshot.defaultLink || { latencyMs: 0, jitterMs: 0, loss: 0 };
  const p = own || d;
  return { latencyMs: p.latencyMs, jitterMs: p.jitterMs, loss: p.loss, own: !!own };
}

/** The partition action for sides A and B (host names), both ways or A → B only. */
export function partitionAction(a, b, oneWay) {
  return oneWay ? { do: 'partition_one_way', from: a, to: b } : { do: 'partition', groups: [a, b] };
}

/** The link action for the chosen pair and values (loss in %, as the sliders show it). */
export function linkAction(from, to, latencyMs, jitterMs, lossPct, symmetric) {
  return { do: 'link', from, to, latency_ms: latencyMs, jitter_ms: jitterMs, loss: Math.round(lossPct * 10) / 1000, symmetric };
}

/**
 * The dialog. `hooks`: {snapshot(), selected() → the selected process or null, inject(action), pause(), now()}.
 */
export class NetworkTool {
  constructor(hooks) {
    this.hooks = hooks;
    this.dlg = null;
    this.sides = new Map();   // host -> 'A' | 'B' | ''
  }

  build() {
    const dlg = document.createElement('dialog');
    dlg.id = 'network-dialog';
    dlg.setAttribute('aria-labelledby', 'net-title');
    dlg.innerHTML = `
<form method="dialog" class="picker network">
  <h3 id="net-title">Network</h3>
  <p class="picker-text">Each change is an action at the current virtual time, recorded in the session's action log (and share links).</p>
  <div class="net-grid">
  <fieldset class="net-section">
    <legend>Partition</legend>
    <div class="net-mode" role="radiogroup" aria-label="Partition mode">
      <label><input type="radio" name="net-mode" value="both" checked> both ways <span class="muted">— A and B cannot reach each other</span></label>
      <label><input type="radio" name="net-mode" value="one"> one way <span class="muted">— A's messages to B are lost; B still reaches A</span></label>
    </div>
    <table class="net-sides" aria-label="Which side each host is on">
      <thead><tr><th>host</th><th>A</th><th>B</th><th title="Not in the partition: reaches both sides">neither</th></tr></thead>
      <tbody id="net-hosts"></tbody>
    </table>
    <div class="net-presets" id="net-presets"></div>
    <p class="picker-preview">Runs: <code id="net-part-preview"></code></p>
    <div class="net-row">
      <span id="net-current" class="net-current" role="status"></span>
      <span class="spacer"></span>
      <button type="button" id="net-heal" aria-label="Heal: repair every cut link">Heal</button>
      <button type="button" id="net-cut" class="primary" aria-label="Cut: apply the partition">Cut</button>
    </div>
  </fieldset>
  <fieldset class="net-section">
    <legend>Link</legend>
    <div class="net-pair">
      <label>from <select id="net-from" aria-label="Link from host"></select></label>
      <label>to <select id="net-to" aria-label="Link to host"></select></label>
      <label class="check-toggle"><input type="checkbox" id="net-sym" checked> both directions</label>
    </div>
    <div class="net-slider"><label for="net-latency">latency</label><input type="range" id="net-latency" min="0" max="${LATENCY_MAX}" step="1" aria-label="Latency in ms">
      <input type="number" id="net-latency-n" min="0" max="3600000" step="1" aria-label="Latency in ms (number)"><span>ms</span></div>
    <div class="net-slider"><label for="net-jitter">jitter</label><input type="range" id="net-jitter" min="0" max="${JITTER_MAX}" step="1" aria-label="Jitter in ms">
      <input type="number" id="net-jitter-n" min="0" max="3600000" step="1" aria-label="Jitter in ms (number)"><span>ms</span></div>
    <div class="net-slider"><label for="net-loss">loss</label><input type="range" id="net-loss" min="0" max="100" step="0.5" aria-label="Loss in percent">
      <input type="number" id="net-loss-n" min="0" max="100" step="0.1" aria-label="Loss in percent (number)"><span>%</span></div>
    <p class="picker-preview">Now: <span id="net-link-now"></span></p>
    <p class="picker-preview">Runs: <code id="net-link-preview"></code></p>
    <div class="net-row"><span class="spacer"></span><button type="button" id="net-apply" class="primary" aria-label="Apply the link settings">Apply link</button></div>
  </fieldset>
  </div>
  <div class="picker-buttons"><button type="submit" value="close">Close</button></div>
</form>`;
    document.body.append(dlg);
    this.dlg = dlg;
    const $ = (id) => dlg.querySelector(`#${id}`);
    this.$ = $;
    dlg.querySelectorAll('input[name="net-mode"]').forEach((r) => r.addEventListener('change', () => this.update()));
    $('net-cut').addEventListener('click', () => this.cut());
    $('net-heal').addEventListener('click', () => this.heal());
    $('net-apply').addEventListener('click', () => this.applyLink());
    const pairChanged = () => { this.loadLink(); this.update(); };
    $('net-from').addEventListener('change', pairChanged);
    $('net-to').addEventListener('change', pairChanged);
    $('net-sym').addEventListener('change', () => this.update());
    for (const k of ['latency', 'jitter', 'loss']) {
      const range = $(`net-${k}`);
      const num = $(`net-${k}-n`);
      range.addEventListener('input', () => { num.value = range.value; this.update(); });
      num.addEventListener('input', () => { if (num.value !== '') range.value = num.value; this.update(); });
    }
  }

  /** Open the dialog; `preset` = {isolate: hostName} puts that host alone on side A. */
  open(preset = null) {
    if (!this.dlg) this.build();
    const snap = this.hooks.snapshot();
    if (!snap) return;
    this.hooks.pause();
    const $ = this.$;
    const hosts = snap.hosts.map((h) => h.name);
    // Sides: the current partition's, else none; a preset overrides.
    this.sides = new Map(hosts.map((h) => [h, '']));
    const now = partitionSides(snap);
    if (now && now.symmetric && now.groups.length === 2) {
      for (const h of now.groups[0]) this.sides.set(h, 'A');
      for (const h of now.groups[1]) this.sides.set(h, 'B');
    }
    if (preset && preset.isolate) this.isolate(preset.isolate, hosts);
    const byId = new Map(snap.processes.map((p) => [p.id, p]));
    $('net-hosts').innerHTML = snap.hosts.map((h) => {
      const procs = h.processes.map((id) => byId.get(id)?.name).filter(Boolean).join(', ');
      const cell = (v) => `<td><input type="radio" name="side-${esc(h.name)}" value="${v}" data-host="${esc(h.name)}" ` +
        `aria-label="${esc(h.name)}: ${v ? `side ${v}` : 'neither side'}"${this.sides.get(h.name) === v ? ' checked' : ''}></td>`;
      return `<tr><th scope="row">${esc(h.name)} <span class="muted">${esc(procs)}</span></th>${cell('A')}${cell('B')}${cell('')}</tr>`;
    }).join('');
    $('net-hosts').querySelectorAll('input[type="radio"]').forEach((r) => r.addEventListener('change', () => {
      this.sides.set(r.dataset.host, r.value);
      this.update();
    }));
    // Presets: isolate the selected process's host (or any host).
    const sel = this.hooks.selected();
    const first = sel ? sel.host : null;
    const presetHosts = first ? [first, ...hosts.filter((h) => h !== first)] : hosts;
    $('net-presets').innerHTML = '<span class="muted">Isolate:</span> ' + presetHosts.map((h) =>
      `<button type="button" data-isolate="${esc(h)}" aria-label="Isolate ${esc(h)}: ${esc(h)} on side A, every other host on side B"` +
      `${h === first ? ' class="selected-host"' : ''}>${esc(h)}${h === first ? ` (${esc(sel.name)})` : ''}</button>`).join(' ');
    $('net-presets').querySelectorAll('button[data-isolate]').forEach((b) => b.addEventListener('click', () => {
      this.isolate(b.dataset.isolate, hosts);
      this.syncRadios();
      this.update();
    }));
    // The link pair: the selected process's host to the next one, or the first two.
    const fill = (el, value) => {
      el.innerHTML = hosts.map((h) => `<option value="${esc(h)}">${esc(h)}</option>`).join('');
      el.value = value;
    };
    const from = first || hosts[0];
    fill($('net-from'), from);
    fill($('net-to'), hosts.find((h) => h !== from) || from);
    this.loadLink();
    this.update();
    if (!this.dlg.open) this.dlg.showModal();
  }

  isolate(host, hosts) {
    for (const h of hosts) this.sides.set(h, h === host ? 'A' : 'B');
  }

  syncRadios() {
    this.$('net-hosts').querySelectorAll('input[type="radio"]').forEach((r) => {
      r.checked = this.sides.get(r.dataset.host) === r.value;
    });
  }

  oneWay() {
    return this.dlg.querySelector('input[name="net-mode"]:checked').value === 'one';
  }

  side(s) {
    return [...this.sides].filter(([, v]) => v === s).map(([h]) => h);
  }

  /** The current partition action, or null with the reason when A or B is empty. */
  partition() {
    const a = this.side('A');
    const b = this.side('B');
    if (!a.length || !b.length) return { action: null, why: 'put at least one host on each side' };
    return { action: partitionAction(a, b, this.oneWay()) };
  }

  /** The link fields as numbers, or null when one is not a number in range. */
  linkValues() {
    const $ = this.$;
    const num = (id, max) => {
      const v = Number($(id).value);
      return $(id).value !== '' && Number.isFinite(v) && v >= 0 && v <= max ? v : null;
    };
    const latency = num('net-latency-n', 3600000);
    const jitter = num('net-jitter-n', 3600000);
    const loss = num('net-loss-n', 100);
    if (latency == null || jitter == null || loss == null) return null;
    return { latency: Math.round(latency), jitter: Math.round(jitter), loss };
  }

  loadLink() {
    const $ = this.$;
    const snap = this.hooks.snapshot();
    const from = $('net-from').value;
    const to = $('net-to').value;
    const p = linkParams(snap, from, to);
    const set = (k, v) => { $(`net-${k}`).value = String(v); $(`net-${k}-n`).value = String(v); };
    set('latency', p.latencyMs);
    set('jitter', p.jitterMs);
    set('loss', Math.round(p.loss * 1000) / 10);
    const back = linkParams(snap, to, from);
    const fmt = (x) => `${x.latencyMs} ms ± ${x.jitterMs} ms, ${Math.round(x.loss * 1000) / 10}% loss${x.own ? '' : ' (default)'}`;
    $('net-link-now').textContent = from === to ? 'a host talks to itself over loopback'
      : `${from} → ${to}: ${fmt(p)}; ${to} → ${from}: ${fmt(back)}`;
  }

  update() {
    const $ = this.$;
    const snap = this.hooks.snapshot();
    const { action, why } = this.partition();
    $('net-part-preview').textContent = action ? JSON.stringify(action) : `(${why})`;
    $('net-cut').disabled = !action;
    const now = snap ? partitionSides(snap) : null;
    $('net-current').textContent = now ? `Now ${now.text}` : 'Nothing is cut now.';
    $('net-heal').disabled = !now;
    const v = this.linkValues();
    const same = $('net-from').value === $('net-to').value;
    $('net-link-preview').textContent = same ? '(pick two different hosts)' : v
      ? JSON.stringify(linkAction($('net-from').value, $('net-to').value, v.latency, v.jitter, v.loss, $('net-sym').checked))
      : '(latency and jitter in ms, loss from 0 to 100 %)';
    $('net-apply').disabled = same || !v;
  }

  act(action) {
    this.dlg.close('done');
    return this.hooks.inject(action);
  }

  cut() {
    const { action } = this.partition();
    if (action) this.act(action);
  }

  heal() {
    this.act({ do: 'heal' });
  }

  applyLink() {
    const $ = this.$;
    const v = this.linkValues();
    if (!v || $('net-from').value === $('net-to').value) return;
    this.act(linkAction($('net-from').value, $('net-to').value, v.latency, v.jitter, v.loss, $('net-sym').checked));
  }
}
