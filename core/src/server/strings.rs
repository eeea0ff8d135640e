//! String commands: GET, SET and its options, counters, APPEND, MGET/MSET.

use super::Server;
use crate::process::Ctx;
use crate::resp::Reply;

pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

/// Parse an integer as Redis's `string2ll` does: an optional `-`, digits, no `+`, no spaces, no leading
/// zeros, within i64.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(bytes).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') || s == "-0" {
        return None;
    }
    s.parse().ok()
}

pub fn get(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    match server.db.get(&args[1], ctx.unix_ms()) {
        Some(v) => {
            server.stats.keyspace_hits += 1;
            Reply::bulk(v)
        }
        None => {
            server.stats.keyspace_misses += 1;
            Reply::Nil
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Condition {
    Always,
    IfAbsent,
    IfPresent,
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | KEEPTTL], parsed as `parseExtendedStringArgumentsOrReply` does.
pub fn set(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let mut condition = Condition::Always;
    let mut return_old = false;
    let mut keep_ttl = false;
    let mut expiry: Option<(i64, bool, bool)> = None; // (value, in_seconds, absolute)
    let mut i = 3;
    while i < args.len() {
        let opt = args[i].to_ascii_uppercase();
        let next = args.get(i + 1);
        match opt.as_slice() {
            b"NX" if condition != Condition::IfPresent => condition = Condition::IfAbsent,
            b"XX" if condition != Condition::IfAbsent => condition = Condition::IfPresent,
            b"GET" => return_old = true,
            b"KEEPTTL" if expiry.is_none() => keep_ttl = true,
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if expiry.is_none() && !keep_ttl && next.is_some() => {
                let Some(v) = next.and_then(|n| parse_i64(n)) else {
                    return Reply::err(NOT_INTEGER);
                };
                let in_seconds = opt == b"EX" || opt == b"EXAT";
                let absolute = opt == b"EXAT" || opt == b"PXAT";
                expiry = Some((v, in_seconds, absolute));
                i += 1;
            }
            _ => return Reply::err(SYNTAX),
        }
        i += 1;
    }
    let expire_at = match expiry {
        None => None,
        Some((v, in_seconds, absolute)) => match expire_instant(v, in_seconds, absolute, ctx.unix_ms(), false) {
            Some(at) => Some(at),
            None => return Reply::err("ERR invalid expire time in 'set' command"),
        },
    };
    let key = &args[1];
    server.expire_if_needed(ctx, key);
    let old = server.db.get(key, ctx.unix_ms()).cloned();
    let allowed = match condition {
        Condition::Always => true,
        Condition::IfAbsent => old.is_none(),
        Condition::IfPresent => old.is_some(),
    };
    if allowed {
        server.db.set(key.clone(), args[2].clone(), keep_ttl);
        server.dirty += 1;
        if let Some(at) = expire_at {
            server.db.set_expire(key, at);
            // Redis 7 propagates a relative or EXAT expiry as an absolute PXAT, so replicas agree to the ms.
            if !matches!(expiry, Some((_, false, true))) {
                let pxat =
                    vec![b"SET".to_vec(), key.clone(), args[2].clone(), b"PXAT".to_vec(), at.to_string().into_bytes()];
                server.propagate_as = Some(vec![pxat]);
            }
        }
    }
    match (return_old, allowed) {
        (true, _) => old.map(Reply::Bulk).unwrap_or(Reply::Nil),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    }
}

/// Turn an expiry argument into a Unix instant in ms, or `None` for Redis's "invalid expire time".
/// SET refuses non-positive values; EXPIRE accepts them (the key is then deleted at once).
pub fn expire_instant(v: i64, in_seconds: bool, absolute: bool, now_ms: u64, allow_negative: bool) -> Option<u64> {
    if !allow_negative && v <= 0 {
        return None;
    }
    let ms = if in_seconds { v.checked_mul(1000)? } else { v };
    let at = if absolute { ms } else { ms.checked_add(i64::try_from(now_ms).ok()?)? };
    if !allow_negative && at <= 0 {
        return None;
    }
    Some(at.max(0) as u64)
}

pub fn setnx(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    if server.db.contains(&args[1], ctx.unix_ms()) {
        return Reply::Int(0);
    }
    server.db.set(args[1].clone(), args[2].clone(), false);
    server.dirty += 1;
    Reply::Int(1)
}

pub fn getset(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    let old = server.db.get(&args[1], ctx.unix_ms()).cloned();
    server.db.set(args[1].clone(), args[2].clone(), false);
    server.dirty += 1;
    server.propagate_as = Some(vec![vec![b"SET".to_vec(), args[1].clone(), args[2].clone()]]);
    old.map(Reply::Bulk).unwrap_or(Reply::Nil)
}

pub fn getdel(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    let old = server.db.get(&args[1], ctx.unix_ms()).cloned();
    if old.is_some() {
        server.db.remove(&args[1]);
        server.dirty += 1;
        server.propagate_as = Some(vec![vec![b"DEL".to_vec(), args[1].clone()]]);
    }
    old.map(Reply::Bulk).unwrap_or(Reply::Nil)
}

pub fn mget(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let now = ctx.unix_ms();
    let items = args[1..]
        .iter()
        .map(|k| {
            server.expire_if_needed(ctx, k);
            server.db.get(k, now).map(Reply::bulk).unwrap_or(Reply::Nil)
        })
        .collect();
    Reply::Array(items)
}

pub fn mset(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 0 {
        return Reply::err("ERR wrong number of arguments for 'mset' command");
    }
    for pair in args[1..].chunks(2) {
        server.db.set(pair[0].clone(), pair[1].clone(), false);
    }
    server.dirty += 1;
    Reply::ok()
}

fn incr_by(server: &mut Server, ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> Reply {
    server.expire_if_needed(ctx, key);
    let current = match server.db.get(key, ctx.unix_ms()) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::err(NOT_INTEGER),
        },
    };
    let Some(next) = current.checked_add(delta) else {
        return Reply::err("ERR increment or decrement would overflow");
    };
    // INCR keeps the key's TTL: it changes the value in place.
    server.db.set(key.to_vec(), next.to_string().into_bytes(), true);
    server.dirty += 1;
    Reply::Int(next)
}

pub fn incr(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    incr_by(server, ctx, &args[1], 1)
}

pub fn decr(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    incr_by(server, ctx, &args[1], -1)
}

pub fn incrby(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    match parse_i64(&args[2]) {
        Some(delta) => incr_by(server, ctx, &args[1], delta),
        None => Reply::err(NOT_INTEGER),
    }
}

pub fn decrby(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    match parse_i64(&args[2]) {
        Some(i64::MIN) => Reply::err("ERR decrement would overflow"),
        Some(delta) => incr_by(server, ctx, &args[1], -delta),
        None => Reply::err(NOT_INTEGER),
    }
}

pub fn append(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    let mut value = server.db.get(&args[1], ctx.unix_ms()).cloned().unwrap_or_default();
    value.extend_from_slice(&args[2]);
    let len = value.len() as i64;
    server.db.set(args[1].clone(), value, true);
    server.dirty += 1;
    Reply::Int(len)
}

pub fn strlen(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    Reply::Int(server.db.get(&args[1], ctx.unix_ms()).map_or(0, |v| v.len() as i64))
}
