//! What a sentinel learns from the instances it watches: the replies to its PING and INFO (roles, replicas,
//! links, the promotion it waits for) and the hellos on `__sentinel__:hello` (the other sentinels, and the
//! newer configuration they announce) — each with the event Redis's sentinel emits.

use super::failover::simulated_crash;
use super::instances::{FailoverState, Instance, Peer, Reconf};
use super::{Ask, Pending, Sentinel, Target, CRASH_AFTER_PROMOTION, HELLO_PERIOD_MS, INFO_PERIOD_MS};
use crate::process::Ctx;
use crate::resp::Reply;
use crate::time::SimTime;
use crate::trace::TraceEvent;

impl Sentinel {
    pub(crate) fn handle_reply(&mut self, ctx: &mut Ctx<'_>, p: Pending, reply: Reply) {
        let name = p.master.clone();
        let now = ctx.now;
        match p.ask {
            Ask::Ping => {
                let valid = match &reply {
                    Reply::Status(s) => s == "PONG",
                    Reply::Error(e) => e.starts_with("LOADING") || e.starts_with("MASTERDOWN"),
                    _ => false,
                };
                if let Some(inst) = self.instance_mut(&name, &p.target) {
                    inst.link.disconnected = false;
                    inst.link.last_pong = now;
                    if valid {
                        inst.link.last_avail = now;
                        inst.link.act_ping = None;
                    }
                }
            }
            Ask::Info => {
                if let Some(inst) = self.instance_mut(&name, &p.target) {
                    inst.link.info_pending = false;
                    inst.link.disconnected = false;
                }
                if let Reply::Bulk(text) = reply {
                    self.process_info(ctx, &name, &p.target, &String::from_utf8_lossy(&text));
                }
            }
            Ask::IsMasterDown => {
                if let (Target::Peer(id), Reply::Array(items)) = (&p.target, &reply) {
                    let down = matches!(items.first(), Some(Reply::Int(1)));
                    let leader = match items.get(1) {
                        Some(Reply::Bulk(b)) if b.as_slice() != b"*" => Some(String::from_utf8_lossy(b).into_owned()),
                        _ => None,
                    };
                    let epoch = match items.get(2) {
                        Some(Reply::Int(e)) => *e as u64,
                        _ => 0,
                    };
                    if let Some(peer) = self.masters.get_mut(&name).and_then(|m| m.sentinels.get_mut(id)) {
                        peer.master_down = down;
                        peer.last_down_reply = now;
                        if let Some(leader) = leader {
                            if peer.leader_epoch != epoch {
                                let text = format!("{id} voted for {leader} {epoch}");
                                ctx.out.note(TraceEvent::Log { proc: ctx.me, text });
                            }
                            peer.leader = Some(leader);
                            peer.leader_epoch = epoch;
                        }
                    }
                }
            }
            Ask::Publish | Ask::Subscribe | Ask::Replicaof => {
                if let Some(inst) = self.instance_mut(&name, &p.target) {
                    inst.link.disconnected = false;
                }
            }
        }
    }

