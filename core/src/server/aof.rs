//! The append-only file, Redis 7's multi-part layout: `appendonlydir/` holds a base file (an RDB preamble,
//! or commands), incremental files of commands, and `appendonly.aof.manifest` naming them in order. Every
//! write is appended before its reply; `appendfsync` decides when it becomes durable. BGREWRITEAOF forks a
//! child that writes a new base from a snapshot while new writes go to a new incremental file.

use super::config::Fsync;
use super::Server;
use crate::disk::{AofLog, Content, Manifest, RdbImage};
use crate::process::{Ctx, ProcId, Timer};
use crate::resp::Reply;
use crate::time::SimTime;
use crate::trace::TraceEvent;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct Rewrite {
    pub started: SimTime,
    pub pid: u32,
    pub image: Rc<RdbImage>,
    /// The first rewrite after `appendonly yes` (Redis's AOF_WAIT_REWRITE): the writes meanwhile go to
    /// `temp-<appendfilename>.incr`, which becomes this incremental file (name, seq) when the base is done.
    pub first_incr: Option<(String, u32)>,
    /// The child has written the new base and exited; the parent reaps it at its next serverCron.
    pub exited: bool,
}

#[derive(Clone, Debug, Default)]
pub struct AofState {
    pub manifest: Option<Manifest>,
    /// Whether the current incremental file has selected the database yet.
    pub selected_db: bool,
    pub rewrite: Option<Rewrite>,
    pub rewrite_scheduled: bool,
    /// appendonly was turned on and its first rewrite has not finished (Redis's AOF_WAIT_REWRITE): nothing
    /// is appended until that rewrite starts, and SHUTDOWN refuses to lose it.
    pub waiting_first_rewrite: bool,
    pub last_rewrite_ok: bool,
    /// aof_last_rewrite_time_sec: whole seconds of the clock between the fork and the reaping.
    pub last_rewrite_secs: Option<u64>,
    pub rewrites: u64,
    /// `aof_current_size` (base and incremental files) and `aof_base_size`.
    pub current_size: u64,
    pub base_size: u64,
    /// The size after the last rewrite (or at startup): auto-aof-rewrite-percentage grows from it.
    pub rewrite_base_size: u64,
    /// The incremental file a background fsync is at work on (aof_pending_bio_fsync while there is one).
    pub fsync_in_progress: Option<String>,
    /// `server.aof_last_fsync`: the Unix second of the last everysec fsync (or of the server's start, of
    /// `appendonly yes`, of a new incremental file); the next may start only in a later second.
    pub last_fsync: u64,
    /// Replies to writes waiting for the fsync of appendfsync always.
    pub held_replies: Vec<(ProcId, u64, Reply)>,
}

impl Server {
    fn aof_dir(&self) -> String {
        self.config.appenddirname.clone()
    }

    fn aof_path(&self, file: &str) -> String {
        format!("{}/{file}", self.aof_dir())
    }

    fn manifest_path(&self) -> String {
        self.aof_path(&format!("{}.manifest", self.config.appendfilename))
    }

    pub(crate) fn aof_incr_path(&self) -> String {
        let name =
            self.persist.aof.manifest.as_ref().and_then(|m| m.incrs.last()).map(|(n, _)| n.clone()).unwrap_or_default();
        self.aof_path(&name)
    }

    fn write_manifest(&mut self, ctx: &mut Ctx<'_>, manifest: Manifest) {
        // Redis writes a temp manifest, fsyncs it and renames it: the manifest is always durable.
        ctx.disk.write_synced(&self.manifest_path(), Content::Manifest(manifest.clone()));
        self.persist.aof.manifest = Some(manifest);
    }

    fn refresh_aof_sizes(&mut self, ctx: &Ctx<'_>) {
        let Some(m) = &self.persist.aof.manifest else { return };
        let size = |name: &str| ctx.disk.get(&format!("{}/{name}", self.config.appenddirname)).map_or(0, |f| f.size());
        let base = size(&m.base.0);
        let incr: u64 = m.incrs.iter().map(|(n, _)| size(n)).sum();
        self.persist.aof.base_size = base;
        self.persist.aof.current_size = base + incr;
    }

