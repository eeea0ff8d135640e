//! A host's disk: named files whose bytes are either only written (in the OS page cache) or also fsynced.
//! A process crash keeps the page cache (the kernel still holds it); a power loss keeps what was fsynced,
//! plus whatever part of the rest the kernel's writeback had already put on the platter — which is how an
//! append-only file ends with half a command.
//!
//! Contents are kept as structure (a snapshot, a list of commands) rather than bytes, with byte sizes as
//! Redis would produce them, so loading a file is replaying data rather than parsing it.

use crate::resp::command_len;
use crate::rng::Rng;
use crate::server::keyspace::Keyspace;
use crate::vecmap::VecMap;
use std::rc::Rc;

/// An RDB file: the dataset, and the replication id and offset it was taken at (so that a restarted replica
/// can partially resynchronize).
#[derive(Clone, Debug)]
pub struct RdbImage {
    pub data: Keyspace,
    pub repl: Option<(String, u64)>,
}

impl RdbImage {
    pub fn size(&self) -> u64 {
        self.data.rdb_size() + if self.repl.is_some() { 60 } else { 0 }
    }
}

/// An append-only file: commands in RESP form, each with the byte offset where it ends.
#[derive(Clone, Debug, Default)]
pub struct AofLog {
    pub commands: Vec<Vec<Vec<u8>>>,
    ends: Vec<u64>,
    /// Bytes of a last command that was cut short (a torn write): on disk, but not a whole command.
    pub torn_tail: u64,
}

impl AofLog {
    pub fn len(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0) + self.torn_tail
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn append(&mut self, command: Vec<Vec<u8>>) {
        let end = self.len() + command_len(&command);
        self.commands.push(command);
        self.ends.push(end);
    }

    /// Keep only the first `bytes`; a command cut in the middle leaves a torn tail.
    pub fn truncate(&mut self, bytes: u64) {
        let whole = self.ends.iter().take_while(|&&e| e <= bytes).count();
        let kept_end = if whole == 0 { 0 } else { self.ends[whole - 1] };
        self.torn_tail =
            if whole < self.ends.len() || self.torn_tail > 0 { bytes.min(self.len()) - kept_end } else { 0 };
        self.commands.truncate(whole);
        self.ends.truncate(whole);
    }

    /// What `redis-check-aof --fix` and `aof-load-truncated yes` do: drop the torn tail.
    pub fn drop_torn_tail(&mut self) {
        self.torn_tail = 0;
    }
}

/// Redis 7's multi-part AOF manifest: one base file, then incremental files in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: (String, u32),
    pub incrs: Vec<(String, u32)>,
}

impl Manifest {
    /// The manifest's text, as Redis writes `appendonly.aof.manifest`.
    pub fn text(&self) -> String {
        let mut s = format!("file {} seq {} type b\n", self.base.0, self.base.1);
        for (name, seq) in &self.incrs {
            s.push_str(&format!("file {name} seq {seq} type i\n"));
        }
        s
    }
}

#[derive(Clone, Debug)]
pub enum Content {
    Rdb(Rc<RdbImage>),
    Aof(AofLog),
    Manifest(Manifest),
    /// A cluster node's nodes.conf.
    ClusterConfig(Rc<crate::cluster::state::ClusterState>),
}

impl Content {
    pub fn size(&self) -> u64 {
        match self {
            Content::Rdb(image) => image.size(),
            Content::Aof(log) => log.len(),
            Content::Manifest(m) => m.text().len() as u64,
            Content::ClusterConfig(c) => 130 * c.nodes.len() as u64,
        }
    }
}

#[derive(Clone, Debug)]
pub struct File {
    pub content: Content,
    /// Bytes known to be on stable storage.
    pub synced: u64,
}

impl File {
    pub fn size(&self) -> u64 {
        self.content.size()
    }
}

/// Speeds and delays of a host's storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskParams {
    /// How long an fsync takes, in ms.
    pub fsync_ms: u64,
    /// Sequential write speed, in bytes per ms (what a BGSAVE or an AOF rewrite takes).
    pub write_bytes_per_ms: u64,
    /// The OS writes dirty pages back this often, in ms (what `appendfsync no` relies on; Linux: ~30 s).
    pub os_flush_ms: u64,
}

impl Default for DiskParams {
    fn default() -> Self {
        DiskParams { fsync_ms: 2, write_bytes_per_ms: 200_000, os_flush_ms: 30_000 }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub params: DiskParams,
    files: VecMap<String, File>,
}

impl Disk {
    pub fn new(params: DiskParams) -> Disk {
        Disk { params, files: VecMap::new() }
    }

    pub fn files(&self) -> impl Iterator<Item = (&String, &File)> {
        self.files.iter()
    }

    pub fn get(&self, path: &str) -> Option<&File> {
        self.files.get(path)
    }

