//! A Redis server process: the keyspace, the command table and the cron, as one sans-IO state machine.

mod admin;
pub mod config;
mod keys;
pub mod keyspace;
mod strings;
mod table;

use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::time::SimTime;
use crate::trace::TraceEvent;
pub use config::ServerConfig;
use keyspace::Keyspace;
use std::collections::BTreeSet;
pub use table::{command_names, lookup, CommandSpec, Flags};

/// Counters reported by INFO stats.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
}

#[derive(Clone, Debug)]
pub struct Server {
    pub config: ServerConfig,
    pub db: Keyspace,
    /// 40 hex characters drawn from the world's generator at each start, as Redis does at boot.
    pub run_id: String,
    pub pid: u32,
    pub started_at: SimTime,
    pub stats: Stats,
    /// Client processes that have connected since this start (INFO clients).
    connections: BTreeSet<ProcId>,
    /// The host's IP, for replies that name this server's address.
    pub ip: String,
}

impl Server {
    pub fn new(ip: String, config: ServerConfig) -> Server {
        Server {
            config,
            db: Keyspace::default(),
            run_id: String::new(),
            pid: 0,
            started_at: SimTime::ZERO,
            stats: Stats::default(),
            connections: BTreeSet::new(),
            ip,
        }
    }

    pub fn role(&self) -> &'static str {
        "master"
    }

    /// Execute one command as Redis's `processCommand` does: look it up, check its arity, run it.
    pub fn execute(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
        let Some(name) = args.first() else {
            return Reply::err("ERR empty command");
        };
        let Some(spec) = lookup(name) else {
            return Reply::err(unknown_command_error(args));
        };
        if !spec.arity_ok(args.len()) {
            return Reply::err(format!(
                "ERR wrong number of arguments for '{}' command",
                spec.name
            ));
        }
        self.stats.total_commands_processed += 1;
        (spec.handler)(self, ctx, args)
    }

    fn cron(&mut self, ctx: &mut Ctx<'_>) {
        // The active expiry cycle. Redis samples keys with an expiry; deleting every expired key is the same
        // result as long as the cycle keeps up, which it does at the simulator's dataset sizes.
        let now = ctx.unix_ms();
        for key in self.db.expired_keys(now) {
            self.db.remove(&key);
            self.stats.expired_keys += 1;
        }
        ctx.out
            .set_timer(1000 / u64::from(self.config.hz.max(1)), Timer::ServerCron);
    }

    /// Delete `key` if it has expired, counting it as Redis does. Call before reading or writing a key.
    pub(crate) fn expire_if_needed(&mut self, ctx: &Ctx<'_>, key: &[u8]) {
        if self.db.expire_if_needed(key, ctx.unix_ms()) {
            self.stats.expired_keys += 1;
        }
    }
}

/// `ERR unknown command 'FOO', with args beginning with: 'a' 'b' ` — the name as typed, at most 128
/// bytes of each, and the trailing space Redis leaves.
pub fn unknown_command_error(args: &[Vec<u8>]) -> String {
    let clip = |a: &[u8]| String::from_utf8_lossy(&a[..a.len().min(128)]).into_owned();
    let mut text = format!(
        "ERR unknown command '{}', with args beginning with: ",
        clip(&args[0])
    );
    for a in &args[1..] {
        text.push_str(&format!("'{}' ", clip(a)));
    }
    text
}

impl Process for Server {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Start => {
                self.run_id = ctx.rng.hex_id(40);
                self.pid = 1000 + ctx.rng.below(60000) as u32;
                self.started_at = ctx.now;
                ctx.out.note(TraceEvent::Log {
                    proc: ctx.me,
                    text: "Server initialized".into(),
                });
                ctx.out.note(TraceEvent::Log {
                    proc: ctx.me,
                    text: "Ready to accept connections tcp".into(),
                });
                ctx.out
                    .set_timer(1000 / u64::from(self.config.hz.max(1)), Timer::ServerCron);
            }
            Input::Timer(Timer::ServerCron) => self.cron(ctx),
            Input::Timer(_) => {}
            Input::Message {
                from,
                msg: Message::Request { id, args },
            } => {
                if self.connections.insert(from) {
                    self.stats.total_connections_received += 1;
                }
                let reply = self.execute(ctx, &args);
                ctx.out.send(from, Message::Response { id, reply });
            }
            Input::Message { .. } | Input::Refused { .. } => {}
        }
    }

    fn console(&mut self, ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply {
        self.execute(ctx, &args)
    }
}
