//! A Sentinel process: it monitors masters by name, their replicas and the other sentinels; marks a master
//! subjectively down after down-after-milliseconds without a valid reply (SDOWN), objectively down when a
//! quorum of sentinels agree (ODOWN); and then an elected leader fails it over. Event names, messages and
//! timing rules are those of Redis 7's sentinel.c.

mod commands;
mod discovery;
mod failover;
mod instances;

use crate::cli::split_args;
use crate::decode::{self, Decode, Fields};
use crate::json::{Json, ToJson, Value};
use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::time::SimTime;
use crate::trace::TraceEvent;
use crate::vecmap::{VecMap, VecSet};
pub use instances::{FailoverState, Instance, MasterState, Peer};

/// PING period (ms), INFO periods (ms) normal and during a failover, hello period (ms).
pub const PING_PERIOD_MS: u64 = 1000;
pub const INFO_PERIOD_MS: u64 = 10_000;
pub const INFO_FAST_PERIOD_MS: u64 = 1000;
pub const HELLO_PERIOD_MS: u64 = 2000;
/// How often other sentinels are asked whether they see the master down.
pub const ASK_PERIOD_MS: u64 = 1000;
/// The sentinel timer runs about ten times a second.
pub const TIMER_PERIOD_MS: u64 = 100;
pub const HELLO_CHANNEL: &[u8] = b"__sentinel__:hello";

/// `sentinel monitor <name> <ip> <port> <quorum>` and the per-master settings, as in sentinel.conf.
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorSpec {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub quorum: u32,
    /// `down-after-milliseconds`.
    pub down_after_ms: u64,
    /// `failover-timeout`, in ms.
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
}

fn default_port() -> u16 {
    6379
}
fn default_down_after_ms() -> u64 {
    30_000
}
fn default_failover_timeout_ms() -> u64 {
    180_000
}
fn default_parallel_syncs() -> u32 {
    1
}

impl ToJson for MonitorSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("name", &self.name).field("host", &self.host).field("port", &self.port);
        o.field("quorum", &self.quorum).field("down_after_ms", &self.down_after_ms);
        o.field("failover_timeout_ms", &self.failover_timeout_ms).field("parallel_syncs", &self.parallel_syncs);
    }
}

impl Decode for MonitorSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(
            v,
            "struct MonitorSpec",
            &["name", "host", "port", "quorum", "down_after_ms", "failover_timeout_ms", "parallel_syncs"],
        )?;
        f.done(MonitorSpec {
            name: f.req("name"),
            host: f.req("host"),
            port: f.or("port", default_port),
            quorum: f.req("quorum"),
            down_after_ms: f.or("down_after_ms", default_down_after_ms),
            failover_timeout_ms: f.or("failover_timeout_ms", default_failover_timeout_ms),
            parallel_syncs: f.or("parallel_syncs", default_parallel_syncs),
        })
    }
}

/// What a pending request was for, so its reply can be routed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Master,
    Replica((String, u16)),
    Peer(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ask {
    Ping,
    Info,
    Publish,
    Subscribe,
    IsMasterDown,
    Replicaof,
}

#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub master: String,
    pub target: Target,
    pub ask: Ask,
    pub to: ProcId,
}

/// The global settings of SENTINEL CONFIG GET|SET, with Redis's defaults.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    pub resolve_hostnames: bool,
    pub announce_hostnames: bool,
    /// The address this sentinel gives in its hellos when set (else its own).
    pub announce_ip: String,
    pub announce_port: u16,
    pub sentinel_user: String,
    pub sentinel_pass: String,
}

/// SENTINEL SIMULATE-FAILURE: exit right after winning an election, or right after the promotion.
pub(crate) const CRASH_AFTER_ELECTION: u8 = 1;
pub(crate) const CRASH_AFTER_PROMOTION: u8 = 2;

