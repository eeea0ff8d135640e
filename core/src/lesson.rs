//! Lessons: a scenario's narration (what to say when) and expectations (what must be true of the run), so
//! the same file teaches on the page and is checked by tests and the CLI. Expectations are predicates over
//! the trace, the checkers and the final state — what a learner would check by hand.

use crate::action::Action;
use crate::check;
use crate::decode::{self, Decode, Fields};
use crate::json::{Json, ToJson, Value};
use crate::sim::Simulation;
use crate::trace::TraceEvent;

/// A line of narration shown from `at_ms` on; optionally a question to predict before the answer is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Narration {
    pub at_ms: u64,
    pub text: String,
    pub ask: Option<String>,
    pub answer: Option<String>,
}

/// Something that must be true of a run of the scenario (checked at the end of its `duration_ms`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// A Sentinel event (`+switch-master`), or a log line, fault or state change starting with `event`
    /// (`Failover election won`, `power off`, `crashed`), happens between `after_ms` and `before_ms` — or, with
    /// `absent`, never happens.
    Event { event: String, process: Option<String>, after_ms: Option<u64>, before_ms: Option<u64>, absent: bool },
    /// The number of acknowledged writes lost (by `client` alone, if given) is within bounds.
    LostWrites { client: Option<String>, min: Option<u64>, max: Option<u64> },
    /// The number of stale reads is within bounds.
    StaleReads { min: Option<u64>, max: Option<u64> },
    /// The time without a writable master, in ms, is within bounds.
    NoMasterMs { min: Option<u64>, max: Option<u64> },
    /// At the end, a command typed into `process` prints exactly `reply` (or, with `contains`, includes it).
    Command { process: String, line: String, reply: String, contains: bool },
}

impl Decode for Narration {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct Narration", &["at_ms", "text", "ask", "answer"])?;
        f.done(Narration { at_ms: f.req("at_ms"), text: f.req("text"), ask: f.opt("ask"), answer: f.opt("answer") })
    }
}

/// Each check (its `check` tag) and fields.
const CHECKS: &[(&str, &[&str])] = &[
    ("event", &["event", "process", "after_ms", "before_ms", "absent"]),
    ("lost_writes", &["client", "min", "max"]),
    ("stale_reads", &["min", "max"]),
    ("no_master_ms", &["min", "max"]),
    ("command", &["process", "line", "reply", "contains"]),
];

impl Decode for Expectation {
    fn decode(v: &Value) -> decode::Result<Self> {
        let tag = "check";
        let (check, known) = Fields::tag(v, tag, CHECKS)?;
        let f = Fields::variant(v, &[tag], known)?;
        let expectation = match check {
            "event" => Expectation::Event {
                event: f.req("event"),
                process: f.opt("process"),
                after_ms: f.opt("after_ms"),
                before_ms: f.opt("before_ms"),
                absent: f.or_default("absent"),
            },
            "lost_writes" => Expectation::LostWrites { client: f.opt("client"), min: f.opt("min"), max: f.opt("max") },
            "stale_reads" => Expectation::StaleReads { min: f.opt("min"), max: f.opt("max") },
            "no_master_ms" => Expectation::NoMasterMs { min: f.opt("min"), max: f.opt("max") },
            _ => Expectation::Command {
                process: f.req("process"),
                line: f.req("line"),
                reply: f.req("reply"),
                contains: f.or_default("contains"),
            },
        };
        f.done(expectation)
    }
}

impl ToJson for Narration {
    fn write_json(&self, out: &mut Json) {
        out.object()
            .field("at_ms", &self.at_ms)
            .field("text", &self.text)
            .field("ask", &self.ask)
            .field("answer", &self.answer);
    }
}

/// The `check` tag first, then the variant's fields.
impl ToJson for Expectation {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        match self {
            Expectation::Event { event, process, after_ms, before_ms, absent } => {
                o.field("check", &"event").field("event", event).field("process", process);
                o.field("after_ms", after_ms).field("before_ms", before_ms).field("absent", absent);
            }
            Expectation::LostWrites { client, min, max } => {
                o.field("check", &"lost_writes").field("client", client).field("min", min).field("max", max);
            }
            Expectation::StaleReads { min, max } => {
                o.field("check", &"stale_reads").field("min", min).field("max", max);
            }
            Expectation::NoMasterMs { min, max } => {
                o.field("check", &"no_master_ms").field("min", min).field("max", max);
            }
            Expectation::Command { process, line, reply, contains } => {
                o.field("check", &"command").field("process", process).field("line", line);
                o.field("reply", reply).field("contains", contains);
            }
        }
    }
}

/// The verdict on one expectation.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub expectation: String,
    pub passed: bool,
    pub detail: String,
}

