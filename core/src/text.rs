//! The trace as text lines, for the CLI and for people reading a run: one line per record, process names
//! instead of ids, Redis's own words where there are some.

use crate::trace::{Record, TraceEvent};
use crate::world::World;

/// Format one record. `names` maps process ids to names.
pub fn line(record: &Record, names: &dyn Fn(crate::process::ProcId) -> String) -> String {
    let t = format!("{:>10}", record.t.to_string());
    let body = match &record.event {
        TraceEvent::Send { msg, from, to, label, deliver_at, .. } => {
            format!("{} -> {}  #{msg} {label} (due {deliver_at})", names(*from), names(*to))
        }
        TraceEvent::Deliver { msg, from, to } => {
            format!("{} <- {}  #{msg} delivered", names(*to), names(*from))
        }
        TraceEvent::Drop { msg, from, to, reason } => {
            format!("{} -> {}  #{msg} dropped ({})", names(*from), names(*to), reason.as_str())
        }
        TraceEvent::Timer { proc, timer } => format!("{} timer {timer}", names(*proc)),
        TraceEvent::State { proc, state } => format!("{} {}", names(*proc), state.as_str()),
        TraceEvent::Request { client, id, server, command } => {
            format!("{} request #{id} to {}: {}", names(*client), names(*server), command.join(" "))
        }
        TraceEvent::Outcome { client, id, outcome, reply, latency_ms } => {
            format!("{} request #{id} {} after {latency_ms} ms: {reply}", names(*client), outcome.as_str())
        }
        TraceEvent::Console { proc, line, reply } => {
            format!("{}> {line}\n{}", names(*proc), indent(reply))
        }
        TraceEvent::Fault { fault } => format!("network: {fault}"),
        TraceEvent::Log { proc, text } => format!("{} log: {text}", names(*proc)),
        TraceEvent::Sentinel { proc, event, detail } => format!("{} {event} {detail}", names(*proc)),
        TraceEvent::Redirect { client, id, kind, slot, to } => {
            format!("{} request #{id} {kind} {slot} -> {}", names(*client), names(*to))
        }
        TraceEvent::Child { proc, job, done, ok } => {
            let what = match (done, ok) {
                (false, _) => "started",
                (true, true) => "finished",
                (true, false) => "failed",
            };
            format!("{} {job} {what}", names(*proc))
        }
        TraceEvent::Role { proc, role, master } => match master {
            Some(m) => format!("{} role: {role} of {m}", names(*proc)),
            None => format!("{} role: {role}", names(*proc)),
        },
        TraceEvent::Gauge { proc, name, value, limit } => match limit {
            Some(l) => format!("{} {name} {value}/{l}", names(*proc)),
            None => format!("{} {name} {value}", names(*proc)),
        },
    };
    format!("{t}  {body}")
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("{:>12}{l}", "")).collect::<Vec<_>>().join("\n")
}

/// Every record as text, using the world's process names.
pub fn render(records: &[Record], world: &World) -> String {
    let names = |id: crate::process::ProcId| world.proc_name(id).to_string();
    let mut out = String::new();
    for r in records {
        out.push_str(&line(r, &names));
        out.push('\n');
    }
    out
}

/// The history checks as a few lines after the trace: what a learner wants to know at the end of a run.
pub fn checks_summary(c: &crate::check::Checks, world: &World) -> String {
    let name = |id: crate::process::ProcId| world.proc_name(id).to_string();
    let mut out = String::from("\n-- checks --\n");
    let master = c.serving_master.map(name).unwrap_or_else(|| "none".into());
    out.push_str(&format!("serving master: {master}\n"));
    out.push_str(&format!("acknowledged writes: {}, lost: {}\n", c.acked_writes, c.lost_writes.len()));
    if c.acked_by_client.len() > 1 {
        let each: Vec<String> = c
            .acked_by_client
            .iter()
            .map(|(client, acked)| {
                let lost = c.lost_writes.iter().filter(|l| l.client == *client).count();
                format!("{} {lost} of {acked}", name(*client))
            })
            .collect();
        out.push_str(&format!("  lost by client: {}\n", each.join(", ")));
    }
    for l in &c.lost_writes {
        let found = l.found.clone().unwrap_or_else(|| "(nil)".into());
        out.push_str(&format!(
            "  lost: {} = {} (acknowledged to {} at {}; master has {found})\n",
            l.key,
            l.value,
            name(l.client),
            crate::time::SimTime(l.acked_at)
        ));
    }
    out.push_str(&format!("stale reads: {}\n", c.stale_reads.len()));
    out.push_str(&format!("time without a writable master: {} ms\n", c.no_master_ms));
    for w in &c.unavailable {
        out.push_str(&format!(
            "{} unavailable from {} to {} ({} failed requests)\n",
            name(w.client),
            crate::time::SimTime(w.from),
            crate::time::SimTime(w.to),
            w.failed_requests
        ));
    }
    if !c.split_brain.is_empty() {
        out.push_str(&format!("two or more masters: {:?}\n", c.split_brain));
    }
    out
}
