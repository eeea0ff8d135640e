//! Figures counted from the trace alone: messages sent and dropped, each client's outcomes.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::trace::{Outcome, Record, TraceEvent};
use crate::vecmap::VecMap;

/// What each client saw of its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTally {
    pub client: ProcId,
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub refused: u64,
}

impl Default for ClientTally {
    fn default() -> Self {
        ClientTally { client: ProcId(0), sent: 0, ok: 0, errors: 0, timeouts: 0, refused: 0 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub now: u64,
    pub trace_len: usize,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    /// One tally per client, in process order.
    pub clients: Vec<ClientTally>,
}

impl ToJson for ClientTally {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("sent", &self.sent).field("ok", &self.ok);
        o.field("errors", &self.errors).field("timeouts", &self.timeouts).field("refused", &self.refused);
    }
}

impl ToJson for Metrics {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("now", &self.now).field("traceLen", &self.trace_len).field("messagesSent", &self.messages_sent);
        o.field("messagesDropped", &self.messages_dropped).field("clients", &self.clients);
    }
}

pub fn metrics(trace: &[Record], now: u64) -> Metrics {
    let mut tally = Tally::default();
    tally.add(trace);
    tally.metrics(trace.len(), now)
}

/// The counts of [`Metrics`] over the records read so far.
#[derive(Default)]
pub(super) struct Tally {
    messages_sent: u64,
    messages_dropped: u64,
    clients: VecMap<ProcId, ClientTally>,
}

impl Tally {
    pub(super) fn add(&mut self, trace: &[Record]) {
        for r in trace {
            match &r.event {
                TraceEvent::Send { .. } => self.messages_sent += 1,
                TraceEvent::Drop { .. } => self.messages_dropped += 1,
                TraceEvent::Request { client, .. } => self.client(*client).sent += 1,
                TraceEvent::Outcome { client, outcome, .. } => {
                    let t = self.client(*client);
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
    }

    fn client(&mut self, client: ProcId) -> &mut ClientTally {
        self.clients.entry(client).or_insert_with(|| ClientTally { client, ..Default::default() })
    }

    pub(super) fn metrics(&self, trace_len: usize, now: u64) -> Metrics {
        Metrics {
            now,
            trace_len,
            messages_sent: self.messages_sent,
            messages_dropped: self.messages_dropped,
            clients: self.clients.values().cloned().collect(),
        }
    }
}
