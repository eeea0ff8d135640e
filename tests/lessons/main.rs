//! Every built-in scenario is a lesson whose expectations must hold for any seed: these tests run each one
//! as the page and `redis-ha-sim check` would, and show that a wrong expectation is caught.

mod steps;

use redis_ha_sim::lesson::{judge, Expectation, Verdict};
use redis_ha_sim::{library, Scenario, SimTime, Simulation};

fn run(id: &str, seed: u64) -> Simulation {
    let mut sim = Simulation::from_json(library::get(id).unwrap(), seed).unwrap();
    let until = sim.scenario().duration_ms.expect("a lesson says how long it runs");
    sim.run_until(SimTime(until));
    sim
}

fn failures(verdicts: &[Verdict]) -> Vec<String> {
    verdicts.iter().filter(|v| !v.passed).map(|v| format!("{} — {}", v.expectation, v.detail)).collect()
}

#[test]
fn every_builtin_lesson_has_expectations_that_hold_for_twenty_seeds() {
    for (id, json) in library::SCENARIOS {
        let scenario = Scenario::from_json(json).unwrap();
        assert!(!scenario.expect.is_empty(), "{id} checks nothing");
        for seed in 1..=20 {
            let sim = run(id, seed);
            let failed = failures(&judge(&sim, &scenario.expect));
            assert!(failed.is_empty(), "{id} seed {seed}: {failed:#?}");
        }
    }
}

#[test]
fn a_wrong_prediction_is_reported_with_what_really_happened() {
    // standalone-crash loses the writes acknowledged since the last snapshot; claiming none are lost fails.
    let sim = run("standalone-crash", 1);
    let lost = judge(&sim, &[Expectation::LostWrites { client: None, min: None, max: Some(0) }]);
    assert!(!lost[0].passed, "{lost:?}");
    assert!(lost[0].detail.ends_with(" lost") && lost[0].detail != "0 lost", "{lost:?}");

    // An event that never happens, and one that happens but is claimed absent.
    let never = Expectation::Event {
        event: "+switch-master".into(),
        process: None,
        after_ms: None,
        before_ms: None,
        absent: false,
    };
    assert!(!judge(&sim, &[never])[0].passed);
    let sentinel = run("sentinel", 1);
    let claimed_absent = Expectation::Event {
        event: "+switch-master".into(),
        process: None,
        after_ms: None,
        before_ms: None,
        absent: true,
    };
    let v = &judge(&sentinel, &[claimed_absent])[0];
    assert!(!v.passed && v.detail.starts_with("seen at ["), "{v:?}");

    // A command whose reply differs shows the real reply.
    let v = &judge(
        &sim,
        &[Expectation::Command {
            process: "redis".into(),
            line: "DBSIZE".into(),
            reply: "(integer) -1".into(),
            contains: false,
        }],
    )[0];
    assert!(!v.passed && v.detail.starts_with("(integer) "), "{v:?}");
}

#[test]
fn judging_a_command_expectation_does_not_change_the_run() {
    let sim = run("standalone", 3);
    let before = sim.trace_hash();
    let v = judge(
        &sim,
        &[Expectation::Command {
            process: "redis".into(),
            line: "SET judged 1".into(),
            reply: "OK".into(),
            contains: false,
        }],
    );
    assert!(v[0].passed, "{v:?}");
    assert_eq!(sim.trace_hash(), before);
    let mut again = sim.clone();
    assert_eq!(again.command("redis", "EXISTS judged").unwrap(), "(integer) 0");
}

#[test]
fn a_misspelled_expectation_or_narration_field_is_rejected() {
    let base = library::get("standalone").unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(base).unwrap();
    doc["expect"] = serde_json::json!([{ "check": "lost_writes", "maximum": 0 }]);
    let err = Scenario::from_json(&doc.to_string()).unwrap_err().to_string();
    assert!(err.contains("maximum"), "{err}");
    doc["expect"] = serde_json::json!([{ "check": "lost_write", "max": 0 }]);
    let err = Scenario::from_json(&doc.to_string()).unwrap_err().to_string();
    assert!(err.contains("lost_write"), "{err}");
    doc["expect"] = serde_json::json!([]);
    doc["narration"] = serde_json::json!([{ "at": 1000, "text": "hello" }]);
    let err = Scenario::from_json(&doc.to_string()).unwrap_err().to_string();
    assert!(err.contains("at"), "{err}");
}