    /// Read an instance's INFO: discover replicas from a master's, learn a replica's role, link, priority and
    /// offset — and move the failover along when a promotion or a reconfiguration shows.
    fn process_info(&mut self, ctx: &mut Ctx<'_>, name: &str, target: &Target, info: &str) {
        let field = |k: &str| info.split("\r\n").find_map(|l| l.strip_prefix(&format!("{k}:")).map(str::to_string));
        let role = field("role");
        let run_id = field("run_id");
        let master_host = field("master_host").zip(field("master_port").and_then(|p| p.parse::<u16>().ok()));
        let link_up = field("master_link_status").as_deref() == Some("up");
        let link_down_ms = field("master_link_down_since_seconds")
            .and_then(|s| s.parse::<i64>().ok())
            .map_or(0, |s| s.saturating_mul(1000));
        let priority = field("slave_priority").and_then(|s| s.parse().ok()).unwrap_or(100);
        let offset = field("slave_repl_offset").and_then(|s| s.parse().ok()).unwrap_or(0);
        let now = ctx.now;
        let mut rebooted = false;
        let mut role_changed = false;
        if let Some(inst) = self.instance_mut(name, target) {
            inst.link.last_info = Some(now);
            inst.info = Some(info.to_string());
            if inst.role != role && matches!(role.as_deref(), Some("master" | "slave")) {
                inst.role = role.clone();
                inst.role_since = now;
                if role.as_deref() == Some("slave") {
                    inst.master_since = now;
                }
                role_changed = true;
            }
            rebooted = run_id.is_some() && inst.run_id.is_some() && inst.run_id != run_id;
            inst.run_id = run_id;
            if inst.master_host != master_host {
                inst.master_host = master_host.clone();
                inst.master_since = now;
            }
            inst.master_link_up = link_up;
            inst.master_link_down_ms = link_down_ms;
            inst.priority = priority;
            inst.repl_offset = offset;
        }
        if rebooted {
            let m = &self.masters[name];
            let detail = match target {
                Target::Replica(a) => m.describe_replica(a),
                _ => m.describe(),
            };
            self.event(ctx, "+reboot", detail);
        }
        // A master's INFO lists its replicas: new ones are added.
        if *target == Target::Master && role.as_deref() == Some("master") {
            let mut found = Vec::new();
            for line in info.split("\r\n").filter(|l| l.starts_with("slave") && l.contains(":ip=")) {
                let kv = |k: &str| {
                    line.split(['=', ',', ':'])
                        .collect::<Vec<_>>()
                        .windows(2)
                        .find(|w| w[0] == k)
                        .map(|w| w[1].to_string())
                };
                if let (Some(ip), Some(port)) = (kv("ip"), kv("port").and_then(|p| p.parse::<u16>().ok())) {
                    found.push((ip, port));
                }
            }
            for a in found {
                let m = self.masters.get_mut(name).unwrap_or_else(|| unreachable!());
                if !m.replicas.contains_key(&a) && a != m.inst.addr() {
                    m.replicas.insert(a.clone(), Instance::reporting(a.0.clone(), a.1, now, "slave"));
                    let detail = m.describe_replica(&a);
                    self.event(ctx, "+slave", detail);
                }
            }
        }
        // Published at Redis's verbose level: not in its default log, but on pub/sub for every subscriber.
        if let (true, Some(role)) = (role_changed, role.as_deref()) {
            let m = &self.masters[name];
            let (described, kind) = match target {
                Target::Replica(a) => (m.describe_replica(a), "slave"),
                _ => (m.describe(), "master"),
            };
            let event = if role == kind { "+role-change" } else { "-role-change" };
            self.event(ctx, event, format!("{described} new reported role is {role}"));
        }
        let Target::Replica(addr) = target else { return };
        let m = &self.masters[name];
        // The promoted replica now says it is a master.
        if m.failover_state == FailoverState::WaitPromotion
            && m.promoted.as_ref() == Some(addr)
            && role.as_deref() == Some("master")
        {
            let epoch = m.failover_epoch;
            let detail = m.describe_replica(addr);
            let m = self.masters.get_mut(name).unwrap_or_else(|| unreachable!());
            m.config_epoch = epoch;
            let master_detail = m.describe();
            self.event(ctx, "+promoted-slave", detail);
            if self.simulate_failure & CRASH_AFTER_PROMOTION != 0 {
                return simulated_crash(ctx);
            }
            self.set_state(ctx, name, FailoverState::ReconfSlaves, "+failover-state-reconf-slaves", master_detail);
            self.force_hello_update(name);
            return;
        }
        self.reconfigure_if_misplaced(ctx, name, addr);
        let m = &self.masters[name];
        // A replica being reconfigured: first it names the new master, then its link comes up.
        if m.failover_state == FailoverState::ReconfSlaves {
            let promoted = m.promoted.clone();
            let reconf = m.replicas.get(addr).map(|r| r.reconf);
            let points_to_new = master_host.is_some() && master_host == promoted;
            let next = match reconf {
                Some(Reconf::Sent(_)) if points_to_new && link_up => {
                    Some((Reconf::Done, vec!["+slave-reconf-inprog", "+slave-reconf-done"]))
                }
                Some(Reconf::Sent(_)) if points_to_new => Some((Reconf::InProgress, vec!["+slave-reconf-inprog"])),
                Some(Reconf::InProgress) if points_to_new && link_up => {
                    Some((Reconf::Done, vec!["+slave-reconf-done"]))
                }
                _ => None,
            };
            if let Some((state, events)) = next {
                let detail = m.describe_replica(addr);
                if let Some(r) = self.masters.get_mut(name).and_then(|m| m.replicas.get_mut(addr)) {
                    r.reconf = state;
                }
                for e in events {
                    self.event(ctx, e, detail.clone());
                }
            }
        }
    }

