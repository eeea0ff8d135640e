//! Moving keys between nodes: MIGRATE on the source sends each key to the target as RESTORE-ASKING and
//! replies once the target has acknowledged (then deletes the keys, unless COPY); RESTORE creates a key from
//! its value and TTL. (Values travel as plain bytes, not Redis's DUMP encoding.)

use crate::process::{Ctx, Message, ProcId};
use crate::resp::Reply;
use crate::server::Server;

/// A MIGRATE waiting for the target's answers.
#[derive(Clone, Debug)]
pub struct PendingMigrate {
    pub caller: Option<(ProcId, u64)>,
    pub keys: Vec<Vec<u8>>,
    pub copy: bool,
    pub remaining: usize,
    pub error: Option<String>,
}

fn parse_u64(a: &[u8]) -> Option<u64> {
    std::str::from_utf8(a).ok()?.parse().ok()
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [KEYS key [key ...]]
pub fn migrate(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    let Some(port) = parse_u64(&args[2]).and_then(|p| u16::try_from(p).ok()) else {
        return Some(Reply::err("ERR value is not an integer or out of range"));
    };
    if parse_u64(&args[4]).is_none() || parse_u64(&args[5]).is_none() {
        return Some(Reply::err("ERR value is not an integer or out of range"));
    }
    let (mut copy, mut replace, mut keys) = (false, false, Vec::new());
    let mut i = 6;
    while i < args.len() {
        match args[i].to_ascii_uppercase().as_slice() {
            b"COPY" => copy = true,
            b"REPLACE" => replace = true,
            b"KEYS" => {
                if !args[3].is_empty() {
                    return Some(Reply::err(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                    ));
                }
                keys.extend(args[i + 1..].iter().cloned());
                break;
            }
            _ => return Some(Reply::err("ERR syntax error")),
        }
        i += 1;
    }
    if keys.is_empty() {
        keys.push(args[3].clone());
    }
    let now = ctx.unix_ms();
    let present: Vec<Vec<u8>> = keys.into_iter().filter(|k| server.db.contains(k, now)).collect();
    if present.is_empty() {
        return Some(Reply::Status("NOKEY".into()));
    }
    let Some(target) = ctx.resolve(&host, port) else {
        return Some(Reply::err(format!("IOERR error or timeout connecting to the client: {host}:{port}")));
    };
    let pending =
        PendingMigrate { caller: server.current, keys: present.clone(), copy, remaining: present.len(), error: None };
    for k in &present {
        let value = server.db.get(k, now).cloned().unwrap_or_default();
        let ttl = server.db.expire_at(k).map_or(0, |at| at.saturating_sub(now).max(1));
        let mut restore = vec![b"RESTORE-ASKING".to_vec(), k.clone(), ttl.to_string().into_bytes(), value];
        if replace {
            restore.push(b"REPLACE".to_vec());
        }
        server.repl.next_request += 1;
        let id = server.repl.next_request;
        ctx.out.send(target, Message::Request { id, args: restore });
    }
    let first = server.repl.next_request + 1 - present.len() as u64;
    server.pending_migrate.insert(first, pending);
    for id in first..=server.repl.next_request {
        server.migrations.insert(id, first);
    }
    None
}

/// RESTORE key ttl value [REPLACE] (and RESTORE-ASKING, which acts as if ASKING came first).
pub fn restore(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let Some(ttl) = parse_u64(&args[2]) else {
        return Reply::err("ERR Invalid TTL value, must be >= 0");
    };
    let replace = args[4..].iter().any(|a| a.eq_ignore_ascii_case(b"REPLACE"));
    let now = ctx.unix_ms();
    if !replace && server.db.contains(&args[1], now) {
        return Reply::err("BUSYKEY Target key name already exists.");
    }
    server.db.set(args[1].clone(), args[3].clone(), false);
    if ttl > 0 {
        server.db.set_expire(&args[1], now + ttl);
        server.propagate_as = Some(vec![vec![
            b"SET".to_vec(),
            args[1].clone(),
            args[3].clone(),
            b"PXAT".to_vec(),
            (now + ttl).to_string().into_bytes(),
        ]]);
    } else {
        server.propagate_as = Some(vec![vec![b"SET".to_vec(), args[1].clone(), args[3].clone()]]);
    }
    server.dirty += 1;
    Reply::ok()
}

impl Server {
    /// The target answered one RESTORE-ASKING of a MIGRATE: when all have, delete the keys and reply.
    pub(crate) fn migrate_reply(&mut self, ctx: &mut Ctx<'_>, id: u64, reply: Reply) -> bool {
        let Some(first) = self.migrations.remove(&id) else { return false };
        let Some(p) = self.pending_migrate.get_mut(&first) else { return true };
        p.remaining -= 1;
        if let Reply::Error(e) = reply {
            p.error = Some(e);
        }
        if p.remaining > 0 {
            return true;
        }
        let Some(p) = self.pending_migrate.remove(&first) else { return true };
        let reply = match p.error {
            Some(e) => Reply::err(format!("ERR Target instance replied with error: {e}")),
            None => {
                if !p.copy {
                    let mut del = vec![b"DEL".to_vec()];
                    for k in &p.keys {
                        self.db.remove(k);
                        del.push(k.clone());
                    }
                    // Deleting the moved keys is a write like any other: AOF and replicas see a DEL.
                    self.dirty += 1;
                    self.persist.changes += 1;
                    self.feed_aof(ctx, std::slice::from_ref(&del));
                    self.propagate(ctx, vec![del]);
                }
                Reply::ok()
            }
        };
        match p.caller {
            Some((to, rid)) => ctx.out.send(to, Message::Response { id: rid, reply }),
            None => ctx.out.note(crate::trace::TraceEvent::Console {
                proc: ctx.me,
                line: "(MIGRATE returned)".into(),
                reply: crate::cli::format_reply(&reply),
            }),
        }
        // The server was blocked: what arrived meanwhile runs now.
        self.release_paused_writes(ctx);
        true
    }
}
