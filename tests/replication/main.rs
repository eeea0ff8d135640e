//! Replication as a learner watches it: asynchronous copies and stale reads; a master crash, a manual
//! promotion and the acknowledged writes it loses; partial versus full resync; chained replicas;
//! min-replicas-to-write and WAIT.

use redis_ha_sim::check;
use redis_ha_sim::trace::{Outcome, TraceEvent};
use redis_ha_sim::{Action, SimTime, Simulation};
use redis_ha_sim_tests::{finished_requests, reproduce, scenario};

fn info_field(sim: &mut Simulation, process: &str, section: &str, field: &str) -> String {
    let info = sim.command(process, &format!("INFO {section}")).unwrap();
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO {section} of {process}: {info}"))
}

fn logs(sim: &Simulation, process: &str) -> Vec<String> {
    let id = sim.world().proc_id(process).unwrap();
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Log { proc, text } if *proc == id => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn writes_reach_both_replicas_and_a_read_right_after_a_write_can_be_stale() {
    let mut sim = Simulation::from_json(&scenario("replication-stale-read"), 1).unwrap();
    // While the app writes, the slow replica is often behind the master: INFO shows it.
    let mut behind = 0;
    for t in (3_000..4_000).step_by(50) {
        sim.run_until(SimTime(t));
        let master_offset: u64 = info_field(&mut sim, "master", "replication", "master_repl_offset").parse().unwrap();
        let r1_offset: u64 = info_field(&mut sim, "replica-1", "replication", "slave_repl_offset").parse().unwrap();
        assert!(r1_offset <= master_offset);
        behind += usize::from(r1_offset < master_offset);
    }
    assert!(behind >= 5, "replica-1 was behind the master at {behind} of 20 instants");
    let slave0 = info_field(&mut sim, "master", "replication", "slave0");
    assert!(
        slave0.starts_with("ip=10.0.0.") && slave0.contains(",state=online,offset=") && slave0.contains(",lag="),
        "{slave0}"
    );
    assert_eq!(info_field(&mut sim, "replica-1", "replication", "master_link_status"), "up");
    sim.run_until(SimTime(9_500));
    // Once the app stops, both replicas hold exactly the master's data (compared between two PINGs).
    let master_keys = sim.command("master", "KEYS *").unwrap();
    for r in ["replica-1", "replica-2"] {
        assert_eq!(sim.command(r, "KEYS *").unwrap(), master_keys);
        for key in 0..5 {
            assert_eq!(
                sim.command(r, &format!("GET key:{key}")).unwrap(),
                sim.command("master", &format!("GET key:{key}")).unwrap()
            );
        }
        assert_eq!(
            info_field(&mut sim, r, "replication", "slave_repl_offset"),
            info_field(&mut sim, "master", "replication", "master_repl_offset")
        );
    }
    let stale = check::stale_reads(sim.trace());
    assert!(
        !stale.is_empty(),
        "reads from the 40 ms replica right after a write are stale; {}",
        reproduce(&sim, "replication-stale-read")
    );
    let replica_1 = sim.world().proc_id("replica-1").unwrap();
    assert!(stale.iter().all(|s| s.server == replica_1));
    // Each reported stale read really is one: the write it missed was acknowledged before the read left.
    let done = finished_requests(sim.trace());
    for s in &stale {
        let write = done.iter().find(|f| f.command.len() == 3 && f.command[2] == s.expected).unwrap();
        assert!(write.done_at < s.sent_at && write.outcome == Outcome::Ok);
    }
}

#[test]
fn master_crash_manual_promotion_and_the_writes_it_loses() {
    for seed in 1..=5 {
        let mut sim = Simulation::from_json(&scenario("replication-master-crash"), seed).unwrap();
        sim.run_until(SimTime(8_000));
        // Writes fail (the dead host answers nothing: they time out) while reads from replica-2 go on.
        let done = finished_requests(sim.trace());
        let during = |f: &&redis_ha_sim_tests::Finished| (5_000..7_500).contains(&f.sent_at);
        assert!(done.iter().filter(during).filter(|f| f.command[0] == "SET").all(|f| f.outcome == Outcome::Timeout));
        assert!(done.iter().filter(during).filter(|f| f.command[0] == "GET").all(|f| f.outcome == Outcome::Ok));
        assert_eq!(
            sim.command("replica-1", "SET x 1").unwrap(),
            "(error) READONLY You can't write against a read only replica."
        );
        assert_eq!(info_field(&mut sim, "replica-1", "replication", "master_link_status"), "down");

        // The operator promotes replica-1, points replica-2 at it, and repoints the application.
        assert_eq!(sim.command("replica-1", "REPLICAOF NO ONE").unwrap(), "OK");
        assert_eq!(sim.command("replica-2", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK");
        sim.act(Action::Repoint { process: "app".into(), target: "replica-1".into(), read_target: None }).unwrap();
        sim.run_until(SimTime(12_000));
        let done = finished_requests(sim.trace());
        let after: Vec<_> = done.iter().filter(|f| f.sent_at >= 8_100 && f.command[0] == "SET").collect();
        assert!(!after.is_empty() && after.iter().all(|f| f.outcome == Outcome::Ok), "writes work again");
        // replica-2 continued from the new master's replid2: a partial resync, no full copy.
        assert!(logs(&sim, "replica-2").iter().any(|l| l == "Successful partial resynchronization with master."));
        assert_eq!(info_field(&mut sim, "replica-1", "stats", "sync_partial_ok"), "1");
        assert_eq!(info_field(&mut sim, "replica-1", "stats", "sync_full"), "0");

        // Lost writes: the checker's count equals a recount done key by key through the console.
        let checks = check::checks(sim.world(), sim.trace());
        assert_eq!(checks.serving_master, Some(sim.world().proc_id("replica-1").unwrap()));
        let mut recount = 0;
        for f in done.iter().filter(|f| f.command[0] == "SET" && f.outcome == Outcome::Ok) {
            let got = sim.command("replica-1", &format!("GET {}", f.command[1])).unwrap();
            if got != format!("\"{}\"", f.command[2]) {
                assert!(f.done_at <= 5_000 + 10, "only writes acknowledged before the crash can be lost");
                recount += 1;
            }
        }
        assert!(
            recount > 0,
            "the slow replica missed the master's last writes; {}",
            reproduce(&sim, "replication-master-crash")
        );
        assert_eq!(checks.lost_writes.len(), recount, "{}", reproduce(&sim, "replication-master-crash"));
        assert!(
            checks.no_master_ms >= 2_900 && checks.no_master_ms <= 3_100,
            "no writable master from 5 s to 8 s: {}",
            checks.no_master_ms
        );
    }
}

fn resync(backlog: &str) -> Simulation {
    let json = scenario("replication-resync")
        .replace(r#""repl-backlog-size": "1mb""#, &format!(r#""repl-backlog-size": "{backlog}""#));
    let mut sim = Simulation::from_json(&json, 3).unwrap();
    // Between two of the master's once-a-second PINGs, so no byte is in flight when offsets are compared.
    sim.run_until(SimTime(11_500));
    sim
}

#[test]
fn a_disconnect_within_the_backlog_resyncs_partially_and_beyond_it_fully() {
    let mut small = resync("16kb");
    let mut large = resync("1mb");
    for sim in [&mut small, &mut large] {
        let log = logs(sim, "replica");
        assert!(
            log.iter().any(|l| l == "MASTER timeout: no data nor PING received..."),
            "the replica noticed the partition"
        );
        assert!(log.iter().any(|l| l.starts_with("Trying a partial resynchronization")));
        // Both end with the same data as the master.
        assert_eq!(sim.command("replica", "DBSIZE").unwrap(), sim.command("master", "DBSIZE").unwrap());
        assert_eq!(
            info_field(sim, "replica", "replication", "slave_repl_offset"),
            info_field(sim, "master", "replication", "master_repl_offset")
        );
    }
    assert_eq!(info_field(&mut large, "master", "stats", "sync_partial_ok"), "1");
    assert_eq!(info_field(&mut large, "master", "stats", "sync_full"), "1", "only the initial sync");
    // ~80 writes of ~400 bytes during the 4 s cut: more than 16 KB, so the backlog lost the start of it.
    assert_eq!(info_field(&mut small, "master", "stats", "sync_partial_ok"), "0");
    assert_eq!(info_field(&mut small, "master", "stats", "sync_full"), "2");
    assert!(logs(&small, "master")
        .iter()
        .any(|l| l.starts_with("Unable to partial resync with replica 10.0.0.2:6379 for lack of backlog")));
}

#[test]
fn chained_replicas_get_every_write_at_the_same_offsets() {
    let mut sim = Simulation::from_json(&scenario("replication-chain"), 5).unwrap();
    sim.run_until(SimTime(4_000));
    assert_eq!(info_field(&mut sim, "replica-1", "replication", "connected_slaves"), "1");
    // Writes stop at 6 s and the last EX 2 keys expire by 8 s; compare between two PINGs.
    sim.run_until(SimTime(9_500));
    let offset = info_field(&mut sim, "master", "replication", "master_repl_offset");
    assert_eq!(info_field(&mut sim, "replica-1", "replication", "master_repl_offset"), offset);
    assert_eq!(info_field(&mut sim, "replica-2", "replication", "master_repl_offset"), offset);
    assert_eq!(
        info_field(&mut sim, "replica-2", "replication", "master_replid"),
        info_field(&mut sim, "master", "replication", "master_replid")
    );
    let keys = sim.command("master", "KEYS *").unwrap();
    assert_eq!(sim.command("replica-2", "KEYS *").unwrap(), keys);
    assert_eq!(sim.command("replica-2", "GET counter").unwrap(), sim.command("master", "GET counter").unwrap());
    // Keys set with EX expired on the master, which propagated their deletion down the chain.
    assert_eq!(sim.command("replica-2", "KEYS t:*").unwrap(), "(empty array)");
}

#[test]
fn a_replica_with_replicas_of_its_own_only_proxies_its_masters_pings() {
    // replicationFeedSlaves returns at once on a replica: only the top master PINGs down the stream, so an
    // intermediate replica never adds bytes of its own and the chain keeps the master's offsets.
    let mut sim = Simulation::from_json(&scenario("replication-chain"), 5).unwrap();
    sim.run_until(SimTime(31_500));
    let offset = info_field(&mut sim, "master", "replication", "master_repl_offset");
    for r in ["replica-1", "replica-2"] {
        assert_eq!(info_field(&mut sim, r, "replication", "master_repl_offset"), offset, "{r}");
        assert!(!logs(&sim, r).iter().any(|l| l.starts_with("Replication stream gap")), "{r}: {:?}", logs(&sim, r));
    }
    assert_eq!(info_field(&mut sim, "master", "stats", "sync_full"), "1", "replica-2 synced from replica-1 only");
}

#[test]
fn a_sub_replica_whose_master_has_lost_its_own_master_is_told_to_try_later() {
    // replica-2 replicates from replica-1, whose master is dead: replica-1 refuses PSYNC with -NOMASTERLINK
    // (syncCommand), and replica-2 logs it in Redis's words and keeps trying.
    let mut sim = Simulation::from_json(&scenario("replication-chain"), 5).unwrap();
    sim.run_until(SimTime(4_000));
    sim.act(Action::Crash { process: "master".into() }).unwrap();
    sim.run_until(SimTime(5_000));
    sim.act(Action::Crash { process: "replica-2".into() }).unwrap();
    sim.run_until(SimTime(5_500));
    sim.act(Action::Restart { process: "replica-2".into() }).unwrap();
    sim.run_until(SimTime(9_000));
    let told = "Master is currently unable to PSYNC but should be in the future: \
                -NOMASTERLINK Can't SYNC while not connected with my master";
    let logs = logs(&sim, "replica-2");
    assert!(logs.iter().filter(|l| *l == told).count() >= 2, "it retries at each cron: {logs:?}");
    assert_eq!(info_field(&mut sim, "replica-2", "replication", "master_link_status"), "down");
}

#[test]
fn min_replicas_refuses_writes_without_a_good_replica_and_wait_counts_acks() {
    let mut sim = Simulation::from_json(&scenario("replication-min-replicas"), 1).unwrap();
    sim.run_until(SimTime(2_000));
    assert_eq!(sim.command("master", "SET a 1").unwrap(), "OK");
    assert_eq!(sim.command("master", "WAIT 1 1000").unwrap(), redis_ha_sim::server::BLOCKED_NOTE);
    sim.run_until(SimTime(2_100));
    assert_eq!(console_replies(&sim, "(WAIT 1 returned)"), vec!["(integer) 1"]);
    assert_eq!(sim.command("master", "SET b 2").unwrap(), "OK");
    sim.command("master", "WAIT 2 500").unwrap();
    sim.run_until(SimTime(2_700));
    assert_eq!(
        console_replies(&sim, "(WAIT 2 returned)"),
        vec!["(integer) 1"],
        "WAIT 2 with one replica times out with 1"
    );
    assert!(sim
        .command("replica", "WAIT 1 0")
        .unwrap()
        .starts_with("(error) ERR WAIT cannot be used with replica instances."));

    // Cut the replica off: the master accepts writes until its last ACK is older than 2 s.
    sim.act(Action::Partition { groups: vec![vec!["db1".into()], vec!["db2".into()]] }).unwrap();
    sim.run_until(SimTime(3_500));
    assert_eq!(sim.command("master", "SET c 3").unwrap(), "OK");
    sim.run_until(SimTime(6_100));
    assert_eq!(sim.command("master", "SET d 4").unwrap(), "(error) NOREPLICAS Not enough good replicas to write.");
    assert_eq!(sim.command("master", "GET c").unwrap(), "\"3\"", "reads still work");
    assert_eq!(info_field(&mut sim, "master", "replication", "min_slaves_good_slaves"), "0");
    sim.act(Action::Heal).unwrap();
    sim.run_until(SimTime(10_000));
    assert_eq!(sim.command("master", "SET d 4").unwrap(), "OK", "writes resume when the replica is back");
}

/// What the console is told of its own blocked WAIT when its master is demoted, of a paused process, and of
/// SHUTDOWN: Redis's UNBLOCKED error, a note that redis-cli would hang, and nothing (the connection closes).
#[test]
fn the_console_learns_how_its_blocked_wait_ends_and_is_told_what_redis_cli_would_do() {
    let mut sim = Simulation::from_json(&scenario("replication-min-replicas"), 1).unwrap();
    sim.run_until(SimTime(2_000));
    sim.act(Action::Partition { groups: vec![vec!["db1".into()], vec!["db2".into()]] }).unwrap();
    assert_eq!(sim.command("master", "SET a 1").unwrap(), "OK");
    assert_eq!(sim.command("master", "WAIT 1 0").unwrap(), redis_ha_sim::server::BLOCKED_NOTE);
    sim.run_until(SimTime(2_100));
    assert_eq!(sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK");
    assert_eq!(
        console_replies(&sim, "(WAIT 1 returned)"),
        vec!["(error) UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"]
    );
    sim.act(Action::Pause { process: "replica".into() }).unwrap();
    assert_eq!(
        sim.command("replica", "PING").unwrap(),
        "(paused: 10.0.0.2:6379 is stopped by SIGSTOP; redis-cli would hang here until it resumes. The command was not sent.)"
    );
    sim.act(Action::Resume { process: "replica".into() }).unwrap();
    assert_eq!(sim.command("replica", "SHUTDOWN NOSAVE").unwrap(), "");
}

fn console_replies(sim: &Simulation, line: &str) -> Vec<String> {
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Console { line: l, reply, .. } if l == line => Some(reply.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_diskless_master_forks_one_transfer_at_a_time_and_a_late_replica_waits_for_the_next() {
    // replica-2 asks while the master's child is still streaming the snapshot to replica-1 (a 1 Mbit/s
    // link): Redis does not attach it to a socket-target BGSAVE; it waits, then gets its own.
    let json = r#"{"version":1,"network":{"latency_ms":1,"bandwidth_mbps":1},"hosts":[
        {"name":"m","ip":"10.0.0.1","processes":[{"kind":"server","name":"master","config":{"save":"","repl-diskless-sync-delay":0}}]},
        {"name":"r1","ip":"10.0.0.2","processes":[{"kind":"server","name":"replica-1","config":{"save":""}}]},
        {"name":"r2","ip":"10.0.0.3","processes":[{"kind":"server","name":"replica-2","config":{"save":""}}]},
        {"name":"app","ip":"10.0.0.9","processes":[{"kind":"client","name":"app","target":"master",
          "workload":{"interval_ms":1,"stop_ms":2500,"keys":100000,"ops":[{"command":"SET {key} {value}"}]}}]}],
      "actions":[{"at_ms":3000,"do":"command","process":"replica-1","line":"REPLICAOF 10.0.0.1 6379"},
                 {"at_ms":3100,"do":"command","process":"replica-2","line":"REPLICAOF 10.0.0.1 6379"}]}"#;
    let mut sim = Simulation::from_json(json, 1).unwrap();
    sim.run_until(SimTime(12_000));
    let log = logs(&sim, "master");
    let forks: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, l)| *l == "Starting BGSAVE for SYNC with target: replicas sockets")
        .map(|(i, _)| i)
        .collect();
    let waited = log.iter().position(|l| l == "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    let first_done = log.iter().position(|l| l == "Synchronization with replica 10.0.0.2:6379 succeeded");
    assert_eq!(forks.len(), 2, "{log:#?}");
    let (waited, first_done) = (waited.expect("replica-2 waited"), first_done.expect("replica-1 synced"));
    assert!(forks[0] < waited && waited < first_done && first_done < forks[1], "{log:#?}");
    assert_eq!(sim.command("replica-2", "DBSIZE").unwrap(), sim.command("master", "DBSIZE").unwrap());
    assert_eq!(info_field(&mut sim, "master", "stats", "sync_full"), "2");
    // A diskless transfer has no length up front: the replica logs it as Redis 7 does.
    assert!(logs(&sim, "replica-2")
        .iter()
        .any(|l| l == "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"));
}

/// Two servers, `r1` made a replica of `master` by REPLICAOF at 500 ms.
const TWO_SERVERS: &str = r#"{"version":1,"network":{"latency_ms":1},"hosts":[
  {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"master","config":{"repl-diskless-sync-delay":0,"save":""}}]},
  {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"r1","config":{"save":""}}]}],
  "actions":[{"at_ms":500,"do":"command","process":"r1","line":"REPLICAOF 10.0.0.1 6379"}]}"#;

