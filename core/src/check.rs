//! Checkers beside the nodes: figures computed from the trace alone, so they can be recomputed from an
//! exported trace and shown on the page as well as asserted in tests.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::trace::{Outcome, Record, TraceEvent};
use crate::vecmap::VecMap;
use std::collections::BTreeMap;

/// What each client saw of its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTally {
    pub client: ProcId,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub refused: u64,
}

impl Default for ClientTally {
    fn default() -> Self {
        ClientTally { client: ProcId(0), sent: 0, ok: 0, errors: 0, timeouts: 0, refused: 0 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub now: u64,
    pub trace_len: usize,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    /// One tally per client, in process order.
    pub clients: Vec<ClientTally>,
}

impl ToJson for ClientTally {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("sent", &self.sent).field("ok", &self.ok);
        o.field("errors", &self.errors).field("timeouts", &self.timeouts).field("refused", &self.refused);
    }
}

impl ToJson for Metrics {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("now", &self.now).field("traceLen", &self.trace_len).field("messagesSent", &self.messages_sent);
        o.field("messagesDropped", &self.messages_dropped).field("clients", &self.clients);
    }
}

pub fn metrics(trace: &[Record], now: u64) -> Metrics {
    let mut tally = Tally::default();
    tally.add(trace);
    tally.metrics(trace.len(), now)
}

/// The counts of [`Metrics`] over the records read so far.
#[derive(Default)]
struct Tally {
    messages_sent: u64,
    messages_dropped: u64,
    clients: VecMap<ProcId, ClientTally>,
}

impl Tally {
    fn add(&mut self, trace: &[Record]) {
        for r in trace {
            match &r.event {
                TraceEvent::Send { .. } => self.messages_sent += 1,
                TraceEvent::Drop { .. } => self.messages_dropped += 1,
                TraceEvent::Request { client, .. } => self.client(*client).sent += 1,
                TraceEvent::Outcome { client, outcome, .. } => {
                    let t = self.client(*client);
                    match outcome {
                        Outcome::Ok => t.ok += 1,
                        Outcome::Error => t.errors += 1,
                        Outcome::Timeout => t.timeouts += 1,
                        Outcome::Refused => t.refused += 1,
                    }
                }
                _ => {}
            }
        }
    }

    fn client(&mut self, client: ProcId) -> &mut ClientTally {
        self.clients.entry(client).or_insert_with(|| ClientTally { client, ..Default::default() })
    }

    fn metrics(&self, trace_len: usize, now: u64) -> Metrics {
        Metrics {
            now,
            trace_len,
            messages_sent: self.messages_sent,
            messages_dropped: self.messages_dropped,
            clients: self.clients.values().cloned().collect(),
        }
    }
}

/// A write the client saw acknowledged: `SET key value ...` or each pair of an `MSET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    pub client: ProcId,
    pub id: u64,
    /// The server that acknowledged it.
    pub server: ProcId,
    pub key: String,
    pub value: String,
    pub sent_at: u64,
    pub acked_at: u64,
}

/// An acknowledged write that the data of the serving master does not reflect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    pub client: ProcId,
    pub id: u64,
    pub key: String,
    pub value: String,
    pub acked_at: u64,
    /// What the master holds for the key instead (`None`: nothing).
    pub found: Option<String>,
}

/// A read that returned an older value than a write acknowledged before the read was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleRead {
    pub client: ProcId,
    pub id: u64,
    pub server: ProcId,
    pub key: String,
    pub sent_at: u64,
    pub got: Option<String>,
    pub expected: String,
}

impl ToJson for LostWrite {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("id", &self.id).field("key", &self.key).field("value", &self.value);
        o.field("ackedAt", &self.acked_at).field("found", &self.found);
    }
}

impl ToJson for StaleRead {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("id", &self.id).field("server", &self.server);
        o.field("key", &self.key).field("sentAt", &self.sent_at).field("got", &self.got);
        o.field("expected", &self.expected);
    }
}

/// A write sent, acknowledged or not: which key, and when it was acknowledged.
struct SentWrite {
    key: String,
    acked_at: Option<u64>,
}

