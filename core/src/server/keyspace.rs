//! The keyspace: string values with optional expiry, kept in ordered maps so that every iteration (KEYS,
//! the active expiry cycle, snapshots) is deterministic.

use std::collections::BTreeMap;

/// Expiry instants are Unix milliseconds, as Redis stores them.
pub type UnixMs = u64;

#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    values: BTreeMap<Vec<u8>, Vec<u8>>,
    expires: BTreeMap<Vec<u8>, UnixMs>,
}

impl Keyspace {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn expires_count(&self) -> usize {
        self.expires.len()
    }

    fn is_expired(&self, key: &[u8], now: UnixMs) -> bool {
        self.expires.get(key).is_some_and(|&at| at <= now)
    }

    /// Delete `key` if its time has come (lazy expiry). Returns true when it was deleted.
    pub fn expire_if_needed(&mut self, key: &[u8], now: UnixMs) -> bool {
        if self.is_expired(key, now) {
            self.remove(key);
            true
        } else {
            false
        }
    }

    /// The value, treating an expired key as absent (the caller expires it first on a master).
    pub fn get(&self, key: &[u8], now: UnixMs) -> Option<&Vec<u8>> {
        if self.is_expired(key, now) {
            return None;
        }
        self.values.get(key)
    }

    pub fn contains(&self, key: &[u8], now: UnixMs) -> bool {
        self.get(key, now).is_some()
    }

    /// Set a value. `keep_ttl` keeps an existing expiry (SET ... KEEPTTL); otherwise a plain SET clears it.
    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>, keep_ttl: bool) {
        if !keep_ttl {
            self.expires.remove(&key);
        }
        self.values.insert(key, value);
    }

    pub fn remove(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key);
        self.values.remove(key).is_some()
    }

    pub fn expire_at(&self, key: &[u8]) -> Option<UnixMs> {
        self.expires.get(key).copied()
    }

    pub fn set_expire(&mut self, key: &[u8], at: UnixMs) {
        if self.values.contains_key(key) {
            self.expires.insert(key.to_vec(), at);
        }
    }

    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.expires.clear();
    }

    /// Keys in order, including those expired but not yet collected.
    pub fn keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.values.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.values.iter()
    }

    /// The keys whose expiry has passed, in order (the active expiry cycle deletes them).
    pub fn expired_keys(&self, now: UnixMs) -> Vec<Vec<u8>> {
        self.expires.iter().filter(|(_, &at)| at <= now).map(|(k, _)| k.clone()).collect()
    }

    /// The size of this dataset as an RDB file, estimated as Redis encodes it: a header and aux fields,
    /// then per key a type byte, length-prefixed key and value, and 9 bytes for an expiry; a checksum last.
    pub fn rdb_size(&self) -> u64 {
        fn len_prefix(n: usize) -> u64 {
            match n {
                0..=63 => 1,
                64..=16383 => 2,
                _ => 5,
            }
        }
        let keys: u64 = self
            .values
            .iter()
            .map(|(k, v)| 1 + len_prefix(k.len()) + k.len() as u64 + len_prefix(v.len()) + v.len() as u64)
            .sum();
        120 + keys + 9 * self.expires.len() as u64 + 8
    }

    /// Average remaining TTL of keys with an expiry, in ms (INFO keyspace's `avg_ttl`). The TTLs are summed
    /// as quotients and remainders by the count: the exact floor of the mean without a 128-bit sum, whose
    /// division is ~1 KB of wasm. (The remainders stay below count², far from overflowing.)
    pub fn avg_ttl(&self, now: UnixMs) -> u64 {
        let n = self.expires.len() as u64;
        if n == 0 {
            return 0;
        }
        let (mut quotients, mut remainders) = (0u64, 0u64);
        for &at in self.expires.values() {
            let ttl = at.saturating_sub(now);
            quotients += ttl / n;
            remainders += ttl % n;
        }
        quotients + remainders / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn avg_ttl_is_the_floor_of_the_exact_mean() {
        let mut ks = Keyspace::default();
        let ats = [1_500, 7, u64::MAX, u64::MAX - 3, 1_000_003, 0];
        for (i, &at) in ats.iter().enumerate() {
            let key = vec![b'k', i as u8];
            ks.set(key.clone(), Vec::new(), false);
            ks.set_expire(&key, at);
        }
        let now = 1_000;
        let total: u128 = ats.iter().map(|&at| u128::from(at.saturating_sub(now))).sum();
        assert_eq!(ks.avg_ttl(now), (total / ats.len() as u128) as u64);
        assert_eq!(Keyspace::default().avg_ttl(now), 0);
    }
}