/// Log lines with their 40-character ids (the null id too) written `<id>`, and pids `<pid>`.
fn masked(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            let mut words: Vec<String> = l.split(' ').map(str::to_string).collect();
            for w in &mut words {
                if let Some(at) = w.find(|c: char| c.is_ascii_hexdigit()) {
                    let run = w[at..].chars().take_while(|c| c.is_ascii_hexdigit()).count();
                    if run == 40 {
                        w.replace_range(at..at + 40, "<id>");
                    }
                }
            }
            if l.contains(" by pid ") {
                words.pop();
                words.push("<pid>".into());
            }
            words.join(" ")
        })
        .collect()
}

#[test]
fn replicaof_a_full_sync_and_a_master_crash_log_what_redis_7_logs() {
    let mut sim = Simulation::from_json(TWO_SERVERS, 1).unwrap();
    sim.run_until(SimTime(2_000));
    // As a real redis-server 7.0 logs them (the user-request line shortened to id and addr).
    assert_eq!(
        masked(logs(&sim, "r1"))[2..],
        [
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
            "Connecting to MASTER 10.0.0.1:6379",
            "MASTER <-> REPLICA sync started",
            "REPLICAOF 10.0.0.1:6379 enabled (user request from 'id=3 addr=127.0.0.1:40000')",
            "Non blocking connect for SYNC fired the event.",
            "Master replied to PING, replication can continue...",
            "Trying a partial resynchronization (request <id>:1).",
            "Full resync from master: <id>:0",
            "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk",
            "Discarding previously cached master state.",
            "MASTER <-> REPLICA sync: Flushing old data",
            "MASTER <-> REPLICA sync: Loading DB in memory",
            "Loading RDB produced by version 7.0.15",
            "RDB age 0 seconds",
            "Done loading RDB, keys loaded: 0, keys expired: 0.",
            "MASTER <-> REPLICA sync: Finished with success",
        ]
    );
    assert_eq!(
        masked(logs(&sim, "master"))[2..],
        [
            "Replica 10.0.0.2:6379 asks for synchronization",
            "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '<id>', my replication IDs are '<id>' and '<id>')",
            "Replication backlog created, my new replication IDs are '<id>' and '<id>'",
            "Starting BGSAVE for SYNC with target: replicas sockets",
            "Background RDB transfer started by pid <pid>",
            "Background RDB transfer terminated with success",
            "Streamed RDB transfer with replica 10.0.0.2:6379 succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
            "Synchronization with replica 10.0.0.2:6379 succeeded",
        ]
    );
    // The master dies: Redis 7.0 reconnects at once (and is refused), then once a second.
    sim.act(Action::Crash { process: "master".into() }).unwrap();
    sim.run_until(SimTime(2_500));
    let before = logs(&sim, "r1").len() - 5;
    assert_eq!(
        logs(&sim, "r1")[before..],
        [
            "Connection with master lost.",
            "Caching the disconnected master state.",
            "Reconnecting to MASTER 10.0.0.1:6379",
            "MASTER <-> REPLICA sync started",
            "Error condition on socket for SYNC: Connection refused",
        ]
    );
}

