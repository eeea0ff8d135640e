//! Server commands: PING, ECHO, INFO, ROLE, CONFIG, TIME.

use super::config::{ServerConfig, OPTION_NAMES};
use super::unmodelled::{config_set_refusal, AS_DEFAULT};
use super::Server;
use crate::glob::glob_match;
use crate::process::Ctx;
use crate::resp::Reply;
use std::fmt::{Display, Write};

/// The version the simulator imitates; INFO reports it.
pub const REDIS_VERSION: &str = "7.0.15";

pub fn ping(_s: &mut Server, _c: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    match args.len() {
        1 => Reply::Status("PONG".into()),
        2 => Reply::bulk(&args[1]),
        _ => Reply::err("ERR wrong number of arguments for 'ping' command"),
    }
}

pub fn echo(_s: &mut Server, _c: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    Reply::bulk(&args[1])
}

pub fn time(_s: &mut Server, ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    let ms = ctx.unix_ms();
    Reply::Array(vec![Reply::bulk((ms / 1000).to_string()), Reply::bulk(((ms % 1000) * 1000).to_string())])
}

/// INFO's text as it is written: `# Title` headers and `field:value` lines, CRLF-terminated as Redis
/// sends them. Every field goes through `field`: one formatting routine for INFO's ~80 fields instead of a
/// `to_string` and a `format!` at each.
pub struct InfoText(String);

