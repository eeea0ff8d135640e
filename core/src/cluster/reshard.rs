//! The slot-moving tools of `redis-cli --cluster`, run from an admin host: `reshard` moves a slot range
//! between two nodes; `rebalance` asks a node for CLUSTER NODES and moves slots so that every master holds
//! its share, computed as redis-cli computes it. Each slot moves the same way: IMPORTING on the target,
//! MIGRATING on the source, its keys in batches with GETKEYSINSLOT and MIGRATE, then SETSLOT NODE. Clients see
//! ASK while a slot moves and MOVED afterwards.

use crate::decode::Fields;
use crate::json::Object;
use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::trace::TraceEvent;

#[derive(Clone, Debug, PartialEq)]
pub struct ReshardSpec {
    /// Source and target nodes (process names).
    pub from: String,
    pub to: String,
    /// The first and last slot to move.
    pub slots: (u16, u16),
    /// Keys per MIGRATE (`--cluster-pipeline`).
    pub batch: u32,
    pub start_ms: u64,
}

fn default_batch() -> u32 {
    10
}

/// `redis-cli --cluster rebalance <via> [--cluster-use-empty-masters] [--cluster-threshold N]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RebalanceSpec {
    /// The node the tool connects to (a process name); it learns the cluster from its CLUSTER NODES.
    pub via: String,
    /// Give slots to masters that have none (a node just added), as `--cluster-use-empty-masters` does.
    pub use_empty_masters: bool,
    /// Do nothing unless some master is this many percent off its share (`--cluster-threshold`, default 2).
    pub threshold: f64,
    pub batch: u32,
    pub start_ms: u64,
}

fn default_threshold() -> f64 {
    2.0
}

impl ReshardSpec {
    /// Read from the process spec that holds these fields beside its own (and has refused unknown ones).
    pub(crate) fn from_fields(f: &Fields) -> Self {
        ReshardSpec {
            from: f.req("from"),
            to: f.req("to"),
            slots: f.req("slots"),
            batch: f.or("batch", default_batch),
            start_ms: f.or_default("start_ms"),
        }
    }

    /// Written beside the process spec's own fields, in declaration order.
    pub(crate) fn write_fields(&self, o: &mut Object<'_>) {
        o.field("from", &self.from).field("to", &self.to).field("slots", &self.slots);
        o.field("batch", &self.batch).field("start_ms", &self.start_ms);
    }
}

impl RebalanceSpec {
    /// Read from the process spec that holds these fields beside its own (and has refused unknown ones).
    pub(crate) fn from_fields(f: &Fields) -> Self {
        RebalanceSpec {
            via: f.req("via"),
            use_empty_masters: f.or_default("use_empty_masters"),
            threshold: f.or("threshold", default_threshold),
            batch: f.or("batch", default_batch),
            start_ms: f.or_default("start_ms"),
        }
    }

    /// Written beside the process spec's own fields, in declaration order.
    pub(crate) fn write_fields(&self, o: &mut Object<'_>) {
        o.field("via", &self.via).field("use_empty_masters", &self.use_empty_masters);
        o.field("threshold", &self.threshold).field("batch", &self.batch).field("start_ms", &self.start_ms);
    }
}

/// One slot to move, with everything the commands need.
#[derive(Clone, Debug)]
struct Move {
    from: ProcId,
    to: ProcId,
    from_id: String,
    to_id: String,
    to_addr: (String, u16),
    slot: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    MyIdFrom,
    MyIdTo,
    Nodes,
    Importing,
    Migrating,
    GetKeys,
    Migrate,
    NodeOnTarget,
    NodeOnSource,
    Done,
}

#[derive(Clone, Debug)]
enum Plan {
    Range { from: ProcId, to: ProcId, to_addr: (String, u16), first: u16, last: u16, from_id: String },
    Rebalance { via: ProcId, use_empty_masters: bool, threshold: f64 },
}

#[derive(Clone, Debug)]
pub struct Resharder {
    plan: Plan,
    batch: u32,
    start_ms: u64,
    moves: std::collections::VecDeque<Move>,
    step: Step,
    next_id: u64,
    moved_slots: u64,
    moved_keys: u64,
}

/// A master as CLUSTER NODES describes it.
#[derive(Clone, Debug, PartialEq)]
struct Master {
    id: String,
    ip: String,
    port: u16,
    slots: Vec<u16>,
}

