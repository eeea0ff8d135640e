//! What a sentinel answers: the fifteen commands of Redis's sentinel mode that the simulator models (PING,
//! INFO, ROLE, PUBLISH of hellos, SUBSCRIBE to event channels, SENTINEL and its subcommands), with Redis
//! 7.0's reply shapes, field orders and error words.

use super::instances::{FailoverState, Instance, MasterState, Peer, Reconf};
use super::{Sentinel, CRASH_AFTER_ELECTION, CRASH_AFTER_PROMOTION};
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

/// What `addReplySentinelRedisInstance` shows of an instance, whatever its kind.
struct Shown<'a> {
    inst: &'a Instance,
    /// `master`, `slave` or `sentinel`.
    kind: &'static str,
    odown_since: Option<SimTime>,
    /// The flags after the kind and `disconnected`, in Redis's order (`master_down`, `failover_in_progress`,
    /// `promoted`, `reconf_*`, `force_failover`).
    more_flags: Vec<&'static str>,
    /// How many commands wait for a reply on its link.
    pending: usize,
    down_after_ms: u64,
}

impl Shown<'_> {
    /// The flags in Redis's order: s_down, o_down, the kind, disconnected, then the rest.
    fn flags(&self) -> String {
        let mut f: Vec<&str> = Vec::new();
        if self.inst.sdown_since.is_some() {
            f.push("s_down");
        }
        if self.odown_since.is_some() {
            f.push("o_down");
        }
        f.push(self.kind);
        if self.inst.link.disconnected {
            f.push("disconnected");
        }
        f.extend(&self.more_flags);
        f.join(",")
    }

    /// The fields every kind has, up to down-after-milliseconds (with failover-state between link-refcount
    /// and last-ping-sent while a failover runs).
    fn common(&self, map: &mut FlatMap, name: &dyn Display, failover: Option<FailoverState>, now: SimTime) {
        let (i, link) = (self.inst, &self.inst.link);
        map.field("name", name).field("ip", &i.ip).field("port", &i.port);
        map.field("runid", &i.run_id.as_deref().unwrap_or_default()).field("flags", &self.flags());
        map.field("link-pending-commands", &self.pending).field("link-refcount", &1);
        if let Some(state) = failover {
            map.field("failover-state", &state.as_str());
        }
        map.field("last-ping-sent", &link.act_ping.map_or(0, |t| now - t));
        map.field("last-ok-ping-reply", &(now - link.last_avail));
        map.field("last-ping-reply", &(now - link.last_pong));
        if let Some(t) = i.sdown_since {
            map.field("s-down-time", &(now - t));
        }
        if let Some(t) = self.odown_since {
            map.field("o-down-time", &(now - t));
        }
        map.field("down-after-milliseconds", &self.down_after_ms);
    }

    /// info-refresh, role-reported and role-reported-time, for masters and replicas.
    fn role(&self, map: &mut FlatMap, default_role: &str, now: SimTime) {
        let i = self.inst;
        map.field("info-refresh", &i.link.last_info.map_or(0, |t| now - t));
        map.field("role-reported", &i.role.as_deref().unwrap_or(default_role));
        map.field("role-reported-time", &(now - i.role_since));
    }
}

impl Sentinel {
    /// Commands waiting for a reply from the process at `ip:port`.
    fn pending_to(&self, ctx: &Ctx<'_>, inst: &Instance) -> usize {
        let to = ctx.resolve(&inst.ip, inst.port);
        self.pending.values().filter(|p| Some(p.to) == to).count()
    }

    fn master_reply(&self, ctx: &Ctx<'_>, m: &MasterState) -> Reply {
        let now = ctx.now;
        let mut more_flags = Vec::new();
        if m.failover_in_progress() {
            more_flags.push("failover_in_progress");
        }
        if m.forced {
            more_flags.push("force_failover");
        }
        let shown = Shown {
            inst: &m.inst,
            kind: "master",
            odown_since: m.odown_since,
            more_flags,
            pending: self.pending_to(ctx, &m.inst),
            down_after_ms: m.down_after_ms,
        };
        let mut map = FlatMap(Vec::new());
        shown.common(&mut map, &m.name, m.failover_in_progress().then_some(m.failover_state), now);
        shown.role(&mut map, "master", now);
        map.field("config-epoch", &m.config_epoch).field("num-slaves", &m.replicas.len());
        map.field("num-other-sentinels", &m.sentinels.len()).field("quorum", &m.quorum);
        map.field("failover-timeout", &m.failover_timeout_ms).field("parallel-syncs", &m.parallel_syncs);
        Reply::Array(map.0)
    }

