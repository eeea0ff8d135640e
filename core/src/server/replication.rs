//! Replication state shared by both sides of a link: replication ids and offsets, the backlog, the
//! replicas a master serves and the link a replica keeps with its master. The master side lives in
//! `repl_master`, the replica side in `repl_replica`; this file holds what both use: REPLICAOF, the
//! propagation of writes into the stream, INFO replication and ROLE.

use super::admin::InfoText;
use super::backlog::{Backlog, Chunk};
use super::Server;
use crate::process::{Ctx, Message, ProcId, ReplPayload};
use crate::resp::{command_len, Reply};
use crate::time::SimTime;
use crate::trace::TraceEvent;
use crate::vecmap::VecMap;
use std::rc::Rc;

/// `replid2` when there is no previous replication history.
pub const NULL_REPLID: &str = "0000000000000000000000000000000000000000";

/// A replica as its master sees it (`slaveN:...,state=` in INFO).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// Asked for a full resync; waiting for the fork (the diskless-sync delay).
    WaitBgsave,
    /// The RDB is on its way; the stream that follows it is already being sent.
    SendBulk,
    Online,
}

impl ReplicaState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsave => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }

    /// The state as INFO and Redis's log name it: a diskless transfer is still `wait_bgsave` (Redis's
    /// SLAVE_STATE_WAIT_BGSAVE_END until the child streaming it exits); only a disk-based one sends a bulk.
    pub fn redis_name(self, diskless: bool) -> &'static str {
        match self {
            ReplicaState::SendBulk if diskless => "wait_bgsave",
            ReplicaState::WaitBgsave => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ReplicaLink {
    pub ip: String,
    /// The port it announced with `REPLCONF listening-port`.
    pub port: u16,
    pub state: ReplicaState,
    pub ack_offset: u64,
    pub last_ack: SimTime,
    /// The PSYNC request still to be answered with `+FULLRESYNC` when the fork happens.
    pub psync_request: Option<u64>,
    /// When it was added to the replica list: INFO and ROLE list replicas in that order, as Redis does.
    pub attached: u64,
}

/// The replica side's link state, as ROLE names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Must connect (at the next replicationCron tick).
    Connect,
    /// Connecting: the first PING is on its way.
    Connecting,
    /// REPLCONF and PSYNC exchanged.
    Handshake,
    /// Receiving or loading the RDB of a full resync.
    Sync,
    Connected,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// Which handshake step a request of the replica is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Ping,
    ReplconfPort,
    ReplconfCapa,
    Psync,
}

#[derive(Clone, Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    /// The master's process while a connection exists.
    pub peer: Option<ProcId>,
    pub state: LinkState,
    /// Last time anything arrived from the master (`master_last_io_seconds_ago`, repl-timeout).
    pub last_io: SimTime,
    /// When a connected link went down (`master_link_down_since_seconds`; -1 before any link).
    pub down_since: Option<SimTime>,
    pub pending: VecMap<u64, Step>,
    /// The snapshot being loaded after a full resync: (replid, offset).
    pub loading: Option<(String, u64)>,
}

/// A WAIT waiting for acknowledgements.
#[derive(Clone, Debug)]
pub struct BlockedWait {
    /// `None` for the console.
    pub client: Option<ProcId>,
    pub id: u64,
    pub numreplicas: usize,
    pub offset: u64,
}

#[derive(Clone, Debug)]
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    pub second_replid_offset: i64,
    /// `master_repl_offset`: bytes of replication stream produced (master) or processed (replica).
    pub offset: u64,
    pub backlog: Option<Backlog>,
    pub replicas: VecMap<ProcId, ReplicaLink>,
    pub master: Option<MasterLink>,
    /// Whether PSYNC can offer our replid and offset (we synced once, or were a master).
    pub has_cached_master: bool,
    /// Whether the stream has selected db 0 since the last full sync (Redis's `slaveseldb`).
    pub selected_db: bool,
    pub no_replicas_since: SimTime,
    /// Replicas whose last ACK is recent enough (`repl_good_slaves_count`), refreshed each second.
    pub good_replicas: u64,
    /// Each client's offset after its last write (`c->woff`), for WAIT.
    pub woff: VecMap<Option<ProcId>, u64>,
    pub blocked: Vec<BlockedWait>,
    pub next_request: u64,
    /// Counts replicas added to the list (`ReplicaLink::attached`).
    pub attach_seq: u64,
    pub cron_loops: u64,
}

