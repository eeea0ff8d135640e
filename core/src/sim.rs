//! `Simulation`: a world, its trace, its checkpoints and the log of user actions — what the page, the
//! CLI and the tests drive. A run is a pure function of (scenario, seed, action log), so seeking
//! backwards is: restore the nearest earlier checkpoint, then replay.

use crate::action::Action;
use crate::error::{Result, SimError};
use crate::scenario::Scenario;
use crate::time::SimTime;
use crate::trace::{trace_hash, Record};
use crate::world::World;
use serde::{Deserialize, Serialize};

/// A checkpoint every this many ms of virtual time: seeking replays at most this much.
pub const DEFAULT_CHECKPOINT_EVERY_MS: u64 = 1000;
pub const SESSION_VERSION: u32 = 1;

/// A user action, placed in the run's total order by the time and the number of events processed
/// before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedAction {
    pub t: u64,
    pub after_events: u64,
    pub action: Action,
}

/// Everything needed to reproduce a session exactly: what the share URL and the export carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub version: u32,
    pub scenario: Scenario,
    pub seed: u64,
    pub actions: Vec<RecordedAction>,
    /// The virtual time the session had reached.
    pub now: u64,
}

#[derive(Clone)]
struct Checkpoint {
    world: World,
    trace_len: usize,
    applied: usize,
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
    /// and replays events and recorded actions, so the state is exactly what it was at `t`.
    pub fn seek(&mut self, t: SimTime) {
        if t >= self.now() {
            self.run_until(t);
            return;
        }
        let Some(cp) = self.checkpoints.iter().rev().find(|c| c.world.now() <= t).cloned() else {
            return;
        };
        self.world = cp.world;
        self.trace.truncate(cp.trace_len);
        self.applied = cp.applied;
        self.next_checkpoint = self.world.now() + self.checkpoint_every_ms;
        // Checkpoints after this one are still right (the run is deterministic), but they would be taken
        // again as the replay passes them; drop them to keep one per interval.
        let keep = self.checkpoints.iter().rposition(|c| c.world.now() <= t).map_or(0, |i| i + 1);
        self.checkpoints.truncate(keep);
        self.run_until(t);
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
        let session: Session = serde_json::from_str(text).map_err(|e| SimError::Session(e.to_string()))?;
        session.scenario.validate()?;
        Simulation::import_session(session)
    }
}