    /// Append writes to the AOF (and, with appendfsync always, make them durable before anyone hears OK).
    pub(crate) fn feed_aof(&mut self, ctx: &mut Ctx<'_>, commands: &[Vec<Vec<u8>>]) {
        let a = &self.persist.aof;
        let no_incr = a.manifest.as_ref().is_none_or(|m| m.incrs.is_empty());
        if !self.config.appendonly || no_incr || (a.waiting_first_rewrite && a.rewrite.is_none()) {
            return;
        }
        let path = self.aof_incr_path();
        if !self.persist.aof.selected_db {
            ctx.disk.append(&path, vec![b"SELECT".to_vec(), b"0".to_vec()]);
            self.persist.aof.selected_db = true;
        }
        for c in commands {
            ctx.disk.append(&path, c.clone());
        }
        if self.config.appendfsync == Fsync::Always {
            ctx.disk.fsync(&path);
        }
        self.refresh_aof_sizes(ctx);
        self.everysec_fsync(ctx);
    }

    /// appendfsync everysec, as flushAppendOnlyFile runs it before the event loop sleeps (after each batch
    /// of writes and each serverCron): a background fsync of what was written starts when none is at work
    /// and the Unix second is later than the last one's (`server.unixtime > server.aof_last_fsync`). So the
    /// first write of a new second is fsynced at once, and a write later in that second waits for the first
    /// write or cron of the next second.
    pub(crate) fn everysec_fsync(&mut self, ctx: &mut Ctx<'_>) {
        let a = &self.persist.aof;
        let now = ctx.unix_ms() / 1000;
        if !self.config.appendonly
            || self.config.appendfsync != Fsync::Everysec
            || a.manifest.is_none()
            || a.fsync_in_progress.is_some()
            || now <= a.last_fsync
        {
            return;
        }
        let path = self.aof_incr_path();
        let Some(upto) = ctx.disk.get(&path).filter(|f| f.synced < f.size()).map(|f| f.size()) else { return };
        self.persist.aof.fsync_in_progress = Some(path);
        self.persist.aof.last_fsync = now;
        ctx.out.set_timer(ctx.disk.params.fsync_ms, Timer::AofFsyncDone { upto });
    }

    /// appendfsync always: the reply leaves only after the fsync, which takes the disk's fsync time.
    pub(crate) fn hold_reply(&mut self, ctx: &mut Ctx<'_>, to: ProcId, id: u64, reply: Reply) {
        if self.persist.aof.held_replies.is_empty() {
            ctx.out.set_timer(ctx.disk.params.fsync_ms, Timer::ReleaseReplies);
        }
        self.persist.aof.held_replies.push((to, id, reply));
    }

    pub(crate) fn release_replies(&mut self, ctx: &mut Ctx<'_>) {
        for (to, id, reply) in std::mem::take(&mut self.persist.aof.held_replies) {
            ctx.out.send(to, crate::process::Message::Response { id, reply });
        }
    }

    /// serverCron's automatic rewrite (checked only in a cron with no child at work): the AOF passed
    /// auto-aof-rewrite-min-size and grew by auto-aof-rewrite-percentage since the last rewrite.
    pub(crate) fn auto_aof_rewrite(&mut self, ctx: &mut Ctx<'_>) {
        if !self.config.appendonly || self.persist.aof.manifest.is_none() {
            return;
        }
        let a = &self.persist.aof;
        let pct = self.config.auto_aof_rewrite_percentage;
        if pct > 0
            && a.rewrite.is_none()
            && self.persist.bgsave.is_none()
            && a.current_size > self.config.auto_aof_rewrite_min_size
        {
            let base = a.rewrite_base_size.max(1);
            let growth = (a.current_size.saturating_sub(base)) * 100 / base;
            if growth >= pct {
                self.log(ctx, format!("Starting automatic rewriting of AOF on {growth}% growth"));
                self.start_aof_rewrite(ctx);
            }
        }
    }

    pub(crate) fn aof_fsync_done(&mut self, ctx: &mut Ctx<'_>, upto: u64) {
        if let Some(path) = self.persist.aof.fsync_in_progress.take() {
            ctx.disk.synced_upto(&path, upto);
        }
    }