/// Every write and read the trace shows, with its timing; the raw material of the history checks.
#[derive(Default)]
struct History {
    /// All writes sent, in trace order.
    writes: Vec<SentWrite>,
    /// Each value's latest write: its position in `writes`. Keyed by the value's bytes: a map of the same type
    /// as a keyspace's expiries, so that the page's package holds the B-tree code for one, not two.
    write_of_value: BTreeMap<Vec<u8>, u64>,
    acked: Vec<AckedWrite>,
    /// Successful GETs: (client, id, server, key, sent_at, value).
    reads: Vec<(ProcId, u64, ProcId, String, u64, Option<String>)>,
}

/// The value a redis-cli formatted bulk reply holds: `"v"` → `v`, `(nil)` → none.
fn unquote(reply: &str) -> Option<String> {
    reply.strip_prefix('"').and_then(|r| r.strip_suffix('"')).map(str::to_string)
}

impl History {
    /// The latest write that sent `value`.
    fn write_of(&self, value: &str) -> Option<&SentWrite> {
        self.write_of_value.get(value.as_bytes()).map(|&i| &self.writes[i as usize])
    }
}

fn history(trace: &[Record]) -> History {
    let mut h = History::default();
    add_to_history(&mut h, &mut VecMap::new(), trace);
    h
}

/// Requests sent and not answered yet (few at a time): when, to which server, the command.
type Pending = VecMap<(ProcId, u64), (u64, ProcId, Vec<String>)>;

/// What the checkers read from a trace, kept up to date as the trace grows: each call digests only the records
/// since the last (on a long trace, reading it all again is most of what `checks` and `metrics` cost). It
/// starts afresh when the trace was cut since (`generation`: `Simulation::trace_generation`).
#[derive(Default)]
pub struct HistoryCache {
    generation: u64,
    seen: usize,
    history: History,
    pending: Pending,
    outages: Outages,
    links: Links,
    tally: Tally,
    /// The master windows are counted per deployment: read with the grouping `windows_key` (each process's
    /// deployment, by index) up to `windows_seen`, and read again from the start when the grouping changes
    /// (a replica linking two servers for the first time), which happens a few times a run.
    windows: MasterWindows,
    windows_key: Option<Vec<Option<usize>>>,
    windows_seen: usize,
}

/// Intervals `[from, to)` of virtual ms.
type Windows = Vec<(u64, u64)>;

impl HistoryCache {
    fn update(&mut self, world: &crate::world::World, trace: &[Record], generation: u64) {
        if generation != self.generation || self.seen > trace.len() {
            *self = HistoryCache { generation, ..HistoryCache::default() };
        }
        let new = &trace[self.seen..];
        add_to_history(&mut self.history, &mut self.pending, new);
        self.outages.add(new);
        self.links.add(world, new);
        self.tally.add(new);
        self.seen = trace.len();
    }

    /// The no-master and split-brain windows now, `deployment` grouping `world`'s servers.
    fn master_windows(
        &mut self,
        world: &crate::world::World,
        trace: &[Record],
        deployment: &dyn Fn(ProcId) -> Option<usize>,
    ) -> (Windows, Windows) {
        let key: Vec<Option<usize>> = (0..world.procs().len()).map(|i| deployment(ProcId(i as u32))).collect();
        if self.windows_key.as_ref() != Some(&key) {
            (self.windows, self.windows_key, self.windows_seen) = (MasterWindows::new(2), Some(key), 0);
        }
        let preds: [&dyn Fn(usize) -> bool; 2] = [&|n| n == 0, &|n| n >= 2];
        self.windows.add(&trace[self.windows_seen..], deployment, &preds);
        self.windows_seen = trace.len();
        let mut w = self.windows.finish(world.now().ms(), deployment, &preds);
        let split = w.pop().unwrap_or_default();
        (w.pop().unwrap_or_default(), split)
    }
}

/// [`metrics`], with the trace's counts kept in `cache` between calls (see [`checks_cached`]).
pub fn metrics_cached(
    world: &crate::world::World,
    trace: &[Record],
    generation: u64,
    cache: &mut HistoryCache,
) -> Metrics {
    cache.update(world, trace, generation);
    cache.tally.metrics(trace.len(), world.now().ms())
}

/// The command's name in capitals (empty for an empty command).
fn command_name(command: &[String]) -> String {
    command.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default()
}

/// The (key, value) pairs a command named `name` writes: a SET's first pair, each pair of an MSET.
fn written_pairs(name: &str, command: &[String]) -> Vec<(String, String)> {
    let pairs = command.get(1..).unwrap_or_default().chunks_exact(2).map(|p| (p[0].clone(), p[1].clone()));
    match name {
        "SET" => pairs.take(1).collect(),
        "MSET" => pairs.collect(),
        _ => Vec::new(),
    }
}

