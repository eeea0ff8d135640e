//! The replication backlog: the last `repl-backlog-size` bytes of the replication stream, kept so that a
//! replica that lost its link can continue where it stopped (`+CONTINUE`) instead of a full resync.
//! Redis 7.0 keeps the stream in blocks (its shared replication buffer) and frees only whole blocks, and only
//! while what is left still holds `repl-backlog-size` bytes: the backlog holds up to a block more than the
//! setting (`repl_backlog_histlen` 20660 with `repl-backlog-size 16kb`). The blocks are modelled by their
//! sizes; the stream itself is kept as whole commands with their offsets, the oldest possibly only partly
//! inside the window. Replicas never hold a block back here: the simulator has no output buffers (in Redis a
//! replica that has not read the oldest block yet keeps it).

use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct Chunk {
    /// The stream offset before this chunk: its first byte is `from_offset + 1`.
    pub from_offset: u64,
    pub bytes: u64,
    pub commands: Rc<Vec<Vec<Vec<u8>>>>,
}

/// The bytes a new block of the replication buffer holds, for `len` bytes still to store
/// (feedReplicationBuffer): at least 16 KB (PROTO_REPLY_CHUNK_BYTES), at most a sixteenth of the backlog (or
/// 16 KB), as jemalloc rounds the allocation up to its size class, less the block's 40-byte header.
fn block_capacity(len: u64, backlog_size: u64) -> u64 {
    const CHUNK: u64 = 16 * 1024;
    const HEADER: u64 = 40;
    let n = len.max(CHUNK).min((backlog_size / 16).max(CHUNK)) + HEADER;
    // jemalloc's size classes above 16 KB: four to each doubling.
    let delta = 1u64 << (63 - (n - 1).leading_zeros() - 2);
    n.div_ceil(delta) * delta - HEADER
}

#[derive(Clone, Debug)]
pub struct Backlog {
    pub size: u64,
    chunks: VecDeque<Chunk>,
    /// The replication buffer's blocks: (capacity, bytes used); all but the last are full.
    blocks: VecDeque<(u64, u64)>,
    histlen: u64,
    /// The offset of the last byte held (the owner's `master_repl_offset`).
    end_offset: u64,
}

impl Backlog {
    /// A new, empty backlog whose next byte will be `offset + 1`.
    pub fn new(size: u64, offset: u64) -> Backlog {
        Backlog { size, chunks: VecDeque::new(), blocks: VecDeque::new(), histlen: 0, end_offset: offset }
    }

    pub fn append(&mut self, chunk: Chunk) {
        let mut len = chunk.bytes;
        self.end_offset = chunk.from_offset + chunk.bytes;
        self.chunks.push_back(chunk);
        if let Some((capacity, used)) = self.blocks.back_mut() {
            let copy = len.min(*capacity - *used);
            *used += copy;
            self.histlen += copy;
            len -= copy;
        }
        while len > 0 {
            let capacity = block_capacity(len, self.size);
            let copy = len.min(capacity);
            self.blocks.push_back((capacity, copy));
            self.histlen += copy;
            len -= copy;
            // Redis trims each time it adds a block.
            self.trim();
        }
        self.drop_trimmed_chunks();
    }

    /// incrementalTrimReplicationBacklog: free whole blocks from the front while the rest still holds more
    /// than `size` bytes; never the last block.
    fn trim(&mut self) {
        while self.histlen > self.size && self.blocks.len() > 1 {
            let Some(&(capacity, used)) = self.blocks.front() else { break };
            if self.histlen - capacity <= self.size {
                break;
            }
            self.blocks.pop_front();
            self.histlen -= used;
        }
    }

    fn drop_trimmed_chunks(&mut self) {
        let first = self.first_byte_offset();
        while self.chunks.front().is_some_and(|c| c.from_offset + c.bytes < first) {
            self.chunks.pop_front();
        }
    }

    pub fn resize(&mut self, size: u64) {
        self.size = size;
        self.trim();
        self.drop_trimmed_chunks();
    }

    /// `repl_backlog_first_byte_offset`.
    pub fn first_byte_offset(&self) -> u64 {
        self.end_offset + 1 - self.histlen
    }

    /// `repl_backlog_histlen`.
    pub fn histlen(&self) -> u64 {
        self.histlen
    }

    /// Redis's rule: a replica asking for `psync_offset` (the next byte it needs) can continue if that byte
    /// is inside `[first_byte_offset, first_byte_offset + histlen]`.
    pub fn covers(&self, psync_offset: u64) -> bool {
        let first = self.first_byte_offset();
        psync_offset >= first && psync_offset <= first + self.histlen
    }

    /// The chunks from byte `psync_offset` on, to send after `+CONTINUE` (a replica's offset is always at
    /// the end of a chunk, so the chunk it needs is wholly inside the window).
    pub fn tail_from(&self, psync_offset: u64) -> Vec<Chunk> {
        self.chunks.iter().filter(|c| c.from_offset + 1 >= psync_offset).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn chunk(from: u64, bytes: u64) -> Chunk {
        Chunk { from_offset: from, bytes, commands: Rc::new(vec![]) }
    }

    #[test]
    fn block_sizes_are_jemallocs() {
        // 16 KB and its header take jemalloc's 20 KB class; a big write a block of its own, up to 1/16 of
        // the backlog.
        assert_eq!(block_capacity(50, 16 * 1024), 20440);
        assert_eq!(block_capacity(50_000, 1024 * 1024), 57304);
        assert_eq!(block_capacity(500_000, 1024 * 1024), 81880);
    }

    #[test]
    fn window_and_partial_resync_rule() {
        let mut b = Backlog::new(16 * 1024, 0);
        assert_eq!(b.first_byte_offset(), 1);
        assert!(b.covers(1), "a replica at offset 0 can continue from an empty backlog");
        // 30 writes of 1000 bytes: a first block of 20440 bytes, then a second; freeing the first would
        // leave less than 16 KB, so both stay (30000 bytes for a 16 KB backlog).
        for i in 0..30 {
            b.append(chunk(i * 1000, 1000));
        }
        assert_eq!((b.histlen(), b.first_byte_offset()), (30000, 1));
        // Past 20440 + 16384 bytes after the first block, it goes, whole.
        for i in 30..50 {
            b.append(chunk(i * 1000, 1000));
        }
        assert_eq!((b.histlen(), b.first_byte_offset()), (50000 - 20440, 20441));
        assert!(b.covers(20441) && b.covers(50001));
        assert!(!b.covers(20440) && !b.covers(50002));
        // The chunk holding byte 20441 is partly inside: a replica at 21000 continues with the next ones.
        assert_eq!(b.tail_from(21001).len(), 29);
    }
}