impl ToJson for Verdict {
    fn write_json(&self, out: &mut Json) {
        out.object()
            .field("expectation", &self.expectation)
            .field("passed", &self.passed)
            .field("detail", &self.detail);
    }
}

fn within(v: u64, min: Option<u64>, max: Option<u64>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

fn bounds(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any".into(),
    }
}

/// `[1, 2, 3]`, as `{:?}` writes a list: without `Debug`'s list formatting in the page's package.
fn list(times: &[u64]) -> String {
    let mut out = String::from("[");
    for (i, t) in times.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&t.to_string());
    }
    out + "]"
}

/// What `Simulation::command` would print, typed into a copy of the world as it is now. Only the world is
/// copied (the world never reads the trace, so a scratch trace does), not the trace and checkpoints.
fn command_on_copy(sim: &Simulation, process: &str, line: &str) -> crate::Result<String> {
    let mut world = sim.world().clone();
    let action = Action::Command { process: process.into(), line: line.into() };
    world.check_action(&action)?;
    Ok(world.apply(&action, &mut Vec::new())?.unwrap_or_default())
}

/// When each matching record happened.
fn event_times(sim: &Simulation, event: &str, process: Option<&str>) -> Vec<u64> {
    let world = sim.world();
    let pid = process.and_then(|p| world.proc_id(p).ok());
    let by = |p: crate::process::ProcId| pid.is_none_or(|x| x == p);
    sim.trace()
        .iter()
        .filter(|r| match &r.event {
            TraceEvent::Sentinel { proc, event: e, .. } => by(*proc) && e == event,
            TraceEvent::Log { proc, text } => by(*proc) && text.starts_with(event),
            TraceEvent::Fault { fault } => pid.is_none() && fault.starts_with(event),
            TraceEvent::State { proc, state } => by(*proc) && state.as_str() == event,
            TraceEvent::Redirect { client, kind, .. } => by(*client) && kind == event,
            _ => false,
        })
        .map(|r| r.t.ms())
        .collect()
}

/// Judge every expectation against the run as it is now. Command expectations act on a copy, so judging
/// does not change the run.
pub fn judge(sim: &Simulation, expectations: &[Expectation]) -> Vec<Verdict> {
    let checks = check::checks(sim.world(), sim.trace());
    expectations
        .iter()
        .map(|e| match e {
            Expectation::Event { event, process, after_ms, before_ms, absent } => {
                let times = event_times(sim, event, process.as_deref());
                let inside: Vec<u64> = times.iter().copied().filter(|t| within(*t, *after_ms, *before_ms)).collect();
                let window = bounds(*after_ms, *before_ms);
                let who = process.as_ref().map(|p| format!(" on {p}")).unwrap_or_default();
                if *absent {
                    Verdict {
                        expectation: format!("no {event}{who} ({window} ms)"),
                        passed: inside.is_empty(),
                        detail: format!("seen at {}", list(&inside)),
                    }
                } else {
                    Verdict {
                        expectation: format!("{event}{who} ({window} ms)"),
                        passed: !inside.is_empty(),
                        detail: format!("seen at {}", list(&times)),
                    }
                }
            }
            Expectation::LostWrites { client, min, max } => {
                let world = sim.world();
                let by = client.as_deref().map(|c| world.proc_id(c).ok());
                if let (Some(None), Some(c)) = (by, client) {
                    return Verdict {
                        expectation: format!("acknowledged writes lost by {c}"),
                        passed: false,
                        detail: format!("no process is named '{c}'"),
                    };
                }
                let n = checks.lost_writes.iter().filter(|l| by.is_none_or(|id| id == Some(l.client))).count() as u64;
                let whose = client.as_ref().map(|c| format!(" by {c}")).unwrap_or_default();
                Verdict {
                    expectation: format!("acknowledged writes lost{whose} {}", bounds(*min, *max)),
                    passed: within(n, *min, *max),
                    detail: format!("{n} lost"),
                }
            }
            Expectation::StaleReads { min, max } => {
                let n = checks.stale_reads.len() as u64;
                Verdict {
                    expectation: format!("stale reads {}", bounds(*min, *max)),
                    passed: within(n, *min, *max),
                    detail: format!("{n} stale reads"),
                }
            }
            Expectation::NoMasterMs { min, max } => {
                let n = checks.no_master_ms;
                Verdict {
                    expectation: format!("time without a writable master {} ms", bounds(*min, *max)),
                    passed: within(n, *min, *max),
                    detail: format!("{n} ms"),
                }
            }
            Expectation::Command { process, line, reply, contains } => {
                let got = command_on_copy(sim, process, line).unwrap_or_else(|e| e.to_string());
                let passed = if *contains { got.contains(reply.as_str()) } else { got == *reply };
                Verdict { expectation: format!("{process}> {line} → {reply}"), passed, detail: got }
            }
        })
        .collect()
}
