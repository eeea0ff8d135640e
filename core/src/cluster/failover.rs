//! Replica failover in a cluster: a replica of a FAIL master waits 500 ms + random(500) + rank × 1000 ms,
//! takes a new epoch and asks every master for its vote; slot-serving masters vote once per epoch (and once
//! per 2 × node-timeout per failed master); with a majority it takes its master's slots. Also CLUSTER FAILOVER
//! (default, FORCE, TAKEOVER) and the migration of a spare replica to an orphaned master.

use super::bus::{BusKind, BusMsg};
use crate::process::Ctx;
use crate::server::Server;
use crate::time::SimTime;
use crate::vecmap::VecMap;

/// How long a manual failover may take (CLUSTER_MF_TIMEOUT).
pub const MANUAL_FAILOVER_TIMEOUT_MS: u64 = 5000;
/// A master must be orphaned this long before a replica migrates to it (CLUSTER_SLAVE_MIGRATION_DELAY).
pub const MIGRATION_DELAY_MS: u64 = 5000;

#[derive(Clone, Debug, Default)]
pub struct Election {
    /// When the election may start (after the delay), and whether the request is out.
    pub auth_time: Option<SimTime>,
    pub auth_sent: bool,
    pub auth_count: usize,
    pub auth_epoch: u64,
    pub rank: usize,
    /// Manual failover: until when; the master's offset we must reach first; FORCE skips that.
    pub manual_until: Option<SimTime>,
    pub manual_master_offset: Option<u64>,
    pub manual_force: bool,
    /// On a master: writes paused for a replica's manual failover, until when.
    pub paused_until: Option<SimTime>,
    /// Orphaned masters and since when (for replica migration).
    pub orphaned_since: VecMap<String, SimTime>,
    pub cant_failover_logged: bool,
}

/// `clusterGetSlaveRank`: how many other replicas of the same master advertise a larger offset, leaving out
/// those that may not fail over (`nofailover`): they do not compete.
fn replica_rank(c: &super::state::ClusterState, master: &str, me: &str, my_offset: u64) -> usize {
    c.nodes
        .values()
        .filter(|n| {
            n.master.as_deref() == Some(master) && n.id != me && !n.flags.nofailover && n.repl_offset > my_offset
        })
        .count()
}

