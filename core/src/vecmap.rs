//! `VecMap` and `VecSet`: a map and a set kept as one `Vec` sorted by key, for the many small collections
//! of the simulator (a server's replicas, a client's requests in flight, a sentinel's peers, a host's files).
//!
//! Why not `BTreeMap`: every key/value type of a `BTreeMap` instantiates its own node insertion, splitting,
//! merging, iteration, clone and drop code, and with some fifty such types that was about a quarter of the
//! WebAssembly package. Here each type gets a binary search and `Vec` moves. Iteration is in key order, and
//! `insert`, `entry` and `extend` keep the first key and the last value as `BTreeMap` does, so replacing one
//! by the other changes no behaviour. Inserting and removing move the entries after the position: use these
//! only for collections that stay small (at most one entry per process or host) in every scenario; the
//! keyspace and cluster node tables stay `BTreeMap`s. Per-connection state is one of these per process (its
//! peers), not one map over the square of the processes.

use crate::json::{Json, ToJson};
use std::borrow::Borrow;
use std::fmt;

/// A map sorted by key. See the module documentation for when to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap { entries: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keep the entries for which `keep` is true (called in key order).
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// Where `key` is (`Ok`) or would go (`Err`): the one search every operation shares.
    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        // `get` rather than indexing: no bounds-check panic per key type in the page's package.
        self.position(key).ok().and_then(|i| self.entries.get(i)).map(|(_, v)| v)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().and_then(|i| self.entries.get_mut(i)).map(|(_, v)| v)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Insert or replace; the old value if there was one (the key already there is kept, as in `BTreeMap`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.position(&key);
        Entry { map: self, key, at }
    }
}

/// A place in a [`VecMap`] for `or_insert` and friends.
pub struct Entry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn or_insert_with(self, value: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.map.entries.insert(i, (self.key, value()));
                i
            }
        };
        &mut self.map.entries[i].1
    }

    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut map = VecMap::new();
        map.extend(items);
        map
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// The entries of a [`VecMap`] by reference, in key order.
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter(self.0.clone())
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// The entries of a [`VecMap`] with mutable values, in key order.
pub struct IterMut<'a, K, V>(std::slice::IterMut<'a, (K, V)>);

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

/// Written as an object in key order, exactly as serde_json wrote a `BTreeMap` (scenario files hold a
/// server's config this way).
impl<K: AsRef<str>, V: ToJson> ToJson for VecMap<K, V> {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        for (k, v) in self.iter() {
            o.field(k.as_ref(), v);
        }
    }
}

/// A set sorted by value: a [`VecMap`] without values. See the module documentation for when to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

