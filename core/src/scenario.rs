//! The scenario format, version 1: hosts, their processes and configuration, the network, client
//! workloads, and scripted actions at given times. JSON, strict (unknown fields are errors), validated
//! before anything runs so that a bad scenario gets one clear message instead of a strange run.
//!
//! The format is documented in `core/scenarios/README.md`.

use crate::action::Action;
use crate::cli::split_args;
use crate::client::WorkloadSpec;
use crate::cluster::reshard::{RebalanceSpec, ReshardSpec};
use crate::database::DatabaseSpec;
use crate::decode::{self, Decode, DecodeError, Fields};
use crate::error::{Result, SimError};
use crate::json::{Json, Number, ToJson, Value};
use crate::server::ServerConfig;
use crate::vecmap::{VecMap, VecSet};
use std::fmt;

pub const FORMAT_VERSION: u32 = 1;
/// Redis Cluster's documented ceiling is 1000 nodes; leave room for clients and sentinels.
pub const MAX_PROCESSES: usize = 5000;
pub const MAX_HOSTS: usize = 5000;
/// One hour: anything slower is not a network any lesson needs.
pub const MAX_LATENCY_MS: u64 = 3_600_000;
/// A run longer than a simulated week is a mistake, not a lesson.
pub const MAX_TIME_MS: u64 = 7 * 24 * 3_600_000;

/// 2024-01-01T00:00:00Z: the Unix time virtual time 0 stands for, unless a scenario says otherwise.
pub const DEFAULT_START_UNIX_MS: u64 = 1_704_067_200_000;

/// `Default` is the empty scenario (version 0, no hosts), which does not validate: what a session's scenario
/// field holds while it is decoded (`decode::Fields::req`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scenario {
    /// Must be 1.
    pub version: u32,
    pub name: String,
    pub description: String,
    /// The Unix time in ms at virtual time 0 (what TIME, EXPIREAT and INFO see).
    pub start_unix_ms: u64,
    /// How long the scenario is meant to run, in ms (the page's timeline length; the CLI's default).
    pub duration_ms: Option<u64>,
    pub network: NetworkSpec,
    pub hosts: Vec<HostSpec>,
    pub actions: Vec<ScriptedAction>,
    /// What to tell the learner, and when.
    pub narration: Vec<crate::lesson::Narration>,
    /// What must be true at the end of the run (checked by `cargo test` and `redis-ha-sim check`).
    pub expect: Vec<crate::lesson::Expectation>,
}

fn default_sentinel_port() -> u16 {
    26379
}

fn default_start() -> u64 {
    DEFAULT_START_UNIX_MS
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSpec {
    /// One-way latency between two hosts, in ms (processes on the same host talk over loopback: 0 ms).
    pub latency_ms: u64,
    /// Extra uniform delay per message in `0..=jitter_ms` ms (messages on one connection stay in order).
    pub jitter_ms: u64,
    /// Probability in `0..=1` that a message between two hosts is lost.
    pub loss: f64,
    /// Link throughput in megabits per second: how long an RDB transfer takes.
    pub bandwidth_mbps: u64,
    /// Per-link overrides.
    pub links: Vec<LinkSpec>,
}

fn default_latency_ms() -> u64 {
    1
}

fn default_bandwidth_mbps() -> u64 {
    1000
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency_ms: default_latency_ms(),
            jitter_ms: 0,
            loss: 0.0,
            bandwidth_mbps: default_bandwidth_mbps(),
            links: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    pub from: String,
    pub to: String,
    pub latency_ms: Option<u64>,
    pub jitter_ms: Option<u64>,
    pub loss: Option<f64>,
    pub bandwidth_mbps: Option<u64>,
    /// Apply to both directions (default) or only `from → to`.
    pub symmetric: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq)]