#[test]
fn a_master_restarted_from_its_rdb_lets_its_replica_continue() {
    let mut sim = Simulation::from_json(TWO_SERVERS, 1).unwrap();
    sim.run_until(SimTime(2_000));
    sim.command("master", "SET a 1").unwrap();
    sim.run_until(SimTime(3_000));
    let replid = info_field(&mut sim, "master", "replication", "master_replid");
    sim.command("master", "SHUTDOWN SAVE").unwrap();
    sim.act(Action::Restart { process: "master".into() }).unwrap();
    sim.run_until(SimTime(6_000));
    // Redis 7.0's loadDataFromDisk: the saved history becomes replid2, valid up to the saved offset + 1.
    assert_eq!(info_field(&mut sim, "master", "replication", "master_replid2"), replid);
    assert_eq!(info_field(&mut sim, "master", "replication", "second_repl_offset"), "51");
    assert_eq!(info_field(&mut sim, "master", "replication", "repl_backlog_first_byte_offset"), "51");
    let master = logs(&sim, "master");
    assert!(master.iter().any(|l| l == "Done loading RDB, keys loaded: 1, keys expired: 0."), "{master:?}");
    assert!(master.iter().any(|l| l
        == "Partial resynchronization request from 10.0.0.2:6379 accepted. Sending 0 bytes of backlog starting from offset 51."));
    assert!(logs(&sim, "r1").iter().any(|l| l.starts_with("Master replication ID changed to ")));
    assert_eq!(sim.command("r1", "GET a").unwrap(), "\"1\"");
}

