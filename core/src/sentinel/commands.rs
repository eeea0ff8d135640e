//! What a sentinel answers: PING, INFO, ROLE, PUBLISH (hellos), SUBSCRIBE (event channels) and the SENTINEL
//! subcommands, with Redis's reply shapes and error words.

use super::instances::{FailoverState, Instance, MasterState, Peer};
use super::Sentinel;
use crate::process::{Ctx, ProcId};
use crate::resp::Reply;
use crate::time::SimTime;
use std::fmt::{Display, Write};

/// A RESP2 map: a flat array of field names and values, as the SENTINEL MASTER(S), REPLICAS and SENTINELS
/// replies are. Values are written with `Display`, one formatting call for every field.
struct FlatMap(Vec<Reply>);

impl FlatMap {
    fn field(&mut self, name: &str, value: &dyn Display) -> &mut Self {
        self.0.push(Reply::bulk(name));
        self.0.push(Reply::Bulk(value.to_string().into_bytes()));
        self
    }
}

fn flags(inst: &Instance, kind: &str, odown: bool, failover: bool) -> String {
    let mut f = kind.to_string();
    for (set, flag) in [
        (inst.sdown_since.is_some(), ",s_down"),
        (odown, ",o_down"),
        (inst.link.disconnected, ",disconnected"),
        (failover, ",failover_in_progress"),
    ] {
        if set {
            f.push_str(flag);
        }
    }
    f
}

fn master_reply(m: &MasterState, now: SimTime) -> Reply {
    let i = &m.inst;
    let mut map = FlatMap(Vec::new());
    map.field("name", &m.name).field("ip", &i.ip).field("port", &i.port);
    map.field("runid", &i.run_id.as_deref().unwrap_or_default());
    map.field("flags", &flags(i, "master", m.odown_since.is_some(), m.failover_in_progress()));
    map.field("last-ping-reply", &(now - i.link.last_avail));
    map.field("down-after-milliseconds", &m.down_after_ms);
    map.field("role-reported", &i.role.as_deref().unwrap_or("master"));
    map.field("config-epoch", &m.config_epoch).field("num-slaves", &m.replicas.len());
    map.field("num-other-sentinels", &m.sentinels.len()).field("quorum", &m.quorum);
    map.field("failover-timeout", &m.failover_timeout_ms).field("parallel-syncs", &m.parallel_syncs);
    map.field("failover-state", &m.failover_state.as_str());
    Reply::Array(map.0)
}

fn replica_reply(m: &MasterState, r: &Instance, now: SimTime) -> Reply {
    let (mh, mp) = r.master_host.clone().unwrap_or_default();
    let mut map = FlatMap(Vec::new());
    map.field("name", &format_args!("{}:{}", r.ip, r.port)).field("ip", &r.ip).field("port", &r.port);
    map.field("runid", &r.run_id.as_deref().unwrap_or_default());
    map.field("flags", &flags(r, "slave", false, false));
    map.field("last-ping-reply", &(now - r.link.last_avail));
    map.field("role-reported", &r.role.as_deref().unwrap_or("slave"));
    map.field("master-link-status", &if r.master_link_up { "ok" } else { "err" });
    map.field("master-host", &mh).field("master-port", &mp);
    map.field("slave-priority", &r.priority).field("slave-repl-offset", &r.repl_offset);
    map.field("monitored-master", &m.name);
    Reply::Array(map.0)
}

fn sentinel_reply(p: &Peer, now: SimTime) -> Reply {
    let mut map = FlatMap(Vec::new());
    map.field("name", &p.run_id).field("ip", &p.inst.ip).field("port", &p.inst.port);
    map.field("runid", &p.run_id).field("flags", &flags(&p.inst, "sentinel", false, false));
    map.field("last-hello-message", &(now - p.last_hello));
    map.field("voted-leader", &p.leader.as_deref().unwrap_or("?"));
    map.field("voted-leader-epoch", &p.leader_epoch);
    Reply::Array(map.0)
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
        let _ = write!(s, "sentinel_masters:{}\r\nsentinel_tilt:0\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n", self.masters.len());
        for (i, m) in self.masters.values().enumerate() {
            let status = if m.odown_since.is_some() {
                "odown"
            } else if m.inst.sdown_since.is_some() {
                "sdown"
            } else {
                "ok"
            };
            let (ip, port) = m.inst.addr();
            let _ = write!(
                s,
                "master{i}:name={},status={status},address={ip}:{port},slaves={},sentinels={}\r\n",
                m.name,
                m.replicas.len(),
                m.sentinels.len() + 1
            );
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
                Ok(m) => Reply::Array(m.sentinels.values().map(|p| sentinel_reply(p, now)).collect()),
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
