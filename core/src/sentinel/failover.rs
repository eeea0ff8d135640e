//! The sentinel's timer and its reactions: periodic PING/INFO/hello to every instance, SDOWN and ODOWN,
//! asking the other sentinels, the leader election, and the failover state machine — each step with the
//! event Redis's sentinel emits. What the replies and hellos teach it is in `discovery`.

use super::instances::{FailoverState, Instance, Reconf};
use super::{
    Ask, Sentinel, Target, ASK_PERIOD_MS, CRASH_AFTER_ELECTION, HELLO_PERIOD_MS, INFO_FAST_PERIOD_MS, INFO_PERIOD_MS,
    PING_PERIOD_MS,
};
use crate::process::Ctx;
use crate::trace::TraceEvent;
use crate::vecmap::VecMap;

/// Leaders must be elected within this time (or failover-timeout if shorter).
pub(crate) const ELECTION_TIMEOUT_MS: u64 = 10_000;
/// A replica being reconfigured that does not show progress within this time is given up on.
pub(crate) const SLAVE_RECONF_TIMEOUT_MS: u64 = 10_000;
/// Sentinels wait a random 0..this before starting a failover, to avoid starting together.
const MAX_DESYNC_MS: u64 = 1000;

impl Sentinel {
    pub(crate) fn timer(&mut self, ctx: &mut Ctx<'_>) {
        let names: Vec<String> = self.masters.keys().cloned().collect();
        for name in names {
            self.periodic(ctx, &name);
            self.check_sdown_all(ctx, &name);
            self.check_odown(ctx, &name);
            self.start_failover_if_needed(ctx, &name);
            let started = self.masters.get(&name).is_some_and(|m| {
                m.failover_state == FailoverState::WaitStart && m.failover_state_change_time == ctx.now
            });
            self.failover_step(ctx, &name);
            // A sentinel that just started a failover asks for votes at once (Redis's SENTINEL_ASK_FORCED).
            self.ask_other_sentinels(ctx, &name, started);
        }
    }

    /// PING every second, INFO every 10 s (every second to a replica while its master is failing or while it
    /// reports its link to the master down), hello every 2 s.
    fn periodic(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let now = ctx.now;
        let Some(m) = self.masters.get(name) else { return };
        let master_failing = m.odown_since.is_some() || m.failover_in_progress();
        let ping_period = PING_PERIOD_MS.min(m.down_after_ms.max(1));
        let mut targets = vec![Target::Master];
        targets.extend(m.replicas.keys().cloned().map(Target::Replica));
        targets.extend(m.sentinels.keys().cloned().map(Target::Peer));
        for target in targets {
            let Some(inst) = self.instance_mut(name, &target) else { continue };
            let is_peer = matches!(target, Target::Peer(_));
            let fast = matches!(target, Target::Replica(_)) && (master_failing || inst.master_link_down_ms != 0);
            let link = &mut inst.link;
            if link.disconnected {
                // A dead link is retried once per PING period, not at every timer tick; the reconnection's
                // first command is a PING.
                if now - link.last_reconnect < PING_PERIOD_MS {
                    continue;
                }
                link.last_reconnect = now;
                link.last_ping_sent = now;
                if link.act_ping.is_none() {
                    link.act_ping = Some(now);
                }
                self.send(ctx, name, target.clone(), Ask::Ping, &["PING"]);
                continue;
            }
            let mut asks = Vec::new();
            if !is_peer && !link.subscribed && !link.disconnected {
                link.subscribed = true;
                asks.push(Ask::Subscribe);
            }
            let info_period = if fast { INFO_FAST_PERIOD_MS } else { INFO_PERIOD_MS };
            if !is_peer && !link.info_pending && link.last_info.is_none_or(|t| now - t >= info_period) {
                link.info_pending = true;
                asks.push(Ask::Info);
            }
            if now - link.last_ping_sent >= ping_period {
                link.last_ping_sent = now;
                if link.act_ping.is_none() {
                    link.act_ping = Some(now);
                }
                asks.push(Ask::Ping);
            }
            if now - link.last_hello_sent >= HELLO_PERIOD_MS {
                link.last_hello_sent = now;
                asks.push(Ask::Publish);
            }
            for ask in asks {
                let hello = if ask == Ask::Publish { self.hello(name) } else { String::new() };
                let words: &[&str] = match ask {
                    Ask::Subscribe => &["SUBSCRIBE", "__sentinel__:hello"],
                    Ask::Info => &["INFO"],
                    Ask::Ping => &["PING"],
                    _ => &["PUBLISH", "__sentinel__:hello", &hello],
                };
                if !self.send(ctx, name, target.clone(), ask, words) {
                    if let Some(inst) = self.instance_mut(name, &target) {
                        inst.link.disconnected = true;
                        inst.link.info_pending = false;
                    }
                }
            }
        }
    }

