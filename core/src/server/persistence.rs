//! RDB persistence and startup: save points, SAVE and BGSAVE (a forked child writing a point-in-time
//! snapshot that takes time), LASTSAVE, SHUTDOWN, loading the dataset from disk when the server starts, and
//! INFO persistence. The append-only file lives in `aof`.

use super::admin::InfoText;
use super::backlog::Backlog;
use super::replication::LinkState;
use super::Server;
use crate::disk::{Content, RdbImage};
use crate::process::{Ctx, Message, Timer};
use crate::resp::Reply;
use crate::time::SimTime;
use crate::trace::TraceEvent;
use std::rc::Rc;

/// How fast a server loads a dataset from disk at startup, in bytes per ms of virtual time (~200 MB/s).
pub const LOAD_BYTES_PER_MS: u64 = 200_000;

/// A forked child at work.
#[derive(Clone, Debug)]
pub struct ChildJob {
    pub started: SimTime,
    pub pid: u32,
    /// Changes counted when the child forked: they are in its snapshot.
    pub changes_at_fork: u64,
    pub image: Rc<RdbImage>,
    /// The replication offset at the fork (what `+FULLRESYNC` names when this RDB feeds replicas).
    pub repl_offset: u64,
    /// The child has exited; the parent reaps it at its next serverCron (checkChildrenDone).
    pub exited: bool,
}

#[derive(Clone, Debug)]
pub struct Persistence {
    /// `rdb_changes_since_last_save`.
    pub changes: u64,
    /// Unix time in whole seconds of the last successful save (LASTSAVE, `server.lastsave`): when SAVE ended
    /// or the parent reaped its BGSAVE child; the server's start before any. The save points count from it.
    pub lastsave: u64,
    pub bgsave: Option<ChildJob>,
    pub last_bgsave_ok: bool,
    /// rdb_last_bgsave_time_sec: whole seconds of the clock between the fork and the reaping.
    pub last_bgsave_secs: Option<u64>,
    pub rdb_saves: u64,
    /// BGSAVE SCHEDULE while an AOF rewrite ran: serverCron starts it once no child is left.
    pub bgsave_scheduled: bool,
    /// Keys read by the last RDB load (startup, AOF base or a replica's full sync), and those a master
    /// skipped at startup because they had expired.
    pub last_load_keys: u64,
    pub last_load_expired: u64,
    /// The load in progress: when it began and how many bytes it reads (INFO's loading_* fields).
    pub load_started: SimTime,
    pub load_total_bytes: u64,
    pub aof: super::aof::AofState,
    next_child_pid: u32,
}

impl Persistence {
    pub fn new() -> Persistence {
        Persistence {
            changes: 0,
            lastsave: 0,
            bgsave: None,
            last_bgsave_ok: true,
            last_bgsave_secs: None,
            rdb_saves: 0,
            bgsave_scheduled: false,
            last_load_keys: 0,
            last_load_expired: 0,
            load_started: SimTime::ZERO,
            load_total_bytes: 0,
            aof: super::aof::AofState { last_rewrite_ok: true, ..Default::default() },
            next_child_pid: 0,
        }
    }
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence::new()
    }
}

impl Server {
    /// The snapshot this server would write now: data, and replication info when it has any to offer.
    pub(crate) fn snapshot(&self) -> RdbImage {
        let repl =
            (self.is_replica() || self.repl.backlog.is_some()).then(|| (self.repl.replid.clone(), self.repl.offset));
        RdbImage { data: self.db.clone(), repl }
    }

    pub(crate) fn child_pid(&mut self) -> u32 {
        self.persist.next_child_pid += 1;
        self.pid + self.persist.next_child_pid
    }