    /// BGREWRITEAOF: open a new incremental file for the writes to come (none while appendonly is off), and
    /// fork a child that writes the dataset of this instant as the next base file.
    pub(crate) fn start_aof_rewrite(&mut self, ctx: &mut Ctx<'_>) {
        let Manifest { base, mut incrs } = self.persist.aof.manifest.clone().unwrap_or_default();
        let seq = incrs.last().map_or(base.1, |(_, s)| *s) + 1;
        let incr = format!("{}.{seq}.incr.aof", self.config.appendfilename);
        let mut first_incr = None;
        if self.persist.aof.waiting_first_rewrite {
            // openNewIncrAofForAppend in AOF_WAIT_REWRITE: a temp file, and no manifest change yet.
            let temp = self.temp_incr_name();
            ctx.disk.write(&self.aof_path(&temp), Content::Aof(AofLog::default()));
            self.log(ctx, format!("Creating AOF incr file {temp} on background rewrite"));
            incrs.push((temp, seq));
            self.persist.aof.manifest = Some(Manifest { base, incrs });
            first_incr = Some((incr, seq));
        } else if self.config.appendonly {
            // openNewIncrAofForAppend: the old incremental file is fsynced (in the background) and closed.
            ctx.disk.fsync(&self.aof_incr_path());
            self.persist.aof.last_fsync = ctx.unix_ms() / 1000;
            incrs.push((incr.clone(), seq));
            ctx.disk.write(&self.aof_path(&incr), Content::Aof(AofLog::default()));
            self.write_manifest(ctx, Manifest { base, incrs });
            self.log(ctx, format!("Creating AOF incr file {incr} on background rewrite"));
        } else {
            self.persist.aof.manifest = Some(Manifest { base, incrs });
        }
        self.persist.aof.selected_db = false;
        let image = Rc::new(RdbImage { data: self.db.clone(), repl: None });
        let pid = self.child_pid();
        let ms = (image.size() / ctx.disk.params.write_bytes_per_ms).max(1);
        self.persist.aof.rewrite = Some(Rewrite { started: ctx.now, pid, image, first_incr, exited: false });
        // Redis counts a rewrite when the child forks.
        self.persist.aof.rewrites += 1;
        self.log(ctx, format!("Background append only file rewriting started by pid {pid}"));
        ctx.out.note(TraceEvent::Child { proc: ctx.me, job: "aof-rewrite".into(), done: false, ok: true });
        ctx.out.set_timer(ms, Timer::AofRewriteDone);
    }

    /// The rewrite child has written the new base and exited: the parent reaps it at its next serverCron.
    pub(crate) fn aof_rewrite_child_exited(&mut self) {
        if let Some(job) = self.persist.aof.rewrite.as_mut() {
            job.exited = true;
        }
    }

    /// `temp-appendonly.aof.incr`: the incremental file of the first rewrite after `appendonly yes`.
    fn temp_incr_name(&self) -> String {
        format!("temp-{}.incr", self.config.appendfilename)
    }

    /// killAppendOnlyChild: the child and its temp files are gone; no rewrite happened.
    fn kill_aof_rewrite(&mut self, ctx: &mut Ctx<'_>) {
        let Some(job) = self.persist.aof.rewrite.take() else { return };
        self.log(ctx, format!("Killing running AOF rewrite child: {}", job.pid));
        if job.first_incr.is_some() {
            let temp = self.aof_path(&self.temp_incr_name());
            ctx.disk.remove(&temp);
            if let Some(m) = self.persist.aof.manifest.as_mut() {
                m.incrs.pop();
            }
        }
        ctx.out.note(TraceEvent::Child { proc: ctx.me, job: "aof-rewrite".into(), done: true, ok: false });
    }

