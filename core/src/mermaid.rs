//! The trace as a Mermaid `sequenceDiagram`, for static documentation: processes are participants, messages
//! are arrows at the time they are sent (a lost one ends in a cross), faults, state changes, roles, logs and
//! Sentinel events are notes. Keep-alives and cluster gossip are left out unless asked for, and a diagram
//! stops after a number of lines with a note saying how much it left out, so a 30-second run stays readable.

use crate::process::{MsgKind, ProcId};
use crate::time::SimTime;
use crate::trace::{DropReason, Outcome, Record, TraceEvent};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

/// What goes into the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Records before this virtual time (ms) are left out.
    pub from_ms: u64,
    /// Records after this virtual time (ms) are left out; none: up to the end of the trace.
    pub until_ms: Option<u64>,
    /// Arrows and notes drawn before the rest is summarised in one final note.
    pub max_lines: usize,
    /// Draw keep-alives too: REPLCONF ACK, the master's PINGs, Sentinel's PING, INFO and hello messages.
    pub heartbeats: bool,
    /// Draw the cluster bus PING/PONG/MEET messages too.
    pub gossip: bool,
    /// Draw every client request, reply and replication stream message. By default those between two other
    /// lines are summarised as one arrow per pair of processes and fate ("12 requests, first: GET key:3").
    pub every_message: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { from_ms: 0, until_ms: None, max_lines: 400, heartbeats: false, gossip: false, every_message: false }
    }
}

/// A process as the diagram names it: its name and its kind (`server`, `sentinel`, `client`, `reshard`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub name: String,
    pub kind: String,
}

/// The world's processes, indexed by [`ProcId`].
pub fn participants(world: &World) -> Vec<Participant> {
    world.procs().iter().map(|p| Participant { name: p.name.clone(), kind: p.node.kind().to_string() }).collect()
}

/// The trace of a world as a diagram.
pub fn render_world(records: &[Record], world: &World, opts: &Options) -> String {
    render(records, &participants(world), opts)
}

enum Line {
    Arrow { from: ProcId, to: ProcId, reply: bool, lost: Option<DropReason>, text: String, routine: Option<Routine> },
    Note { over: Option<ProcId>, text: String },
}

/// Traffic that repeats all through a run and may be summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Routine {
    Request,
    Reply,
    Stream,
}

impl Routine {
    fn words(self, n: usize) -> String {
        match self {
            Routine::Request => format!("{n} requests"),
            Routine::Reply => format!("{n} replies"),
            Routine::Stream => format!("{n} replication stream messages"),
        }
    }
}

/// Runs of routine arrows between two other lines become one arrow per (from, to, kind, fate): its first and
/// last time, how many, and the first one's label.
fn summarise(lines: Vec<(SimTime, Line)>) -> Vec<(SimTime, Line)> {
    type Run = (SimTime, SimTime, usize, Line);
    type Key = (ProcId, ProcId, Routine, Option<DropReason>);
    fn flush(out: &mut Vec<(SimTime, Line)>, runs: &mut Vec<(Key, Run)>) {
        for (_, (first, last, n, line)) in runs.drain(..) {
            match line {
                Line::Arrow { from, to, reply, lost, text, routine: Some(r) } if n > 1 => {
                    let text = format!("… {last}: {}, first: {text}", r.words(n));
                    out.push((first, Line::Arrow { from, to, reply, lost, text, routine: None }));
                }
                line => out.push((first, line)),
            }
        }
    }
    let mut out = Vec::new();
    let mut runs: Vec<(Key, Run)> = Vec::new();
    for (t, line) in lines {
        match line {
            Line::Arrow { from, to, routine: Some(r), lost, .. } => {
                match runs.iter_mut().find(|(k, _)| *k == (from, to, r, lost)) {
                    Some((_, run)) => {
                        run.1 = t;
                        run.2 += 1;
                    }
                    None => runs.push(((from, to, r, lost), (t, t, 1, line))),
                }
            }
            line => {
                flush(&mut out, &mut runs);
                out.push((t, line));
            }
        }
    }
    flush(&mut out, &mut runs);
    out
}

/// Commands Sentinel sends all the time to watch instances and find its peers: not the story of a run.
fn sentinel_chatter(label: &str) -> bool {
    let first = label.split(' ').next().unwrap_or("");
    ["PING", "INFO", "PUBLISH"].iter().any(|c| first.eq_ignore_ascii_case(c))
}

fn drop_words(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Partition => "lost: partition",
        DropReason::Loss => "lost on the link",
        DropReason::Refused => "refused",
        DropReason::HostDown => "lost: host down",
    }
}

