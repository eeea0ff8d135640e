//! What a cluster node knows: every node's id, address, flags, master, epochs and slots, failure reports,
//! and who owns each of the 16384 slots. The slot table is shared copy-on-write, so checkpoints stay cheap
//! even for a 1000-node cluster.

use crate::time::SimTime;
use crate::vecmap::VecMap;
use std::collections::BTreeMap;
use std::rc::Rc;

pub const UNASSIGNED: u16 = u16::MAX;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeFlags {
    pub master: bool,
    pub pfail: bool,
    pub fail: bool,
    /// Its address is forgotten: another node answered there (`:0@0`, never pinged).
    pub noaddr: bool,
    pub nofailover: bool,
}

#[derive(Clone, Debug)]
pub struct ClusterNode {
    pub id: String,
    pub ip: String,
    pub port: u16,
    pub flags: NodeFlags,
    /// For a replica: its master's id.
    pub master: Option<String>,
    /// When our unanswered PING to it was sent (`ping_sent`), and its last PONG (`pong_received`).
    pub ping_sent: Option<SimTime>,
    pub pong_received: SimTime,
    pub config_epoch: u64,
    /// Failure reports from masters: reporter id → when.
    pub fail_reports: VecMap<String, SimTime>,
    pub fail_time: Option<SimTime>,
    /// The replication offset it last advertised.
    pub repl_offset: u64,
    /// When we last voted for one of its replicas (a master votes once per 2 × node timeout per master).
    pub voted_time: Option<SimTime>,
    /// The process it last wrote to us from: what a refused or closed bus connection is matched against.
    pub pid: Option<crate::process::ProcId>,
    /// Its process refused or closed our bus connection (it is down): `disconnected` in CLUSTER NODES until
    /// it talks to us again. A partition leaves the link `connected`, as Redis's pending reconnection does.
    pub link_down: bool,
    /// CLUSTER_NODE_MIGRATE_TO: it has replicas (even failed ones), is a promoted replica, or got its first
    /// slot while other masters had replicas — a master that should have one, which only then counts as
    /// orphaned for replica migration. Cleared when its last replica leaves it.
    pub migrate_to: bool,
    /// How many replicas (in any state) name it as their master, as of the last cron: a drop to zero clears
    /// `migrate_to`, as `clusterNodeRemoveSlave` does.
    pub replicas_known: usize,
}

impl ClusterNode {
    pub fn new(id: String, ip: String, port: u16, master: bool, now: SimTime) -> ClusterNode {
        ClusterNode {
            id,
            ip,
            port,
            flags: NodeFlags { master, ..NodeFlags::default() },
            master: None,
            ping_sent: None,
            pong_received: now,
            config_epoch: 0,
            fail_reports: VecMap::new(),
            fail_time: None,
            repl_offset: 0,
            voted_time: None,
            pid: None,
            link_down: false,
            migrate_to: false,
            replicas_known: 0,
        }
    }

    pub fn failing(&self) -> bool {
        self.flags.fail || self.flags.pfail
    }
}

