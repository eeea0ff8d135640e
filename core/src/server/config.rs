//! The configuration options the simulator models, with Redis 7's names, defaults, parsing and error
//! wording. Scenario files and `CONFIG GET`/`CONFIG SET` go through the same table, so a scenario's
//! `"config": {"hz": "100"}` means exactly what `hz 100` means in redis.conf.

/// The modelled options of one server. Defaults are Redis 7's; durations keep Redis's unit (seconds), named
/// with the unit last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// TCP port. Fixed for the run in the simulator: a process's address is its identity.
    pub port: u16,
    /// `serverCron` frequency in Hz (1..=500; values outside are clamped, as Redis does).
    pub hz: u32,
    /// `replicaof <ip> <port>` in the config file: start as a replica of that master.
    pub replicaof: Option<(String, u16)>,
    /// Bytes of replication stream kept for partial resyncs (min 16 KB).
    pub repl_backlog_size: u64,
    /// A master without replicas frees its backlog after this many seconds (0 = never).
    pub repl_backlog_ttl_secs: u64,
    /// Seconds without data on a replication link before either side drops it.
    pub repl_timeout_secs: u64,
    /// A master PINGs its replicas every this many seconds, so an idle link still shows life.
    pub repl_ping_replica_period_secs: u64,
    pub min_replicas_to_write: u64,
    /// A replica counts as good while its last ACK is at most this many seconds old.
    pub min_replicas_max_lag_secs: u64,
    pub replica_read_only: bool,
    pub replica_serve_stale_data: bool,
    /// Sentinel promotes the lowest non-zero priority; 0 means never.
    pub replica_priority: u64,
    pub repl_diskless_sync: bool,
    /// With diskless sync, how long a master waits for more replicas before forking.
    pub repl_diskless_sync_delay_secs: u64,
    /// RDB save points: BGSAVE after `seconds` if at least `changes` writes happened.
    pub save: Vec<(u64, u64)>,
    pub dbfilename: String,
    pub appendonly: bool,
    pub appendfsync: Fsync,
    pub appendfilename: String,
    pub appenddirname: String,
    /// Rewrite the AOF when it grew by this percentage over its size after the last rewrite (0 = never).
    pub auto_aof_rewrite_percentage: u64,
    /// ...and is at least this many bytes.
    pub auto_aof_rewrite_min_size: u64,
    pub aof_use_rdb_preamble: bool,
    /// Load an AOF whose last command is cut short (dropping that command), instead of refusing to start.
    pub aof_load_truncated: bool,
    pub cluster_enabled: bool,
    /// `cluster-node-timeout`, in ms: no PONG for this long makes a node PFAIL.
    pub cluster_node_timeout_ms: u64,
    pub cluster_migration_barrier: u64,
    pub cluster_replica_validity_factor: u64,
    pub cluster_require_full_coverage: bool,
    pub cluster_allow_reads_when_down: bool,
    pub cluster_replica_no_failover: bool,
    /// Replicas may move to an orphaned master, and follow the node that took their master's last slot.
    pub cluster_allow_replica_migration: bool,
}

/// `appendfsync`: when the AOF is fsynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to each write.
    Always,
    /// Once a second, in the background.
    Everysec,
    /// Never: the OS decides (about every 30 s on Linux).
    No,
}

impl Fsync {
    pub fn as_str(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 6379,
            hz: 10,
            replicaof: None,
            repl_backlog_size: 1024 * 1024,
            repl_backlog_ttl_secs: 3600,
            repl_timeout_secs: 60,
            repl_ping_replica_period_secs: 10,
            min_replicas_to_write: 0,
            min_replicas_max_lag_secs: 10,
            replica_read_only: true,
            replica_serve_stale_data: true,
            replica_priority: 100,
            repl_diskless_sync: true,
            repl_diskless_sync_delay_secs: 5,
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            dbfilename: "dump.rdb".into(),
            appendonly: false,
            appendfsync: Fsync::Everysec,
            appendfilename: "appendonly.aof".into(),
            appenddirname: "appendonlydir".into(),
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            aof_use_rdb_preamble: true,
            aof_load_truncated: true,
            cluster_enabled: false,
            cluster_node_timeout_ms: 15_000,
            cluster_migration_barrier: 1,
            cluster_replica_validity_factor: 10,
            cluster_require_full_coverage: true,
            cluster_allow_reads_when_down: false,
            cluster_replica_no_failover: false,
            cluster_allow_replica_migration: true,
        }
    }
}