impl Server {
    /// The replica side of clusterCron: elections, manual failover, replica migration.
    pub(crate) fn cluster_replica_cron(&mut self, ctx: &mut Ctx<'_>) {
        self.replica_migration(ctx);
        let timeout = self.cluster_node_timeout();
        let now = ctx.now;
        let validity = self.config.cluster_replica_validity_factor;
        let ping_period_ms = self.config.repl_ping_replica_period_secs * 1000;
        // Redis's data age: since the master's last interaction while the link is up, else since it went down.
        let data_since = self.repl.master.as_ref().map(|m| {
            if m.state == crate::server::replication::LinkState::Connected {
                m.last_io
            } else {
                m.down_since.unwrap_or(m.last_io)
            }
        });
        let master_offset_reached = self.repl.offset;
        let Some(c) = self.cluster.as_mut() else { return };
        let me = c.me().clone();
        let Some(master_id) = me.master.clone() else { return };
        let Some(master) = c.nodes.get(&master_id).cloned() else { return };
        let manual = c.failover.manual_until.is_some_and(|t| now < t);
        if c.failover.manual_until.is_some_and(|t| now >= t) {
            c.failover.manual_until = None;
            c.failover.manual_master_offset = None;
            self.log(ctx, "Manual failover timed out.");
            return;
        }
        let Some(c) = self.cluster.as_mut() else { return };
        if me.flags.master
            || (!master.flags.fail && !manual)
            || !c.serves_slots(&master_id)
            || me.flags.nofailover && !manual
        {
            return;
        }
        // Manual failover: wait until we have everything the (paused) master sent.
        if manual && !c.failover.manual_force {
            match c.failover.manual_master_offset {
                Some(o) if master_offset_reached >= o => {}
                _ => return,
            }
        }
        // Too stale a replica may not fail over (cluster-replica-validity-factor).
        let mut data_age = data_since.map_or(0, |t| now - t);
        if data_age > timeout {
            data_age -= timeout;
        }
        if !manual && validity > 0 && data_age > ping_period_ms.saturating_add(timeout.saturating_mul(validity)) {
            if !c.failover.cant_failover_logged {
                c.failover.cant_failover_logged = true;
                self.log(ctx, "Currently unable to failover: Disconnected from master for longer than allowed. Please check the 'cluster-replica-validity-factor' configuration option.");
            }
            return;
        }
        let auth_timeout = (timeout * 2).max(2000);
        let auth_retry = auth_timeout * 2;
        let e = &mut c.failover;
        if e.auth_time.is_none_or(|t| now > t + auth_retry) {
            // Schedule the election: a random delay, plus a second per replica with a better offset.
            let rank = replica_rank(c, &master_id, &me.id, master_offset_reached);
            let delay = if manual { 0 } else { 500 + ctx.rng.below(500) + rank as u64 * 1000 };
            let e = &mut c.failover;
            e.auth_time = Some(now + delay);
            e.auth_sent = false;
            e.auth_count = 0;
            e.rank = rank;
            self.log(ctx, format!("Start of election delayed for {delay} milliseconds (rank #{rank}, offset {master_offset_reached})."));
            // Let the other replicas learn our offset, so their ranks are right.
            let siblings: Vec<String> = self
                .cluster
                .as_ref()
                .map(|c| c.replicas_of(&master_id).iter().filter(|n| n.id != me.id).map(|n| n.id.clone()).collect())
                .unwrap_or_default();
            for s in siblings {
                self.bus_send(ctx, &s, BusKind::Pong);
            }
            return;
        }
        // Offsets heard from the other replicas since the delay was computed may lower our rank.
        if !e.auth_sent && !manual {
            let rank = replica_rank(c, &master_id, &me.id, master_offset_reached);
            if rank > c.failover.rank {
                let added = (rank - c.failover.rank) as u64 * 1000;
                c.failover.auth_time = c.failover.auth_time.map(|t| t + added);
                c.failover.rank = rank;
                self.log(ctx, format!("Replica rank updated to #{rank}, added {added} milliseconds of delay."));
                return;
            }
        }
        let Some(c) = self.cluster.as_mut() else { return };
        let e = &mut c.failover;
        let (auth_time, auth_sent) = (e.auth_time.unwrap_or(now), e.auth_sent);
        if now < auth_time || now > auth_time + auth_timeout {
            return;
        }
        if !auth_sent {
            c.current_epoch += 1;
            let epoch = c.current_epoch;
            c.failover.auth_epoch = epoch;
            c.failover.auth_sent = true;
            self.log(ctx, format!("Starting a failover election for epoch {epoch}."));
            self.bus_broadcast(ctx, BusKind::FailoverAuthRequest);
            return;
        }
        let needed = c.slot_masters() / 2 + 1;
        if c.failover.auth_count >= needed {
            self.log(ctx, "Failover election won: I'm the new master.");
            self.take_over_from(ctx, &master_id, true);
        }
    }

    /// Become the master of `old`'s slots: REPLICAOF NO ONE, the election's epoch as configEpoch, and
    /// everyone told at once.
    pub(crate) fn take_over_from(&mut self, ctx: &mut Ctx<'_>, old: &str, elected: bool) {
        let Some(c) = self.cluster.as_mut() else { return };
        if elected {
            let epoch = c.failover.auth_epoch;
            if c.me().config_epoch < epoch {
                c.me_mut().config_epoch = epoch;
            }
        } else {
            // TAKEOVER: a new epoch without consensus (unless ours is already the largest).
            c.bump_config_epoch();
        }
        let epoch = c.me().config_epoch;
        let me = c.myself.clone();
        for s in c.slots_of(old) {
            c.set_owner(s, Some(&me));
        }
        c.flags_gen += 1;
        let m = c.me_mut();
        m.flags.master = true;
        m.master = None;
        c.failover = Election::default();
        self.log(ctx, format!("configEpoch set to {epoch} after successful failover"));
        self.unset_master(ctx);
        self.update_cluster_state(ctx);
        self.bus_broadcast(ctx, BusKind::Pong);
        self.save_cluster_config(ctx);
    }

