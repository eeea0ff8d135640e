// The timeline view: a space-time diagram drawn from trace records only. Time runs left to right; each process
// has a lane; a message is an arrow from its sender's lane at the send time to its receiver's lane at the
// delivery time. Client requests and their replies are coloured by how the request ended; the replication
// stream and snapshot transfers have a colour of their own; keep-alives (REPLCONF ACK, the master's PING, and
// Sentinel's routine PING / INFO / hello traffic) are hidden unless asked for. Sentinel's own events
// (`+sdown`, `+odown`, `+elected-leader`, ...) are marks on the sentinels' lanes, with their view of the master
// (SDOWN, ODOWN) as bands; forked children (BGSAVE, AOF rewrite) are spans under their server's lane.
//
// Two parts:
//  - `TimelineIndex` digests trace records as they arrive (`add`) into lists sorted by time, so a frame only
//    touches what is visible. It pairs records that belong together (send with deliver/drop; a request with
//    its command message, reply and outcome, by the `(client, req)` the records carry), which is bookkeeping
//    for drawing, not simulation.
//  - `renderTimeline(index, lanes, view)` is a pure function from the index and a time window to an SVG string.

import { esc } from './topology.js';

const LABEL_W = 132;   // left column with lane names
const AXIS_H = 26;     // time axis strip at the top
const BOTTOM = 10;
const RIGHT = 14;
const INSET = 10;      // gap between the lane names and time t0, so arrowheads there are not cut
const MIN_LANE = 22;   // seven lanes (three servers, three sentinels, a client) fit the timeline of a 720 px page beside a lesson
const FULL_LANE = 34;  // a lane lower than this shows its name only (the address would run into the next lane)
const MAX_LANE = 120;
const SPARSE_MSGS = 400;  // more arrows (or outcome dots) than this in the window: drawn as one path per colour
// Dense, runs of marks are drawn from this far left of t0 (the inset and some more): a run leaves the drawing
// only once none of it shows, so the canvas painter's copy of it (paint-ops.js) never lingers where the SVG has
// nothing. (A margin: some runs end later than their time says, by a dot's radius, an arrowhead, a pixel.)
const LOOK_BACK_PX = INSET + 40;
const BIN_PX = 4;         // in a dense window, one arrow per lane pair and colour every this many pixels
const MAX_MSG_LABELS = 300; // message labels tried per frame (placed only where they overlap nothing)

export const OUTCOMES = ['ok', 'error', 'refused', 'timeout'];
const COLOURS = ['ok', 'error', 'refused', 'timeout', 'pending', 'other', 'repl', 'heartbeat', 'sentinel', 'cluster', 'gossip'];

// Sentinel's routine traffic: monitoring PINGs, INFO every 10 s, hello messages, subscriptions. Drawn only
// with the heartbeats; what is left (votes, REPLICAOF NO ONE, clients asking for the master) is the story.
const SENTINEL_ROUTINE = /^(PING|PONG|INFO|PUBLISH __sentinel__|SUBSCRIBE|PSUBSCRIBE)\b/i;

/** How much a Sentinel event matters to the story: 0 first. Marks are labelled in this order. */
export function sentinelRank(event, detail = '') {
  if (/^(\+switch-master|\+promoted-slave|\+elected-leader|\+convert-to-slave|\+odown|-failover-abort)/.test(event)) return 0;
  if (event === '+sdown' && detail.startsWith('master')) return 0;
  if (/^(\+try-failover|\+selected-slave|\+failover-end|\+vote-for-leader|-odown|\+config-update-from)$/.test(event)) return 1;
  if (event === '-sdown' && detail.startsWith('master')) return 1;
  if (/^(\+slave|\+sentinel|\+monitor|\+reset-master)$/.test(event)) return 3;
  return 2;
}

/** A class for a Sentinel event's colour: down, up, election, failover, switch, abort or info. */
export function sentinelClass(event, detail = '') {
  if (event.startsWith('-failover-abort') || event === '-monitor') return 'abort';
  if (event === '+sdown' || event === '+odown') return detail.startsWith('master') || event === '+odown' ? 'down' : 'info';
  if (event === '-sdown' || event === '-odown') return detail.startsWith('master') || event === '-odown' ? 'up' : 'info';
  if (/^(\+new-epoch|\+try-failover|\+vote-for-leader|\+elected-leader)$/.test(event)) return 'election';
  if (/^(\+switch-master|\+config-update-from|\+convert-to-slave|\+promoted-slave)$/.test(event)) return 'switch';
  if (event.startsWith('+failover') || event.startsWith('+slave-reconf') || event === '+selected-slave') return 'failover';
  return 'info';
}

// Index of the first element of `arr` (sorted by `key`) whose key is >= t.
function lowerBound(arr, t, key) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(arr[mid]) < t) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** A key for (sender, receiver, request id): a number while it fits in one exactly, else a string. */
function connReq(from, to, req) {
  return req < 2097152 && from < 65536 && to < 65536 ? (req * 65536 + from) * 65536 + to : `${from}>${to}#${req}`;
}

// What a change to the index was, so that it can be undone (a seek backwards) and done again (forwards
// over the same records). The log holds five slots per change: [op, object, key, old value, new value].
const OP_PUSH = 0;
const OP_MAP_INSERT = 1;
const OP_MAP_REPLACE = 2;
const OP_MAP_DELETE = 3;
const OP_SET_ADD = 4;
const OP_SET_REMOVE = 5;
const OP_FIELD = 6;
const SLOTS = 5;

export class TimelineIndex {
  // Every record this index has digested since the future last changed, the changes each made (`#log`,
  // `#marks[i]`: where record i's changes start) and how many of them are applied now (`#n`). A seek
  // backwards undoes changes; forwards again, over the same records, they are done again: replaying the log
  // costs a fraction of digesting the records, so scrubbing is cheap both ways however far it goes.
  #records = [];
  #marks = [];
  #log = [];
  #n = 0;
  #low = Infinity;  // the least length since `takeCut` last asked (see there)
  #version = 0;     // counts the changes to what is shown
  #cuts = 0;        // counts the seeks back (see `cuts`)

  constructor() {
    this.clear();
  }

  clear() {
    this.#records = [];
    this.#marks = [];
    this.#log = [];
    this.#n = 0;
    this.msgs = [];                 // by send time: {id, t, from, to, kind, label, deliverAt, end, how, reason, req}
    this.msgById = [];              // message id -> message (ids are dense: the simulation counts them)
    this.open = new Set();          // messages neither delivered nor dropped yet
    this.maxSpan = 0;               // longest finished message, in ms: how far back a visible arrow can start
    this.requests = new Map();      // "client:id" -> {client, id, server, t, command, outcome, reply, outT, latency}
    this.clients = new Set();       // processes that made client requests
    this.outcomes = [];             // requests in the order they ended (so by outcome time)
    this.bands = [];                // {proc, state: crashed|paused, t0, t1|null}
    this.openBand = new Map();      // proc -> band
    this.restarts = [];             // {proc, t, from}: a process back up after a crash or pause
    this.partitions = [];           // {label, t0, t1|null}
    this.faults = [];               // other network faults: {t, label}
    this.power = [];                // host power cuts: {host, t0, t1|null}
    this.repoints = [];             // {t, name, label}: an application pointed at another server
    this.roles = [];                // role changes after the first role a process announced: {t, proc, role, master}
    this.lastRole = new Map();      // proc -> "role master" it last announced
    this.consoles = [];             // {t, proc, line, reply}
    this.logs = [];                 // {t, proc, text}
    this.cmdOf = new Map();         // connection and request id (`connReq`) -> a command's message, so that its reply can be classified
    this.lastAnswer = new Map();    // "from>to|question" -> the last answer a sentinel got to it
    this.children = [];             // forked children: {proc, job: bgsave|aof-rewrite, t0, t1|null, ok|null}
    this.openChild = new Map();     // "proc:job" -> child
    this.saves = [];                // files written: {proc, t, what: 'SAVE'|'BGSAVE'|'AOF rewrite', ok}
    this.sentinel = [];             // Sentinel events: {t, proc, event, detail}
    this.sentinelBands = [];        // a sentinel's view of its master: {proc, status: sdown|odown, t0, t1|null}
    this.openSentinelBand = new Map(); // "proc:status" -> band
    this.failovers = [];            // failovers a sentinel tried: {proc, epoch, t0, t1|null, elected, end}
    this.openFailover = new Map();  // proc -> failover
    this.epochOf = new Map();       // proc -> the last epoch it announced (+new-epoch)
    this.leaders = [];              // {proc, t, epoch}: +elected-leader
    this.redirects = [];            // MOVED / ASK a client got: {t, client, id, kind, slot, to}
    this.cluster = [];              // cluster log lines worth a mark: {t, proc, cls, label, text}
    this.gauges = new Map();        // proc -> [{t, value, limit}]: a database's connections in use
  }

  /** How many records the index shows now. */
  get length() {
    return this.#n;
  }

  /** A number that changes whenever what the index shows does (a drawing from it can be kept while not). */
  get version() {
    return this.#version;
  }