    /// `<ip>,<port>,<runid>,<current_epoch>,<master_name>,<master_ip>,<master_port>,<master_config_epoch>`
    fn hello(&self, name: &str) -> String {
        let m = &self.masters[name];
        let (mip, mport) = m.current_address();
        let g = &self.globals;
        let ip = if g.announce_ip.is_empty() { &self.ip } else { &g.announce_ip };
        let port = if g.announce_port == 0 { self.port } else { g.announce_port };
        format!("{ip},{port},{},{},{name},{mip},{mport},{}", self.run_id, self.current_epoch, m.config_epoch)
    }

    fn check_sdown_all(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(m) = self.masters.get(name) else { return };
        let mut targets = vec![Target::Master];
        targets.extend(m.replicas.keys().cloned().map(Target::Replica));
        targets.extend(m.sentinels.keys().cloned().map(Target::Peer));
        let down_after = m.down_after_ms;
        for target in targets {
            let (was, now_down, describe) = {
                let m = &self.masters[name];
                let inst: &Instance = match &target {
                    Target::Master => &m.inst,
                    Target::Replica(a) => &m.replicas[a],
                    Target::Peer(id) => &m.sentinels[id].inst,
                };
                let elapsed = match (inst.link.act_ping, inst.link.disconnected) {
                    (Some(t), _) => ctx.now - t,
                    (None, true) => ctx.now - inst.link.last_avail,
                    _ => 0,
                };
                // A master that has reported the replica role for down-after-milliseconds plus two INFO
                // periods is as good as down.
                let demoted = target == Target::Master
                    && inst.role.as_deref() == Some("slave")
                    && ctx.now - inst.role_since > down_after + 2 * INFO_PERIOD_MS;
                let describe = match &target {
                    Target::Master => m.describe(),
                    Target::Replica(a) => m.describe_replica(a),
                    Target::Peer(id) => m.describe_peer(id, &inst.ip, inst.port),
                };
                (inst.sdown_since.is_some(), elapsed > down_after || demoted, describe)
            };
            match (was, now_down) {
                (false, true) => {
                    if let Some(i) = self.instance_mut(name, &target) {
                        i.sdown_since = Some(ctx.now);
                        i.last_sdown = Some(ctx.now);
                    }
                    self.event(ctx, "+sdown", describe);
                }
                (true, false) => {
                    if let Some(i) = self.instance_mut(name, &target) {
                        i.sdown_since = None;
                    }
                    self.event(ctx, "-sdown", describe);
                }
                _ => {}
            }
        }
    }

    fn check_odown(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let votes = 1 + m.sentinels.values().filter(|p| p.master_down).count() as u32;
        let odown = m.inst.sdown_since.is_some() && votes >= m.quorum;
        match (m.odown_since.is_some(), odown) {
            (false, true) => {
                m.odown_since = Some(ctx.now);
                let detail = format!("{} #quorum {}/{}", m.describe(), votes, m.quorum);
                self.event(ctx, "+odown", detail);
            }
            (true, false) => {
                m.odown_since = None;
                let detail = m.describe();
                self.event(ctx, "-odown", detail);
            }
            _ => {}
        }
    }