    /// The child wrote the new base: it replaces the old base and the incremental files written before the
    /// fork (backgroundRewriteDoneHandler).
    pub(crate) fn aof_rewrite_done(&mut self, ctx: &mut Ctx<'_>) {
        let Some(job) = self.persist.aof.rewrite.take() else { return };
        let old = self.persist.aof.manifest.clone().unwrap_or_default();
        self.log(ctx, "Background AOF rewrite terminated with success");
        let seq = old.base.1 + 1;
        let (name, content) = if self.config.aof_use_rdb_preamble {
            (format!("{}.{seq}.base.rdb", self.config.appendfilename), Content::Rdb(job.image.clone()))
        } else {
            let mut log = AofLog::default();
            log.append(vec![b"SELECT".to_vec(), b"0".to_vec()]);
            for (k, v) in job.image.data.iter() {
                log.append(vec![b"SET".to_vec(), k.clone(), v.clone()]);
                if let Some(at) = job.image.data.expire_at(k) {
                    log.append(vec![b"PEXPIREAT".to_vec(), k.clone(), at.to_string().into_bytes()]);
                }
            }
            (format!("{}.{seq}.base.aof", self.config.appendfilename), Content::Aof(log))
        };
        ctx.disk.write_synced(&self.aof_path(&name), content);
        self.log(
            ctx,
            format!("Successfully renamed the temporary AOF base file temp-rewriteaof-bg-{}.aof into {name}", job.pid),
        );
        // The incremental file the writes go to now, if any: every older one is history.
        let mut older: Vec<(String, u32)> = old.incrs.clone();
        let current = match job.first_incr {
            Some((incr, incr_seq)) => {
                let temp = self.temp_incr_name();
                older.retain(|(n, _)| *n != temp);
                ctx.disk.rename(&self.aof_path(&temp), &self.aof_path(&incr));
                self.log(ctx, format!("Successfully renamed the temporary AOF incr file {temp} into {incr}"));
                Some((incr, incr_seq))
            }
            None if self.config.appendonly => older.pop(),
            None => None,
        };
        // markRewrittenIncrAofAsHistory puts the incremental files before the old base.
        let history: Vec<String> =
            older.into_iter().map(|(n, _)| n).chain(std::iter::once(old.base.0)).filter(|n| !n.is_empty()).collect();
        self.write_manifest(ctx, Manifest { base: (name, seq), incrs: current.into_iter().collect() });
        for h in &history {
            ctx.disk.remove(&self.aof_path(h));
            self.log(ctx, format!("Removing the history file {h} in the background"));
        }
        self.refresh_aof_sizes(ctx);
        let a = &mut self.persist.aof;
        a.rewrite_base_size = a.current_size;
        a.last_rewrite_ok = true;
        a.last_rewrite_secs = Some(ctx.unix_secs_since(job.started));
        a.waiting_first_rewrite = false;
        self.log(ctx, "Background AOF rewrite finished successfully");
        ctx.out.note(TraceEvent::Child { proc: ctx.me, job: "aof-rewrite".into(), done: true, ok: true });
        self.start_scheduled_child(ctx);
    }

