//! `Simulation`: a world, its trace, its checkpoints and the log of user actions — what the page, the
//! CLI and the tests drive. A run is a pure function of (scenario, seed, action log), so seeking
//! backwards is: restore the nearest earlier checkpoint, then replay.

use crate::action::Action;
use crate::decode::{self, Decode, Fields};
use crate::error::{Result, SimError};
use crate::json::{self, Json, ToJson, Value};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::trace::{trace_hash, Record};
use crate::world::World;

/// A checkpoint every this many ms of virtual time: seeking replays at most this much.
pub const DEFAULT_CHECKPOINT_EVERY_MS: u64 = 1000;
pub const SESSION_VERSION: u32 = 1;

/// A user action, placed in the run's total order by the time and the number of events processed
/// before it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedAction {
    pub t: u64,
    pub after_events: u64,
    pub action: Action,
}

/// Everything needed to reproduce a session exactly: what the share URL and the export carry.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub version: u32,
    pub scenario: Scenario,
    pub seed: u64,
    pub actions: Vec<RecordedAction>,
    /// The virtual time the session had reached.
    pub now: u64,
}

impl ToJson for RecordedAction {
    fn write_json(&self, out: &mut Json) {
        out.object().field("t", &self.t).field("after_events", &self.after_events).field("action", &self.action);
    }
}

impl ToJson for Session {
    fn write_json(&self, out: &mut Json) {
        let (scenario, actions) = (&self.scenario, &self.actions[..]);
        SessionParts { version: self.version, scenario, seed: self.seed, actions, now: self.now }.write_json(out);
    }
}

/// A session's parts by reference, so that a running simulation exports itself without copying its scenario
/// (`Simulation::export_session_json`).
struct SessionParts<'a> {
    version: u32,
    scenario: &'a Scenario,
    seed: u64,
    actions: &'a [RecordedAction],
    now: u64,
}

impl ToJson for SessionParts<'_> {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("version", &self.version).field("scenario", self.scenario).field("seed", &self.seed);
        o.field("actions", &self.actions).field("now", &self.now);
    }
}

impl Decode for RecordedAction {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct RecordedAction", &["t", "after_events", "action"])?;
        f.done(RecordedAction { t: f.req("t"), after_events: f.req("after_events"), action: f.req("action") })
    }
}

impl Decode for Session {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct Session", &["version", "scenario", "seed", "actions", "now"])?;
        f.done(Session {
            version: f.req("version"),
            scenario: f.req("scenario"),
            seed: f.req("seed"),
            actions: f.req("actions"),
            now: f.req("now"),
        })
    }
}

#[derive(Clone)]
struct Checkpoint {
    world: World,
    trace_len: usize,
    applied: usize,
}

/// What the run had reached before a seek backwards: the records and checkpoints past the one restored.
/// The run is a pure function of its actions, so until the next action they are exactly what replaying
/// would produce again, and a seek forward can restore one of these checkpoints instead of replaying.
#[derive(Clone)]
struct Future {
    /// Where `tail` begins in the trace (the restored checkpoint's `trace_len`).
    start: usize,
    tail: Vec<Record>,
    /// How many checkpoints were kept when it was restored; `checkpoints` come after them.
    base: usize,
    checkpoints: Vec<Checkpoint>,
}

#[derive(Clone)]
pub struct Simulation {
    scenario: Scenario,
    seed: u64,
    world: World,
    trace: Vec<Record>,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every_ms: u64,
    next_checkpoint: SimTime,
    /// Every user action so far; after a seek backwards, those past `applied` wait to be replayed.
    actions: Vec<RecordedAction>,
    applied: usize,
    /// The known future after a seek backwards (None once an action rewrites it).
    future: Option<Future>,
    /// Bumped whenever the trace is cut: what was derived from the longer trace may no longer hold.
    generation: u64,
}

impl Simulation {
    pub fn new(scenario: Scenario, seed: u64) -> Result<Simulation> {
        let mut world = World::build(&scenario, seed)?;
        let mut trace = Vec::new();
        world.start(&mut trace);
        let mut sim = Simulation {
            scenario,
            seed,
            world,
            trace,
            checkpoints: Vec::new(),
            checkpoint_every_ms: DEFAULT_CHECKPOINT_EVERY_MS,
            next_checkpoint: SimTime::ZERO,
            actions: Vec::new(),
            applied: 0,
            future: None,
            generation: 0,
        };
        sim.take_checkpoint();
        Ok(sim)
    }

    pub fn from_json(text: &str, seed: u64) -> Result<Simulation> {
        Simulation::new(Scenario::from_json(text)?, seed)
    }

    /// Leave parts of the trace out (cluster gossip, timers): for very large runs.
    pub fn set_quiet(&mut self, quiet: crate::world::Quiet) {
        self.world.quiet = quiet;
        self.future = None;
    }