pub struct HostSpec {
    pub name: String,
    /// IPv4 address; by default 10.0.0.1, 10.0.0.2, ... in host order.
    pub ip: Option<String>,
    pub processes: Vec<ProcessSpec>,
    /// The host's storage: how long an fsync takes, how fast it writes, how often the OS flushes.
    pub disk: DiskSpec,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DiskSpec {
    /// Duration of one fsync, in ms (an SSD: about 1–2 ms).
    pub fsync_ms: u64,
    /// Sequential write speed in MB/s (BGSAVE and AOF rewrite durations).
    pub write_mb_per_s: u64,
    /// How often the OS writes dirty pages back, in ms (Linux: about 30 s).
    pub os_flush_ms: u64,
}

fn default_fsync_ms() -> u64 {
    2
}
fn default_write_mb_per_s() -> u64 {
    200
}
fn default_os_flush_ms() -> u64 {
    30_000
}

impl Default for DiskSpec {
    fn default() -> Self {
        DiskSpec {
            fsync_ms: default_fsync_ms(),
            write_mb_per_s: default_write_mb_per_s(),
            os_flush_ms: default_os_flush_ms(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProcessSpec {
    /// A redis-server. `config` holds redis.conf options by their Redis names (`"hz": "100"`).
    Server { name: String, port: Option<u16>, config: VecMap<String, ConfigValue> },
    /// A redis-sentinel, monitoring the masters listed (`sentinel monitor ...` in sentinel.conf).
    Sentinel { name: String, port: u16, monitor: Vec<crate::sentinel::MonitorSpec> },
    /// `redis-cli --cluster reshard` run from this host: move a slot range between two cluster nodes.
    Reshard { name: String, spec: crate::cluster::reshard::ReshardSpec },
    /// `redis-cli --cluster rebalance` run from this host: even out the masters' slots.
    Rebalance { name: String, spec: crate::cluster::reshard::RebalanceSpec },
    /// The application's database behind a look-aside cache: answers a query after `query_ms`, holds at most
    /// `capacity` at once and refuses the rest.
    Database { name: String, spec: crate::database::DatabaseSpec },
    /// An application sending a workload to the server named `target`.
    Client {
        name: String,
        target: String,
        /// Send read-only commands here instead (a replica): a read/write split.
        read_target: Option<String>,
        /// A Sentinel-aware client: ask these sentinels where `master_name` is, and follow `+switch-master`.
        sentinel: Option<SentinelDiscoverySpec>,
        /// A cluster-aware client: route by hash slot (map loaded from these seed nodes), follow MOVED and ASK.
        cluster: Option<ClusterClientSpec>,
        /// Client-side sharding over independent masters: a key goes to `shards[CRC16(key) mod N]`.
        shards: Option<Vec<String>>,
        /// A look-aside cache: reads that miss or fail in Redis go to this database, and misses are filled.
        cache_aside: Option<CacheAsideSpec>,
        workload: WorkloadSpec,
    },
}

impl ProcessSpec {
    pub fn name(&self) -> &str {
        match self {
            ProcessSpec::Server { name, .. }
            | ProcessSpec::Sentinel { name, .. }
            | ProcessSpec::Client { name, .. }
            | ProcessSpec::Database { name, .. }
            | ProcessSpec::Reshard { name, .. }
            | ProcessSpec::Rebalance { name, .. } => name,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterClientSpec {
    /// Names of cluster nodes to load the slot map from.
    pub seeds: Vec<String>,
}

/// A look-aside (cache-aside) application: GET from Redis; on a miss, an error or a timeout, query the
/// database; when Redis answered (a miss), put the row in the cache with `SET key value EX ttl_s`.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheAsideSpec {
    /// The name of a database process.
    pub database: String,
    /// The cached row's time to live, in seconds.
    pub ttl_s: u64,
}

fn default_ttl_s() -> u64 {
    60
}

#[derive(Clone, Debug, PartialEq)]
pub struct SentinelDiscoverySpec {
    pub master_name: String,
    /// Names of sentinel processes.
    pub sentinels: Vec<String>,
}

/// A config value as written in JSON: a string, a number, or a boolean (`yes`/`no`).
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigValue {
    Text(String),
    Number(i64),
    Flag(bool),
}

impl ConfigValue {
    pub fn as_redis_text(&self) -> String {
        match self {
            ConfigValue::Text(s) => s.clone(),
            ConfigValue::Number(n) => n.to_string(),
            ConfigValue::Flag(b) => if *b { "yes" } else { "no" }.into(),
        }
    }
}

/// An action the scenario performs at `at_ms`: `{"at_ms": 5000, "do": "crash", "process": "redis"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedAction {
    pub at_ms: u64,
    pub action: Action,
}

// Reading the format (decode.rs): each type lists its fields, with the defaults documented above.

impl Decode for Scenario {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(
            v,
            "struct Scenario",
            &[
                "version",
                "name",
                "description",
                "start_unix_ms",
                "duration_ms",
                "network",
                "hosts",
                "actions",
                "narration",
                "expect",
            ],
        )?;
        f.done(Scenario {
            version: f.req("version"),
            name: f.or_default("name"),
            description: f.or_default("description"),
            start_unix_ms: f.or("start_unix_ms", default_start),
            duration_ms: f.opt("duration_ms"),
            network: f.or_default("network"),
            hosts: f.req("hosts"),
            actions: f.or_default("actions"),
            narration: f.or_default("narration"),
            expect: f.or_default("expect"),
        })
    }
}

impl Decode for NetworkSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct NetworkSpec", &["latency_ms", "jitter_ms", "loss", "bandwidth_mbps", "links"])?;
        f.done(NetworkSpec {
            latency_ms: f.or("latency_ms", default_latency_ms),
            jitter_ms: f.or_default("jitter_ms"),
            loss: f.or_default("loss"),
            bandwidth_mbps: f.or("bandwidth_mbps", default_bandwidth_mbps),
            links: f.or_default("links"),
        })
    }
}

impl Decode for LinkSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(
            v,
            "struct LinkSpec",
            &["from", "to", "latency_ms", "jitter_ms", "loss", "bandwidth_mbps", "symmetric"],
        )?;
        f.done(LinkSpec {
            from: f.req("from"),
            to: f.req("to"),
            latency_ms: f.opt("latency_ms"),
            jitter_ms: f.opt("jitter_ms"),
            loss: f.opt("loss"),
            bandwidth_mbps: f.opt("bandwidth_mbps"),
            symmetric: f.or("symmetric", yes),
        })
    }
}

impl Decode for HostSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct HostSpec", &["name", "ip", "processes", "disk"])?;
        f.done(HostSpec {
            name: f.req("name"),
            ip: f.opt("ip"),
            processes: f.or_default("processes"),
            disk: f.or_default("disk"),
        })
    }
}

