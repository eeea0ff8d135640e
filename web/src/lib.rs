//! The wasm boundary: one exported class, `Simulation`, that owns a core simulation. Methods take scalars
//! or strings and return small plain objects (serialized as JSON, parsed by the browser); errors cross as JS
//! `Error`s with the core's message. No simulation logic lives here.
#![deny(clippy::unwrap_used)]

use redis_ha_sim::decimal::decimal;
use redis_ha_sim::json::{self, ToJson};
use redis_ha_sim::{view, Action, SimTime};
use wasm_bindgen::prelude::*;

/// Seeds cross as JS numbers, so they must be integers JS can hold exactly.
const MAX_SAFE_SEED: f64 = 9_007_199_254_740_991.0;

fn to_js(value: &dyn ToJson) -> Result<JsValue, JsError> {
    // Through JSON text rather than building JS objects field by field (serde-wasm-bindgen): one writer for
    // the page, the CLI and the trace hash, and the package's size is on a budget. JSON.parse is as fast.
    let text = json::to_string(value);
    js_sys::JSON::parse(&text).map_err(|_| JsError::new("internal: a view did not serialize to valid JSON"))
}

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn seed_from(seed: f64) -> Result<u64, JsError> {
    if !(seed.is_finite() && seed.fract() == 0.0 && (0.0..=MAX_SAFE_SEED).contains(&seed)) {
        let (max, got) = (decimal(MAX_SAFE_SEED), decimal(seed));
        return Err(JsError::new(&format!("seed must be a whole number from 0 to {max}, got {got}")));
    }
    Ok(seed as u64)
}

