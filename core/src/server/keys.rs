//! Generic key commands: DEL, EXISTS, TYPE, the EXPIRE family, TTL/PTTL, PERSIST, KEYS, DBSIZE, FLUSHALL,
//! SELECT.

use super::strings::{parse_i64, NOT_INTEGER};
use super::Server;
use crate::glob::glob_match;
use crate::process::Ctx;
use crate::resp::Reply;

pub fn del(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let mut n = 0;
    for key in &args[1..] {
        server.expire_if_needed(ctx, key);
        if server.db.remove(key) {
            n += 1;
        }
    }
    server.dirty += n as u64;
    Reply::Int(n)
}

pub fn exists(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let mut n = 0;
    for key in &args[1..] {
        server.expire_if_needed(ctx, key);
        if server.db.contains(key, ctx.unix_ms()) {
            n += 1;
        }
    }
    Reply::Int(n)
}

pub fn type_(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    let t = if server.db.contains(&args[1], ctx.unix_ms()) { "string" } else { "none" };
    Reply::Status(t.into())
}

/// The EXPIRE family, as `expireGenericCommand` in Redis 7: options NX | XX | GT | LT, overflow checks,
/// and a time already past deletes the key.
fn expire_generic(
    server: &mut Server,
    ctx: &mut Ctx<'_>,
    args: &[Vec<u8>],
    name: &str,
    in_seconds: bool,
    absolute: bool,
) -> Reply {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        match opt.to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => return Reply::err(format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))),
        }
    }
    if nx && (xx || gt || lt) {
        return Reply::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if gt && lt {
        return Reply::err("ERR GT and LT options at the same time are not compatible");
    }
    let Some(v) = parse_i64(&args[2]) else {
        return Reply::err(NOT_INTEGER);
    };
    let now = ctx.unix_ms();
    let when = match expire_when(v, in_seconds, absolute, now) {
        Some(w) => w,
        None => return Reply::err(format!("ERR invalid expire time in '{name}' command")),
    };
    let key = &args[1];
    server.expire_if_needed(ctx, key);
    if !server.db.contains(key, now) {
        return Reply::Int(0);
    }
    let current = server.db.expire_at(key).map(|c| c as i64);
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        return Reply::Int(0);
    }
    server.dirty += 1;
    if when <= now as i64 {
        server.db.remove(key);
        server.propagate_as = Some(vec![vec![b"DEL".to_vec(), key.clone()]]);
    } else {
        server.db.set_expire(key, when as u64);
        // Propagated as PEXPIREAT with the absolute time, options kept, as Redis 7 does.
        let mut rewritten = vec![b"PEXPIREAT".to_vec(), key.clone(), when.to_string().into_bytes()];
        rewritten.extend(args[3..].iter().cloned());
        server.propagate_as = Some(vec![rewritten]);
    }
    Reply::Int(1)
}

/// EXPIRE accepts negative and past times; only overflow is an error.
fn expire_when(v: i64, in_seconds: bool, absolute: bool, now: u64) -> Option<i64> {
    let ms = if in_seconds { v.checked_mul(1000)? } else { v };
    if absolute {
        Some(ms)
    } else {
        ms.checked_add(now as i64)
    }
}

pub fn expire(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    expire_generic(s, c, a, "expire", true, false)
}
pub fn pexpire(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    expire_generic(s, c, a, "pexpire", false, false)
}
pub fn expireat(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    expire_generic(s, c, a, "expireat", true, true)
}
pub fn pexpireat(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    expire_generic(s, c, a, "pexpireat", false, true)
}

fn ttl_generic(server: &mut Server, ctx: &mut Ctx<'_>, key: &[u8], in_ms: bool) -> Reply {
    server.expire_if_needed(ctx, key);
    let now = ctx.unix_ms();
    if !server.db.contains(key, now) {
        return Reply::Int(-2);
    }
    match server.db.expire_at(key) {
        None => Reply::Int(-1),
        Some(at) => {
            let ms = at.saturating_sub(now) as i64;
            Reply::Int(if in_ms { ms } else { (ms + 500) / 1000 })
        }
    }
}

pub fn ttl(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    ttl_generic(s, c, &a[1], false)
}
pub fn pttl(s: &mut Server, c: &mut Ctx<'_>, a: &[Vec<u8>]) -> Reply {
    ttl_generic(s, c, &a[1], true)
}

pub fn persist(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    server.expire_if_needed(ctx, &args[1]);
    let removed = server.db.persist(&args[1]);
    server.dirty += u64::from(removed);
    Reply::Int(i64::from(removed))
}

pub fn keys(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let now = ctx.unix_ms();
    let matching = server
        .db
        .keys()
        .filter(|k| server.db.contains(k, now) && glob_match(&args[1], k, false))
        .map(Reply::bulk)
        .collect();
    Reply::Array(matching)
}

pub fn dbsize(server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    Reply::Int(server.db.len() as i64)
}

/// FLUSHALL / FLUSHDB [ASYNC | SYNC]: the simulator has one database, so both empty it.
pub fn flushall(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    if args.len() > 2
        || args.get(1).is_some_and(|a| !a.eq_ignore_ascii_case(b"ASYNC") && !a.eq_ignore_ascii_case(b"SYNC"))
    {
        return Reply::err("ERR syntax error");
    }
    server.db.clear();
    server.dirty += 1;
    Reply::ok()
}

/// SELECT: the simulator models database 0 only (a documented simplification); 1..15 are refused with
/// a message that says so, 16 and above as Redis refuses them.
pub fn select(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    match parse_i64(&args[1]) {
        None => Reply::err(NOT_INTEGER),
        Some(0) => Reply::ok(),
        Some(_) if server.cluster.is_some() => Reply::err("ERR SELECT is not allowed in cluster mode"),
        Some(n) if (1..16).contains(&n) => Reply::err("ERR the simulator models database 0 only"),
        Some(_) => Reply::err("ERR DB index is out of range"),
    }
}