impl Decode for DiskSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct DiskSpec", &["fsync_ms", "write_mb_per_s", "os_flush_ms"])?;
        f.done(DiskSpec {
            fsync_ms: f.or("fsync_ms", default_fsync_ms),
            write_mb_per_s: f.or("write_mb_per_s", default_write_mb_per_s),
            os_flush_ms: f.or("os_flush_ms", default_os_flush_ms),
        })
    }
}

/// Each process kind (its `kind` tag) and fields. A tool's or a database's own fields sit beside `name`
/// (serde's `flatten`).
const PROCESS_KINDS: &[(&str, &[&str])] = &[
    ("server", &["name", "port", "config"]),
    ("sentinel", &["name", "port", "monitor"]),
    ("reshard", &["name", "from", "to", "slots", "batch", "start_ms"]),
    ("rebalance", &["name", "via", "use_empty_masters", "threshold", "batch", "start_ms"]),
    ("database", &["name", "port", "capacity", "query_ms"]),
    ("client", &["name", "target", "read_target", "sentinel", "cluster", "shards", "cache_aside", "workload"]),
];

impl Decode for ProcessSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let tag = "kind";
        let (kind, known) = Fields::tag(v, tag, PROCESS_KINDS)?;
        let f = Fields::variant(v, &[tag], known)?;
        let name = f.req("name");
        let spec = match kind {
            "server" => ProcessSpec::Server { name, port: f.opt("port"), config: f.or_default("config") },
            "sentinel" => {
                ProcessSpec::Sentinel { name, port: f.or("port", default_sentinel_port), monitor: f.req("monitor") }
            }
            "reshard" => ProcessSpec::Reshard { name, spec: ReshardSpec::from_fields(&f) },
            "rebalance" => ProcessSpec::Rebalance { name, spec: RebalanceSpec::from_fields(&f) },
            "database" => ProcessSpec::Database { name, spec: DatabaseSpec::from_fields(&f) },
            _ => ProcessSpec::Client {
                name,
                target: f.req("target"),
                read_target: f.opt("read_target"),
                sentinel: f.opt("sentinel"),
                cluster: f.opt("cluster"),
                shards: f.opt("shards"),
                cache_aside: f.opt("cache_aside"),
                workload: f.or_default("workload"),
            },
        };
        f.done(spec)
    }
}

impl Decode for ClusterClientSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct ClusterClientSpec", &["seeds"])?;
        f.done(ClusterClientSpec { seeds: f.req("seeds") })
    }
}

