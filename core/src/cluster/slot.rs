//! Key → hash slot: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no reflection) of the key, modulo
//! 16384. A hash tag — the text between the first `{` and the first `}` after it, if not empty — is hashed
//! instead of the whole key, so related keys can share a slot.

/// The number of hash slots.
pub const SLOTS: u16 = 16384;

/// CRC16/XMODEM, as Redis's crc16.c computes it.
pub fn crc16(data: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(data)
}

/// The part of the key that is hashed: its hash tag if it has a non-empty one, else the whole key.
pub fn hash_part(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// `CLUSTER KEYSLOT`: the slot a key lives in.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_part(key)) & (SLOTS - 1)
}

/// The slot ranges `redis-cli --cluster create` gives `masters` masters (0-5460, 5461-10922, 10923-16383 for
/// 3), computed as redis-cli does: a float cursor advancing by 16384/masters, each range ending at the rounded
/// cursor.
pub fn create_ranges(masters: usize) -> Vec<(u16, u16)> {
    let masters = masters.max(1);
    let per = f32::from(SLOTS) / masters as f32;
    let mut cursor = 0.0f32;
    let mut first: i64 = 0;
    let mut ranges = Vec::with_capacity(masters);
    for i in 0..masters {
        let mut last = (cursor + per - 1.0).round() as i64;
        if last > i64::from(SLOTS) || i == masters - 1 {
            last = i64::from(SLOTS) - 1;
        }
        last = last.max(first);
        ranges.push((first as u16, last as u16));
        first = last + 1;
        cursor += per;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn crc16_is_xmodem() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_redis() {
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b"foo{bar}{zap}"), 5061, "the first tag is hashed");
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 16383, "an empty first tag hashes the whole key");
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"{user1000}.followers"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), crc16(b"{bar") & 16383, "the tag ends at the first closing brace");
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn create_splits_like_redis_cli() {
        assert_eq!(create_ranges(3), vec![(0, 5460), (5461, 10922), (10923, 16383)]);
        let r = create_ranges(5);
        assert_eq!(r.first().map(|r| r.0), Some(0));
        assert_eq!(r.last().map(|r| r.1), Some(16383));
        assert!(r.windows(2).all(|w| w[0].1 + 1 == w[1].0));
    }
}
