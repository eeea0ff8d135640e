//! The network model: per-link latency with jitter, random loss, and partitions between hosts.
//!
//! Links behave like TCP connections in one respect that Redis relies on: messages between two processes
//! arrive in the order they were sent (a later message never overtakes an earlier one, whatever the
//! jitter). Loss and partitions drop messages; processes notice through their own timeouts, as Redis does.

use crate::process::ProcId;
use crate::rng::Rng;
use crate::time::SimTime;
use crate::vecmap::{VecMap, VecSet};

/// The behaviour of one direction of a link between two hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// One-way delay in ms before jitter.
    pub latency_ms: u64,
    /// Each message gets an extra uniform delay in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Probability of losing a message, in parts per million.
    pub loss_ppm: u32,
    /// Throughput in bytes per ms (1 Gbit/s = 125 000): a large payload such as an RDB transfer takes
    /// `size / bytes_per_ms` ms on top of the latency, and everything sent after it waits behind it.
    pub bytes_per_ms: u64,
}

impl LinkParams {
    /// Between processes on the same host: loopback, no delay worth a millisecond, no loss.
    pub const LOOPBACK: LinkParams = LinkParams { latency_ms: 0, jitter_ms: 0, loss_ppm: 0, bytes_per_ms: 1_000_000 };

    /// Megabits per second to bytes per ms.
    pub fn bytes_per_ms_from_mbps(mbps: u64) -> u64 {
        (mbps.saturating_mul(1000) / 8).max(1)
    }
}

/// Host indices are positions in the world's host list.
pub type HostIx = usize;

#[derive(Clone, Debug)]
pub struct Network {
    pub default: LinkParams,
    /// Per directed host pair overrides of `default`.
    links: VecMap<(HostIx, HostIx), LinkParams>,
    /// Directed host pairs whose messages are dropped (a partition; one-way when only one direction is in).
    cut: VecSet<(HostIx, HostIx)>,
    /// The last delivery time per directed process pair, to keep each connection in order: for each sender
    /// (by id), its receivers'. Like the world's open connections, a small map per process (it talks to at
    /// most every other one) rather than one `BTreeMap` over pairs, to keep B-tree code out of the package.
    last_delivery: Vec<VecMap<ProcId, SimTime>>,
}

/// What the network decided for one message.
pub struct Transit {
    pub deliver_at: SimTime,
    pub lost: bool,
}

impl Network {
    pub fn new(default: LinkParams) -> Network {
        Network { default, links: VecMap::new(), cut: VecSet::new(), last_delivery: Vec::new() }
    }

    pub fn params(&self, from: HostIx, to: HostIx) -> LinkParams {
        if from == to {
            return LinkParams::LOOPBACK;
        }
        self.links.get(&(from, to)).copied().unwrap_or(self.default)
    }

    pub fn set_link(&mut self, from: HostIx, to: HostIx, params: LinkParams) {
        self.links.insert((from, to), params);
    }

    /// Decide when a message sent now from one process to another arrives, and whether it is lost.
    pub fn transit(
        &mut self,
        rng: &mut Rng,
        now: SimTime,
        from: (ProcId, HostIx),
        to: (ProcId, HostIx),
        size_bytes: u64,
    ) -> Transit {
        let p = self.params(from.1, to.1);
        let jitter = if p.jitter_ms > 0 { rng.between(0, p.jitter_ms) } else { 0 };
        let lost = rng.chance_ppm(p.loss_ppm);
        let transfer = size_bytes / p.bytes_per_ms.max(1);
        let earliest = now + p.latency_ms + jitter + transfer;
        let slot = self.last_delivery(from.0, to.0);
        let deliver_at = earliest.max(*slot);
        *slot = deliver_at;
        Transit { deliver_at, lost }
    }

    /// The time a control packet (a FIN) sent now arrives: after the latency, and never before the data
    /// sent earlier on the same connection.
    pub fn fifo_time(&mut self, from: (ProcId, HostIx), to: (ProcId, HostIx), now: SimTime) -> SimTime {
        let earliest = now + self.params(from.1, to.1).latency_ms;
        let slot = self.last_delivery(from.0, to.0);
        *slot = earliest.max(*slot);
        *slot
    }

