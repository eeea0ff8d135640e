//! Helpers for the acceptance tests: loading scenario files from `tests/scenarios/` and reading a trace
//! the way a learner would (who asked what, what came back, when).

pub mod real;

use redis_ha_sim::trace::{Outcome, Record, TraceEvent};
use redis_ha_sim::Simulation;

/// Load `tests/scenarios/<name>.json`.
pub fn scenario(name: &str) -> String {
    let path = format!("{}/scenarios/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// One finished client request, joined from its `request` and `outcome` records.
#[derive(Clone, Debug)]
pub struct Finished {
    pub sent_at: u64,
    pub done_at: u64,
    pub command: Vec<String>,
    pub outcome: Outcome,
    pub reply: String,
}

pub fn finished_requests(trace: &[Record]) -> Vec<Finished> {
    let mut sent = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for r in trace {
        match &r.event {
            TraceEvent::Request { client, id, command, .. } => {
                sent.insert((*client, *id), (r.t.ms(), command.clone()));
            }
            TraceEvent::Outcome { client, id, outcome, reply, .. } => {
                if let Some((at, command)) = sent.remove(&(*client, *id)) {
                    out.push(Finished {
                        sent_at: at,
                        done_at: r.t.ms(),
                        command,
                        outcome: *outcome,
                        reply: reply.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// A line to print when a test fails, so the run can be reproduced from the CLI.
pub fn reproduce(sim: &Simulation, scenario: &str) -> String {
    format!(
        "reproduce with: cargo run -p redis-ha-sim -- run tests/scenarios/{scenario}.json --seed {} --until {}",
        sim.seed(),
        sim.now().ms()
    )
}
