//! Same scenario + seed + actions ⇒ byte-identical trace, natively and in the browser. This file runs
//! under `cargo test` and under `wasm-pack test --headless --chrome`; both must produce the same hash.

use redis_ha_sim::{library, Action, SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The determinism scenario: the built-in crash story with jitter, loss, a partition and user actions.
fn run() -> Simulation {
    let scenario =
        library::get("standalone-crash").unwrap().replace(r#""jitter_ms": 1"#, r#""jitter_ms": 5, "loss": 0.02"#);
    let mut sim = Simulation::from_json(&scenario, 7).unwrap();
    sim.run_until(SimTime(2_000));
    sim.command("redis", "SET greeting hello EX 3").unwrap();
    sim.act(Action::Partition { groups: vec![vec!["db".into()], vec!["app".into()]] }).unwrap();
    sim.run_until(SimTime(3_500));
    sim.act(Action::Heal).unwrap();
    sim.run_until(SimTime(12_000));
    sim
}

/// The trace hash recorded when this test was written. It changes only when behaviour changes — then
/// check the new trace is right, and update it here (it must still agree between native and wasm).
const EXPECTED_HASH: u64 = 0xa036a47e68563abe;

#[test]
fn the_same_seed_gives_the_same_trace_natively_and_in_wasm() {
    let a = run();
    let b = run();
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.trace().len(), b.trace().len());
    assert_eq!(
        format!("{:016x}", a.trace_hash()),
        format!("{:016x}", EXPECTED_HASH),
        "trace of {} records changed",
        a.trace().len()
    );
}

#[test]
fn different_seeds_give_different_traces() {
    let scenario = library::get("standalone").unwrap();
    let mut a = Simulation::from_json(scenario, 1).unwrap();
    let mut b = Simulation::from_json(scenario, 2).unwrap();
    a.run_until(SimTime(5_000));
    b.run_until(SimTime(5_000));
    assert_ne!(a.trace_hash(), b.trace_hash());
}

/// The replication scenario through a power cut and a manual promotion: handshakes, full syncs, the stream,
/// ACKs, timeouts and PSYNC2 all go into one trace whose hash must be the same natively and in wasm.
#[test]
fn a_replication_run_is_deterministic_natively_and_in_wasm() {
    let run = || {
        let mut sim = Simulation::from_json(library::get("replication").unwrap(), 3).unwrap();
        sim.run_until(SimTime(4_000));
        sim.act(Action::PowerOff { host: "db1".into() }).unwrap();
        sim.run_until(SimTime(6_000));
        sim.command("replica-1", "REPLICAOF NO ONE").unwrap();
        sim.command("replica-2", "REPLICAOF 10.0.0.2 6379").unwrap();
        sim.run_until(SimTime(10_000));
        sim.act(Action::PowerOn { host: "db1".into() }).unwrap();
        sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap();
        sim.run_until(SimTime(15_000));
        sim
    };
    let (a, b) = (run(), run());
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(
        format!("{:016x}", a.trace_hash()),
        format!("{:016x}", EXPECTED_REPLICATION_HASH),
        "trace of {} records changed",
        a.trace().len()
    );
}

const EXPECTED_REPLICATION_HASH: u64 = 0x5fad8a5449cbf75d;

/// A Sentinel failover: randomized timer frequencies, votes and epochs, all from the one seed.
#[test]
fn a_sentinel_failover_is_deterministic_natively_and_in_wasm() {
    let run = || {
        let mut sim = Simulation::from_json(library::get("sentinel").unwrap(), 11).unwrap();
        sim.run_until(SimTime(30_000));
        sim
    };
    let (a, b) = (run(), run());
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert!(a.trace().iter().any(
        |r| matches!(&r.event, redis_ha_sim::trace::TraceEvent::Sentinel { event, .. } if event == "+switch-master")
    ));
    assert_eq!(
        format!("{:016x}", a.trace_hash()),
        format!("{:016x}", EXPECTED_SENTINEL_HASH),
        "trace of {} records changed",
        a.trace().len()
    );
}

const EXPECTED_SENTINEL_HASH: u64 = 0x9c436bc282f78b65;
