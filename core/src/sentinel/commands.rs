//! What a sentinel answers: PING, INFO, ROLE, PUBLISH (hellos), SUBSCRIBE (event channels) and the SENTINEL
//! subcommands, with Redis's reply shapes and error words.

use super::instances::{FailoverState, Instance, MasterState};
use super::Sentinel;
use crate::process::{Ctx, ProcId};
use crate::resp::Reply;

fn flat(pairs: Vec<(&str, String)>) -> Reply {
    Reply::Array(pairs.into_iter().flat_map(|(k, v)| [Reply::bulk(k), Reply::bulk(v)]).collect())
}

fn flags(inst: &Instance, kind: &str, odown: bool, failover: bool) -> String {
    let mut f = vec![kind.to_string()];
    if inst.sdown_since.is_some() {
        f.push("s_down".into());
    }
    if odown {
        f.push("o_down".into());
    }
    if inst.link.disconnected {
        f.push("disconnected".into());
    }
    if failover {
        f.push("failover_in_progress".into());
    }
    f.join(",")
}

fn master_reply(m: &MasterState, now: crate::time::SimTime) -> Reply {
    let i = &m.inst;
    flat(vec![
        ("name", m.name.clone()),
        ("ip", i.ip.clone()),
        ("port", i.port.to_string()),
        ("runid", i.run_id.clone().unwrap_or_default()),
        ("flags", flags(i, "master", m.odown_since.is_some(), m.failover_in_progress())),
        ("last-ping-reply", (now - i.link.last_avail).to_string()),
        ("down-after-milliseconds", m.down_after_ms.to_string()),
        ("role-reported", i.role.clone().unwrap_or_else(|| "master".into())),
        ("config-epoch", m.config_epoch.to_string()),
        ("num-slaves", m.replicas.len().to_string()),
        ("num-other-sentinels", m.sentinels.len().to_string()),
        ("quorum", m.quorum.to_string()),
        ("failover-timeout", m.failover_timeout_ms.to_string()),
        ("parallel-syncs", m.parallel_syncs.to_string()),
        ("failover-state", m.failover_state.as_str().to_string()),
    ])
}

fn replica_reply(m: &MasterState, r: &Instance, now: crate::time::SimTime) -> Reply {
    let (mh, mp) = r.master_host.clone().unwrap_or_default();
    flat(vec![
        ("name", format!("{}:{}", r.ip, r.port)),
        ("ip", r.ip.clone()),
        ("port", r.port.to_string()),
        ("runid", r.run_id.clone().unwrap_or_default()),
        ("flags", flags(r, "slave", false, false)),
        ("last-ping-reply", (now - r.link.last_avail).to_string()),
        ("role-reported", r.role.clone().unwrap_or_else(|| "slave".into())),
        ("master-link-status", if r.master_link_up { "ok" } else { "err" }.into()),
        ("master-host", mh),
        ("master-port", mp.to_string()),
        ("slave-priority", r.priority.to_string()),
        ("slave-repl-offset", r.repl_offset.to_string()),
        ("monitored-master", m.name.clone()),
    ])
}

impl Sentinel {
    pub(crate) fn command(&mut self, ctx: &mut Ctx<'_>, caller: Option<ProcId>, args: &[Vec<u8>]) -> Reply {
        let Some(name) = args.first() else { return Reply::err("ERR empty command") };
        let cmd = String::from_utf8_lossy(name).to_ascii_lowercase();
        let arity = || Reply::err(format!("ERR wrong number of arguments for '{cmd}' command"));
        match cmd.as_str() {
            "ping" => Reply::Status("PONG".into()),
            "role" => Reply::Array(vec![
                Reply::bulk("sentinel"),
                Reply::Array(self.masters.keys().map(Reply::bulk).collect()),
            ]),
            "info" => Reply::Bulk(self.info().into_bytes()),
            "publish" if args.len() == 3 => {
                if args[1] == super::HELLO_CHANNEL {
                    self.process_hello(ctx, &String::from_utf8_lossy(&args[2]));
                }
                Reply::Int(1)
            }
            "subscribe" if args.len() >= 2 => match caller {
                None => Reply::err("ERR the simulator's console cannot stay subscribed; use a client process"),
                Some(c) => {
                    for ch in &args[1..] {
                        self.subscribers.entry(ch.clone()).or_default().insert(c);
                    }
                    Reply::Array(vec![
                        Reply::bulk("subscribe"),
                        Reply::bulk(&args[1]),
                        Reply::Int(args.len() as i64 - 1),
                    ])
                }
            },
            "publish" | "subscribe" => arity(),
            "sentinel" if args.len() >= 2 => self.sentinel_command(ctx, args),
            "sentinel" => Reply::err("ERR wrong number of arguments for 'sentinel' command"),
            _ => Reply::err(crate::server::unknown_command_error(args)),
        }
    }

