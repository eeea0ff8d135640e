//! The trace is the product: every send, delivery, drop, timer, state change, fault and client
//! request/reply is appended here as a typed, serializable record. The page draws from it; the checkers
//! read it; its hash proves that two runs were the same.

use crate::json::{Json, Object, ToJson};
use crate::process::{MsgKind, ProcId};
use crate::time::SimTime;

/// One line of the trace: an instant and what happened then.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub t: SimTime,
    pub event: TraceEvent,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TraceEvent {
    /// A message left `from` for `to`; it is due at `deliver_at` unless something drops it.
    /// `req` is the request id a command or its reply belongs to (pairs the arrows with client requests).
    Send { msg: u64, from: ProcId, to: ProcId, kind: MsgKind, label: String, deliver_at: SimTime, req: Option<u64> },
    /// Message `msg` reached its destination's handler.
    Deliver { msg: u64, from: ProcId, to: ProcId },
    /// Message `msg` never reached its destination.
    Drop { msg: u64, from: ProcId, to: ProcId, reason: DropReason },
    /// A timer fired in `proc`.
    Timer { proc: ProcId, timer: String },
    /// A process changed lifecycle state (started, crashed, paused, resumed).
    State { proc: ProcId, state: ProcState },
    /// A client sent request `id` to `server`.
    Request { client: ProcId, id: u64, server: ProcId, command: Vec<String> },
    /// The end of a client request: its reply, or why there was none.
    Outcome { client: ProcId, id: u64, outcome: Outcome, reply: String, latency_ms: u64 },
    /// A command typed in a console attached to `proc`, with the reply redis-cli would print.
    Console { proc: ProcId, line: String, reply: String },
    /// A network fault changed: a partition, a heal, a link's latency or loss.
    Fault { fault: String },
    /// A line the process would write to its log, in Redis's own words.
    Log { proc: ProcId, text: String },
    /// A cluster client followed a redirection: `MOVED` or `ASK` for `slot`, to node `to`.
    Redirect { client: ProcId, id: u64, kind: String, slot: u16, to: ProcId },
    /// A Sentinel event, in Redis's notation: `+sdown` with `master mymaster 10.0.0.1 6379`.
    Sentinel { proc: ProcId, event: String, detail: String },
    /// A forked child (BGSAVE, AOF rewrite) started or ended: the page draws these as spans.
    Child { proc: ProcId, job: String, done: bool, ok: bool },
    /// A server's role changed: `master`, or `replica` of `master` (`ip:port`).
    Role { proc: ProcId, role: String, master: Option<String> },
    /// A number a process reports each time it changes, against its limit if it has one: a database's
    /// `connections` (queries in flight) out of its capacity.
    Gauge { proc: ProcId, name: String, value: u64, limit: Option<u64> },
}

impl TraceEvent {
    /// A short kind name, the same one the page filters on.
    pub fn kind(&self) -> &'static str {
        match self {
            TraceEvent::Send { .. } => "send",
            TraceEvent::Deliver { .. } => "deliver",
            TraceEvent::Drop { .. } => "drop",
            TraceEvent::Timer { .. } => "timer",
            TraceEvent::State { .. } => "state",
            TraceEvent::Request { .. } => "request",
            TraceEvent::Outcome { .. } => "outcome",
            TraceEvent::Console { .. } => "console",
            TraceEvent::Fault { .. } => "fault",
            TraceEvent::Log { .. } => "log",
            TraceEvent::Role { .. } => "role",
            TraceEvent::Child { .. } => "child",
            TraceEvent::Sentinel { .. } => "sentinel",
            TraceEvent::Redirect { .. } => "redirect",
            TraceEvent::Gauge { .. } => "gauge",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The link between the two hosts is cut.
    Partition,
    /// Random loss on the link.
    Loss,
    /// Nothing listens at the destination: the process is down.
    Refused,
    /// The sender's or the receiver's host lost power: what was in flight is gone, and nobody answers.
    HostDown,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Partition => "partition",
            DropReason::Loss => "loss",
            DropReason::Refused => "refused",
            DropReason::HostDown => "host_down",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    Up,
    Crashed,
    Paused,
}

impl ProcState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcState::Up => "up",
            ProcState::Crashed => "crashed",
            ProcState::Paused => "paused",
        }
    }
}

/// How a client request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A reply that is not an error: for a write, an acknowledgement.
    Ok,
    /// An error reply (`-ERR`, `-READONLY`, ...).
    Error,
    /// No reply before the client's timeout: the write may or may not have happened.
    Timeout,
    /// The connection was refused or reset: nothing was executed.
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Refused => "refused",
        }
    }
}

// Written as JSON: a record is one object, `t` then the event's `type` and fields (one line of the trace).

impl ToJson for Record {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("t", &self.t);
        self.event.write_fields(&mut o);
    }
}

impl TraceEvent {
    /// `type` (the kind name) and the variant's fields, in declaration order.
    fn write_fields(&self, o: &mut Object<'_>) {
        o.field("type", &self.kind());
        match self {
            TraceEvent::Send { msg, from, to, kind, label, deliver_at, req } => {
                o.field("msg", msg).field("from", from).field("to", to).field("kind", &kind.as_str());
                o.field("label", label).field("deliver_at", deliver_at).field("req", req);
            }
            TraceEvent::Deliver { msg, from, to } => {
                o.field("msg", msg).field("from", from).field("to", to);
            }
            TraceEvent::Drop { msg, from, to, reason } => {
                o.field("msg", msg).field("from", from).field("to", to).field("reason", &reason.as_str());
            }
            TraceEvent::Timer { proc, timer } => {
                o.field("proc", proc).field("timer", timer);
            }
            TraceEvent::State { proc, state } => {
                o.field("proc", proc).field("state", &state.as_str());
            }
            TraceEvent::Request { client, id, server, command } => {
                o.field("client", client).field("id", id).field("server", server).field("command", command);
            }
            TraceEvent::Outcome { client, id, outcome, reply, latency_ms } => {
                o.field("client", client).field("id", id).field("outcome", &outcome.as_str()).field("reply", reply);
                o.field("latency_ms", latency_ms);
            }
            TraceEvent::Console { proc, line, reply } => {
                o.field("proc", proc).field("line", line).field("reply", reply);
            }
            TraceEvent::Fault { fault } => {
                o.field("fault", fault);
            }
            TraceEvent::Log { proc, text } => {
                o.field("proc", proc).field("text", text);
            }
            TraceEvent::Redirect { client, id, kind, slot, to } => {
                o.field("client", client).field("id", id).field("kind", kind).field("slot", slot).field("to", to);
            }
            TraceEvent::Sentinel { proc, event, detail } => {
                o.field("proc", proc).field("event", event).field("detail", detail);
            }
            TraceEvent::Child { proc, job, done, ok } => {
                o.field("proc", proc).field("job", job).field("done", done).field("ok", ok);
            }
            TraceEvent::Role { proc, role, master } => {
                o.field("proc", proc).field("role", role).field("master", master);
            }
            TraceEvent::Gauge { proc, name, value, limit } => {
                o.field("proc", proc).field("name", name).field("value", value).field("limit", limit);
            }
        }
    }
}

/// FNV-1a over the JSON lines of the trace: a stable fingerprint, identical natively and in wasm.
pub fn trace_hash(records: &[Record]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for r in records {
        let line = crate::json::to_string(r);
        for b in line.bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