    /// Checkpoint spacing in ms of virtual time (more memory, faster seeks, or the reverse).
    pub fn set_checkpoint_every_ms(&mut self, ms: u64) {
        self.checkpoint_every_ms = ms.max(1);
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn now(&self) -> SimTime {
        self.world.now()
    }

    pub fn trace(&self) -> &[Record] {
        &self.trace
    }

    /// Changes whenever the trace is cut back (a seek backwards): anything kept from reading a prefix of
    /// the trace is good as long as this has not changed (see `check::HistoryCache`).
    pub fn trace_generation(&self) -> u64 {
        self.generation
    }

    /// Records from `cursor` on (empty when the cursor is at or past the end).
    pub fn events_since(&self, cursor: usize) -> &[Record] {
        &self.trace[cursor.min(self.trace.len())..]
    }

    pub fn trace_hash(&self) -> u64 {
        trace_hash(&self.trace)
    }

    pub fn actions(&self) -> &[RecordedAction] {
        &self.actions[..self.applied]
    }

    fn take_checkpoint(&mut self) {
        self.checkpoints.push(Checkpoint {
            world: self.world.clone(),
            trace_len: self.trace.len(),
            applied: self.applied,
        });
        self.next_checkpoint = self.world.now() + self.checkpoint_every_ms;
    }

    /// Replay a recorded action whose turn has come (after a seek backwards).
    fn replay_due_action(&mut self, limit: SimTime) -> bool {
        let Some(a) = self.actions.get(self.applied) else {
            return false;
        };
        if a.after_events != self.world.processed() || SimTime(a.t) > limit {
            return false;
        }
        let action = a.action.clone();
        self.world.advance_clock(SimTime(a.t));
        let _ = self.world.apply(&action, &mut self.trace);
        self.applied += 1;
        true
    }

    /// Run every event up to and including time `t`, then let the clock reach `t`.
    pub fn run_until(&mut self, t: SimTime) {
        loop {
            if self.replay_due_action(t) {
                continue;
            }
            match self.world.next_event_time() {
                Some(next) if next <= t => {
                    if next >= self.next_checkpoint {
                        self.take_checkpoint();
                    }
                    self.world.step(&mut self.trace);
                }
                _ => break,
            }
        }
        self.world.advance_clock(t);
    }

    /// Run for `ms` more of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        let t = self.now() + ms;
        self.run_until(t);
    }

    /// Process exactly one event (or replay one due action). Returns the time it happened, or `None` when
    /// nothing is left to happen.
    pub fn step(&mut self) -> Option<SimTime> {
        if self.replay_due_action(SimTime(u64::MAX)) {
            return Some(self.now());
        }
        let next = self.world.next_event_time()?;
        if next >= self.next_checkpoint {
            self.take_checkpoint();
        }
        self.world.step(&mut self.trace);
        Some(self.now())
    }

    /// Carry out a user action now and record it. Acting after a seek backwards discards the actions that
    /// had been recorded later (the future is rewritten).
    pub fn act(&mut self, action: Action) -> Result<Option<String>> {
        self.world.check_action(&action)?;
        self.actions.truncate(self.applied);
        self.future = None;
        let now = self.now();
        self.checkpoints.retain(|c| c.world.now() <= now && c.applied <= self.applied);
        let recorded = RecordedAction { t: now.ms(), after_events: self.world.processed(), action: action.clone() };
        let result = self.world.apply(&action, &mut self.trace)?;
        self.actions.push(recorded);
        self.applied += 1;
        Ok(result)
    }

    /// Type a command into a redis-cli attached to `process`; returns what redis-cli would print.
    pub fn command(&mut self, process: &str, line: &str) -> Result<String> {
        Ok(self.act(Action::Command { process: process.into(), line: line.into() })?.unwrap_or_default())
    }

    /// Move to virtual time `t`, backwards or forwards. Backwards restores the nearest earlier checkpoint
    /// and replays events and recorded actions, so the state is exactly what it was at `t`. Forwards into
    /// a future already run (after a seek backwards, until the next action) restores the latest of its
    /// checkpoints before `t` and replays from there, rather than everything in between.
    pub fn seek(&mut self, t: SimTime) {
        if t >= self.now() {
            self.jump_forward(t);
            self.run_until(t);
            return;
        }
        if !self.checkpoints.iter().any(|c| c.world.now() <= t) {
            return;
        }
        self.absorb_future();
        let Some(i) = self.checkpoints.iter().rposition(|c| c.world.now() <= t) else {
            return;
        };
        self.restore(i);
        self.run_until(t);
    }

    /// Restore checkpoint `i`; what came after it becomes the known future.
    fn restore(&mut self, i: usize) {
        let later = self.checkpoints.split_off(i + 1);
        let cp = &self.checkpoints[i];
        self.world = cp.world.clone();
        self.applied = cp.applied;
        let start = cp.trace_len;
        let tail = self.trace.split_off(start);
        self.generation += 1;
        self.next_checkpoint = self.world.now() + self.checkpoint_every_ms;
        self.future = (!tail.is_empty() || !later.is_empty()).then_some(Future {
            start,
            tail,
            base: self.checkpoints.len(),
            checkpoints: later,
        });
    }