impl InfoText {
    pub fn field(&mut self, name: &str, value: &dyn Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

type SectionFn = fn(&Server, &Ctx<'_>, &mut InfoText);

/// The sections INFO knows, in the order Redis prints them: name, title, fields. Redis's Commandstats and
/// Latencystats (per-command calls and microseconds, latency percentiles) are left out, even from `INFO all`
/// and `everything`: the simulator does not measure time spent. Memory and CPU keep their headers but state
/// only what the simulator knows (see `info_memory`, `info_cpu`).
const SECTIONS: &[(&str, &str, SectionFn)] = &[
    ("server", "Server", info_server),
    ("clients", "Clients", info_clients),
    ("memory", "Memory", info_memory),
    ("persistence", "Persistence", super::persistence::info_persistence),
    ("stats", "Stats", info_stats),
    ("replication", "Replication", |s, ctx, out| super::replication::info_replication(s, ctx, out)),
    ("cpu", "CPU", info_cpu),
    // No modules are loaded: the section is empty, as on a real server without them.
    ("modules", "Modules", |_, _, _| {}),
    ("errorstats", "Errorstats", info_errorstats),
    ("cluster", "Cluster", |s, _, out| out.field("cluster_enabled", &u8::from(s.config.cluster_enabled))),
    ("keyspace", "Keyspace", info_keyspace),
];

pub fn info(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let wanted: Vec<String> = args[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    // `all` and `everything` add Commandstats, Latencystats and modules' sections to the default ones: none of
    // them is modelled, so all three name the same sections here.
    let all = wanted.is_empty() || wanted.iter().any(|w| w == "all" || w == "default" || w == "everything");
    let mut out = InfoText(String::new());
    for (section, title, fields) in SECTIONS {
        if !all && !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !out.0.is_empty() {
            out.0.push_str("\r\n");
        }
        let _ = write!(out.0, "# {title}\r\n");
        fields(server, ctx, &mut out);
    }
    Reply::Bulk(out.0.into_bytes())
}

fn info_server(server: &Server, ctx: &Ctx<'_>, out: &mut InfoText) {
    // `server.unixtime - server.stat_starttime`: whole seconds of the clock.
    let uptime = ctx.unix_secs_since(server.started_at);
    out.field("redis_version", &REDIS_VERSION);
    out.field("redis_mode", &if server.config.cluster_enabled { "cluster" } else { "standalone" });
    out.field("os", &"redis-ha-sim (simulated)");
    out.field("arch_bits", &64);
    out.field("process_id", &server.pid);
    out.field("run_id", &server.run_id);
    out.field("tcp_port", &server.config.port);
    out.field("server_time_usec", &(ctx.unix_ms() * 1000));
    out.field("uptime_in_seconds", &uptime);
    out.field("uptime_in_days", &(uptime / 86_400));
    out.field("hz", &server.config.hz);
    out.field("configured_hz", &server.config.hz);
}

fn info_clients(server: &Server, _ctx: &Ctx<'_>, out: &mut InfoText) {
    // The console's own connection counts, as redis-cli's does on a real server.
    out.field("connected_clients", &(server.connections.len() + 1));
    out.field("maxclients", &10000);
    // Clients blocked in WAIT (the only blocking command modelled for clients).
    out.field("blocked_clients", &server.repl.blocked.len());
}

/// The simulator does not model memory allocation, so Redis's `used_memory*`, RSS and fragmentation fields
/// are left out rather than made up. What it can state: there is no memory limit and so no eviction, which
/// is how the simulated server behaves (Redis's defaults).
fn info_memory(_server: &Server, _ctx: &Ctx<'_>, out: &mut InfoText) {
    out.field("maxmemory", &0);
    out.field("maxmemory_human", &"0B");
    out.field("maxmemory_policy", &"noeviction");
}

/// CPU time is not simulated (commands take no virtual time), so `used_cpu_*` are left out: the header alone.
fn info_cpu(_server: &Server, _ctx: &Ctx<'_>, _out: &mut InfoText) {}

/// Error replies by their first word, in Redis's (sorted) order.
fn info_errorstats(server: &Server, _ctx: &Ctx<'_>, out: &mut InfoText) {
    for (code, count) in &server.stats.error_replies {
        let _ = write!(out.0, "errorstat_{code}:count={count}\r\n");
    }
}

fn info_stats(server: &Server, _ctx: &Ctx<'_>, out: &mut InfoText) {
    let s = &server.stats;
    out.field("total_connections_received", &s.total_connections_received);
    out.field("total_commands_processed", &s.total_commands_processed);
    out.field("sync_full", &s.sync_full);
    out.field("sync_partial_ok", &s.sync_partial_ok);
    out.field("sync_partial_err", &s.sync_partial_err);
    out.field("expired_keys", &s.expired_keys);
    out.field("keyspace_hits", &s.keyspace_hits);
    out.field("keyspace_misses", &s.keyspace_misses);
    out.field("total_error_replies", &s.error_replies.values().sum::<u64>());
}

fn info_keyspace(server: &Server, ctx: &Ctx<'_>, out: &mut InfoText) {
    let db = &server.db;
    if !db.is_empty() {
        let _ = write!(
            out.0,
            "db0:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires_count(),
            db.avg_ttl(ctx.unix_ms())
        );
    }
}

/// CONFIG GET pattern [pattern ...] | CONFIG SET name value [name value ...] | CONFIG RESETSTAT.
pub fn config(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let wrong_args = || Reply::err(format!("ERR wrong number of arguments for 'config|{sub}' command"));
    match sub.as_str() {
        "get" => {
            if args.len() < 3 {
                return wrong_args();
            }
            let mut out = Vec::new();
            let gettable = super::config::ALIASES.iter().map(|(alias, _)| *alias).filter(|a| ServerConfig::knows(a));
            // Redis's `bind` as the exported redis.conf writes it: the host's address and loopback, where the
            // simulated server takes its clients and its console.
            let bind = format!("{} 127.0.0.1", server.ip);
            // replicaof is the master this server replicates now ("" for a master), whatever the file said.
            let master = server.repl.master.as_ref().map(|m| format!("{} {}", m.host, m.port)).unwrap_or_default();
            let now = [("bind", bind.as_str()), ("replicaof", master.as_str()), ("slaveof", master.as_str())];
            let stated = AS_DEFAULT.iter().copied().chain(now);
            let modelled = OPTION_NAMES.iter().copied().chain(gettable).map(|n| (n, None));
            for (name, value) in modelled.chain(stated.map(|(n, v)| (n, Some(v)))) {
                if args[2..].iter().any(|p| glob_match(p, name.as_bytes(), true)) {
                    out.push(Reply::bulk(name));
                    out.push(Reply::bulk(
                        value.map_or_else(|| server.config.get(name).unwrap_or_default(), String::from),
                    ));
                }
            }
            Reply::Array(out)
        }
        "set" => {
            if args.len() < 4 || args.len() % 2 != 0 {
                return wrong_args();
            }
            let was_aof = server.config.appendonly;
            let reply = config_set(server, &args[2..]);
            server.appendonly_changed(ctx, was_aof);
            // min-replicas-* recount the good replicas at once (updateGoodSlaves).
            server.refresh_good_replicas(ctx);
            reply
        }
        "rewrite" => {
            if args.len() != 2 {
                return wrong_args();
            }
            // The simulator's configuration file is the process's blueprint: a restart reads it. Like the other
            // options, replicaof is written as it is now (rewriteConfigReplicaOfOption): the master replicated
            // since REPLICAOF, none after REPLICAOF NO ONE, none in cluster mode.
            let mut config = server.config.clone();
            config.replicaof = match &server.repl.master {
                Some(m) if !config.cluster_enabled => Some((m.host.clone(), m.port)),
                _ => None,
            };
            ctx.out.rewrite_config(config);
            Reply::ok()
        }
        "resetstat" => {
            if args.len() != 2 {
                return wrong_args();
            }
            server.stats = Default::default();
            Reply::ok()
        }
        _ => Reply::err(format!("ERR unknown subcommand '{}'. Try CONFIG HELP.", String::from_utf8_lossy(&args[1]))),
    }
}

/// Apply name/value pairs atomically: all of them or, on the first refusal, none.
fn config_set(server: &mut Server, pairs: &[Vec<u8>]) -> Reply {
    let mut next: ServerConfig = server.config.clone();
    let mut seen: Vec<String> = Vec::new();
    for pair in pairs.chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        let fail =
            |why: &str| Reply::err(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"));
        if !ServerConfig::knows(&name) {
            return match config_set_refusal(&name) {
                Some(why) => fail(why),
                None => Reply::err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'")),
            };
        }
        if seen.contains(&name) {
            return fail("duplicate parameter");
        }
        if !ServerConfig::is_mutable(&name) {
            return fail("can't set immutable config");
        }
        if ServerConfig::is_protected(&name) {
            return fail("can't set protected config");
        }
        if let Err(why) = next.set(&name, &value) {
            return fail(&why);
        }
        seen.push(name);
    }
    server.config = next;
    server.cluster_update_myself_flags();
    if let Some(b) = server.repl.backlog.as_mut() {
        b.resize(server.config.repl_backlog_size);
    }
    Reply::ok()
}