/// The option names CONFIG GET/SET know, in the order CONFIG GET * lists them.
pub const OPTION_NAMES: &[&str] = &[
    "port",
    "hz",
    "repl-backlog-size",
    "repl-backlog-ttl",
    "repl-timeout",
    "repl-ping-replica-period",
    "min-replicas-to-write",
    "min-replicas-max-lag",
    "replica-read-only",
    "replica-serve-stale-data",
    "replica-priority",
    "repl-diskless-sync",
    "repl-diskless-sync-delay",
    "save",
    "dbfilename",
    "appendonly",
    "appendfsync",
    "appendfilename",
    "appenddirname",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "aof-use-rdb-preamble",
    "aof-load-truncated",
    "cluster-enabled",
    "cluster-node-timeout",
    "cluster-migration-barrier",
    "cluster-replica-validity-factor",
    "cluster-require-full-coverage",
    "cluster-allow-reads-when-down",
    "cluster-replica-no-failover",
    "cluster-allow-replica-migration",
];

/// Old names Redis still accepts (CONFIG GET answers them under the name asked).
pub const ALIASES: &[(&str, &str)] = &[
    ("repl-ping-slave-period", "repl-ping-replica-period"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-priority", "replica-priority"),
    ("slaveof", "replicaof"),
    ("cluster-slave-validity-factor", "cluster-replica-validity-factor"),
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
];

/// The canonical name of an option, resolving Redis's old aliases.
pub fn canonical(name: &str) -> &str {
    ALIASES.iter().find(|(old, _)| *old == name).map_or(name, |(_, new)| new)
}

/// Why a value was refused; the text after `- ` in Redis's `CONFIG SET failed` error.
pub type ConfigError = String;

const MAX_INT: i64 = i32::MAX as i64;

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

impl ServerConfig {
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match canonical(name) {
            "port" => self.port.to_string(),
            "hz" => self.hz.to_string(),
            "repl-backlog-size" => self.repl_backlog_size.to_string(),
            "repl-backlog-ttl" => self.repl_backlog_ttl_secs.to_string(),
            "repl-timeout" => self.repl_timeout_secs.to_string(),
            "repl-ping-replica-period" => self.repl_ping_replica_period_secs.to_string(),
            "min-replicas-to-write" => self.min_replicas_to_write.to_string(),
            "min-replicas-max-lag" => self.min_replicas_max_lag_secs.to_string(),
            "replica-read-only" => yes_no(self.replica_read_only),
            "replica-serve-stale-data" => yes_no(self.replica_serve_stale_data),
            "replica-priority" => self.replica_priority.to_string(),
            "repl-diskless-sync" => yes_no(self.repl_diskless_sync),
            "repl-diskless-sync-delay" => self.repl_diskless_sync_delay_secs.to_string(),
            "save" => self.save.iter().map(|(s, c)| format!("{s} {c}")).collect::<Vec<_>>().join(" "),
            "dbfilename" => self.dbfilename.clone(),
            "appendonly" => yes_no(self.appendonly),
            "appendfsync" => self.appendfsync.as_str().into(),
            "appendfilename" => self.appendfilename.clone(),
            "appenddirname" => self.appenddirname.clone(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "aof-use-rdb-preamble" => yes_no(self.aof_use_rdb_preamble),
            "aof-load-truncated" => yes_no(self.aof_load_truncated),
            "cluster-enabled" => yes_no(self.cluster_enabled),
            "cluster-node-timeout" => self.cluster_node_timeout_ms.to_string(),
            "cluster-migration-barrier" => self.cluster_migration_barrier.to_string(),
            "cluster-replica-validity-factor" => self.cluster_replica_validity_factor.to_string(),
            "cluster-require-full-coverage" => yes_no(self.cluster_require_full_coverage),
            "cluster-allow-reads-when-down" => yes_no(self.cluster_allow_reads_when_down),
            "cluster-replica-no-failover" => yes_no(self.cluster_replica_no_failover),
            "cluster-allow-replica-migration" => yes_no(self.cluster_allow_replica_migration),
            _ => return None,
        })
    }

    /// Whether `CONFIG SET` may change the option on a running server.
    pub fn is_mutable(name: &str) -> bool {
        !matches!(canonical(name), "port" | "appendfilename" | "appenddirname" | "cluster-enabled")
    }

    /// Whether Redis 7 refuses to change the option at run time because `enable-protected-configs` is off (its
    /// default): a file name the server writes must not be changed by a client.
    pub fn is_protected(name: &str) -> bool {
        canonical(name) == "dbfilename"
    }

    /// Parse and apply one option, as at startup from a config file. Each arm returns its parser's result
    /// directly: a `?` per arm costs more code than the parsing itself.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        match canonical(name) {
            "port" => parse_int(value, 0, 65535).map(|n| self.port = n as u16),
            // Redis clamps hz into 1..=500 silently.
            "hz" => parse_int(value, 0, MAX_INT).map(|n| self.hz = n.clamp(1, 500) as u32),
            "replicaof" => parse_replicaof(value).map(|r| self.replicaof = r),
            // Redis raises a backlog smaller than 16 KB to 16 KB.
            "repl-backlog-size" => parse_memory(value).map(|n| self.repl_backlog_size = n.max(16 * 1024)),
            "repl-backlog-ttl" => set_int(&mut self.repl_backlog_ttl_secs, value, 0),
            "repl-timeout" => set_int(&mut self.repl_timeout_secs, value, 1),
            "repl-ping-replica-period" => set_int(&mut self.repl_ping_replica_period_secs, value, 1),
            "min-replicas-to-write" => set_int(&mut self.min_replicas_to_write, value, 0),
            "min-replicas-max-lag" => set_int(&mut self.min_replicas_max_lag_secs, value, 0),
            "replica-read-only" => set_bool(&mut self.replica_read_only, value),
            "replica-serve-stale-data" => set_bool(&mut self.replica_serve_stale_data, value),
            "replica-priority" => set_int(&mut self.replica_priority, value, 0),
            "repl-diskless-sync" => set_bool(&mut self.repl_diskless_sync, value),
            "repl-diskless-sync-delay" => set_int(&mut self.repl_diskless_sync_delay_secs, value, 0),
            "save" => parse_save(value).map(|s| self.save = s),
            "dbfilename" => set_filename(&mut self.dbfilename, value),
            "appendonly" => set_bool(&mut self.appendonly, value),
            "appendfsync" => {
                self.appendfsync = match value.to_ascii_lowercase().as_str() {
                    "always" => Fsync::Always,
                    "everysec" => Fsync::Everysec,
                    "no" => Fsync::No,
                    _ => return Err("argument(s) must be one of the following: everysec, always, no".into()),
                };
                Ok(())
            }
            "appendfilename" => set_filename(&mut self.appendfilename, value),
            "appenddirname" => set_filename(&mut self.appenddirname, value),
            "auto-aof-rewrite-percentage" => set_int(&mut self.auto_aof_rewrite_percentage, value, 0),
            "auto-aof-rewrite-min-size" => parse_memory(value).map(|n| self.auto_aof_rewrite_min_size = n),
            "aof-use-rdb-preamble" => set_bool(&mut self.aof_use_rdb_preamble, value),
            "aof-load-truncated" => set_bool(&mut self.aof_load_truncated, value),
            "cluster-enabled" => set_bool(&mut self.cluster_enabled, value),
            // A long long in Redis, unlike the int options.
            "cluster-node-timeout" => parse_int(value, 0, i64::MAX).map(|n| self.cluster_node_timeout_ms = n as u64),
            "cluster-migration-barrier" => set_int(&mut self.cluster_migration_barrier, value, 0),
            "cluster-replica-validity-factor" => set_int(&mut self.cluster_replica_validity_factor, value, 0),
            "cluster-require-full-coverage" => set_bool(&mut self.cluster_require_full_coverage, value),
            "cluster-allow-reads-when-down" => set_bool(&mut self.cluster_allow_reads_when_down, value),
            "cluster-replica-no-failover" => set_bool(&mut self.cluster_replica_no_failover, value),
            "cluster-allow-replica-migration" => set_bool(&mut self.cluster_allow_replica_migration, value),
            _ => Err(format!("Unknown option '{name}'")),
        }
    }

    /// Options CONFIG GET/SET know (startup-only directives such as `replicaof` are not among them).
    pub fn knows(name: &str) -> bool {
        OPTION_NAMES.contains(&canonical(name))
    }

    /// Options a scenario's config may set: the CONFIG ones plus startup directives.
    pub fn knows_at_startup(name: &str) -> bool {
        Self::knows(name) || canonical(name) == "replicaof"
    }
}

