//! The command table: name, arity and flags for every command the server knows, as in Redis's
//! `commands.def`. Later capabilities (replication, persistence, cluster) add rows here.

use super::{admin, aof, keys, persistence, pubsub, repl_master, replication, strings, Server};
use crate::process::Ctx;
use crate::resp::Reply;

/// Command flags, a subset of Redis's: what the server must check before running a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(u8);

impl Flags {
    /// Changes the dataset: refused on read-only replicas, propagated to replicas and the AOF.
    pub const WRITE: Flags = Flags(1);
    /// Only reads the dataset.
    pub const READONLY: Flags = Flags(2);
    /// Administrative (CONFIG, INFO's kin).
    pub const ADMIN: Flags = Flags(4);
    /// Allowed on a replica whose link is down with replica-serve-stale-data no (Redis's CMD_STALE).
    pub const STALE: Flags = Flags(8);
    /// Allowed while the dataset is loading (Redis's CMD_LOADING).
    pub const LOADING: Flags = Flags(16);
    /// Neither reads nor writes keys (PING, ECHO, ROLE).
    pub const NONE: Flags = Flags(0);

    pub fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// Where a command's keys are, as Redis's key specs say for the commands the simulator knows: what cluster
/// routing hashes and client libraries route by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    None,
    /// The first argument (GET, SET, EXPIRE, RESTORE, ...).
    First,
    /// Every argument (MGET, DEL, EXISTS).
    All,
    /// Every other argument, from the first: MSET's key value pairs.
    EveryOther,
}

/// A command's implementation: most reply at once; a few may defer their reply (WAIT blocks, PSYNC answers
/// when the fork happens) or send none (REPLCONF ACK).
#[derive(Clone, Copy)]
pub enum Handler {
    Now(NowFn),
    Maybe(MaybeFn),
}

impl Handler {
    pub fn call(self, server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
        match self {
            Handler::Now(f) => Some(f(server, ctx, args)),
            Handler::Maybe(f) => f(server, ctx, args),
        }
    }
}

pub struct CommandSpec {
    /// Lowercase, as Redis names commands in its error messages.
    pub name: &'static str,
    /// Positive: exactly that many arguments (name included); negative: at least that many.
    pub arity: i32,
    pub flags: Flags,
    pub keys: Keys,
    pub handler: Handler,
}

impl CommandSpec {
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// The keys among a command's arguments (`args[0]` is its name).
    pub fn keys<'a>(&self, args: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
        let (step, count) = match self.keys {
            Keys::None => (1, 0),
            Keys::First => (1, 1),
            Keys::All => (1, usize::MAX),
            Keys::EveryOther => (2, usize::MAX),
        };
        let mut keys = Vec::new();
        let mut i = 1;
        while i < args.len() && keys.len() < count {
            keys.push(args[i].as_slice());
            i += step;
        }
        keys
    }

    const fn with_keys(self, keys: Keys) -> CommandSpec {
        CommandSpec { keys, ..self }
    }
}

