//! The replication backlog: the last `repl-backlog-size` bytes of the replication stream, kept so that a
//! replica that lost its link can continue where it stopped (`+CONTINUE`) instead of a full resync.
//! Kept as whole commands with their offsets; trimming drops whole commands from the front, so the window
//! is never larger than the configured size.

use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct Chunk {
    /// The stream offset before this chunk: its first byte is `from_offset + 1`.
    pub from_offset: u64,
    pub bytes: u64,
    pub commands: Rc<Vec<Vec<Vec<u8>>>>,
}

#[derive(Clone, Debug)]
pub struct Backlog {
    pub size: u64,
    chunks: VecDeque<Chunk>,
    histlen: u64,
    /// The offset of the last byte held (the owner's `master_repl_offset`).
    end_offset: u64,
}

impl Backlog {
    /// A new, empty backlog whose next byte will be `offset + 1`.
    pub fn new(size: u64, offset: u64) -> Backlog {
        Backlog { size, chunks: VecDeque::new(), histlen: 0, end_offset: offset }
    }

    pub fn append(&mut self, chunk: Chunk) {
        self.end_offset = chunk.from_offset + chunk.bytes;
        self.histlen += chunk.bytes;
        self.chunks.push_back(chunk);
        self.trim();
    }

    fn trim(&mut self) {
        while self.histlen > self.size {
            match self.chunks.pop_front() {
                Some(c) => self.histlen -= c.bytes,
                None => break,
            }
        }
    }

    pub fn resize(&mut self, size: u64) {
        self.size = size;
        self.trim();
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

    /// The chunks from byte `psync_offset` on, to send after `+CONTINUE`.
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
    fn window_and_partial_resync_rule() {
        let mut b = Backlog::new(100, 0);
        assert_eq!(b.first_byte_offset(), 1);
        assert!(b.covers(1), "a replica at offset 0 can continue from an empty backlog");
        for i in 0..5 {
            b.append(chunk(i * 30, 30));
        }
        // 150 bytes written, 100 kept as whole chunks: the last three (90 bytes).
        assert_eq!(b.histlen(), 90);
        assert_eq!(b.first_byte_offset(), 61);
        assert!(b.covers(61) && b.covers(151));
        assert!(!b.covers(60) && !b.covers(152));
        assert_eq!(b.tail_from(91).len(), 2);
    }
}