#[derive(Clone, Debug)]
pub struct Sentinel {
    pub ip: String,
    pub port: u16,
    pub run_id: String,
    pub current_epoch: u64,
    pub masters: VecMap<String, MasterState>,
    pub globals: Globals,
    /// SENTINEL SIMULATE-FAILURE flags.
    pub(crate) simulate_failure: u8,
    pub(crate) started_at: SimTime,
    /// The timer's current frequency (Redis varies it between 10 and 19 Hz), INFO's `hz`.
    pub(crate) hz: u64,
    /// Processes connected to this sentinel, and counts for INFO clients and stats.
    pub(crate) clients: VecSet<ProcId>,
    pub(crate) connections_received: u64,
    pub(crate) commands_processed: u64,
    pub(crate) next_request: u64,
    pub(crate) pending: VecMap<u64, Pending>,
    /// Clients subscribed to event channels (`+switch-master`, ...).
    pub(crate) subscribers: VecMap<Vec<u8>, VecSet<ProcId>>,
}

impl Sentinel {
    pub fn new(ip: String, port: u16, monitors: &[MonitorSpec]) -> Sentinel {
        let masters = monitors.iter().map(|m| (m.name.clone(), MasterState::new(m, SimTime::ZERO))).collect();
        Sentinel {
            ip,
            port,
            run_id: String::new(),
            current_epoch: 0,
            masters,
            globals: Globals::default(),
            simulate_failure: 0,
            started_at: SimTime::ZERO,
            hz: 10,
            clients: VecSet::new(),
            connections_received: 0,
            commands_processed: 0,
            next_request: 0,
            pending: VecMap::new(),
            subscribers: VecMap::new(),
        }
    }

    /// Emit an event as sentinel does: logged, traced, and published on the channel named after it.
    pub(crate) fn event(&mut self, ctx: &mut Ctx<'_>, name: &str, detail: String) {
        ctx.out.note(TraceEvent::Sentinel { proc: ctx.me, event: name.to_string(), detail: detail.clone() });
        if let Some(subs) = self.subscribers.get(name.as_bytes()) {
            for to in subs {
                ctx.out.send(
                    *to,
                    Message::Push { channel: name.as_bytes().to_vec(), payload: detail.clone().into_bytes() },
                );
            }
        }
    }

    /// What sentinel.conf holds, which Redis rewrites and fsyncs at every change of this state
    /// (`sentinelFlushConfig`), and so what a restart reads: `sentinel myid`, `current-epoch`, the global
    /// settings, and per master its current address (the promoted replica's once promoted), settings,
    /// `config-epoch`, `leader-epoch`, `known-replica`s (the old master in the promoted one's place) and
    /// `known-sentinel`s. Nothing else survives: no link, SDOWN, vote or failover in progress.
    pub fn persisted(&self) -> Sentinel {
        let mut s = Sentinel::new(self.ip.clone(), self.port, &[]);
        s.run_id = self.run_id.clone();
        s.current_epoch = self.current_epoch;
        s.globals = self.globals.clone();
        for m in self.masters.values() {
            let (host, port) = m.current_address();
            let spec = MonitorSpec {
                name: m.name.clone(),
                host,
                port,
                quorum: m.quorum,
                down_after_ms: m.down_after_ms,
                failover_timeout_ms: m.failover_timeout_ms,
                parallel_syncs: m.parallel_syncs,
            };
            let mut n = MasterState::new(&spec, SimTime::ZERO);
            n.config_epoch = m.config_epoch;
            n.leader_epoch = m.leader_epoch;
            for a in m.replicas.keys() {
                let a = if *a == n.inst.addr() { m.inst.addr() } else { a.clone() };
                n.replicas.insert(a.clone(), Instance::reporting(a.0, a.1, SimTime::ZERO, "slave"));
            }
            for p in m.sentinels.values() {
                let peer = Peer::new(p.run_id.clone(), p.inst.ip.clone(), p.inst.port, SimTime::ZERO);
                n.sentinels.insert(p.run_id.clone(), peer);
            }
            s.masters.insert(m.name.clone(), n);
        }
        s
    }

    pub(crate) fn send(&mut self, ctx: &mut Ctx<'_>, master: &str, target: Target, ask: Ask, words: &[&str]) -> bool {
        let addr = match (&target, self.masters.get(master)) {
            (_, None) => return false,
            (Target::Master, Some(m)) => (m.inst.ip.clone(), m.inst.port),
            (Target::Replica(a), _) => a.clone(),
            (Target::Peer(id), Some(m)) => match m.sentinels.get(id) {
                Some(p) => (p.inst.ip.clone(), p.inst.port),
                None => return false,
            },
        };
        let Some(to) = ctx.resolve(&addr.0, addr.1) else { return false };
        self.next_request += 1;
        let id = self.next_request;
        self.pending.insert(id, Pending { master: master.to_string(), target, ask, to });
        ctx.out.send(to, Message::Request { id, args: words.iter().map(|w| w.as_bytes().to_vec()).collect() });
        true
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_>, id: u64, reply: Reply) {
        let Some(p) = self.pending.remove(&id) else { return };
        self.handle_reply(ctx, p, reply);
    }