/// Parse CLUSTER NODES into its masters; an open slot (`[slot->-id]`) is an error, as redis-cli's check
/// makes it one.
fn masters_of(nodes: &str) -> Result<Vec<Master>, String> {
    let mut out = Vec::new();
    for line in nodes.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() < 8 {
            return Err(format!("[ERR] cannot read CLUSTER NODES line: {line}"));
        }
        if !f[2].split(',').any(|x| x == "master") {
            continue;
        }
        let addr = f[1].split('@').next().unwrap_or_default();
        let (ip, port) = addr.rsplit_once(':').unwrap_or_default();
        let mut slots = Vec::new();
        for r in &f[8..] {
            if r.starts_with('[') {
                return Err(format!(
                    "[WARNING] Node {addr} has slots in importing or migrating state ({r}).\n\
                     *** Please fix your cluster problems before rebalancing"
                ));
            }
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) else { continue };
            slots.extend(a..=b);
        }
        out.push(Master { id: f[0].to_string(), ip: ip.to_string(), port: port.parse().unwrap_or(0), slots });
    }
    Ok(out)
}

/// One batch of a rebalance: (source, destination, slots), as indices into the masters.
type Transfer = (usize, usize, Vec<u16>);

/// redis-cli's rebalance plan: the transfers in the order it makes them, or `None` when every master is
/// within the threshold. Weights are all 1.
fn rebalance_plan(masters: &[Master], use_empty: bool, threshold: f64) -> Option<Vec<Transfer>> {
    let involved: Vec<usize> = (0..masters.len()).filter(|&i| use_empty || !masters[i].slots.is_empty()).collect();
    let total_weight = involved.len() as f32;
    let mut balance: Vec<(usize, i64)> = Vec::new();
    let mut reached = false;
    let mut total = 0i64;
    for &i in &involved {
        let expected = ((16384f32 / total_weight) * 1.0) as i64;
        let count = masters[i].slots.len() as i64;
        balance.push((i, count - expected));
        total += count - expected;
        let over =
            if count > 0 { (100.0 - 100.0 * expected as f64 / count as f64).abs() > threshold } else { expected > 1 };
        reached |= threshold > 0.0 && over;
    }
    if !reached {
        return None;
    }
    // Rounding leaves the balances summing above zero: the receivers take the difference, as redis-cli does.
    while total > 0 {
        for b in balance.iter_mut() {
            if b.1 <= 0 && total > 0 {
                b.1 -= 1;
                total -= 1;
            }
        }
    }
    crate::sort::sort_by_key(&mut balance, |b| b.1);
    let mut owned: Vec<std::collections::VecDeque<u16>> =
        masters.iter().map(|m| m.slots.iter().copied().collect()).collect();
    let mut plan = Vec::new();
    let (mut dst, mut src) = (0usize, balance.len().saturating_sub(1));
    while dst < src {
        let n = balance[dst].1.unsigned_abs().min(balance[src].1.unsigned_abs());
        if n > 0 {
            let slots: Vec<u16> = owned[balance[src].0].drain(..n as usize).collect();
            plan.push((balance[src].0, balance[dst].0, slots));
        }
        balance[dst].1 += n as i64;
        balance[src].1 -= n as i64;
        if balance[dst].1 == 0 {
            dst += 1;
        }
        if balance[src].1 == 0 {
            src -= 1;
        }
    }
    Some(plan)
}

impl Resharder {
    pub fn new(from: ProcId, to: ProcId, to_addr: (String, u16), spec: &ReshardSpec) -> Resharder {
        let plan = Plan::Range { from, to, to_addr, first: spec.slots.0, last: spec.slots.1, from_id: String::new() };
        Resharder::with_plan(plan, spec.batch, spec.start_ms, Step::MyIdFrom)
    }

    pub fn rebalance(via: ProcId, spec: &RebalanceSpec) -> Resharder {
        let plan = Plan::Rebalance { via, use_empty_masters: spec.use_empty_masters, threshold: spec.threshold };
        Resharder::with_plan(plan, spec.batch, spec.start_ms, Step::Nodes)
    }

    fn with_plan(plan: Plan, batch: u32, start_ms: u64, step: Step) -> Resharder {
        Resharder {
            plan,
            batch: batch.max(1),
            start_ms,
            moves: Default::default(),
            step,
            next_id: 0,
            moved_slots: 0,
            moved_keys: 0,
        }
    }