impl Replication {
    pub fn new() -> Replication {
        Replication {
            replid: String::new(),
            replid2: NULL_REPLID.into(),
            second_replid_offset: -1,
            offset: 0,
            backlog: None,
            replicas: VecMap::new(),
            master: None,
            has_cached_master: false,
            selected_db: false,
            no_replicas_since: SimTime::ZERO,
            good_replicas: 0,
            woff: VecMap::new(),
            blocked: Vec::new(),
            next_request: 0,
            attach_seq: 0,
            cron_loops: 0,
        }
    }

    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    pub(crate) fn next_attach(&mut self) -> u64 {
        self.attach_seq += 1;
        self.attach_seq
    }

    /// The replicas in Redis's list order: the order they asked for a sync (PSYNC) last.
    pub fn replicas_in_order(&self) -> Vec<&ReplicaLink> {
        let mut list: Vec<&ReplicaLink> = self.replicas.values().collect();
        crate::sort::sort_by_key(&mut list, |l| l.attached);
        list
    }

    /// `shiftReplicationId`: keep the current history as replid2 (valid up to the next byte), start a new one.
    pub fn shift_replid(&mut self, new_id: String) {
        self.replid2 = std::mem::replace(&mut self.replid, new_id);
        self.second_replid_offset = self.offset as i64 + 1;
    }

    pub fn clear_replid2(&mut self) {
        self.replid2 = NULL_REPLID.into();
        self.second_replid_offset = -1;
    }
}

impl Default for Replication {
    fn default() -> Self {
        Replication::new()
    }
}

impl Server {
    pub fn is_replica(&self) -> bool {
        self.repl.is_replica()
    }