impl<T: Ord> VecSet<T> {
    fn position<Q: Ord + ?Sized>(&self, item: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        self.items.binary_search_by(|x| x.borrow().cmp(item))
    }

    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.position(item).is_ok()
    }

    /// True when `item` was not there yet (an equal item already there is kept, as in `BTreeSet`).
    pub fn insert(&mut self, item: T) -> bool {
        match self.position(&item) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, item);
                true
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.position(item).map(|i| self.items.remove(i)).is_ok()
    }
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// One sort for the whole batch rather than an insertion each: a partition of a large cluster adds many
/// host pairs at once. The sort is stable and `dedup` keeps the first, so items already there stay.
impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        self.items.extend(items);
        crate::sort::sort_by(&mut self.items, T::cmp);
        self.items.dedup();
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut set = VecSet::new();
        set.extend(items);
        set
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A small deterministic generator (Knuth's MMIX LCG); the high bits are the random ones.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn same<K: Ord + Clone + fmt::Debug, V: PartialEq + Clone + fmt::Debug>(v: &VecMap<K, V>, b: &BTreeMap<K, V>) {
        assert_eq!(v.len(), b.len());
        assert_eq!(v.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
        assert_eq!(v.iter().rev().collect::<Vec<_>>(), b.iter().rev().collect::<Vec<_>>());
        assert_eq!(v.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        assert_eq!(v.values().collect::<Vec<_>>(), b.values().collect::<Vec<_>>());
        assert_eq!(v.clone().into_iter().collect::<Vec<_>>(), b.clone().into_iter().collect::<Vec<_>>());
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
    }

    #[test]
    fn a_vecmap_behaves_as_a_btreemap_under_random_operations() {
        let mut rng = Lcg(7);
        let mut v: VecMap<u64, u64> = VecMap::new();
        let mut b: BTreeMap<u64, u64> = BTreeMap::new();
        for step in 0..20_000 {
            let key = rng.below(64);
            let value = rng.below(1000);
            match rng.below(10) {
                0..=2 => assert_eq!(v.insert(key, value), b.insert(key, value)),
                3 | 4 => assert_eq!(v.remove(&key), b.remove(&key)),
                5 => {
                    *v.entry(key).or_insert(value) += 1;
                    *b.entry(key).or_insert(value) += 1;
                }
                6 => {
                    *v.entry(key).or_default() += value;
                    *b.entry(key).or_default() += value;
                }
                7 => {
                    if let (Some(x), Some(y)) = (v.get_mut(&key), b.get_mut(&key)) {
                        *x += 1;
                        *y += 1;
                    }
                }
                8 => {
                    v.retain(|k, x| (k + *x) % 7 != step % 7);
                    b.retain(|k, x| (k + *x) % 7 != step % 7);
                }
                _ => {
                    for x in v.values_mut() {
                        *x = (*x * 3) % 1000;
                    }
                    for x in b.values_mut() {
                        *x = (*x * 3) % 1000;
                    }
                }
            }
            assert_eq!(v.get(&key), b.get(&key));
            assert_eq!(v.contains_key(&key), b.contains_key(&key));
            if step % 97 == 0 {
                same(&v, &b);
            }
        }
        same(&v, &b);
    }

    #[test]
    fn entry_inserts_once_and_keeps_key_order() {
        let mut v: VecMap<String, Vec<u32>> = VecMap::new();
        for (i, k) in ["b", "a", "c", "a", "b"].into_iter().enumerate() {
            v.entry(k.to_string()).or_insert_with(|| vec![9]).push(i as u32);
        }
        assert_eq!(v.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(v["a"], [9, 1, 3]);
        assert_eq!(v.get("b"), Some(&vec![9, 0, 4]));
        assert_eq!(v.remove("c"), Some(vec![9, 2]));
        assert!(!v.contains_key("c"));
        for (_, x) in &mut v {
            x.clear();
        }
        assert!(v.values().all(Vec::is_empty));
    }

    #[test]
    fn collecting_keeps_the_last_value_of_a_repeated_key_as_a_btreemap_does() {
        let pairs = [(3, "x"), (1, "y"), (3, "z"), (2, "w")];
        let v: VecMap<_, _> = pairs.into_iter().collect();
        let b: BTreeMap<_, _> = pairs.into_iter().collect();
        same(&v, &b);
    }

    #[test]
    fn a_vecmap_serializes_and_decodes_as_a_btreemap_does() {
        let b: BTreeMap<String, u32> = [("b".to_string(), 2), ("a".to_string(), 1)].into_iter().collect();
        let v: VecMap<String, u32> = b.clone().into_iter().collect();
        assert_eq!(crate::json::to_string(&v), serde_json::to_string(&b).unwrap());
        let text = r#"{"z": 1, "y": 2, "z": 3}"#;
        let v: VecMap<String, u32> = crate::decode::from_str(text).unwrap();
        let b: BTreeMap<String, u32> = crate::decode::from_str(text).unwrap();
        same(&v, &b);
    }

    #[test]
    fn a_vecset_behaves_as_a_btreeset_under_random_operations() {
        let mut rng = Lcg(11);
        let mut v: VecSet<(u64, u64)> = VecSet::new();
        let mut b: BTreeSet<(u64, u64)> = BTreeSet::new();
        for step in 0..20_000 {
            let item = (rng.below(8), rng.below(8));
            match rng.below(6) {
                0 | 1 => assert_eq!(v.insert(item), b.insert(item)),
                2 | 3 => assert_eq!(v.remove(&item), b.remove(&item)),
                4 => {
                    let batch: Vec<_> = (0..rng.below(5)).map(|_| (rng.below(8), rng.below(8))).collect();
                    v.extend(batch.iter().copied());
                    b.extend(batch.iter().copied());
                }
                _ if step % 50 == 0 => {
                    v.clear();
                    b.clear();
                }
                _ => {
                    v.retain(|x| x.0 != item.0);
                    b.retain(|x| x.0 != item.0);
                }
            }
            assert_eq!(v.contains(&item), b.contains(&item));
            assert_eq!(v.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
            assert_eq!((v.first(), v.last(), v.len()), (b.first(), b.last(), b.len()));
        }
        assert_eq!(format!("{v:?}"), format!("{b:?}"));
    }
}