    fn send(&mut self, ctx: &mut Ctx<'_>, to: ProcId, words: Vec<String>) {
        self.next_id += 1;
        ctx.out
            .send(to, Message::Request { id: self.next_id, args: words.into_iter().map(String::into_bytes).collect() });
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    /// Issue the request of the current step.
    fn act(&mut self, ctx: &mut Ctx<'_>) {
        if let (Step::MyIdFrom | Step::MyIdTo | Step::Nodes, plan) = (self.step, &self.plan) {
            let (to, line) = match (self.step, plan) {
                (Step::MyIdFrom, Plan::Range { from, .. }) => (*from, "CLUSTER MYID"),
                (Step::MyIdTo, Plan::Range { to, .. }) => (*to, "CLUSTER MYID"),
                (_, Plan::Rebalance { via, .. }) => (*via, "CLUSTER NODES"),
                _ => return,
            };
            self.send(ctx, to, Self::words(line));
            return;
        }
        let Some(m) = self.moves.front().cloned() else { return };
        let slot = m.slot;
        match self.step {
            Step::Importing => {
                self.send(ctx, m.to, Self::words(&format!("CLUSTER SETSLOT {slot} IMPORTING {}", m.from_id)))
            }
            Step::Migrating => {
                self.send(ctx, m.from, Self::words(&format!("CLUSTER SETSLOT {slot} MIGRATING {}", m.to_id)))
            }
            Step::GetKeys => {
                self.send(ctx, m.from, Self::words(&format!("CLUSTER GETKEYSINSLOT {slot} {}", self.batch)))
            }
            Step::NodeOnTarget => {
                self.send(ctx, m.to, Self::words(&format!("CLUSTER SETSLOT {slot} NODE {}", m.to_id)))
            }
            Step::NodeOnSource => {
                self.send(ctx, m.from, Self::words(&format!("CLUSTER SETSLOT {slot} NODE {}", m.to_id)))
            }
            _ => {}
        }
    }

    fn log(&self, ctx: &mut Ctx<'_>, text: String) {
        ctx.out.note(TraceEvent::Log { proc: ctx.me, text });
    }

    /// Turn the rebalance plan computed from CLUSTER NODES into moves.
    fn plan_rebalance(&mut self, ctx: &mut Ctx<'_>, nodes: &str) -> Step {
        let Plan::Rebalance { use_empty_masters, threshold, .. } = self.plan else { return Step::Done };
        let masters = match masters_of(nodes) {
            Ok(m) => m,
            Err(e) => {
                self.log(ctx, e);
                return Step::Done;
            }
        };
        let Some(plan) = rebalance_plan(&masters, use_empty_masters, threshold) else {
            self.log(
                ctx,
                format!(
                    "*** No rebalancing needed! All nodes are within the {}% threshold.",
                    crate::decimal::fixed(threshold, 2)
                ),
            );
            return Step::Done;
        };
        let involved = masters.iter().filter(|m| use_empty_masters || !m.slots.is_empty()).count();
        self.log(ctx, format!(">>> Rebalancing across {involved} nodes. Total weight = {involved}.00"));
        for (src, dst, slots) in plan {
            let (s, d) = (&masters[src], &masters[dst]);
            let (Some(from), Some(to)) = (ctx.resolve(&s.ip, s.port), ctx.resolve(&d.ip, d.port)) else {
                self.log(ctx, format!("[ERR] cannot connect to {}:{} or {}:{}", s.ip, s.port, d.ip, d.port));
                return Step::Done;
            };
            self.log(ctx, format!("Moving {} slots from {}:{} to {}:{}", slots.len(), s.ip, s.port, d.ip, d.port));
            for slot in slots {
                self.moves.push_back(Move {
                    from,
                    to,
                    from_id: s.id.clone(),
                    to_id: d.id.clone(),
                    to_addr: (d.ip.clone(), d.port),
                    slot,
                });
            }
        }
        if self.moves.is_empty() {
            Step::Done
        } else {
            Step::Importing
        }
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_>, reply: Reply) {
        if let Reply::Error(e) = &reply {
            self.log(ctx, format!("[ERR] {e}"));
            self.step = Step::Done;
            return;
        }
        self.step = match self.step {
            Step::MyIdFrom => {
                if let Plan::Range { from_id, .. } = &mut self.plan {
                    *from_id = bulk(&reply);
                }
                Step::MyIdTo
            }
            Step::MyIdTo => {
                let Plan::Range { from, to, to_addr, first, last, from_id } = &self.plan else { return };
                let to_id = bulk(&reply);
                self.log(ctx, format!("Moving slots {first}-{last} from {from_id} to {to_id}"));
                let (from, to, to_addr, from_id, range) =
                    (*from, *to, to_addr.clone(), from_id.clone(), *first..=*last);
                for slot in range {
                    let (to_addr, from_id, to_id) = (to_addr.clone(), from_id.clone(), to_id.clone());
                    self.moves.push_back(Move { from, to, from_id, to_id, to_addr, slot });
                }
                Step::Importing
            }
            Step::Nodes => {
                let nodes = bulk(&reply);
                self.plan_rebalance(ctx, &nodes)
            }
            Step::Importing => Step::Migrating,
            Step::Migrating | Step::Migrate => Step::GetKeys,
            Step::GetKeys => match reply {
                Reply::Array(keys) if !keys.is_empty() => {
                    let Some(m) = self.moves.front().cloned() else { return };
                    let mut words = vec![
                        "MIGRATE".to_string(),
                        m.to_addr.0.clone(),
                        m.to_addr.1.to_string(),
                        String::new(),
                        "0".into(),
                        "5000".into(),
                        "KEYS".into(),
                    ];
                    self.moved_keys += keys.len() as u64;
                    words.extend(keys.iter().map(bulk));
                    self.send(ctx, m.from, words);
                    self.step = Step::Migrate;
                    return;
                }
                _ => Step::NodeOnTarget,
            },
            Step::NodeOnTarget => Step::NodeOnSource,
            Step::NodeOnSource => {
                self.moves.pop_front();
                self.moved_slots += 1;
                if self.moves.is_empty() {
                    let what = if matches!(self.plan, Plan::Range { .. }) { "Resharding" } else { "Rebalancing" };
                    self.log(ctx, format!("{what} done: {} slots, {} keys moved", self.moved_slots, self.moved_keys));
                    Step::Done
                } else {
                    Step::Importing
                }
            }
            Step::Done => Step::Done,
        };
        self.act(ctx);
    }
}

fn bulk(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) => s.clone(),
        _ => String::new(),
    }
}