impl Decode for CacheAsideSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct CacheAsideSpec", &["database", "ttl_s"])?;
        f.done(CacheAsideSpec { database: f.req("database"), ttl_s: f.or("ttl_s", default_ttl_s) })
    }
}

impl Decode for SentinelDiscoverySpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct SentinelDiscoverySpec", &["master_name", "sentinels"])?;
        f.done(SentinelDiscoverySpec { master_name: f.req("master_name"), sentinels: f.req("sentinels") })
    }
}

impl Decode for ConfigValue {
    fn decode(v: &Value) -> decode::Result<Self> {
        match v {
            Value::String(s) => Ok(ConfigValue::Text(s.clone())),
            Value::Bool(b) => Ok(ConfigValue::Flag(*b)),
            Value::Number(Number::PosInt(n)) if *n <= i64::MAX as u64 => Ok(ConfigValue::Number(*n as i64)),
            Value::Number(Number::NegInt(n)) => Ok(ConfigValue::Number(*n)),
            _ => Err(DecodeError::new("data did not match any variant of untagged enum ConfigValue")),
        }
    }
}

impl Decode for ScriptedAction {
    fn decode(v: &Value) -> decode::Result<Self> {
        let Value::Object(obj) = v else { return Err(DecodeError::new("an action must be an object")) };
        let Some(at) = obj.get("at_ms") else { return Err(DecodeError::new("missing field `at_ms`")) };
        let Value::Number(Number::PosInt(at_ms)) = *at else {
            return Err(DecodeError::new(format!(
                "at_ms must be a non-negative integer, got {}",
                crate::json::to_string(at)
            )));
        };
        Ok(ScriptedAction { at_ms, action: Action::decode_beside(v, Some("at_ms"))? })
    }
}

// Writing the format (json.rs): every field, defaults included, in declaration order.

impl ToJson for Scenario {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("version", &self.version).field("name", &self.name).field("description", &self.description);
        o.field("start_unix_ms", &self.start_unix_ms).field("duration_ms", &self.duration_ms);
        o.field("network", &self.network).field("hosts", &self.hosts).field("actions", &self.actions);
        o.field("narration", &self.narration).field("expect", &self.expect);
    }
}

impl ToJson for NetworkSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("latency_ms", &self.latency_ms).field("jitter_ms", &self.jitter_ms).field("loss", &self.loss);
        o.field("bandwidth_mbps", &self.bandwidth_mbps).field("links", &self.links);
    }
}

impl ToJson for LinkSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("from", &self.from).field("to", &self.to).field("latency_ms", &self.latency_ms);
        o.field("jitter_ms", &self.jitter_ms).field("loss", &self.loss);
        o.field("bandwidth_mbps", &self.bandwidth_mbps).field("symmetric", &self.symmetric);
    }
}

impl ToJson for HostSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("name", &self.name).field("ip", &self.ip).field("processes", &self.processes);
        o.field("disk", &self.disk);
    }
}

impl ToJson for DiskSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("fsync_ms", &self.fsync_ms).field("write_mb_per_s", &self.write_mb_per_s);
        o.field("os_flush_ms", &self.os_flush_ms);
    }
}

/// The `kind` tag first, then the variant's fields; a tool's or a database's own fields beside `name`.
impl ToJson for ProcessSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        match self {
            ProcessSpec::Server { name, port, config } => {
                o.field("kind", &"server").field("name", name).field("port", port).field("config", config);
            }
            ProcessSpec::Sentinel { name, port, monitor } => {
                o.field("kind", &"sentinel").field("name", name).field("port", port).field("monitor", monitor);
            }
            ProcessSpec::Reshard { name, spec } => {
                spec.write_fields(o.field("kind", &"reshard").field("name", name));
            }
            ProcessSpec::Rebalance { name, spec } => {
                spec.write_fields(o.field("kind", &"rebalance").field("name", name));
            }
            ProcessSpec::Database { name, spec } => {
                spec.write_fields(o.field("kind", &"database").field("name", name));
            }
            ProcessSpec::Client { name, target, read_target, sentinel, cluster, shards, cache_aside, workload } => {
                o.field("kind", &"client").field("name", name).field("target", target);
                o.field("read_target", read_target).field("sentinel", sentinel).field("cluster", cluster);
                o.field("shards", shards).field("cache_aside", cache_aside).field("workload", workload);
            }
        }
    }
}