    fn replica_reply(&self, ctx: &Ctx<'_>, m: &MasterState, r: &Instance) -> Reply {
        let now = ctx.now;
        let mut more_flags = Vec::new();
        if m.promoted.as_ref() == Some(&r.addr()) {
            more_flags.push("promoted");
        }
        match r.reconf {
            Reconf::Sent(_) => more_flags.push("reconf_sent"),
            Reconf::InProgress => more_flags.push("reconf_inprog"),
            Reconf::Done => more_flags.push("reconf_done"),
            Reconf::None => {}
        }
        let shown = Shown {
            inst: r,
            kind: "slave",
            odown_since: None,
            more_flags,
            pending: self.pending_to(ctx, r),
            down_after_ms: m.down_after_ms,
        };
        let mut map = FlatMap(Vec::new());
        shown.common(&mut map, &format_args!("{}:{}", r.ip, r.port), None, now);
        shown.role(&mut map, "slave", now);
        let (mh, mp) = match &r.master_host {
            Some((h, p)) => (h.as_str(), *p),
            None => ("?", 0),
        };
        map.field("master-link-down-time", &r.master_link_down_ms);
        map.field("master-link-status", &if r.master_link_up { "ok" } else { "err" });
        map.field("master-host", &mh).field("master-port", &mp);
        map.field("slave-priority", &r.priority).field("slave-repl-offset", &r.repl_offset);
        map.field("replica-announced", &1);
        Reply::Array(map.0)
    }

    fn sentinel_reply(&self, ctx: &Ctx<'_>, m: &MasterState, p: &Peer) -> Reply {
        let now = ctx.now;
        let shown = Shown {
            inst: &p.inst,
            kind: "sentinel",
            odown_since: None,
            more_flags: if p.master_down { vec!["master_down"] } else { Vec::new() },
            pending: self.pending_to(ctx, &p.inst),
            down_after_ms: m.down_after_ms,
        };
        let mut map = FlatMap(Vec::new());
        shown.common(&mut map, &p.run_id, None, now);
        map.field("last-hello-message", &(now - p.last_hello));
        map.field("voted-leader", &p.leader.as_deref().unwrap_or("?"));
        map.field("voted-leader-epoch", &p.leader_epoch);
        Reply::Array(map.0)
    }
}

/// The commands of Redis's sentinel mode and their arities (negative: at least that many words).
const COMMANDS: &[(&str, i64)] = &[
    ("ping", -1),
    ("info", -1),
    ("role", 1),
    ("subscribe", -2),
    ("publish", 3),
    ("psubscribe", -2),
    ("unsubscribe", -1),
    ("punsubscribe", -1),
    ("sentinel", -2),
];

/// SENTINEL's subcommands and their arities, from Redis 7.0's command table.
const SUBCOMMANDS: &[(&str, i64)] = &[
    ("ckquorum", 3),
    ("config", -3),
    ("debug", -2),
    ("failover", 3),
    ("flushconfig", 2),
    ("get-master-addr-by-name", 3),
    ("help", 2),
    ("info-cache", -3),
    ("is-master-down-by-addr", 6),
    ("master", 3),
    ("masters", 2),
    ("monitor", 6),
    ("myid", 2),
    ("pending-scripts", 2),
    ("remove", 3),
    ("replicas", 3),
    ("reset", 3),
    ("sentinels", 3),
    ("set", -5),
    ("simulate-failure", -3),
    ("slaves", 3),
];

fn arity_ok(arity: i64, words: usize) -> bool {
    let words = words as i64;
    if arity < 0 {
        words >= -arity
    } else {
        words == arity
    }
}

