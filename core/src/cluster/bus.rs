//! The cluster bus: PING, PONG, MEET, FAIL, UPDATE and the failover messages, each with a header that
//! carries the sender's epochs, role, slots and offset, plus a gossip section about other nodes. From these
//! each node detects failures (PFAIL after node-timeout, FAIL when a majority of slot-serving masters agree)
//! and learns who owns which slots (the higher configEpoch wins).

use super::state::{ClusterNode, ClusterState};
use crate::process::{Ctx, Message, ProcId};
use crate::server::Server;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusKind {
    Ping,
    Pong,
    Meet,
    /// "This node has failed."
    Fail {
        node: String,
    },
    /// "Your slots now belong to `node` with this configEpoch."
    Update {
        node: String,
        config_epoch: u64,
        slots: Vec<u16>,
    },
    FailoverAuthRequest,
    FailoverAuthAck,
    /// Manual failover: the master stops writes so its replica can catch up.
    MfStart,
}

impl BusKind {
    pub fn name(&self) -> &'static str {
        match self {
            BusKind::Ping => "PING",
            BusKind::Pong => "PONG",
            BusKind::Meet => "MEET",
            BusKind::Fail { .. } => "FAIL",
            BusKind::Update { .. } => "UPDATE",
            BusKind::FailoverAuthRequest => "FAILOVER_AUTH_REQUEST",
            BusKind::FailoverAuthAck => "FAILOVER_AUTH_ACK",
            BusKind::MfStart => "MFSTART",
        }
    }

    /// Its number in Redis's message types (`CLUSTERMSG_TYPE_*`): where CLUSTER INFO counts it.
    pub fn stats_index(&self) -> usize {
        match self {
            BusKind::Ping => 0,
            BusKind::Pong => 1,
            BusKind::Meet => 2,
            BusKind::Fail { .. } => 3,
            BusKind::FailoverAuthRequest => 5,
            BusKind::FailoverAuthAck => 6,
            BusKind::Update { .. } => 7,
            BusKind::MfStart => 8,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Gossip {
    pub id: String,
    pub ip: String,
    pub port: u16,
    pub master: bool,
    pub pfail: bool,
    pub fail: bool,
}

#[derive(Clone, Debug)]
pub struct BusMsg {
    pub kind: BusKind,
    pub sender: String,
    pub ip: String,
    pub port: u16,
    pub current_epoch: u64,
    /// The sender's configEpoch, or its master's for a replica.
    pub config_epoch: u64,
    pub is_master: bool,
    pub master: Option<String>,
    /// The slots the sender (or, for a replica, its master) serves.
    pub slots: Rc<Vec<u16>>,
    pub offset: u64,
    /// CLUSTERMSG_FLAG0_FORCEACK: an auth request of a manual failover (vote although the master is up).
    pub force_ack: bool,
    /// CLUSTER_NODE_NOFAILOVER in the header's flags: the sender has cluster-replica-no-failover set.
    pub nofailover: bool,
    pub gossip: Vec<Gossip>,
}

impl BusMsg {
    /// Bytes on the wire: the 2 KB header (the slot bitmap) and 104 bytes per gossip entry, as Redis's.
    pub fn size(&self) -> u64 {
        2256 + 104 * self.gossip.len() as u64
    }
}

impl Server {
    pub(crate) fn cluster_node_timeout(&self) -> u64 {
        // CONFIG SET takes up to i64::MAX; past ~35 years of virtual time the node simply never times out,
        // and the arithmetic on it (× 2, × validity factor, added to times) stays far from overflowing.
        self.config.cluster_node_timeout_ms.clamp(1, 1 << 40)
    }

    fn header(&self, kind: BusKind, c: &mut ClusterState) -> BusMsg {
        let (master, is_master, my_epoch, my_id) = {
            let me = c.me();
            (me.master.clone(), me.flags.master, me.config_epoch, me.id.clone())
        };
        let (config_epoch, slots) = match (&master, is_master) {
            (Some(m), false) => (c.nodes.get(m).map_or(0, |n| n.config_epoch), c.slots_of_cached(m)),
            _ => (my_epoch, c.slots_of_cached(&my_id)),
        };
        let me = c.me();
        BusMsg {
            kind,
            sender: me.id.clone(),
            ip: me.ip.clone(),
            port: me.port,
            current_epoch: c.current_epoch,
            config_epoch,
            is_master: me.flags.master,
            master: me.master.clone(),
            slots,
            offset: self.repl.offset,
            force_ack: c.failover.manual_until.is_some(),
            nofailover: me.flags.nofailover,
            gossip: Vec::new(),
        }
    }

    /// Send a bus message to node `to` (by id); false if it cannot be reached by address.
    pub(crate) fn bus_send(&mut self, ctx: &mut Ctx<'_>, to: &str, kind: BusKind) -> bool {
        let pid = self.cluster.as_ref().and_then(|c| c.nodes.get(to)).and_then(|n| ctx.resolve(&n.ip, n.port));
        let Some(pid) = pid else { return false };
        self.bus_send_to(ctx, pid, to, kind);
        true
    }

    /// Send a bus message to process `pid`, node `to` (its id, or whatever it claims to be if we do not know it).
    fn bus_send_to(&mut self, ctx: &mut Ctx<'_>, pid: ProcId, to: &str, kind: BusKind) {
        let Some(mut c) = self.cluster.take() else { return };
        let mut msg = self.header(kind, &mut c);
        self.cluster = Some(c);
        if matches!(msg.kind, BusKind::Ping | BusKind::Pong | BusKind::Meet) {
            msg.gossip = self.gossip_for(ctx, to);
        }
        if let Some(c) = self.cluster.as_mut() {
            c.stats_sent[msg.kind.stats_index()] += 1;
        }
        ctx.out.send(pid, Message::Bus(Rc::new(msg)));
    }

    pub(crate) fn bus_broadcast(&mut self, ctx: &mut Ctx<'_>, kind: BusKind) {
        let ids: Vec<String> = self
            .cluster
            .as_ref()
            .map(|c| c.nodes.keys().filter(|id| **id != c.myself).cloned().collect())
            .unwrap_or_default();
        for id in ids {
            self.bus_send(ctx, &id, kind.clone());
        }
    }

    /// The gossip section: max(3, N/10) random other nodes, plus every node flagged PFAIL.
    fn gossip_for(&self, ctx: &mut Ctx<'_>, to: &str) -> Vec<Gossip> {
        let Some(c) = self.cluster.as_ref() else { return Vec::new() };
        let entry = |n: &ClusterNode| Gossip {
            id: n.id.clone(),
            ip: n.ip.clone(),
            port: n.port,
            master: n.flags.master,
            pfail: n.flags.pfail,
            fail: n.flags.fail,
        };
        let others = c.ids.len().saturating_sub(2);
        let wanted = (c.nodes.len() / 10).max(3).min(others);
        let mut out: Vec<Gossip> = Vec::new();
        let mut picked = crate::vecmap::VecSet::new();
        let mut tries = 0;
        // Random picks by index (no scan of every node per message: at 1000 nodes that would dominate).
        while out.len() < wanted && tries < wanted * 3 {
            tries += 1;
            let id = &c.ids[ctx.rng.below(c.ids.len() as u64) as usize];
            if *id == c.myself || id == to {
                continue;
            }
            if let Some(n) = c.nodes.get(id) {
                if !n.flags.pfail && !n.flags.noaddr && picked.insert(id.as_str()) {
                    out.push(entry(n));
                }
            }
        }
        out.extend(c.pfail_ids.iter().filter(|id| id.as_str() != to).filter_map(|id| c.nodes.get(id)).map(entry));
        out
    }

    /// `clusterUpdateMyselfFlags`: our `nofailover` flag follows cluster-replica-no-failover (at startup, at
    /// CONFIG SET and each cron), whatever our role; the header carries it to the other nodes.
    pub(crate) fn cluster_update_myself_flags(&mut self) {
        let nofailover = self.config.cluster_replica_no_failover;
        if let Some(c) = self.cluster.as_mut() {
            c.me_mut().flags.nofailover = nofailover;
        }
    }

    /// clusterCron, every 100 ms: pings, PFAIL, failover, state.
    pub(crate) fn cluster_cron(&mut self, ctx: &mut Ctx<'_>) {
        self.cluster_update_myself_flags();
        let timeout = self.cluster_node_timeout();
        let now = ctx.now;
        let Some(c) = self.cluster.as_mut() else { return };
        c.cron_loops += 1;
        let mut to_ping: Vec<String> = Vec::new();
        if c.cron_loops % 10 == 0 {
            // Once a second: of 5 random nodes, ping the one whose PONG is oldest.
            let candidates: Vec<&ClusterNode> =
                c.nodes.values().filter(|n| n.id != c.myself && n.ping_sent.is_none() && !n.flags.noaddr).collect();
            if !candidates.is_empty() {
                let mut best: Option<&ClusterNode> = None;
                for _ in 0..5 {
                    let n = candidates[ctx.rng.below(candidates.len() as u64) as usize];
                    if best.is_none_or(|b| n.pong_received < b.pong_received) {
                        best = Some(n);
                    }
                }
                if let Some(b) = best {
                    to_ping.push(b.id.clone());
                }
            }
        }
        let random_pick = to_ping.first().cloned();
        let mut possibly_failing = Vec::new();
        // A node without an address is neither pinged nor suspected.
        for n in c.nodes.values_mut().filter(|n| n.id != c.myself && !n.flags.noaddr) {
            // Anyone not heard from for half the node timeout is pinged now.
            if n.ping_sent.is_none()
                && now - n.pong_received > timeout / 2
                && random_pick.as_deref() != Some(n.id.as_str())
            {
                to_ping.push(n.id.clone());
            }
            if let Some(sent) = n.ping_sent {
                if now - sent > timeout && !n.flags.pfail && !n.flags.fail {
                    n.flags.pfail = true;
                    possibly_failing.push(n.id.clone());
                }
                // Redis reconnects the link to an unresponsive node and pings again (keeping the first
                // ping_sent): once a second here, so a node that comes back is noticed.
                if c.cron_loops % 10 == 5 && now - sent > timeout / 2 && random_pick.as_deref() != Some(n.id.as_str()) {
                    to_ping.push(n.id.clone());
                }
            }
        }
        c.pfail_ids = c.nodes.values().filter(|n| n.flags.pfail).map(|n| n.id.clone()).collect();
        if !possibly_failing.is_empty() {
            c.flags_gen += 1;
        }
        for id in possibly_failing {
            self.log(ctx, format!("*** NODE {id} possibly failing"));
        }
        for id in to_ping {
            if let Some(n) = self.cluster.as_mut().and_then(|c| c.nodes.get_mut(&id)) {
                if n.ping_sent.is_none() {
                    n.ping_sent = Some(now);
                }
            }
            self.bus_send(ctx, &id, BusKind::Ping);
        }
        self.cluster_replica_cron(ctx);
        self.update_cluster_state(ctx);
    }

    /// A bus message arrived.
    pub(crate) fn bus_receive(&mut self, ctx: &mut Ctx<'_>, from: ProcId, msg: &BusMsg) {
        let now = ctx.now;
        let timeout = self.cluster_node_timeout();
        let Some(c) = self.cluster.as_mut() else { return };
        c.stats_received[msg.kind.stats_index()] += 1;
        let generations = (c.slots_gen, c.flags_gen);
        let known = c.nodes.contains_key(&msg.sender);
        if !known && c.blacklist.get(&msg.sender).is_some_and(|until| *until > now) {
            // Forgotten with CLUSTER FORGET: it may not come back for a minute.
            return;
        }
        let mut handshake = false;
        if msg.kind == BusKind::Pong {
            let at = |ip: &str, port: u16| ip == msg.ip && port == msg.port;
            handshake = c.handshakes.iter().any(|(ip, port)| at(ip, *port));
            c.handshakes.retain(|(ip, port)| !at(ip, *port));
            // A PONG from the address of a node we know by another id: someone else answers there now (the node
            // was reset, or restarted without its nodes.conf). Redis forgets that node's address (`noaddr`).
            let myself = c.myself.clone();
            let stale = c.nodes.values_mut().find(|n| n.id != msg.sender && n.id != myself && at(&n.ip, n.port));
            if let Some(n) = stale {
                n.flags.noaddr = true;
                n.ip.clear();
                n.port = 0;
                n.link_down = true;
                c.flags_gen += 1;
                self.save_cluster_config(ctx);
                return;
            }
        }
        if !known {
            match msg.kind {
                BusKind::Meet => {}
                BusKind::Pong if handshake => {}
                // Redis answers anyone's PING, but learns of a node only from a MEET, the PONG that ends its own
                // handshake (after CLUSTER MEET), or the gossip of the nodes it knows.
                BusKind::Ping => return self.bus_send_to(ctx, from, &msg.sender, BusKind::Pong),
                _ => return,
            }
            c.insert_node(ClusterNode::new(msg.sender.clone(), msg.ip.clone(), msg.port, msg.is_master, now));
        }
        if msg.current_epoch > c.current_epoch {
            c.current_epoch = msg.current_epoch;
        }
        if matches!(msg.kind, BusKind::Ping | BusKind::Pong) {
            // What the sender's gossip says of us: we answered it lately.
            c.me_mut().pong_received = now;
        }
        // What the header says about the sender: alive, its role, its epoch.
        let mut cleared = None;
        let mut flags_changed = false;
        if let Some(n) = c.nodes.get_mut(&msg.sender) {
            n.pid = Some(from);
            n.link_down = false;
            if matches!(msg.kind, BusKind::Pong | BusKind::Ping | BusKind::Meet) {
                n.pong_received = now;
            }
            // Only a PONG answers our PING: a node that can send to us but not hear us stays PFAIL.
            if msg.kind == BusKind::Pong {
                n.ping_sent = None;
                flags_changed |= n.flags.pfail;
                n.flags.pfail = false;
            }
            n.repl_offset = msg.offset;
            if matches!(msg.kind, BusKind::Pong | BusKind::Ping | BusKind::Meet) {
                // A dynamic flag: the sender's latest word is trusted (replica ranks leave such replicas out).
                n.flags.nofailover = msg.nofailover;
            }
            // `clusterSetNodeAsMaster`: a replica turned master is one that should have replicas
            // (CLUSTER_NODE_MIGRATE_TO).
            n.migrate_to |= msg.is_master && !n.flags.master;
            flags_changed |= n.flags.master != msg.is_master;
            n.flags.master = msg.is_master;
            n.master = if msg.is_master { None } else { msg.master.clone() };
            // Any sender's, a replica's too (its header carries its master's): Redis keeps the largest seen.
            n.config_epoch = n.config_epoch.max(msg.config_epoch);
            // A failed node that answers our PING again (`clearNodeFailureIfNeeded`): replicas and slot-less
            // masters at once, masters with slots after twice the node timeout (their replicas may have taken
            // over).
            if n.flags.fail && msg.kind == BusKind::Pong {
                let why = match () {
                    _ if !msg.is_master => Some("replica is reachable again."),
                    _ if msg.slots.is_empty() => Some("master without slots is reachable again."),
                    _ if n.fail_time.is_some_and(|t| now - t > 2 * timeout) => {
                        Some("is reachable again and nobody is serving its slots after some time.")
                    }
                    _ => None,
                };
                if let Some(why) = why {
                    n.flags.fail = false;
                    n.fail_time = None;
                    cleared = Some(format!("Clear FAIL state for node {}: {why}", n.id));
                    flags_changed = true;
                }
            }
        }
        if flags_changed || !known {
            c.flags_gen += 1;
        }
        if let Some(line) = cleared {
            self.log(ctx, line);
        }
        if matches!(msg.kind, BusKind::Ping | BusKind::Meet) {
            self.bus_send(ctx, &msg.sender.clone(), BusKind::Pong);
        }
        if matches!(msg.kind, BusKind::Ping | BusKind::Pong | BusKind::Meet) {
            self.process_gossip(ctx, msg);
            if msg.is_master && !msg.slots.is_empty() {
                self.update_slots_from(ctx, &msg.sender, msg.config_epoch, &msg.slots);
            }
            self.check_epoch_collision(ctx, msg);
        }
        match &msg.kind {
            BusKind::Fail { node } => {
                // Never about ourselves: a node that was paused past the node timeout hears the others'
                // FAIL about it when it resumes, and Redis ignores it (it would otherwise count its own slots
                // as failed, for good).
                let Some(c) = self.cluster.as_mut() else { return };
                let myself = c.myself.clone();
                if let Some(n) = c.nodes.get_mut(node).filter(|n| !n.flags.fail && n.id != myself) {
                    n.flags.fail = true;
                    n.flags.pfail = false;
                    n.fail_time = Some(now);
                    c.flags_gen += 1;
                    self.log(ctx, format!("FAIL message received from {} about {node}", msg.sender));
                }
            }
            BusKind::Update { node, config_epoch, slots } => {
                self.update_slots_from(ctx, &node.clone(), *config_epoch, &slots.clone());
            }
            BusKind::FailoverAuthRequest => self.maybe_vote(ctx, msg),
            BusKind::FailoverAuthAck => self.auth_ack(msg),
            BusKind::MfStart => self.manual_failover_started_by_replica(ctx, &msg.sender),
            _ => {}
        }
        // A node marked FAIL, or slots changing hands, changes the cluster state before the next command, as
        // Redis's beforeSleep does (not at the next cron).
        if self.cluster.as_ref().is_some_and(|c| (c.slots_gen, c.flags_gen) != generations) {
            self.update_cluster_state(ctx);
        }
    }

    /// The process at `pid` refused or closed a connection: if it is a cluster node, its bus link is down
    /// (`disconnected` in CLUSTER NODES) until it talks to us again.
    pub(crate) fn cluster_link_lost(&mut self, pid: ProcId) {
        if let Some(c) = self.cluster.as_mut() {
            if let Some(n) = c.nodes.values_mut().find(|n| n.pid == Some(pid)) {
                n.link_down = true;
            }
        }
    }

    fn process_gossip(&mut self, ctx: &mut Ctx<'_>, msg: &BusMsg) {
        let now = ctx.now;
        let mut check = Vec::new();
        let Some(c) = self.cluster.as_mut() else { return };
        let sender_is_master = c.nodes.get(&msg.sender).is_some_and(|n| n.flags.master);
        // Nodes forgotten with CLUSTER FORGET that gossip may not bring back yet.
        let forgotten: Vec<String> =
            c.blacklist.iter().filter(|(_, until)| **until > now).map(|(id, _)| id.clone()).collect();
        for g in &msg.gossip {
            if g.id == c.myself {
                continue;
            }
            match c.nodes.get_mut(&g.id) {
                // Only masters' opinions count as failure reports.
                Some(n) if sender_is_master => {
                    if g.pfail || g.fail {
                        n.fail_reports.insert(msg.sender.clone(), now);
                        check.push(g.id.clone());
                    } else {
                        n.fail_reports.remove(&msg.sender);
                    }
                }
                Some(_) => {}
                None if !g.pfail && !g.fail && !forgotten.contains(&g.id) => {
                    // A node we did not know: gossip introduces it, with its id (Redis 7.0 trusts a known sender).
                    c.insert_node(ClusterNode::new(g.id.clone(), g.ip.clone(), g.port, g.master, now));
                }
                None => {}
            }
        }
        for id in check {
            self.mark_failing_if_needed(ctx, &id);
        }
    }

    /// PFAIL → FAIL when the failure reports of slot-serving masters (and our own view, if we are one)
    /// reach a majority of them; then every node is told.
    fn mark_failing_if_needed(&mut self, ctx: &mut Ctx<'_>, id: &str) {
        let timeout = self.cluster_node_timeout();
        let now = ctx.now;
        let Some(c) = self.cluster.as_mut() else { return };
        let needed = c.size_cache.max(1) / 2 + 1;
        let i_am_master = c.me().flags.master;
        let Some(n) = c.nodes.get_mut(id) else { return };
        if !n.flags.pfail || n.flags.fail {
            return;
        }
        n.fail_reports.retain(|_, t| now - *t <= 2 * timeout);
        let failures = n.fail_reports.len() + usize::from(i_am_master);
        if failures < needed {
            return;
        }
        n.flags.pfail = false;
        n.flags.fail = true;
        n.fail_time = Some(now);
        c.flags_gen += 1;
        self.log(ctx, format!("Marking node {id} as failing (quorum reached)."));
        self.bus_broadcast(ctx, BusKind::Fail { node: id.to_string() });
    }

    /// `clusterUpdateSlotsConfigWith`: slots claimed with a greater configEpoch change hands; a master that
    /// loses all its slots becomes a replica of the node that took them (as do its replicas).
    pub(crate) fn update_slots_from(&mut self, ctx: &mut Ctx<'_>, sender: &str, config_epoch: u64, slots: &[u16]) {
        let Some(c) = self.cluster.as_mut() else { return };
        let me = c.myself.clone();
        let my_master = c.me().master.clone();
        let had_slots = c.serves_slots(&me);
        // Our shard's master: ourselves, or the master we replicate.
        let our_master = if c.me().flags.master { me.clone() } else { my_master.clone().unwrap_or_default() };
        let mut migrated_our_slots = 0;
        let mut changed = false;
        let mut stale_claim = None;
        for &s in slots {
            match c.owner(s).map(str::to_string) {
                Some(o) if o == sender => {}
                Some(o) => {
                    let owner_epoch = c.nodes.get(&o).map_or(0, |n| n.config_epoch);
                    if owner_epoch < config_epoch {
                        if c.importing.contains_key(&s) && o == me {
                            continue;
                        }
                        c.set_owner(s, Some(sender));
                        changed = true;
                        migrated_our_slots += usize::from(o == our_master);
                    } else if owner_epoch > config_epoch {
                        stale_claim = Some((o, owner_epoch));
                    }
                }
                None => {
                    c.set_owner(s, Some(sender));
                    changed = true;
                }
            }
        }
        if let Some(n) = c.nodes.get_mut(sender) {
            n.config_epoch = n.config_epoch.max(config_epoch);
        }
        if let Some((owner, epoch)) = stale_claim {
            // The sender claims slots another master owns with a newer configuration: tell it.
            let slots = c.slots_of(&owner);
            self.bus_send(ctx, sender, BusKind::Update { node: owner, config_epoch: epoch, slots });
        }
        if !changed {
            return;
        }
        let c = self.cluster.as_ref().unwrap_or_else(|| unreachable!());
        let lost_all = had_slots && !c.serves_slots(&me) && c.me().flags.master;
        let master_lost_all = my_master.as_deref().is_some_and(|m| !c.serves_slots(m));
        // With cluster-allow-replica-migration no, follow the sender only if it took exactly our slots (a
        // failover), not when it took our last slot along with others (a reshard empties the master).
        let follow = self.config.cluster_allow_replica_migration || slots.len() == migrated_our_slots;
        if (lost_all || master_lost_all) && follow {
            let new = sender.to_string();
            self.log(ctx, format!("Configuration change detected. Reconfiguring myself as a replica of {new}"));
            self.cluster_set_my_master(ctx, &new);
        }
        self.save_cluster_config(ctx);
    }

    /// Two masters with the same configEpoch: the one with the smaller node id takes a new epoch (the Redis
    /// source: "Don't act if the colliding node has a smaller Node ID").
    fn check_epoch_collision(&mut self, ctx: &mut Ctx<'_>, msg: &BusMsg) {
        let Some(c) = self.cluster.as_mut() else { return };
        let me = c.me();
        if !msg.is_master || !me.flags.master || msg.config_epoch != me.config_epoch || msg.sender <= c.myself {
            return;
        }
        c.current_epoch += 1;
        let epoch = c.current_epoch;
        c.me_mut().config_epoch = epoch;
        self.log(ctx, format!("WARNING: configEpoch collision with node {}. configEpoch set to {epoch}", msg.sender));
        self.save_cluster_config(ctx);
    }

    /// clusterUpdateState: ok when every slot is served by a master that is not failing, and we can see a
    /// majority of the slot-serving masters. A master holds back from turning ok for CLUSTER_WRITABLE_DELAY
    /// after it starts, and for the rejoin delay after it was among a minority, as Redis does, so that a
    /// rebooted or partitioned-away master hears of a failover before it accepts writes again.
    pub(crate) fn update_cluster_state(&mut self, ctx: &mut Ctx<'_>) {
        const CLUSTER_WRITABLE_DELAY: u64 = 2000;
        let full_coverage = self.config.cluster_require_full_coverage;
        let rejoin_delay = self.cluster_node_timeout().clamp(500, 5000);
        let now = ctx.now.ms();
        let Some(c) = self.cluster.as_mut() else { return };
        let first = *c.first_evaluation_ms.get_or_insert(now);
        let me_master = c.me().flags.master;
        if me_master && !c.ok && now - first < CLUSTER_WRITABLE_DELAY {
            return;
        }
        // Nothing changed since the last evaluation: the state is what it was (clusterCron runs 10 times a
        // second on every node; at 1000 nodes re-deriving it each time would dominate the run). A failed
        // state is re-derived every time, as Redis's cron does, since its delays run out with time alone.
        if c.ok && c.evaluated_at == Some((c.slots_gen, c.flags_gen)) {
            return;
        }
        c.evaluated_at = Some((c.slots_gen, c.flags_gen));
        let mut ok = true;
        if full_coverage {
            ok = c.fully_covered();
        }
        let size = c.slot_masters();
        c.size_cache = size;
        let reachable = c.nodes.values().filter(|n| n.flags.master && !n.failing() && c.serves_slots(&n.id)).count();
        if reachable < size / 2 + 1 {
            ok = false;
            c.among_minority_ms = Some(now);
        }
        if ok != c.ok {
            if ok && me_master && c.among_minority_ms.is_some_and(|t| now - t < rejoin_delay) {
                return;
            }
            c.ok = ok;
            self.log(ctx, format!("Cluster state changed: {}", if ok { "ok" } else { "fail" }));
        }
    }

    /// Follow `master` (CLUSTER REPLICATE, a lost election of slots, replica migration).
    pub(crate) fn cluster_set_my_master(&mut self, ctx: &mut Ctx<'_>, master: &str) {
        let Some(c) = self.cluster.as_mut() else { return };
        let Some((ip, port)) = c.nodes.get(master).map(|n| (n.ip.clone(), n.port)) else { return };
        c.flags_gen += 1;
        let me = c.me_mut();
        me.flags.master = false;
        me.master = Some(master.to_string());
        // Our slots (if any) are the new master's now.
        let mine = c.slots_of(&c.myself.clone());
        for s in mine {
            c.set_owner(s, Some(master));
        }
        c.failover = super::failover::Election::default();
        self.set_master(ctx, ip, port, false);
        self.save_cluster_config(ctx);
    }
}