impl ToJson for ClusterClientSpec {
    fn write_json(&self, out: &mut Json) {
        out.object().field("seeds", &self.seeds);
    }
}

impl ToJson for CacheAsideSpec {
    fn write_json(&self, out: &mut Json) {
        out.object().field("database", &self.database).field("ttl_s", &self.ttl_s);
    }
}

impl ToJson for SentinelDiscoverySpec {
    fn write_json(&self, out: &mut Json) {
        out.object().field("master_name", &self.master_name).field("sentinels", &self.sentinels);
    }
}

/// As it was written: a string, a number or a boolean.
impl ToJson for ConfigValue {
    fn write_json(&self, out: &mut Json) {
        match self {
            ConfigValue::Text(s) => s.write_json(out),
            ConfigValue::Number(n) => n.write_json(out),
            ConfigValue::Flag(b) => b.write_json(out),
        }
    }
}

/// `at_ms` beside the action's fields, all in alphabetical order (`{"at_ms": 5000, "do": "crash", ...}`): the
/// order serde_json wrote them in when this type went through a `Value` (whose maps sort their keys), kept so
/// that exported sessions and share links do not change.
impl ToJson for ScriptedAction {
    fn write_json(&self, out: &mut Json) {
        let name = self.action.name();
        let mut fields = self.action.fields();
        fields.push(("at_ms", &self.at_ms));
        fields.push(("do", &name));
        crate::sort::sort_by_key(&mut fields, |(key, _)| *key);
        let mut o = out.object();
        for &(key, value) in &fields {
            o.field(key, value);
        }
    }
}

