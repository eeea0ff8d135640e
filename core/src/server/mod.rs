//! A Redis server process: the keyspace, the command table, the crons and replication, as one sans-IO
//! state machine.

mod admin;
pub mod aof;
pub mod backlog;
pub mod config;
mod keys;
pub mod keyspace;
pub mod persistence;
mod pubsub;
mod repl_master;
mod repl_replica;
pub mod replication;
pub(crate) mod strings;
mod table;
mod unmodelled;

use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::time::SimTime;
use crate::vecmap::{VecMap, VecSet};
pub(crate) use admin::REDIS_VERSION;
use backlog::Chunk;
pub use config::ServerConfig;
use keyspace::Keyspace;
use replication::{LinkState, Replication};
pub use table::{command_names, lookup, CommandSpec, Flags, Keys};

/// Counters reported by INFO stats.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    /// Full resyncs served, partial resyncs accepted and refused (INFO stats' sync_full, sync_partial_*).
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Error replies by their first word (`ERR`, `MOVED`...), as INFO errorstats counts them.
    pub error_replies: VecMap<String, u64>,
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
    /// Client processes connected since this start (INFO clients).
    connections: VecSet<ProcId>,
    /// The host's IP, for replies that name this server's address.
    pub ip: String,
    pub repl: Replication,
    /// Ports announced by connecting replicas (`REPLCONF listening-port`).
    pub(crate) announced_ports: VecMap<ProcId, u16>,
    /// The connection and request being executed (`None` for the console).
    pub(crate) current: Option<(ProcId, u64)>,
    /// Loading an RDB: commands without the LOADING flag get `-LOADING`.
    pub loading: bool,
    /// Stream that arrived while loading, applied once the load is done.
    pub(crate) stream_held: Vec<Chunk>,
    /// Changes to the dataset (Redis's `server.dirty`); a command that changed nothing is not propagated.
    pub(crate) dirty: u64,
    /// What to propagate instead of the command as typed (SET EX → SET PXAT, EXPIRE → PEXPIREAT, ...).
    pub(crate) propagate_as: Option<Vec<Vec<Vec<u8>>>>,
    pub persist: persistence::Persistence,
    /// Replaying an AOF at startup: nothing expires, nothing is propagated or appended.
    pub(crate) replaying: bool,
    /// The command just executed must wait for the AOF fsync before its reply (appendfsync always).
    pub(crate) reply_after_fsync: bool,
    /// Pub/sub: channel → subscribed connections.
    pub(crate) subscribers: VecMap<Vec<u8>, VecSet<ProcId>>,
    /// Cluster mode: what this node knows of the cluster.
    pub cluster: Option<Box<crate::cluster::state::ClusterState>>,
    /// Connections that sent ASKING (for their next command only) and READONLY (replica reads).
    /// Clients that sent ASKING (for their next command) or READONLY; `None` is the console's redis-cli.
    pub(crate) asking: VecSet<Option<ProcId>>,
    pub(crate) readonly_clients: VecSet<Option<ProcId>>,
    /// Writes held while a manual failover has paused this master.
    pub(crate) held_requests: Vec<(ProcId, u64, Vec<Vec<u8>>)>,
    /// MIGRATEs waiting for their target: request id → the first request id of its MIGRATE.
    pub(crate) migrations: VecMap<u64, u64>,
    pub(crate) pending_migrate: VecMap<u64, crate::cluster::migrate::PendingMigrate>,
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
            connections: VecSet::new(),
            ip,
            repl: Replication::new(),
            announced_ports: VecMap::new(),
            current: None,
            loading: false,
            stream_held: Vec::new(),
            dirty: 0,
            propagate_as: None,
            persist: persistence::Persistence::new(),
            replaying: false,
            reply_after_fsync: false,
            subscribers: VecMap::new(),
            cluster: None,
            asking: VecSet::new(),
            readonly_clients: VecSet::new(),
            held_requests: Vec::new(),
            migrations: VecMap::new(),
            pending_migrate: VecMap::new(),
        }
    }

    /// Execute one command from a client and count its reply if it is an error (INFO errorstats). A reply
    /// that comes later (WAIT, MIGRATE) is not counted: a simplification.
    pub fn execute(&mut self, ctx: &mut Ctx<'_>, caller: Option<(ProcId, u64)>, args: &[Vec<u8>]) -> Option<Reply> {
        let reply = self.process_command(ctx, caller, args);
        if let Some(Reply::Error(e)) = &reply {
            let code = e.split(' ').next().unwrap_or_default();
            *self.stats.error_replies.entry(code.to_string()).or_insert(0) += 1;
        }
        reply
    }

    /// Execute one command as Redis's `processCommand` does: look it up, check its arity, refuse it when
    /// the server's state says so (NOREPLICAS, READONLY, MASTERDOWN, LOADING, in Redis's order), run it,
    /// and propagate it if it changed the dataset. `None`: the reply comes later (or never).
    fn process_command(&mut self, ctx: &mut Ctx<'_>, caller: Option<(ProcId, u64)>, args: &[Vec<u8>]) -> Option<Reply> {
        let Some(name) = args.first() else {
            return Some(Reply::err("ERR empty command"));
        };
        let Some(spec) = lookup(name) else {
            return Some(Reply::err(unmodelled::command_error(name).unwrap_or_else(|| unknown_command_error(args))));
        };
        if !spec.arity_ok(args.len()) {
            return Some(Reply::err(format!("ERR wrong number of arguments for '{}' command", spec.name)));
        }
        let write = spec.flags.has(Flags::WRITE);
        let from_master = caller.is_some_and(|(p, _)| self.repl.master.as_ref().is_some_and(|m| m.peer == Some(p)));
        if self.cluster.is_some() && !from_master {
            let redirect = self.cluster_redirect(ctx, caller.map(|(p, _)| p), spec, args);
            if spec.name != "asking" {
                self.asking.remove(&caller.map(|(p, _)| p));
            }
            if let Some(reply) = redirect {
                return Some(reply);
            }
        }
        if write && !self.enough_good_replicas() {
            return Some(Reply::err("NOREPLICAS Not enough good replicas to write."));
        }
        let link_up = self.repl.master.as_ref().map(|m| m.state == LinkState::Connected);
        if write && link_up.is_some() && self.config.replica_read_only {
            return Some(Reply::err("READONLY You can't write against a read only replica."));
        }
        if link_up == Some(false) && !self.config.replica_serve_stale_data && !spec.flags.has(Flags::STALE) {
            return Some(Reply::err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        if self.loading && !spec.flags.has(Flags::LOADING) {
            return Some(Reply::err("LOADING Redis is loading the dataset in memory"));
        }
        self.stats.total_commands_processed += 1;
        self.current = caller;
        let dirty_before = self.dirty;
        self.propagate_as = None;
        let reply = spec.handler.call(self, ctx, args);
        self.current = None;
        if self.dirty > dirty_before {
            let commands = self.propagate_as.take().unwrap_or_else(|| vec![args.to_vec()]);
            self.record_write(ctx, self.dirty - dirty_before, &commands);
            if !self.is_replica() {
                self.propagate(ctx, commands);
                self.repl.woff.insert(caller.map(|(p, _)| p), self.repl.offset);
            }
        }
        reply
    }

    /// What every write leaves behind locally: a change towards the save points, and a line in the AOF.
    fn record_write(&mut self, ctx: &mut Ctx<'_>, changes: u64, commands: &[Vec<Vec<u8>>]) {
        self.persist.changes += changes;
        self.feed_aof(ctx, commands);
        self.reply_after_fsync = self.config.appendonly && self.config.appendfsync == config::Fsync::Always;
    }

    /// Run a command from the master's stream: no checks, no reply, no propagation of our own (the stream
    /// itself is proxied to our replicas).
    pub(crate) fn execute_from_master(&mut self, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) {
        let dirty_before = self.dirty;
        if let Some(spec) = args.first().and_then(|n| lookup(n)) {
            if spec.arity_ok(args.len()) {
                let _ = spec.handler.call(self, ctx, args);
            }
        }
        self.propagate_as = None;
        if self.dirty > dirty_before {
            // A replica's AOF records what its master sent, as the master wrote it.
            self.record_write(ctx, self.dirty - dirty_before, &[args.to_vec()]);
            self.reply_after_fsync = false;
        }
    }

    fn cron(&mut self, ctx: &mut Ctx<'_>) {
        // The active expiry cycle, on masters only: replicas wait for the master's DEL. Redis samples keys
        // with an expiry; deleting every expired key gives the same result while the cycle keeps up.
        if !self.is_replica() {
            let now = ctx.unix_ms();
            for key in self.db.expired_keys(now) {
                self.delete_expired(ctx, &key);
            }
        }
        // checkChildrenDone, or else (no child at work) the save points and the AOF's growth.
        if !self.reap_children(ctx) {
            self.check_save_points(ctx);
            self.auto_aof_rewrite(ctx);
        }
        self.everysec_fsync(ctx);
        self.release_paused_writes(ctx);
        ctx.out.set_timer(1000 / u64::from(self.config.hz.max(1)), Timer::ServerCron);
    }

    fn delete_expired(&mut self, ctx: &mut Ctx<'_>, key: &[u8]) {
        self.db.remove(key);
        self.stats.expired_keys += 1;
        let del = vec![vec![b"DEL".to_vec(), key.to_vec()]];
        self.record_write(ctx, 1, &del);
        self.reply_after_fsync = false;
        self.propagate(ctx, del);
    }

    /// Delete `key` if it has expired, counting and propagating the deletion as Redis does. A replica never
    /// deletes on its own: it hides the key from readers until the master's DEL arrives.
    pub(crate) fn expire_if_needed(&mut self, ctx: &mut Ctx<'_>, key: &[u8]) {
        if !self.is_replica() && !self.replaying && self.db.expire_at(key).is_some_and(|at| at <= ctx.unix_ms()) {
            self.delete_expired(ctx, key);
        }
    }

    /// A manual failover paused writes on this master; when the pause ends (or we are a replica now), run
    /// them: they succeed, or get MOVED to the new master.
    pub(crate) fn release_paused_writes(&mut self, ctx: &mut Ctx<'_>) {
        let paused = (self.cluster.as_ref().and_then(|c| c.failover.paused_until).is_some_and(|t| ctx.now < t)
            && !self.is_replica())
            || !self.pending_migrate.is_empty();
        if paused || self.held_requests.is_empty() {
            return;
        }
        if let Some(c) = self.cluster.as_mut() {
            if c.failover.paused_until.is_some_and(|t| ctx.now >= t) || self.repl.master.is_some() {
                c.failover.paused_until = None;
            }
        }
        for (from, id, args) in std::mem::take(&mut self.held_requests) {
            if !self.pending_migrate.is_empty() {
                // A held MIGRATE started again: the rest waits for it.
                self.held_requests.push((from, id, args));
                continue;
            }
            if let Some(reply) = self.execute(ctx, Some((from, id)), &args) {
                ctx.out.send(from, Message::Response { id, reply });
            }
        }
    }

    fn replication_cron(&mut self, ctx: &mut Ctx<'_>) {
        self.repl.cron_loops += 1;
        self.replica_cron(ctx);
        self.master_cron(ctx);
        ctx.out.set_timer(1000, Timer::ReplicationCron);
    }
}

/// What the console prints for a command that blocks, until it returns.
pub const BLOCKED_NOTE: &str = "(blocked: redis-cli waits for the reply, printed when the command returns)";

/// `ERR unknown command 'FOO', with args beginning with: 'a' 'b' ` — the name as typed, at most 128
/// bytes of each, and the trailing space Redis leaves.
pub fn unknown_command_error(args: &[Vec<u8>]) -> String {
    let clip = |a: &[u8]| String::from_utf8_lossy(&a[..a.len().min(128)]).into_owned();
    let mut text = format!("ERR unknown command '{}', with args beginning with: ", clip(&args[0]));
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
                self.repl.replid = ctx.rng.hex_id(40);
                self.pid = 1000 + ctx.rng.below(60000) as u32;
                self.started_at = ctx.now;
                self.repl.no_replicas_since = ctx.now;
                // initServer: "At startup we consider the DB saved", and the AOF fsynced.
                self.persist.lastsave = ctx.unix_ms() / 1000;
                self.persist.aof.last_fsync = ctx.unix_ms() / 1000;
                self.log(ctx, "Server initialized");
                if !self.load_from_disk(ctx) {
                    ctx.out.exit("Exiting: the dataset on disk could not be loaded");
                    return;
                }
                if !self.loading {
                    // Otherwise when the load is done (`dataset_loaded`).
                    self.log(ctx, "Ready to accept connections");
                }
                ctx.out.set_timer(1000 / u64::from(self.config.hz.max(1)), Timer::ServerCron);
                ctx.out.set_timer(1000, Timer::ReplicationCron);
                if self.config.cluster_enabled {
                    self.load_cluster_config(ctx);
                    ctx.out.set_timer(100, Timer::ClusterCron);
                }
                match self.config.replicaof.clone() {
                    Some((host, port)) if !self.config.cluster_enabled => self.set_master(ctx, host, port, true),
                    _ if self.is_replica() => {}
                    _ => self.note_role(ctx),
                }
            }
            Input::Timer(Timer::ServerCron) => self.cron(ctx),
            Input::Timer(Timer::ReplicationCron) => self.replication_cron(ctx),
            Input::Timer(Timer::RdbLoaded) => self.rdb_loaded(ctx),
            Input::Timer(Timer::WaitTimeout { client, id }) => self.wait_timeout(ctx, client, id),
            Input::Timer(Timer::BgsaveDone) => self.bgsave_child_exited(ctx),
            Input::Timer(Timer::AofRewriteDone) => self.aof_rewrite_child_exited(),
            Input::Timer(Timer::AofFsyncDone { upto }) => self.aof_fsync_done(ctx, upto),
            Input::Timer(Timer::ReleaseReplies) => self.release_replies(ctx),
            Input::Timer(Timer::DatasetLoaded) => self.dataset_loaded(ctx),
            Input::Timer(Timer::ClusterCron) => {
                self.cluster_cron(ctx);
                ctx.out.set_timer(100, Timer::ClusterCron);
            }
            Input::Message { from, msg: Message::Bus(b) } => {
                self.note_master_offset(&b.sender, b.offset);
                self.bus_receive(ctx, from, &b);
            }
            Input::Timer(_) => {}
            Input::Message { from, msg: Message::Request { id, args } } => {
                if self.connections.insert(from) {
                    self.stats.total_connections_received += 1;
                }
                self.reply_after_fsync = false;
                if !self.pending_migrate.is_empty() {
                    // MIGRATE blocks the whole server until the target answers, as in Redis.
                    self.held_requests.push((from, id, args));
                    return;
                }
                let paused = self.cluster.as_ref().and_then(|c| c.failover.paused_until).is_some_and(|t| ctx.now < t);
                if paused && lookup(&args[0]).is_some_and(|c| c.flags.has(Flags::WRITE)) {
                    // A manual failover paused this master: the write waits (the client just sees latency).
                    self.held_requests.push((from, id, args));
                    return;
                }
                if let Some(reply) = self.execute(ctx, Some((from, id)), &args) {
                    if std::mem::take(&mut self.reply_after_fsync) {
                        self.hold_reply(ctx, from, id, reply);
                    } else {
                        ctx.out.send(from, Message::Response { id, reply });
                    }
                }
            }
            Input::Message { from, msg: Message::Response { id, reply } } => {
                if self.migrations.contains_key(&id) {
                    self.migrate_reply(ctx, id, reply);
                } else {
                    self.handshake_reply(ctx, from, id, reply);
                }
            }
            Input::Message { from, msg: Message::Repl(payload) } => self.replication_data(ctx, from, payload),
            Input::Refused { to, msg } => {
                if matches!(msg, Message::Bus(_)) {
                    self.cluster_link_lost(to);
                }
                self.connection_lost(ctx, to, true)
            }
            Input::Message { msg: Message::Push { .. }, .. } => {}
            Input::Closed { peer, exited } => {
                self.connections.remove(&peer);
                for subs in self.subscribers.values_mut() {
                    subs.remove(&peer);
                }
                self.readonly_clients.remove(&Some(peer));
                if exited {
                    self.cluster_link_lost(peer);
                }
                self.connection_lost(ctx, peer, false);
            }
        }
    }

    fn console(&mut self, ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply {
        self.execute(ctx, None, &args).unwrap_or_else(|| {
            // redis-cli waits for the reply; the command's return is a console record of its own (WAIT, MIGRATE).
            Reply::Status(BLOCKED_NOTE.into())
        })
    }
}