    /// While the master is SDOWN, ask every other sentinel each second whether it agrees; a candidate asks
    /// with its own run id, which is also a request for its vote.
    fn ask_other_sentinels(&mut self, ctx: &mut Ctx<'_>, name: &str, forced: bool) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let now = ctx.now;
        for p in m.sentinels.values_mut() {
            if now - p.last_down_reply > 5 * ASK_PERIOD_MS {
                // No fresh answer for a while: its old opinion no longer counts (whether or not we still ask).
                p.master_down = false;
                p.leader = None;
            }
        }
        if m.inst.sdown_since.is_none() {
            return;
        }
        let runid = if m.failover_state > FailoverState::None { self.run_id.clone() } else { "*".into() };
        let (ip, port) = (m.inst.ip.clone(), m.inst.port);
        let mut ask = Vec::new();
        for (id, p) in m.sentinels.iter_mut() {
            // Ask at most once per ASK_PERIOD, and not while a question is outstanding.
            let pending =
                self.pending.values().any(|x| x.ask == Ask::IsMasterDown && x.target == Target::Peer(id.clone()));
            let recent = now - p.last_asked < ASK_PERIOD_MS;
            if (forced || (!pending && !recent)) && p.inst.sdown_since.is_none() && !p.inst.link.disconnected {
                p.last_asked = now;
                ask.push(id.clone());
            }
        }
        let (port, epoch) = (port.to_string(), self.current_epoch.to_string());
        for id in ask {
            let words = ["SENTINEL", "is-master-down-by-addr", &ip, &port, &epoch, &runid];
            self.send(ctx, name, Target::Peer(id), Ask::IsMasterDown, &words);
        }
    }

    /// `sentinelVoteLeader`: one vote per epoch, first come.
    pub(crate) fn vote(
        &mut self,
        ctx: &mut Ctx<'_>,
        name: &str,
        req_epoch: u64,
        req_runid: &str,
    ) -> (Option<String>, u64) {
        if req_epoch > self.current_epoch {
            self.current_epoch = req_epoch;
            self.event(ctx, "+new-epoch", req_epoch.to_string());
        }
        let current = self.current_epoch;
        let me = self.run_id.clone();
        let Some(m) = self.masters.get_mut(name) else { return (None, 0) };
        if m.leader_epoch < req_epoch && current <= req_epoch {
            m.leader = Some(req_runid.to_string());
            m.leader_epoch = current;
            if req_runid != me {
                // Voted for another: do not start a failover of our own for a while.
                m.failover_start_time = Some(ctx.now + ctx.rng.below(MAX_DESYNC_MS));
            }
            self.event(ctx, "+vote-for-leader", format!("{req_runid} {current}"));
        }
        let m = &self.masters[name];
        (m.leader.clone(), m.leader_epoch)
    }