impl Scenario {
    /// Parse and validate a scenario.
    pub fn from_json(text: &str) -> Result<Scenario> {
        let scenario: Scenario = decode::from_str(text).map_err(SimError::Parse)?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json_pretty(&self) -> String {
        crate::json::to_string_pretty(self)
    }

    /// The IP of host `i`: the one given, or 10.0.x.y counting from 10.0.0.1.
    pub fn host_ip(&self, i: usize) -> String {
        match &self.hosts[i].ip {
            Some(ip) => ip.clone(),
            None => format!("10.0.{}.{}", (i + 1) / 256, (i + 1) % 256),
        }
    }

    /// Check everything a run depends on, so that building the world cannot fail later.
    pub fn validate(&self) -> Result<()> {
        if self.version != FORMAT_VERSION {
            return invalid(format_args!(
                "unsupported version {} (this simulator reads version {FORMAT_VERSION})",
                self.version
            ));
        }
        if self.hosts.is_empty() {
            return invalid(format_args!("a scenario needs at least one host"));
        }
        if self.hosts.len() > MAX_HOSTS {
            return invalid(format_args!(
                "{} hosts is more than the simulator runs (at most {MAX_HOSTS})",
                self.hosts.len()
            ));
        }
        let total: usize = self.hosts.iter().map(|h| h.processes.len()).sum();
        if total == 0 {
            return invalid(format_args!("a scenario needs at least one process"));
        }
        if total > MAX_PROCESSES {
            return invalid(format_args!(
                "{total} processes is more than the simulator runs (at most {MAX_PROCESSES})"
            ));
        }
        if let Some(d) = self.duration_ms {
            if d == 0 || d > MAX_TIME_MS {
                return invalid(format_args!("duration_ms must be between 1 and {MAX_TIME_MS}, got {d}"));
            }
        }
        check_link_numbers(
            "network",
            Some(self.network.latency_ms),
            Some(self.network.jitter_ms),
            Some(self.network.loss),
        )?;

        let mut host_names = VecSet::new();
        let mut ips = VecSet::new();
        let mut proc_kinds: VecMap<&str, bool> = VecMap::new(); // name → is a server
        let mut sentinel_names = VecSet::new();
        let mut database_names = VecSet::new();
        for (i, h) in self.hosts.iter().enumerate() {
            check_name("host", &h.name)?;
            if !host_names.insert(h.name.as_str()) {
                return invalid(format_args!("two hosts are named '{}'", h.name));
            }
            let d = &h.disk;
            if d.fsync_ms > 60_000
                || d.write_mb_per_s == 0
                || d.write_mb_per_s > 100_000
                || d.os_flush_ms == 0
                || d.os_flush_ms > MAX_TIME_MS
            {
                return invalid(format_args!(
                    "host '{}': disk needs fsync_ms ≤ 60000, write_mb_per_s in 1..=100000 and os_flush_ms in 1..={MAX_TIME_MS}",
                    h.name
                ));
            }
            let ip = self.host_ip(i);
            if !is_ipv4(&ip) {
                return invalid(format_args!("host '{}' has ip '{ip}', which is not an IPv4 address", h.name));
            }
            if !ips.insert(ip.clone()) {
                return invalid(format_args!("two hosts have ip {ip}"));
            }
            let mut ports = VecSet::new();
            for p in &h.processes {
                check_name("process", p.name())?;
                if proc_kinds.insert(p.name(), matches!(p, ProcessSpec::Server { .. })).is_some() {
                    return invalid(format_args!("two processes are named '{}'", p.name()));
                }
                if let ProcessSpec::Server { name, port, config } = p {
                    let port = port.unwrap_or(6379);
                    if port == 0 {
                        return invalid(format_args!("process '{name}': port must be between 1 and 65535"));
                    }
                    if !ports.insert(port) {
                        return invalid(format_args!("two servers on host '{}' use port {port}", h.name));
                    }
                    server_config(name, port, config)?;
                }
                if let ProcessSpec::Database { name, spec } = p {
                    database_names.insert(name.as_str());
                    if spec.port == 0 || !ports.insert(spec.port) {
                        return invalid(format_args!(
                            "database '{name}': port {} is 0 or already used on host '{}'",
                            spec.port, h.name
                        ));
                    }
                    if spec.capacity == 0 || spec.capacity > 1_000_000 {
                        return invalid(format_args!("database '{name}': capacity must be between 1 and 1000000"));
                    }
                    if spec.query_ms > MAX_TIME_MS {
                        return invalid(format_args!("database '{name}': query_ms must be at most {MAX_TIME_MS}"));
                    }
                }
                if let ProcessSpec::Sentinel { name, port, monitor } = p {
                    sentinel_names.insert(name.as_str());
                    if *port == 0 || !ports.insert(*port) {
                        return invalid(format_args!(
                            "sentinel '{name}': port {port} is 0 or already used on host '{}'",
                            h.name
                        ));
                    }
                    if monitor.is_empty() {
                        return invalid(format_args!(
                            "sentinel '{name}' monitors nothing: give it at least one master"
                        ));
                    }
                    let mut names = VecSet::new();
                    for m in monitor {
                        if !names.insert(m.name.as_str()) {
                            return invalid(format_args!("sentinel '{name}' monitors two masters named '{}'", m.name));
                        }
                        if m.quorum == 0 {
                            return invalid(format_args!(
                                "sentinel '{name}', master '{}': quorum must be 1 or greater",
                                m.name
                            ));
                        }
                        if !is_ipv4(&m.host) {
                            return invalid(format_args!(
                                "sentinel '{name}', master '{}': host '{}' is not an IPv4 address",
                                m.name, m.host
                            ));
                        }
                        if m.down_after_ms == 0
                            || m.down_after_ms > MAX_TIME_MS
                            || m.failover_timeout_ms == 0
                            || m.failover_timeout_ms > MAX_TIME_MS
                        {
                            return invalid(format_args!("sentinel '{name}', master '{}': down_after_ms and failover_timeout_ms must be between 1 and {MAX_TIME_MS}", m.name));
                        }
                    }
                }
            }
        }
        for h in &self.hosts {
            for p in &h.processes {
                if let ProcessSpec::Reshard { name, spec } = p {
                    for n in [&spec.from, &spec.to] {
                        if proc_kinds.get(n.as_str()) != Some(&true) {
                            return invalid(format_args!("reshard '{name}': '{n}' is not a server"));
                        }
                    }
                    if spec.slots.0 > spec.slots.1 || spec.slots.1 > 16383 {
                        return invalid(format_args!("reshard '{name}': slots must be a range within 0..=16383"));
                    }
                }
                if let ProcessSpec::Rebalance { name, spec } = p {
                    if proc_kinds.get(spec.via.as_str()) != Some(&true) {
                        return invalid(format_args!("rebalance '{name}': '{}' is not a server", spec.via));
                    }
                    if !(0.0..=100.0).contains(&spec.threshold) {
                        return invalid(format_args!(
                            "rebalance '{name}': threshold must be a percentage from 0 to 100"
                        ));
                    }
                }
                if let ProcessSpec::Client {
                    name,
                    target,
                    read_target,
                    workload,
                    sentinel,
                    cluster,
                    shards,
                    cache_aside,
                } = p
                {
                    if let Some(shards) = shards {
                        if shards.is_empty() {
                            return invalid(format_args!("client '{name}': shards needs at least one server"));
                        }
                        for s in shards {
                            if proc_kinds.get(s.as_str()) != Some(&true) {
                                return invalid(format_args!("client '{name}': shard '{s}' is not a server"));
                            }
                        }
                    }
                    if let Some(c) = cache_aside {
                        if !database_names.contains(c.database.as_str()) {
                            return invalid(format_args!(
                                "client '{name}': cache_aside database '{}' is not a database",
                                c.database
                            ));
                        }
                        if c.ttl_s == 0 || c.ttl_s > MAX_TIME_MS / 1000 {
                            return invalid(format_args!(
                                "client '{name}': cache_aside ttl_s must be between 1 and {}",
                                MAX_TIME_MS / 1000
                            ));
                        }
                    }
                    for seed in cluster.iter().flat_map(|c| &c.seeds) {
                        if proc_kinds.get(seed.as_str()) != Some(&true) {
                            return invalid(format_args!("client '{name}': cluster seed '{seed}' is not a server"));
                        }
                    }
                    if let Some(s) = sentinel {
                        for sn in &s.sentinels {
                            if !sentinel_names.contains(sn.as_str()) {
                                return invalid(format_args!("client '{name}': '{sn}' is not a sentinel"));
                            }
                        }
                    }
                    for t in std::iter::once(target).chain(read_target.iter()) {
                        match proc_kinds.get(t.as_str()) {
                            Some(true) => {}
                            Some(false) => {
                                return invalid(format_args!("client '{name}' targets '{t}', which is not a server"))
                            }
                            None => {
                                return invalid(format_args!("client '{name}' targets '{t}': no process has that name"))
                            }
                        }
                    }
                    check_workload(name, workload)?;
                }
            }
        }
        for link in &self.network.links {
            for end in [&link.from, &link.to] {
                if !host_names.contains(end.as_str()) {
                    return Err(SimError::UnknownHost(end.clone()));
                }
            }
            check_link_numbers("link", link.latency_ms, link.jitter_ms, link.loss)?;
            check_bandwidth("link", link.bandwidth_mbps)?;
        }
        for a in &self.actions {
            if a.at_ms > MAX_TIME_MS {
                return invalid(format_args!("an action at {} ms is past the longest run ({MAX_TIME_MS} ms)", a.at_ms));
            }
            check_action_names(&a.action, &host_names, &proc_kinds)?;
        }
        Ok(())
    }
}

/// Validation's refusal: `message` is formatted here, once, rather than inlined at each of its many call sites.
#[cold]
#[inline(never)]
fn invalid<T>(message: fmt::Arguments<'_>) -> Result<T> {
    Err(SimError::Invalid(fmt::format(message)))
}

/// Build a server's configuration from a scenario's config map, with Redis's wording for bad values.
pub fn server_config(name: &str, port: u16, config: &VecMap<String, ConfigValue>) -> Result<ServerConfig> {
    let mut c = ServerConfig { port, ..ServerConfig::default() };
    for (key, value) in config {
        let key_lc = key.to_ascii_lowercase();
        if key_lc == "port" {
            return invalid(format_args!(
                "process '{name}': give the port as the process's \"port\", not in its config"
            ));
        }
        if !ServerConfig::knows_at_startup(&key_lc) {
            return invalid(format_args!("process '{name}': unknown or unmodelled config option '{key}'"));
        }
        c.set(&key_lc, &value.as_redis_text())
            .map_err(|why| SimError::Invalid(format!("process '{name}': config '{key}': {why}")))?;
    }
    Ok(c)
}

fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        invalid(format_args!("{what} name '{name}' must be 1 to 64 characters of letters, digits, '-', '_' or '.'"))
    }
}

