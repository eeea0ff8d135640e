//! Processes are sans-IO state machines. A handler receives the current virtual time and one input (a
//! delivered message, a fired timer, a refused connection) and writes what it wants done — messages to send,
//! timers to set, trace notes — into an [`Outbox`]. It never sends, sleeps or reads a clock itself; the
//! world carries out the outbox. This is what makes crashes, partitions and replays cheap.

use crate::disk::Disk;
use crate::json::{Json, ToJson};
use crate::resp::Reply;
use crate::rng::Rng;
use crate::server::keyspace::Keyspace;
use crate::time::SimTime;
use crate::trace::TraceEvent;
use crate::vecmap::VecMap;
use std::fmt;
use std::rc::Rc;

/// A process's index in the world; stable for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcId(pub u32);

impl ProcId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Written as the index.
impl ToJson for ProcId {
    fn write_json(&self, out: &mut Json) {
        self.0.write_json(out);
    }
}

impl fmt::Display for ProcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// What travels over the simulated network between processes.
#[derive(Clone, Debug)]
pub enum Message {
    /// A command from a client connection; `id` pairs it with its reply.
    Request { id: u64, args: Vec<Vec<u8>> },
    /// The server's reply to request `id`.
    Response { id: u64, reply: Reply },
    /// Master → replica: the RDB payload of a full resynchronization, or a piece of the replication stream.
    Repl(ReplPayload),
    /// A message published on a channel this process subscribed to (pub/sub).
    Push { channel: Vec<u8>, payload: Vec<u8> },
    /// A cluster bus message (port + 10000).
    Bus(Rc<crate::cluster::bus::BusMsg>),
}

/// What a master sends down a replication link after the handshake.
#[derive(Clone, Debug)]
pub enum ReplPayload {
    /// The snapshot taken when the full sync's BGSAVE forked: the data at replication offset `offset`.
    /// `diskless`: streamed from the fork to the socket with an EOF mark (`repl-diskless-sync yes`), not a file.
    Rdb { replid: String, offset: u64, data: Rc<Keyspace>, bytes: u64, diskless: bool },
    /// Commands as they enter the replication stream. `from_offset` is the master's offset before them, so a
    /// replica notices a gap (a lost message) and resynchronizes instead of diverging.
    Stream { from_offset: u64, bytes: u64, commands: Rc<Vec<Vec<Vec<u8>>>> },
}

/// Message kinds, for filtering the timeline (heartbeats and gossip are hidden by default on the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MsgKind {
    Command,
    Reply,
    /// The replication stream and RDB transfers.
    Replication,
    /// Keep-alives: REPLCONF ACK, the master's PING to replicas. Hidden by default on the page.
    Heartbeat,
    /// Cluster bus PING/PONG/MEET with their gossip sections (many: hidden by default).
    Gossip,
    /// Cluster bus FAIL, UPDATE and failover messages.
    ClusterControl,
}

impl MsgKind {
    /// The kind's name in the trace.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgKind::Command => "command",
            MsgKind::Reply => "reply",
            MsgKind::Replication => "replication",
            MsgKind::Heartbeat => "heartbeat",
            MsgKind::Gossip => "gossip",
            MsgKind::ClusterControl => "cluster_control",
        }
    }
}

impl Message {
    pub fn kind(&self) -> MsgKind {
        match self {
            Message::Request { args, .. } if is_ack(args) => MsgKind::Heartbeat,
            Message::Request { .. } => MsgKind::Command,
            Message::Response { .. } => MsgKind::Reply,
            Message::Repl(ReplPayload::Stream { commands, .. })
                if commands.iter().all(|c| c.first().is_some_and(|n| n.eq_ignore_ascii_case(b"PING"))) =>
            {
                MsgKind::Heartbeat
            }
            Message::Repl(_) => MsgKind::Replication,
            Message::Push { .. } => MsgKind::Heartbeat,
            Message::Bus(b) => match b.kind {
                crate::cluster::bus::BusKind::Ping
                | crate::cluster::bus::BusKind::Pong
                | crate::cluster::bus::BusKind::Meet => MsgKind::Gossip,
                _ => MsgKind::ClusterControl,
            },
        }
    }

    /// The request id of a command or of its reply.
    pub fn request_id(&self) -> Option<u64> {
        match self {
            Message::Request { id, .. } | Message::Response { id, .. } => Some(*id),
            Message::Repl(_) | Message::Push { .. } | Message::Bus(_) => None,
        }
    }