#[test]
fn replicaof_keeps_the_replicas_of_a_replica_until_its_history_changes() {
    let mut sim = Simulation::from_json(
        r#"{"version":1,"network":{"latency_ms":1},"hosts":[
  {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"master","config":{"repl-diskless-sync-delay":0,"save":""}}]},
  {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"r1","config":{"repl-diskless-sync-delay":0,"save":"","replicaof":"10.0.0.1 6379"}}]},
  {"name":"db3","ip":"10.0.0.3","processes":[{"kind":"server","name":"r2","config":{"save":"","replicaof":"10.0.0.2 6379"}}]}]}"#,
        1,
    )
    .unwrap();
    sim.run_until(SimTime(3_000));
    sim.command("r1", "REPLICAOF NO ONE").unwrap();
    sim.run_until(SimTime(5_000));
    assert_eq!(info_field(&mut sim, "r1", "replication", "connected_slaves"), "1");
    // replicationSetMaster leaves our replicas connected ...
    sim.command("r1", "REPLICAOF 10.0.0.1 6379").unwrap();
    assert_eq!(info_field(&mut sim, "r1", "replication", "connected_slaves"), "1");
    // ... until the full resync with the old master (r1's new history is unknown to it) replaces the data.
    sim.run_until(SimTime(8_000));
    let r1 = logs(&sim, "r1");
    let full = r1.iter().rposition(|l| l.starts_with("Full resync from master")).unwrap();
    assert!(r1[full..].iter().any(|l| l == "Connection with replica 10.0.0.3:6379 lost."), "{r1:?}");
    assert_eq!(info_field(&mut sim, "r2", "replication", "master_link_status"), "up");
}

