//! Actions: what a scenario script or a user does to a running simulation — faults, repairs and typed
//! commands. They are data, so a session can be recorded, replayed, shared and turned into a test.

use crate::decode::{self, Decode, DecodeError, Fields};
use crate::json::{Json, ToJson, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Kill a process (SIGKILL): its memory is lost; clients' connections are refused until it restarts.
    Crash { process: String },
    /// Start a process again (a running one is killed first, as `systemctl restart` would).
    Restart { process: String },
    /// Stop a process without killing it (SIGSTOP): messages and timers wait until it resumes.
    Pause { process: String },
    /// Continue a paused process (SIGCONT).
    Resume { process: String },
    /// Type a command into a redis-cli attached to a process.
    Command { process: String, line: String },
    /// Point an application at another server (what an operator does after promoting a replica by hand).
    /// `read_target` changes where its reads go; omit it to keep reads where they were.
    Repoint { process: String, target: String, read_target: Option<String> },
    /// Cut a host's power: every process on it dies with no chance to close its connections (peers notice
    /// only through timeouts), and whatever it had sent that was still in flight is lost.
    PowerOff { host: String },
    /// Power a host back on: its processes boot from their configuration.
    PowerOn { host: String },
    /// What `redis-cli --cluster create <nodes> --cluster-replicas <replicas>` does: the first nodes become
    /// masters with the slot ranges redis-cli computes, the rest replicas assigned in turn, config epochs 1..N
    /// in the order given (replicas too, as redis-cli sets them), and every node knows every other.
    ClusterCreate { nodes: Vec<String>, replicas: u32 },
    /// Delete a file (or a directory, e.g. `appendonlydir`) from a host's disk, as an operator might.
    RemoveFile { host: String, path: String },
    /// Cut `bytes` off the end of an AOF file, as a torn write leaves it.
    TruncateFile { host: String, path: String, bytes: u64 },
    /// Cut every link between hosts of different groups, both ways. Hosts in no group stay reachable.
    Partition { groups: Vec<Vec<String>> },
    /// Cut only the direction from the hosts in `from` to the hosts in `to`.
    PartitionOneWay { from: Vec<String>, to: Vec<String> },
    /// Repair every cut link.
    Heal,
    /// Change a link's latency, jitter or loss (both directions unless `symmetric` is false).
    Link {
        from: String,
        to: String,
        latency_ms: Option<u64>,
        jitter_ms: Option<u64>,
        loss: Option<f64>,
        symmetric: bool,
    },
}

fn yes() -> bool {
    true
}

/// `heal`, the one action that names nothing: what a required field holds while it is decoded, until its
/// error is reported (`decode::Fields::req`).
impl Default for Action {
    fn default() -> Self {
        Action::Heal
    }
}

impl Action {
    /// Parse one action from JSON, e.g. `{"do":"crash","process":"redis"}`.
    pub fn from_json(json: &str) -> crate::error::Result<Action> {
        decode::from_str(json).map_err(crate::error::SimError::Action)
    }

    /// The action's name, its `do` tag.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Crash { .. } => "crash",
            Action::Restart { .. } => "restart",
            Action::Pause { .. } => "pause",
            Action::Resume { .. } => "resume",
            Action::Command { .. } => "command",
            Action::Repoint { .. } => "repoint",
            Action::PowerOff { .. } => "power_off",
            Action::PowerOn { .. } => "power_on",
            Action::ClusterCreate { .. } => "cluster_create",
            Action::RemoveFile { .. } => "remove_file",
            Action::TruncateFile { .. } => "truncate_file",
            Action::Partition { .. } => "partition",
            Action::PartitionOneWay { .. } => "partition_one_way",
            Action::Heal => "heal",
            Action::Link { .. } => "link",
        }
    }

    /// The fields beside `do`, in declaration order (a scripted action writes them in another order).
    pub(crate) fn fields(&self) -> Vec<(&'static str, &dyn ToJson)> {
        match self {
            Action::Crash { process }
            | Action::Restart { process }
            | Action::Pause { process }
            | Action::Resume { process } => vec![("process", process)],
            Action::Command { process, line } => vec![("process", process), ("line", line)],
            Action::Repoint { process, target, read_target } => {
                vec![("process", process), ("target", target), ("read_target", read_target)]
            }
            Action::PowerOff { host } | Action::PowerOn { host } => vec![("host", host)],
            Action::ClusterCreate { nodes, replicas } => vec![("nodes", nodes), ("replicas", replicas)],
            Action::RemoveFile { host, path } => vec![("host", host), ("path", path)],
            Action::TruncateFile { host, path, bytes } => vec![("host", host), ("path", path), ("bytes", bytes)],
            Action::Partition { groups } => vec![("groups", groups)],
            Action::PartitionOneWay { from, to } => vec![("from", from), ("to", to)],
            Action::Heal => Vec::new(),
            Action::Link { from, to, latency_ms, jitter_ms, loss, symmetric } => vec![
                ("from", from),
                ("to", to),
                ("latency_ms", latency_ms),
                ("jitter_ms", jitter_ms),
                ("loss", loss),
                ("symmetric", symmetric),
            ],
        }
    }
}