/// An integer option in `min..=i32::MAX`, as Redis's numeric configs are bounded.
fn set_int(field: &mut u64, value: &str, min: i64) -> Result<(), ConfigError> {
    *field = parse_int(value, min, MAX_INT)? as u64;
    Ok(())
}

fn set_bool(field: &mut bool, value: &str) -> Result<(), ConfigError> {
    *field = parse_bool(value)?;
    Ok(())
}

fn set_filename(field: &mut String, value: &str) -> Result<(), ConfigError> {
    *field = parse_filename(value)?;
    Ok(())
}

/// `save "3600 1 300 100"`: pairs of seconds and changes; `""` for none.
fn parse_save(value: &str) -> Result<Vec<(u64, u64)>, ConfigError> {
    const ERR: &str = "Invalid save parameters";
    let words: Vec<&str> = value.split_whitespace().collect();
    if words.len() % 2 != 0 {
        return Err(ERR.into());
    }
    words
        .chunks(2)
        .map(|p| match (p[0].parse::<u64>(), p[1].parse::<u64>()) {
            (Ok(s), Ok(c)) => Ok((s, c)),
            _ => Err(ERR.to_string()),
        })
        .collect()
}

fn parse_filename(value: &str) -> Result<String, ConfigError> {
    if value.is_empty() || value.contains('/') {
        return Err("dbfilename can't be a path, just a filename".into());
    }
    Ok(value.to_string())
}

