//! The writes and reads a trace shows, and the two checks on them: acknowledged writes lost, stale reads.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::trace::{Outcome, Record, TraceEvent};
use crate::vecmap::VecMap;
use std::collections::BTreeMap;

/// A write the client saw acknowledged: `SET key value ...` or each pair of an `MSET`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckedWrite {
    pub client: ProcId,
    pub id: u64,
    /// The server that acknowledged it.
    pub server: ProcId,
    pub key: String,
    pub value: String,
    pub sent_at: u64,
    pub acked_at: u64,
}

/// An acknowledged write that the data of the serving master does not reflect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostWrite {
    pub client: ProcId,
    pub id: u64,
    pub key: String,
    pub value: String,
    pub acked_at: u64,
    /// What the master holds for the key instead (`None`: nothing).
    pub found: Option<String>,
}

/// A read that returned an older value than a write acknowledged before the read was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleRead {
    pub client: ProcId,
    pub id: u64,
    pub server: ProcId,
    pub key: String,
    pub sent_at: u64,
    pub got: Option<String>,
    pub expected: String,
}

impl ToJson for LostWrite {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("id", &self.id).field("key", &self.key).field("value", &self.value);
        o.field("ackedAt", &self.acked_at).field("found", &self.found);
    }
}

impl ToJson for StaleRead {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("client", &self.client).field("id", &self.id).field("server", &self.server);
        o.field("key", &self.key).field("sentAt", &self.sent_at).field("got", &self.got);
        o.field("expected", &self.expected);
    }
}

/// A write sent, acknowledged or not: which key, and when it was acknowledged.
struct SentWrite {
    key: String,
    acked_at: Option<u64>,
}

/// Every write and read the trace shows, with its timing; the raw material of the history checks.
#[derive(Default)]
pub(super) struct History {
    /// All writes sent, in trace order.
    writes: Vec<SentWrite>,
    /// Each value's latest write: its position in `writes`. Keyed by the value's bytes: a map of the same type
    /// as a keyspace's expiries, so that the page's package holds the B-tree code for one, not two.
    write_of_value: BTreeMap<Vec<u8>, u64>,
    pub(super) acked: Vec<AckedWrite>,
    /// Successful GETs: (client, id, server, key, sent_at, value).
    reads: Vec<(ProcId, u64, ProcId, String, u64, Option<String>)>,
}

/// The value a redis-cli formatted bulk reply holds: `"v"` → `v`, `(nil)` → none.
fn unquote(reply: &str) -> Option<String> {
    reply.strip_prefix('"').and_then(|r| r.strip_suffix('"')).map(str::to_string)
}

impl History {
    /// The latest write that sent `value`.
    fn write_of(&self, value: &str) -> Option<&SentWrite> {
        self.write_of_value.get(value.as_bytes()).map(|&i| &self.writes[i as usize])
    }
}

fn history(trace: &[Record]) -> History {
    let mut h = History::default();
    add_to_history(&mut h, &mut VecMap::new(), trace);
    h
}

/// Requests sent and not answered yet (few at a time): when, to which server, the command.
pub(super) type Pending = VecMap<(ProcId, u64), (u64, ProcId, Vec<String>)>;

/// The command's name in capitals (empty for an empty command).
fn command_name(command: &[String]) -> String {
    command.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default()
}

/// The (key, value) pairs a command named `name` writes: a SET's first pair, each pair of an MSET.
fn written_pairs(name: &str, command: &[String]) -> Vec<(String, String)> {
    let pairs = command.get(1..).unwrap_or_default().chunks_exact(2).map(|p| (p[0].clone(), p[1].clone()));
    match name {
        "SET" => pairs.take(1).collect(),
        "MSET" => pairs.collect(),
        _ => Vec::new(),
    }
}