    /// The bytes this message puts on the wire, which with the link's bandwidth decides its transfer time.
    pub fn size(&self) -> u64 {
        match self {
            Message::Request { args, .. } => crate::resp::command_len(args),
            Message::Response { .. } => 16,
            Message::Repl(ReplPayload::Rdb { bytes, .. }) => *bytes,
            Message::Repl(ReplPayload::Stream { bytes, .. }) => *bytes,
            Message::Push { channel, payload } => 30 + channel.len() as u64 + payload.len() as u64,
            Message::Bus(b) => b.size(),
        }
    }

    /// A short label for the timeline: the command line, or the reply in redis-cli's one-line form, cut
    /// to 80 characters (an INFO reply would otherwise fill the trace).
    pub fn label(&self) -> String {
        let full = self.full_label();
        match full.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &full[..cut]),
            None => full,
        }
    }

    fn full_label(&self) -> String {
        match self {
            Message::Request { args, .. } => crate::cli::join_args(args),
            Message::Response { reply, .. } => crate::cli::short_reply(reply),
            Message::Repl(ReplPayload::Rdb { offset, bytes, data, .. }) => {
                format!("RDB ({} keys, {bytes} bytes, offset {offset})", data.len())
            }
            Message::Repl(ReplPayload::Stream { commands, from_offset, .. }) => {
                let first = commands.first().map(|c| crate::cli::join_args(c)).unwrap_or_default();
                let more = if commands.len() > 1 { format!(" (+{} more)", commands.len() - 1) } else { String::new() };
                format!("{first}{more} @{from_offset}")
            }
            Message::Push { channel, payload } => {
                format!("message {} {}", String::from_utf8_lossy(channel), String::from_utf8_lossy(payload))
            }
            Message::Bus(b) => match &b.kind {
                crate::cluster::bus::BusKind::Fail { node } => format!("FAIL {}", &node[..8.min(node.len())]),
                k => k.name().to_string(),
            },
        }
    }
}

fn is_ack(args: &[Vec<u8>]) -> bool {
    args.len() >= 2 && args[0].eq_ignore_ascii_case(b"REPLCONF") && args[1].eq_ignore_ascii_case(b"ACK")
}

/// Timers a process can set. One enum for every process kind keeps the queue and the trace simple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// `serverCron`: runs `hz` times a second (active expiry and, later, replication and persistence chores).
    ServerCron,
    /// A client's workload tick: time to issue its next request.
    ClientTick,
    /// A client gives up waiting for the reply to request `id`.
    RequestTimeout { id: u64 },
    /// `replicationCron`: once a second, replication's chores (ACKs, pings, timeouts, reconnects).
    ReplicationCron,
    /// A replica finished loading the RDB it received.
    RdbLoaded,
    /// A blocked WAIT reaches its timeout.
    WaitTimeout { client: ProcId, id: u64 },
    /// The forked child of a BGSAVE has written its snapshot.
    BgsaveDone,
    /// The forked child of a BGREWRITEAOF has written the new base file.
    AofRewriteDone,
    /// A background fsync of the AOF (appendfsync everysec) completes, covering `upto` bytes.
    AofFsyncDone { upto: u64 },
    /// The fsync of appendfsync always is done: the held replies can go.
    ReleaseReplies,
    /// The dataset read from disk at startup is loaded.
    DatasetLoaded,
    /// The sentinel's periodic timer (about 10 Hz).
    SentinelTimer,
    /// clusterCron: every 100 ms.
    ClusterCron,
    /// A database has answered query `token`.
    QueryDone { token: u64 },
}

impl Timer {
    pub fn name(&self) -> &'static str {
        match self {
            Timer::ServerCron => "serverCron",
            Timer::ClientTick => "client-tick",
            Timer::RequestTimeout { .. } => "request-timeout",
            Timer::ReplicationCron => "replicationCron",
            Timer::RdbLoaded => "rdb-loaded",
            Timer::WaitTimeout { .. } => "wait-timeout",
            Timer::BgsaveDone => "bgsave-done",
            Timer::AofRewriteDone => "aof-rewrite-done",
            Timer::AofFsyncDone { .. } => "aof-fsync-done",
            Timer::ReleaseReplies => "aof-fsync-always-done",
            Timer::DatasetLoaded => "dataset-loaded",
            Timer::SentinelTimer => "sentinelTimer",
            Timer::ClusterCron => "clusterCron",
            Timer::QueryDone { .. } => "query-done",
        }
    }
}

