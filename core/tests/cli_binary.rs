//! The native CLI, run as a user would: it prints the trace as text or JSON lines, and the hash that the
//! browser tests compare with. Native only (it spawns the binary).
#![cfg(not(target_arch = "wasm32"))]

use std::process::Command;

fn cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_redis-ha-sim")).args(args).output().expect("the CLI runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_the_story_as_text() {
    let (ok, out, _) = cli(&["run", "builtin:standalone-crash", "--seed", "7", "--until", "9000"]);
    assert!(ok);
    assert!(out.contains("redis crashed"), "{out}");
    assert!(out.contains("refused after"));
    assert!(out.contains("redis log: Ready to accept connections"));
    let (trace, checks) = out.split_once("\n-- checks --\n").expect("a checks summary follows the trace");
    let last = trace.lines().last().unwrap();
    assert!(last.trim_start().starts_with("9.000s") || last.trim_start().starts_with("8."), "ran to 9 s: {last}");
    // Without persistence the restart lost every acknowledged write, and the summary says so key by key.
    assert!(checks.contains("serving master: redis"));
    assert!(checks.contains("time without a writable master: 3000 ms"), "{checks}");
    let lost = checks.lines().filter(|l| l.trim_start().starts_with("lost: key:")).count();
    assert!(lost > 0 && checks.contains(&format!(", lost: {lost}\n")), "{checks}");
}

#[test]
fn json_lines_parse_and_hash_matches_the_library() {
    let (ok, out, _) = cli(&["run", "builtin:standalone", "--seed", "3", "--until", "2000", "--format", "json"]);
    assert!(ok);
    // Each line is a JSON record, and the hash is FNV-1a over exactly these lines.
    for line in out.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("a record");
        assert!(record["t"].is_u64() && record["type"].is_string(), "{line}");
    }
    let fnv = out
        .lines()
        .flat_map(|l| l.bytes().chain([b'\n']))
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    let (ok, hash, _) = cli(&["hash", "builtin:standalone", "--seed", "3", "--until", "2000"]);
    assert!(ok);
    assert_eq!(hash.trim(), format!("{fnv:016x}"));
    let mut sim = redis_ha_sim::Simulation::from_json(redis_ha_sim::library::get("standalone").unwrap(), 3).unwrap();
    sim.run_until(redis_ha_sim::SimTime(2000));
    assert_eq!(hash.trim(), format!("{:016x}", sim.trace_hash()));
}

#[test]
fn bad_usage_exits_non_zero_with_a_message() {
    let (ok, _, err) = cli(&["run", "builtin:nope"]);
    assert!(!ok);
    assert!(err.contains("no built-in scenario 'nope' (there are: standalone"), "{err}");
    let (ok, _, err) = cli(&["run", "/no/such/file.json"]);
    assert!(!ok && err.contains("cannot read /no/such/file.json"));
    let (ok, _, err) = cli(&["run", "builtin:standalone", "--seed", "x"]);
    assert!(!ok && err.contains("--seed: not a whole number"));
    let (ok, _, err) = cli(&["frobnicate"]);
    assert!(!ok && err.contains("unknown command frobnicate"));
}

#[test]
fn quiet_leaves_gossip_and_timers_out_of_the_trace() {
    let (ok, loud, _) = cli(&["run", "builtin:cluster", "--until", "3000"]);
    assert!(ok && loud.contains(" PING ") && loud.contains(" timer clusterCron"));
    let (ok, quiet, _) = cli(&["run", "builtin:cluster", "--until", "3000", "--quiet", "gossip,timers"]);
    assert!(ok);
    assert!(!quiet.contains(" timer "));
    let gossip = |t: &str| t.lines().filter(|l| l.contains(" PONG (due") && !l.starts_with("    0.0")).count();
    assert!(gossip(&loud) > 20 && gossip(&quiet) == 0, "{} gossip lines left", gossip(&quiet));
    assert!(quiet.contains("Cluster state changed: ok"));
    let (ok, _, err) = cli(&["run", "builtin:cluster", "--quiet", "noise"]);
    assert!(!ok && err.contains("--quiet takes gossip, timers or both, not noise"));
}

#[test]
fn a_lesson_run_ends_with_its_expectations_judged_and_fails_when_one_does_not_hold() {
    let (ok, out, _) = cli(&["run", "builtin:standalone-crash", "--seed", "3"]);
    assert!(ok, "{out}");
    let verdicts = out.split_once("\n-- expectations --\n").expect("the expectations follow the checks").1;
    assert!(verdicts.lines().count() >= 3 && verdicts.lines().all(|l| l.starts_with("ok ")), "{verdicts}");

    // Stopped early: not judged, and no failure.
    let (ok, out, _) = cli(&["run", "builtin:standalone-crash", "--until", "3000"]);
    assert!(ok && out.contains("not judged: the run stopped at 3.000s"), "{out}");

    // A lesson whose prediction is wrong: the run says which and exits with status 2.
    let dir = std::env::temp_dir().join(format!("redis-ha-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut doc: serde_json::Value =
        serde_json::from_str(redis_ha_sim::library::get("standalone-crash").unwrap()).unwrap();
    doc["expect"] = serde_json::json!([{ "check": "lost_writes", "max": 0 }]);
    let file = dir.join("wrong.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_redis-ha-sim")).args(["run", file.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL acknowledged writes lost at most 0"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 expectation(s) failed"));
}