const HELP: &[&str] = &[
    "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CKQUORUM <master-name>",
    "    Check if the current Sentinel configuration is able to reach the quorum",
    "    needed to failover a master and the majority needed to authorize the",
    "    failover.",
    "CONFIG SET <param> <value>",
    "    Set a global Sentinel configuration parameter.",
    "CONFIG GET <param>",
    "    Get global Sentinel configuration parameter.",
    "DEBUG [<param> <value> ...]",
    "    Show a list of configurable time parameters and their values (milliseconds).",
    "    Or update current configurable parameters values (one or more).",
    "GET-MASTER-ADDR-BY-NAME <master-name>",
    "    Return the ip and port number of the master with that name.",
    "FAILOVER <master-name>",
    "    Manually failover a master node without asking for agreement from other",
    "    Sentinels",
    "FLUSHCONFIG",
    "    Force Sentinel to rewrite its configuration on disk, including the current",
    "    Sentinel state.",
    "INFO-CACHE <master-name>",
    "    Return last cached INFO output from masters and all its replicas.",
    "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
    "    Check if the master specified by ip:port is down from current Sentinel's",
    "    point of view.",
    "MASTER <master-name>",
    "    Show the state and info of the specified master.",
    "MASTERS",
    "    Show a list of monitored masters and their state.",
    "MONITOR <name> <ip> <port> <quorum>",
    "    Start monitoring a new master with the specified name, ip, port and quorum.",
    "MYID",
    "    Return the ID of the Sentinel instance.",
    "PENDING-SCRIPTS",
    "    Get pending scripts information.",
    "REMOVE <master-name>",
    "    Remove master from Sentinel's monitor list.",
    "REPLICAS <master-name>",
    "    Show a list of replicas for this master and their state.",
    "RESET <pattern>",
    "    Reset masters for specific master name matching this pattern.",
    "SENTINELS <master-name>",
    "    Show a list of Sentinel instances for this master and their state.",
    "SET <master-name> <option> <value> [<option> <value> ...]",
    "    Set configuration parameters for certain masters.",
    "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
    "    Simulate a Sentinel crash.",
    "HELP",
    "    Prints this help.",
];

/// SENTINEL DEBUG's timing parameters and the values the simulator runs with (ms).
const DEBUG_PARAMETERS: &[(&str, u64)] = &[
    ("INFO-PERIOD", super::INFO_PERIOD_MS),
    ("PING-PERIOD", super::PING_PERIOD_MS),
    ("ASK-PERIOD", super::ASK_PERIOD_MS),
    ("PUBLISH-PERIOD", super::HELLO_PERIOD_MS),
    ("DEFAULT-DOWN-AFTER", 30_000),
    ("DEFAULT-FAILOVER-TIMEOUT", 180_000),
    ("TILT-TRIGGER", 2000),
    ("TILT-PERIOD", 30_000),
    ("SLAVE-RECONF-TIMEOUT", super::failover::SLAVE_RECONF_TIMEOUT_MS),
    ("MIN-LINK-RECONNECT-PERIOD", 15_000),
    ("ELECTION-TIMEOUT", super::failover::ELECTION_TIMEOUT_MS),
    ("SCRIPT-MAX-RUNTIME", 60_000),
    ("SCRIPT-RETRY-DELAY", 30_000),
];

fn text(word: &[u8]) -> String {
    String::from_utf8_lossy(word).into_owned()
}

/// A whole number as Redis's `getLongLongFromObject` reads one: optional minus, digits, no spaces or plus.
fn integer(word: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(word).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn not_an_integer() -> Reply {
    Reply::err("ERR value is not an integer or out of range")
}

/// An IPv4 or IPv6 address written as numbers (what `anetResolve` accepts when resolve-hostnames is no).
fn is_ip_address(host: &str) -> bool {
    let v4 = |s: &str| {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 4
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 3
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && p.parse::<u16>().is_ok_and(|n| n <= 255)
            })
    };
    let v6 = |s: &str| s.contains(':') && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    v4(host) || v6(host)
}