    /// `clusterSendFailoverAuthIfNeeded`: a slot-serving master votes once per epoch, for a replica of a
    /// FAIL master (or one in a manual failover), at most once per 2 × node-timeout per failed master.
    pub(crate) fn maybe_vote(&mut self, ctx: &mut Ctx<'_>, req: &BusMsg) {
        let timeout = self.cluster_node_timeout();
        let now = ctx.now;
        let Some(c) = self.cluster.as_mut() else { return };
        if !c.me().flags.master || !c.serves_slots(&c.myself.clone()) {
            return;
        }
        let deny = |why: String| why;
        let verdict: Result<String, String> = (|| {
            if req.current_epoch < c.current_epoch {
                return Err(deny(format!("reqEpoch ({}) < curEpoch({})", req.current_epoch, c.current_epoch)));
            }
            if c.last_vote_epoch == c.current_epoch {
                return Err(deny(format!("already voted for epoch {}", c.current_epoch)));
            }
            let master_id = req.master.clone().ok_or_else(|| "it is a master node".to_string())?;
            let master = c.nodes.get(&master_id).ok_or_else(|| "I don't know its master".to_string())?;
            if !master.flags.fail && !req.force_ack {
                return Err("its master is up".into());
            }
            if master.voted_time.is_some_and(|t| now - t < timeout * 2) {
                return Err(format!(
                    "can't vote about this master before {} milliseconds",
                    timeout * 2 - (now - master.voted_time.unwrap_or(now))
                ));
            }
            for &s in req.slots.iter() {
                if let Some(o) = c.owner(s) {
                    if c.nodes.get(o).is_some_and(|n| n.config_epoch > req.config_epoch) {
                        return Err(format!(
                            "slot {s} epoch ({}) > reqEpoch ({})",
                            c.nodes[o].config_epoch, req.config_epoch
                        ));
                    }
                }
            }
            Ok(master_id)
        })();
        match verdict {
            Ok(master_id) => {
                c.last_vote_epoch = c.current_epoch;
                let epoch = c.current_epoch;
                if let Some(m) = c.nodes.get_mut(&master_id) {
                    m.voted_time = Some(now);
                }
                self.log(ctx, format!("Failover auth granted to {} for epoch {epoch}", req.sender));
                self.save_cluster_config(ctx);
                self.bus_send(ctx, &req.sender.clone(), BusKind::FailoverAuthAck);
            }
            Err(why) => self.log(ctx, format!("Failover auth denied to {}: {why}", req.sender)),
        }
    }

    pub(crate) fn auth_ack(&mut self, msg: &BusMsg) {
        let Some(c) = self.cluster.as_mut() else { return };
        let voter_ok = c.nodes.get(&msg.sender).is_some_and(|n| n.flags.master) && c.serves_slots(&msg.sender);
        if voter_ok && msg.current_epoch >= c.failover.auth_epoch && c.failover.auth_sent {
            c.failover.auth_count += 1;
        }
    }

    /// CLUSTER FAILOVER on a replica: default (the master pauses writes, we catch up, then an election that
    /// masters grant although the master is up), FORCE (no catching up), TAKEOVER (no election).
    pub(crate) fn start_manual_failover(&mut self, ctx: &mut Ctx<'_>, force: bool, takeover: bool) {
        let Some(c) = self.cluster.as_mut() else { return };
        let Some(master) = c.me().master.clone() else { return };
        if takeover {
            self.log(ctx, "Taking over the master (user request).");
            self.take_over_from(ctx, &master, false);
            return;
        }
        c.failover = Election {
            manual_until: Some(ctx.now + MANUAL_FAILOVER_TIMEOUT_MS),
            manual_force: force,
            ..Election::default()
        };
        self.log(ctx, format!("Manual failover user request accepted{}.", if force { " (FORCE)" } else { "" }));
        if !force {
            self.bus_send(ctx, &master, BusKind::MfStart);
        }
    }

    /// The master side of a manual failover: stop taking writes, and send our offset so the replica can
    /// catch up exactly.
    pub(crate) fn manual_failover_started_by_replica(&mut self, ctx: &mut Ctx<'_>, replica: &str) {
        let Some(c) = self.cluster.as_mut() else { return };
        if !c.me().flags.master {
            return;
        }
        c.failover.paused_until = Some(ctx.now + MANUAL_FAILOVER_TIMEOUT_MS * 2);
        self.log(ctx, format!("Manual failover requested by replica {replica}."));
        self.bus_send(ctx, replica, BusKind::Ping);
    }

    /// A replica learns the master's offset from its PINGs during a manual failover.
    pub(crate) fn note_master_offset(&mut self, sender: &str, offset: u64) {
        let Some(c) = self.cluster.as_mut() else { return };
        if c.me().master.as_deref() == Some(sender) && c.failover.manual_until.is_some() {
            c.failover.manual_master_offset = Some(offset);
        }
    }