    /// Put the known future back into the trace and the checkpoints, replacing what has been replayed of
    /// it since (the same records, the same checkpoints). The world is left behind: a restore follows.
    fn absorb_future(&mut self) {
        let Some(mut f) = self.future.take() else {
            return;
        };
        if self.trace.len() >= f.start + f.tail.len() {
            return; // the run has gone past what was known: it knows more now
        }
        self.trace.truncate(f.start);
        self.trace.append(&mut f.tail);
        self.generation += 1;
        self.checkpoints.truncate(f.base);
        self.checkpoints.append(&mut f.checkpoints);
    }

    /// Restore the latest checkpoint of the known future at or before `t`, if it is ahead of the run.
    fn jump_forward(&mut self, t: SimTime) {
        let Some(f) = &self.future else {
            return;
        };
        let ahead = f.checkpoints.iter().rev().find(|c| c.world.now() <= t);
        if !ahead.is_some_and(|c| c.trace_len > self.trace.len() && c.applied >= self.applied) {
            return;
        }
        self.absorb_future();
        if let Some(i) = self.checkpoints.iter().rposition(|c| c.world.now() <= t) {
            self.restore(i);
        }
    }

    pub fn export_session(&self) -> Session {
        Session {
            version: SESSION_VERSION,
            scenario: self.scenario.clone(),
            seed: self.seed,
            actions: self.actions[..self.applied].to_vec(),
            now: self.now().ms(),
        }
    }

    /// `export_session` as JSON text, written straight from the simulation.
    pub fn export_session_json(&self) -> String {
        let (scenario, actions) = (&self.scenario, &self.actions[..self.applied]);
        json::to_string(&SessionParts {
            version: SESSION_VERSION,
            scenario,
            seed: self.seed,
            actions,
            now: self.now().ms(),
        })
    }

    /// Rebuild a session: the same scenario and seed, the same actions at the same points, up to `now`.
    pub fn import_session(session: Session) -> Result<Simulation> {
        if session.version != SESSION_VERSION {
            return Err(SimError::Session(format!(
                "unsupported version {} (expected {SESSION_VERSION})",
                session.version
            )));
        }
        let mut sim = Simulation::new(session.scenario, session.seed)?;
        for a in &session.actions {
            sim.world.check_action(&a.action).map_err(|e| SimError::Session(e.to_string()))?;
            if a.t > session.now {
                return Err(SimError::Session(format!(
                    "an action at {} ms is after the session's end ({} ms)",
                    a.t, session.now
                )));
            }
        }
        sim.actions = session.actions;
        sim.run_until(SimTime(session.now));
        if sim.applied != sim.actions.len() {
            return Err(SimError::Session(format!(
                "only {} of {} recorded actions could be placed: the log does not match this scenario and seed",
                sim.applied,
                sim.actions.len()
            )));
        }
        Ok(sim)
    }

    pub fn session_from_json(text: &str) -> Result<Simulation> {
        let session: Session = decode::from_str(text).map_err(SimError::Session)?;
        session.scenario.validate()?;
        Simulation::import_session(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> Simulation {
        let json = r#"{"version":1,"name":"t","hosts":[
            {"name":"db","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis"}]},
            {"name":"app","ip":"10.0.0.2","processes":[{"kind":"client","name":"app","target":"redis",
              "workload":{"interval_ms":50,"timeout_ms":500,"ops":[{"command":"SET {key} {value}"}]}}]}]}"#;
        Simulation::from_json(json, 7).unwrap()
    }

    #[test]
    fn seeking_forward_into_a_known_future_gives_the_same_trace_and_state() {
        let mut a = sim();
        a.run_until(SimTime(3_000));
        a.command("redis", "SET typed 1").unwrap();
        a.run_until(SimTime(9_000));
        let full = a.trace().to_vec();
        let mut b = a.clone();
        for t in [500, 7_250, 1_200, 8_999, 4_000, 2_999, 3_000, 9_000, 6_500] {
            a.seek(SimTime(t));
            assert_eq!(a.now(), SimTime(t));
            assert_eq!(a.trace(), &full[..a.trace().len()], "at {t} ms the trace is a prefix of the full run");
            // The same moment reached by replaying from the start.
            b.seek(SimTime(0));
            b.future = None;
            b.run_until(SimTime(t));
            assert_eq!(a.trace_hash(), b.trace_hash(), "at {t} ms");
            let view = |s: &Simulation| crate::json::to_string(&crate::view::world_view(s.world()));
            assert_eq!(view(&a), view(&b), "at {t} ms");
            assert_eq!(a.actions().len(), b.actions().len(), "at {t} ms");
            a.seek(SimTime(9_000));
            b.seek(SimTime(9_000));
        }
        a.seek(SimTime(9_000));
        assert_eq!(a.trace(), &full[..]);
    }
}
