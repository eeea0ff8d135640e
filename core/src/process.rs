//! Processes are sans-IO state machines. A handler receives the current virtual time and one input (a
//! delivered message, a fired timer, a refused connection) and writes what it wants done — messages to send,
//! timers to set, trace notes — into an [`Outbox`]. It never sends, sleeps or reads a clock itself; the
//! world carries out the outbox. This is what makes crashes, partitions and replays cheap.

use crate::resp::Reply;
use crate::rng::Rng;
use crate::time::SimTime;
use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A process's index in the world; stable for the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProcId(pub u32);

impl ProcId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ProcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

/// What travels over the simulated network between processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A command from a client connection; `id` pairs it with its reply.
    Request { id: u64, args: Vec<Vec<u8>> },
    /// The server's reply to request `id`.
    Response { id: u64, reply: Reply },
}

/// Message kinds, for filtering the timeline (heartbeats and gossip are hidden by default on the page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsgKind {
    Command,
    Reply,
}

impl Message {
    pub fn kind(&self) -> MsgKind {
        match self {
            Message::Request { .. } => MsgKind::Command,
            Message::Response { .. } => MsgKind::Reply,
        }
    }

    /// A short label for the timeline: the command line, or the reply in redis-cli's one-line form.
    pub fn label(&self) -> String {
        match self {
            Message::Request { args, .. } => crate::cli::join_args(args),
            Message::Response { reply, .. } => crate::cli::short_reply(reply),
        }
    }
}

/// Timers a process can set. One enum for every process kind keeps the queue and the trace simple.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "timer")]
pub enum Timer {
    /// `serverCron`: runs `hz` times a second (active expiry and, later, replication and persistence chores).
    ServerCron,
    /// A client's workload tick: time to issue its next request.
    ClientTick,
    /// A client gives up waiting for the reply to request `id`.
    RequestTimeout { id: u64 },
}

impl Timer {
    pub fn name(&self) -> &'static str {
        match self {
            Timer::ServerCron => "serverCron",
            Timer::ClientTick => "client-tick",
            Timer::RequestTimeout { .. } => "request-timeout",
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
}

/// Where a process writes its intentions; the world drains it after every handler call.
#[derive(Debug, Default)]
pub struct Outbox {
    pub(crate) sends: Vec<(ProcId, Message)>,
    pub(crate) timers: Vec<(u64, Timer)>,
    pub(crate) notes: Vec<TraceEvent>,
}

impl Outbox {
    pub fn send(&mut self, to: ProcId, msg: Message) {
        self.sends.push((to, msg));
    }

    /// Fire `timer` after `delay_ms` of virtual time.
    pub fn set_timer(&mut self, delay_ms: u64, timer: Timer) {
        self.timers.push((delay_ms, timer));
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
    pub addresses: &'a BTreeMap<(String, u16), ProcId>,
    /// The Unix time, in ms, that virtual time 0 stands for (Redis reports and stores Unix times).
    pub epoch_unix_ms: u64,
}

impl Ctx<'_> {
    /// The current Unix time in ms, as `mstime()` would return it inside the simulation.
    pub fn unix_ms(&self) -> u64 {
        self.epoch_unix_ms + self.now.ms()
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