    /// Replica migration, as clusterCron and `clusterHandleSlaveMigration` decide it: when some master that
    /// should have a replica (CLUSTER_NODE_MIGRATE_TO) serves slots with none that is not FAIL, and our master
    /// has the most working replicas (at least two, more than cluster-migration-barrier), the replica with the
    /// smallest id among those of the masters with the most moves to it, once it has been orphaned for 5 s.
    /// Never with cluster-allow-replica-migration no.
    fn replica_migration(&mut self, ctx: &mut Ctx<'_>) {
        let barrier = self.config.cluster_migration_barrier;
        let allowed = self.config.cluster_allow_replica_migration;
        let now = ctx.now;
        let Some(c) = self.cluster.as_mut() else { return };
        // Replicas (any state) and replicas that are not FAIL, per master (by the node's index in `ids`), in one
        // pass over the nodes: this runs at every cron of every node, and a map inserted at random places would
        // cost a 1000-node cluster dearly.
        let mut known = vec![0usize; c.ids.len()];
        let mut working = vec![0usize; c.ids.len()];
        for n in c.nodes.values().filter(|n| !n.flags.master) {
            if let Some(i) = n.master.as_deref().and_then(|m| c.index(m)) {
                known[usize::from(i)] += 1;
                working[usize::from(i)] += usize::from(!n.flags.fail);
            }
        }
        // `clusterNodeAddSlave` sets CLUSTER_NODE_MIGRATE_TO, removing the last replica clears it.
        let changed: Vec<(String, usize)> = c
            .ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                c.nodes.get(id).filter(|n| n.replicas_known != known[i]).map(|_| (id.clone(), known[i]))
            })
            .collect();
        for (id, count) in changed {
            if let Some(n) = c.nodes.get_mut(&id) {
                if count > 0 {
                    n.migrate_to = true;
                } else if n.replicas_known > 0 {
                    n.migrate_to = false;
                }
                n.replicas_known = count;
            }
        }
        let Some(my_master) = c.me().master.clone().filter(|_| !c.me().flags.master) else { return };
        let working_of = |c: &super::state::ClusterState, id: &str| c.index(id).map_or(0, |i| working[usize::from(i)]);
        // Masters that are up, with how many working replicas each, and whether it is orphaned.
        let masters: Vec<(String, usize, bool)> = c
            .nodes
            .values()
            .filter(|n| n.flags.master && !n.flags.fail && n.id != c.myself)
            .map(|n| {
                let count = working_of(c, &n.id);
                (n.id.clone(), count, count == 0 && n.migrate_to)
            })
            .collect();
        let max_replicas = masters.iter().map(|(_, n, _)| *n).max().unwrap_or(0);
        let mine = masters.iter().find(|(m, _, _)| *m == my_master).map_or(0, |(_, n, _)| *n);
        let orphaned_with_slots = masters.iter().any(|(m, _, orphan)| *orphan && c.serves_slots(m));
        // "It does not make sense to try a migration if there is no master with at least *two* working slaves."
        if !orphaned_with_slots || max_replicas < 2 || mine != max_replicas || !allowed || !c.ok {
            return;
        }
        let up_replicas =
            c.nodes.values().filter(|r| r.master.as_deref() == Some(my_master.as_str()) && !r.failing()).count();
        if up_replicas <= barrier as usize {
            return;
        }
        let mut target = None;
        let mut candidate = c.myself.clone();
        // Since when each master has been orphaned (forgotten as soon as it is not).
        c.failover.orphaned_since.retain(|m, _| masters.iter().any(|(id, _, orphaned)| id == m && *orphaned));
        for (m, count, orphaned) in &masters {
            if *orphaned {
                if target.is_none() && c.serves_slots(m) {
                    target = Some(m.clone());
                }
                c.failover.orphaned_since.entry(m.clone()).or_insert(now);
            }
            if *count == max_replicas {
                if let Some(smallest) =
                    c.nodes.values().filter(|r| r.master.as_deref() == Some(m.as_str())).map(|r| &r.id).min()
                {
                    if *smallest < candidate {
                        candidate = smallest.clone();
                    }
                }
            }
        }
        let Some(target) = target else { return };
        if candidate != c.myself
            || c.failover.orphaned_since.get(&target).is_none_or(|t| now - *t <= MIGRATION_DELAY_MS)
        {
            return;
        }
        self.log(ctx, format!("Migrating to orphaned master {target}"));
        self.cluster_set_my_master(ctx, &target);
    }
}