    pub fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Create or replace a file with `content`, written but not yet fsynced.
    pub fn write(&mut self, path: &str, content: Content) {
        self.files.insert(path.to_string(), File { content, synced: 0 });
    }

    /// Create or replace a file and fsync it (Redis fsyncs RDB files and manifests before renaming them).
    pub fn write_synced(&mut self, path: &str, content: Content) {
        let synced = content.size();
        self.files.insert(path.to_string(), File { content, synced });
    }

    /// Append a command to an AOF file (created if missing).
    pub fn append(&mut self, path: &str, command: Vec<Vec<u8>>) {
        let file = self
            .files
            .entry(path.to_string())
            .or_insert_with(|| File { content: Content::Aof(AofLog::default()), synced: 0 });
        if let Content::Aof(log) = &mut file.content {
            log.append(command);
        }
    }

    /// fsync: everything written so far is durable.
    pub fn fsync(&mut self, path: &str) {
        if let Some(f) = self.files.get_mut(path) {
            f.synced = f.size();
        }
    }

    /// Mark at most `upto` bytes of `path` durable (an fsync that started when the file was that long).
    pub fn synced_upto(&mut self, path: &str, upto: u64) {
        if let Some(f) = self.files.get_mut(path) {
            f.synced = f.synced.max(upto.min(f.size()));
        }
    }

    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(f) = self.files.remove(from) {
            self.files.insert(to.to_string(), f);
        }
    }

    /// Remove a file, or every file under a directory (`appendonlydir` removes `appendonlydir/...`).
    pub fn remove(&mut self, path: &str) -> usize {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let before = self.files.len();
        self.files.retain(|name, _| name != path && !name.starts_with(&prefix));
        before - self.files.len()
    }

    /// Cut `bytes` off the end of an AOF file, as a torn write would. Returns false if there is no such AOF.
    pub fn chop(&mut self, path: &str, bytes: u64) -> bool {
        match self.files.get_mut(path) {
            Some(File { content: Content::Aof(log), synced }) => {
                let keep = log.len().saturating_sub(bytes);
                log.truncate(keep);
                *synced = (*synced).min(keep);
                true
            }
            _ => false,
        }
    }

    /// The OS writeback: every dirty page reaches the disk.
    pub fn flush_all(&mut self) {
        for f in self.files.values_mut() {
            f.synced = f.size();
        }
    }

    /// Power loss: each file keeps its fsynced bytes and a random part of the rest (writeback in progress).
    /// A file with nothing durable disappears; a snapshot not fully durable is unreadable and disappears too.
    pub fn power_loss(&mut self, rng: &mut Rng) {
        let mut gone = Vec::new();
        for (name, f) in self.files.iter_mut() {
            let size = f.size();
            if f.synced >= size {
                continue;
            }
            let keep = f.synced + rng.below(size - f.synced + 1);
            match &mut f.content {
                Content::Aof(log) if keep > 0 => {
                    log.truncate(keep);
                    f.synced = keep;
                }
                _ if keep >= size => f.synced = size,
                _ => gone.push(name.clone()),
            }
        }
        for name in gone {
            self.files.remove(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn set(k: &str) -> Vec<Vec<u8>> {
        vec![b"SET".to_vec(), k.as_bytes().to_vec(), b"v".to_vec()]
    }

    #[test]
    fn truncating_an_aof_mid_command_leaves_a_torn_tail() {
        let mut log = AofLog::default();
        log.append(set("a"));
        log.append(set("b"));
        let one = command_len(&set("a"));
        log.truncate(one + 5);
        assert_eq!(log.commands.len(), 1);
        assert_eq!(log.torn_tail, 5);
        assert_eq!(log.len(), one + 5);
        log.drop_torn_tail();
        assert_eq!(log.len(), one);
    }

    #[test]
    fn power_loss_keeps_what_was_fsynced_and_a_crash_keeps_everything() {
        let mut disk = Disk::default();
        for k in ["a", "b", "c"] {
            disk.append("aof", set(k));
        }
        disk.fsync("aof");
        for k in ["d", "e"] {
            disk.append("aof", set(k));
        }
        disk.write("temp.rdb", Content::Rdb(Rc::new(RdbImage { data: Keyspace::default(), repl: None })));
        let crash = disk.clone();
        assert_eq!(
            crash.get("aof").map(|f| f.size()),
            Some(5 * command_len(&set("a"))),
            "a process crash loses nothing"
        );
        let mut lost = 0;
        for seed in 0..50 {
            let mut d = disk.clone();
            d.power_loss(&mut Rng::new(seed));
            let size = d.get("aof").map(|f| f.size()).unwrap_or(0);
            assert!(size >= 3 * command_len(&set("a")), "fsynced bytes survive");
            lost += usize::from(size < 5 * command_len(&set("a")));
            assert!(!d.exists("temp.rdb") || d.get("temp.rdb").is_some_and(|f| f.synced == f.size()));
        }
        assert!(lost > 25, "unsynced bytes are usually lost");
    }
}
