//! Checkers beside the nodes: figures computed from the trace alone, so they can be recomputed from an
//! exported trace and shown on the page as well as asserted in tests.

use crate::process::ProcId;
use crate::trace::{Outcome, Record, TraceEvent};
use serde::Serialize;
use std::collections::BTreeMap;

/// What each client saw of its requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTally {
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub refused: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub now: u64,
    pub trace_len: usize,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    pub clients: BTreeMap<ProcId, ClientTally>,
}

pub fn metrics(trace: &[Record], now: u64) -> Metrics {
    let mut m = Metrics {
        now,
        trace_len: trace.len(),
        ..Metrics::default()
    };
    for r in trace {
        match &r.event {
            TraceEvent::Send { .. } => m.messages_sent += 1,
            TraceEvent::Drop { .. } => m.messages_dropped += 1,
            TraceEvent::Request { client, .. } => m.clients.entry(*client).or_default().sent += 1,
            TraceEvent::Outcome {
                client, outcome, ..
            } => {
                let t = m.clients.entry(*client).or_default();
                match outcome {
                    Outcome::Ok => t.ok += 1,
                    Outcome::Error => t.errors += 1,
                    Outcome::Timeout => t.timeouts += 1,
                    Outcome::Refused => t.refused += 1,
                }
            }
            _ => {}
        }
    }
    m
}
