//! The master side of replication: PSYNC (partial or full), REPLCONF, the fork-and-send of a full resync,
//! replica ACKs, min-replicas' good-replica count, WAIT, and the master's part of replicationCron.

use super::backlog::Backlog;
use super::replication::{BlockedWait, ReplicaLink, ReplicaState};
use super::strings::parse_i64;
use super::Server;
use crate::process::{Ctx, Message, ProcId, ReplPayload, Timer};
use crate::resp::Reply;
use crate::trace::TraceEvent;
use std::rc::Rc;

/// The caller's address as the master sees it: the replica's host IP, and the port it announced.
fn replica_address(server: &Server, ctx: &Ctx<'_>, pid: ProcId) -> (String, u16) {
    let ip = ctx.addresses.iter().find(|(_, p)| **p == pid).map(|((ip, _), _)| ip.clone()).unwrap_or_default();
    let port = server.announced_ports.get(&pid).copied().unwrap_or(0);
    (ip, port)
}

/// REPLCONF listening-port <port> | capa <...> | ip-address <ip> | ACK <offset> | GETACK *
pub fn replconf(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    if args.len() % 2 == 0 {
        return Some(Reply::err("ERR syntax error"));
    }
    let caller = server.current.map(|(p, _)| p);
    for pair in args[1..].chunks(2) {
        let opt = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        match opt.as_str() {
            "listening-port" => match parse_i64(&pair[1]) {
                Some(p) if (0..=65535).contains(&p) => {
                    if let Some(caller) = caller {
                        server.announced_ports.insert(caller, p as u16);
                    }
                }
                _ => return Some(Reply::err("ERR value is not an integer or out of range")),
            },
            "capa" | "ip-address" => {}
            "ack" => {
                // An ACK gets no reply.
                if let (Some(offset), Some(caller)) = (parse_i64(&pair[1]), caller) {
                    server.replica_ack(ctx, caller, offset.max(0) as u64);
                }
                return None;
            }
            "getack" => return None,
            _ => {
                return Some(Reply::err(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&pair[0])
                )))
            }
        }
    }
    Some(Reply::ok())
}