pub(super) fn add_to_history(h: &mut History, pending: &mut Pending, trace: &[Record]) {
    for r in trace {
        match &r.event {
            TraceEvent::Request { client, id, server, command } => {
                for (key, value) in written_pairs(&command_name(command), command) {
                    h.write_of_value.insert(value.into_bytes(), h.writes.len() as u64);
                    h.writes.push(SentWrite { key, acked_at: None });
                }
                pending.insert((*client, *id), (r.t.ms(), *server, command.clone()));
            }
            TraceEvent::Outcome { client, id, outcome, reply, .. } => {
                let Some((sent_at, server, command)) = pending.remove(&(*client, *id)) else { continue };
                if *outcome != Outcome::Ok {
                    continue;
                }
                let name = command_name(&command);
                match name.as_str() {
                    // A SET answered with OK (not a nil from NX/XX) wrote its value.
                    "SET" | "MSET" if reply == "OK" => {
                        for (key, value) in written_pairs(&name, &command) {
                            if let Some(&i) = h.write_of_value.get(value.as_bytes()) {
                                h.writes[i as usize].acked_at = Some(r.t.ms());
                            }
                            h.acked.push(AckedWrite {
                                client: *client,
                                id: *id,
                                server,
                                key,
                                value,
                                sent_at,
                                acked_at: r.t.ms(),
                            });
                        }
                    }
                    "GET" if command.len() == 2 => {
                        h.reads.push((*client, *id, server, command[1].clone(), sent_at, unquote(reply)))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Acknowledged writes lost, judged against `data(server, key)`: the value the deployment of the server that
/// acknowledged the write holds now (its serving master's keyspace).
///
/// For each key, the final value came from some write F (values are unique per request). Every acknowledged
/// write to that key that was sent after F was acknowledged is lost: it certainly came after F, yet F is what
/// survived. When the key holds nothing (or a value no write produced), every acknowledged write to it is lost.
pub fn lost_writes(trace: &[Record], data: &dyn Fn(ProcId, &str) -> Option<Option<String>>) -> Vec<LostWrite> {
    lost_writes_in(&history(trace), data)
}

pub(super) fn lost_writes_in(h: &History, data: &dyn Fn(ProcId, &str) -> Option<Option<String>>) -> Vec<LostWrite> {
    let mut lost = Vec::new();
    for w in &h.acked {
        // No serving master in that deployment now: nothing to judge the write against yet.
        let Some(found) = data(w.server, &w.key) else { continue };
        if found.as_deref() == Some(w.value.as_str()) {
            continue;
        }
        let survivor_acked_at = found
            .as_ref()
            .and_then(|v| h.write_of(v))
            .filter(|f| f.key == w.key)
            .map(|f| f.acked_at.unwrap_or(u64::MAX));
        let is_lost = match survivor_acked_at {
            // The surviving write may have come after this one: this one was overwritten, not lost.
            Some(f_acked) => w.sent_at > f_acked,
            None => true,
        };
        if is_lost {
            lost.push(LostWrite {
                client: w.client,
                id: w.id,
                key: w.key.clone(),
                value: w.value.clone(),
                acked_at: w.acked_at,
                found,
            });
        }
    }
    lost
}

/// Reads that returned a value older than the latest write acknowledged before the read was sent.
pub fn stale_reads(trace: &[Record]) -> Vec<StaleRead> {
    stale_reads_in(&history(trace))
}

pub(super) fn stale_reads_in(h: &History) -> Vec<StaleRead> {
    // The acknowledged writes by key, each key's in the order they were acknowledged (a stable sort of a list
    // already in that order): sorted positions rather than a map of lists, which would be B-tree code of its
    // own in the page's package.
    let mut by_key: Vec<usize> = (0..h.acked.len()).collect();
    crate::sort::sort_by(&mut by_key, |&a, &b| h.acked[a].key.cmp(&h.acked[b].key));
    let mut stale = Vec::new();
    for (client, id, server, key, sent_at, got) in &h.reads {
        let from = by_key.partition_point(|&i| h.acked[i].key < *key);
        let to = from + by_key[from..].partition_point(|&i| h.acked[i].key == *key);
        // The latest acknowledged before the read was sent (the last of any acknowledged at that same time).
        let before = by_key[from..to].partition_point(|&i| h.acked[i].acked_at < *sent_at);
        let Some(latest) = before.checked_sub(1).map(|k| &h.acked[by_key[from + k]]) else {
            continue;
        };
        let older = match got {
            None => true,
            Some(v) if *v == latest.value => false,
            // A value written before the latest write was even sent is certainly older.
            Some(v) => h.write_of(v).is_some_and(|w| w.key == *key && w.acked_at.is_some_and(|a| a <= latest.sent_at)),
        };
        if older {
            stale.push(StaleRead {
                client: *client,
                id: *id,
                server: *server,
                key: key.clone(),
                sent_at: *sent_at,
                got: got.clone(),
                expected: latest.value.clone(),
            });
        }
    }
    stale
}

pub(super) fn acked_by_client(h: &History) -> Vec<(ProcId, usize)> {
    let mut n: VecMap<ProcId, usize> = VecMap::new();
    for w in &h.acked {
        *n.entry(w.client).or_default() += 1;
    }
    n.into_iter().collect()
}