    /// `sentinelForceHelloUpdateForMaster`: make every link of this master due for a hello at the next timer
    /// tick, so that the other sentinels learn of the promotion at once rather than within the 2 s period.
    fn force_hello_update(&mut self, name: &str) {
        let Some(m) = self.masters.get_mut(name) else { return };
        let peers = m.sentinels.values_mut().map(|p| &mut p.inst);
        for inst in std::iter::once(&mut m.inst).chain(m.replicas.values_mut()).chain(peers) {
            let t = &mut inst.link.last_hello_sent;
            if t.ms() > HELLO_PERIOD_MS {
                *t = SimTime(t.ms() - (HELLO_PERIOD_MS + 1));
            }
        }
    }

    /// Judged on each INFO of a replica, as in Redis's `sentinelRefreshInstanceInfo`: one that claims to be a
    /// master (an old master come back) is told to replicate from the current master once it has said so
    /// for 8 s (`+convert-to-slave`); one that follows another master, once that has lasted failover-timeout
    /// (`+fix-slave-config`). Only while the master looks sane and the replica has not been down lately.
    fn reconfigure_if_misplaced(&mut self, ctx: &mut Ctx<'_>, name: &str, addr: &(String, u16)) {
        let now = ctx.now;
        let m = &self.masters[name];
        let Some(r) = m.replicas.get(addr) else { return };
        let master = m.inst.addr();
        let master_looks_sane = m.inst.role.as_deref().is_none_or(|r| r == "master")
            && m.inst.sdown_since.is_none()
            && m.odown_since.is_none()
            && m.inst.link.last_info.is_some_and(|t| now - t < 2 * INFO_PERIOD_MS);
        let convert_wait = 4 * HELLO_PERIOD_MS;
        let event = match (r.role.as_deref(), &r.master_host) {
            (Some("master"), _)
                if m.promoted.as_ref() != Some(addr)
                    && r.no_down_for(convert_wait, now)
                    && now - r.role_since > convert_wait =>
            {
                "+convert-to-slave"
            }
            (Some("slave"), Some(h))
                if *h != master
                    && r.no_down_for(m.failover_timeout_ms, now)
                    && now - r.master_since > m.failover_timeout_ms =>
            {
                "+fix-slave-config"
            }
            _ => return,
        };
        if !master_looks_sane {
            return;
        }
        let words = ["REPLICAOF", &master.0, &master.1.to_string()];
        if self.send(ctx, name, Target::Replica(addr.clone()), Ask::Replicaof, &words) {
            let detail = self.masters[name].describe_replica(addr);
            self.event(ctx, event, detail);
        }
    }

    /// A hello from another sentinel (through an instance's pub/sub, or sent to us directly).
    pub(crate) fn process_hello(&mut self, ctx: &mut Ctx<'_>, hello: &str) {
        let f: Vec<&str> = hello.split(',').collect();
        if f.len() != 8 {
            return;
        }
        let (ip, port, run_id, epoch, name, mip, mport, mepoch) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
        let (Ok(port), Ok(epoch), Ok(mport), Ok(mepoch)) =
            (port.parse::<u16>(), epoch.parse::<u64>(), mport.parse::<u16>(), mepoch.parse::<u64>())
        else {
            return;
        };
        if run_id == self.run_id || !self.masters.contains_key(name) {
            return;
        }
        let now = ctx.now;
        let m = self.masters.get_mut(name).unwrap_or_else(|| unreachable!());
        if !m.sentinels.contains_key(run_id) {
            // A sentinel restarted with a new run id at the same address replaces its old entry.
            m.sentinels.retain(|_, p| !(p.inst.ip == ip && p.inst.port == port));
            m.sentinels.insert(run_id.to_string(), Peer::new(run_id.to_string(), ip.to_string(), port, now));
            let detail = m.describe_peer(run_id, ip, port);
            self.event(ctx, "+sentinel", detail);
        } else if let Some(p) = m.sentinels.get_mut(run_id) {
            p.last_hello = now;
        }
        if epoch > self.current_epoch {
            self.current_epoch = epoch;
            self.event(ctx, "+new-epoch", epoch.to_string());
        }
        let m = &self.masters[name];
        if mepoch > m.config_epoch && (mip, mport) != (m.inst.ip.as_str(), m.inst.port) {
            let detail = format!("sentinel {run_id} {ip} {port} @ {name} {} {}", m.inst.ip, m.inst.port);
            self.event(ctx, "+config-update-from", detail);
            self.switch_master(ctx, name, (mip.to_string(), mport), mepoch);
        } else if mepoch > m.config_epoch {
            self.masters.get_mut(name).unwrap_or_else(|| unreachable!()).config_epoch = mepoch;
        }
    }
}