  /**
   * Show only the first `n` records (a seek backwards), by undoing what the later ones did. Those records and
   * their changes are kept: until an action rewrites the future (`forgetAhead`), going forward again brings
   * the very same records, and `advanceTo` does their changes again instead of digesting them.
   */
  truncate(n) {
    if (n >= this.#n) return;
    this.#undo(this.#marks[n]);
    this.#n = n;
    this.#low = Math.min(this.#low, n);
    this.#version++;
    this.#cuts++;
  }

  /**
   * How many times a seek cut the index back. Between two cuts, what a record settled stays so: a message
   * ends once, a request has one outcome (what is derived from settled records can be kept until the next).
   */
  get cuts() {
    return this.#cuts;
  }

  /**
   * For a copy of this index kept elsewhere (the painting worker's): the length it must cut back to before it
   * takes the records from there on (`recordsFrom`), or null if none were cut since the last call.
   */
  takeCut() {
    const low = this.#low;
    this.#low = Infinity;
    return low === Infinity ? null : low;
  }

  /** How many of each thing the index holds, and how many records: enough to tell a copy that went wrong. */
  counts() {
    const c = { records: this.#n };
    // (Entries, not lengths: a seek back empties `msgById`'s slots without shortening it.)
    const entries = (arr) => arr.reduce((n, x) => n + (x != null), 0);
    for (const [k, v] of Object.entries(this)) c[k] = Array.isArray(v) ? entries(v) : v instanceof Map || v instanceof Set ? v.size : v;
    return c;
  }

  /** The records shown, from the `i`th on. */
  recordsFrom(i) {
    return this.#records.slice(i, this.#n);
  }

  /** An action changed the future: the records past `length` are no longer what will happen. */
  forgetAhead() {
    if (this.#n === this.#records.length) return;
    this.#log.length = this.#marks[this.#n];
    this.#marks.length = this.#n;
    this.#records.length = this.#n;
  }

  /**
   * Show records up to `n`: those known ahead by their logged changes when they are there (and `check(i)`,
   * the record `i` as the simulation has it, matches), else digested from `fetch(cursor)`.
   */
  advanceTo(n, fetch, check) {
    if (n <= this.#n) return;
    const known = Math.min(n, this.#records.length);
    if (known > this.#n && JSON.stringify(this.#records[known - 1]) === JSON.stringify(check(known - 1))) {
      this.#redo(known < this.#records.length ? this.#marks[known] : this.#log.length);
      this.#n = known;
      this.#version++;
      if (n === known) return;
    }
    this.add(fetch(this.#n));
  }

  add(records) {
    this.forgetAhead();
    if (records.length) this.#version++;
    for (const r of records) {
      this.#marks.push(this.#log.length);
      this.#records.push(r);
      this.#n++;
      this.#digest(r);
    }
  }

  // Every change a record makes goes through these, which log it (one flat array: a closure per change would
  // cost the garbage collector more than the digest itself).
  #push(arr, v) {
    arr.push(v);
    this.#log.push(OP_PUSH, arr, null, null, v);
  }
  #set(map, k, v) {
    if (map.has(k)) this.#log.push(OP_MAP_REPLACE, map, k, map.get(k), v);
    else this.#log.push(OP_MAP_INSERT, map, k, null, v);
    map.set(k, v);
  }
  #delete(map, k) {
    if (!map.has(k)) return;
    this.#log.push(OP_MAP_DELETE, map, k, map.get(k), null);
    map.delete(k);
  }
  #add(set, v) {
    if (set.has(v)) return;
    set.add(v);
    this.#log.push(OP_SET_ADD, set, v, null, null);
  }
  #remove(set, v) {
    if (!set.has(v)) return;
    set.delete(v);
    this.#log.push(OP_SET_REMOVE, set, v, null, null);
  }
  #field(obj, k, v) {
    const old = obj[k];
    if (old === v) return;
    obj[k] = v;
    this.#log.push(OP_FIELD, obj, k, old, v);
  }

  // Undo the applied changes back to log position `to`, latest first.
  #undo(to) {
    const u = this.#log;
    for (let i = this.#marks[this.#n] ?? u.length; (i -= SLOTS) >= to;) {
      const op = u[i];
      const obj = u[i + 1];
      if (op === OP_PUSH) obj.pop();
      else if (op === OP_MAP_INSERT || op === OP_SET_ADD) obj.delete(u[i + 2]);
      else if (op === OP_MAP_REPLACE || op === OP_MAP_DELETE) obj.set(u[i + 2], u[i + 3]);
      else if (op === OP_SET_REMOVE) obj.add(u[i + 2]);
      else obj[u[i + 2]] = u[i + 3];
    }
  }

  // Do the logged changes again, from where the index stands to log position `to`.
  #redo(to) {
    const u = this.#log;
    for (let i = this.#marks[this.#n]; i < to; i += SLOTS) {
      const op = u[i];
      const obj = u[i + 1];
      if (op === OP_PUSH) obj.push(u[i + 4]);
      else if (op === OP_MAP_INSERT || op === OP_MAP_REPLACE) obj.set(u[i + 2], u[i + 4]);
      else if (op === OP_MAP_DELETE || op === OP_SET_REMOVE) obj.delete(u[i + 2]);
      else if (op === OP_SET_ADD) obj.add(u[i + 2]);
      else obj[u[i + 2]] = u[i + 4];
    }
  }

  #finish(r, how) {
    const m = this.msgById[r.msg];
    if (!m) return null;
    this.#field(m, 'end', r.t);
    this.#field(m, 'how', how);
    if (how === 'drop') this.#field(m, 'reason', r.reason);
    this.#remove(this.open, m);
    this.#field(this, 'maxSpan', Math.max(this.maxSpan, m.end - m.t));
    return m;
  }

  #digest(r) {
    switch (r.type) {
      case 'send': {
        // A command carries its sender's request id and a reply its receiver's: together they name the
        // client request ("client:id") the arrow belongs to, if a client made one.
        const req = r.req == null ? null : r.kind === 'command' ? `${r.from}:${r.req}` : r.kind === 'reply' ? `${r.to}:${r.req}` : null;
        const m = { id: r.msg, t: r.t, from: r.from, to: r.to, kind: r.kind, label: r.label, deliverAt: r.deliver_at,
          end: null, how: null, reason: null, req, cmd: null };
        // Remember which command a reply answers (by the sender's request id on that connection).
        if (r.req != null && r.kind === 'command') {
          this.#set(this.cmdOf, connReq(r.from, r.to, r.req), m);
        } else if (r.req != null && r.kind === 'reply') {
          const k = connReq(r.to, r.from, r.req);
          const c = this.cmdOf.get(k);
          this.#delete(this.cmdOf, k);
          m.cmd = c ? c.label : null;
          // Sentinels ask each other "is the master down?" (and for votes) over and over: a question
          // that gets the same answer as last time tells nothing new, and is drawn with the keep-alives.
          if (c && /^SENTINEL is-master-down-by-addr /i.test(c.label)) {
            const q = `${c.from}>${c.to}|${c.label}`;
            if (this.lastAnswer.get(q) === r.label) {
              m.routine = true;
              this.#field(c, 'routine', true);
            }
            this.#set(this.lastAnswer, q, r.label);
          }
        }
        this.#push(this.msgs, m);
        this.#field(this.msgById, m.id, m);
        this.#add(this.open, m);
        break;
      }
      case 'deliver':
        this.#finish(r, 'deliver');
        break;
      case 'drop':
        this.#finish(r, 'drop');
        break;
      case 'request': {
        const key = `${r.client}:${r.id}`;
        this.#set(this.requests, key, { client: r.client, id: r.id, server: r.server, t: r.t, command: r.command,
          outcome: null, reply: null, outT: null, latency: null });
        this.#add(this.clients, r.client);
        break;
      }
      case 'outcome': {
        const key = `${r.client}:${r.id}`;
        let q = this.requests.get(key);
        if (!q) {
          q = { client: r.client, id: r.id, server: null, t: r.t, command: [] };
          this.#set(this.requests, key, q);
        }
        this.#field(q, 'outcome', r.outcome);
        this.#field(q, 'reply', r.reply);
        this.#field(q, 'outT', r.t);
        this.#field(q, 'latency', r.latency_ms);
        this.#push(this.outcomes, q);
        break;
      }
      case 'state': {
        const open = this.openBand.get(r.proc);
        if (open) {
          this.#field(open, 't1', r.t);
          this.#delete(this.openBand, r.proc);
          if (r.state === 'up') this.#push(this.restarts, { proc: r.proc, t: r.t, from: open.state });
        }
        if (r.state === 'crashed' || r.state === 'paused') {
          const band = { proc: r.proc, state: r.state, t0: r.t, t1: null };
          this.#push(this.bands, band);
          this.#set(this.openBand, r.proc, band);
        }
        break;
      }
      case 'fault': {
        const f = String(r.fault);
        let m;
        if ((m = /^power off (\S+)$/.exec(f))) {
          this.#push(this.power, { host: m[1], t0: r.t, t1: null });
        } else if ((m = /^power on (\S+)$/.exec(f))) {
          for (const p of this.power) if (p.host === m[1] && p.t1 == null) this.#field(p, 't1', r.t);
        } else if ((m = /^(\S+) repointed to (.+)$/.exec(f))) {
          this.#push(this.repoints, { t: r.t, name: m[1], label: `repointed to ${m[2]}` });
        } else if (f.startsWith('partition')) {
          for (const p of this.partitions) if (p.t1 == null) this.#field(p, 't1', r.t);
          this.#push(this.partitions, { label: f, t0: r.t, t1: null });
        } else if (f === 'heal' || f.startsWith('heal')) {
          for (const p of this.partitions) if (p.t1 == null) this.#field(p, 't1', r.t);
          this.#push(this.faults, { t: r.t, label: f });
        } else {
          this.#push(this.faults, { t: r.t, label: f });
        }
        break;
      }
      case 'console':
        this.#push(this.consoles, { t: r.t, proc: r.proc, line: r.line, reply: r.reply });
        break;
      case 'redirect':
        this.#push(this.redirects, { t: r.t, client: r.client, id: r.id, kind: r.kind, slot: r.slot, to: r.to });
        break;
      case 'log': {
        this.#push(this.logs, { t: r.t, proc: r.proc, text: r.text });
        const c = clusterEvent(r.text);
        if (c) this.#push(this.cluster, { t: r.t, proc: r.proc, ...c, text: r.text });
        // A foreground SAVE writes the RDB with no child; a BGSAVE's child says so itself.
        if (r.text === 'DB saved on disk' && !this.openChild.has(`${r.proc}:bgsave`)) {
          this.#push(this.saves, { proc: r.proc, t: r.t, what: 'SAVE', ok: true });
        }
        break;
      }
      case 'child': {
        const key = `${r.proc}:${r.job}`;
        if (!r.done) {
          const c = { proc: r.proc, job: r.job, t0: r.t, t1: null, ok: null };
          this.#push(this.children, c);
          this.#set(this.openChild, key, c);
        } else {
          const c = this.openChild.get(key);
          if (c) {
            this.#field(c, 't1', r.t);
            this.#field(c, 'ok', r.ok);
            this.#delete(this.openChild, key);
          }
          this.#push(this.saves, { proc: r.proc, t: r.t, what: r.job === 'bgsave' ? 'BGSAVE' : 'AOF rewrite', ok: r.ok });
        }
        break;
      }
      case 'sentinel':
        this.#sentinel(r);
        break;
      case 'gauge': {
        if (!this.gauges.has(r.proc)) this.#set(this.gauges, r.proc, []);
        this.#push(this.gauges.get(r.proc), { t: r.t, value: r.value, limit: r.limit });
        break;
      }
      case 'role': {
        // The first role a process announces is its configuration, not a change: no mark for it.
        const now = `${r.role} ${r.master ?? ''}`;
        const before = this.lastRole.get(r.proc);
        this.#set(this.lastRole, r.proc, now);
        if (before !== undefined && before !== now) this.#push(this.roles, { t: r.t, proc: r.proc, role: r.role, master: r.master });
        break;
      }
      default:
        // timers and record types this view does not draw yet
        break;
    }
  }

  #sentinel(r) {
    this.#push(this.sentinel, { t: r.t, proc: r.proc, event: r.event, detail: r.detail });
    const master = String(r.detail).startsWith('master ');
    const open = (status) => {
      const key = `${r.proc}:${status}`;
      if (this.openSentinelBand.has(key)) return;
      const b = { proc: r.proc, status, t0: r.t, t1: null };
      this.#push(this.sentinelBands, b);
      this.#set(this.openSentinelBand, key, b);
    };
    const close = (status) => {
      const key = `${r.proc}:${status}`;
      const b = this.openSentinelBand.get(key);
      if (b) this.#field(b, 't1', r.t);
      this.#delete(this.openSentinelBand, key);
    };
    const endFailover = (how) => {
      const f = this.openFailover.get(r.proc);
      if (!f) return;
      this.#field(f, 't1', r.t);
      this.#field(f, 'end', how);
      this.#delete(this.openFailover, r.proc);
    };
    switch (r.event) {
      case '+sdown': if (master) open('sdown'); break;
      case '-sdown': if (master) close('sdown'); break;
      case '+odown': open('odown'); break;
      case '-odown': close('odown'); break;
      case '+switch-master':
        // The sentinel now watches the new master: its view of the old one ends here.
        close('sdown');
        close('odown');
        break;
      case '+new-epoch': this.#set(this.epochOf, r.proc, Number(r.detail)); break;
      case '+try-failover': {
        endFailover('retried');
        const f = { proc: r.proc, epoch: this.epochOf.get(r.proc) ?? null, t0: r.t, t1: null, elected: null, end: null };
        this.#push(this.failovers, f);
        this.#set(this.openFailover, r.proc, f);
        break;
      }
      case '+elected-leader': {
        const epoch = this.epochOf.get(r.proc) ?? null;
        this.#push(this.leaders, { proc: r.proc, t: r.t, epoch });
        const f = this.openFailover.get(r.proc);
        if (f) this.#field(f, 'elected', r.t);
        break;
      }
      case '+failover-end': endFailover('end'); break;
      default:
        if (r.event.startsWith('-failover-abort')) endFailover(r.event);
    }
  }

  /**
   * The class used to colour a message: how its client request ended, or what kind of traffic it is.
   * `kindOf` (process id -> kind) lets Sentinel's traffic be told apart.
   */
  colourOf(m, kindOf = null) {
    if (kindOf && (kindOf.get(m.from) === 'sentinel' || kindOf.get(m.to) === 'sentinel')) {
      // A pushed +switch-master reaching a client is the story; the hello pushes are routine.
      if (m.kind === 'heartbeat') return /\+switch-master/.test(m.label) ? 'sentinel' : 'heartbeat';
      if (m.routine) return 'heartbeat';
      const cmd = m.kind === 'reply' ? (m.cmd ?? '') : m.label;
      if (SENTINEL_ROUTINE.test(cmd)) return 'heartbeat';
      if (m.how === 'drop' && m.reason === 'refused') return 'refused';
      return 'sentinel';
    }
    if (m.kind === 'heartbeat') return 'heartbeat';
    if (m.kind === 'gossip') return 'gossip';
    if (m.kind === 'cluster_control') return 'cluster';
    if (m.how === 'drop' && m.reason === 'refused') return 'refused';
    const q = m.req ? this.requests.get(m.req) : null;
    if (q) return q.outcome || 'pending';
    // The stream, snapshot transfers, and the handshake a replica runs with its master (PING, REPLCONF,
    // PSYNC and their replies): server-to-server commands that no client asked for.
    if (m.kind === 'replication' || !(this.clients.has(m.from) || this.clients.has(m.to))) return 'repl';
    if (m.how === 'drop') return 'timeout';
    return m.end == null ? 'pending' : 'other';
  }
}