    pub fn role(&self) -> &'static str {
        if self.is_replica() {
            "replica"
        } else {
            "master"
        }
    }

    pub(crate) fn note_role(&self, ctx: &mut Ctx<'_>) {
        let master = self.repl.master.as_ref().map(|m| format!("{}:{}", m.host, m.port));
        ctx.out.note(TraceEvent::Role { proc: ctx.me, role: self.role().into(), master });
    }

    pub(crate) fn log(&self, ctx: &mut Ctx<'_>, text: impl Into<String>) {
        ctx.out.note(TraceEvent::Log { proc: ctx.me, text: text.into() });
    }

    /// Append commands to the replication stream: into the backlog, and to every replica past the fork.
    /// A replica calls this with its master's stream, which it proxies unchanged to its own replicas.
    pub(crate) fn feed_stream(&mut self, ctx: &mut Ctx<'_>, commands: Vec<Vec<Vec<u8>>>) {
        let bytes: u64 = commands.iter().map(|c| command_len(c)).sum();
        let chunk = Chunk { from_offset: self.repl.offset, bytes, commands: Rc::new(commands) };
        self.repl.offset += bytes;
        self.send_chunk(ctx, chunk);
    }

    pub(crate) fn send_chunk(&mut self, ctx: &mut Ctx<'_>, chunk: Chunk) {
        for (&pid, r) in &self.repl.replicas {
            if r.state != ReplicaState::WaitBgsave {
                let payload = ReplPayload::Stream {
                    from_offset: chunk.from_offset,
                    bytes: chunk.bytes,
                    commands: chunk.commands.clone(),
                };
                ctx.out.send(pid, Message::Repl(payload));
            }
        }
        if let Some(b) = self.repl.backlog.as_mut() {
            b.append(chunk);
        }
    }

    /// Propagate a write executed on this master (`propagateNow`): nothing when there is no backlog and
    /// no replica, as in Redis; a `SELECT 0` first when the stream has not selected the database yet.
    pub(crate) fn propagate(&mut self, ctx: &mut Ctx<'_>, commands: Vec<Vec<Vec<u8>>>) {
        if self.is_replica() || (self.repl.backlog.is_none() && self.repl.replicas.is_empty()) {
            return;
        }
        let mut stream = Vec::with_capacity(commands.len() + 1);
        if !self.repl.selected_db {
            stream.push(vec![b"SELECT".to_vec(), b"0".to_vec()]);
            self.repl.selected_db = true;
        }
        stream.extend(commands);
        self.feed_stream(ctx, stream);
    }

    /// Start replicating from `host:port`: REPLICAOF on a running server (which caches its own history
    /// to offer in PSYNC), or `replicaof` in the config file at startup (nothing to offer: `PSYNC ? -1`).
    /// Our own replicas stay connected, as in Redis 7.0's replicationSetMaster: they are disconnected only when
    /// our history changes (a new replid after a partial resync, or a full resync).
    pub(crate) fn set_master(&mut self, ctx: &mut Ctx<'_>, host: String, port: u16, at_startup: bool) {
        let was_master = !self.is_replica() && !at_startup;
        let mut down_since = None;
        if let Some(old) = self.repl.master.take() {
            if let Some(peer) = old.peer {
                ctx.out.close(peer);
            }
            down_since = old.down_since;
            if old.state == LinkState::Connected {
                // freeClient on the old master's client caches it (no reconnection: the master changes).
                self.log(ctx, "Connection with master lost.");
                self.log(ctx, "Caching the disconnected master state.");
                down_since = Some(ctx.now);
            }
        }
        if was_master {
            // Cache ourselves as master, so that PSYNC can offer our own replid and offset.
            self.log_caching_myself(ctx);
            self.repl.has_cached_master = true;
            self.fail_blocked_waits(ctx);
        }
        self.repl.master = Some(MasterLink {
            host,
            port,
            peer: None,
            state: LinkState::Connect,
            last_io: ctx.now,
            down_since,
            pending: VecMap::new(),
            loading: None,
        });
        self.note_role(ctx);
        self.connect_to_master(ctx);
    }

    /// REPLICAOF NO ONE: become a master, keeping the old history as replid2 so replicas of the old master
    /// can continue with us (PSYNC2).
    pub(crate) fn unset_master(&mut self, ctx: &mut Ctx<'_>) {
        let Some(link) = self.repl.master.take() else {
            return;
        };
        if let Some(peer) = link.peer {
            ctx.out.close(peer);
        }
        if link.state == LinkState::Connected {
            self.log(ctx, "Connection with master lost.");
            self.log(ctx, "Caching the disconnected master state.");
        }
        if link.state == LinkState::Connected || self.repl.has_cached_master {
            self.log(ctx, "Discarding previously cached master state.");
        }
        self.repl.has_cached_master = false;
        let new_id = ctx.rng.hex_id(40);
        self.repl.shift_replid(new_id);
        self.log(
            ctx,
            format!(
                "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
                self.repl.replid2, self.repl.second_replid_offset, self.repl.replid
            ),
        );
        self.disconnect_replicas(ctx);
        self.repl.selected_db = false;
        self.repl.no_replicas_since = ctx.now;
        self.note_role(ctx);
    }

    pub(crate) fn disconnect_replicas(&mut self, ctx: &mut Ctx<'_>) {
        for (pid, r) in std::mem::take(&mut self.repl.replicas) {
            ctx.out.close(pid);
            self.log(ctx, format!("Connection with replica {}:{} lost.", r.ip, r.port));
        }
        self.repl.no_replicas_since = ctx.now;
        self.refresh_good_replicas(ctx);
    }

    /// replicationCacheMasterUsingMyself's line: a master turning replica offers its own history in PSYNC.
    pub(crate) fn log_caching_myself(&self, ctx: &mut Ctx<'_>) {
        self.log(
            ctx,
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
        );
    }
}

/// Who sent the command, as Redis's client list words it (shortened to id and addr): a process over the
/// network, or the console's redis-cli on the server's own host. Client ports are not modelled: the port
/// shown is a stable stand-in per process.
fn requester(server: &Server, ctx: &Ctx<'_>) -> String {
    match server.current {
        Some((pid, _)) => {
            let id = pid.index() + 3;
            match ctx.addresses.iter().find(|(_, p)| **p == pid).map(|((ip, _), _)| ip) {
                Some(ip) => format!("id={id} addr={ip}:{}", 40000 + pid.index()),
                None => format!("id={id}"),
            }
        }
        None => "id=3 addr=127.0.0.1:40000".into(),
    }
}

/// REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF).
pub fn replicaof(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    if server.cluster.is_some() {
        return Some(Reply::err("ERR REPLICAOF not allowed in cluster mode."));
    }
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        if server.is_replica() {
            server.unset_master(ctx);
            let who = requester(server, ctx);
            server.log(ctx, format!("MASTER MODE enabled (user request from '{who}')"));
        }
        return Some(Reply::ok());
    }
    let port = match std::str::from_utf8(&args[2]).ok().and_then(|p| p.parse::<i64>().ok()) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Some(Reply::err("ERR Invalid master port")),
    };
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if let Some(m) = &server.repl.master {
        if m.host.eq_ignore_ascii_case(&host) && m.port == port {
            server.log(
                ctx,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
            );
            return Some(Reply::Status("OK Already connected to specified master".into()));
        }
    }
    server.set_master(ctx, host.clone(), port, false);
    let who = requester(server, ctx);
    server.log(ctx, format!("REPLICAOF {host}:{port} enabled (user request from '{who}')"));
    Some(Reply::ok())
}

/// ROLE: `[master, offset, [[ip, port, offset]...]]` or `[slave, ip, port, state, offset]`.
pub fn role(server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Option<Reply> {
    let r = &server.repl;
    Some(match &r.master {
        None => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Int(r.offset as i64),
            Reply::Array(
                r.replicas_in_order()
                    .into_iter()
                    .filter(|l| l.state == ReplicaState::Online)
                    .map(|l| {
                        Reply::Array(vec![
                            Reply::bulk(&l.ip),
                            Reply::bulk(l.port.to_string()),
                            Reply::bulk(l.ack_offset.to_string()),
                        ])
                    })
                    .collect(),
            ),
        ]),
        Some(m) => Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(&m.host),
            Reply::Int(i64::from(m.port)),
            Reply::bulk(m.state.as_str()),
            Reply::Int(if m.state == LinkState::Connected { r.offset as i64 } else { -1 }),
        ]),
    })
}

/// The `# Replication` section of INFO, field for field as Redis 7.0 prints it.
pub fn info_replication(server: &Server, ctx: &Ctx<'_>, out: &mut InfoText) {
    let r = &server.repl;
    let c = &server.config;
    let flag = |b: bool| u8::from(b);
    out.field("role", &if r.is_replica() { "slave" } else { "master" });
    if let Some(m) = &r.master {
        out.field("master_host", &m.host);
        out.field("master_port", &m.port);
        let up = m.state == LinkState::Connected;
        out.field("master_link_status", &if up { "up" } else { "down" });
        out.field("master_last_io_seconds_ago", &if up { ctx.unix_secs_since(m.last_io) as i64 } else { -1 });
        out.field("master_sync_in_progress", &flag(m.state == LinkState::Sync));
        out.field("slave_read_repl_offset", &r.offset);
        out.field("slave_repl_offset", &r.offset);
        if !up {
            let since = m.down_since.map_or(-1, |t| ctx.unix_secs_since(t) as i64);
            out.field("master_link_down_since_seconds", &since);
        }
        out.field("slave_priority", &c.replica_priority);
        out.field("slave_read_only", &flag(c.replica_read_only));
        out.field("replica_announced", &1);
    }
    out.field("connected_slaves", &r.replicas.len());
    if c.min_replicas_to_write > 0 && c.min_replicas_max_lag_secs > 0 {
        out.field("min_slaves_good_slaves", &r.good_replicas);
    }
    for (i, l) in r.replicas_in_order().into_iter().enumerate() {
        let lag = ctx.unix_secs_since(l.last_ack);
        let (ip, port, state, offset) = (&l.ip, l.port, l.state.redis_name(c.repl_diskless_sync), l.ack_offset);
        out.field(&format!("slave{i}"), &format_args!("ip={ip},port={port},state={state},offset={offset},lag={lag}"));
    }
    out.field("master_failover_state", &"no-failover");
    out.field("master_replid", &r.replid);
    out.field("master_replid2", &r.replid2);
    out.field("master_repl_offset", &r.offset);
    out.field("second_repl_offset", &r.second_replid_offset);
    match &r.backlog {
        Some(b) => {
            out.field("repl_backlog_active", &1);
            out.field("repl_backlog_size", &b.size);
            out.field("repl_backlog_first_byte_offset", &b.first_byte_offset());
            out.field("repl_backlog_histlen", &b.histlen());
        }
        None => {
            out.field("repl_backlog_active", &0);
            out.field("repl_backlog_size", &c.repl_backlog_size);
            out.field("repl_backlog_first_byte_offset", &0);
            out.field("repl_backlog_histlen", &0);
        }
    }
}
