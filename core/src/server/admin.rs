//! Server commands: PING, ECHO, INFO, ROLE, CONFIG, TIME.

use super::config::{ServerConfig, OPTION_NAMES};
use super::Server;
use crate::glob::glob_match;
use crate::process::Ctx;
use crate::resp::Reply;

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

/// The sections INFO knows, in the order Redis prints them.
const SECTIONS: &[&str] = &["server", "clients", "persistence", "stats", "replication", "keyspace"];

pub fn info(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let wanted: Vec<String> = args[1..].iter().map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let all = wanted.is_empty() || wanted.iter().any(|w| w == "all" || w == "default" || w == "everything");
    let mut text = String::new();
    for section in SECTIONS {
        if !all && !wanted.iter().any(|w| w == section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(&info_section(server, ctx, section));
    }
    Reply::Bulk(text.into_bytes())
}

/// One INFO section, `# Title` then `field:value` lines, CRLF-separated as Redis sends them.
pub fn info_section(server: &Server, ctx: &Ctx<'_>, section: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut field = |k: &str, v: String| lines.push(format!("{k}:{v}"));
    let title = match section {
        "server" => {
            let uptime = ctx.now - server.started_at;
            field("redis_version", REDIS_VERSION.into());
            field("redis_mode", "standalone".into());
            field("os", "redis-ha-sim (simulated)".into());
            field("arch_bits", "64".into());
            field("process_id", server.pid.to_string());
            field("run_id", server.run_id.clone());
            field("tcp_port", server.config.port.to_string());
            field("server_time_usec", (ctx.unix_ms() * 1000).to_string());
            field("uptime_in_seconds", (uptime / 1000).to_string());
            field("uptime_in_days", (uptime / 86_400_000).to_string());
            field("hz", server.config.hz.to_string());
            field("configured_hz", server.config.hz.to_string());
            "Server"
        }
        "clients" => {
            // The console's own connection counts, as redis-cli's does on a real server.
            field("connected_clients", (server.connections.len() + 1).to_string());
            field("maxclients", "10000".into());
            field("blocked_clients", "0".into());
            "Clients"
        }
        "stats" => {
            let s = &server.stats;
            field("total_connections_received", s.total_connections_received.to_string());
            field("total_commands_processed", s.total_commands_processed.to_string());
            field("sync_full", s.sync_full.to_string());
            field("sync_partial_ok", s.sync_partial_ok.to_string());
            field("sync_partial_err", s.sync_partial_err.to_string());
            field("expired_keys", s.expired_keys.to_string());
            field("keyspace_hits", s.keyspace_hits.to_string());
            field("keyspace_misses", s.keyspace_misses.to_string());
            "Stats"
        }
        "persistence" => {
            for (k, v) in super::persistence::info_persistence(server, ctx.now) {
                field(&k, v);
            }
            "Persistence"
        }
        "replication" => {
            for (k, v) in super::replication::info_replication(server, ctx.now) {
                field(&k, v);
            }
            "Replication"
        }
        "keyspace" => {
            if !server.db.is_empty() {
                field(
                    "db0",
                    format!(
                        "keys={},expires={},avg_ttl={}",
                        server.db.len(),
                        server.db.expires_count(),
                        server.db.avg_ttl(ctx.unix_ms())
                    ),
                );
            }
            "Keyspace"
        }
        _ => return String::new(),
    };
    let mut out = format!("# {title}\r\n");
    for l in lines {
        out.push_str(&l);
        out.push_str("\r\n");
    }
    out
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
            for name in OPTION_NAMES.iter().copied().chain(gettable) {
                if args[2..].iter().any(|p| glob_match(p, name.as_bytes(), true)) {
                    out.push(Reply::bulk(name));
                    out.push(Reply::bulk(server.config.get(name).unwrap_or_default()));
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
            reply
        }
        "rewrite" => {
            if args.len() != 2 {
                return wrong_args();
            }
            // The simulator's configuration file is the process's blueprint: a restart reads it.
            ctx.out.rewrite_config(server.config.clone());
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
        if !ServerConfig::knows(&name) {
            return Reply::err(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'"));
        }
        let fail =
            |why: &str| Reply::err(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"));
        if seen.contains(&name) {
            return fail("duplicate parameter");
        }
        if !ServerConfig::is_mutable(&name) {
            return fail("can't set immutable config");
        }
        if let Err(why) = next.set(&name, &value) {
            return fail(&why);
        }
        seen.push(name);
    }
    server.config = next;
    if let Some(b) = server.repl.backlog.as_mut() {
        b.resize(server.config.repl_backlog_size);
    }
    Reply::ok()
}
