//! The trace as text lines, for the CLI and for people reading a run: one line per record, process names
//! instead of ids, Redis's own words where there are some.

use crate::trace::{Record, TraceEvent};
use crate::world::World;
use std::fmt::Write;

/// Format one record, with the world's process names.
pub fn line(record: &Record, world: &World) -> String {
    let mut out = String::new();
    write_line(&mut out, record, world);
    out
}

/// [`line`], written at the end of `out`: one buffer for a whole trace rather than a string per part.
fn write_line(out: &mut String, record: &Record, world: &World) {
    let name = |id: crate::process::ProcId| world.proc_name(id);
    // Writing to a String cannot fail.
    let _ = write!(out, "{:>10}  ", record.t.to_string());
    let _ = match &record.event {
        TraceEvent::Send { msg, from, to, label, deliver_at, .. } => {
            write!(out, "{} -> {}  #{msg} {label} (due {deliver_at})", name(*from), name(*to))
        }
        TraceEvent::Deliver { msg, from, to } => write!(out, "{} <- {}  #{msg} delivered", name(*to), name(*from)),
        TraceEvent::Drop { msg, from, to, reason } => {
            write!(out, "{} -> {}  #{msg} dropped ({})", name(*from), name(*to), reason.as_str())
        }
        TraceEvent::Timer { proc, timer } => write!(out, "{} timer {timer}", name(*proc)),
        TraceEvent::State { proc, state } => write!(out, "{} {}", name(*proc), state.as_str()),
        TraceEvent::Request { client, id, server, command } => {
            write!(out, "{} request #{id} to {}: {}", name(*client), name(*server), command.join(" "))
        }
        TraceEvent::Outcome { client, id, outcome, reply, latency_ms } => {
            write!(out, "{} request #{id} {} after {latency_ms} ms: {reply}", name(*client), outcome.as_str())
        }
        TraceEvent::Console { proc, line, reply } => {
            let _ = writeln!(out, "{}> {line}", name(*proc));
            // The reply under the command, each line indented.
            for (i, l) in reply.lines().enumerate() {
                let _ = write!(out, "{}{:>12}{l}", if i == 0 { "" } else { "\n" }, "");
            }
            Ok(())
        }
        TraceEvent::Fault { fault } => write!(out, "network: {fault}"),
        TraceEvent::Log { proc, text } => write!(out, "{} log: {text}", name(*proc)),
        TraceEvent::Sentinel { proc, event, detail } => write!(out, "{} {event} {detail}", name(*proc)),
        TraceEvent::Redirect { client, id, kind, slot, to } => {
            write!(out, "{} request #{id} {kind} {slot} -> {}", name(*client), name(*to))
        }
        TraceEvent::Child { proc, job, done, ok } => {
            let what = match (done, ok) {
                (false, _) => "started",
                (true, true) => "finished",
                (true, false) => "failed",
            };
            write!(out, "{} {job} {what}", name(*proc))
        }
        TraceEvent::Role { proc, role, master } => match master {
            Some(m) => write!(out, "{} role: {role} of {m}", name(*proc)),
            None => write!(out, "{} role: {role}", name(*proc)),
        },
        TraceEvent::Gauge { proc, name: gauge, value, limit } => match limit {
            Some(l) => write!(out, "{} {gauge} {value}/{l}", name(*proc)),
            None => write!(out, "{} {gauge} {value}", name(*proc)),
        },
    };
}

/// Every record as text, using the world's process names.
pub fn render(records: &[Record], world: &World) -> String {
    let mut out = String::new();
    for r in records {
        write_line(&mut out, r, world);
        out.push('\n');
    }
    out
}

/// The history checks as a few lines after the trace: what a learner wants to know at the end of a run.
pub fn checks_summary(c: &crate::check::Checks, world: &World) -> String {
    let name = |id: crate::process::ProcId| world.proc_name(id).to_string();
    let mut out = String::from("\n-- checks --\n");
    if c.serving_masters.len() > 1 {
        let each: Vec<String> = c.serving_masters.iter().map(|&m| name(m)).collect();
        out.push_str(&format!("serving masters, one per deployment: {}\n", each.join(", ")));
    } else {
        let master = c.serving_master.map(name).unwrap_or_else(|| "none".into());
        out.push_str(&format!("serving master: {master}\n"));
    }
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