// Redis Cluster's log lines that tell the failover and the resharding, as marks: class and short label.
const CLUSTER_EVENTS = [
  [/^\*\*\* NODE (\w{8})\w* possibly failing/, 'pfail', (m) => `fail? ${m[1]}`],
  [/^Marking node (\w{8})\w* as failing/, 'fail', (m) => `FAIL ${m[1]}`],
  [/^Starting a failover election for epoch (\d+)/, 'election', (m) => `election epoch ${m[1]}`],
  [/^Failover auth granted to (\w{8})\w* for epoch (\d+)/, 'vote', (m) => `vote → ${m[1]}`],
  [/^Failover election won/, 'won', () => 'won: new master'],
  [/^Cluster state changed: (\w+)/, 'state', (m) => `cluster ${m[1]}`],
  [/^Configuration change detected\. Reconfiguring myself as a replica of (\w{8})/, 'reconf', (m) => `replica of ${m[1]}`],
  [/^Moving slots (\S+)/, 'reshard', (m) => `moving ${m[1]}`],
  [/^Resharding done/, 'reshard', () => 'resharded'],
  [/^Rebalancing done/, 'reshard', () => 'rebalanced'],
  [/^Moving (\d+) slots from/, 'reshard', (m) => `moving ${m[1]} slots`],
];
function clusterEvent(text) {
  for (const [re, cls, label] of CLUSTER_EVENTS) {
    const m = re.exec(text);
    if (m) return { cls, label: label(m) };
  }
  return null;
}