fn yes_no(word: &[u8]) -> Option<bool> {
    match text(word).to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

impl Sentinel {
    pub(crate) fn command(&mut self, ctx: &mut Ctx<'_>, caller: Option<ProcId>, args: &[Vec<u8>]) -> Reply {
        let Some(name) = args.first() else { return Reply::err("ERR empty command") };
        let cmd = text(name).to_ascii_lowercase();
        let Some(&(_, arity)) = COMMANDS.iter().find(|(c, _)| *c == cmd) else {
            return Reply::err(crate::server::unknown_command_error(args));
        };
        if !arity_ok(arity, args.len()) {
            return Reply::err(format!("ERR wrong number of arguments for '{cmd}' command"));
        }
        self.commands_processed += 1;
        match cmd.as_str() {
            "ping" if args.len() > 2 => Reply::err("ERR wrong number of arguments for 'ping' command"),
            "ping" if args.len() == 2 => Reply::Bulk(args[1].clone()),
            "ping" => Reply::Status("PONG".into()),
            "role" => Reply::Array(vec![
                Reply::bulk("sentinel"),
                Reply::Array(self.masters.keys().map(Reply::bulk).collect()),
            ]),
            "info" => Reply::Bulk(self.info(ctx, &args[1..]).into_bytes()),
            "publish" => {
                if args[1] != super::HELLO_CHANNEL {
                    return Reply::err("ERR Only HELLO messages are accepted by Sentinel instances.");
                }
                self.process_hello(ctx, &String::from_utf8_lossy(&args[2]));
                Reply::Int(1)
            }
            "subscribe" => match caller {
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
            "psubscribe" => Reply::err("ERR the simulator's console cannot stay subscribed; use a client process"),
            // Redis answers one message per channel left; the simulator, the first one (a nil channel when
            // none was named).
            "unsubscribe" | "punsubscribe" => {
                if let Some(c) = caller {
                    for (channel, subs) in self.subscribers.iter_mut() {
                        if args.len() == 1 || args[1..].contains(channel) {
                            subs.remove(&c);
                        }
                    }
                }
                let channel = args.get(1).map_or(Reply::Nil, Reply::bulk);
                Reply::Array(vec![Reply::bulk(&cmd), channel, Reply::Int(0)])
            }
            _ => self.sentinel_command(ctx, args),
        }
    }

    /// INFO [section ...]: the sections of sentinel mode the simulator models (server, clients, stats and
    /// sentinel; not cpu); an unknown section gives an empty text, as in Redis.
    fn info(&self, ctx: &Ctx<'_>, wanted: &[Vec<u8>]) -> String {
        let wanted: Vec<String> = wanted.iter().map(|w| text(w).to_ascii_lowercase()).collect();
        let all = wanted.is_empty() || wanted.iter().any(|w| matches!(w.as_str(), "all" | "default" | "everything"));
        let show = |section: &str| all || wanted.iter().any(|w| w == section);
        let mut s = String::new();
        let mut section = |title: &str, fields: &[(&str, &dyn Display)]| {
            if !s.is_empty() {
                s.push_str("\r\n");
            }
            let _ = write!(s, "# {title}\r\n");
            for (name, value) in fields {
                let _ = write!(s, "{name}:{value}\r\n");
            }
        };
        let uptime = ctx.unix_secs_since(self.started_at);
        if show("server") {
            section(
                "Server",
                &[
                    ("redis_version", &crate::server::REDIS_VERSION),
                    ("redis_mode", &"sentinel"),
                    ("os", &"redis-ha-sim (simulated)"),
                    ("arch_bits", &64),
                    ("run_id", &self.run_id),
                    ("tcp_port", &self.port),
                    ("server_time_usec", &(ctx.unix_ms() * 1000)),
                    ("uptime_in_seconds", &uptime),
                    ("uptime_in_days", &(uptime / 86_400)),
                    ("hz", &self.hz),
                    ("configured_hz", &10),
                ],
            );
        }
        if show("clients") {
            // The console's own connection counts, as redis-cli's does on a real sentinel.
            let connected = self.clients.len() + 1;
            section("Clients", &[("connected_clients", &connected), ("maxclients", &10000), ("blocked_clients", &0)]);
        }
        if show("stats") {
            section(
                "Stats",
                &[
                    ("total_connections_received", &self.connections_received),
                    ("total_commands_processed", &self.commands_processed),
                ],
            );
        }
        if show("sentinel") {
            let mut fields = format!(
                "sentinel_masters:{}\r\nsentinel_tilt:0\r\nsentinel_tilt_since_seconds:-1\r\n\
                 sentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\nsentinel_simulate_failure_flags:{}\r\n",
                self.masters.len(),
                self.simulate_failure
            );
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
                    fields,
                    "master{i}:name={},status={status},address={ip}:{port},slaves={},sentinels={}\r\n",
                    m.name,
                    m.replicas.len(),
                    m.sentinels.len() + 1
                );
            }
            section("Sentinel", &[]);
            s.push_str(&fields);
        }
        s
    }

    fn master_or_err(&self, name: &[u8]) -> Result<&MasterState, Reply> {
        self.masters
            .get(String::from_utf8_lossy(name).as_ref())
            .ok_or_else(|| Reply::err("ERR No such master with that name"))
    }

    fn sentinel_command(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
        let sub = text(&args[1]).to_ascii_lowercase();
        let Some(&(_, arity)) = SUBCOMMANDS.iter().find(|(s, _)| *s == sub) else {
            return Reply::err(format!("ERR unknown subcommand '{}'. Try SENTINEL HELP.", text(&args[1])));
        };
        if !arity_ok(arity, args.len()) {
            return Reply::err(format!("ERR wrong number of arguments for 'sentinel|{sub}' command"));
        }
        match sub.as_str() {
            "help" => Reply::Array(HELP.iter().map(|l| Reply::Status(l.to_string())).collect()),
            "myid" => Reply::bulk(&self.run_id),
            "masters" => Reply::Array(self.masters.values().map(|m| self.master_reply(ctx, m)).collect()),
            "master" => match self.master_or_err(&args[2]) {
                Ok(m) => self.master_reply(ctx, m),
                Err(e) => e,
            },
            "replicas" | "slaves" => match self.master_or_err(&args[2]) {
                Ok(m) => Reply::Array(m.replicas.values().map(|r| self.replica_reply(ctx, m, r)).collect()),
                Err(e) => e,
            },
            "sentinels" => match self.master_or_err(&args[2]) {
                Ok(m) => Reply::Array(m.sentinels.values().map(|p| self.sentinel_reply(ctx, m, p)).collect()),
                Err(e) => e,
            },
            "get-master-addr-by-name" => match self.masters.get(text(&args[2]).as_str()) {
                Some(m) => {
                    let (ip, port) = m.current_address();
                    Reply::Array(vec![Reply::bulk(ip), Reply::bulk(port.to_string())])
                }
                None => Reply::NilArray,
            },
            "ckquorum" => match self.master_or_err(&args[2]) {
                Ok(m) => ckquorum(m),
                Err(e) => e,
            },
            "failover" => {
                let name = text(&args[2]);
                let m = match self.master_or_err(&args[2]) {
                    Ok(m) => m,
                    Err(e) => return e,
                };
                if m.failover_in_progress() {
                    return Reply::err("INPROG Failover already in progress");
                }
                // The same choice the failover itself will make.
                if self.select_replica(ctx, &name).is_none() {
                    return Reply::err("NOGOODSLAVE No suitable replica to promote");
                }
                let text = format!("Executing user requested FAILOVER of '{name}'");
                ctx.out.note(crate::trace::TraceEvent::Log { proc: ctx.me, text });
                self.begin_failover(ctx, &name, true);
                Reply::ok()
            }
            "reset" => {
                let pattern = args[2].clone();
                let names: Vec<String> = self
                    .masters
                    .keys()
                    .filter(|n| crate::glob::glob_match(&pattern, n.as_bytes(), false))
                    .cloned()
                    .collect();
                for n in &names {
                    if let Some(m) = self.masters.get_mut(n) {
                        m.reset(ctx.now, false);
                        let detail = m.describe();
                        self.event(ctx, "+reset-master", detail);
                    }
                }
                Reply::Int(names.len() as i64)
            }
            "is-master-down-by-addr" => {
                let (Some(port), Some(epoch)) = (integer(&args[3]), integer(&args[4])) else {
                    return not_an_integer();
                };
                let (ip, runid) = (text(&args[2]), text(&args[5]));
                let Some(name) = self
                    .masters
                    .iter()
                    .find(|(_, m)| m.inst.ip == ip && i64::from(m.inst.port) == port)
                    .map(|(n, _)| n.clone())
                else {
                    return Reply::Array(vec![Reply::Int(0), Reply::bulk("*"), Reply::Int(0)]);
                };
                let down = self.masters[&name].inst.sdown_since.is_some();
                let (leader, leader_epoch) =
                    if runid != "*" { self.vote(ctx, &name, epoch.max(0) as u64, &runid) } else { (None, 0) };
                Reply::Array(vec![
                    Reply::Int(i64::from(down)),
                    Reply::bulk(leader.unwrap_or_else(|| "*".into())),
                    Reply::Int(leader_epoch as i64),
                ])
            }
            "monitor" => self.monitor(ctx, args),
            "remove" => match self.masters.remove(text(&args[2]).as_str()) {
                Some(m) => {
                    self.event(ctx, "-monitor", m.describe());
                    Reply::ok()
                }
                None => Reply::err("ERR No such master with that name"),
            },
            "set" => self.set(ctx, args),
            "config" => self.config(args),
            "info-cache" => self.info_cache(ctx, &args[2..]),
            "pending-scripts" => Reply::Array(Vec::new()),
            "flushconfig" => Reply::ok(),
            "simulate-failure" => {
                self.simulate_failure = 0;
                for word in &args[2..] {
                    match text(word).to_ascii_lowercase().as_str() {
                        "crash-after-election" => self.simulate_failure |= CRASH_AFTER_ELECTION,
                        "crash-after-promotion" => self.simulate_failure |= CRASH_AFTER_PROMOTION,
                        "help" => {
                            return Reply::Array(vec![
                                Reply::bulk("crash-after-election"),
                                Reply::bulk("crash-after-promotion"),
                            ])
                        }
                        _ => return Reply::err("ERR Unknown failure simulation specified"),
                    }
                }
                Reply::ok()
            }
            "debug" if args.len() == 2 => Reply::Array(
                DEBUG_PARAMETERS
                    .iter()
                    .flat_map(|(name, value)| [Reply::bulk(name), Reply::bulk(value.to_string())])
                    .collect(),
            ),
            _ => Reply::err("ERR the simulator does not let SENTINEL DEBUG change Sentinel's timing parameters"),
        }
    }

    /// SENTINEL MONITOR <name> <ip> <port> <quorum>, checked in Redis's order.
    fn monitor(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
        let name = text(&args[2]);
        let Some(quorum) = integer(&args[5]) else { return Reply::err("ERR Invalid quorum") };
        let Some(port) = integer(&args[4]) else { return Reply::err("ERR Invalid port") };
        if quorum <= 0 {
            return Reply::err("ERR Quorum must be 1 or greater.");
        }
        let host = text(&args[3]);
        if !is_ip_address(&host) {
            return Reply::err("ERR Invalid IP address or hostname specified");
        }
        let Ok(port) = u16::try_from(port) else { return Reply::err("ERR Invalid port number.") };
        if self.masters.contains_key(&name) {
            return Reply::err("ERR Duplicate master name.");
        }
        let spec = super::MonitorSpec {
            name: name.clone(),
            host,
            port,
            quorum: u32::try_from(quorum).unwrap_or(u32::MAX),
            down_after_ms: 30_000,
            failover_timeout_ms: 180_000,
            parallel_syncs: 1,
        };
        let m = MasterState::new(&spec, ctx.now);
        let detail = format!("{} quorum {}", m.describe(), m.quorum);
        self.masters.insert(name, m);
        self.event(ctx, "+monitor", detail);
        Reply::ok()
    }

    /// SENTINEL SET <name> <option> <value> [...]: the options the simulator models, each change logged
    /// as `+set`; the first bad one stops the command (the earlier ones stay changed, as in Redis).
    fn set(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
        let name = text(&args[2]);
        if !self.masters.contains_key(&name) {
            return Reply::err("ERR No such master with that name");
        }
        let mut j = 3;
        while j < args.len() {
            let option = text(&args[j]);
            let value = args.get(j + 1);
            let setting = option.to_ascii_lowercase();
            let known = matches!(
                setting.as_str(),
                "down-after-milliseconds" | "failover-timeout" | "parallel-syncs" | "quorum"
            );
            let Some(value) = value.filter(|_| known) else {
                return Reply::err(format!("ERR Unknown option or number of arguments for SENTINEL SET '{option}'"));
            };
            let Some(n) = integer(value).filter(|n| *n > 0) else {
                return Reply::err(format!("ERR Invalid argument '{}' for SENTINEL SET '{option}'", text(value)));
            };
            let m = self.masters.get_mut(&name).unwrap_or_else(|| unreachable!());
            let n32 = u32::try_from(n).unwrap_or(u32::MAX);
            match setting.as_str() {
                "down-after-milliseconds" => m.down_after_ms = n as u64,
                "failover-timeout" => m.failover_timeout_ms = n as u64,
                "parallel-syncs" => m.parallel_syncs = n32,
                _ => m.quorum = n32,
            }
            let detail = format!("{} {option} {}", m.describe(), text(value));
            self.event(ctx, "+set", detail);
            j += 2;
        }
        Reply::ok()
    }

    /// SENTINEL CONFIG GET <pattern> | SET <option> <value>: the global settings.
    fn config(&mut self, args: &[Vec<u8>]) -> Reply {
        let action = text(&args[2]).to_ascii_lowercase();
        match (action.as_str(), args.len()) {
            ("get", 4) => {
                let g = &self.globals;
                let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
                let all = [
                    ("resolve-hostnames", yes_no(g.resolve_hostnames)),
                    ("announce-hostnames", yes_no(g.announce_hostnames)),
                    ("announce-ip", g.announce_ip.clone()),
                    ("announce-port", g.announce_port.to_string()),
                    ("sentinel-user", g.sentinel_user.clone()),
                    ("sentinel-pass", g.sentinel_pass.clone()),
                ];
                Reply::Array(
                    all.into_iter()
                        .filter(|(name, _)| crate::glob::glob_match(&args[3], name.as_bytes(), true))
                        .flat_map(|(name, value)| [Reply::bulk(name), Reply::bulk(value)])
                        .collect(),
                )
            }
            ("set", 5) => {
                let option = text(&args[3]);
                let value = &args[4];
                let bad =
                    || Reply::err(format!("ERR Invalid value '{}' to SENTINEL CONFIG SET '{option}'", text(value)));
                let g = &mut self.globals;
                match option.to_ascii_lowercase().as_str() {
                    "resolve-hostnames" => match yes_no(value) {
                        Some(b) => g.resolve_hostnames = b,
                        None => return bad(),
                    },
                    "announce-hostnames" => match yes_no(value) {
                        Some(b) => g.announce_hostnames = b,
                        None => return bad(),
                    },
                    "announce-ip" => g.announce_ip = text(value),
                    "announce-port" => match integer(value).and_then(|n| u16::try_from(n).ok()) {
                        Some(p) => g.announce_port = p,
                        None => return bad(),
                    },
                    "sentinel-user" => g.sentinel_user = text(value),
                    "sentinel-pass" => g.sentinel_pass = text(value),
                    _ => return Reply::err(format!("ERR Invalid argument '{option}' to SENTINEL CONFIG SET")),
                }
                Reply::ok()
            }
            _ => Reply::err("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported."),
        }
    }

    /// SENTINEL INFO-CACHE [name ...]: each master's name, then its last INFO and its replicas' with their
    /// age in ms (Redis's own quirk kept: a replica's age is 0 while the master has sent no INFO yet).
    fn info_cache(&self, ctx: &Ctx<'_>, names: &[Vec<u8>]) -> Reply {
        let now = ctx.now;
        let chosen: Vec<&MasterState> = self
            .masters
            .values()
            .filter(|m| names.is_empty() || names.iter().any(|n| n.as_slice() == m.name.as_bytes()))
            .collect();
        let cached = |age: u64, info: &Option<String>| {
            Reply::Array(vec![Reply::Int(age as i64), info.as_ref().map_or(Reply::Nil, Reply::bulk)])
        };
        let mut out = Vec::new();
        for m in chosen {
            out.push(Reply::bulk(&m.name));
            let master_age = m.inst.link.last_info.map(|t| now - t);
            let mut infos = vec![cached(master_age.unwrap_or(0), &m.inst.info)];
            for r in m.replicas.values() {
                let age = master_age.map_or(0, |_| r.link.last_info.map_or(now.ms(), |t| now - t));
                infos.push(cached(age, &r.info));
            }
            out.push(Reply::Array(infos));
        }
        Reply::Array(out)
    }
}

/// `sentinelIsQuorumReachable`: the sentinels not SDOWN (this one included) against the quorum and against
/// a majority of all the known sentinels.
fn ckquorum(m: &MasterState) -> Reply {
    let usable = 1 + m.sentinels.values().filter(|p| p.inst.sdown_since.is_none()).count() as u32;
    let voters = m.sentinels.len() as u32 + 1;
    let no_quorum = usable < m.quorum;
    let no_auth = usable < voters / 2 + 1;
    if !no_quorum && !no_auth {
        return Reply::Status(format!(
            "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
        ));
    }
    let mut e = format!("NOQUORUM {usable} usable Sentinels. ");
    if no_quorum {
        e.push_str("Not enough available Sentinels to reach the specified quorum for this master");
    }
    if no_auth {
        if no_quorum {
            e.push_str(". ");
        }
        e.push_str("Not enough available Sentinels to reach the majority and authorize a failover");
    }
    Reply::err(e)
}