fn add_to_history(h: &mut History, pending: &mut Pending, trace: &[Record]) {
    for r in trace {
        match &r.event {
            TraceEvent::Request { client, id, server, command } => {
                for (key, value) in written_pairs(&command_name(command), command) {
                    h.write_of_value.insert(value.into_bytes(), h.writes.len() as u64);
                    h.writes.push(SentWrite { key, acked_at: None });
                }
                pending.insert((*client, *id), (r.t.ms(), *server, command.clone()));
            }
            TraceEvent::Outcome { client, id, outcome, reply, .. } => {
                let Some((sent_at, server, command)) = pending.remove(&(*client, *id)) else { continue };
                if *outcome != Outcome::Ok {
                    continue;
                }
                let name = command_name(&command);
                match name.as_str() {
                    // A SET answered with OK (not a nil from NX/XX) wrote its value.
                    "SET" | "MSET" if reply == "OK" => {
                        for (key, value) in written_pairs(&name, &command) {
                            if let Some(&i) = h.write_of_value.get(value.as_bytes()) {
                                h.writes[i as usize].acked_at = Some(r.t.ms());
                            }
                            h.acked.push(AckedWrite {
                                client: *client,
                                id: *id,
                                server,
                                key,
                                value,
                                sent_at,
                                acked_at: r.t.ms(),
                            });
                        }
                    }
                    "GET" if command.len() == 2 => {
                        h.reads.push((*client, *id, server, command[1].clone(), sent_at, unquote(reply)))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Acknowledged writes lost, judged against `data(server, key)`: the value the deployment of the server that
/// acknowledged the write holds now (its serving master's keyspace).
///
/// For each key, the final value came from some write F (values are unique per request). Every acknowledged
/// write to that key that was sent after F was acknowledged is lost: it certainly came after F, yet F is what
/// survived. When the key holds nothing (or a value no write produced), every acknowledged write to it is lost.
pub fn lost_writes(trace: &[Record], data: &dyn Fn(ProcId, &str) -> Option<Option<String>>) -> Vec<LostWrite> {
    lost_writes_in(&history(trace), data)
}

fn lost_writes_in(h: &History, data: &dyn Fn(ProcId, &str) -> Option<Option<String>>) -> Vec<LostWrite> {
    let mut lost = Vec::new();
    for w in &h.acked {
        // No serving master in that deployment now: nothing to judge the write against yet.
        let Some(found) = data(w.server, &w.key) else { continue };
        if found.as_deref() == Some(w.value.as_str()) {
            continue;
        }
        let survivor_acked_at = found
            .as_ref()
            .and_then(|v| h.write_of(v))
            .filter(|f| f.key == w.key)
            .map(|f| f.acked_at.unwrap_or(u64::MAX));
        let is_lost = match survivor_acked_at {
            // The surviving write may have come after this one: this one was overwritten, not lost.
            Some(f_acked) => w.sent_at > f_acked,
            None => true,
        };
        if is_lost {
            lost.push(LostWrite {
                client: w.client,
                id: w.id,
                key: w.key.clone(),
                value: w.value.clone(),
                acked_at: w.acked_at,
                found,
            });
        }
    }
    lost
}

/// Reads that returned a value older than the latest write acknowledged before the read was sent.
pub fn stale_reads(trace: &[Record]) -> Vec<StaleRead> {
    stale_reads_in(&history(trace))
}

fn stale_reads_in(h: &History) -> Vec<StaleRead> {
    // The acknowledged writes by key, each key's in the order they were acknowledged (a stable sort of a list
    // already in that order): sorted positions rather than a map of lists, which would be B-tree code of its
    // own in the page's package.
    let mut by_key: Vec<usize> = (0..h.acked.len()).collect();
    crate::sort::sort_by(&mut by_key, |&a, &b| h.acked[a].key.cmp(&h.acked[b].key));
    let mut stale = Vec::new();
    for (client, id, server, key, sent_at, got) in &h.reads {
        let from = by_key.partition_point(|&i| h.acked[i].key < *key);
        let to = from + by_key[from..].partition_point(|&i| h.acked[i].key == *key);
        // The latest acknowledged before the read was sent (the last of any acknowledged at that same time).
        let before = by_key[from..to].partition_point(|&i| h.acked[i].acked_at < *sent_at);
        let Some(latest) = before.checked_sub(1).map(|k| &h.acked[by_key[from + k]]) else {
            continue;
        };
        let older = match got {
            None => true,
            Some(v) if *v == latest.value => false,
            // A value written before the latest write was even sent is certainly older.
            Some(v) => h.write_of(v).is_some_and(|w| w.key == *key && w.acked_at.is_some_and(|a| a <= latest.sent_at)),
        };
        if older {
            stale.push(StaleRead {
                client: *client,
                id: *id,
                server: *server,
                key: key.clone(),
                sent_at: *sent_at,
                got: got.clone(),
                expected: latest.value.clone(),
            });
        }
    }
    stale
}

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
fn master_windows_among(
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
struct MasterWindows {
    up: VecMap<ProcId, bool>,
    master: VecMap<ProcId, bool>,
    /// The time of the records applied last, not judged yet: more records may come at that same instant.
    instant: Option<u64>,
    opens: Vec<Option<u64>>,
    windows: Vec<Vec<(u64, u64)>>,
}

impl MasterWindows {
    fn new(preds: usize) -> Self {
        MasterWindows { opens: vec![None; preds], windows: vec![Vec::new(); preds], ..MasterWindows::default() }
    }

    fn add(
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
    fn finish(
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

/// Windows are `[from, to)` pairs of virtual ms.
/// The history checks of a run at its current time, as the page's checkers panel shows them.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// The server judged to be the master now (up, role master, most replicas).
    pub serving_master: Option<ProcId>,
    pub acked_writes: usize,
    /// Acknowledged writes per client that wrote any: (client, count), by process id.
    pub acked_by_client: Vec<(ProcId, usize)>,
    pub lost_writes: Vec<LostWrite>,
    pub stale_reads: Vec<StaleRead>,
    /// Intervals without any writable master.
    pub no_master: Vec<(u64, u64)>,
    pub no_master_ms: u64,
    /// Intervals with two or more masters accepting writes.
    pub split_brain: Vec<(u64, u64)>,
    /// Each client's windows of unavailability: from its first failed request to its next success.
    pub unavailable: Vec<Unavailable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    pub client: ProcId,
    /// When the first failing request was sent, and when the next successful one was answered (or now).
    pub from: u64,
    pub to: u64,
    pub failed_requests: u64,
}

impl ToJson for Checks {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("servingMaster", &self.serving_master).field("ackedWrites", &self.acked_writes);
        o.field("ackedByClient", &self.acked_by_client).field("lostWrites", &self.lost_writes);
        o.field("staleReads", &self.stale_reads).field("noMaster", &self.no_master);
        o.field("noMasterMs", &self.no_master_ms).field("splitBrain", &self.split_brain);
        o.field("unavailable", &self.unavailable);
    }
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
struct Outages {
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
    fn add(&mut self, trace: &[Record]) {
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
    fn finish(&self, now: u64) -> Vec<Unavailable> {
        let mut out = self.closed.clone();
        out.extend(self.open.values().map(|w| Unavailable { to: now, ..w.clone() }));
        crate::sort::sort_by_key(&mut out, |w| (w.from, w.client));
        out
    }
}

/// Run every history check against the world as it is now. Each acknowledged write is judged by the rules of
/// its own deployment: a cluster node's writes against the master serving the key's slot, any other server's
/// against the serving master of the servers linked to it by replication — so a cluster, a Sentinel-managed
/// master and independent shards can run side by side in one scenario. The master windows (no master, split
/// brain) are those of the non-cluster deployments: a cluster has no one master (one cluster per scenario).
pub fn checks(world: &crate::world::World, trace: &[Record]) -> Checks {
    checks_cached(world, trace, 0, &mut HistoryCache::default())
}

/// [`checks`], with what was read of the trace kept in `cache` between calls (`generation`: the simulation's
/// `trace_generation`): what the page asks for a few times a second while the trace grows.
pub fn checks_cached(
    world: &crate::world::World,
    trace: &[Record],
    generation: u64,
    cache: &mut HistoryCache,
) -> Checks {
    cache.update(world, trace, generation);
    let now = world.now().ms();
    let unix = world.epoch_unix_ms() + now;
    let server = |id: ProcId| match &world.procs()[id.index()].node {
        crate::world::Node::Server(s) if world.procs()[id.index()].state == crate::trace::ProcState::Up => Some(s),
        _ => None,
    };
    // By configuration, so that a crashed cluster node (whose memory, cluster state included, is gone) is
    // still judged as one.
    let clustered = |id: ProcId| matches!(&world.procs()[id.index()].node, crate::world::Node::Server(s) if s.config.cluster_enabled);
    let servers: Vec<ProcId> = (0..world.procs().len())
        .map(|i| ProcId(i as u32))
        .filter(|p| matches!(world.procs()[p.index()].node, crate::world::Node::Server(_)))
        .collect();
    let any_plain = servers.iter().any(|p| !clustered(*p));
    // Sharded data: each key is judged against the up master that serves its slot (the newest claim wins).
    let owner_of = |slot: u16| -> Option<ProcId> {
        (0..world.procs().len())
            .filter_map(|i| {
                let s = server(ProcId(i as u32))?;
                let c = s.cluster.as_ref()?;
                (c.me().flags.master && c.owner(slot) == Some(c.myself.as_str()))
                    .then_some((c.me().config_epoch, ProcId(i as u32)))
            })
            .max()
            .map(|(_, p)| p)
    };
    let by_node_id = |id: &str| -> Option<&crate::server::Server> {
        (0..world.procs().len()).find_map(|i| {
            let s = server(ProcId(i as u32))?;
            (s.cluster.as_ref()?.myself == id).then_some(&**s)
        })
    };
    // While a slot migrates, a key lives on the source until MIGRATE moves it, then on the target: the
    // cluster still holds it, as a client following ASK would find.
    let cluster_data = |key: &str| -> Option<Option<String>> {
        let slot = crate::cluster::slot::key_slot(key.as_bytes());
        // A slot nobody up serves holds nothing the client could read: its writes are lost for now.
        let Some(owner) = owner_of(slot).and_then(server) else { return Some(None) };
        let value = owner.db.get(key.as_bytes(), unix).or_else(|| {
            let target = owner.cluster.as_ref()?.migrating.get(&slot)?;
            by_node_id(target)?.db.get(key.as_bytes(), unix)
        });
        Some(value.map(|v| String::from_utf8_lossy(v).into_owned()))
    };
    let group = cache.links.groups(world);
    let deployment = |p: ProcId| group.get(&p).copied().unwrap_or(p.index());
    let plain = |p: ProcId| (!clustered(p)).then(|| deployment(p));
    let data = |server_id: ProcId, key: &str| -> Option<Option<String>> {
        if clustered(server_id) {
            return cluster_data(key);
        }
        // The serving master of the server's own deployment.
        let group = deployment(server_id);
        let s = server(serving_master_where(world, &|p| deployment(p) == group)?)?;
        Some(s.db.get(key.as_bytes(), unix).map(|v| String::from_utf8_lossy(v).into_owned()))
    };
    let (no_master, split_brain) =
        if any_plain { cache.master_windows(world, trace, &plain) } else { (Vec::new(), Vec::new()) };
    let master = if any_plain { serving_master_where(world, &|p| !clustered(p)) } else { None };
    let h = &cache.history;
    Checks {
        serving_master: master,
        acked_writes: h.acked.len(),
        acked_by_client: acked_by_client(h),
        lost_writes: lost_writes_in(h, &data),
        stale_reads: stale_reads_in(h),
        no_master_ms: no_master.iter().map(|(a, b)| b - a).sum(),
        no_master,
        split_brain,
        unavailable: cache.outages.finish(now),
    }
}

fn acked_by_client(h: &History) -> Vec<(ProcId, usize)> {
    let mut n: VecMap<ProcId, usize> = VecMap::new();
    for w in &h.acked {
        *n.entry(w.client).or_default() += 1;
    }
    n.into_iter().collect()
}

/// Which deployment each server belongs to (the index of one of its servers): servers linked by replication
/// at any time of the run — a replica and the master it followed — are one deployment. Independent servers,
/// as in a side-by-side comparison, are judged apart: one's keys are not another's lost writes.
pub fn deployments(world: &crate::world::World, trace: &[Record]) -> VecMap<ProcId, usize> {
    let mut links = Links::default();
    links.add(world, trace);
    links.groups(world)
}

/// The replication links of the records read so far: a union-find over process indices, each set's root its
/// least index (whatever order the links came in, so reading the trace in pieces finds the same roots).
#[derive(Clone, Default)]
struct Links {
    parent: Vec<usize>,
}

impl Links {
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn link(&mut self, a: usize, b: usize) {
        let n = self.parent.len().max(a + 1).max(b + 1);
        self.parent.extend(self.parent.len()..n);
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra.max(rb)] = ra.min(rb);
    }

    fn add(&mut self, world: &crate::world::World, trace: &[Record]) {
        let resolve = |addr: &str| {
            let (ip, port) = addr.rsplit_once(':')?;
            world.resolve(ip, port.parse().ok()?)
        };
        for r in trace {
            if let TraceEvent::Role { proc, master: Some(addr), .. } = &r.event {
                if let Some(m) = resolve(addr) {
                    self.link(proc.index(), m.index());
                }
            }
        }
    }

    /// Each server's deployment: the links read from the trace and those of the world now.
    fn groups(&self, world: &crate::world::World) -> VecMap<ProcId, usize> {
        let mut links = self.clone();
        let n = world.procs().len();
        links.parent.extend(links.parent.len()..n);
        for (i, p) in world.procs().iter().enumerate() {
            if let crate::world::Node::Server(s) = &p.node {
                if let Some(m) = s.repl.master.as_ref().and_then(|m| world.resolve(&m.host, m.port)) {
                    links.link(i, m.index());
                }
            }
        }
        (0..n)
            .filter(|&i| matches!(world.procs()[i].node, crate::world::Node::Server(_)))
            .map(|i| (ProcId(i as u32), links.find(i)))
            .collect()
    }
}

/// The server that serves as master now: up, role master; among several, the one with most replicas.
pub fn serving_master(world: &crate::world::World) -> Option<ProcId> {
    serving_master_where(world, &|_| true)
}

/// [`serving_master`] among the servers `keep` picks.
fn serving_master_where(world: &crate::world::World, keep: &dyn Fn(ProcId) -> bool) -> Option<ProcId> {
    world
        .procs()
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.node {
            crate::world::Node::Server(s)
                if p.state == crate::trace::ProcState::Up && !s.is_replica() && keep(ProcId(i as u32)) =>
            {
                Some((s.repl.replicas.len(), std::cmp::Reverse(i), ProcId(i as u32)))
            }
            _ => None,
        })
        .max()
        .map(|(_, _, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::time::SimTime;

    fn req(t: u64, id: u64) -> Record {
        let event =
            TraceEvent::Request { client: ProcId(1), id, server: ProcId(0), command: vec!["GET".into(), "k".into()] };
        Record { t: SimTime(t), event }
    }

    fn done(t: u64, id: u64, outcome: Outcome) -> Record {
        Record {
            t: SimTime(t),
            event: TraceEvent::Outcome { client: ProcId(1), id, outcome, reply: String::new(), latency_ms: 0 },
        }
    }

    #[test]
    fn a_timeout_arriving_after_recovery_counts_in_the_outage_it_was_sent_in() {
        // Sent at 100 and 200 during an outage; 200 is answered with an error at 250, a success at 300 ends
        // the outage, and the request sent at 100 times out only at 1100: still the same single window.
        let trace = vec![
            req(100, 1),
            req(200, 2),
            done(250, 2, Outcome::Error),
            req(290, 3),
            done(300, 3, Outcome::Ok),
            done(1100, 1, Outcome::Timeout),
            req(1200, 4),
            done(1210, 4, Outcome::Refused),
        ];
        let w = unavailability(&trace, 2000);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!((w[0].from, w[0].to, w[0].failed_requests), (200, 300, 2));
        assert_eq!((w[1].from, w[1].to, w[1].failed_requests), (1200, 2000, 1));
    }

    #[test]
    fn checks_kept_up_to_date_as_the_trace_grows_and_is_cut_equal_checks_from_scratch() {
        for (name, text) in crate::library::SCENARIOS {
            let mut sim = crate::Simulation::from_json(text, 3).unwrap();
            let end = sim.scenario().duration_ms.unwrap_or(30_000).min(60_000);
            let first_server = sim.world().procs().iter().find(|p| matches!(p.node, crate::world::Node::Server(_)));
            let first_server = first_server.map(|p| p.name.clone()).unwrap_or_default();
            // Two servers outside any cluster, to link by hand: the deployments' grouping changes mid-run.
            let plain: Vec<&crate::world::ProcSlot> = (sim.world().procs().iter())
                .filter(|p| matches!(&p.node, crate::world::Node::Server(s) if !s.config.cluster_enabled))
                .collect();
            let relink = (plain.len() >= 2).then(|| {
                let (to, from) = (plain[0], plain[plain.len() - 1]);
                let ip = &sim.world().hosts()[to.host].ip;
                (from.name.clone(), format!("REPLICAOF {ip} {}", to.port.unwrap_or_default()))
            });
            let mut cache = HistoryCache::default();
            let mut t = 0;
            let mut step = 0;
            while t < end {
                step += 1;
                if step % 5 == 0 {
                    // Back (the trace is cut), a crash there (a different future), and forward again past
                    // where the trace was: only the trace's generation tells the cache it is stale.
                    sim.seek(SimTime(t.saturating_sub(4000)));
                    if step == 10 {
                        let _ = sim.act(crate::Action::Crash { process: first_server.clone() });
                    }
                }
                if step == 12 {
                    if let Some((process, line)) = relink.clone() {
                        let _ = sim.act(crate::Action::Command { process, line });
                    }
                }
                t += 1500;
                sim.seek(SimTime(t));
                // Then a few single events: the trace may end partway through an instant, which the next call
                // must judge again with the rest of that instant's records.
                for event in 0..3 {
                    if event > 0 {
                        sim.step();
                    }
                    let (world, trace, generation) = (sim.world(), sim.trace(), sim.trace_generation());
                    let kept = checks_cached(world, trace, generation, &mut cache);
                    let fresh = checks(world, trace);
                    assert_eq!(json::to_string(&kept), json::to_string(&fresh), "{name} at {t} ms");
                    let group = deployments(world, trace);
                    let plain = |p: ProcId| {
                        let clustered = matches!(&world.procs()[p.index()].node, crate::world::Node::Server(s) if s.config.cluster_enabled);
                        (!clustered).then(|| group.get(&p).copied().unwrap_or(p.index()))
                    };
                    // Against the functions from scratch, read in one piece.
                    if group.keys().any(|p| plain(*p).is_some()) {
                        let now = world.now().ms();
                        let w = master_windows_among(trace, now, &plain, &[&|n| n == 0, &|n| n >= 2]);
                        assert_eq!((&kept.no_master, &kept.split_brain), (&w[0], &w[1]), "{name} at {t} ms");
                    }
                    assert_eq!(kept.unavailable, unavailability(trace, world.now().ms()), "{name} at {t} ms");
                    let kept = metrics_cached(world, trace, generation, &mut cache);
                    assert_eq!(kept, metrics(trace, world.now().ms()), "{name} at {t} ms");
                }
            }
        }
    }

    #[test]
    fn master_windows_read_in_pieces_equal_those_read_at_once_even_split_within_an_instant() {
        use crate::trace::ProcState::{Crashed, Up};
        let at = |t: u64, event: TraceEvent| Record { t: SimTime(t), event };
        let state = |t, state| at(t, TraceEvent::State { proc: ProcId(0), state });
        let trace = vec![
            at(0, TraceEvent::Role { proc: ProcId(0), role: "master".into(), master: None }),
            state(0, Crashed),
            // Up and down again within one instant: still no master, one window from 0 to 200.
            state(100, Up),
            state(100, Crashed),
            state(200, Up),
            at(300, TraceEvent::Role { proc: ProcId(1), role: "master".into(), master: None }),
            at(300, TraceEvent::State { proc: ProcId(1), state: Up }),
        ];
        let deployment = |_: ProcId| Some(0);
        let preds: [&dyn Fn(usize) -> bool; 2] = [&|n| n == 0, &|n| n >= 2];
        let whole = master_windows_among(&trace, 400, &deployment, &preds);
        assert_eq!(whole, [vec![(0, 200)], vec![(300, 400)]]);
        // Asked for at every split (as the page does while the trace grows), then read on to the end.
        for k in 0..=trace.len() {
            let mut w = MasterWindows::new(2);
            w.add(&trace[..k], &deployment, &preds);
            let now = trace[..k].last().map_or(0, |r| r.t.ms());
            assert_eq!(w.finish(now, &deployment, &preds), master_windows_among(&trace[..k], now, &deployment, &preds));
            w.add(&trace[k..], &deployment, &preds);
            assert_eq!(w.finish(400, &deployment, &preds), whole, "split at {k}");
        }
    }

    /// What the page's checkers cost on a long trace: a 10-minute run of the `sentinel` built-in, `checks`
    /// asked every ~4k records as the page does while playing at 10×. Prints figures, asserts nothing:
    ///
    ///   cargo test --release -p redis-ha-sim --lib checks_timing -- --ignored --nocapture
    #[test]
    #[ignore]
    fn checks_timing() {
        use std::time::{Duration, Instant};
        let mut sim = crate::Simulation::from_json(crate::library::get("sentinel").unwrap(), 1).unwrap();
        let mut cache = HistoryCache::default();
        let (mut t, mut asked_at, mut calls) = (0, 0, 0);
        let (mut spent, mut worst, mut last, mut metrics_spent) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
        while t < 600_000 {
            t += 20;
            sim.run_until(SimTime(t));
            if sim.trace().len() >= asked_at + 4000 {
                asked_at = sim.trace().len();
                let start = Instant::now();
                checks_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut cache);
                let took = start.elapsed();
                (calls, spent, worst, last) = (calls + 1, spent + took, worst.max(took), took);
                let start = Instant::now();
                metrics_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut cache);
                metrics_spent += start.elapsed();
            }
        }
        let (trace, now) = (sim.trace(), sim.now().ms());
        println!("sentinel, 600 s: {} records, checks_cached asked {calls} times", trace.len());
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  checks_cached: {:.2} ms a call on average, {:.2} ms at most, {:.2} ms the last",
            ms(spent) / calls as f64,
            ms(worst),
            ms(last)
        );
        println!("  metrics_cached: {:.3} ms a call on average", ms(metrics_spent) / calls as f64);
        let time = |what: &str, f: &dyn Fn()| {
            let start = Instant::now();
            for _ in 0..10 {
                f();
            }
            println!("  {what}: {:.2} ms", start.elapsed().as_secs_f64() * 1e3 / 10.0);
        };
        time("checks from scratch", &|| drop(checks(sim.world(), trace)));
        time("master windows from scratch", &|| drop(master_windows(trace, now, &|p| p.index(), &|n| n == 0)));
        time("unavailability from scratch", &|| drop(unavailability(trace, now)));
        time("deployments from scratch", &|| drop(deployments(sim.world(), trace)));
        time("metrics from scratch", &|| drop(metrics(trace, now)));
    }

    fn sent(t: u64, id: u64, command: &[&str]) -> Record {
        let command = command.iter().map(|s| s.to_string()).collect();
        Record { t: SimTime(t), event: TraceEvent::Request { client: ProcId(1), id, server: ProcId(0), command } }
    }

    fn answered(t: u64, id: u64, reply: &str) -> Record {
        let event =
            TraceEvent::Outcome { client: ProcId(1), id, outcome: Outcome::Ok, reply: reply.into(), latency_ms: 0 };
        Record { t: SimTime(t), event }
    }

    #[test]
    fn a_read_is_stale_against_the_latest_write_to_its_key_acknowledged_before_it_was_sent() {
        let trace = vec![
            // Key b first in the trace, then a: each key's writes are found whatever the keys' order.
            sent(0, 1, &["SET", "b", "b1"]),
            answered(5, 1, "OK"),
            sent(10, 2, &["SET", "a", "a1"]),
            answered(20, 2, "OK"),
            sent(21, 3, &["SET", "a", "a2"]),
            sent(22, 4, &["SET", "a", "a3"]),
            // a2 and a3 acknowledged at the same time: the later in the trace is the latest.
            answered(30, 3, "OK"),
            answered(30, 4, "OK"),
            // Sent at 25, before a2/a3 were acknowledged: a1 is what it should see, and it does.
            sent(25, 5, &["GET", "a"]),
            answered(40, 5, "\"a1\""),
            // Sent after: a1 is older than a3 (a1 was acknowledged before a3 was sent).
            sent(50, 6, &["GET", "a"]),
            answered(60, 6, "\"a1\""),
            sent(50, 7, &["GET", "a"]),
            answered(60, 7, "\"a3\""),
            // Nothing read from b after b1 was acknowledged: stale. A key never written: not.
            sent(50, 8, &["GET", "b"]),
            answered(60, 8, "(nil)"),
            sent(50, 9, &["GET", "c"]),
            answered(60, 9, "(nil)"),
        ];
        let stale = stale_reads(&trace);
        let ids: Vec<(u64, &str, Option<&str>, &str)> =
            stale.iter().map(|s| (s.id, s.key.as_str(), s.got.as_deref(), s.expected.as_str())).collect();
        assert_eq!(ids, [(6, "a", Some("a1"), "a3"), (8, "b", None, "b1")]);
    }
}
