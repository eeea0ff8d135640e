//! The command table: name, arity and flags for every command the server knows, as in Redis's
//! `commands.def`. Later capabilities (replication, persistence, cluster) add rows here.

use super::{admin, keys, strings, Server};
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
    /// Neither reads nor writes keys (PING, ECHO, ROLE).
    pub const NONE: Flags = Flags(0);

    pub fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

pub type Handler = fn(&mut Server, &mut Ctx<'_>, &[Vec<u8>]) -> Reply;

pub struct CommandSpec {
    /// Lowercase, as Redis names commands in its error messages.
    pub name: &'static str,
    /// Positive: exactly that many arguments (name included); negative: at least that many.
    pub arity: i32,
    pub flags: Flags,
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
}

const fn cmd(name: &'static str, arity: i32, flags: Flags, handler: Handler) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        handler,
    }
}

static COMMANDS: &[CommandSpec] = &[
    // strings
    cmd("get", 2, Flags::READONLY, strings::get),
    cmd("set", -3, Flags::WRITE, strings::set),
    cmd("setnx", 3, Flags::WRITE, strings::setnx),
    cmd("getset", 3, Flags::WRITE, strings::getset),
    cmd("getdel", 2, Flags::WRITE, strings::getdel),
    cmd("mget", -2, Flags::READONLY, strings::mget),
    cmd("mset", -3, Flags::WRITE, strings::mset),
    cmd("incr", 2, Flags::WRITE, strings::incr),
    cmd("decr", 2, Flags::WRITE, strings::decr),
    cmd("incrby", 3, Flags::WRITE, strings::incrby),
    cmd("decrby", 3, Flags::WRITE, strings::decrby),
    cmd("append", 3, Flags::WRITE, strings::append),
    cmd("strlen", 2, Flags::READONLY, strings::strlen),
    // keys
    cmd("del", -2, Flags::WRITE, keys::del),
    cmd("unlink", -2, Flags::WRITE, keys::del),
    cmd("exists", -2, Flags::READONLY, keys::exists),
    cmd("type", 2, Flags::READONLY, keys::type_),
    cmd("expire", -3, Flags::WRITE, keys::expire),
    cmd("pexpire", -3, Flags::WRITE, keys::pexpire),
    cmd("expireat", -3, Flags::WRITE, keys::expireat),
    cmd("pexpireat", -3, Flags::WRITE, keys::pexpireat),
    cmd("ttl", 2, Flags::READONLY, keys::ttl),
    cmd("pttl", 2, Flags::READONLY, keys::pttl),
    cmd("persist", 2, Flags::WRITE, keys::persist),
    cmd("keys", 2, Flags::READONLY, keys::keys),
    cmd("dbsize", 1, Flags::READONLY, keys::dbsize),
    cmd("flushall", -1, Flags::WRITE, keys::flushall),
    cmd("flushdb", -1, Flags::WRITE, keys::flushall),
    cmd("select", 2, Flags::NONE, keys::select),
    // server
    cmd("ping", -1, Flags::NONE, admin::ping),
    cmd("echo", 2, Flags::NONE, admin::echo),
    cmd("info", -1, Flags::NONE, admin::info),
    cmd("role", 1, Flags::NONE, admin::role),
    cmd("config", -2, Flags::ADMIN, admin::config),
    cmd("time", 1, Flags::NONE, admin::time),
];

/// Find a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Every command name, for the console's completion and the docs.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}