    /// Fork a child that writes the snapshot of this instant; it finishes after the time the disk needs.
    pub(crate) fn start_bgsave(&mut self, ctx: &mut Ctx<'_>) {
        let image = Rc::new(self.snapshot());
        let pid = self.child_pid();
        let ms = (image.size() / ctx.disk.params.write_bytes_per_ms).max(1);
        ctx.disk.write(&format!("temp-{pid}.rdb"), Content::Rdb(image.clone()));
        self.persist.bgsave = Some(ChildJob {
            started: ctx.now,
            pid,
            changes_at_fork: self.persist.changes,
            image,
            repl_offset: self.repl.offset,
            exited: false,
        });
        // Redis counts a save when the child forks (rdbSaveBackground), not when it ends.
        self.persist.rdb_saves += 1;
        self.log(ctx, format!("Background saving started by pid {pid}"));
        ctx.out.note(TraceEvent::Child { proc: ctx.me, job: "bgsave".into(), done: false, ok: true });
        ctx.out.set_timer(ms, Timer::BgsaveDone);
    }

    /// The child has written its snapshot: it fsyncs its temp file, renames it over dump.rdb and exits
    /// (rdbSave runs in the child). The parent learns of it at its next serverCron.
    pub(crate) fn bgsave_child_exited(&mut self, ctx: &mut Ctx<'_>) {
        let Some(job) = self.persist.bgsave.as_mut() else { return };
        job.exited = true;
        let temp = format!("temp-{}.rdb", job.pid);
        ctx.disk.fsync(&temp);
        ctx.disk.rename(&temp, &self.config.dbfilename.clone());
        self.log(ctx, "DB saved on disk");
    }

    /// serverCron's checkChildrenDone: reap a child that has exited (backgroundSaveDoneHandler,
    /// backgroundRewriteDoneHandler). Returns whether one was running, as Redis checks the save points and
    /// the AOF's growth only in a cron with no child.
    pub(crate) fn reap_children(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if self.persist.bgsave.as_ref().is_some_and(|j| j.exited) {
            self.bgsave_done(ctx);
        } else if self.persist.aof.rewrite.as_ref().is_some_and(|r| r.exited) {
            self.aof_rewrite_done(ctx);
        } else {
            return self.persist.bgsave.is_some() || self.persist.aof.rewrite.is_some();
        }
        true
    }

    /// The parent reaps its BGSAVE child: the changes since the fork remain, LASTSAVE is now, and replicas
    /// waiting for a disk-based full sync get the file.
    fn bgsave_done(&mut self, ctx: &mut Ctx<'_>) {
        let Some(job) = self.persist.bgsave.take() else { return };
        self.persist.changes = self.persist.changes.saturating_sub(job.changes_at_fork);
        self.persist.lastsave = ctx.unix_ms() / 1000;
        self.persist.last_bgsave_ok = true;
        self.persist.last_bgsave_secs = Some(ctx.unix_secs_since(job.started));
        self.log(ctx, "Background saving terminated with success");
        ctx.out.note(TraceEvent::Child { proc: ctx.me, job: "bgsave".into(), done: true, ok: true });
        self.send_disk_rdb_to_replicas(ctx, &job);
        self.start_scheduled_child(ctx);
    }

    /// serverCron: a child that had to wait for another (BGREWRITEAOF during a BGSAVE, BGSAVE SCHEDULE
    /// during a rewrite) starts once none is running.
    pub(crate) fn start_scheduled_child(&mut self, ctx: &mut Ctx<'_>) {
        if self.persist.bgsave.is_some() || self.persist.aof.rewrite.is_some() {
            return;
        }
        if self.persist.aof.rewrite_scheduled {
            self.persist.aof.rewrite_scheduled = false;
            self.start_aof_rewrite(ctx);
        } else if self.persist.bgsave_scheduled {
            self.persist.bgsave_scheduled = false;
            self.start_bgsave(ctx);
        }
    }

