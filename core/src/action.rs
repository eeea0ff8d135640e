//! Actions: what a scenario script or a user does to a running simulation — faults, repairs and typed
//! commands. They are data, so a session can be recorded, replayed, shared and turned into a test.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
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
    Repoint {
        process: String,
        target: String,
        #[serde(default)]
        read_target: Option<String>,
    },
    /// Cut a host's power: every process on it dies with no chance to close its connections (peers notice
    /// only through timeouts), and whatever it had sent that was still in flight is lost.
    PowerOff { host: String },
    /// Power a host back on: its processes boot from their configuration.
    PowerOn { host: String },
    /// What `redis-cli --cluster create <nodes> --cluster-replicas <replicas>` does: the first nodes become
    /// masters with the slot ranges redis-cli computes and config epochs 1..masters, the rest replicas assigned
    /// in turn, and every node knows every other.
    ClusterCreate {
        nodes: Vec<String>,
        #[serde(default)]
        replicas: u32,
    },
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
        #[serde(default)]
        latency_ms: Option<u64>,
        #[serde(default)]
        jitter_ms: Option<u64>,
        #[serde(default)]
        loss: Option<f64>,
        #[serde(default = "yes")]
        symmetric: bool,
    },
}

fn yes() -> bool {
    true
}

impl Action {
    /// Parse one action from JSON, e.g. `{"do":"crash","process":"redis"}`.
    pub fn from_json(json: &str) -> crate::error::Result<Action> {
        let bad = |e: String| crate::error::SimError::Action(e);
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        refuse_fields_of_heal(&v).map_err(bad)?;
        // Parsed again from the text so that serde's messages keep their line and column.
        serde_json::from_str(json).map_err(|e| bad(e.to_string()))
    }
}

/// serde ignores unknown fields on a unit variant (`heal`) even with `deny_unknown_fields`; refuse them here
/// so that a misspelled field is an error for every action alike.
pub(crate) fn refuse_fields_of_heal(v: &serde_json::Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else { return Ok(()) };
    match obj.keys().find(|k| *k != "do") {
        Some(k) if obj.get("do").and_then(|d| d.as_str()) == Some("heal") => {
            Err(format!("unknown field `{k}`: heal takes no fields"))
        }
        _ => Ok(()),
    }
}
