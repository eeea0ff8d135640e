//! Which servers form one deployment (linked by replication), and which of them is the serving master now.

use crate::process::ProcId;
use crate::trace::{Record, TraceEvent};
use crate::vecmap::VecMap;

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
pub(super) struct Links {
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

    pub(super) fn add(&mut self, world: &crate::world::World, trace: &[Record]) {
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
    pub(super) fn groups(&self, world: &crate::world::World) -> VecMap<ProcId, usize> {
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

/// The server that serves as master now: up, role master. Among several (a split brain), the one the
/// sentinels' newest configuration names, if they watch it: it is the one clients are sent to, and the one the
/// others will replicate from once they hear of it. Else the one with most replicas.
pub fn serving_master(world: &crate::world::World) -> Option<ProcId> {
    serving_master_where(world, &|_| true)
}

/// [`serving_master`] among the servers `keep` picks.
pub(super) fn serving_master_where(world: &crate::world::World, keep: &dyn Fn(ProcId) -> bool) -> Option<ProcId> {
    let is_master = |id: ProcId| {
        let p = &world.procs()[id.index()];
        matches!(&p.node, crate::world::Node::Server(s) if p.state == crate::trace::ProcState::Up && !s.is_replica())
            && keep(id)
    };
    if let Some(id) = sentinels_master(world, &is_master) {
        return Some(id);
    }
    world
        .procs()
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.node {
            crate::world::Node::Server(s) if is_master(ProcId(i as u32)) => {
                Some((s.repl.replicas.len(), std::cmp::Reverse(i), ProcId(i as u32)))
            }
            _ => None,
        })
        .max()
        .map(|(_, _, id)| id)
}

/// The master that the up sentinels' newest configuration (highest config epoch; then most sentinels) names,
/// among the servers `candidate` accepts. A minority of sentinels cut off with an old master still name it, at
/// an older epoch: when the partition heals they take the newer configuration, and so does that master.
fn sentinels_master(world: &crate::world::World, candidate: &dyn Fn(ProcId) -> bool) -> Option<ProcId> {
    // (config epoch, process): one entry per sentinel and master it watches.
    let mut named: Vec<(u64, ProcId)> = Vec::new();
    for p in world.procs() {
        let crate::world::Node::Sentinel(s) = &p.node else { continue };
        if p.state != crate::trace::ProcState::Up {
            continue;
        }
        for (_, m) in s.masters.iter() {
            if let Some(id) = world.resolve(&m.inst.ip, m.inst.port).filter(|&id| candidate(id)) {
                named.push((m.config_epoch, id));
            }
        }
    }
    let newest = named.iter().map(|&(epoch, _)| epoch).max()?;
    let votes = |id: ProcId| named.iter().filter(|&&(e, p)| e == newest && p == id).count();
    named
        .iter()
        .filter(|&&(e, _)| e == newest)
        .map(|&(_, id)| (votes(id), std::cmp::Reverse(id.index()), id))
        .max()
        .map(|(_, _, id)| id)
}
