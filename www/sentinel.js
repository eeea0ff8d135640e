// The Sentinel event log and the election summary: pure functions from trace records (digested by the
// `TimelineIndex`) and `snapshot()` to HTML. Events are printed in Redis's own notation, as a sentinel writes
// them to its log and publishes them on its channels: `+sdown master mymaster 10.0.0.1 6379`.

import { esc, sentinelView } from './topology.js';
import { sentinelClass, sentinelRank } from './timeline.js';

export const MAX_SHOWN = 400; // the last events; older ones stay in the trace

/** The sentinel that won the latest election, from the trace: {proc, t, epoch} or null. */
export function latestLeader(index) {
  return index.leaders.length ? index.leaders[index.leaders.length - 1] : null;
}

/**
 * One line per Sentinel event, oldest first.
 * @param {import('./timeline.js').TimelineIndex} index
 * @param {(id:number)=>string} nameOf
 * @param {{proc?: number|null, important?: boolean}} filter  one sentinel only; only the events that tell the story
 */
export function renderEventLog(index, nameOf, { proc = null, important = false } = {}) {
  const all = index.sentinel.filter(eventFilter({ proc, important }));
  if (!all.length) {
    return `<li class="ev-empty muted">${index.sentinel.length ? 'No events for this filter yet.' : 'No Sentinel events yet. When the master stops answering, each sentinel logs +sdown, then +odown once a quorum agrees.'}</li>`;
  }
  const shown = all.slice(-MAX_SHOWN);
  const lines = eventLines(shown, nameOf);
  if (all.length > shown.length) lines.unshift(earlierLine(all.length - shown.length));
  return lines.join('');
}

/** Which events the log shows: one sentinel's only; only the events that tell the story. */
export function eventFilter({ proc = null, important = false } = {}) {
  return (e) => (proc == null || e.proc === proc) && (!important || sentinelRank(e.event, e.detail) <= 1);
}

/** The log's line for each event (an array of `<li>` strings). */
export function eventLines(events, nameOf) {
  return events.map((e) => {
    const cls = sentinelClass(e.event, e.detail);
    return `<li class="ev ev-${cls}" data-t="${e.t}" data-proc="${e.proc}" data-event="${esc(e.event)}" title="Click to see this moment on the timeline">` +
      `<span class="ev-t">${(e.t / 1000).toFixed(3)}</span>` +
      `<span class="ev-who">${esc(nameOf(e.proc))}</span>` +
      `<span class="ev-text"><b class="ev-name">${esc(e.event)}</b> ${esc(e.detail)}</span></li>`;
  });
}

export function earlierLine(n) {
  return `<li class="ev-empty muted ev-earlier" data-earlier="${n}">… ${n} earlier events</li>`;
}

/**
 * Who voted for whom in the latest epoch, from the trace's +vote-for-leader events (a sentinel forgets its vote
 * when it switches to the promoted master, as Redis's reset of the master does, so its view no longer says), and
 * who was elected (from the trace).
 * @returns {string} HTML
 */
export function renderVotes(snapshot, index, nameOf) {
  const sents = snapshot.processes.filter((p) => p.kind === 'sentinel' && sentinelView(p));
  if (!sents.length) return '';
  const byRun = new Map(sents.map((p) => [p.sentinel.runId, p]));
  const views = sents.map((p) => ({ p, m: sentinelView(p) }));
  const quorum = views[0].m.quorum;
  const known = Math.max(...views.map((v) => v.m.otherSentinels + 1), sents.length);
  const majority = Math.floor(known / 2) + 1;
  const need = Math.max(majority, quorum);
  // "+vote-for-leader <run id> <epoch>", one per vote a sentinel gives (its own included).
  const votes = index.sentinel.filter((e) => e.event === '+vote-for-leader').map((e) => {
    const [run, epoch] = e.detail.split(' ');
    return { voter: e.proc, run, epoch: Number(epoch) || 0 };
  });
  const epoch = Math.max(0, ...votes.map((v) => v.epoch));
  const rule = `<span class="muted">a leader needs ${need} vote${need === 1 ? '' : 's'}: max(majority of ${known} = ${majority}, quorum ${quorum})</span>`;
  if (!epoch) return `<div class="votes" data-votes="none"><b>No election yet.</b> ${rule}</div>`;
  const ballot = new Map(); // voter → the run id it voted for in this epoch (one vote per epoch)
  for (const v of votes) if (v.epoch === epoch) ballot.set(v.voter, v.run);
  const tally = new Map();
  for (const [voter, run] of ballot) {
    if (!tally.has(run)) tally.set(run, []);
    tally.get(run).push(nameOf(voter));
  }
  const leader = latestLeader(index);
  const parts = [...tally.entries()].sort((a, b) => b[1].length - a[1].length).map(([run, voters]) => {
    const who = byRun.get(run);
    const won = leader && who && leader.proc === who.id && leader.epoch === epoch;
    return `<span class="vote${won ? ' won' : ''}" data-vote-for="${esc(who ? who.name : run)}" data-vote-count="${voters.length}">` +
      `${won ? '★ ' : ''}<b>${esc(who ? who.name : run.slice(0, 8))}</b> <code>${esc(run.slice(0, 8))}</code> ← ${esc(voters.join(', '))}: ` +
      `${voters.length} vote${voters.length === 1 ? '' : 's'}</span>`;
  });
  const elected = leader && leader.epoch === epoch
    ? ` · <span class="elected">${esc(nameOf(leader.proc))} elected at ${(leader.t / 1000).toFixed(3)} s</span>` : '';
  return `<div class="votes" data-votes="${epoch}"><b>Epoch ${epoch} votes:</b> ${parts.join(' ')}${elected} ${rule}</div>`;
}