fn is_ipv4(ip: &str) -> bool {
    let parts: Vec<&str> = ip.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

pub(crate) fn check_link_numbers(
    what: &str,
    latency: Option<u64>,
    jitter: Option<u64>,
    loss: Option<f64>,
) -> Result<()> {
    for (field, v) in [("latency_ms", latency), ("jitter_ms", jitter)] {
        if let Some(v) = v {
            if v > MAX_LATENCY_MS {
                return invalid(format_args!("{what}: {field} {v} is more than an hour ({MAX_LATENCY_MS} ms)"));
            }
        }
    }
    if let Some(l) = loss {
        if !(0.0..=1.0).contains(&l) {
            return invalid(format_args!(
                "{what}: loss must be a probability between 0 and 1, got {}",
                crate::decimal::decimal(l)
            ));
        }
    }
    Ok(())
}

fn check_bandwidth(what: &str, mbps: Option<u64>) -> Result<()> {
    match mbps {
        Some(m) if m == 0 || m > 1_000_000 => {
            invalid(format_args!("{what}: bandwidth_mbps must be between 1 and 1000000, got {m}"))
        }
        _ => Ok(()),
    }
}

fn check_workload(name: &str, w: &WorkloadSpec) -> Result<()> {
    let bad = |m: fmt::Arguments<'_>| invalid(format_args!("client '{name}': {m}"));
    if w.interval_ms == 0 || w.interval_ms > MAX_TIME_MS {
        return bad(format_args!("interval_ms must be between 1 and {MAX_TIME_MS}, got {}", w.interval_ms));
    }
    if w.timeout_ms == 0 || w.timeout_ms > MAX_TIME_MS {
        return bad(format_args!("timeout_ms must be between 1 and {MAX_TIME_MS}, got {}", w.timeout_ms));
    }
    if w.keys == 0 || w.keys > 10_000_000 {
        return bad(format_args!("keys must be between 1 and 10000000, got {}", w.keys));
    }
    if w.ops.is_empty() || w.ops.iter().all(|o| o.weight == 0) {
        return bad(format_args!("ops needs at least one command with a weight above 0"));
    }
    for op in &w.ops {
        match split_args(&op.command) {
            Ok(args) if !args.is_empty() => {}
            Ok(_) => return bad(format_args!("an op has an empty command")),
            Err(e) => return bad(format_args!("op '{}': {e}", op.command)),
        }
    }
    Ok(())
}

pub(crate) fn check_action_names(action: &Action, hosts: &VecSet<&str>, procs: &VecMap<&str, bool>) -> Result<()> {
    let host = |h: &String| {
        if hosts.contains(h.as_str()) {
            Ok(())
        } else {
            Err(SimError::UnknownHost(h.clone()))
        }
    };
    let process = |p: &String| {
        if procs.contains_key(p.as_str()) {
            Ok(())
        } else {
            Err(SimError::UnknownProcess(p.clone()))
        }
    };
    // Plain loops over the lists, rather than flattened or chained iterators: the same checks in less code.
    match action {
        Action::Crash { process: p }
        | Action::Restart { process: p }
        | Action::Pause { process: p }
        | Action::Resume { process: p }
        | Action::Command { process: p, .. } => process(p)?,
        Action::PowerOff { host: h } | Action::PowerOn { host: h } => host(h)?,
        Action::RemoveFile { host: h, .. } | Action::TruncateFile { host: h, .. } => host(h)?,
        Action::Partition { groups } => {
            for group in groups {
                for h in group {
                    host(h)?;
                }
            }
        }
        Action::PartitionOneWay { from, to } => {
            for h in from {
                host(h)?;
            }
            for h in to {
                host(h)?;
            }
        }
        Action::Heal => {}
        Action::ClusterCreate { nodes, .. } => {
            for n in nodes {
                if procs.get(n.as_str()) != Some(&true) {
                    return Err(SimError::UnknownProcess(n.clone()));
                }
            }
        }
        Action::Repoint { process: client, target, read_target } => {
            let targets = std::iter::once(target).chain(read_target);
            process(client)?;
            for t in targets.clone() {
                process(t)?;
            }
            if procs.get(client.as_str()) != Some(&false) {
                return invalid(format_args!("'{client}' is not a client: only clients can be repointed"));
            }
            for t in targets {
                if procs.get(t.as_str()) != Some(&true) {
                    return invalid(format_args!("'{t}' is not a server"));
                }
            }
        }
        Action::Link { from, to, latency_ms, jitter_ms, loss, .. } => {
            host(from)?;
            host(to)?;
            check_link_numbers("link", *latency_ms, *jitter_ms, *loss)?;
        }
    }
    Ok(())
}