    /// When the last message from `from` to `to` arrives (zero before the first).
    fn last_delivery(&mut self, from: ProcId, to: ProcId) -> &mut SimTime {
        if self.last_delivery.len() <= from.index() {
            self.last_delivery.resize_with(from.index() + 1, VecMap::new);
        }
        self.last_delivery[from.index()].entry(to).or_insert(SimTime::ZERO)
    }

    pub fn is_cut(&self, from: HostIx, to: HostIx) -> bool {
        from != to && self.cut.contains(&(from, to))
    }

    /// Cut every link between hosts of different groups, in both directions.
    /// The pairs are added in one batch (one sort): half a 1000-host cluster against the other is 500000.
    pub fn partition(&mut self, groups: &[Vec<HostIx>]) {
        let mut pairs = Vec::new();
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i != j {
                    for &x in a {
                        pairs.extend(b.iter().map(|&y| (x, y)));
                    }
                }
            }
        }
        self.cut.extend(pairs);
    }

    /// Cut only the direction `from → to`: messages from the first set no longer reach the second.
    pub fn partition_one_way(&mut self, from: &[HostIx], to: &[HostIx]) {
        let mut pairs = Vec::new();
        for &x in from {
            pairs.extend(to.iter().filter(|&&y| x != y).map(|&y| (x, y)));
        }
        self.cut.extend(pairs);
    }

    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// The cut directed host pairs, in a stable order.
    pub fn cuts(&self) -> impl Iterator<Item = (HostIx, HostIx)> + '_ {
        self.cut.iter().copied()
    }

    /// The directed host pairs whose parameters differ from `default` (set by a `link` action), in a stable
    /// order.
    pub fn links(&self) -> impl Iterator<Item = ((HostIx, HostIx), LinkParams)> + '_ {
        self.links.iter().map(|(k, v)| (*k, *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn jitter_never_reorders_a_connection() {
        let mut net = Network::new(LinkParams { latency_ms: 5, jitter_ms: 50, loss_ppm: 0, bytes_per_ms: 125_000 });
        let mut rng = Rng::new(9);
        let mut last = SimTime::ZERO;
        for t in 0..200 {
            let tr = net.transit(&mut rng, SimTime(t), (ProcId(0), 0), (ProcId(1), 1), 100);
            assert!(tr.deliver_at >= last);
            assert!(tr.deliver_at >= SimTime(t + 5));
            last = tr.deliver_at;
        }
    }

    #[test]
    fn a_large_payload_takes_its_transfer_time_and_what_follows_waits() {
        let mut net = Network::new(LinkParams { latency_ms: 1, jitter_ms: 0, loss_ppm: 0, bytes_per_ms: 125_000 });
        let mut rng = Rng::new(1);
        let big = net.transit(&mut rng, SimTime(0), (ProcId(0), 0), (ProcId(1), 1), 125_000_000);
        assert_eq!(big.deliver_at, SimTime(1 + 1000), "125 MB at 1 Gbit/s takes a second");
        let small = net.transit(&mut rng, SimTime(10), (ProcId(0), 0), (ProcId(1), 1), 20);
        assert_eq!(small.deliver_at, big.deliver_at);
    }

    #[test]
    fn partitions_cut_between_groups_and_heal() {
        let mut net = Network::new(LinkParams::LOOPBACK);
        net.partition(&[vec![0], vec![1, 2]]);
        assert!(net.is_cut(0, 1) && net.is_cut(2, 0));
        assert!(!net.is_cut(1, 2));
        net.heal();
        assert!(!net.is_cut(0, 1));
        net.partition_one_way(&[0], &[1]);
        assert!(net.is_cut(0, 1) && !net.is_cut(1, 0));
    }

    #[test]
    fn changed_links_are_listed_for_the_view() {
        let d = LinkParams { latency_ms: 1, jitter_ms: 0, loss_ppm: 0, bytes_per_ms: 125_000 };
        let mut net = Network::new(d);
        assert_eq!(net.links().count(), 0);
        let slow = LinkParams { latency_ms: 250, ..d };
        net.set_link(1, 0, slow);
        assert_eq!(net.links().collect::<Vec<_>>(), vec![((1, 0), slow)]);
        assert_eq!(net.params(0, 1), d);
    }
}