#[test]
fn a_dead_replica_is_shown_as_the_replica_it_was_and_a_dead_master_as_the_master() {
    let mut sim = Simulation::from_json(redis_ha_sim::library::get("replication").unwrap(), 1).unwrap();
    sim.run_until(SimTime(4_000));
    let role = |sim: &Simulation, name: &str| {
        let view = redis_ha_sim::view::world_view(sim.world());
        let p = view.processes.iter().find(|p| p.name == name).unwrap();
        (p.state, p.role)
    };
    sim.act(Action::Crash { process: "replica-1".into() }).unwrap();
    sim.act(Action::Crash { process: "master".into() }).unwrap();
    sim.run_until(SimTime(5_000));
    // Their memory is gone, and with it the role; they are shown as what they were when they died.
    assert_eq!(role(&sim, "replica-1"), ("crashed", Some("replica")));
    assert_eq!(role(&sim, "master"), ("crashed", Some("master")));
    // Restarted, the replica reads its configuration (replicaof) and is a replica again.
    sim.act(Action::Restart { process: "replica-1".into() }).unwrap();
    sim.run_until(SimTime(6_000));
    assert_eq!(role(&sim, "replica-1"), ("up", Some("replica")));
}

/// Two servers on one network: `master` and `replica`, which replicates it (diskless by default).
fn master_and_replica(extra: &str) -> Simulation {
    let config = format!(r#""save":"","repl-ping-replica-period":60,"repl-diskless-sync-delay":0{extra}"#);
    Simulation::from_json(
        &format!(
            r#"{{"version":1,"hosts":[
            {{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{{{config}}}}}]}},
            {{"name":"db2","ip":"10.0.0.2","processes":[{{"kind":"server","name":"replica","config":{{{config},"replicaof":"10.0.0.1 6379"}}}}]}}]}}"#
        ),
        1,
    )
    .unwrap()
}