    /// serverCron's save points: BGSAVE once `changes` writes were made and more than `seconds` whole seconds
    /// of the clock passed since the last save (`server.unixtime - server.lastsave > seconds`): `save 10 1`
    /// saves 11 s after the last save, at the first cron of that second. (A failed BGSAVE's retry delay is not
    /// needed: the simulated BGSAVE never fails.)
    pub(crate) fn check_save_points(&mut self, ctx: &mut Ctx<'_>) {
        if self.persist.bgsave.is_some() || self.persist.aof.rewrite.is_some() {
            return;
        }
        let since = (ctx.unix_ms() / 1000).saturating_sub(self.persist.lastsave);
        let due =
            self.config.save.iter().find(|(secs, changes)| self.persist.changes >= *changes && since > *secs).copied();
        if let Some((secs, changes)) = due {
            self.log(ctx, format!("{changes} changes in {secs} seconds. Saving..."));
            self.start_bgsave(ctx);
        }
    }

    /// SAVE and the final save of SHUTDOWN: write the snapshot in the foreground.
    pub(crate) fn save_now(&mut self, ctx: &mut Ctx<'_>) {
        let image = Rc::new(self.snapshot());
        ctx.disk.write_synced(&self.config.dbfilename.clone(), Content::Rdb(image));
        self.persist.changes = 0;
        self.persist.lastsave = ctx.unix_ms() / 1000;
        self.persist.rdb_saves += 1;
        self.log(ctx, "DB saved on disk");
    }

    /// Read the dataset at startup: the AOF when appendonly is yes (even if only an RDB exists: then the
    /// server starts empty, as Redis 7 does), otherwise the RDB, otherwise nothing. Loading takes time
    /// proportional to the data; until then commands get `-LOADING`. Returns false if the server must exit.
    pub(crate) fn load_from_disk(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let bytes = if self.config.appendonly {
            match self.load_aof(ctx) {
                Some(bytes) => bytes,
                None => return false,
            }
        } else if let Some(Content::Rdb(image)) =
            ctx.disk.get(&self.config.dbfilename.clone()).map(|f| f.content.clone())
        {
            self.db = image.data.clone();
            self.log(ctx, format!("Loading RDB produced by version {}", super::admin::REDIS_VERSION));
            let replica = self.config.replicaof.is_some();
            // A master skips the keys that expired while it was down; a replica keeps them for its master's DEL.
            let expired = if replica { Vec::new() } else { self.db.expired_keys(ctx.unix_ms()) };
            for key in &expired {
                self.db.remove(key);
            }
            self.persist.last_load_keys = self.db.len() as u64;
            self.persist.last_load_expired = expired.len() as u64;
            let (loaded, skipped) = (self.db.len(), expired.len());
            self.log(ctx, format!("Done loading RDB, keys loaded: {loaded}, keys expired: {skipped}."));
            match image.repl.clone() {
                Some((replid, offset)) if replica => {
                    // A replica restores its replication id and offset, so it can ask to continue (PSYNC).
                    self.repl.replid = replid;
                    self.repl.offset = offset;
                    self.repl.has_cached_master = true;
                }
                Some((replid, offset)) => {
                    // A master keeps the saved history as its second id, with a backlog starting there: its
                    // replicas can continue with a partial resync (Redis 7.0's loadDataFromDisk).
                    self.repl.replid2 = replid;
                    self.repl.second_replid_offset = offset as i64 + 1;
                    self.repl.offset = offset;
                    self.repl.backlog = Some(Backlog::new(self.config.repl_backlog_size, offset));
                    // The keys that expired while it was down go into the backlog as DELs (rdbLoad's
                    // RDBFLAGS_FEED_REPL), so that a replica continuing from the saved offset drops them too.
                    if !expired.is_empty() {
                        let dels = expired.iter().map(|k| vec![b"DEL".to_vec(), k.clone()]).collect();
                        self.propagate(ctx, dels);
                    }
                }
                None => {}
            }
            self.log(ctx, "DB loaded from disk");
            if self.repl.has_cached_master {
                self.log_caching_myself(ctx);
            }
            image.size()
        } else {
            0
        };
        // A load shorter than a millisecond is over before anyone could be told LOADING.
        if bytes / LOAD_BYTES_PER_MS > 0 {
            self.start_loading(ctx, bytes);
            ctx.out.set_timer(bytes / LOAD_BYTES_PER_MS, Timer::DatasetLoaded);
        }
        true
    }