#[derive(Clone, Debug)]
pub struct ClusterState {
    pub myself: String,
    pub current_epoch: u64,
    pub last_vote_epoch: u64,
    /// By node id, ordered: every iteration is deterministic.
    pub nodes: BTreeMap<String, ClusterNode>,
    /// Node ids by index, for the slot table: every node ever known (gossip picks from them at random).
    pub ids: Vec<String>,
    /// Indexes into `ids` with their ids' first 8 bytes, ordered by (those bytes, id): `index` finds a node's by
    /// binary search, its probes reading this Vec alone until two ids share a prefix. A sorted Vec rather
    /// than a map: cheap to copy at checkpoints, and no B-tree compiled for it in the wasm package.
    pub by_id: Vec<(u64, u16)>,
    /// Slot → index in `ids` (UNASSIGNED when no one serves it).
    pub slots: Rc<Vec<u16>>,
    /// How many slots each index owns, and how many are unassigned: state checks without scanning 16384 slots.
    pub owned: Vec<u32>,
    pub unassigned: u32,
    /// Bumped at every ownership change (caches of slot lists key on it).
    pub slots_gen: u64,
    /// The slot list of one node at one generation (the slots every bus header carries).
    pub slots_cache: Option<(u64, String, Rc<Vec<u16>>)>,
    /// Nodes flagged PFAIL, refreshed each cron (every gossip section carries them all).
    pub pfail_ids: Vec<String>,
    /// Bumped whenever a node's role or failure flags change; with `slots_gen`, decides whether the cluster
    /// state needs evaluating again.
    pub flags_gen: u64,
    pub evaluated_at: Option<(u64, u64)>,
    /// The first evaluation of the cluster state since the node started (Redis's `first_call_time`): a
    /// master waits CLUSTER_WRITABLE_DELAY after it before turning ok, giving the cluster a chance to
    /// reconfigure a rebooted master.
    pub first_evaluation_ms: Option<u64>,
    /// The last time this node found itself among a minority of masters (`among_minority_time`).
    pub among_minority_ms: Option<u64>,
    /// `slot_masters()` as of the last evaluation.
    pub size_cache: usize,
    pub migrating: VecMap<u16, String>,
    pub importing: VecMap<u16, String>,
    pub ok: bool,
    pub cron_loops: u64,
    pub failover: super::failover::Election,
    /// Bus messages sent and received, by type (`BusKind::stats_index`): CLUSTER INFO's counters.
    pub stats_sent: [u64; STATS_TYPES],
    pub stats_received: [u64; STATS_TYPES],
    /// Nodes removed with CLUSTER FORGET, until when gossip may not bring them back (60 s).
    pub blacklist: VecMap<String, SimTime>,
    /// Addresses sent a CLUSTER MEET whose PONG has not come yet: the one unknown sender whose PONG makes it
    /// known (Redis's handshake nodes).
    pub handshakes: Vec<(String, u16)>,
}

/// Redis's bus message types, in its numbering, as CLUSTER INFO names them.
pub const STATS_TYPES: usize = 11;
pub const STATS_NAMES: [&str; STATS_TYPES] =
    ["ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"];

