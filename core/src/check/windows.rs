//! Windows of virtual time: without a writable master or with two (split brain), and each client's
//! unavailability.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::trace::{Outcome, Record, TraceEvent};
use crate::vecmap::VecMap;

/// Intervals `[from, to)` of virtual time during which some deployment had a number of writable masters that
/// `pred` picks out: none at all, or more than one (split brain). `deployment` maps each server to its
/// deployment (see [`deployments`]).
pub fn master_windows(
    trace: &[Record],
    now: u64,
    deployment: &dyn Fn(ProcId) -> usize,
    pred: &dyn Fn(usize) -> bool,
) -> Vec<(u64, u64)> {
    master_windows_among(trace, now, &|p| Some(deployment(p)), &[pred]).swap_remove(0)
}

/// [`master_windows`] over the servers `deployment` places (`None`: leave the server out, as the cluster
/// nodes of a scenario that also has Sentinel or standalone deployments: a cluster has no one master), for
/// several predicates in one pass over the trace (the page asks for these a few times a second).
pub(super) fn master_windows_among(
    trace: &[Record],
    now: u64,
    deployment: &dyn Fn(ProcId) -> Option<usize>,
    preds: &[&dyn Fn(usize) -> bool],
) -> Vec<Vec<(u64, u64)>> {
    let mut w = MasterWindows::new(preds.len());
    w.add(trace, deployment, preds);
    w.finish(now, deployment, preds)
}

/// The master windows of the records read so far, one list per predicate.
#[derive(Clone, Default)]
pub(super) struct MasterWindows {
    up: VecMap<ProcId, bool>,
    master: VecMap<ProcId, bool>,
    /// The time of the records applied last, not judged yet: more records may come at that same instant.
    instant: Option<u64>,
    opens: Vec<Option<u64>>,
    windows: Vec<Vec<(u64, u64)>>,
}

impl MasterWindows {
    pub(super) fn new(preds: usize) -> Self {
        MasterWindows { opens: vec![None; preds], windows: vec![Vec::new(); preds], ..MasterWindows::default() }
    }

    pub(super) fn add(
        &mut self,
        trace: &[Record],
        deployment: &dyn Fn(ProcId) -> Option<usize>,
        preds: &[&dyn Fn(usize) -> bool],
    ) {
        for r in trace {
            // Apply every record of an instant before judging it, so a restart's down-then-up is not a window.
            if self.instant.is_some_and(|t| t != r.t.ms()) {
                self.judge(deployment, preds);
            }
            self.instant = Some(r.t.ms());
            match &r.event {
                TraceEvent::State { proc, state } => {
                    self.up.insert(*proc, *state == crate::trace::ProcState::Up);
                }
                TraceEvent::Role { proc, role, .. } => {
                    self.master.insert(*proc, role == "master");
                }
                _ => {}
            }
        }
    }

    /// Open or close each predicate's window at the instant of the records applied last.
    fn judge(&mut self, deployment: &dyn Fn(ProcId) -> Option<usize>, preds: &[&dyn Fn(usize) -> bool]) {
        let Some(t) = self.instant.take() else { return };
        let mut counts: VecMap<usize, usize> = VecMap::new();
        for (p, m) in &self.master {
            let Some(d) = deployment(*p) else { continue };
            let c = counts.entry(d).or_default();
            *c += usize::from(*m && self.up.get(p).copied().unwrap_or(false));
        }
        for ((pred, open), windows) in preds.iter().zip(self.opens.iter_mut()).zip(self.windows.iter_mut()) {
            let hit = if counts.is_empty() { pred(0) } else { counts.values().any(|c| pred(*c)) };
            match (hit, *open) {
                (true, None) => *open = Some(t),
                (false, Some(from)) => {
                    if t > from {
                        windows.push((from, t));
                    }
                    *open = None;
                }
                _ => {}
            }
        }
    }

    /// The windows up to `now`: the last instant judged (on a copy: the trace may grow at that instant yet),
    /// windows still open closed at `now`.
    pub(super) fn finish(
        &self,
        now: u64,
        deployment: &dyn Fn(ProcId) -> Option<usize>,
        preds: &[&dyn Fn(usize) -> bool],
    ) -> Vec<Vec<(u64, u64)>> {
        let mut last = self.clone();
        last.judge(deployment, preds);
        for (open, windows) in last.opens.iter().zip(last.windows.iter_mut()) {
            if let Some(from) = *open {
                if now > from {
                    windows.push((from, now));
                }
            }
        }
        last.windows
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    pub client: ProcId,
    /// When the first failing request was sent, and when the next successful one was answered (or now).
    pub from: u64,
    pub to: u64,
    pub failed_requests: u64,
}

impl ToJson for Unavailable {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("from", &self.from).field("to", &self.to);
        o.field("failedRequests", &self.failed_requests);
    }
}

/// Windows during which a client's requests failed (errors, timeouts, refusals) until one succeeded again.
pub fn unavailability(trace: &[Record], now: u64) -> Vec<Unavailable> {
    let mut outages = Outages::default();
    outages.add(trace);
    outages.finish(now)
}

/// The unavailability windows of the records read so far.
#[derive(Default)]
pub(super) struct Outages {
    /// When each request not answered yet was sent.
    sent: VecMap<(ProcId, u64), u64>,
    /// Per client, its window still open (its `to` is whatever `now` will be).
    open: VecMap<ProcId, Unavailable>,
    /// Per client: when its last window closed, and that window's index in `closed`.
    last_closed: VecMap<ProcId, (u64, usize)>,
    /// The windows closed, in the order they closed.
    closed: Vec<Unavailable>,
}

impl Outages {
    pub(super) fn add(&mut self, trace: &[Record]) {
        for r in trace {
            match &r.event {
                TraceEvent::Request { client, id, .. } => {
                    self.sent.insert((*client, *id), r.t.ms());
                }
                TraceEvent::Outcome { client, id, outcome, .. } => {
                    let sent_at = self.sent.remove(&(*client, *id)).unwrap_or(r.t.ms());
                    if *outcome == Outcome::Ok {
                        if let Some(mut w) = self.open.remove(client) {
                            w.to = r.t.ms();
                            self.last_closed.insert(*client, (w.to, self.closed.len()));
                            self.closed.push(w);
                        }
                    } else {
                        // A straggler of the last window — sent while it was open, failing (a timeout) after a
                        // success closed it — belongs to that window, not to a new one.
                        if let Some(&(to, i)) = self.last_closed.get(client) {
                            if sent_at < to && !self.open.contains_key(client) {
                                self.closed[i].failed_requests += 1;
                                continue;
                            }
                        }
                        let sent_at = sent_at.max(self.last_closed.get(client).map_or(0, |c| c.0));
                        let w = self.open.entry(*client).or_insert(Unavailable {
                            client: *client,
                            from: sent_at,
                            to: 0,
                            failed_requests: 0,
                        });
                        w.from = w.from.min(sent_at);
                        w.failed_requests += 1;
                    }
                }
                _ => {}
            }
        }
    }

    /// Every window, those still open lasting until `now`, by start.
    pub(super) fn finish(&self, now: u64) -> Vec<Unavailable> {
        let mut out = self.closed.clone();
        out.extend(self.open.values().map(|w| Unavailable { to: now, ..w.clone() }));
        crate::sort::sort_by_key(&mut out, |w| (w.from, w.client));
        out
    }
}