    /// A connection refused or closed by `peer`: every link to that address is down at once, whether or not a
    /// command was waiting on it (Redis's disconnect callback), so the next timer tick reconnects with a PING
    /// whose wait SDOWN is counted from — not the next periodic PING, up to a second later.
    fn connection_lost(&mut self, ctx: &mut Ctx<'_>, peer: ProcId) {
        self.pending.retain(|_, p| p.to != peer);
        for m in self.masters.values_mut() {
            let peers = m.sentinels.values_mut().map(|p| &mut p.inst);
            for inst in std::iter::once(&mut m.inst).chain(m.replicas.values_mut()).chain(peers) {
                if ctx.resolve(&inst.ip, inst.port) == Some(peer) {
                    inst.link.disconnected = true;
                    inst.link.subscribed = false;
                    inst.link.info_pending = false;
                }
            }
        }
        for subs in self.subscribers.values_mut() {
            subs.remove(&peer);
        }
        self.clients.remove(&peer);
    }

    pub(crate) fn instance_mut(&mut self, master: &str, target: &Target) -> Option<&mut Instance> {
        let m = self.masters.get_mut(master)?;
        match target {
            Target::Master => Some(&mut m.inst),
            Target::Replica(a) => m.replicas.get_mut(a),
            Target::Peer(id) => m.sentinels.get_mut(id).map(|p| &mut p.inst),
        }
    }
}

impl Process for Sentinel {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Start => {
                // A restarted sentinel keeps the id its configuration file holds (`sentinel myid`).
                if self.run_id.is_empty() {
                    self.run_id = ctx.rng.hex_id(40);
                }
                self.started_at = ctx.now;
                let now = ctx.now;
                for m in self.masters.values_mut() {
                    m.reset_clock(now);
                }
                ctx.out.note(TraceEvent::Log { proc: ctx.me, text: format!("Sentinel ID is {}", self.run_id) });
                let names: Vec<(String, String)> = self
                    .masters
                    .values()
                    .map(|m| {
                        (m.name.clone(), format!("master {} {} {} quorum {}", m.name, m.inst.ip, m.inst.port, m.quorum))
                    })
                    .collect();
                for (_, detail) in names {
                    self.event(ctx, "+monitor", detail);
                }
                ctx.out.set_timer(TIMER_PERIOD_MS, Timer::SentinelTimer);
            }
            Input::Timer(Timer::SentinelTimer) => {
                self.timer(ctx);
                // Redis runs the sentinel timer at a random 10–19 Hz so that sentinels do not act in lockstep
                // (and split their votes).
                self.hz = 10 + ctx.rng.below(10);
                ctx.out.set_timer(1000 / self.hz, Timer::SentinelTimer);
            }
            Input::Timer(_) => {}
            Input::Message { from, msg: Message::Request { id, args } } => {
                if self.clients.insert(from) {
                    self.connections_received += 1;
                }
                let reply = self.command(ctx, Some(from), &args);
                ctx.out.send(from, Message::Response { id, reply });
            }
            Input::Message { msg: Message::Response { id, reply }, .. } => self.on_reply(ctx, id, reply),
            Input::Message { msg: Message::Push { channel, payload }, .. } => {
                if channel == HELLO_CHANNEL {
                    self.process_hello(ctx, &String::from_utf8_lossy(&payload));
                }
            }
            Input::Message { .. } => {}
            Input::Refused { to, .. } | Input::Closed { peer: to, .. } => self.connection_lost(ctx, to),
        }
    }

    fn console(&mut self, ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply {
        self.command(ctx, None, &args)
    }
}

/// Parse a sentinel event line back into words (used by clients reading `+switch-master`).
pub fn event_words(payload: &[u8]) -> Vec<String> {
    split_args(&String::from_utf8_lossy(payload))
        .unwrap_or_default()
        .into_iter()
        .map(|w| String::from_utf8_lossy(&w).into_owned())
        .collect()
}