/// While a diskless full sync streams the snapshot, Redis 7.0 still calls the replica `wait_bgsave` (its
/// SLAVE_STATE_WAIT_BGSAVE_END) until the child exits; only a disk-based sync shows `send_bulk`.
#[test]
fn a_diskless_transfer_is_wait_bgsave_in_info_a_disk_based_one_send_bulk() {
    for (extra, during) in [("", "wait_bgsave"), (r#","repl-diskless-sync":"no""#, "send_bulk")] {
        let mut sim = master_and_replica(extra);
        let mut seen = Vec::new();
        for _ in 0..200 {
            sim.run_for(1);
            let info = sim.command("master", "INFO replication").unwrap();
            if let Some(state) = info.split("state=").nth(1).and_then(|s| s.split(',').next()) {
                if seen.last().map(String::as_str) != Some(state) {
                    seen.push(state.to_string());
                }
            }
        }
        assert_eq!(seen, ["wait_bgsave", during, "online"][usize::from(during == "wait_bgsave")..], "{extra}");
    }
}

/// Redis counts lag in whole seconds of the wall clock (`server.unixtime`): an ACK from just before a second
/// boundary is 1 second old just after it; min-replicas-max-lag judges the same count.
#[test]
fn lag_counts_whole_seconds_of_the_clock() {
    let mut sim = master_and_replica("");
    let lag = |sim: &mut Simulation| {
        info_field(sim, "master", "replication", "slave0").rsplit("lag=").next().unwrap().to_string()
    };
    // The replica ACKs once a second, at its replicationCron (1000 ms after its start, then each second), and the
    // ACK arrives a millisecond later: at 3000 ms the last one is 999 ms old, but from the previous second.
    sim.run_until(SimTime(2_500));
    assert_eq!(lag(&mut sim), "0");
    sim.run_until(SimTime(3_000));
    assert_eq!(lag(&mut sim), "1");
    // Stopped after its ACK of 3001 ms, the replica is 2 seconds behind at 5000 ms though only 1999 ms passed:
    // with min-replicas-max-lag 1 the master refuses writes from then on.
    sim.command("master", "CONFIG SET min-replicas-to-write 1").unwrap();
    sim.command("master", "CONFIG SET min-replicas-max-lag 1").unwrap();
    sim.run_until(SimTime(3_500));
    sim.act(Action::Pause { process: "replica".into() }).unwrap();
    sim.run_until(SimTime(4_900));
    assert_eq!(sim.command("master", "SET k v").unwrap(), "OK");
    sim.run_until(SimTime(5_001));
    assert_eq!(lag(&mut sim), "2");
    assert_eq!(sim.command("master", "SET k v").unwrap(), "(error) NOREPLICAS Not enough good replicas to write.");
}

/// CONFIG REWRITE writes replicaof as it is now, as Redis does (and Sentinel relies on: it sends CONFIG REWRITE
/// after each REPLICAOF): a replica promoted with REPLICAOF NO ONE restarts as a master, a master turned replica
/// restarts as one.
#[test]
fn config_rewrite_keeps_the_role_given_by_replicaof() {
    let mut sim = master_and_replica("");
    sim.run_until(SimTime(2_000));
    assert_eq!(sim.command("replica", "REPLICAOF NO ONE").unwrap(), "OK");
    assert_eq!(sim.command("replica", "CONFIG REWRITE").unwrap(), "OK");
    sim.act(Action::Restart { process: "replica".into() }).unwrap();
    sim.run_until(SimTime(3_000));
    assert_eq!(info_field(&mut sim, "replica", "replication", "role"), "master");
    assert_eq!(sim.command("master", "REPLICAOF 10.0.0.2 6379").unwrap(), "OK");
    assert_eq!(sim.command("master", "CONFIG REWRITE").unwrap(), "OK");
    sim.act(Action::Restart { process: "master".into() }).unwrap();
    sim.run_until(SimTime(4_000));
    assert_eq!(info_field(&mut sim, "master", "replication", "master_host"), "10.0.0.2");
    assert_eq!(info_field(&mut sim, "master", "replication", "master_link_status"), "up");
}

/// 2024-01-01T00:00:00.500Z: virtual time 0 half a second into a Unix second, so that crons started at 0 tick
/// half-way through each second of the clock.
const HALF_PAST: u64 = 1_704_067_200_500;

/// When (virtual ms) `process` logged a line starting with `text`.
fn logged_at(sim: &Simulation, process: &str, text: &str) -> Vec<u64> {
    let id = sim.world().proc_id(process).unwrap();
    sim.trace()
        .iter()
        .filter(|r| matches!(&r.event, TraceEvent::Log { proc, text: t } if *proc == id && t.starts_with(text)))
        .map(|r| r.t.ms())
        .collect()
}

/// A master and a replica whose crons tick half a second apart: the master's at x.5 s of the clock, the
/// replica's (restarted at 500 ms) on the seconds.
fn master_and_late_replica(extra: &str) -> Simulation {
    let config = format!(r#""save":"","repl-ping-replica-period":60,"repl-diskless-sync-delay":0{extra}"#);
    let mut sim = Simulation::from_json(
        &format!(
            r#"{{"version":1,"start_unix_ms":{HALF_PAST},"network":{{"latency_ms":1}},"hosts":[
            {{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{{{config}}}}}]}},
            {{"name":"db2","ip":"10.0.0.2","processes":[{{"kind":"server","name":"replica","config":{{{config},"replicaof":"10.0.0.1 6379"}}}}]}}]}}"#
        ),
        1,
    )
    .unwrap();
    sim.run_until(SimTime(500));
    sim.act(Action::Crash { process: "replica".into() }).unwrap();
    sim.act(Action::Restart { process: "replica".into() }).unwrap();
    sim
}