type NowFn = fn(&mut Server, &mut Ctx<'_>, &[Vec<u8>]) -> Reply;
type MaybeFn = fn(&mut Server, &mut Ctx<'_>, &[Vec<u8>]) -> Option<Reply>;

const fn cmd(name: &'static str, arity: i32, flags: Flags, handler: NowFn) -> CommandSpec {
    CommandSpec { name, arity, flags, keys: Keys::None, handler: Handler::Now(handler) }
}

const fn deferred(name: &'static str, arity: i32, flags: Flags, handler: MaybeFn) -> CommandSpec {
    CommandSpec { name, arity, flags, keys: Keys::None, handler: Handler::Maybe(handler) }
}

const STALE_LOADING: Flags = Flags::STALE.with(Flags::LOADING);

static COMMANDS: &[CommandSpec] = &[
    // strings
    cmd("get", 2, Flags::READONLY, strings::get).with_keys(Keys::First),
    cmd("set", -3, Flags::WRITE, strings::set).with_keys(Keys::First),
    cmd("setnx", 3, Flags::WRITE, strings::setnx).with_keys(Keys::First),
    cmd("getset", 3, Flags::WRITE, strings::getset).with_keys(Keys::First),
    cmd("getdel", 2, Flags::WRITE, strings::getdel).with_keys(Keys::First),
    cmd("mget", -2, Flags::READONLY, strings::mget).with_keys(Keys::All),
    cmd("mset", -3, Flags::WRITE, strings::mset).with_keys(Keys::EveryOther),
    cmd("incr", 2, Flags::WRITE, strings::incr).with_keys(Keys::First),
    cmd("decr", 2, Flags::WRITE, strings::decr).with_keys(Keys::First),
    cmd("incrby", 3, Flags::WRITE, strings::incrby).with_keys(Keys::First),
    cmd("decrby", 3, Flags::WRITE, strings::decrby).with_keys(Keys::First),
    cmd("append", 3, Flags::WRITE, strings::append).with_keys(Keys::First),
    cmd("strlen", 2, Flags::READONLY, strings::strlen).with_keys(Keys::First),
    // keys
    cmd("del", -2, Flags::WRITE, keys::del).with_keys(Keys::All),
    cmd("unlink", -2, Flags::WRITE, keys::del).with_keys(Keys::All),
    cmd("exists", -2, Flags::READONLY, keys::exists).with_keys(Keys::All),
    cmd("type", 2, Flags::READONLY, keys::type_).with_keys(Keys::First),
    cmd("expire", -3, Flags::WRITE, keys::expire).with_keys(Keys::First),
    cmd("pexpire", -3, Flags::WRITE, keys::pexpire).with_keys(Keys::First),
    cmd("expireat", -3, Flags::WRITE, keys::expireat).with_keys(Keys::First),
    cmd("pexpireat", -3, Flags::WRITE, keys::pexpireat).with_keys(Keys::First),
    cmd("ttl", 2, Flags::READONLY, keys::ttl).with_keys(Keys::First),
    cmd("pttl", 2, Flags::READONLY, keys::pttl).with_keys(Keys::First),
    cmd("persist", 2, Flags::WRITE, keys::persist).with_keys(Keys::First),
    cmd("keys", 2, Flags::READONLY, keys::keys),
    cmd("dbsize", 1, Flags::READONLY, keys::dbsize),
    cmd("flushall", -1, Flags::WRITE, keys::flushall),
    cmd("flushdb", -1, Flags::WRITE, keys::flushall),
    cmd("select", 2, STALE_LOADING, keys::select),
    // server
    cmd("ping", -1, Flags::NONE, admin::ping),
    cmd("echo", 2, Flags::STALE, admin::echo),
    cmd("info", -1, STALE_LOADING, admin::info),
    deferred("role", 1, STALE_LOADING, replication::role),
    cmd("config", -2, Flags::ADMIN.with(STALE_LOADING), admin::config),
    cmd("time", 1, STALE_LOADING, admin::time),
    // replication
    deferred("replicaof", 3, Flags::ADMIN.with(Flags::STALE), replication::replicaof),
    deferred("slaveof", 3, Flags::ADMIN.with(Flags::STALE), replication::replicaof),
    deferred("replconf", -1, Flags::ADMIN.with(STALE_LOADING), repl_master::replconf),
    deferred("psync", -3, Flags::ADMIN.with(Flags::STALE), repl_master::psync),
    deferred("sync", 1, Flags::ADMIN, repl_master::sync),
    deferred("wait", 3, Flags::NONE, repl_master::wait),
    // cluster
    cmd("cluster", -2, STALE_LOADING, crate::cluster::commands::cluster),
    cmd("asking", 1, Flags::NONE, crate::cluster::commands::asking),
    cmd("readonly", 1, Flags::NONE, crate::cluster::commands::readonly),
    cmd("readwrite", 1, Flags::NONE, crate::cluster::commands::readonly),
    deferred("migrate", -6, Flags::WRITE, crate::cluster::migrate::migrate),
    cmd("restore", -4, Flags::WRITE, crate::cluster::migrate::restore).with_keys(Keys::First),
    cmd("restore-asking", -4, Flags::WRITE, crate::cluster::migrate::restore).with_keys(Keys::First),
    // pub/sub
    cmd("subscribe", -2, STALE_LOADING, pubsub::subscribe),
    cmd("publish", 3, STALE_LOADING, pubsub::publish),
    // persistence
    cmd("save", 1, Flags::ADMIN, persistence::save),
    cmd("bgsave", -1, Flags::ADMIN, persistence::bgsave),
    cmd("lastsave", 1, STALE_LOADING, persistence::lastsave),
    cmd("bgrewriteaof", 1, Flags::ADMIN, aof::bgrewriteaof),
    deferred("shutdown", -1, Flags::ADMIN.with(STALE_LOADING), persistence::shutdown),
];

/// Find a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Every command name, for the console's completion and the docs.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}