/// PSYNC <replid> <offset>: answer `+CONTINUE` and send the backlog tail when Redis's rule allows, otherwise
/// prepare a full resync (`+FULLRESYNC` is sent when the fork happens).
pub fn psync(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    let Some((caller, request)) = server.current else {
        return Some(Reply::err("ERR PSYNC is only meaningful for a replica connection"));
    };
    if let Some(m) = &server.repl.master {
        if m.state != super::replication::LinkState::Connected {
            return Some(Reply::err("NOMASTERLINK Can't SYNC while not connected with my master"));
        }
    }
    let asked_id = String::from_utf8_lossy(&args[1]).into_owned();
    let psync_offset = parse_i64(&args[2]).unwrap_or(-1);
    let (ip, port) = replica_address(server, ctx, caller);
    server.log(ctx, format!("Replica {ip}:{port} asks for synchronization"));
    let r = &server.repl;
    let id_ok = asked_id == r.replid || (asked_id == r.replid2 && psync_offset <= r.second_replid_offset);
    let window_ok = psync_offset >= 0 && r.backlog.as_ref().is_some_and(|b| b.covers(psync_offset as u64));
    if id_ok && window_ok {
        let from = psync_offset as u64;
        let tail = r.backlog.as_ref().map(|b| b.tail_from(from)).unwrap_or_default();
        let bytes: u64 = tail.iter().map(|c| c.bytes).sum();
        let replid = r.replid.clone();
        let attached = server.repl.next_attach();
        server.repl.replicas.insert(
            caller,
            ReplicaLink {
                ip: ip.clone(),
                port,
                state: ReplicaState::Online,
                // Nothing acknowledged yet: INFO and ROLE say offset=0 until the replica's first ACK.
                ack_offset: 0,
                last_ack: ctx.now,
                psync_request: None,
                attached,
            },
        );
        ctx.out.send(caller, Message::Response { id: request, reply: Reply::Status(format!("CONTINUE {replid}")) });
        for c in tail {
            ctx.out.send(
                caller,
                Message::Repl(ReplPayload::Stream { from_offset: c.from_offset, bytes: c.bytes, commands: c.commands }),
            );
        }
        server.stats.sync_partial_ok += 1;
        server.log(ctx, format!("Partial resynchronization request from {ip}:{port} accepted. Sending {bytes} bytes of backlog starting from offset {from}."));
        server.refresh_good_replicas(ctx);
        return None;
    }
    // masterTryPartialResynchronization's reasons, in its order: a forced full resync (`PSYNC ? -1`), an
    // unknown history, an offset past the second history's end, or an offset outside the backlog.
    server.stats.sync_full += 1;
    if asked_id == "?" {
        server.log(ctx, format!("Full resync requested by replica {ip}:{port}"));
    } else {
        server.stats.sync_partial_err += 1;
        if asked_id == r.replid2 && asked_id != r.replid && !id_ok {
            let why = format!(
                "Partial resynchronization not accepted: Requested offset for second ID was {psync_offset}, but I can reply up to {}",
                r.second_replid_offset
            );
            server.log(ctx, why);
        } else if !id_ok {
            let why = format!(
                "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{asked_id}', my replication IDs are '{}' and '{}')",
                r.replid, r.replid2
            );
            server.log(ctx, why);
        } else {
            server.log(ctx, format!("Unable to partial resync with replica {ip}:{port} for lack of backlog (Replica request was: {psync_offset})."));
            if psync_offset > r.offset as i64 {
                server.log(ctx, format!("Warning: replica {ip}:{port} tried to PSYNC with an offset that is greater than the master replication offset."));
            }
        }
    }
    if server.repl.backlog.is_none() && server.repl.replicas.is_empty() {
        // The first replica of a master without a backlog: Redis starts a new replication history.
        server.repl.replid = ctx.rng.hex_id(40);
        server.repl.clear_replid2();
        server.repl.backlog = Some(Backlog::new(server.config.repl_backlog_size, server.repl.offset));
        server.log(
            ctx,
            format!(
                "Replication backlog created, my new replication IDs are '{}' and '{}'",
                server.repl.replid, server.repl.replid2
            ),
        );
    }
    let attached = server.repl.next_attach();
    server.repl.replicas.insert(
        caller,
        ReplicaLink {
            ip,
            port,
            state: ReplicaState::WaitBgsave,
            ack_offset: 0,
            last_ack: ctx.now,
            psync_request: Some(request),
            attached,
        },
    );
    if server.socket_transfer_running() {
        // One fork at a time: the replica waits for the child streaming to the others to finish.
        server.log(ctx, "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
        return None;
    }
    if server.config.repl_diskless_sync && server.config.repl_diskless_sync_delay_secs > 0 {
        // The fork comes from replicationCron, once the oldest waiting replica has waited the delay.
        server.log(ctx, "Delay next BGSAVE for diskless SYNC");
    } else {
        server.start_full_sync(ctx);
    }
    None
}

/// SYNC (the pre-PSYNC protocol) is refused: every modelled replica speaks PSYNC.
pub fn sync(_server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Option<Reply> {
    Some(Reply::err("ERR the simulator's replicas use PSYNC; SYNC is not modelled"))
}

impl Server {
    /// The fork: snapshot the dataset at the current offset and send it to every replica waiting for it;
    /// the stream that follows goes out behind it on the same connection.
    pub(crate) fn start_full_sync(&mut self, ctx: &mut Ctx<'_>) {
        if !self.config.repl_diskless_sync {
            // Disk-based sync: the replicas get the RDB the next BGSAVE writes (see `bgsave_done`).
            if self.persist.bgsave.is_none() {
                self.log(ctx, "Starting BGSAVE for SYNC with target: disk");
                self.start_bgsave(ctx);
            }
            return;
        }
        let waiting: Vec<ProcId> =
            self.repl.replicas.iter().filter(|(_, r)| r.state == ReplicaState::WaitBgsave).map(|(p, _)| *p).collect();
        if waiting.is_empty() || self.socket_transfer_running() {
            return;
        }
        self.log(ctx, "Starting BGSAVE for SYNC with target: replicas sockets");
        let pid = self.child_pid();
        self.log(ctx, format!("Background RDB transfer started by pid {pid}"));
        let data = Rc::new(self.db.clone());
        let bytes = self.db.rdb_size();
        for pid in waiting {
            let Some(r) = self.repl.replicas.get_mut(&pid) else { continue };
            r.state = ReplicaState::SendBulk;
            if let Some(id) = r.psync_request.take() {
                let line = format!("FULLRESYNC {} {}", self.repl.replid, self.repl.offset);
                ctx.out.send(pid, Message::Response { id, reply: Reply::Status(line) });
            }
            let payload = ReplPayload::Rdb {
                replid: self.repl.replid.clone(),
                offset: self.repl.offset,
                data: data.clone(),
                bytes,
                diskless: true,
            };
            ctx.out.send(pid, Message::Repl(payload));
        }
        // The stream after a full sync starts with a SELECT, as after Redis's replicationSetupSlaveForFullResync.
        self.repl.selected_db = false;
    }

    /// A diskless full sync is streaming to some replica: its child is still alive (Redis forks one at a time).
    /// The transfer counts as running until the replica has the snapshot (its first ACK).
    pub(crate) fn socket_transfer_running(&self) -> bool {
        self.config.repl_diskless_sync && self.repl.replicas.values().any(|r| r.state == ReplicaState::SendBulk)
    }

    /// replicationStartPendingFork, each replicationCron and when a socket transfer ends: fork for the
    /// replicas waiting for a full sync once the one that has waited longest has been idle
    /// `repl-diskless-sync-delay` whole seconds of the clock (`server.unixtime - lastinteraction >= delay`,
    /// its PSYNC being the last it sent): with the default 5, the first cron from the fifth second boundary
    /// after the PSYNC on, between 4 and 6 s after it.
    fn start_pending_full_sync(&mut self, ctx: &mut Ctx<'_>) {
        if self.socket_transfer_running() {
            return;
        }
        let Some(since) =
            self.repl.replicas.values().filter(|r| r.state == ReplicaState::WaitBgsave).map(|r| r.last_ack).min()
        else {
            return;
        };
        let delay = if self.config.repl_diskless_sync { self.config.repl_diskless_sync_delay_secs } else { 0 };
        if ctx.unix_secs_since(since) >= delay {
            self.start_full_sync(ctx);
        }
    }

    pub(crate) fn replica_ack(&mut self, ctx: &mut Ctx<'_>, pid: ProcId, offset: u64) {
        let Some(r) = self.repl.replicas.get_mut(&pid) else { return };
        r.ack_offset = r.ack_offset.max(offset);
        r.last_ack = ctx.now;
        if r.state == ReplicaState::SendBulk {
            r.state = ReplicaState::Online;
            let (ip, port) = (r.ip.clone(), r.port);
            if self.config.repl_diskless_sync {
                // The first ACK says the replica has the whole snapshot: the child streaming it is done
                // once no other replica is still receiving it.
                if !self.socket_transfer_running() {
                    self.log(ctx, "Background RDB transfer terminated with success");
                }
                self.log(ctx, format!("Streamed RDB transfer with replica {ip}:{port} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming"));
            }
            self.log(ctx, format!("Synchronization with replica {ip}:{port} succeeded"));
            self.refresh_good_replicas(ctx);
            self.start_pending_full_sync(ctx);
        }
        self.unblock_waits(ctx, false);
    }

    /// A replica's connection is gone (freeClient's "Connection with replica ... lost.").
    pub(crate) fn replica_lost(&mut self, ctx: &mut Ctx<'_>, pid: ProcId) {
        if let Some(r) = self.repl.replicas.remove(&pid) {
            self.log(ctx, format!("Connection with replica {}:{} lost.", r.ip, r.port));
            if self.repl.replicas.is_empty() {
                self.repl.no_replicas_since = ctx.now;
            }
            self.refresh_good_replicas(ctx);
            if r.state == ReplicaState::SendBulk {
                self.start_pending_full_sync(ctx);
            }
        }
    }

    /// Replicas in the online state whose acknowledged offset has reached `offset`.
    fn acks_at(&self, offset: u64) -> usize {
        self.repl.replicas.values().filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset).count()
    }

    /// Answer the WAITs that have their acknowledgements (or, at a timeout, whatever they have).
    pub(crate) fn unblock_waits(&mut self, ctx: &mut Ctx<'_>, timed_out: bool) {
        let blocked = std::mem::take(&mut self.repl.blocked);
        for w in blocked {
            let count = self.acks_at(w.offset);
            if count >= w.numreplicas || timed_out {
                self.answer_wait(ctx, &w, count);
            } else {
                self.repl.blocked.push(w);
            }
        }
    }

    fn answer_wait(&mut self, ctx: &mut Ctx<'_>, w: &BlockedWait, count: usize) {
        self.answer_wait_with(ctx, w, Reply::Int(count as i64));
    }

    /// A blocked WAIT's reply: to its client, or for the console a record the page prints it from.
    fn answer_wait_with(&mut self, ctx: &mut Ctx<'_>, w: &BlockedWait, reply: Reply) {
        match w.client {
            Some(pid) => ctx.out.send(pid, Message::Response { id: w.id, reply }),
            None => ctx.out.note(TraceEvent::Console {
                proc: ctx.me,
                line: format!("(WAIT {} returned)", w.numreplicas),
                reply: crate::cli::format_reply(&reply),
            }),
        }
    }

    pub(crate) fn wait_timeout(&mut self, ctx: &mut Ctx<'_>, client: ProcId, id: u64) {
        let console = client == ctx.me;
        if let Some(pos) = self
            .repl
            .blocked
            .iter()
            .position(|w| w.id == id && (w.client == Some(client) || (console && w.client.is_none())))
        {
            let w = self.repl.blocked.remove(pos);
            let count = self.acks_at(w.offset);
            self.answer_wait(ctx, &w, count);
        }
    }

    /// A demoted master's blocked clients get an error, as Redis's disconnectAllBlockedClients does.
    pub(crate) fn fail_blocked_waits(&mut self, ctx: &mut Ctx<'_>) {
        for w in std::mem::take(&mut self.repl.blocked) {
            let reply = Reply::err(
                "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
            );
            self.answer_wait_with(ctx, &w, reply);
        }
    }

    /// `refreshGoodSlavesCount`: replicas online whose last ACK is at most min-replicas-max-lag seconds old.
    /// Redis counts them each second, and at once when a replica comes online or goes, or the settings change.
    pub(crate) fn refresh_good_replicas(&mut self, ctx: &Ctx<'_>) {
        let max_lag = self.config.min_replicas_max_lag_secs;
        self.repl.good_replicas = self
            .repl
            .replicas
            .values()
            .filter(|r| r.state == ReplicaState::Online && ctx.unix_secs_since(r.last_ack) <= max_lag)
            .count() as u64;
    }

    /// `checkGoodReplicasStatus`: may this master accept writes under min-replicas-to-write?
    pub(crate) fn enough_good_replicas(&self) -> bool {
        self.is_replica()
            || self.config.min_replicas_to_write == 0
            || self.config.min_replicas_max_lag_secs == 0
            || self.repl.good_replicas >= self.config.min_replicas_to_write
    }

    /// The master's part of replicationCron.
    pub(crate) fn master_cron(&mut self, ctx: &mut Ctx<'_>) {
        let period = self.config.repl_ping_replica_period_secs.max(1);
        if !self.is_replica() && !self.repl.replicas.is_empty() && self.repl.cron_loops % period == 0 {
            // The master PINGs its replicas through the stream (it counts in the offset) so idle links live.
            // A replica with replicas of its own only proxies its master's stream, PINGs included
            // (replicationFeedSlaves returns at once when masterhost is set).
            self.feed_stream(ctx, vec![vec![b"PING".to_vec()]]);
        }
        // `server.unixtime - repl_ack_time > repl-timeout`: more than repl-timeout whole seconds of the clock
        // since the replica's last ACK.
        let timeout = self.config.repl_timeout_secs;
        let timed_out: Vec<ProcId> = self
            .repl
            .replicas
            .iter()
            .filter(|(_, r)| r.state != ReplicaState::WaitBgsave && ctx.unix_secs_since(r.last_ack) > timeout)
            .map(|(p, _)| *p)
            .collect();
        for pid in timed_out {
            if let Some(r) = self.repl.replicas.get(&pid) {
                let line = format!("Disconnecting timedout replica (streaming sync): {}:{}", r.ip, r.port);
                self.log(ctx, line);
            }
            ctx.out.close(pid);
            self.replica_lost(ctx, pid);
        }
        let ttl = self.config.repl_backlog_ttl_secs;
        if !self.is_replica()
            && self.repl.replicas.is_empty()
            && ttl > 0
            && self.repl.backlog.is_some()
            && ctx.unix_secs_since(self.repl.no_replicas_since) > ttl
        {
            // Without replicas for repl-backlog-ttl: free the backlog and start a new history, so that no
            // replica can later continue from a history this master no longer holds.
            self.repl.backlog = None;
            self.repl.replid = ctx.rng.hex_id(40);
            self.repl.clear_replid2();
            self.log(
                ctx,
                format!(
                    "Replication backlog freed after {} seconds without connected replicas.",
                    self.config.repl_backlog_ttl_secs
                ),
            );
        }
        self.start_pending_full_sync(ctx);
        self.refresh_good_replicas(ctx);
    }
}

/// WAIT numreplicas timeout
pub fn wait(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    if server.is_replica() {
        return Some(Reply::err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let Some(numreplicas) = parse_i64(&args[1]) else {
        return Some(Reply::err("ERR value is not an integer or out of range"));
    };
    let timeout = match parse_i64(&args[2]) {
        None => return Some(Reply::err("ERR timeout is not an integer or out of range")),
        Some(t) if t < 0 => return Some(Reply::err("ERR timeout is negative")),
        Some(t) => t as u64,
    };
    let client = server.current.map(|(p, _)| p);
    let offset = server.repl.woff.get(&client).copied().unwrap_or(0);
    let count = server.acks_at(offset);
    if numreplicas <= 0 || count >= numreplicas as usize {
        return Some(Reply::Int(count as i64));
    }
    let id = server.current.map_or(0, |(_, id)| id);
    server.repl.blocked.push(BlockedWait { client, id, numreplicas: numreplicas as usize, offset });
    // Ask the replicas for an ACK now rather than at their next second (Redis does this before sleeping).
    if !server.repl.replicas.is_empty() {
        server.feed_stream(ctx, vec![vec![b"REPLCONF".to_vec(), b"GETACK".to_vec(), b"*".to_vec()]]);
    }
    if timeout > 0 {
        ctx.out.set_timer(timeout, Timer::WaitTimeout { client: client.unwrap_or(ctx.me), id });
    }
    None
}