/// The master's side of repl-timeout and repl-backlog-ttl count whole seconds of the clock with `>`, as
/// replicationCron does (`server.unixtime - repl_ack_time > repl-timeout`, `server.unixtime -
/// repl_no_slaves_since > repl-backlog-ttl`): a replica last heard at 5.001 s of the clock is dropped at 8.5 s
/// (more than 2 seconds: 3), not at 7.5 s though 2.5 s had passed then; the backlog of a master left without
/// replicas at 8.5 s is freed at 10.5 s with a ttl of 1 (more than 1 second: 2), not at 9.5 s.
#[test]
fn the_master_counts_repl_timeout_and_the_backlog_ttl_in_whole_seconds() {
    let mut sim = master_and_late_replica(r#","repl-timeout":2,"repl-backlog-ttl":1"#);
    // The replica ACKs at its crons (4500 ms virtual, 5.0 s of the clock), the master gets it 1 ms later.
    sim.run_until(SimTime(4_700));
    assert!(info_field(&mut sim, "replica", "replication", "master_link_status").starts_with("up"));
    sim.act(Action::Pause { process: "replica".into() }).unwrap();
    sim.run_until(SimTime(12_000));
    assert_eq!(logged_at(&sim, "master", "Disconnecting timedout replica (streaming sync)"), [8_000]);
    assert_eq!(
        logged_at(&sim, "master", "Replication backlog freed after 1 seconds without connected replicas"),
        [10_000]
    );
}

/// repl-diskless-sync-delay counts whole seconds of the clock at replicationCron (`server.unixtime -
/// lastinteraction >= delay`, the replica's PSYNC being the last it sent): a PSYNC at 0.9 s of the clock with
/// a delay of 2 forks at the master's first cron of the second second, 2.5 s — 1.6 s after the PSYNC.
#[test]
fn the_diskless_sync_delay_counts_whole_seconds_at_the_replication_cron() {
    let config = r#""save":"","repl-ping-replica-period":60,"repl-diskless-sync-delay":2"#;
    let mut sim = Simulation::from_json(
        &format!(
            r#"{{"version":1,"start_unix_ms":{HALF_PAST},"network":{{"latency_ms":1}},"hosts":[
            {{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{{{config}}}}}]}},
            {{"name":"db2","ip":"10.0.0.2","processes":[{{"kind":"server","name":"replica","config":{{{config}}}}}]}}]}}"#
        ),
        1,
    )
    .unwrap();
    sim.run_until(SimTime(400));
    sim.command("replica", "REPLICAOF 10.0.0.1 6379").unwrap();
    sim.run_until(SimTime(5_000));
    let asked = logged_at(&sim, "master", "Replica 10.0.0.2:6379 asks for synchronization");
    assert!(asked.len() == 1 && asked[0] < 500, "{asked:?}");
    assert_eq!(logged_at(&sim, "master", "Delay next BGSAVE for diskless SYNC"), asked);
    assert_eq!(logged_at(&sim, "master", "Starting BGSAVE for SYNC with target: replicas sockets"), [2_000]);
    assert!(info_field(&mut sim, "replica", "replication", "master_link_status").starts_with("up"));
}

/// INFO's uptime_in_seconds is `server.unixtime - stat_starttime`: at 1999 ms after a start at 0.5 s of the
/// clock it is 2.
#[test]
fn uptime_counts_whole_seconds_of_the_clock() {
    let mut sim = master_and_late_replica("");
    sim.run_until(SimTime(1_999));
    assert_eq!(info_field(&mut sim, "master", "server", "uptime_in_seconds"), "2");
}
