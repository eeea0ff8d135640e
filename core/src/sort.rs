//! One stable sort for the whole simulator. std's `sort_by_key` is compiled afresh for every element type
//! (about 3 KB of WebAssembly each); here a merge sort over positions, with the comparison behind a `dyn`,
//! is compiled once, and what is generic is only the closure that compares two elements and the swaps that
//! put them in order. The page's package is what this saves; the sorts here are of tens or thousands of items.

use std::cmp::Ordering;

/// Sort `items` by `key`, keeping equal items in their order (like `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sort `items` by `compare`, keeping equal items in their order (like `slice::sort_by`).
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|i, j| compare(&items[i], &items[j]));
    // `order[k]` is where the item that belongs at k is now. Put each in place with swaps, keeping track of
    // where the displaced items went (`at[p]`: which original item sits at p; `pos[i]`: where item i sits).
    let mut at: Vec<usize> = (0..items.len()).collect();
    let mut pos = at.clone();
    for (k, &wanted) in order.iter().enumerate() {
        let from = pos[wanted];
        if from != k {
            items.swap(k, from);
            let displaced = at[k];
            at.swap(k, from);
            pos[displaced] = from;
            pos[wanted] = k;
        }
    }
}

/// The positions 0..n in the order `compare` puts them, ties by position: a top-down merge sort.
fn sorted_positions(n: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut scratch = order.clone();
    merge_sort(&mut order, &mut scratch, compare);
    order
}

fn merge_sort(v: &mut [usize], scratch: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let mid = n / 2;
    merge_sort(&mut v[..mid], &mut scratch[..mid], compare);
    merge_sort(&mut v[mid..], &mut scratch[mid..], compare);
    if compare(v[mid - 1], v[mid]) != Ordering::Greater {
        return; // already in order: the common case for nearly sorted input
    }
    scratch[..n].copy_from_slice(v);
    let (left, right) = scratch[..n].split_at(mid);
    let (mut i, mut j) = (0, 0);
    for slot in v.iter_mut() {
        // Take from the left on ties: that is what keeps the sort stable.
        let take_left = j == right.len() || (i < left.len() && compare(left[i], right[j]) != Ordering::Greater);
        if take_left {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn sorts_like_std_and_keeps_ties_in_order() {
        let mut rng = Rng::new(7);
        for n in [0usize, 1, 2, 3, 5, 16, 17, 100, 1000] {
            // Few distinct keys, so that ties are many; the second field tells equal keys apart.
            let items: Vec<(u64, usize)> = (0..n).map(|i| (rng.below(7), i)).collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |x| x.0);
            let mut theirs = items.clone();
            theirs.sort_by_key(|x| x.0);
            assert_eq!(ours, theirs, "{n} items");
        }
    }

    #[test]
    fn sorts_items_that_cannot_be_copied() {
        let mut words: Vec<String> = ["pear", "fig", "apple", "kiwi", "banana", "date"].map(String::from).to_vec();
        sort_by(&mut words, |a, b| a.len().cmp(&b.len()));
        assert_eq!(words, ["fig", "pear", "kiwi", "date", "apple", "banana"]);
    }
}