fn time_from(ms: f64) -> Result<SimTime, JsError> {
    if !(ms.is_finite() && (0.0..=MAX_SAFE_SEED).contains(&ms)) {
        return Err(JsError::new(&format!("time must be a non-negative number of ms, got {}", decimal(ms))));
    }
    Ok(SimTime(ms as u64))
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A generated cluster of `nodes` servers, half masters and half replicas, on their own hosts (the scale
/// benchmark's scenario, `library::cluster_fleet`).
#[wasm_bindgen(js_name = clusterFleet)]
pub fn cluster_fleet(nodes: usize, node_timeout_ms: f64) -> Result<String, JsError> {
    if !(2..=1000).contains(&nodes) || nodes % 2 != 0 {
        return Err(JsError::new(&format!("a fleet has an even number of nodes from 2 to 1000, not {nodes}")));
    }
    Ok(redis_ha_sim::library::cluster_fleet(nodes, time_from(node_timeout_ms)?.ms()))
}

/// A fresh seed from the browser's entropy, for the page's "new seed" button (never used inside a run).
#[wasm_bindgen(js_name = randomSeed)]
pub fn random_seed() -> Result<f64, JsError> {
    let mut buf = [0u8; 8];
    getrandom::fill(&mut buf).map_err(err)?;
    Ok((u64::from_le_bytes(buf) % (MAX_SAFE_SEED as u64)) as f64)
}

#[wasm_bindgen]
pub struct Simulation {
    inner: redis_ha_sim::Simulation,
    /// What `checks` and `metrics` read of the trace so far: asked again, they read only the records since.
    history: redis_ha_sim::check::HistoryCache,
}

#[wasm_bindgen]
impl Simulation {
    /// Build a simulation from scenario JSON and a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(scenario_json: &str, seed: f64) -> Result<Simulation, JsError> {
        let inner = redis_ha_sim::Simulation::from_json(scenario_json, seed_from(seed)?).map_err(err)?;
        Ok(Simulation { inner, history: Default::default() })
    }

    /// Rebuild a session exported by `exportSession` (the share URL carries one).
    #[wasm_bindgen(js_name = fromSession)]
    pub fn from_session(session_json: &str) -> Result<Simulation, JsError> {
        let inner = redis_ha_sim::Simulation::session_from_json(session_json).map_err(err)?;
        Ok(Simulation { inner, history: Default::default() })
    }

    /// Current virtual time in ms.
    pub fn now(&self) -> f64 {
        self.inner.now().ms() as f64
    }

    /// The scenario's suggested length in ms (or 0 when it has none).
    #[wasm_bindgen(js_name = durationMs)]
    pub fn duration_ms(&self) -> f64 {
        self.inner.scenario().duration_ms.unwrap_or(0) as f64
    }

    /// The scenario's narration: `[{at_ms, text, ask, answer}]` (empty when the scenario is not a lesson).
    pub fn narration(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.scenario().narration)
    }

    /// The scenario's expectations judged against the run as it is now: `[{expectation, passed, detail}]`
    /// (empty when it has none). Command checks act on a copy, so judging records nothing.
    pub fn judge(&self) -> Result<JsValue, JsError> {
        to_js(&redis_ha_sim::lesson::judge(&self.inner, &self.inner.scenario().expect))
    }

    pub fn seed(&self) -> f64 {
        self.inner.seed() as f64
    }

    /// Leave cluster-bus gossip and/or timer records out of the trace (the messages are still simulated),
    /// as the CLI's `--quiet gossip,timers` does for big runs.
    #[wasm_bindgen(js_name = setQuiet)]
    pub fn set_quiet(&mut self, gossip: bool, timers: bool) {
        self.inner.set_quiet(redis_ha_sim::world::Quiet { gossip, timers });
    }

    /// Take a checkpoint (for seeking back) every `ms` of virtual time; a huge value turns them off, as the
    /// scale benchmark does.
    #[wasm_bindgen(js_name = setCheckpointEveryMs)]
    pub fn set_checkpoint_every_ms(&mut self, ms: f64) -> Result<(), JsError> {
        self.inner.set_checkpoint_every_ms(time_from(ms)?.ms());
        Ok(())
    }

    /// Run every event up to virtual time `ms`.
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, ms: f64) -> Result<(), JsError> {
        self.inner.run_until(time_from(ms)?);
        Ok(())
    }

    /// Process one event; returns its time, or -1 when nothing is left to happen.
    pub fn step(&mut self) -> f64 {
        self.inner.step().map_or(-1.0, |t| t.ms() as f64)
    }

    /// Go to virtual time `ms`, backwards (restore a checkpoint and replay) or forwards.
    pub fn seek(&mut self, ms: f64) -> Result<(), JsError> {
        self.inner.seek(time_from(ms)?);
        Ok(())
    }

    /// Type a command into a redis-cli attached to `process`; returns what redis-cli would print.
    pub fn command(&mut self, process: &str, line: &str) -> Result<String, JsError> {
        self.inner.command(process, line).map_err(err)
    }

    /// Inject a fault or repair, e.g. `{"do":"crash","process":"redis"}` or `{"do":"partition","groups":[["a"],["b"]]}`.
    pub fn inject(&mut self, action_json: &str) -> Result<JsValue, JsError> {
        let action = Action::from_json(action_json).map_err(err)?;
        let result = self.inner.act(action).map_err(err)?;
        to_js(&result)
    }

    /// The world as it is now: hosts, processes, roles, keys, cut links.
    pub fn snapshot(&self) -> Result<JsValue, JsError> {
        to_js(&view::world_view(self.inner.world()))
    }

    /// Trace records from `cursor` on.
    #[wasm_bindgen(js_name = eventsSince)]
    pub fn events_since(&self, cursor: usize) -> Result<JsValue, JsError> {
        to_js(&self.inner.events_since(cursor))
    }

    /// Trace records from `cursor` on as one JSON array: the same objects as `eventsSince`, several times
    /// faster to bring across when there are many (the page parses them with `JSON.parse`).
    #[wasm_bindgen(js_name = eventsSinceJson)]
    pub fn events_since_json(&self, cursor: usize) -> String {
        json::to_string(&self.inner.events_since(cursor))
    }

    /// How many trace records exist (after a seek backwards, fewer than before).
    #[wasm_bindgen(js_name = traceLen)]
    pub fn trace_len(&self) -> usize {
        self.inner.trace().len()
    }

    /// The trace's fingerprint (FNV-1a of its JSON lines) as 16 hex digits; equal natively and here.
    #[wasm_bindgen(js_name = traceHash)]
    pub fn trace_hash(&self) -> String {
        format!("{:016x}", self.inner.trace_hash())
    }

    /// The whole trace as JSON lines.
    #[wasm_bindgen(js_name = traceJson)]
    pub fn trace_json(&self) -> String {
        self.inner.trace().iter().map(|r| json::to_string(r)).collect::<Vec<_>>().join("\n")
    }

    /// The trace as text lines with process names.
    #[wasm_bindgen(js_name = traceText)]
    pub fn trace_text(&self, cursor: usize) -> String {
        redis_ha_sim::text::render(self.inner.events_since(cursor), self.inner.world())
    }

    /// Counts computed from the trace: messages, drops, each client's outcomes.
    pub fn metrics(&mut self) -> Result<JsValue, JsError> {
        let sim = &self.inner;
        to_js(&redis_ha_sim::check::metrics_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut self.history))
    }

    /// The history checks now: acknowledged writes lost, stale reads, time without a writable master,
    /// split-brain windows.
    pub fn checks(&mut self) -> Result<JsValue, JsError> {
        let sim = &self.inner;
        to_js(&redis_ha_sim::check::checks_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut self.history))
    }

    /// Scenario, seed and recorded actions as JSON: enough to reproduce this session exactly.
    #[wasm_bindgen(js_name = exportSession)]
    pub fn export_session(&self) -> String {
        self.inner.export_session_json()
    }

    /// The action log: `[{t, after_events, action}]`.
    pub fn actions(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.actions())
    }

    /// The scenario as real Redis 7 files: `[{host, process, file, text}]`, each server's `redis.conf`, each
    /// sentinel's `sentinel.conf`, the scripted steps and the `redis-cli --cluster` commands.
    #[wasm_bindgen(js_name = deploymentConfig)]
    pub fn deployment_config(&self) -> Result<JsValue, JsError> {
        to_js(&redis_ha_sim::deploy::deployment(self.inner.scenario()))
    }

    /// The same files as one text, each under a `# ---- host/process: file ----` line (what `redis-ha-sim conf`
    /// prints), for the page's "Redis config files" download.
    #[wasm_bindgen(js_name = deploymentText)]
    pub fn deployment_text(&self) -> String {
        redis_ha_sim::deploy::render(&redis_ha_sim::deploy::deployment(self.inner.scenario()))
    }
}