/// `{"do": "crash", "process": "redis"}`: the tag first, then the fields.
impl ToJson for Action {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("do", &self.name());
        for (key, value) in self.fields() {
            o.field(key, value);
        }
    }
}

/// Each action's name (its `do` tag) and fields.
const ACTIONS: &[(&str, &[&str])] = &[
    ("crash", &["process"]),
    ("restart", &["process"]),
    ("pause", &["process"]),
    ("resume", &["process"]),
    ("command", &["process", "line"]),
    ("repoint", &["process", "target", "read_target"]),
    ("power_off", &["host"]),
    ("power_on", &["host"]),
    ("cluster_create", &["nodes", "replicas"]),
    ("remove_file", &["host", "path"]),
    ("truncate_file", &["host", "path", "bytes"]),
    ("partition", &["groups"]),
    ("partition_one_way", &["from", "to"]),
    ("heal", &[]),
    ("link", &["from", "to", "latency_ms", "jitter_ms", "loss", "symmetric"]),
];

impl Decode for Action {
    fn decode(v: &Value) -> decode::Result<Self> {
        Action::decode_beside(v, None)
    }
}

impl Action {
    /// Read an action from an object that may also hold `beside`, a field that is not the action's (a
    /// scripted action's `at_ms`): read in place, rather than from a copy of the object without it.
    pub(crate) fn decode_beside(v: &Value, beside: Option<&str>) -> decode::Result<Self> {
        let tag = "do";
        let (kind, known) = Fields::tag(v, tag, ACTIONS)?;
        let besides = [tag, beside.unwrap_or(tag)];
        if kind == "heal" {
            // `Fields::tag` has found an object.
            let unknown = match v {
                Value::Object(map) => map.keys().find(|k| !besides.contains(&k.as_str())),
                _ => None,
            };
            if let Some(k) = unknown {
                return Err(DecodeError::new(format!("unknown field `{k}`: heal takes no fields")));
            }
            return Ok(Action::Heal);
        }
        let f = Fields::variant(v, &besides, known)?;
        let action = match kind {
            "crash" => Action::Crash { process: f.req("process") },
            "restart" => Action::Restart { process: f.req("process") },
            "pause" => Action::Pause { process: f.req("process") },
            "resume" => Action::Resume { process: f.req("process") },
            "command" => Action::Command { process: f.req("process"), line: f.req("line") },
            "repoint" => Action::Repoint {
                process: f.req("process"),
                target: f.req("target"),
                read_target: f.opt("read_target"),
            },
            "power_off" => Action::PowerOff { host: f.req("host") },
            "power_on" => Action::PowerOn { host: f.req("host") },
            "cluster_create" => Action::ClusterCreate { nodes: f.req("nodes"), replicas: f.or_default("replicas") },
            "remove_file" => Action::RemoveFile { host: f.req("host"), path: f.req("path") },
            "truncate_file" => Action::TruncateFile { host: f.req("host"), path: f.req("path"), bytes: f.req("bytes") },
            "partition" => Action::Partition { groups: f.req("groups") },
            "partition_one_way" => Action::PartitionOneWay { from: f.req("from"), to: f.req("to") },
            _ => Action::Link {
                from: f.req("from"),
                to: f.req("to"),
                latency_ms: f.opt("latency_ms"),
                jitter_ms: f.opt("jitter_ms"),
                loss: f.opt("loss"),
                symmetric: f.or("symmetric", yes),
            },
        };
        f.done(action)
    }
}