/// One input to a process.
#[derive(Clone, Debug)]
pub enum Input {
    /// The process has just started (first boot or restart after a crash).
    Start,
    /// A message from another process arrived.
    Message { from: ProcId, msg: Message },
    /// A timer this process set has fired.
    Timer(Timer),
    /// A message this process sent could not be delivered because nothing listens at the destination
    /// (the process is down): the connection was refused or reset.
    Refused { to: ProcId, msg: Message },
    /// The connection with `peer` was closed by the other side: its process exited (`exited`), or it closed this
    /// one connection. The simulator keeps one connection per pair of processes, so a process that closes one
    /// (a replica leaving its master) has not closed the others Redis would keep (the cluster bus).
    Closed { peer: ProcId, exited: bool },
}

/// Where a process writes its intentions; the world drains it after every handler call.
#[derive(Debug, Default)]
pub struct Outbox {
    pub(crate) sends: Vec<(ProcId, Message)>,
    pub(crate) timers: Vec<(u64, Timer)>,
    pub(crate) notes: Vec<TraceEvent>,
    pub(crate) closes: Vec<ProcId>,
    /// The process exits by itself (Redis refusing to start, SHUTDOWN), with the reason it logs.
    pub(crate) exit: Option<String>,
    /// New contents for the process's configuration file (CONFIG REWRITE): what a restart will read.
    pub(crate) config_file: Option<crate::server::ServerConfig>,
}

impl Outbox {
    pub fn send(&mut self, to: ProcId, msg: Message) {
        self.sends.push((to, msg));
    }

    /// Fire `timer` after `delay_ms` of virtual time.
    pub fn set_timer(&mut self, delay_ms: u64, timer: Timer) {
        self.timers.push((delay_ms, timer));
    }

    /// Close this process's connection with `peer`; the peer learns it one latency later (if it can be reached).
    pub fn close(&mut self, peer: ProcId) {
        self.closes.push(peer);
    }

    /// Exit the process (as if it called exit(2)); peers see their connections closed.
    pub fn exit(&mut self, reason: impl Into<String>) {
        self.exit = Some(reason.into());
    }

    /// Rewrite the process's configuration file, which the next start reads.
    pub fn rewrite_config(&mut self, config: crate::server::ServerConfig) {
        self.config_file = Some(config);
    }

    /// Record something the process did in the trace (a log line, a role change, an event).
    pub fn note(&mut self, event: TraceEvent) {
        self.notes.push(event);
    }
}

/// The read-only view of the world a process may use while handling an input, plus its outbox and the
/// world's random generator.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub me: ProcId,
    pub rng: &'a mut Rng,
    pub out: &'a mut Outbox,
    /// `ip:port` → process, so a process can reach another by the address Redis would use.
    pub addresses: &'a VecMap<(String, u16), ProcId>,
    /// The Unix time, in ms, that virtual time 0 stands for (Redis reports and stores Unix times).
    pub epoch_unix_ms: u64,
    /// The disk of the process's host: local and synchronous, like the write(2) and fsync(2) it stands for.
    pub disk: &'a mut Disk,
}

impl Ctx<'_> {
    /// The current Unix time in ms, as `mstime()` would return it inside the simulation.
    pub fn unix_ms(&self) -> u64 {
        self.epoch_unix_ms + self.now.ms()
    }

    /// Whole seconds of the Unix clock since `then`, as Redis counts them (`server.unixtime - then`, both in
    /// seconds): 1 from the first second boundary on, however little time passed.
    pub fn unix_secs_since(&self, then: SimTime) -> u64 {
        let now = self.unix_ms();
        now / 1000 - now.saturating_sub(self.now.saturating_sub(then)) / 1000
    }

    pub fn resolve(&self, ip: &str, port: u16) -> Option<ProcId> {
        self.addresses.get(&(ip.to_string(), port)).copied()
    }
}

/// The one trait every simulated process implements.
pub trait Process {
    /// Handle one input at `ctx.now`.
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input);

    /// Run a command typed in a console attached to this process (redis-cli on the same host).
    fn console(&mut self, ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply;
}