    /// Commands get `-LOADING` until the load of `bytes` is done.
    pub(crate) fn start_loading(&mut self, ctx: &Ctx<'_>, bytes: u64) {
        self.loading = true;
        self.persist.load_started = ctx.now;
        self.persist.load_total_bytes = bytes;
    }

    /// The dataset is in memory: only now does Redis say it is ready, and a replica connect to its master.
    pub(crate) fn dataset_loaded(&mut self, ctx: &mut Ctx<'_>) {
        self.loading = false;
        self.log(ctx, "Ready to accept connections");
        if self.repl.master.as_ref().is_some_and(|m| m.state == LinkState::Connect) {
            self.connect_to_master(ctx);
        }
    }

    /// finishShutdown's account of the replicas: each one behind the master, then how many are in sync.
    fn log_replicas_at_shutdown(&mut self, ctx: &mut Ctx<'_>) {
        let offset = self.repl.offset;
        let mut lagging = 0;
        for r in self.repl.replicas_in_order() {
            if r.ack_offset != offset {
                lagging += 1;
                let online = r.state == super::replication::ReplicaState::Online;
                let lag = if online { ctx.unix_secs_since(r.last_ack) } else { 0 };
                let line = format!(
                    "Lagging replica {}:{} reported offset {} behind master, lag={lag}, state={}.",
                    r.ip,
                    r.port,
                    offset as i64 - r.ack_offset as i64,
                    r.state.redis_name(self.config.repl_diskless_sync)
                );
                ctx.out.note(TraceEvent::Log { proc: ctx.me, text: line });
            }
        }
        let total = self.repl.replicas.len();
        if total > 0 {
            self.log(ctx, format!("{} of {total} replicas are in sync when shutting down.", total - lagging));
        }
    }

    /// If replicas wait for a disk-based full sync, this snapshot is theirs.
    fn send_disk_rdb_to_replicas(&mut self, ctx: &mut Ctx<'_>, job: &ChildJob) {
        use super::replication::ReplicaState;
        if self.config.repl_diskless_sync {
            return;
        }
        let waiting: Vec<_> =
            self.repl.replicas.iter().filter(|(_, r)| r.state == ReplicaState::WaitBgsave).map(|(p, _)| *p).collect();
        for pid in waiting {
            let Some(r) = self.repl.replicas.get_mut(&pid) else { continue };
            r.state = ReplicaState::SendBulk;
            if let Some(id) = r.psync_request.take() {
                let line = format!("FULLRESYNC {} {}", self.repl.replid, job.repl_offset);
                ctx.out.send(pid, Message::Response { id, reply: Reply::Status(line) });
            }
            let data = Rc::new(job.image.data.clone());
            let payload = crate::process::ReplPayload::Rdb {
                replid: self.repl.replid.clone(),
                offset: job.repl_offset,
                bytes: job.image.size(),
                data,
                diskless: false,
            };
            ctx.out.send(pid, Message::Repl(payload));
        }
        // Writes since the fork were streamed to nobody waiting: send them behind the RDB from the backlog.
        if let Some(b) = &self.repl.backlog {
            for c in b.tail_from(job.repl_offset + 1) {
                for (pid, r) in &self.repl.replicas {
                    if r.state == ReplicaState::SendBulk {
                        let payload = crate::process::ReplPayload::Stream {
                            from_offset: c.from_offset,
                            bytes: c.bytes,
                            commands: c.commands.clone(),
                        };
                        ctx.out.send(*pid, Message::Repl(payload));
                    }
                }
            }
        }
    }
}