impl Process for Resharder {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Start => ctx.out.set_timer(self.start_ms.saturating_sub(ctx.now.ms()), Timer::ClientTick),
            Input::Timer(Timer::ClientTick) => self.act(ctx),
            Input::Message { msg: Message::Response { reply, .. }, .. } => self.on_reply(ctx, reply),
            Input::Refused { .. } | Input::Closed { .. } if self.step != Step::Done => {
                self.log(ctx, "[ERR] a node went away: resharding stopped".into());
                self.step = Step::Done;
            }
            _ => {}
        }
    }

    fn console(&mut self, _ctx: &mut Ctx<'_>, _args: Vec<Vec<u8>>) -> Reply {
        Reply::err("ERR a resharding tool does not run commands")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master(id: &str, ranges: &[(u16, u16)]) -> Master {
        Master {
            id: id.into(),
            ip: "10.0.0.1".into(),
            port: 6379,
            slots: ranges.iter().flat_map(|&(a, b)| a..=b).collect(),
        }
    }

    fn ranges(slots: &[u16]) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for &s in slots {
            match out.last_mut() {
                Some(r) if r.1 + 1 == s => r.1 = s,
                _ => out.push((s, s)),
            }
        }
        out
    }

    #[test]
    fn a_new_empty_master_gets_a_quarter_taken_from_the_front_of_each_range() {
        // What `redis-cli --cluster rebalance --cluster-use-empty-masters` does after adding a fourth master
        // to a cluster created with three: every master ends with 4096 slots.
        let masters = vec![
            master("a", &[(0, 5460)]),
            master("b", &[(5461, 10922)]),
            master("c", &[(10923, 16383)]),
            master("d", &[]),
        ];
        let plan = rebalance_plan(&masters, true, 2.0).expect("the new master is far below its share");
        let moved: Vec<_> = plan.iter().map(|(s, d, slots)| (*s, *d, ranges(slots))).collect();
        assert_eq!(moved, vec![(1, 3, vec![(5461, 6826)]), (2, 3, vec![(10923, 12287)]), (0, 3, vec![(0, 1364)])]);
        // Without --cluster-use-empty-masters the empty node is left out and the three are balanced already.
        assert_eq!(rebalance_plan(&masters, false, 2.0), None);
    }

    #[test]
    fn within_the_threshold_nothing_moves_and_beyond_it_the_largest_gives_first() {
        let near = vec![master("a", &[(0, 5499)]), master("b", &[(5500, 10922)]), master("c", &[(10923, 16383)])];
        assert_eq!(rebalance_plan(&near, false, 2.0), None, "0.7% off is within 2%");
        let far = vec![master("a", &[(0, 9999)]), master("b", &[(10000, 12999)]), master("c", &[(13000, 16383)])];
        let plan = rebalance_plan(&far, false, 2.0).unwrap();
        let total: usize = plan.iter().map(|(_, _, s)| s.len()).sum();
        assert!(plan.iter().all(|(s, _, _)| *s == 0), "{plan:?}");
        assert_eq!(total, 10000 - 5461);
    }

    #[test]
    fn an_open_slot_stops_the_rebalance() {
        let nodes = "aaa 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-5460 [100->-bbb]\n";
        let err = masters_of(nodes).unwrap_err();
        assert!(err.contains("Please fix your cluster problems before rebalancing"), "{err}");
        let ok = masters_of(
            "aaa 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-2 7\nbbb 10.0.0.2:6379@16379 slave aaa 0 0 1 connected\n",
        )
        .unwrap();
        assert_eq!(ok, vec![master("aaa", &[(0, 2), (7, 7)])]);
    }
}