/// An id's first 8 bytes as a number (zero-padded): `by_id`'s first sort key.
fn id_prefix(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

impl ClusterState {
    pub fn new(myself: String, ip: String, port: u16, now: SimTime) -> ClusterState {
        let mut nodes = BTreeMap::new();
        nodes.insert(myself.clone(), ClusterNode::new(myself.clone(), ip, port, true, now));
        ClusterState {
            myself: myself.clone(),
            current_epoch: 0,
            last_vote_epoch: 0,
            nodes,
            by_id: vec![(id_prefix(&myself), 0)],
            ids: vec![myself],
            slots: Rc::new(vec![UNASSIGNED; 16384]),
            owned: vec![0],
            unassigned: 16384,
            slots_gen: 0,
            slots_cache: None,
            pfail_ids: Vec::new(),
            flags_gen: 0,
            evaluated_at: None,
            first_evaluation_ms: None,
            among_minority_ms: None,
            // Redis's clusterInit: one until the state is first evaluated (a master waits 2 s for that).
            size_cache: 1,
            migrating: VecMap::new(),
            importing: VecMap::new(),
            ok: false,
            cron_loops: 0,
            failover: super::failover::Election::default(),
            stats_sent: [0; STATS_TYPES],
            stats_received: [0; STATS_TYPES],
            blacklist: VecMap::new(),
            handshakes: Vec::new(),
        }
    }

    pub fn me(&self) -> &ClusterNode {
        &self.nodes[&self.myself]
    }

    pub fn me_mut(&mut self) -> &mut ClusterNode {
        let id = self.myself.clone();
        self.nodes.get_mut(&id).unwrap_or_else(|| unreachable!("myself is always known"))
    }

    /// Where `id` is or would go in `by_id`.
    fn search(&self, id: &str) -> Result<usize, usize> {
        let prefix = id_prefix(id);
        self.by_id.binary_search_by(|&(p, i)| p.cmp(&prefix).then_with(|| self.ids[usize::from(i)].as_str().cmp(id)))
    }

    /// Learn of a node: it gets an index in `ids` too, where gossip picks the nodes it tells about.
    pub fn insert_node(&mut self, n: ClusterNode) {
        self.index_of(&n.id);
        self.nodes.insert(n.id.clone(), n);
    }

    /// A node's index in `ids` (the slot table's value for the slots it owns).
    pub fn index(&self, id: &str) -> Option<u16> {
        self.search(id).ok().map(|at| self.by_id[at].1)
    }

    fn index_of(&mut self, id: &str) -> u16 {
        match self.search(id) {
            Ok(at) => self.by_id[at].1,
            Err(at) => {
                self.ids.push(id.to_string());
                self.owned.push(0);
                let i = (self.ids.len() - 1) as u16;
                self.by_id.insert(at, (id_prefix(id), i));
                i
            }
        }
    }

    pub fn owner(&self, slot: u16) -> Option<&str> {
        let i = self.slots[slot as usize];
        (i != UNASSIGNED).then(|| self.ids[i as usize].as_str())
    }

    pub fn set_owner(&mut self, slot: u16, id: Option<&str>) {
        let i = match id {
            Some(id) => self.index_of(id),
            None => UNASSIGNED,
        };
        let old = self.slots[slot as usize];
        if old == i {
            return;
        }
        match old {
            UNASSIGNED => self.unassigned -= 1,
            o => self.owned[o as usize] -= 1,
        }
        match i {
            UNASSIGNED => self.unassigned += 1,
            n => {
                self.owned[n as usize] += 1;
                if self.owned[n as usize] == 1 {
                    self.first_slot_taken(n);
                }
            }
        }
        Rc::make_mut(&mut self.slots)[slot as usize] = i;
        self.slots_gen += 1;
    }

    /// `clusterNodeSetSlotBit`: a master that gets its first slot while some master has replicas is one that
    /// should have a replica too (CLUSTER_NODE_MIGRATE_TO): a spare replica may migrate to it.
    fn first_slot_taken(&mut self, index: u16) {
        let masters_have_replicas = self.nodes.values().any(|n| !n.flags.master && n.master.is_some());
        let id = &self.ids[usize::from(index)];
        if let Some(n) = self.nodes.get_mut(id).filter(|_| masters_have_replicas) {
            n.migrate_to = true;
        }
    }

    /// The slots a node serves, in order.
    pub fn slots_of(&self, id: &str) -> Vec<u16> {
        let Some(i) = self.index(id) else { return Vec::new() };
        if self.owned[i as usize] == 0 {
            return Vec::new();
        }
        self.slots.iter().enumerate().filter(|(_, o)| **o == i).map(|(s, _)| s as u16).collect()
    }

    /// `slots_of`, cached until the ownership changes.
    pub fn slots_of_cached(&mut self, id: &str) -> Rc<Vec<u16>> {
        if let Some((gen, cid, slots)) = &self.slots_cache {
            if *gen == self.slots_gen && cid == id {
                return slots.clone();
            }
        }
        let slots = Rc::new(self.slots_of(id));
        self.slots_cache = Some((self.slots_gen, id.to_string(), slots.clone()));
        slots
    }

    /// A node's slots as ranges, `0-5460 5461` style.
    pub fn ranges_of(&self, id: &str) -> Vec<(u16, u16)> {
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for s in self.slots_of(id) {
            match ranges.last_mut() {
                Some(r) if r.1 + 1 == s => r.1 = s,
                _ => ranges.push((s, s)),
            }
        }
        ranges
    }

    /// Masters that serve at least one slot: the voters of failure detection and failover elections.
    pub fn slot_masters(&self) -> usize {
        self.ids
            .iter()
            .enumerate()
            .filter(|(i, id)| self.owned[*i] > 0 && self.nodes.get(*id).is_some_and(|n| n.flags.master))
            .count()
    }

    pub fn serves_slots(&self, id: &str) -> bool {
        self.index(id).is_some_and(|i| self.owned[i as usize] > 0)
    }

    /// Every slot is served by a master that is not FAIL (what cluster-require-full-coverage asks).
    pub fn fully_covered(&self) -> bool {
        self.unassigned == 0
            && self
                .ids
                .iter()
                .enumerate()
                .all(|(i, id)| self.owned[i] == 0 || self.nodes.get(id).is_some_and(|n| !n.flags.fail))
    }

    pub fn replicas_of(&self, master: &str) -> Vec<&ClusterNode> {
        self.nodes.values().filter(|n| n.master.as_deref() == Some(master)).collect()
    }

    /// `nodeEpoch`: a replica shows its master's configEpoch.
    pub fn node_epoch(&self, n: &ClusterNode) -> u64 {
        match (&n.master, n.flags.master) {
            (Some(m), false) => self.nodes.get(m).map_or(n.config_epoch, |m| m.config_epoch),
            _ => n.config_epoch,
        }
    }

    /// `clusterGetMaxEpoch`: the largest configEpoch known, or the current epoch if larger.
    pub fn max_epoch(&self) -> u64 {
        self.nodes.values().map(|n| n.config_epoch).max().unwrap_or(0).max(self.current_epoch)
    }

    /// `clusterBumpConfigEpochWithoutConsensus` (BUMPEPOCH, TAKEOVER, closing an import): a new configEpoch
    /// unless ours is already the largest; false when it stays.
    pub fn bump_config_epoch(&mut self) -> bool {
        let mine = self.me().config_epoch;
        if mine != 0 && mine == self.max_epoch() {
            return false;
        }
        self.current_epoch += 1;
        let epoch = self.current_epoch;
        self.me_mut().config_epoch = epoch;
        true
    }

    /// Valid failure reports about a node (2 × node timeout), as CLUSTER COUNT-FAILURE-REPORTS counts them.
    pub fn failure_reports(&self, id: &str, now: SimTime, node_timeout: u64) -> usize {
        self.nodes.get(id).map_or(0, |n| n.fail_reports.values().filter(|t| now - **t <= 2 * node_timeout).count())
    }

    /// `clusterDelNode`: forget a node, its slots (unassigned) and the failure reports it made.
    pub fn remove_node(&mut self, id: &str) {
        for s in self.slots_of(id) {
            self.set_owner(s, None);
        }
        self.migrating.retain(|_, to| to != id);
        self.importing.retain(|_, from| from != id);
        for n in self.nodes.values_mut() {
            n.fail_reports.remove(&id.to_string());
        }
        self.nodes.remove(id);
        self.pfail_ids.retain(|p| p != id);
        self.flags_gen += 1;
    }

    /// One line of CLUSTER NODES:
    /// `<id> <ip>:<port>@<cport> <flags> <master|-> <ping_sent> <pong_recv> <config-epoch> <link> <slots...>`.
    pub fn nodes_line(&self, n: &ClusterNode, unix_of: &dyn Fn(SimTime) -> u64) -> String {
        let mut flags = Vec::new();
        if n.id == self.myself {
            flags.push("myself");
        }
        flags.push(if n.flags.master { "master" } else { "slave" });
        if n.flags.pfail {
            flags.push("fail?");
        }
        if n.flags.fail {
            flags.push("fail");
        }
        if n.flags.noaddr {
            flags.push("noaddr");
        }
        if n.flags.nofailover {
            flags.push("nofailover");
        }
        let master = n.master.clone().unwrap_or_else(|| "-".into());
        let ping = n.ping_sent.map_or(0, unix_of);
        // Our own PONG time is what other nodes' gossip said of us, which carries seconds only.
        let heard_of = self.stats_received.iter().sum::<u64>() > 0;
        let pong = match (n.id == self.myself, heard_of) {
            (true, false) => 0,
            (true, true) => unix_of(n.pong_received) / 1000 * 1000,
            _ => unix_of(n.pong_received),
        };
        let link = if n.id == self.myself || !n.link_down { "connected" } else { "disconnected" };
        let mut line = format!(
            "{} {}:{}@{} {} {} {} {} {} {}",
            n.id,
            n.ip,
            n.port,
            if n.port == 0 { 0 } else { u32::from(n.port) + 10000 },
            flags.join(","),
            master,
            ping,
            pong,
            self.node_epoch(n),
            link
        );
        for (a, b) in self.ranges_of(&n.id) {
            if a == b {
                line.push_str(&format!(" {a}"));
            } else {
                line.push_str(&format!(" {a}-{b}"));
            }
        }
        if n.id == self.myself {
            for (slot, to) in &self.migrating {
                line.push_str(&format!(" [{slot}->-{to}]"));
            }
            for (slot, from) in &self.importing {
                line.push_str(&format!(" [{slot}-<-{from}]"));
            }
        }
        line
    }
}