    fn info(&self) -> String {
        let mut s = String::from("# Sentinel\r\n");
        s.push_str(&format!("sentinel_masters:{}\r\nsentinel_tilt:0\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n", self.masters.len()));
        for (i, m) in self.masters.values().enumerate() {
            let status = if m.odown_since.is_some() {
                "odown"
            } else if m.inst.sdown_since.is_some() {
                "sdown"
            } else {
                "ok"
            };
            let (ip, port) = m.inst.addr();
            s.push_str(&format!(
                "master{i}:name={},status={status},address={ip}:{port},slaves={},sentinels={}\r\n",
                m.name,
                m.replicas.len(),
                m.sentinels.len() + 1
            ));
        }
        s
    }

    fn master_or_err(&self, name: &[u8]) -> Result<&MasterState, Reply> {
        self.masters
            .get(String::from_utf8_lossy(name).as_ref())
            .ok_or_else(|| Reply::err("ERR No such master with that name"))
    }

    fn sentinel_command(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
        let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
        let wrong = || Reply::err(format!("ERR wrong number of arguments for 'sentinel|{sub}' command"));
        let now = ctx.now;
        match sub.as_str() {
            "myid" => Reply::bulk(&self.run_id),
            "masters" => Reply::Array(self.masters.values().map(|m| master_reply(m, now)).collect()),
            "master" if args.len() == 3 => match self.master_or_err(&args[2]) {
                Ok(m) => master_reply(m, now),
                Err(e) => e,
            },
            "replicas" | "slaves" if args.len() == 3 => match self.master_or_err(&args[2]) {
                Ok(m) => Reply::Array(m.replicas.values().map(|r| replica_reply(m, r, now)).collect()),
                Err(e) => e,
            },
            "sentinels" if args.len() == 3 => match self.master_or_err(&args[2]) {
                Ok(m) => Reply::Array(
                    m.sentinels
                        .values()
                        .map(|p| {
                            flat(vec![
                                ("name", p.run_id.clone()),
                                ("ip", p.inst.ip.clone()),
                                ("port", p.inst.port.to_string()),
                                ("runid", p.run_id.clone()),
                                ("flags", flags(&p.inst, "sentinel", false, false)),
                                ("last-hello-message", (now - p.last_hello).to_string()),
                                ("voted-leader", p.leader.clone().unwrap_or_else(|| "?".into())),
                                ("voted-leader-epoch", p.leader_epoch.to_string()),
                            ])
                        })
                        .collect(),
                ),
                Err(e) => e,
            },
            "get-master-addr-by-name" if args.len() == 3 => {
                match self.masters.get(String::from_utf8_lossy(&args[2]).as_ref()) {
                    Some(m) => {
                        let (ip, port) = m.current_address();
                        Reply::Array(vec![Reply::bulk(ip), Reply::bulk(port.to_string())])
                    }
                    None => Reply::NilArray,
                }
            }
            "ckquorum" if args.len() == 3 => match self.master_or_err(&args[2]) {
                Ok(m) => {
                    let usable = 1 + m.sentinels.values().filter(|p| p.inst.sdown_since.is_none()).count() as u32;
                    let voters = m.sentinels.len() as u32 + 1;
                    if usable < m.quorum {
                        Reply::err(format!("NOQUORUM {usable} usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master"))
                    } else if usable < voters / 2 + 1 {
                        Reply::err(format!("NOQUORUM {usable} usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover"))
                    } else {
                        Reply::Status(format!(
                            "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
                        ))
                    }
                }
                Err(e) => e,
            },
            "failover" if args.len() == 3 => {
                let name = String::from_utf8_lossy(&args[2]).into_owned();
                let m = match self.master_or_err(&args[2]) {
                    Ok(m) => m,
                    Err(e) => return e,
                };
                if m.failover_state != FailoverState::None {
                    return Reply::err("INPROG Failover already in progress");
                }
                let good =
                    m.replicas.values().any(|r| r.sdown_since.is_none() && !r.link.disconnected && r.priority != 0);
                if !good {
                    return Reply::err("NOGOODSLAVE No suitable replica to promote");
                }
                self.begin_failover(ctx, &name, true);
                Reply::ok()
            }
            "reset" if args.len() == 3 => {
                let pattern = args[2].clone();
                let names: Vec<String> = self
                    .masters
                    .keys()
                    .filter(|n| crate::glob::glob_match(&pattern, n.as_bytes(), false))
                    .cloned()
                    .collect();
                for n in &names {
                    if let Some(m) = self.masters.get_mut(n) {
                        m.replicas.clear();
                        m.sentinels.clear();
                        m.failover_state = FailoverState::None;
                        m.odown_since = None;
                        m.inst.sdown_since = None;
                        let detail = m.describe();
                        self.event(ctx, "+reset-master", detail);
                    }
                }
                Reply::Int(names.len() as i64)
            }
            "is-master-down-by-addr" if args.len() == 6 => {
                let ip = String::from_utf8_lossy(&args[2]).into_owned();
                let port: u16 = String::from_utf8_lossy(&args[3]).parse().unwrap_or(0);
                let epoch: u64 = String::from_utf8_lossy(&args[4]).parse().unwrap_or(0);
                let runid = String::from_utf8_lossy(&args[5]).into_owned();
                let Some(name) =
                    self.masters.iter().find(|(_, m)| m.inst.ip == ip && m.inst.port == port).map(|(n, _)| n.clone())
                else {
                    return Reply::Array(vec![Reply::Int(0), Reply::bulk("*"), Reply::Int(0)]);
                };
                let down = self.masters[&name].inst.sdown_since.is_some();
                let (leader, leader_epoch) =
                    if runid != "*" { self.vote(ctx, &name, epoch, &runid) } else { (None, 0) };
                Reply::Array(vec![
                    Reply::Int(i64::from(down)),
                    Reply::bulk(leader.unwrap_or_else(|| "*".into())),
                    Reply::Int(leader_epoch as i64),
                ])
            }
            "monitor" if args.len() == 6 => {
                let name = String::from_utf8_lossy(&args[2]).into_owned();
                if self.masters.contains_key(&name) {
                    return Reply::err("ERR Duplicated master name");
                }
                let quorum: u32 = match String::from_utf8_lossy(&args[5]).parse() {
                    Ok(q) if q > 0 => q,
                    _ => return Reply::err("ERR Quorum must be 1 or greater."),
                };
                let port: u16 = match String::from_utf8_lossy(&args[4]).parse() {
                    Ok(p) if p > 0 => p,
                    _ => return Reply::err("ERR Invalid port"),
                };
                let spec = super::MonitorSpec {
                    name: name.clone(),
                    host: String::from_utf8_lossy(&args[3]).into_owned(),
                    port,
                    quorum,
                    down_after_ms: 30_000,
                    failover_timeout_ms: 180_000,
                    parallel_syncs: 1,
                };
                let m = MasterState::new(&spec, now);
                let detail = format!("{} quorum {quorum}", m.describe());
                self.masters.insert(name, m);
                self.event(ctx, "+monitor", detail);
                Reply::ok()
            }
            "remove" if args.len() == 3 => match self.masters.remove(String::from_utf8_lossy(&args[2]).as_ref()) {
                Some(m) => {
                    self.event(ctx, "-monitor", m.describe());
                    Reply::ok()
                }
                None => Reply::err("ERR No such master with that name"),
            },
            "master"
            | "replicas"
            | "slaves"
            | "sentinels"
            | "get-master-addr-by-name"
            | "ckquorum"
            | "failover"
            | "reset"
            | "is-master-down-by-addr"
            | "monitor"
            | "remove" => wrong(),
            _ => Reply::err(format!(
                "ERR unknown subcommand '{}'. Try SENTINEL HELP.",
                String::from_utf8_lossy(&args[1])
            )),
        }
    }
}