    /// Startup with appendonly yes. Returns the bytes read (for the loading time), or `None` when the server
    /// must refuse to start.
    pub(crate) fn load_aof(&mut self, ctx: &mut Ctx<'_>) -> Option<u64> {
        let manifest = match ctx.disk.get(&self.manifest_path()).map(|f| f.content.clone()) {
            Some(Content::Manifest(m)) => m,
            _ => {
                // No AOF yet: Redis 7 starts empty (an RDB beside it is not read) and creates the files.
                let base = format!("{}.1.base.rdb", self.config.appendfilename);
                let incr = format!("{}.1.incr.aof", self.config.appendfilename);
                let image = Rc::new(RdbImage { data: self.db.clone(), repl: None });
                ctx.disk.write_synced(&self.aof_path(&base), Content::Rdb(image));
                ctx.disk.write_synced(&self.aof_path(&incr), Content::Aof(AofLog::default()));
                self.log(ctx, format!("Creating AOF base file {base} on server start"));
                self.log(ctx, format!("Creating AOF incr file {incr} on server start"));
                self.write_manifest(ctx, Manifest { base: (base, 1), incrs: vec![(incr, 1)] });
                self.refresh_aof_sizes(ctx);
                self.persist.aof.rewrite_base_size = self.persist.aof.current_size;
                return Some(0);
            }
        };
        let mut bytes = 0;
        let files: Vec<(String, bool)> = std::iter::once((manifest.base.0.clone(), false))
            .chain(manifest.incrs.iter().enumerate().map(|(i, (n, _))| (n.clone(), i + 1 == manifest.incrs.len())))
            .collect();
        for (name, is_last) in files {
            let path = self.aof_path(&name);
            match ctx.disk.get(&path).map(|f| f.content.clone()) {
                Some(Content::Rdb(image)) => {
                    self.log(ctx, "Reading RDB base file on AOF loading...");
                    self.db = image.data.clone();
                    self.persist.last_load_keys = self.db.len() as u64;
                    self.persist.last_load_expired = 0;
                    bytes += image.size();
                }
                Some(Content::Aof(log)) => {
                    for c in &log.commands {
                        self.apply_loaded(ctx, c);
                    }
                    bytes += log.len();
                    if log.torn_tail > 0 {
                        self.log(ctx, format!("!!! Warning: short read while loading the AOF file {name}!!!"));
                        if !(is_last && self.config.aof_load_truncated) {
                            self.log(ctx, format!("Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"));
                            return None;
                        }
                        let valid = log.len() - log.torn_tail;
                        self.log(ctx, format!("!!! Truncating the AOF incr file {name} at offset {valid} !!!"));
                        self.log(ctx, "AOF loaded anyway because aof-load-truncated is enabled");
                        ctx.disk.chop(&path, log.torn_tail);
                    }
                }
                None if name == manifest.base.0 => {}
                _ => {
                    self.log(ctx, format!("Fatal error: the AOF file {name} doesn't exist"));
                    return None;
                }
            }
        }
        self.persist.aof.manifest = Some(manifest);
        self.refresh_aof_sizes(ctx);
        self.persist.aof.rewrite_base_size = self.persist.aof.current_size;
        self.log(ctx, "DB loaded from append only file");
        Some(bytes)
    }

    /// Replay one command read from an AOF: no checks, no reply, no propagation, not appended again.
    fn apply_loaded(&mut self, ctx: &mut Ctx<'_>, command: &[Vec<u8>]) {
        let name = command.first().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        if name == b"select" {
            return;
        }
        let dirty_before = self.dirty;
        if let Some(spec) = super::lookup(&name) {
            if spec.arity_ok(command.len()) {
                self.replaying = true;
                let _ = spec.handler.call(self, ctx, command);
                self.replaying = false;
            }
        }
        self.propagate_as = None;
        // Replayed writes count as changes, as in Redis: rdb_changes_since_last_save after a restart from the
        // AOF is the number of writes read from its command files, and the save points run from there.
        self.persist.changes += self.dirty - dirty_before;
    }

    /// CONFIG SET appendonly yes|no on a running server (startAppendOnly / stopAppendOnly).
    pub(crate) fn appendonly_changed(&mut self, ctx: &mut Ctx<'_>, was: bool) {
        match (was, self.config.appendonly) {
            (false, true) => {
                self.persist.aof.waiting_first_rewrite = true;
                self.persist.aof.last_fsync = ctx.unix_ms() / 1000;
                if self.persist.bgsave.is_some() {
                    self.persist.aof.rewrite_scheduled = true;
                    self.log(ctx, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
                    return;
                }
                if self.persist.aof.rewrite.is_some() {
                    // That rewrite does not collect the writes since its fork: a new one must start.
                    self.log(ctx, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                    self.kill_aof_rewrite(ctx);
                }
                self.start_aof_rewrite(ctx);
            }
            (true, false) => {
                if !self.persist.aof.waiting_first_rewrite {
                    let incr = self.aof_incr_path();
                    ctx.disk.fsync(&incr);
                }
                self.persist.aof.waiting_first_rewrite = false;
                self.persist.aof.rewrite_scheduled = false;
                self.kill_aof_rewrite(ctx);
                self.start_scheduled_child(ctx);
            }
            _ => {}
        }
    }
}

pub fn bgrewriteaof(server: &mut Server, ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    if server.persist.aof.rewrite.is_some() {
        return Reply::err("ERR Background append only file rewriting already in progress");
    }
    if server.persist.bgsave.is_some() {
        server.persist.aof.rewrite_scheduled = true;
        return Reply::Status("Background append only file rewriting scheduled".into());
    }
    server.start_aof_rewrite(ctx);
    Reply::Status("Background append only file rewriting started".into())
}