fn parse_replicaof(value: &str) -> Result<Option<(String, u16)>, ConfigError> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    match parts.as_slice() {
        [no, one] if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") => Ok(None),
        [host, port] => {
            let port = parse_int(port, 0, 65535).map_err(|_| "Invalid master port".to_string())?;
            Ok(Some((host.to_string(), port as u16)))
        }
        _ => Err("replicaof takes an address and a port: 'replicaof <ip> <port>'".into()),
    }
}

fn parse_int(value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let n: i64 = value.trim().parse().map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(n)
}

/// Parse `yes`/`no` as Redis does.
pub fn parse_bool(value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

/// Parse a memory value (`1mb`, `16k`, `1048576`) as Redis's `memtoull` does: `k`/`m`/`g` are powers of
/// 1000, `kb`/`mb`/`gb` powers of 1024.
pub fn parse_memory(value: &str) -> Result<u64, ConfigError> {
    const ERR: &str = "argument must be a memory value";
    let v = value.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().map_err(|_| ERR.to_string())?;
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(ERR.into()),
    };
    n.checked_mul(mul).ok_or_else(|| ERR.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hz_is_clamped_and_validated_like_redis() {
        let mut c = ServerConfig::default();
        c.set("hz", "1000").unwrap();
        assert_eq!(c.get("hz").unwrap(), "500");
        c.set("hz", "0").unwrap();
        assert_eq!(c.get("hz").unwrap(), "1");
        assert_eq!(c.set("hz", "abc"), Err("argument couldn't be parsed into an integer".into()));
        assert_eq!(c.set("hz", "-1"), Err("argument must be between 0 and 2147483647 inclusive".into()));
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1mb"), Ok(1_048_576));
        assert_eq!(parse_memory("1m"), Ok(1_000_000));
        assert_eq!(parse_memory("16384"), Ok(16384));
        assert!(parse_memory("2x").is_err());
        assert_eq!(parse_bool("YES"), Ok(true));
    }
}
