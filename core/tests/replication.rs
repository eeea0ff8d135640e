//! Replication facts that need no scenario file, so they run natively and in the browser: byte-exact
//! offsets, PSYNC2 after a switch, and a diverged old master that must resync fully.

mod common;
use common::{info_field, logs};
use redis_ha_sim::{SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const TRIO: &str = r#"{"version":1,"network":{"latency_ms":2},"hosts":[
  {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"master","config":{"repl-diskless-sync-delay":0}}]},
  {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"replica-1","config":{"replicaof":"10.0.0.1 6379","repl-diskless-sync-delay":0}}]},
  {"name":"db3","ip":"10.0.0.3","processes":[{"kind":"server","name":"replica-2","config":{"replicaof":"10.0.0.1 6379"}}]}]}"#;

#[test]
fn offsets_count_stream_bytes_exactly_as_redis_does() {
    // Measured on redis-server 7.0: after a replica attaches, SET a 1 moves the offset from 0 to 50 (SELECT 0 is
    // 23 bytes, the SET 27), and SET a 1 EX 100, propagated as SET a 1 PXAT <ms>, adds 57.
    let mut sim = Simulation::from_json(TRIO, 2).unwrap();
    sim.run_until(SimTime(1_500));
    assert_eq!(info_field(&mut sim, "master", "replication", "master_repl_offset"), "0");
    assert_eq!(info_field(&mut sim, "master", "replication", "repl_backlog_first_byte_offset"), "1");
    sim.command("master", "SET a 1").unwrap();
    assert_eq!(info_field(&mut sim, "master", "replication", "master_repl_offset"), "50");
    sim.command("master", "SET a 1 EX 100").unwrap();
    assert_eq!(info_field(&mut sim, "master", "replication", "master_repl_offset"), "107");
    sim.run_until(SimTime(1_600));
    assert_eq!(
        sim.command("replica-1", "ROLE").unwrap(),
        "1) \"slave\"\n2) \"10.0.0.1\"\n3) (integer) 6379\n4) \"connected\"\n5) (integer) 107"
    );
    assert_eq!(sim.command("replica-1", "TTL a").unwrap(), "(integer) 100");
    // A SET that changes nothing is not propagated.
    sim.command("master", "SET a 2 NX").unwrap();
    assert_eq!(info_field(&mut sim, "master", "replication", "master_repl_offset"), "107");
}

#[test]
fn psync2_after_a_switch_the_old_master_and_the_other_replica_continue_partially() {
    let mut sim = Simulation::from_json(TRIO, 4).unwrap();
    sim.run_until(SimTime(1_500));
    sim.command("master", "SET a 1").unwrap();
    sim.run_until(SimTime(2_500));
    assert_eq!(sim.command("replica-1", "REPLICAOF NO ONE").unwrap(), "OK");
    let replid2 = info_field(&mut sim, "replica-1", "replication", "master_replid2");
    assert_eq!(
        replid2,
        info_field(&mut sim, "master", "replication", "master_replid"),
        "the old history is kept as replid2"
    );
    assert_eq!(info_field(&mut sim, "replica-1", "replication", "second_repl_offset"), "51");
    assert_eq!(sim.command("replica-2", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK");
    assert_eq!(sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK");
    assert_eq!(sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK Already connected to specified master");
    sim.run_until(SimTime(4_000));
    for p in ["master", "replica-2"] {
        assert!(
            logs(&sim, p).iter().any(|l| l == "Successful partial resynchronization with master."),
            "{p} continued"
        );
    }
    assert_eq!(info_field(&mut sim, "replica-1", "stats", "sync_partial_ok"), "2");
    assert_eq!(info_field(&mut sim, "replica-1", "stats", "sync_full"), "0");
    sim.command("replica-1", "SET b 2").unwrap();
    sim.run_until(SimTime(4_500));
    assert_eq!(sim.command("master", "GET b").unwrap(), "\"2\"");
    assert_eq!(sim.command("master", "ROLE").unwrap().lines().next(), Some("1) \"slave\""));
}

#[test]
fn a_demoted_master_that_wrote_after_the_switch_must_resync_fully() {
    let mut sim = Simulation::from_json(TRIO, 4).unwrap();
    sim.run_until(SimTime(1_500));
    sim.command("master", "SET a 1").unwrap();
    sim.run_until(SimTime(2_500));
    sim.command("replica-1", "REPLICAOF NO ONE").unwrap();
    // The old master takes one more write the new master never sees: its history has diverged.
    sim.command("master", "SET lost 1").unwrap();
    sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap();
    sim.run_until(SimTime(4_000));
    assert!(logs(&sim, "replica-1")
        .iter()
        .any(|l| l.starts_with("Partial resynchronization not accepted") || l.starts_with("Unable to partial resync")));
    assert!(logs(&sim, "master").iter().any(|l| l.starts_with("Full resync from master")));
    assert_eq!(sim.command("master", "GET lost").unwrap(), "(nil)", "its own write was discarded");
    assert_eq!(sim.command("master", "GET a").unwrap(), "\"1\"");
}

#[test]
fn a_replica_without_its_master_serves_stale_data_or_refuses_as_configured() {
    let json = TRIO.replace(
        r#""name":"replica-2","config":{"replicaof":"10.0.0.1 6379"}"#,
        r#""name":"replica-2","config":{"replicaof":"10.0.0.1 6379","replica-serve-stale-data":"no"}"#,
    );
    let mut sim = Simulation::from_json(&json, 1).unwrap();
    sim.run_until(SimTime(1_500));
    sim.command("master", "SET k v").unwrap();
    sim.run_until(SimTime(1_600));
    assert_eq!(
        sim.command("master", "ROLE").unwrap(),
        "1) \"master\"\n2) (integer) 50\n3) 1) 1) \"10.0.0.2\"\n      2) \"6379\"\n      3) \"0\"\n   2) 1) \"10.0.0.3\"\n      2) \"6379\"\n      3) \"0\"",
        "ROLE lists each replica with the offset it last acknowledged"
    );
    sim.act(redis_ha_sim::Action::Crash { process: "master".into() }).unwrap();
    sim.run_until(SimTime(2_000));
    assert_eq!(sim.command("replica-1", "GET k").unwrap(), "\"v\"", "serve-stale-data yes: old data is served");
    assert_eq!(
        sim.command("replica-2", "GET k").unwrap(),
        "(error) MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
    );
    assert!(sim.command("replica-2", "PING").unwrap().contains("MASTERDOWN"), "PING is not allowed");
    assert_eq!(sim.command("replica-2", "ECHO hi").unwrap(), "\"hi\"", "ECHO is allowed on a stale replica");
    assert_eq!(
        sim.command("replica-2", "SET x 1").unwrap(),
        "(error) READONLY You can't write against a read only replica."
    );
    assert_eq!(info_field(&mut sim, "replica-2", "replication", "master_link_status"), "down");
    // Between two reconnection attempts (each refused one round trip later), the link waits in "connect".
    sim.run_until(SimTime(2_500));
    assert_eq!(
        sim.command("replica-2", "ROLE").unwrap(),
        "1) \"slave\"\n2) \"10.0.0.1\"\n3) (integer) 6379\n4) \"connect\"\n5) (integer) -1"
    );
}