function clip(s, n) {
  s = String(s);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function niceStep(raw) {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  const f = raw / pow;
  return pow * (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
}

export function formatSeconds(ms, step = 1) {
  const decimals = Math.max(0, Math.min(3, 3 - Math.floor(Math.log10(Math.max(step, 1)))));
  return `${(ms / 1000).toFixed(decimals)} s`;
}

/** Lane geometry for `n` lanes in a view of `height` px: {top, laneH, height}. */
export function laneGeometry(n, height) {
  const avail = height - AXIS_H - BOTTOM;
  const laneH = Math.max(MIN_LANE, Math.min(MAX_LANE, avail / Math.max(1, n)));
  const used = laneH * n;
  // Centre the lanes vertically when they do not fill the view.
  const top = AXIS_H + Math.max(0, (avail - used) / 2);
  return { top, laneH, height: Math.max(height, AXIS_H + used + BOTTOM) };
}

/** Where things go: the x of a time, the y of a lane, and back (`T`: the time at an x). */
export function timelineGeometry(lanes, { t0, t1, width, height }) {
  const plotW = Math.max(50, width - LABEL_W - INSET - RIGHT);
  const span = Math.max(1, t1 - t0);
  const X = (t) => LABEL_W + INSET + ((t - t0) / span) * plotW;
  const T = (x) => t0 + ((x - LABEL_W - INSET) / plotW) * span;
  const geo = laneGeometry(lanes.length, height);
  const laneY = new Map(lanes.map((p, i) => [p.id, geo.top + (i + 0.5) * geo.laneH]));
  return { plotW, span, X, T, geo, laneY, plotLeft: LABEL_W + INSET };
}

/**
 * The messages whose arrows can be in the window [t0, t1], minus the hidden keep-alives and gossip; with
 * `colours`, the colour of each (`colourOf`, computed here once for the filter and the drawing alike); with
 * `positions`, where each is in `index.msgs` (-1 for those in flight since before the messages looked at).
 */
function visibleMessages(index, lanes, { t0, t1, heartbeats, gossip }, colours = null, positions = null) {
  const first = lowerBound(index.msgs, t0 - index.maxSpan, (m) => m.t);
  const visible = [];
  const at = [];
  for (let i = first; i < index.msgs.length && index.msgs[i].t <= t1; i++) {
    visible.push(index.msgs[i]);
    at.push(i);
  }
  const lookedFrom = index.msgs[first]?.t ?? Infinity;
  // (In send order: the set's own order is not the same after a seek back.)
  const early = [];
  for (const m of index.open) if (m.t < lookedFrom && m.t <= t1) early.push(m);
  if (early.length > 1) early.sort((a, b) => a.id - b.id);
  for (const m of early) {
    visible.push(m);
    at.push(-1);
  }
  if (heartbeats && gossip && !colours) {
    if (positions) positions.push(...at);
    return visible;
  }
  const kindOf = new Map(lanes.map((p) => [p.id, p.kind]));
  const kept = [];
  for (let i = 0; i < visible.length; i++) {
    const m = visible[i];
    const c = index.colourOf(m, kindOf);
    if ((heartbeats || c !== 'heartbeat') && (gossip || c !== 'gossip')) {
      kept.push(m);
      if (colours) colours.push(c);
      if (positions) positions.push(at[i]);
    }
  }
  return kept;
}

/**
 * Where a message's arrow goes: from (xa, y0) to (xb, yb); `y1` is its receiver's lane, `due` the x where an
 * in-flight message is due, `drop` whether it ends in a cross. Null when it is not on screen.
 */
function arrowGeometry(index, m, { X, laneY, hostOf, now, kindOf, t0 }, known = null) {
  const y0 = laneY.get(m.from);
  const y1 = laneY.get(m.to);
  if (y0 == null || y1 == null) return null;
  const end = m.end ?? now;
  if (end < t0) return null;
  const colour = known ?? index.colourOf(m, kindOf);
  const xa = X(m.t);
  if (m.end == null) {
    // In flight: the arrow has come as far as the delivery time lets it; a faint dashed line shows
    // where and when the network means to deliver it.
    const f = m.deliverAt > m.t ? Math.min(1, Math.max(0, (now - m.t) / (m.deliverAt - m.t))) : 1;
    const yb = y0 + (y1 - y0) * f;
    return { colour, xa, y0, xb: X(now), yb, y1, due: f < 1 ? X(m.deliverAt) : null, drop: false };
  }
  if (m.how === 'drop') {
    // A message its sender's power cut caught on the wire was lost at the cut, wherever the trace records
    // the drop.
    const cut = m.reason === 'host_down'
      ? index.power.find((w) => w.host === hostOf.get(m.from) && w.t0 >= m.t && w.t0 <= m.end) : null;
    const at = cut ? cut.t0 : m.end;
    // Refused at the destination; lost with a dead host as far as it had come (at its destination when
    // that host is the dead one); lost on the way (partition, loss) halfway.
    const f = m.deliverAt > m.t ? Math.min(1, Math.max(0, (at - m.t) / (m.deliverAt - m.t))) : 1;
    const yb = m.reason === 'refused' ? y1 : m.reason === 'host_down' ? y0 + (y1 - y0) * f : (y0 + y1) / 2;
    return { colour, xa, y0, xb: X(at), yb, y1, due: null, drop: true };
  }
  return { colour, xa, y0, xb: X(m.end), yb: y1, y1, due: null, drop: false };
}

/** A coordinate to a tenth of a pixel: paths of thousands of arrows stay short to write and to read. */
const r1 = (v) => Math.round(v * 10) / 10;

const DENSE_RUN = 256; // marks per run (of `index.msgs`, of `index.outcomes`) written, and kept, together

// Per index and kind of mark ('msgs', 'outcomes'): run number -> {key, text} of the run last written.
const keptRuns = new WeakMap();

/**
 * The runs of marks of one kind kept for `index`, with `use(run, key, make)`: the text `make()` writes for the
 * run, reused while the run's `key` (everything its text depends on) stays the same. `done()` after a frame
 * forgets the runs it did not use, but only once there are many more of them than it used.
 */
function runsOf(index, kind) {
  let byKind = keptRuns.get(index);
  if (!byKind) keptRuns.set(index, (byKind = new Map()));
  let runs = byKind.get(kind);
  if (!runs) byKind.set(kind, (runs = new Map()));
  const used = new Set();
  return {
    use(run, key, make) {
      used.add(run);
      const kept = runs.get(run);
      if (kept && kept.key === key) return kept.text;
      const text = make();
      runs.set(run, { key, text });
      return text;
    },
    has: (run) => runs.has(run),
    // Seeking back and forth reuses recent runs: keep some more than this window's.
    done() {
      if (runs.size > 4 * used.size + 64) for (const run of runs.keys()) if (!used.has(run)) runs.delete(run);
    },
  };
}

/**
 * A settled run's text, in a group that says so: it will be the same in the next frames (until the layout
 * changes), which the canvas painter uses to rasterise it once (paint-ops.js).
 */
const kept = (text) => `<g class="kept">${text}</g>`;

/** A 32-bit hash mixing `v` into `h`: what a run's marks were made of, in its key. */
const mix = (h, v) => Math.imul(h ^ v, 0x9e3779b1) >>> 0;

/** What the position of marks in a timeline depends on: the scale and the lanes. */
const layoutKey = (perMs, lanes, geo) => `${perMs}|${geo.top}|${geo.laneH}|${lanes.map((p) => `${p.id}:${p.host}:${p.kind}`).join(',')}`;

/**
 * The arrows of a window denser than its pixels: per run of DENSE_RUN messages of `index.msgs` (and one more
 * for those in flight since before it), one path per colour for the lines, one for the arrowheads and one
 * for the crosses of drops; arrows of one colour and lane pair sent within the same BIN_PX pixels drawn once.
 * They are written in coordinates from time zero, moved into place by their group's transform. A run that is
 * full, all of its messages ended and their colours settled, is written whole (its arrows out of the window
 * too, clipped) and marked kept: while playing, the window slides but such a run writes the very same text,
 * so the text is kept and reused, and the painter rasterises it once (paint-ops.js), instead of writing,
 * reading and drawing thousands of arrows every frame. The text depends on nothing else than what its key holds.
 */
function denseArrows(index, shown, colours, positions, { X0, perMs, lanes, geo, laneY, hostOf, now, kindOf, heartbeats, gossip, back }) {
  const runs = runsOf(index, 'msgs');
  const where = { X: (t) => t * perMs, laneY, hostOf, now, kindOf, t0: -Infinity };
  const layout = `${layoutKey(perMs, lanes, geo)}|${heartbeats}|${gossip}`;
  // A settled run stays settled until a seek cuts the index back: its messages and key are kept till then.
  let wholes = wholeRuns.get(index);
  if (!wholes) wholeRuns.set(index, (wholes = new Map()));
  const wholeKey = `${index.cuts}|${layout}`;
  // The text of run `run` written whole and kept, or null when it is not settled.
  const keptText = (run) => {
    const w = settledRun(index, run, wholes, wholeKey, { kindOf, heartbeats, gossip, layout });
    return w && kept(runs.use(run, w.runKey, () => runArrows(index, w.msgs, w.colours, 0, w.msgs.length, where)));
  };
  const out = [];
  // The runs before the first shown one, from the run of message `back`: their arrows ended before t0, but
  // some within the inset left of it, where they show (settled, they are drawn whole).
  const firstShown = shown.length && positions[0] >= 0 ? Math.floor(positions[0] / DENSE_RUN) : -1;
  for (let run = Math.floor(back / DENSE_RUN); run < firstShown; run++) {
    const text = keptText(run);
    if (text) out.push(text);
  }
  for (let from = 0; from < shown.length;) {
    const run = positions[from] < 0 ? -1 : Math.floor(positions[from] / DENSE_RUN);
    let to = from + 1;
    while (to < shown.length && (positions[to] < 0 ? -1 : Math.floor(positions[to] / DENSE_RUN)) === run) to++;
    out.push(keptText(run) ?? runArrows(index, shown, colours, from, to, where));
    from = to;
  }
  runs.done();
  if (wholes.size > 256) for (const [run, w] of wholes) if (w.key !== wholeKey || !runs.has(run)) wholes.delete(run);
  return `<g transform="translate(${X0},0)">${out.join('')}</g>`;
}

// Per index: run number -> its settled messages, their colours and its key (see `denseArrows`).
const wholeRuns = new WeakMap();

/**
 * Run `run` of `index.msgs` if it is full and settled (every message ended, no colour pending), else null: the
 * messages the filters show, their colours, and `runKey`, all its text depends on. Kept in `wholes` under
 * `wholeKey` (the cuts and the layout), as nothing else changes a settled run.
 */
function settledRun(index, run, wholes, wholeKey, { kindOf, heartbeats, gossip, layout }) {
  const known = wholes.get(run);
  if (known && known.key === wholeKey) return known;
  if (run < 0 || (run + 1) * DENSE_RUN > index.msgs.length) return null;
  const msgs = [];
  const colours = [];
  let hash = 0;
  for (let i = run * DENSE_RUN; i < (run + 1) * DENSE_RUN; i++) {
    const m = index.msgs[i];
    if (m.end == null) return null;
    const c = index.colourOf(m, kindOf);
    if (c === 'pending') return null;
    if ((heartbeats || c !== 'heartbeat') && (gossip || c !== 'gossip')) {
      msgs.push(m);
      colours.push(c);
      for (const v of [m.id, m.t, m.end, m.from, m.to, COLOURS.indexOf(c), m.how === 'drop' ? 1 : 0]) hash = mix(hash, v);
    }
  }
  const whole = { key: wholeKey, msgs, colours, runKey: `${hash}|${msgs.length}|${layout}` };
  wholes.set(run, whole);
  return whole;
}

/**
 * The dots of the requests that ended in `index.outcomes[first..last]`, too many for a circle each: per run of
 * DENSE_RUN, one path per outcome, dots on the same pixel drawn once; written and kept as `denseArrows` does
 * (a run is settled once it is full: outcomes are only ever added after it).
 */
function denseOutcomes(index, first, last, { X0, perMs, lanes, geo, laneY }) {
  const runs = runsOf(index, 'outcomes');
  const layout = layoutKey(perMs, lanes, geo);
  const out = [];
  for (let run = Math.floor(first / DENSE_RUN); run * DENSE_RUN < last; run++) {
    const from = run * DENSE_RUN;
    const to = Math.min(index.outcomes.length, from + DENSE_RUN);
    const make = () => {
      const dots = new Map(); // outcome -> [path]
      const seen = new Set();
      for (let i = from; i < to; i++) {
        const q = index.outcomes[i];
        const y = laneY.get(q.client);
        if (y == null) continue;
        const x = q.outT * perMs;
        const key = `${q.outcome}${Math.round(x)},${y}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!dots.has(q.outcome)) dots.set(q.outcome, []);
        dots.get(q.outcome).push(`M${r1(x - 3.5)},${y}a3.5,3.5 0 1,0 7,0a3.5,3.5 0 1,0 -7,0`);
      }
      return [...dots].map(([o, d]) => `<path class="outcome ${o}" data-outcomes="${o}" d="${d.join('')}"/>`).join('');
    };
    if (to - from < DENSE_RUN) {
      out.push(make());
      continue;
    }
    let hash = 0;
    for (let i = from; i < to; i++) {
      const q = index.outcomes[i];
      hash = mix(mix(mix(hash, q.client), q.outT), OUTCOMES.indexOf(q.outcome));
    }
    out.push(kept(runs.use(run, `${hash}|${layout}`, make)));
  }
  runs.done();
  return `<g transform="translate(${X0},0)">${out.join('')}</g>`;
}

/** The paths of `shown[from..to]`'s arrows, in `where`'s coordinates (see `denseArrows`). */
function runArrows(index, shown, colours, from, to, where) {
  const agg = new Map(); // colour -> {lines: [], inflight: [], heads: [], drops: [], due: [], seen: Set}
  for (let i = from; i < to; i++) {
    const m = shown[i];
    const g = arrowGeometry(index, m, where, colours[i]);
    if (!g) continue;
    const { colour, xa, y0, xb, yb, y1 } = g;
    let a = agg.get(colour);
    if (!a) agg.set(colour, (a = { lines: [], inflight: [], heads: [], drops: [], due: [], seen: new Set() }));
    // One arrow per lane pair and BIN_PX of sending time stands for those sent in the same pixels.
    // (A number, not a string: this runs for every arrow of a run.)
    const bin = Math.floor(xa / BIN_PX);
    const key = (((m.from * 65536 + m.to) * 3 + (m.end == null ? 1 : g.drop ? 2 : 0)) * 1e9) + bin;
    if (a.seen.has(key)) continue;
    a.seen.add(key);
    (m.end == null ? a.inflight : a.lines).push(`M${r1(xa)},${r1(y0)}L${r1(xb)},${r1(yb)}`);
    if (g.due) a.due.push(`M${r1(xb)},${r1(yb)}L${r1(g.due)},${r1(y1)}`);
    if (g.drop) a.drops.push(`M${r1(xb - 4)},${r1(yb - 4)}l8,8m-8,0l8,-8`);
    else if (Math.hypot(xb - xa, yb - y0) >= 3) a.heads.push(headPath(xa, y0, xb, yb));
  }
  const paths = [];
  for (const [c, a] of agg) {
    const cls = `msg-agg ${c}`;
    if (a.lines.length) paths.push(`<path class="${cls}" data-msgs="${c}" d="${a.lines.join('')}"/>`);
    if (a.inflight.length) paths.push(`<path class="${cls} inflight" data-msgs="${c}" d="${a.inflight.join('')}"/>`);
    if (a.due.length) paths.push(`<path class="msg-agg due" d="${a.due.join('')}"/>`);
    if (a.heads.length) paths.push(`<path class="head ${c}" d="${a.heads.join('')}"/>`);
    if (a.drops.length) paths.push(`<path class="drop-x ${c}" d="${a.drops.join('')}"/>`);
  }
  return paths.join('');
}

/** A filled arrowhead at (xb, yb) pointing along the arrow from (xa, ya), as a path (the markers' shape). */
function headPath(xa, ya, xb, yb) {
  const len = Math.hypot(xb - xa, yb - ya) || 1;
  const ux = (xb - xa) / len;
  const uy = (yb - ya) / len;
  const L = 8;
  const W = 4;
  const bx = xb - ux * L;
  const by = yb - uy * L;
  const r = (v) => Math.round(v * 10) / 10;
  return `M${r(xb)},${r(yb)}L${r(bx - uy * W)},${r(by + ux * W)}L${r(bx + uy * W)},${r(by - ux * W)}z`;
}

function segmentDistance(px, py, xa, ya, xb, yb) {
  const dx = xb - xa;
  const dy = yb - ya;
  const l2 = dx * dx + dy * dy;
  const f = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - xa) * dx + (py - ya) * dy) / l2));
  return Math.hypot(px - (xa + f * dx), py - (ya + f * dy));
}

/**
 * What is under the pointer at (px, py) in a timeline drawn with the same arguments: the nearest message
 * arrow or request outcome within a few pixels, as a tooltip's text, or null. Marks with a `data-tip` of
 * their own (bands, flags, events) are found by the page from the element under the pointer.
 */
export function timelineHit(index, lanes, { t0, t1, now, width, height, heartbeats = false, gossip = false }, px, py) {
  const { X, T, laneY, span, plotW } = timelineGeometry(lanes, { t0, t1, width, height });
  if (px < LABEL_W) return null;
  const near = 6;
  const slack = (near * span) / plotW;
  const tx = T(px);
  let best = null;
  let bestD = near;
  // Request outcomes first: a dot sits on top of the arrows that end there.
  for (let i = lowerBound(index.outcomes, tx - slack, (q) => q.outT); i < index.outcomes.length && index.outcomes[i].outT <= tx + slack; i++) {
    const q = index.outcomes[i];
    const y = laneY.get(q.client);
    if (y == null) continue;
    const d = Math.hypot(X(q.outT) - px, y - py);
    if (d <= bestD) {
      bestD = d;
      best = `request #${q.id} ${q.command.join(' ')}\n${q.outcome} after ${q.latency} ms: ${q.reply}`;
    }
  }
  if (best) return best;
  const kindOf = new Map(lanes.map((p) => [p.id, p.kind]));
  const hostOf = new Map(lanes.map((p) => [p.id, p.host]));
  const shown = visibleMessages(index, lanes, { t0: Math.max(t0, tx - slack), t1: Math.min(t1, tx + slack), heartbeats, gossip });
  let hit = null;
  for (const m of shown) {
    const g = arrowGeometry(index, m, { X, laneY, hostOf, now, kindOf, t0 });
    if (!g) continue;
    const d = segmentDistance(px, py, g.xa, g.y0, g.xb, g.yb);
    if (d <= bestD) {
      bestD = d;
      hit = m;
    }
  }
  if (!hit) return null;
  const status = hit.end == null ? 'in flight' : hit.how === 'drop' ? `dropped (${hit.reason})` : `delivered at ${formatSeconds(hit.end)}`;
  const name = (id) => lanes.find((p) => p.id === id)?.name ?? `#${id}`;
  return `#${hit.id} ${hit.label}\n${name(hit.from)} → ${name(hit.to)}: ${hit.kind}, sent at ${formatSeconds(hit.t)}, ${status}`;
}

/**
 * Render the timeline.
 * @param {TimelineIndex} index
 * @param {Array<{id:number,name:string,kind:string,state:string,host:string,role?:string,address?:string}>} lanes
 *   processes, top to bottom
 * @param {{t0:number, t1:number, now:number, width:number, height:number, heartbeats?:boolean,
 *   checks?:object|null, focus?:{t:number, t1?:number, label:string}|null}} view  `checks` is what
 *   `Simulation.checks()` returned (lost writes and windows without a master are marked); `focus` is a
 *   moment (or an interval) to highlight.
 * @returns {string} an `<svg>` element as a string
 */
export function renderTimeline(index, lanes, { t0, t1, now, width, height, heartbeats = false, gossip = false, nodeNames = null, checks = null, focus = null }) {
  const { plotW, span, X, geo, laneY } = timelineGeometry(lanes, { t0, t1, width, height });
  const H = geo.height;
  const plotTop = AXIS_H;
  const plotBottom = H - BOTTOM;
  const out = [];

  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="timeline-svg" width="${width}" height="${H}" ` +
    `viewBox="0 0 ${width} ${H}" role="img" aria-label="Timeline from ${formatSeconds(t0)} to ${formatSeconds(t1)}">`);
  const markers = COLOURS
    .map((c) => `<marker id="tl-${c}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" ` +
      `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="head ${c}"/></marker>`).join('');
  out.push(`<defs>${markers}<clipPath id="tl-plot"><rect x="${LABEL_W}" y="0" width="${plotW + INSET + RIGHT}" height="${H}"/></clipPath></defs>`);

  // Lanes.
  lanes.forEach((p, i) => {
    const y = laneY.get(p.id);
    out.push(`<rect class="lane-bg${i % 2 ? ' odd' : ''}${p.kind === 'sentinel' ? ' sentinel' : ''}" x="0" y="${y - geo.laneH / 2}" width="${width}" height="${geo.laneH}"/>`);
  });
  // Sentinels sit in a band of their own under the data lanes: a rule above the first one.
  const firstSentinel = lanes.findIndex((p) => p.kind === 'sentinel');
  if (firstSentinel > 0) {
    const y = geo.top + firstSentinel * geo.laneH;
    out.push(`<line class="sentinel-rule" x1="0" y1="${y}" x2="${width}" y2="${y}"/>`);
  }

  out.push('<g clip-path="url(#tl-plot)">');

  // Time axis and grid.
  const step = niceStep((span * 110) / plotW);
  out.push('<g class="axis">');
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const x = X(t);
    // The first tick sits on the lane-name column's edge: anchor it at its start so it is not cut in half.
    const anchor = x - LABEL_W < 30 ? 'start' : 'middle';
    out.push(`<line class="grid" x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}"/>` +
      `<text class="tick" x="${anchor === 'start' ? x - 4 : x}" y="${plotTop - 9}" text-anchor="${anchor}">${formatSeconds(t, step)}</text>`);
  }
  out.push('</g>');

  lanes.forEach((p) => {
    const y = laneY.get(p.id);
    out.push(`<line class="lane-line" x1="${LABEL_W}" y1="${y}" x2="${width}" y2="${y}"/>`);
  });

  const labels = []; // texts drawn last, over arrows and bands
  // Where labels already are. Marks (bands, role changes, lost writes, console commands) always get their
  // label; the many message labels only where they overlap nothing, so a busy window stays readable.
  const boxes = [];
  // A label is written `html(x, y)` from where it starts: `x` to the right of its mark, or, when it would run
  // past the drawing's right edge (and be cut there: "↻ restarte"), flipped to the mark's left.
  const right = width - 4;
  const leftOf = (x, text, cw) => {
    const w = String(text).length * cw;
    return x + w <= right ? x : Math.max(LABEL_W + INSET, x - w - 10);
  };
  const boxOf = (x, y, text, cw) => {
    const lx = leftOf(x, text, cw);
    return { lx, x0: lx - 2, x1: lx + String(text).length * cw + 2, y0: y - 11, y1: y + 3 };
  };
  const isFree = (b) => !boxes.some((o) => b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1);
  const mark = (html, x, y, text, cw = 6.8) => {
    const b = boxOf(x, y, text, cw);
    boxes.push(b);
    labels.push(html(b.lx, y));
  };
  const maybe = (html, x, y, text, cw = 6.6) => {
    const b = boxOf(x, y, text, cw);
    if (!isFree(b)) return false;
    boxes.push(b);
    labels.push(html(b.lx, y));
    return true;
  };
  // A label that must not be written over another (a partition's, a heal's): the first free row of up to
  // five, a label's height (14 px, see boxOf) apart, from `y` downwards (`dir` 1) or upwards (-1); past
  // those it is left to the mark's tooltip.
  const stacked = (html, x, y, dir, text, cw = 6.8) => {
    for (let row = 0; row < 5; row++) if (maybe(html, x, y + row * 14 * dir, text, cw)) return;
  };
  const hostOf = new Map(lanes.map((p) => [p.id, p.host]));
  const nameOf = (address) => {
    const p = lanes.find((q) => q.address === address);
    return p ? p.name : address;
  };
  // Whether `proc`'s host lost power exactly at `t` (then its crash is a power cut) or got it back then.
  const powerCutAt = (proc, t) => index.power.some((w) => w.host === hostOf.get(proc) && w.t0 === t);
  const powerBackAt = (proc, t) => index.power.some((w) => w.host === hostOf.get(proc) && w.t1 === t);

  // Time without any writable master (from the checks): a red strip under the axis.
  for (const [a, b] of (checks && checks.noMaster) || []) {
    if (b < t0 || a > t1) continue;
    const x0 = X(Math.max(a, t0));
    const x1 = X(Math.min(b, t1));
    out.push(`<g class="nomaster" data-nomaster="${a}" data-tip="No writable master from ${formatSeconds(a)} to ${formatSeconds(b)}: writes cannot succeed">` +
      `<rect x="${x0}" y="${plotTop + 1}" width="${Math.max(2, x1 - x0)}" height="7"/></g>`);
  }

  // Partitions: bands across every lane. Their labels are placed once the lanes' own marks have theirs.
  const partitionLabels = [];
  for (const b of index.partitions) {
    const e = b.t1 ?? now;
    if (e < t0 || b.t0 > t1) continue;
    const x0 = X(Math.max(b.t0, t0));
    const x1 = X(Math.min(e, t1));
    out.push(`<g class="band partition" data-band="partition" data-tip="${esc(b.label)} (${formatSeconds(b.t0)}–${b.t1 == null ? 'now' : formatSeconds(b.t1)})">` +
      `<rect x="${x0}" y="${plotTop}" width="${Math.max(2, x1 - x0)}" height="${plotBottom - plotTop}"/></g>`);
    partitionLabels.push({ x: x0 + 5, text: `✂ ${clip(b.label, 40)}` });
  }
  for (const f of index.faults) {
    if (f.t < t0 || f.t > t1) continue;
    if (f.host) continue;
    const x = X(f.t);
    out.push(`<g class="fault-mark" data-tip="${esc(f.label)} at ${formatSeconds(f.t)}">` +
      `<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}"/></g>`);
    // At the bottom, so a heal does not write over the label of the partition it ends; faults at about the
    // same time (a heal and a link change) stack upwards.
    stacked((lx, ly) => `<text class="fault-label" x="${lx}" y="${ly}">${esc(clip(f.label, 30))}</text>`, x + 4, plotBottom - 6, -1, clip(f.label, 30));
  }

  // Crashed / paused bands on a process's lane, and restarts.
  for (const b of index.bands) {
    const y = laneY.get(b.proc);
    const e = b.t1 ?? now;
    if (y == null || e < t0 || b.t0 > t1) continue;
    const x0 = X(Math.max(b.t0, t0));
    const x1 = X(Math.min(e, t1));
    const h = Math.min(geo.laneH - 6, 30);
    const power = b.state === 'crashed' && powerCutAt(b.proc, b.t0);
    const what = power ? 'host powered off' : b.state;
    out.push(`<g class="band ${b.state}${power ? ' power' : ''}" data-band="${power ? 'power' : b.state}" data-tip="${what} ${formatSeconds(b.t0)}–${b.t1 == null ? 'now' : formatSeconds(b.t1)}">` +
      `<rect x="${x0}" y="${y - h / 2}" width="${Math.max(2, x1 - x0)}" height="${h}" rx="3"/>` +
      (b.t0 >= t0 ? `<line class="edge" x1="${x0}" y1="${y - geo.laneH / 2 + 3}" x2="${x0}" y2="${y + geo.laneH / 2 - 3}"/>` : '') +
      '</g>');
    // A band too short to hold its label (e.g. killed and restarted at once) keeps it in the tooltip only.
    const word = power ? '■ power off' : b.state === 'crashed' ? '✖ crashed' : '❚❚ paused';
    // Above the lane's line, or, where a partition's label is already (a low first lane), inside the band.
    const html = (lx, ly) => `<text class="band-label ${b.state}${power ? ' power' : ''}" x="${lx}" y="${ly}">${word}</text>`;
    if ((b.t1 == null || x1 - x0 > 70) && !maybe(html, x0 + 5, y - 5, word, 6.8)) mark(html, x0 + 5, y + 4, word);
  }
  // A gauge (a database's connections in use out of its capacity) as a step line across its lane, red where
  // it is at the limit.
  for (const [proc, points] of index.gauges) {
    const y = laneY.get(proc);
    if (y == null || !points.length) continue;
    const h = Math.min(geo.laneH - 8, 28);
    const base = y + h / 2;
    const Y = (p) => base - (h * p.value) / Math.max(1, p.limit);
    let i = Math.max(0, lowerBound(points, t0, (p) => p.t) - 1);
    let d = `M${X(Math.max(points[i].t, t0))},${Y(points[i])}`;
    const full = [];
    for (; i < points.length && points[i].t <= t1; i++) {
      const p = points[i];
      const x = X(Math.max(p.t, t0));
      if (i > 0 && p.t > t0) d += `H${x}V${Y(p)}`;
      if (p.value >= p.limit) {
        const next = points[i + 1]?.t ?? now;
        full.push(`<rect x="${x}" y="${base - h}" width="${Math.max(1, X(Math.min(next, t1)) - x)}" height="${h}"/>`);
      }
    }
    d += `H${X(Math.min(now, t1))}`;
    const last = points[Math.max(0, i - 1)];
    out.push(`<g class="gauge" data-gauge="${proc}" data-tip="connections in use: ${last.value} of ${last.limit}">` +
      `<g class="gauge-full">${full.join('')}</g><path d="${d}"/></g>`);
  }
  for (const r of index.restarts) {
    const y = laneY.get(r.proc);
    if (y == null || r.t < t0 || r.t > t1) continue;
    const x = X(r.t);
    const word = r.from !== 'crashed' ? '▶ resumed' : powerBackAt(r.proc, r.t) ? '↑ power on' : '↻ restarted';
    out.push(`<g class="restart-mark" data-tip="${word.slice(2)} at ${formatSeconds(r.t)}">` +
      `<line x1="${x}" y1="${y - geo.laneH / 2 + 3}" x2="${x}" y2="${y + geo.laneH / 2 - 3}"/></g>`);
    mark((lx, ly) => `<text class="restart-label" x="${lx}" y="${ly}">${word}</text>`, x + 5, y - 5, word);
  }

  // A sentinel's view of its master: SDOWN (it alone no longer hears the master) and ODOWN (a quorum
  // agrees), as tinted bands on its lane; the failover it leads as a bar along the lane's foot.
  for (const b of index.sentinelBands) {
    const y = laneY.get(b.proc);
    const e = b.t1 ?? now;
    if (y == null || e < t0 || b.t0 > t1) continue;
    const x0 = X(Math.max(b.t0, t0));
    const x1 = X(Math.min(e, t1));
    const h = geo.laneH - (b.status === 'odown' ? 8 : 4);
    out.push(`<g class="sentinel-band ${b.status}" data-sentinel-band="${b.status}" data-tip="${esc(`${b.status.toUpperCase()}: ${b.status === 'sdown' ? 'this sentinel no longer gets valid PING replies from the master' : 'a quorum of sentinels agrees the master is down'} (${formatSeconds(b.t0)}–${b.t1 == null ? 'now' : formatSeconds(b.t1)})`)}">` +
      `<rect x="${x0}" y="${y - h / 2}" width="${Math.max(2, x1 - x0)}" height="${h}" rx="3"/></g>`);
  }
  for (const f of index.failovers) {
    const y = laneY.get(f.proc);
    const e = f.t1 ?? now;
    if (y == null || e < t0 || f.t0 > t1) continue;
    const x0 = X(Math.max(f.t0, t0));
    const x1 = X(Math.min(e, t1));
    const yb = y + geo.laneH / 2 - 5;
    const how = f.end == null ? 'in progress' : f.end === 'end' ? 'done' : f.end;
    out.push(`<g class="failover-span${f.end && f.end !== 'end' ? ' aborted' : ''}" data-failover="${f.epoch ?? ''}" data-tip="${esc(`failover${f.epoch != null ? ` of epoch ${f.epoch}` : ''}: ${formatSeconds(f.t0)}–${f.t1 == null ? 'now' : formatSeconds(f.t1)} (${how})`)}">` +
      `<rect x="${x0}" y="${yb - 2}" width="${Math.max(3, x1 - x0)}" height="4" rx="2"/></g>`);
  }

  // Forked children (BGSAVE, AOF rewrite): a span under the server's lane, however short.
  for (const c of index.children) {
    const y = laneY.get(c.proc);
    const e = c.t1 ?? now;
    if (y == null || e < t0 || c.t0 > t1) continue;
    const x0 = X(Math.max(c.t0, t0));
    const x1 = Math.max(x0 + 6, X(Math.min(e, t1)));
    const what = c.job === 'bgsave' ? 'BGSAVE' : c.job === 'aof-rewrite' ? 'AOF rewrite' : c.job;
    const how = c.t1 == null ? 'running' : c.ok ? `done in ${c.t1 - c.t0} ms` : 'failed';
    const cls = c.t1 == null ? 'running' : c.ok ? 'ok' : 'failed';
    const yc = y + 6;
    out.push(`<g class="child-span ${cls}" data-child="${esc(c.job)}" data-tip="${esc(`${what} (a forked child): started ${formatSeconds(c.t0)}, ${how}`)}">` +
      `<rect x="${x0}" y="${yc}" width="${x1 - x0}" height="7" rx="2"/></g>`);
    const word = `${what}${c.t1 == null ? '…' : c.ok ? ' ✓' : ' ✗'}`;
    mark((lx, ly) => `<text class="child-label ${cls}" x="${lx}" y="${ly}">${esc(word)}</text>`, x1 + 4, yc + 7, word);
  }

  // Role changes (REPLICAOF, promotion) and repointed applications: a flag on the lane, labelled.
  const flags = [];
  for (const r of index.roles) {
    const text = r.role === 'master' ? '★ now MASTER' : `↳ replica of ${nameOf(r.master)}`;
    flags.push({ t: r.t, proc: r.proc, cls: `role-mark role-${r.role}`, text, tip: r.role === 'master' ? 'became a master' : `became a replica of ${r.master}` });
  }
  for (const r of index.repoints) {
    const p = lanes.find((q) => q.name === r.name);
    if (p) flags.push({ t: r.t, proc: p.id, cls: 'repoint-mark', text: `↪ ${r.label}`, tip: `${r.name} ${r.label}` });
  }
  for (const f of flags) {
    const y = laneY.get(f.proc);
    if (y == null || f.t < t0 || f.t > t1) continue;
    const x = X(f.t);
    out.push(`<g class="${f.cls}" data-flag="${esc(f.text)}" data-tip="${esc(`${f.tip} at ${formatSeconds(f.t)}`)}">` +
      `<line x1="${x}" y1="${y - geo.laneH / 2 + 3}" x2="${x}" y2="${y + geo.laneH / 2 - 3}"/></g>`);
    // Above the lane, unless a band or restart label of the same instant is there already.
    // (Bold capitals: 7.9 px a character, measured; "★ now MASTER" had run into the label after it.)
    const up = isFree(boxOf(x + 5, y - 5, f.text, 7.9));
    const fy = up ? y - 5 : y + 15;
    mark((lx, ly) => `<text class="flag-label ${f.cls}" x="${lx}" y="${ly}">${esc(f.text)}</text>`, x + 5, fy, f.text, 7.9);
  }

  // Under the time axis, in the first free row: two partitions close together, or a crash on the first lane,
  // do not write over one another.
  for (const l of partitionLabels) {
    stacked((lx, ly) => `<text class="band-label partition" x="${lx}" y="${ly}">${esc(l.text)}</text>`, l.x, plotTop + 13, 1, l.text);
  }

  // Messages. Arrows that start before the window can still end inside it: look back by the longest
  // finished message, and separately at the few still in flight.
  const colours = [];
  const positions = [];
  const shown = visibleMessages(index, lanes, { t0, t1, heartbeats, gossip }, colours, positions);
  const kindOf = new Map(lanes.map((p) => [p.id, p.kind]));
  // Up to SPARSE_MSGS arrows each get an element of their own (with the kind and how it ended in its
  // classes); past that the window is denser than its pixels can show: drawn by `denseArrows`, one path per
  // colour and run of messages, and hovering finds the message (`timelineHit`).
  const dense = shown.length > SPARSE_MSGS;
  const msgLabels = []; // placed after every mark's label, where there is room
  const arrows = [];
  const where = { X, laneY, hostOf, now, kindOf, t0 };
  // At a whole pixel: the canvas painter copies the kept runs from a bitmap, which only lands exactly there.
  // The runs from `back` on are drawn (see denseArrows).
  const back = lowerBound(index.msgs, t0 - index.maxSpan - LOOK_BACK_PX * (span / plotW), (m) => m.t);
  if (dense) arrows.push(denseArrows(index, shown, colours, positions, { ...where, X0: Math.round(X(0)), perMs: plotW / span, lanes, geo, heartbeats, gossip, back }));
  for (let i = 0; i < shown.length; i++) {
    if (dense && msgLabels.length >= MAX_MSG_LABELS) break;
    const m = shown[i];
    // Dense, the arrows are drawn already: only labels are left, and heartbeats have none.
    if (dense && colours[i] === 'heartbeat') continue;
    const g = arrowGeometry(index, m, where, colours[i]);
    if (!g) continue;
    const { colour, xa, y0, xb, yb, y1 } = g;
    if (!dense) {
      const tip = g.due ? `<line class="due" x1="${xb}" y1="${yb}" x2="${g.due}" y2="${y1}"/>`
        : g.drop ? `<path class="drop-x ${colour}" d="M${xb - 4},${yb - 4} L${xb + 4},${yb + 4} M${xb - 4},${yb + 4} L${xb + 4},${yb - 4}"/>` : '';
      // No arrowhead on a drop (it ends in a cross) or on an arrow too short to have a direction yet.
      const head = g.drop || Math.hypot(xb - xa, yb - y0) < 3 ? '' : ` marker-end="url(#tl-${colour})"`;
      arrows.push(`<g class="msg ${colour} kind-${esc(m.kind)}${m.end == null ? ' inflight' : ''}" data-msg="${m.id}">` +
        `${tip}<line x1="${xa}" y1="${y0}" x2="${xb}" y2="${yb}"${head}/></g>`);
    }
    // A label near the sending end, if there is room for it (heartbeats stay unlabelled: hover them).
    if (colour !== 'heartbeat' && msgLabels.length < MAX_MSG_LABELS) {
      const lx = xa + (xb - xa) * 0.22 + 5;
      const ly = y0 + (yb - y0) * 0.22 + (y1 > y0 ? 4 : 10);
      if (lx >= LABEL_W && lx <= width - 20) msgLabels.push({ m, colour, x: lx, y: ly });
    }
  }
  out.push(`<g class="msgs${dense ? ' dense' : ''}" data-shown="${shown.length}">${arrows.join('')}</g>`);

  // How each request ended, on the client's lane: a dot each, or one path per outcome when they crowd.
  const firstOut = lowerBound(index.outcomes, t0, (q) => q.outT);
  const timeoutEnds = new Map();
  let lastOut = firstOut;
  while (lastOut < index.outcomes.length && index.outcomes[lastOut].outT <= t1) lastOut++;
  const denseOut = lastOut - firstOut > SPARSE_MSGS;
  // (Dense, from LOOK_BACK_PX before t0.)
  const backOut = lowerBound(index.outcomes, t0 - LOOK_BACK_PX * (span / plotW), (q) => q.outT);
  if (denseOut) out.push(denseOutcomes(index, backOut, lastOut, { X0: Math.round(X(0)), perMs: plotW / span, lanes, geo, laneY }));
  for (let i = firstOut; i < lastOut; i++) {
    const q = index.outcomes[i];
    if (denseOut && q.outcome !== 'timeout') continue;
    const y = laneY.get(q.client);
    if (y == null) continue;
    const x = X(q.outT);
    if (!denseOut) out.push(`<circle class="outcome ${q.outcome}" data-outcome="${q.outcome}" cx="${x}" cy="${y}" r="3.5"/>`);
    if (q.outcome === 'timeout' && x > (timeoutEnds.get(q.client) ?? -Infinity) + 6) {
      if (maybe((lx, ly) => `<text class="msg-label timeout" x="${lx}" y="${ly}">timeout</text>`, x + 5, y + 15, 'timeout')) timeoutEnds.set(q.client, x + 50);
    }
  }

  // Acknowledged writes that the serving master does not have (from the checks): a red ring where the
  // client saw the acknowledgement. A run of them closer than a label's width is labelled once, by its first
  // key and how many more ("lost key:1415 +12"), not by labels written over one another.
  const lostRuns = new Map(); // client -> the run being labelled: {x, y, key, more, end}
  const lostLabel = (run) => {
    const text = `lost ${clip(run.key, 14)}${run.more ? ` +${run.more}` : ''}`;
    // Above its lane, or below it when the lane above has a label there; else the rings say it alone (and
    // their tooltips, and the Checks panel).
    const html = (lx, ly) => `<text class="lost-label" x="${lx}" y="${ly}">${esc(text)}</text>`;
    if (!maybe(html, run.x + 9, run.y - 8, text, 6.8)) maybe(html, run.x + 9, run.y + 17, text, 6.8);
  };
  const lost = ((checks && checks.lostWrites) || []).filter((w) => w.ackedAt >= t0 && w.ackedAt <= t1 && laneY.has(w.client));
  for (const w of lost.sort((a, b) => a.ackedAt - b.ackedAt)) {
    const y = laneY.get(w.client);
    const x = X(w.ackedAt);
    out.push(`<g class="lost-mark" data-lost="${esc(w.key)}" data-tip="${esc(`acknowledged write lost: SET ${w.key} ${w.value} (acknowledged at ${formatSeconds(w.ackedAt)}); the master now has ${w.found == null ? 'nothing' : w.found}`)}">` +
      `<circle cx="${x}" cy="${y}" r="7"/></g>`);
    const run = lostRuns.get(w.client);
    if (run && x + 9 < run.end) {
      run.more++;
      continue;
    }
    if (run) lostLabel(run);
    // Room for the count it may get (" +999").
    lostRuns.set(w.client, { x, y, key: w.key, more: 0, end: x + 9 + (`lost ${clip(w.key, 14)}`.length + 5) * 6.8 + 4 });
  }
  for (const run of lostRuns.values()) lostLabel(run);

  // Commands typed in a console, on the lane of the process they went to. Their labels stack upwards
  // above the lane when several are typed at nearly the same time (e.g. while paused).
  const consoleRows = new Map(); // proc -> [x where each row's last label ends]
  for (let i = lowerBound(index.consoles, t0, (c) => c.t); i < index.consoles.length && index.consoles[i].t <= t1; i++) {
    const c = index.consoles[i];
    const y = laneY.get(c.proc);
    if (y == null) continue;
    const x = X(c.t);
    const err = /^\(error\)|^Could not connect/.test(c.reply) ? ' error' : '';
    out.push(`<g class="console-mark${err}" data-console="${esc(c.line)}" data-tip="${esc(`> ${c.line}\n${c.reply}`)}">` +
      `<path d="M${x},${y - 6} L${x + 6},${y} L${x},${y + 6} L${x - 6},${y} z"/></g>`);
    const text = clip(`> ${c.line}`, 30);
    const rows = consoleRows.get(c.proc) ?? [];
    consoleRows.set(c.proc, rows);
    const maxRows = Math.max(1, Math.floor((geo.laneH / 2 - 20) / 13));
    let row = rows.findIndex((endX) => x - 4 > endX);
    if (row < 0 && rows.length < maxRows) row = rows.length;
    if (row >= 0) {
      rows[row] = x + 8 + text.length * 6.6;
      mark((lx, ly) => `<text class="console-label${err}" x="${lx}" y="${ly}">${esc(text)}</text>`, x - 4, y - 21 - row * 13, text, 6.9);
    }
  }

  // Log lines as small ticks under the lane (hover for the text); warnings in red, labelled where there is room.
  const warnings = [];
  for (let i = lowerBound(index.logs, t0, (l) => l.t); i < index.logs.length && index.logs[i].t <= t1; i++) {
    const l = index.logs[i];
    const y = laneY.get(l.proc);
    if (y == null) continue;
    const x = X(l.t);
    const warn = /^!!!|warning|short read|truncat|refus|error/i.test(l.text) && kindOf.get(l.proc) !== 'client';
    out.push(`<line class="log-mark${warn ? ' warn' : ''}" x1="${x}" y1="${y + 4}" x2="${x}" y2="${y + 11}" data-tip="${esc(`${formatSeconds(l.t)} ${l.text}`)}"></line>`);
    if (warn && /^!!!/.test(l.text)) warnings.push({ x, y, text: `⚠ ${clip(l.text.replace(/^!!!\s*|\s*!!!$/g, ''), 44)}` });
  }

  // Sentinel events on the sentinels' lanes, in Redis's notation. Events of one sentinel at one instant
  // share a mark (the tooltip lists them all); the labels go to the events that matter most first.
  const groups = new Map();
  for (let i = lowerBound(index.sentinel, t0, (e) => e.t); i < index.sentinel.length && index.sentinel[i].t <= t1; i++) {
    const e = index.sentinel[i];
    if (!laneY.has(e.proc)) continue;
    const key = `${e.proc}:${e.t}`;
    if (!groups.has(key)) groups.set(key, { t: e.t, proc: e.proc, events: [] });
    groups.get(key).events.push(e);
  }
  const sentinelLabels = [];
  for (const g of groups.values()) {
    const y = laneY.get(g.proc);
    const x = X(g.t);
    const head = g.events.reduce((a, b) => (sentinelRank(b.event, b.detail) < sentinelRank(a.event, a.detail) ? b : a));
    const cls = sentinelClass(head.event, head.detail);
    const rank = sentinelRank(head.event, head.detail);
    const tip = g.events.map((e) => `${e.event} ${e.detail}`).join('\n');
    const r = rank <= 1 ? 5 : 3.5;
    out.push(`<g class="sentinel-mark ${cls}" data-sentinel-event="${esc(head.event)}" data-events="${esc(g.events.map((e) => e.event).join(' '))}" data-tip="${esc(`${formatSeconds(g.t)}\n${tip}`)}">` +
      `` +
      `<path d="M${x},${y - r} L${x + r},${y} L${x},${y + r} L${x - r},${y} z"/></g>`);
    if (rank <= 2) {
      const more = g.events.length > 1 ? ` +${g.events.length - 1}` : '';
      sentinelLabels.push({ rank, x, y, cls, text: `${head.event}${more}` });
    }
  }
  sentinelLabels.sort((a, b) => a.rank - b.rank || a.x - b.x);
  for (const l of sentinelLabels) {
    const html = (lx, ly) => `<text class="sentinel-label ${l.cls}" x="${lx}" y="${ly}">${esc(l.text)}</text>`;
    if (!maybe(html, l.x + 6, l.y - 5, l.text, 6.6) && l.rank === 0) maybe(html, l.x + 6, l.y + 13, l.text, 6.6);
  }
  // Redis Cluster: failure detection, elections, votes and resharding on the nodes' lanes (cluster state
  // changes at time zero are left out: every node says "ok" once it is created); MOVED / ASK on the client's.
  const clusterLabels = [];
  for (let i = lowerBound(index.cluster, t0, (e) => e.t); i < index.cluster.length && index.cluster[i].t <= t1; i++) {
    const e = index.cluster[i];
    const y = laneY.get(e.proc);
    if (y == null || (e.cls === 'state' && e.t === 0)) continue;
    const x = X(e.t);
    const r = e.cls === 'vote' || e.cls === 'pfail' ? 3.5 : 5;
    out.push(`<g class="cluster-mark ${e.cls}" data-cluster-event="${e.cls}" data-tip="${esc(`${formatSeconds(e.t)} ${e.text}`)}">` +
      `<path d="M${x},${y - r} L${x + r},${y} L${x},${y + r} L${x - r},${y} z"/></g>`);
    const rank = { fail: 0, won: 0, election: 1, reconf: 1, reshard: 1, vote: 2, state: 2, pfail: 3 }[e.cls] ?? 3;
    const text = nodeNames ? e.label.replace(/\b[0-9a-f]{8}\b/, (id) => nodeNames.get(id) ?? id) : e.label;
    clusterLabels.push({ rank, x, y, cls: e.cls, text });
  }
  const redirs = [];
  for (let i = lowerBound(index.redirects, t0, (e) => e.t); i < index.redirects.length && index.redirects[i].t <= t1; i++) {
    const e = index.redirects[i];
    const y = laneY.get(e.client);
    if (y == null) continue;
    const x = X(e.t);
    const to = lanes.find((p) => p.id === e.to)?.name ?? `#${e.to}`;
    out.push(`<g class="redirect-mark kind-${e.kind}" data-redirect="${e.kind}" data-slot="${e.slot}" data-tip="${esc(`${formatSeconds(e.t)} -${e.kind} ${e.slot} → ${to}`)}">` +
      `<rect x="${x - 3}" y="${y - 9}" width="6" height="6" transform="rotate(45 ${x} ${y - 6})"/></g>`);
    redirs.push({ x, y, kind: e.kind, text: `${e.kind} ${e.slot}→${to}` });
  }
  clusterLabels.sort((a, b) => a.rank - b.rank || a.x - b.x);
  const said = new Map(); // a label said by several nodes at about the same time is said once
  for (const l of clusterLabels) {
    if (l.rank > 2 || Math.abs((said.get(l.text) ?? -Infinity) - l.x) < 150) continue;
    const html = (lx, ly) => `<text class="cluster-label ${l.cls}" x="${lx}" y="${ly}">${esc(l.text)}</text>`;
    if (l.rank === 0) {
      // FAIL and the election won always get their label, above the mark or, if that is taken, below it.
      const up = isFree(boxOf(l.x + 6, l.y - 5, l.text, 6.2));
      mark(html, l.x + 6, up ? l.y - 5 : l.y + 14, l.text, 6.2);
      said.set(l.text, l.x);
    } else if (maybe(html, l.x + 6, l.y - 5, l.text, 6.2)) said.set(l.text, l.x);
  }
  // One label per kind and slot run: the first of a burst says it, the rest are marks.
  let lastText = '';
  let lastX = -Infinity;
  for (const r of redirs) {
    if (r.text === lastText && r.x - lastX < 160) continue;
    mark((lx, ly) => `<text class="redirect-label kind-${r.kind}" x="${lx}" y="${ly}">${esc(r.text)}</text>`, r.x + 5, r.y - 12, r.text, 6.2);
    lastText = r.text;
    lastX = r.x;
  }
  for (const w of warnings) maybe((lx, ly) => `<text class="warn-label" x="${lx}" y="${ly}">${esc(w.text)}</text>`, w.x + 4, w.y + 22, w.text, 6.2);

  for (const l of msgLabels) {
    const text = clip(l.m.label, 26);
    maybe((lx, ly) => `<text class="msg-label ${l.colour}" x="${lx}" y="${ly}">${esc(text)}</text>`, l.x, l.y, text, 6.6);
  }
  out.push(`<g class="labels">${labels.join('')}</g>`);

  // The moment (or interval) the learner asked to look at.
  if (focus && focus.t <= t1 && (focus.t1 ?? focus.t) >= t0) {
    const xa = X(Math.max(focus.t, t0));
    const xb = X(Math.min(focus.t1 ?? focus.t, t1));
    out.push(`<g class="focus" data-focus="${focus.t}">` +
      (xb - xa > 2 ? `<rect x="${xa}" y="${plotTop}" width="${xb - xa}" height="${plotBottom - plotTop}"/>` : '') +
      `<line x1="${xa}" y1="${plotTop}" x2="${xa}" y2="${plotBottom}"/></g>`);
    const text = clip(focus.label, 48);
    const w = text.length * 6.6 + 10;
    const lx = Math.min(xa + 4, width - RIGHT - w);
    // In the time axis strip, over the tick labels: it names the moment the axis is showing.
    out.push(`<g class="focus-tag"><rect x="${lx}" y="${plotTop - 22}" width="${w}" height="17" rx="4"/>` +
      `<text x="${lx + 5}" y="${plotTop - 9.5}">${esc(text)}</text></g>`);
  }

  // Now.
  if (now >= t0 && now <= t1) {
    const x = X(now);
    out.push(`<line class="now-line" x1="${x}" y1="${plotTop - 4}" x2="${x}" y2="${plotBottom}"/>`);
  }
  out.push('</g>');

  // Lane names last, over everything.
  out.push(`<rect class="label-col" x="0" y="0" width="${LABEL_W}" height="${H}"/>`);
  lanes.forEach((p) => {
    const y = laneY.get(p.id);
    const view = p.sentinel && p.sentinel.masters[0] ? p.sentinel.masters[0].status : null;
    const sub = p.kind === 'client' ? `client on ${p.host}` : (p.address || p.host);
    // In a low lane (seven and more lanes in a small view) the name alone, centred: the address under it
    // would run into the next lane's name. It stays in the lane's tooltip.
    const full = geo.laneH >= FULL_LANE;
    out.push(`<g class="lane-label kind-${esc(p.kind)}${p.role ? ` role-${esc(p.role)}` : ''}${view ? ` view-${esc(view)}` : ''} state-${esc(p.state)}" data-lane="${p.id}"${full ? '' : ` data-tip="${esc(`${p.name}: ${sub}`)}"`}>` +
      `<circle cx="14" cy="${y}" r="5"/>` +
      `<text class="lane-name" x="26" y="${full ? y - 2 : y + 4.5}">${esc(clip(p.name, 14))}</text>` +
      (full ? `<text class="lane-sub" x="26" y="${y + 12}">${esc(clip(sub, 18))}</text>` : '') + '</g>');
  });
  out.push(`<line class="label-rule" x1="${LABEL_W}" y1="0" x2="${LABEL_W}" y2="${H}"/>`);
  out.push('</svg>');
  return out.join('');
}