/// Mermaid's own characters as its entity codes, so labels cannot end a statement or open markup.
fn escape(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '"' => out.push_str("#34;"),
            '\n' => out.push_str("<br/>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Render `records` with `procs` naming the processes (indexed by [`ProcId`]).
pub fn render(records: &[Record], procs: &[Participant], opts: &Options) -> String {
    let kind = |p: ProcId| procs.get(p.index()).map_or("", |x| x.kind.as_str());
    // Which requests came from an application's workload, and which messages never arrived.
    let mut client_requests = BTreeSet::new();
    let mut lost = BTreeMap::new();
    for r in records {
        match &r.event {
            TraceEvent::Request { client, id, .. } => {
                client_requests.insert((*client, *id));
            }
            TraceEvent::Drop { msg, reason, .. } => {
                lost.insert(*msg, *reason);
            }
            _ => {}
        }
    }
    let until = opts.until_ms.unwrap_or(u64::MAX);
    let mut chatter: BTreeSet<(ProcId, ProcId, u64)> = BTreeSet::new();
    let mut lines: Vec<(SimTime, Line)> = Vec::new();
    for r in records {
        let in_window = (opts.from_ms..=until).contains(&r.t.ms());
        let t = r.t;
        let note = |over: Option<ProcId>, text: String| (t, Line::Note { over, text });
        match &r.event {
            TraceEvent::Send { msg, from, to, kind: k, label, req, .. } => {
                let quiet = match k {
                    MsgKind::Heartbeat => !opts.heartbeats,
                    MsgKind::Gossip => !opts.gossip,
                    MsgKind::Command => {
                        let is_chatter = kind(*from) == "sentinel" && sentinel_chatter(label);
                        if let (true, Some(id)) = (is_chatter, req) {
                            chatter.insert((*from, *to, *id));
                        }
                        is_chatter && !opts.heartbeats
                    }
                    MsgKind::Reply => req.is_some_and(|id| chatter.contains(&(*to, *from, id))) && !opts.heartbeats,
                    MsgKind::Replication | MsgKind::ClusterControl => false,
                };
                if in_window && !quiet {
                    let reply = *k == MsgKind::Reply;
                    let routine = match k {
                        MsgKind::Command if req.is_some_and(|id| client_requests.contains(&(*from, id))) => {
                            Some(Routine::Request)
                        }
                        MsgKind::Reply if req.is_some_and(|id| client_requests.contains(&(*to, id))) => {
                            Some(Routine::Reply)
                        }
                        MsgKind::Replication if !label.starts_with("RDB") => Some(Routine::Stream),
                        _ => None,
                    };
                    let lost = lost.get(msg).copied();
                    lines.push((t, Line::Arrow { from: *from, to: *to, reply, lost, text: label.clone(), routine }));
                }
            }
            _ if !in_window => {}
            TraceEvent::State { proc, state } => lines.push(note(Some(*proc), state.as_str().to_string())),
            TraceEvent::Outcome { client, id, outcome: Outcome::Timeout, latency_ms, .. } => {
                lines.push(note(Some(*client), format!("request {id} timed out after {latency_ms} ms")))
            }
            TraceEvent::Console { proc, line, reply } => {
                lines.push(note(Some(*proc), format!("redis-cli> {line}\n{}", reply.lines().next().unwrap_or(""))))
            }
            TraceEvent::Fault { fault } => lines.push(note(None, fault.clone())),
            TraceEvent::Log { proc, text } => lines.push(note(Some(*proc), text.clone())),
            TraceEvent::Redirect { client, kind, slot, to, .. } => {
                let name = procs.get(to.index()).map_or("?", |p| p.name.as_str());
                lines.push(note(Some(*client), format!("{kind} {slot} → {name}")))
            }
            TraceEvent::Sentinel { proc, event, detail } => lines.push(note(Some(*proc), format!("{event} {detail}"))),
            TraceEvent::Child { proc, job, done, ok } => {
                let what = match (done, ok) {
                    (false, _) => "started",
                    (true, true) => "finished",
                    (true, false) => "failed",
                };
                lines.push(note(Some(*proc), format!("{job} {what}")))
            }
            TraceEvent::Role { proc, role, master } => lines.push(note(
                Some(*proc),
                match master {
                    Some(m) => format!("role: {role} of {m}"),
                    None => format!("role: {role}"),
                },
            )),
            // A gauge changes with every query: too many notes for a diagram (the refusals are log lines).
            TraceEvent::Deliver { .. }
            | TraceEvent::Gauge { .. }
            | TraceEvent::Drop { .. }
            | TraceEvent::Timer { .. }
            | TraceEvent::Request { .. }
            | TraceEvent::Outcome { .. } => {}
        }
    }
    if !opts.every_message {
        lines = summarise(lines);
    }
    let left_out = lines.len().saturating_sub(opts.max_lines);
    let last_left_out = lines.last().map(|(t, _)| *t);
    lines.truncate(opts.max_lines);

    // Only the processes that appear, in world order; every process when only notes over all remain.
    let mut shown: BTreeSet<ProcId> = BTreeSet::new();
    for (_, l) in &lines {
        match l {
            Line::Arrow { from, to, .. } => {
                shown.insert(*from);
                shown.insert(*to);
            }
            Line::Note { over: Some(p), .. } => {
                shown.insert(*p);
            }
            Line::Note { over: None, .. } => {}
        }
    }
    if shown.is_empty() {
        shown = (0..procs.len() as u32).map(ProcId).collect();
    }
    let id = |p: ProcId| format!("p{}", p.0);
    let everyone = match (shown.first(), shown.last()) {
        (Some(a), Some(b)) if a != b => format!("{},{}", id(*a), id(*b)),
        (Some(a), _) => id(*a),
        _ => String::new(),
    };

    let mut out = String::from("sequenceDiagram\n");
    for p in &shown {
        let name = procs.get(p.index()).map_or("?", |x| x.name.as_str());
        out.push_str(&format!("    participant {} as {}\n", id(*p), escape(name, 64)));
    }
    for (t, l) in &lines {
        match l {
            Line::Arrow { from, to, reply, lost, text, .. } => {
                let arrow = match (reply, lost.is_some()) {
                    (false, false) => "->>",
                    (true, false) => "-->>",
                    (false, true) => "-x",
                    (true, true) => "--x",
                };
                let why = lost.map(|r| format!(" ({})", drop_words(r))).unwrap_or_default();
                out.push_str(&format!("    {}{arrow}{}: {t} {}{why}\n", id(*from), id(*to), escape(text, 80)));
            }
            Line::Note { over, text } => {
                let over = over.map_or(everyone.clone(), id);
                if !over.is_empty() {
                    out.push_str(&format!("    Note over {over}: {t} {}\n", escape(text, 100)));
                }
            }
        }
    }
    if let (true, Some(last)) = (left_out > 0, last_left_out) {
        out.push_str(&format!(
            "    Note over {everyone}: … {left_out} more lines up to {last} left out: narrow the time window or raise the line limit\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::ProcState;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn procs() -> Vec<Participant> {
        [("redis-1", "server"), ("app", "client"), ("sentinel-1", "sentinel")]
            .iter()
            .map(|(n, k)| Participant { name: n.to_string(), kind: k.to_string() })
            .collect()
    }

    fn rec(t: u64, event: TraceEvent) -> Record {
        Record { t: SimTime(t), event }
    }

    fn send(t: u64, msg: u64, from: u32, to: u32, kind: MsgKind, label: &str, req: Option<u64>) -> Record {
        rec(
            t,
            TraceEvent::Send {
                msg,
                from: ProcId(from),
                to: ProcId(to),
                kind,
                label: label.into(),
                deliver_at: SimTime(t + 1),
                req,
            },
        )
    }

    #[test]
    fn requests_replies_losses_and_notes() {
        let trace = vec![
            rec(0, TraceEvent::Request { client: ProcId(1), id: 1, server: ProcId(0), command: vec!["SET".into()] }),
            send(0, 1, 1, 0, MsgKind::Command, "SET key:1 app:1", Some(1)),
            send(1, 2, 0, 1, MsgKind::Reply, "OK", Some(1)),
            rec(2, TraceEvent::Fault { fault: "partition [db] | [app]".into() }),
            send(3, 3, 1, 0, MsgKind::Command, "GET key:1", Some(2)),
            rec(3, TraceEvent::Drop { msg: 3, from: ProcId(1), to: ProcId(0), reason: DropReason::Partition }),
            rec(5, TraceEvent::State { proc: ProcId(0), state: ProcState::Crashed }),
        ];
        let text = render(&trace, &procs(), &Options::default());
        assert_eq!(text, render(&trace, &procs(), &Options { every_message: true, ..Options::default() }));
        assert_eq!(
            text,
            "sequenceDiagram\n    participant p0 as redis-1\n    participant p1 as app\n\
             \x20   p1->>p0: 0.000s SET key:1 app:1\n    p0-->>p1: 0.001s OK\n\
             \x20   Note over p0,p1: 0.002s partition [db] | [app]\n\
             \x20   p1-xp0: 0.003s GET key:1 (lost: partition)\n    Note over p0: 0.005s crashed\n"
        );
    }

    #[test]
    fn sentinel_chatter_and_heartbeats_are_left_out_unless_asked() {
        let trace = vec![
            send(0, 1, 2, 0, MsgKind::Command, "PING", Some(7)),
            send(1, 2, 0, 2, MsgKind::Reply, "PONG", Some(7)),
            send(2, 3, 0, 2, MsgKind::Heartbeat, "REPLCONF ACK 0", None),
            send(3, 4, 2, 0, MsgKind::Command, "SENTINEL is-master-down-by-addr", Some(8)),
            rec(4, TraceEvent::Sentinel { proc: ProcId(2), event: "+sdown".into(), detail: "master m 1 2".into() }),
        ];
        let quiet = render(&trace, &procs(), &Options::default());
        assert!(!quiet.contains("PING") && !quiet.contains("PONG") && !quiet.contains("REPLCONF"), "{quiet}");
        assert!(quiet.contains("p2->>p0: 0.003s SENTINEL is-master-down-by-addr"));
        assert!(quiet.contains("Note over p2: 0.004s +sdown master m 1 2"));
        let all = render(&trace, &procs(), &Options { heartbeats: true, ..Options::default() });
        assert!(all.contains("PING") && all.contains("PONG") && all.contains("REPLCONF"), "{all}");
    }

    #[test]
    fn a_window_and_a_cap_with_a_final_note() {
        let trace: Vec<Record> =
            (0..50).map(|i| send(i * 10, i, 1, 0, MsgKind::Command, &format!("GET k{i}"), Some(i))).collect();
        let text = render(
            &trace,
            &procs(),
            &Options { from_ms: 100, until_ms: Some(300), max_lines: 5, ..Default::default() },
        );
        assert!(text.contains("0.100s GET k10\n") && text.contains("0.140s GET k14\n"), "{text}");
        assert!(!text.contains("GET k15") && !text.contains("GET k9\n"));
        assert!(text.ends_with("Note over p0,p1: … 16 more lines up to 0.300s left out: narrow the time window or raise the line limit\n"), "{text}");
    }

    #[test]
    fn routine_traffic_between_two_events_is_summarised() {
        let mut trace = Vec::new();
        for i in 0..10 {
            trace.push(rec(
                i * 100,
                TraceEvent::Request { client: ProcId(1), id: i, server: ProcId(0), command: vec![] },
            ));
            trace.push(send(i * 100, 2 * i, 1, 0, MsgKind::Command, &format!("GET k{i}"), Some(i)));
            trace.push(send(i * 100 + 1, 2 * i + 1, 0, 1, MsgKind::Reply, "(nil)", Some(i)));
            if i == 4 {
                trace.push(rec(450, TraceEvent::State { proc: ProcId(0), state: ProcState::Paused }));
            }
        }
        let text = render(&trace, &procs(), &Options::default());
        assert_eq!(
            text.lines().skip(3).collect::<Vec<_>>(),
            [
                "    p1->>p0: 0.000s … 0.400s: 5 requests, first: GET k0",
                "    p0-->>p1: 0.001s … 0.401s: 5 replies, first: (nil)",
                "    Note over p0: 0.450s paused",
                "    p1->>p0: 0.500s … 0.900s: 5 requests, first: GET k5",
                "    p0-->>p1: 0.501s … 0.901s: 5 replies, first: (nil)",
            ]
        );
        let every = render(&trace, &procs(), &Options { every_message: true, ..Options::default() });
        assert_eq!(every.lines().count(), 3 + 21);
    }

    #[test]
    fn labels_cannot_break_the_diagram() {
        assert_eq!(escape("a;b #1 <x>\n\"q\"", 100), "a#59;b #35;1 #60;x#62;<br/>#34;q#34;");
        assert_eq!(escape("abcdef", 3), "abc…");
    }

    #[test]
    fn a_real_run_renders() {
        let mut sim = crate::Simulation::from_json(crate::library::get("sentinel").unwrap(), 1).unwrap();
        sim.run_until(SimTime(30_000));
        let text = render_world(sim.trace(), sim.world(), &Options::default());
        assert!(text.starts_with("sequenceDiagram\n"));
        assert!(text.lines().count() <= Options::default().max_lines + 1 + sim.world().procs().len() + 1);
        assert!(text.contains("+switch-master"), "{text}");
        let every = Options { every_message: true, ..Options::default() };
        assert!(render_world(sim.trace(), sim.world(), &every).contains("more lines up to"));
    }
}