    /// `sentinelGetLeader`: the winner needs votes ≥ max(majority of all sentinels, quorum).
    fn leader_of(&mut self, ctx: &mut Ctx<'_>, name: &str, epoch: u64) -> Option<String> {
        let m = &self.masters[name];
        let mut counters: VecMap<String, u32> = VecMap::new();
        for p in m.sentinels.values() {
            if let (Some(l), true) = (&p.leader, p.leader_epoch == epoch) {
                *counters.entry(l.clone()).or_default() += 1;
            }
        }
        let voters = m.sentinels.len() as u32 + 1;
        let quorum = m.quorum;
        let best = |c: &VecMap<String, u32>| {
            c.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse((*id).clone()))).map(|(id, n)| (id.clone(), *n))
        };
        let candidate = best(&counters).map(|(id, _)| id).unwrap_or_else(|| self.run_id.clone());
        let (my_vote, my_epoch) = self.vote(ctx, name, epoch, &candidate);
        if let (Some(v), true) = (my_vote, my_epoch == epoch) {
            *counters.entry(v).or_default() += 1;
        }
        let (winner, votes) = best(&counters)?;
        // A majority of all known sentinels, and at least the quorum.
        (votes > voters / 2 && votes >= quorum).then_some(winner)
    }

    fn start_failover_if_needed(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(m) = self.masters.get(name) else { return };
        if m.odown_since.is_none() || m.failover_in_progress() {
            return;
        }
        // After an attempt (ours or one we voted for), wait twice the failover timeout before trying again,
        // and say so once per attempt.
        if let Some(start) = m.failover_start_time.filter(|t| ctx.now < *t + 2 * m.failover_timeout_ms) {
            if m.failover_delay_logged != Some(start) {
                let not_before_ms = ctx.unix_ms() - ctx.now.ms() + start.ms() + 2 * m.failover_timeout_ms;
                let text =
                    format!("Next failover delay: I will not start a failover before {}", ctime(not_before_ms / 1000));
                ctx.out.note(TraceEvent::Log { proc: ctx.me, text });
                if let Some(m) = self.masters.get_mut(name) {
                    m.failover_delay_logged = Some(start);
                }
            }
            return;
        }
        self.begin_failover(ctx, name, false);
    }

    pub(crate) fn begin_failover(&mut self, ctx: &mut Ctx<'_>, name: &str, forced: bool) {
        self.current_epoch += 1;
        let epoch = self.current_epoch;
        let delay = ctx.rng.below(MAX_DESYNC_MS);
        let Some(m) = self.masters.get_mut(name) else { return };
        m.failover_state = FailoverState::WaitStart;
        m.failover_state_change_time = ctx.now;
        m.failover_epoch = epoch;
        m.forced = forced;
        m.failover_start_time = Some(ctx.now + delay);
        let detail = m.describe();
        self.event(ctx, "+new-epoch", epoch.to_string());
        self.event(ctx, "+try-failover", detail);
    }

    fn abort_failover(&mut self, ctx: &mut Ctx<'_>, name: &str, event: &str) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let detail = m.describe();
        m.failover_state = FailoverState::None;
        m.failover_state_change_time = ctx.now;
        m.promoted = None;
        m.forced = false;
        for r in m.replicas.values_mut() {
            r.reconf = Reconf::None;
        }
        self.event(ctx, event, detail);
    }

    pub(super) fn set_state(
        &mut self,
        ctx: &mut Ctx<'_>,
        name: &str,
        state: FailoverState,
        event: &str,
        detail: String,
    ) {
        if let Some(m) = self.masters.get_mut(name) {
            m.failover_state = state;
            m.failover_state_change_time = ctx.now;
        }
        self.event(ctx, event, detail);
    }

    fn failover_step(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(m) = self.masters.get(name) else { return };
        let since = ctx.now - m.failover_state_change_time;
        let timeout = m.failover_timeout_ms;
        match m.failover_state {
            FailoverState::None => {}
            FailoverState::WaitStart => {
                let (epoch, forced, started) = (m.failover_epoch, m.forced, m.failover_start_time);
                let leader = self.leader_of(ctx, name, epoch);
                if !forced && leader.as_deref() != Some(self.run_id.as_str()) {
                    if ctx.now.saturating_sub(started.unwrap_or(ctx.now)) > ELECTION_TIMEOUT_MS.min(timeout) {
                        self.abort_failover(ctx, name, "-failover-abort-not-elected");
                    }
                    return;
                }
                let detail = self.masters[name].describe();
                self.event(ctx, "+elected-leader", detail.clone());
                if self.simulate_failure & CRASH_AFTER_ELECTION != 0 {
                    return simulated_crash(ctx);
                }
                self.set_state(ctx, name, FailoverState::SelectSlave, "+failover-state-select-slave", detail);
            }
            FailoverState::SelectSlave => match self.select_replica(ctx, name) {
                None => self.abort_failover(ctx, name, "-failover-abort-no-good-slave"),
                Some(addr) => {
                    let m = self.masters.get_mut(name).unwrap_or_else(|| unreachable!());
                    m.promoted = Some(addr.clone());
                    let detail = m.describe_replica(&addr);
                    self.event(ctx, "+selected-slave", detail.clone());
                    self.set_state(
                        ctx,
                        name,
                        FailoverState::SendSlaveofNoOne,
                        "+failover-state-send-slaveof-noone",
                        detail,
                    );
                }
            },
            FailoverState::SendSlaveofNoOne => {
                let addr = m.promoted.clone().unwrap_or_default();
                let detail = m.describe_replica(&addr);
                if self.send(ctx, name, Target::Replica(addr.clone()), Ask::Replicaof, &["REPLICAOF", "NO", "ONE"]) {
                    self.send(ctx, name, Target::Replica(addr), Ask::Replicaof, &["CONFIG", "REWRITE"]);
                    self.set_state(ctx, name, FailoverState::WaitPromotion, "+failover-state-wait-promotion", detail);
                } else if since > timeout {
                    self.abort_failover(ctx, name, "-failover-abort-slave-timeout");
                }
            }
            FailoverState::WaitPromotion => {
                if since > timeout {
                    self.abort_failover(ctx, name, "-failover-abort-slave-timeout");
                }
            }
            FailoverState::ReconfSlaves => {
                self.reconf_next_replicas(ctx, name);
                // Redis switches to the promoted replica in the same timer run that logs +failover-end.
                if self.masters.get(name).is_some_and(|m| m.failover_state == FailoverState::UpdateConfig) {
                    self.switch_to_promoted(ctx, name);
                }
            }
            FailoverState::UpdateConfig => self.switch_to_promoted(ctx, name),
        }
    }

    /// `sentinelSelectSlave`: skip replicas that are down, silent, of priority 0 or disconnected from the
    /// master for too long; prefer the lowest priority, then the largest offset, then the smallest run id.
    pub(crate) fn select_replica(&self, ctx: &Ctx<'_>, name: &str) -> Option<(String, u16)> {
        let m = &self.masters[name];
        let sdown_for = m.inst.sdown_since.map_or(0, |t| ctx.now - t);
        let max_link_down = (sdown_for + m.down_after_ms * 10) as i64;
        let info_validity = if m.inst.sdown_since.is_some() { 5 * PING_PERIOD_MS } else { 3 * INFO_PERIOD_MS };
        m.replicas
            .values()
            .filter(|r| r.sdown_since.is_none() && !r.link.disconnected)
            .filter(|r| ctx.now - r.link.last_avail <= 5 * PING_PERIOD_MS)
            .filter(|r| r.priority != 0)
            .filter(|r| r.link.last_info.is_some_and(|t| ctx.now - t <= info_validity))
            .filter(|r| r.master_link_down_ms <= max_link_down)
            .min_by(|a, b| {
                a.priority
                    .cmp(&b.priority)
                    .then(b.repl_offset.cmp(&a.repl_offset))
                    .then(a.run_id.clone().unwrap_or_default().cmp(&b.run_id.clone().unwrap_or_default()))
            })
            .map(Instance::addr)
    }

    /// `sentinelFailoverReconfNextSlave`: point the other replicas at the promoted one, `parallel-syncs` at a
    /// time. As in Redis, a replica whose REPLICAOF went unanswered for 10 s is only given up on
    /// (`-slave-reconf-sent-timeout`) while fewer than `parallel-syncs` are in progress: with
    /// parallel-syncs 1, one stuck replica holds the phase until failover-timeout ends it.
    fn reconf_next_replicas(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let m = &self.masters[name];
        let promoted = m.promoted.clone().unwrap_or_default();
        let mut in_progress =
            m.replicas.values().filter(|r| matches!(r.reconf, Reconf::Sent(_) | Reconf::InProgress)).count() as u32;
        let addrs: Vec<(String, u16)> = m.replicas.keys().filter(|a| **a != promoted).cloned().collect();
        for a in addrs {
            let m = &self.masters[name];
            if in_progress >= m.parallel_syncs {
                break;
            }
            let r = &m.replicas[&a];
            let detail = m.describe_replica(&a);
            match r.reconf {
                Reconf::Done | Reconf::InProgress => continue,
                Reconf::Sent(t) => {
                    if ctx.now - t > SLAVE_RECONF_TIMEOUT_MS {
                        self.set_reconf(name, &a, Reconf::Done);
                        self.event(ctx, "-slave-reconf-sent-timeout", detail);
                    }
                    continue;
                }
                Reconf::None if r.link.disconnected => continue,
                Reconf::None => {}
            }
            if self.send_replicaof(ctx, name, &a, &promoted) {
                self.set_reconf(name, &a, Reconf::Sent(ctx.now));
                in_progress += 1;
                self.event(ctx, "+slave-reconf-sent", detail);
            }
        }
        self.detect_failover_end(ctx, name);
    }

    /// `sentinelFailoverDetectEnd`: the failover ends once every replica that is not SDOWN is reconfigured,
    /// or when failover-timeout has passed since the promotion (`+failover-end-for-timeout`, then
    /// `+failover-end`, and a best-effort REPLICAOF to the replicas not yet told: `+slave-reconf-sent-be`).
    /// Never while the promoted replica itself is SDOWN: the failover waits for it, however long.
    fn detect_failover_end(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let m = &self.masters[name];
        let Some(promoted) = m.promoted.clone() else { return };
        if m.replicas.get(&promoted).is_some_and(|r| r.sdown_since.is_some()) {
            return;
        }
        let all_done = m
            .replicas
            .iter()
            .filter(|(a, _)| **a != promoted)
            .all(|(_, r)| r.reconf == Reconf::Done || r.sdown_since.is_some());
        let timed_out = ctx.now - m.failover_state_change_time > m.failover_timeout_ms;
        let detail = m.describe();
        if timed_out {
            self.event(ctx, "+failover-end-for-timeout", detail.clone());
        }
        if all_done || timed_out {
            self.set_state(ctx, name, FailoverState::UpdateConfig, "+failover-end", detail);
        }
        if !timed_out {
            return;
        }
        let m = &self.masters[name];
        let untold: Vec<(String, u16)> = m
            .replicas
            .iter()
            .filter(|(a, r)| {
                **a != promoted && !matches!(r.reconf, Reconf::Done | Reconf::Sent(_)) && !r.link.disconnected
            })
            .map(|(a, _)| a.clone())
            .collect();
        for a in untold {
            if self.send_replicaof(ctx, name, &a, &promoted) {
                self.set_reconf(name, &a, Reconf::Sent(ctx.now));
                let detail = self.masters[name].describe_replica(&a);
                self.event(ctx, "+slave-reconf-sent-be", detail);
            }
        }
    }

    /// `sentinelSendSlaveOf`: REPLICAOF then CONFIG REWRITE, as Redis sends them in one transaction.
    fn send_replicaof(&mut self, ctx: &mut Ctx<'_>, name: &str, replica: &(String, u16), to: &(String, u16)) -> bool {
        let words = ["REPLICAOF", &to.0, &to.1.to_string()];
        let target = Target::Replica(replica.clone());
        self.send(ctx, name, target.clone(), Ask::Replicaof, &words)
            && self.send(ctx, name, target, Ask::Replicaof, &["CONFIG", "REWRITE"])
    }

    fn set_reconf(&mut self, name: &str, replica: &(String, u16), state: Reconf) {
        if let Some(r) = self.masters.get_mut(name).and_then(|m| m.replicas.get_mut(replica)) {
            r.reconf = state;
        }
    }

    /// `sentinelFailoverSwitchToPromotedSlave`: the promoted replica becomes the monitored master; the old
    /// master becomes one of its replicas.
    fn switch_to_promoted(&mut self, ctx: &mut Ctx<'_>, name: &str) {
        let Some(m) = self.masters.get(name) else { return };
        let Some(new) = m.promoted.clone() else { return };
        let epoch = m.failover_epoch;
        self.switch_master(ctx, name, new, epoch);
    }

    pub(crate) fn switch_master(&mut self, ctx: &mut Ctx<'_>, name: &str, new: (String, u16), config_epoch: u64) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let old = m.inst.addr();
        let detail = format!("{name} {} {} {} {}", old.0, old.1, new.0, new.1);
        // The replicas other than the new master, then the old master: the order Redis adds them (and logs
        // +slave) in `sentinelResetMasterAndChangeAddress`.
        let mut replicas: Vec<(String, u16)> = m.replicas.keys().filter(|a| **a != new).cloned().collect();
        if old != new {
            replicas.push(old);
        }
        // `sentinelResetMasterAndChangeAddress`: the master is reset at its new address with the other
        // sentinels kept (their last answers too: they age out after 5 s as usual).
        m.inst.ip = new.0.clone();
        m.inst.port = new.1;
        m.reset(ctx.now, true);
        m.replicas =
            replicas.iter().map(|a| (a.clone(), Instance::reporting(a.0.clone(), a.1, ctx.now, "slave"))).collect();
        m.config_epoch = config_epoch;
        self.event(ctx, "+switch-master", detail);
        let m = &self.masters[name];
        let added: Vec<String> = replicas.iter().map(|a| m.describe_replica(a)).collect();
        for d in added {
            self.event(ctx, "+slave", d);
        }
    }
}

/// A Unix time in seconds as C's `ctime` writes it (in UTC, without the newline):
/// `Wed Nov 25 03:16:06 2026`.
fn ctime(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (days, secs) = (unix_secs / 86_400, unix_secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, for dates after 1970).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{} {} {day:2} {:02}:{:02}:{:02} {year}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// SENTINEL SIMULATE-FAILURE: the sentinel exits (Redis calls `exit(99)`).
pub(super) fn simulated_crash(ctx: &mut Ctx<'_>) {
    ctx.out.exit("Sentinel CRASH because of SENTINEL simulate-failure");
}

#[cfg(test)]
mod tests {
    #[test]
    fn ctime_writes_like_c() {
        assert_eq!(super::ctime(0), "Thu Jan  1 00:00:00 1970");
        // `date -u -d @1795576566`
        assert_eq!(super::ctime(1_795_576_566), "Wed Nov 25 03:16:06 2026");
        assert_eq!(super::ctime(951_782_400), "Tue Feb 29 00:00:00 2000");
    }
}
