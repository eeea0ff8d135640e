//! Checkers beside the nodes: figures computed from the trace alone, so they can be recomputed from an
//! exported trace and shown on the page as well as asserted in tests. `metrics` counts, `history` holds the writes
//! and reads and judges them, `windows` finds the intervals without a master, with two, or unavailable to a
//! client, `deployments` groups the servers; here, the cache that feeds them only new records, and `checks`.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::trace::Record;

mod deployments;
mod history;
mod metrics;
#[cfg(test)]
mod tests;
mod windows;

pub use deployments::*;
pub use history::*;
pub use metrics::*;
pub use windows::*;

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

/// The history checks of a run at its current time, as the page's checkers panel shows them.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// The server judged to be the master now (see `deployments::serving_master`), among all servers outside
    /// a cluster.
    pub serving_master: Option<ProcId>,
    /// With several deployments side by side (independent servers, or groups linked by replication), each
    /// one's serving master, in the order of their first server: each write is judged against its own.
    pub serving_masters: Vec<ProcId>,
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

impl ToJson for Checks {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("servingMaster", &self.serving_master).field("servingMasters", &self.serving_masters);
        o.field("ackedWrites", &self.acked_writes);
        o.field("ackedByClient", &self.acked_by_client).field("lostWrites", &self.lost_writes);
        o.field("staleReads", &self.stale_reads).field("noMaster", &self.no_master);
        o.field("noMasterMs", &self.no_master_ms).field("splitBrain", &self.split_brain);
        o.field("unavailable", &self.unavailable);
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
        // A slot nobody up serves (its master died, no replica has taken over yet): nothing to judge its writes
        // against yet, as in a deployment without a master. Counting them lost would count writes the replica
        // about to be elected holds.
        let owner = owner_of(slot).and_then(server)?;
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
    // Each deployment once, by its root (its least process index).
    let mut groups: Vec<usize> = Vec::new();
    for g in servers.iter().filter_map(|&p| plain(p)) {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let masters: Vec<ProcId> = if groups.len() > 1 {
        groups.iter().filter_map(|&g| serving_master_where(world, &|p| deployment(p) == g)).collect()
    } else {
        Vec::new()
    };
    let h = &cache.history;
    Checks {
        serving_master: master,
        serving_masters: masters,
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