pub fn save(server: &mut Server, ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    if server.persist.bgsave.is_some() {
        return Reply::err("ERR Background save already in progress");
    }
    server.save_now(ctx);
    Reply::ok()
}

pub fn bgsave(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let schedule = match &args[1..] {
        [] => false,
        [a] if a.eq_ignore_ascii_case(b"SCHEDULE") => true,
        _ => return Reply::err("ERR syntax error"),
    };
    if server.persist.bgsave.is_some() {
        return Reply::err("ERR Background save already in progress");
    }
    if server.persist.aof.rewrite.is_some() {
        if schedule {
            server.persist.bgsave_scheduled = true;
            return Reply::Status("Background saving scheduled".into());
        }
        return Reply::err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    server.start_bgsave(ctx);
    Reply::Status("Background saving started".into())
}

pub fn lastsave(server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    Reply::Int(server.persist.lastsave as i64)
}

/// SHUTDOWN [NOSAVE | SAVE]: save if asked (or if save points are configured), fsync the AOF, exit.
pub fn shutdown(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Option<Reply> {
    let (mut save, mut nosave, mut force, mut abort, mut other) = (false, false, false, false, false);
    for a in &args[1..] {
        match a.to_ascii_uppercase().as_slice() {
            b"SAVE" => save = true,
            b"NOSAVE" => nosave = true,
            b"FORCE" => force = true,
            b"NOW" => other = true,
            b"ABORT" => abort = true,
            _ => return Some(Reply::err("ERR syntax error")),
        }
    }
    if (abort && (save || nosave || force || other)) || (save && nosave) {
        return Some(Reply::err("ERR syntax error"));
    }
    if abort {
        // The simulated SHUTDOWN never waits for lagging replicas, so there is never one to abort.
        return Some(Reply::err("ERR No shutdown in progress."));
    }
    if server.loading {
        // Never save a half-loaded dataset over the file it comes from.
        (save, nosave) = (false, true);
    }
    server.log(ctx, "User requested shutdown...");
    server.log_replicas_at_shutdown(ctx);
    if server.persist.bgsave.take().is_some() {
        server.log(ctx, "There is a child saving an .rdb. Killing it!");
    }
    if let Some(job) = &server.persist.aof.rewrite {
        if job.first_incr.is_some() {
            // appendonly was just turned on: the first AOF is still being written, nothing to fsync yet.
            if !force {
                server.log(ctx, "Writing initial AOF, can't exit.");
                server.log(ctx, "Errors trying to shut down the server. Check the logs for more information.");
                return Some(Reply::err("ERR Errors trying to SHUTDOWN. Check logs."));
            }
            server.log(ctx, "Writing initial AOF. Exit anyway.");
        }
        server.persist.aof.rewrite = None;
        server.log(ctx, "There is a child rewriting the AOF. Killing it!");
    }
    if server.config.appendonly && !server.persist.aof.waiting_first_rewrite {
        let incr = server.aof_incr_path();
        ctx.disk.fsync(&incr);
        server.log(ctx, "Calling fsync() on the AOF file.");
    }
    if save || (!nosave && !server.config.save.is_empty()) {
        server.log(ctx, "Saving the final RDB snapshot before exiting.");
        server.save_now(ctx);
    }
    ctx.out.exit("Redis is now ready to exit, bye bye...");
    None
}

/// The `# Persistence` section of INFO, field for field as Redis 7.0 prints it. Copy-on-write and module
/// forks are not modelled: their fields are 0.
pub fn info_persistence(server: &Server, ctx: &Ctx<'_>, out: &mut InfoText) {
    let p = &server.persist;
    let a = &p.aof;
    // Durations in whole seconds of the clock (`time(NULL) - start`), -1 when there is none.
    let secs = |s: Option<u64>| s.map_or(-1, |s| s as i64);
    let since = |t: Option<SimTime>| secs(t.map(|t| ctx.unix_secs_since(t)));
    let status = |ok: bool| if ok { "ok" } else { "err" };
    // The keys a running child is writing (rdbSaveRio's progress is not modelled: none processed yet).
    let child_image = p.bgsave.as_ref().map(|j| &j.image).or(a.rewrite.as_ref().map(|r| &r.image));
    out.field("loading", &u8::from(server.loading));
    out.field("async_loading", &0);
    out.field("current_cow_peak", &0);
    out.field("current_cow_size", &0);
    out.field("current_cow_size_age", &0);
    out.field("current_fork_perc", &"0.00");
    out.field("current_save_keys_processed", &0);
    out.field("current_save_keys_total", &child_image.map_or(0, |i| i.data.len()));
    out.field("rdb_changes_since_last_save", &p.changes);
    out.field("rdb_bgsave_in_progress", &u8::from(p.bgsave.is_some()));
    out.field("rdb_last_save_time", &p.lastsave);
    out.field("rdb_last_bgsave_status", &status(p.last_bgsave_ok));
    out.field("rdb_last_bgsave_time_sec", &secs(p.last_bgsave_secs));
    out.field("rdb_current_bgsave_time_sec", &since(p.bgsave.as_ref().map(|j| j.started)));
    out.field("rdb_saves", &p.rdb_saves);
    out.field("rdb_last_cow_size", &0);
    out.field("rdb_last_load_keys_expired", &p.last_load_expired);
    out.field("rdb_last_load_keys_loaded", &p.last_load_keys);
    out.field("aof_enabled", &u8::from(server.config.appendonly));
    out.field("aof_rewrite_in_progress", &u8::from(a.rewrite.is_some()));
    out.field("aof_rewrite_scheduled", &u8::from(a.rewrite_scheduled));
    out.field("aof_last_rewrite_time_sec", &secs(a.last_rewrite_secs));
    out.field("aof_current_rewrite_time_sec", &since(a.rewrite.as_ref().map(|r| r.started)));
    out.field("aof_last_bgrewrite_status", &status(a.last_rewrite_ok));
    out.field("aof_rewrites", &a.rewrites);
    out.field("aof_rewrites_consecutive_failures", &0);
    out.field("aof_last_write_status", &"ok");
    out.field("aof_last_cow_size", &0);
    out.field("module_fork_in_progress", &0);
    out.field("module_fork_last_cow_size", &0);
    if server.config.appendonly {
        out.field("aof_current_size", &a.current_size);
        out.field("aof_base_size", &a.base_size);
        out.field("aof_pending_rewrite", &u8::from(a.rewrite_scheduled));
        out.field("aof_buffer_length", &0);
        out.field("aof_pending_bio_fsync", &u8::from(a.fsync_in_progress.is_some()));
        out.field("aof_delayed_fsync", &0);
    }
    if server.loading {
        // The load reads at LOAD_BYTES_PER_MS: how far it is, and Redis's estimate of the rest.
        let elapsed_ms = ctx.now.saturating_sub(p.load_started);
        let total = p.load_total_bytes;
        let loaded = (elapsed_ms * LOAD_BYTES_PER_MS).min(total);
        let perc = (loaded * 10_000).checked_div(total).unwrap_or(0);
        // `time(NULL) - loading_start_time`, both whole seconds.
        let elapsed = ctx.unix_secs_since(p.load_started);
        let eta = if elapsed == 0 { 1 } else { elapsed * (total - loaded).max(1) / (loaded + 1) };
        out.field("loading_start_time", &((ctx.unix_ms() - elapsed_ms) / 1000));
        out.field("loading_total_bytes", &total);
        out.field("loading_rdb_used_mem", &0);
        out.field("loading_loaded_bytes", &loaded);
        out.field("loading_loaded_perc", &format_args!("{}.{:02}", perc / 100, perc % 100));
        out.field("loading_eta_seconds", &eta);
    }
}
