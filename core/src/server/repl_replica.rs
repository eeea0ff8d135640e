//! The replica side of replication: connecting and the handshake (PING, REPLCONF, PSYNC), loading the RDB
//! of a full resync, applying and proxying the stream, ACKs, and noticing a lost or silent master.

use super::backlog::{Backlog, Chunk};
use super::replication::{LinkState, Step};
use super::Server;
use crate::disk::{Content, RdbImage};
use crate::process::{Ctx, Message, ProcId, ReplPayload, Timer};
use crate::resp::Reply;
use std::rc::Rc;

/// How fast a replica loads a received RDB into memory, in bytes per ms of virtual time (~200 MB/s).
pub const RDB_LOAD_BYTES_PER_MS: u64 = 200_000;

/// freeClient's line when the master's connection goes away.
const MASTER_LOST: &str = "Connection with master lost.";

fn args(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

impl Server {
    fn request(&mut self, ctx: &mut Ctx<'_>, peer: ProcId, step: Step, words: Vec<Vec<u8>>) {
        self.repl.next_request += 1;
        let id = self.repl.next_request;
        if let Some(m) = self.repl.master.as_mut() {
            m.pending.insert(id, step);
        }
        ctx.out.send(peer, Message::Request { id, args: words });
    }

    /// replicationCron's (and replicationSetMaster's) "Connecting to MASTER", then connect.
    pub(crate) fn connect_to_master(&mut self, ctx: &mut Ctx<'_>) {
        self.connect_to_master_saying(ctx, "Connecting to MASTER");
    }

    /// `connectWithMaster`, with the line its caller logs first: resolve the master's address and send the
    /// first PING.
    fn connect_to_master_saying(&mut self, ctx: &mut Ctx<'_>, what: &str) {
        if self.loading && self.repl.master.as_ref().is_some_and(|m| m.loading.is_none()) {
            // Still loading our own dataset from disk: connect once it is in memory.
            return;
        }
        let Some(m) = self.repl.master.as_mut() else { return };
        let (host, port) = (m.host.clone(), m.port);
        self.log(ctx, format!("{what} {host}:{port}"));
        let Some(m) = self.repl.master.as_mut() else { return };
        match ctx.resolve(&host, port) {
            None => {
                m.state = LinkState::Connect;
                self.log(ctx, format!("Error condition on socket for SYNC: No route to host {host}:{port}"));
            }
            Some(peer) => {
                m.peer = Some(peer);
                m.state = LinkState::Connecting;
                m.last_io = ctx.now;
                m.pending.clear();
                self.log(ctx, "MASTER <-> REPLICA sync started");
                self.request(ctx, peer, Step::Ping, args(&["PING"]));
            }
        }
    }

    /// Drop the link (a timeout, a gap, a refused connection) and connect again at the next cron tick.
    /// A connected link's state is cached so that the next PSYNC can continue.
    pub(crate) fn drop_master_link(&mut self, ctx: &mut Ctx<'_>, why: &str, close: bool) {
        let Some(m) = self.repl.master.as_mut() else { return };
        let was_connected = m.state == LinkState::Connected;
        if close {
            if let Some(peer) = m.peer {
                ctx.out.close(peer);
            }
        }
        m.peer = None;
        m.state = LinkState::Connect;
        m.pending.clear();
        m.loading = None;
        if was_connected {
            m.down_since = Some(ctx.now);
            self.repl.has_cached_master = true;
        }
        self.log(ctx, why.to_string());
        if was_connected {
            // freeClient on the master's client: its own line, then the caching and the reconnection.
            if why != MASTER_LOST {
                self.log(ctx, MASTER_LOST);
            }
            self.log(ctx, "Caching the disconnected master state.");
        }
    }

    /// A reply from the master during the handshake.
    pub(crate) fn handshake_reply(&mut self, ctx: &mut Ctx<'_>, from: ProcId, id: u64, reply: Reply) {
        let Some(m) = self.repl.master.as_mut() else { return };
        if m.peer != Some(from) {
            return;
        }
        m.last_io = ctx.now;
        let Some(step) = m.pending.remove(&id) else { return };
        if step == Step::Ping {
            // The connection is open (the PING went out on it): syncWithMaster's first line.
            self.log(ctx, "Non blocking connect for SYNC fired the event.");
        }
        // An error reply, in syncWithMaster's words: fatal to this attempt (the link is dropped and tried again
        // at the next cron) except for the two REPLCONFs, which an old master may not understand.
        if let Reply::Error(e) = &reply {
            match step {
                Step::Ping => {
                    return self.drop_master_link(ctx, &format!("Error reply to PING from master: '-{e}'"), true)
                }
                Step::ReplconfPort => {
                    self.log(ctx, format!("(Non critical) Master does not understand REPLCONF listening-port: -{e}"))
                }
                Step::ReplconfCapa => {
                    self.log(ctx, format!("(Non critical) Master does not understand REPLCONF capa: -{e}"))
                }
                Step::Psync => {}
            }
        }
        let Some(m) = self.repl.master.as_mut() else { return };
        match step {
            Step::Ping => {
                m.state = LinkState::Handshake;
                self.log(ctx, "Master replied to PING, replication can continue...");
                let port = self.config.port.to_string();
                self.request(ctx, from, Step::ReplconfPort, args(&["REPLCONF", "listening-port", &port]));
                self.request(ctx, from, Step::ReplconfCapa, args(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
            }
            Step::ReplconfPort | Step::ReplconfCapa => {
                if m.pending.values().any(|s| matches!(s, Step::ReplconfPort | Step::ReplconfCapa)) {
                    return;
                }
                let (replid, next) = (self.repl.replid.clone(), self.repl.offset + 1);
                let psync = if self.repl.has_cached_master {
                    self.log(ctx, format!("Trying a partial resynchronization (request {replid}:{next})."));
                    vec!["PSYNC".to_string(), replid, next.to_string()]
                } else {
                    self.log(ctx, "Partial resynchronization not possible (no cached master)");
                    vec!["PSYNC".to_string(), "?".to_string(), "-1".to_string()]
                };
                self.request(ctx, from, Step::Psync, psync.into_iter().map(String::into_bytes).collect());
            }
            Step::Psync => self.psync_reply(ctx, reply),
        }
    }

    fn psync_reply(&mut self, ctx: &mut Ctx<'_>, reply: Reply) {
        let text = match &reply {
            Reply::Status(s) => s.clone(),
            other => {
                // Redis's words (slaveTryPartialResynchronization), with the reply line as it came; either way
                // the link is dropped and the replica tries again at its next cron.
                let line = match other {
                    Reply::Error(e) => format!("-{e}"),
                    other => crate::cli::short_reply(other),
                };
                let why = if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
                    format!("Master is currently unable to PSYNC but should be in the future: {line}")
                } else if line.starts_with("-ERR") {
                    format!("Master does not support PSYNC or is in error state (reply: {line})")
                } else {
                    format!("Unexpected reply to PSYNC from master: {line}")
                };
                return self.drop_master_link(ctx, &why, true);
            }
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["FULLRESYNC", id, offset] => {
                self.log(ctx, format!("Full resync from master: {id}:{offset}"));
                if let Some(m) = self.repl.master.as_mut() {
                    m.state = LinkState::Sync;
                }
            }
            ["CONTINUE", id] => {
                self.log(ctx, "Successful partial resynchronization with master.");
                if *id != self.repl.replid {
                    let new_id = id.to_string();
                    self.repl.shift_replid(new_id);
                    self.log(ctx, format!("Master replication ID changed to {}", self.repl.replid));
                    // Our replicas must learn of the new history too; they can continue with us.
                    self.disconnect_replicas(ctx);
                }
                if self.repl.backlog.is_none() {
                    self.repl.backlog = Some(Backlog::new(self.config.repl_backlog_size, self.repl.offset));
                }
                self.log(ctx, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
                // No ACK before the next replicationCron: until then the master shows this replica at offset 0.
                self.link_connected(ctx, false);
            }
            _ => self.drop_master_link(ctx, &format!("Unexpected reply to PSYNC from master: {text}"), true),
        }
    }

    fn link_connected(&mut self, ctx: &mut Ctx<'_>, ack: bool) {
        if let Some(m) = self.repl.master.as_mut() {
            m.state = LinkState::Connected;
            m.last_io = ctx.now;
        }
        if ack {
            self.send_ack(ctx, self.repl.offset);
        }
    }

    pub(crate) fn send_ack(&mut self, ctx: &mut Ctx<'_>, offset: u64) {
        let Some(peer) = self.repl.master.as_ref().and_then(|m| m.peer) else { return };
        let offset = offset.to_string();
        self.repl.next_request += 1;
        ctx.out.send(peer, Message::Request { id: self.repl.next_request, args: args(&["REPLCONF", "ACK", &offset]) });
    }

    /// Data from the master: the RDB of a full resync, or the stream.
    pub(crate) fn replication_data(&mut self, ctx: &mut Ctx<'_>, from: ProcId, payload: ReplPayload) {
        let Some(m) = self.repl.master.as_mut() else { return };
        if m.peer != Some(from) {
            return;
        }
        m.last_io = ctx.now;
        match payload {
            ReplPayload::Rdb { replid, offset, data, bytes, diskless } => {
                if m.state != LinkState::Sync {
                    return;
                }
                // A diskless master sends no length up front ($EOF:<mark>): the replica cannot say how much.
                self.log(
                    ctx,
                    if diskless {
                        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk".to_string()
                    } else {
                        format!("MASTER <-> REPLICA sync: receiving {bytes} bytes from master to disk")
                    },
                );
                if std::mem::take(&mut self.repl.has_cached_master) {
                    // The history we hoped to continue is gone: replicationDiscardCachedMaster.
                    self.log(ctx, "Discarding previously cached master state.");
                }
                // repl-diskless-load disabled (the default): the RDB received goes to disk, fsynced and renamed
                // over dbfilename, and is loaded from there. It stays, with the master's replication id and
                // offset: a replica restarted later loads it and asks to continue from that offset.
                let image = RdbImage { data: (*data).clone(), repl: Some((replid.clone(), offset)) };
                ctx.disk.write_synced(&self.config.dbfilename.clone(), Content::Rdb(Rc::new(image)));
                self.log(ctx, "MASTER <-> REPLICA sync: Flushing old data");
                self.log(ctx, "MASTER <-> REPLICA sync: Loading DB in memory");
                self.log(ctx, format!("Loading RDB produced by version {}", super::admin::REDIS_VERSION));
                self.log(ctx, "RDB age 0 seconds");
                self.db = (*data).clone();
                self.repl.replid = replid;
                self.repl.offset = offset;
                self.repl.clear_replid2();
                self.repl.backlog = Some(Backlog::new(self.config.repl_backlog_size, offset));
                self.repl.has_cached_master = true;
                // A new dataset means a new history for our own replicas: they must resync.
                self.disconnect_replicas(ctx);
                let load_ms = bytes / RDB_LOAD_BYTES_PER_MS;
                if let Some(m) = self.repl.master.as_mut() {
                    m.loading = Some((self.repl.replid.clone(), offset));
                }
                self.start_loading(ctx, bytes);
                ctx.out.set_timer(load_ms, Timer::RdbLoaded);
            }
            ReplPayload::Stream { from_offset, bytes, commands } => {
                if self.loading {
                    self.stream_held.push(Chunk { from_offset, bytes, commands });
                } else if m.state == LinkState::Connected {
                    self.apply_chunk(ctx, Chunk { from_offset, bytes, commands });
                }
            }
        }
    }

    pub(crate) fn rdb_loaded(&mut self, ctx: &mut Ctx<'_>) {
        self.loading = false;
        let Some(m) = self.repl.master.as_mut() else { return };
        if m.loading.take().is_none() {
            return;
        }
        self.persist.last_load_keys = self.db.len() as u64;
        self.persist.last_load_expired = 0;
        self.log(ctx, format!("Done loading RDB, keys loaded: {}, keys expired: 0.", self.db.len()));
        self.log(ctx, "MASTER <-> REPLICA sync: Finished with success");
        // The ACK that tells the master the snapshot is in (Redis sends it after a diskless load; after a
        // disk-based one the master learns it when its send ends, which this ACK stands for).
        self.link_connected(ctx, true);
        for chunk in std::mem::take(&mut self.stream_held) {
            self.apply_chunk(ctx, chunk);
        }
    }

    /// Execute a piece of the master's stream and proxy it, unchanged, to our own replicas.
    fn apply_chunk(&mut self, ctx: &mut Ctx<'_>, chunk: Chunk) {
        if chunk.from_offset != self.repl.offset {
            let why = format!(
                "Replication stream gap: expected offset {}, got {}; resynchronizing",
                self.repl.offset, chunk.from_offset
            );
            return self.drop_master_link(ctx, &why, true);
        }
        // REPLCONF GETACK is answered while it runs, before the master's offset counts it (Redis advances
        // the offset after each command): the ACK names the offset just before the GETACK.
        let mut getack = None;
        let mut at = chunk.from_offset;
        for cmd in chunk.commands.iter() {
            let name = cmd.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
            match name.as_slice() {
                b"ping" | b"select" => {}
                b"replconf" if cmd.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"getack")) => getack = Some(at),
                b"replconf" => {}
                _ => self.execute_from_master(ctx, cmd),
            }
            at += crate::resp::command_len(cmd);
        }
        self.repl.offset += chunk.bytes;
        self.send_chunk(ctx, chunk);
        if let Some(offset) = getack {
            self.send_ack(ctx, offset);
        }
    }

    /// The replica's part of replicationCron: connect, notice timeouts, ACK once a second.
    pub(crate) fn replica_cron(&mut self, ctx: &mut Ctx<'_>) {
        let Some(m) = self.repl.master.as_ref() else { return };
        // `time(NULL) - lastio > repl-timeout`: more than repl-timeout whole seconds of the clock since the
        // last byte from the master (or since the attempt began).
        let silent = ctx.unix_secs_since(m.last_io) > self.config.repl_timeout_secs;
        match m.state {
            LinkState::Connect => self.connect_to_master(ctx),
            LinkState::Connecting | LinkState::Handshake if silent => {
                self.drop_master_link(ctx, "Timeout connecting to the MASTER...", true)
            }
            LinkState::Sync if silent => self.drop_master_link(ctx, "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.", true),
            LinkState::Connected if silent => {
                self.drop_master_link(ctx, "MASTER timeout: no data nor PING received...", true)
            }
            LinkState::Connected => self.send_ack(ctx, self.repl.offset),
            _ => {}
        }
    }

    /// The connection to `peer` was refused or closed.
    pub(crate) fn connection_lost(&mut self, ctx: &mut Ctx<'_>, peer: ProcId, refused: bool) {
        if self.repl.master.as_ref().is_some_and(|m| m.peer == Some(peer)) {
            let why = if refused { "Error condition on socket for SYNC: Connection refused" } else { MASTER_LOST };
            let was_connected = self.repl.master.as_ref().is_some_and(|m| m.state == LinkState::Connected);
            self.drop_master_link(ctx, why, false);
            if was_connected {
                // Redis 7.0 reconnects at once rather than at the next cron (replicationHandleMasterDisconnection):
                // a crashed master refuses this attempt at once, as it does here. It does so after a timeout too,
                // where TCP then retransmits the SYN until the partition heals; the simulated network does not
                // retransmit, so after a timeout the next cron's attempt stands for that retransmission.
                self.connect_to_master_saying(ctx, "Reconnecting to MASTER");
            }
        }
        if !refused && self.repl.replicas.contains_key(&peer) {
            self.replica_lost(ctx, peer);
        }
        if !refused {
            self.repl.blocked.retain(|w| w.client != Some(peer));
        }
    }
}
