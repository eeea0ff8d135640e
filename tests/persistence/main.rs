//! Persistence as a learner compares it: the same write load and the same power loss under appendfsync
//! always, everysec and no, and RDB snapshots only — what each loses, bounded as Redis documents; a process
//! crash versus a power loss; the startup order; AOF rewrite; a torn AOF tail; a restarted replica that
//! continues from its RDB.

use redis_ha_sim::check;
use redis_ha_sim::trace::TraceEvent;
use redis_ha_sim::{library, Action, SimTime, Simulation};

/// The built-in persistence scenario with its server's config replaced, run to 25 s: power off at 15 s.
fn run_with(config: &str, seed: u64) -> Simulation {
    let json = library::get("persistence")
        .unwrap()
        .replace(r#""appendonly": "yes", "appendfsync": "everysec", "save": "10 1""#, config);
    let mut sim = Simulation::from_json(&json, seed).unwrap();
    sim.run_until(SimTime(25_000));
    sim
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

const POWER_OFF_MS: u64 = 15_000;

#[test]
fn appendfsync_always_loses_no_acknowledged_write() {
    for seed in 1..=5 {
        let sim = run_with(r#""appendonly": "yes", "appendfsync": "always", "save": """#, seed);
        let c = check::checks(sim.world(), sim.trace());
        assert!(c.acked_writes > 400);
        assert_eq!(c.lost_writes, vec![], "seed {seed}");
    }
}

#[test]
fn appendfsync_everysec_loses_at_most_about_two_seconds() {
    let mut lost_any = false;
    for seed in 1..=10 {
        let sim = run_with(r#""appendonly": "yes", "appendfsync": "everysec", "save": """#, seed);
        let c = check::checks(sim.world(), sim.trace());
        for l in &c.lost_writes {
            assert!(
                l.acked_at + 2_000 >= POWER_OFF_MS,
                "seed {seed}: a write acknowledged at {} ms was lost",
                l.acked_at
            );
        }
        lost_any |= !c.lost_writes.is_empty();
    }
    assert!(lost_any, "the last second of writes is usually lost");
}

#[test]
fn appendfsync_no_loses_up_to_the_os_flush_interval() {
    let mut oldest_lost = u64::MAX;
    for seed in 1..=5 {
        let sim = run_with(r#""appendonly": "yes", "appendfsync": "no", "save": """#, seed);
        let c = check::checks(sim.world(), sim.trace());
        for l in &c.lost_writes {
            assert!(l.acked_at + 30_000 >= POWER_OFF_MS, "older than the OS's 30 s flush: {}", l.acked_at);
            oldest_lost = oldest_lost.min(l.acked_at);
        }
    }
    // The OS had not flushed yet at 15 s: far more than everysec's last second or two is gone.
    assert!(oldest_lost + 5_000 < POWER_OFF_MS, "oldest lost write acknowledged at {oldest_lost} ms");
}

#[test]
fn rdb_only_loses_everything_since_the_last_snapshot() {
    let sim = run_with(r#""appendonly": "no", "save": "5 1""#, 1);
    let c = check::checks(sim.world(), sim.trace());
    // `save 5 1` saves once more than 5 whole seconds of the clock have passed since the last save: at 6 s and
    // 12 s (as a real Redis does), the next not before 18 s: everything after the fork at 12 s is lost.
    let forks: Vec<u64> = sim
        .trace()
        .iter()
        .filter(|r| {
            matches!(&r.event, TraceEvent::Child { job, done: false, .. } if job == "bgsave") && r.t.ms() < POWER_OFF_MS
        })
        .map(|r| r.t.ms())
        .collect();
    // Save points are checked by serverCron (every 100 ms), on the seconds' boundaries here.
    assert_eq!(forks, [6_000, 12_000]);
    let last_fork = *forks.last().unwrap();
    let acked_after: usize = redis_ha_sim_tests::finished_requests(sim.trace())
        .iter()
        .filter(|f| {
            f.outcome == redis_ha_sim::trace::Outcome::Ok && f.sent_at > last_fork + 1 && f.done_at < POWER_OFF_MS
        })
        .count();
    assert!(c.lost_writes.iter().all(|l| l.acked_at >= last_fork));
    assert!(
        c.lost_writes.len() >= acked_after,
        "every write after the last snapshot is lost: {} < {acked_after}",
        c.lost_writes.len()
    );
    assert!(c.lost_writes.len() > 50, "about three seconds of writes");
    assert!(logs(&sim, "redis").iter().any(|l| l == "DB loaded from disk"));
}

#[test]
fn a_process_crash_loses_nothing_that_reached_the_os_even_with_appendfsync_no() {
    let json = library::get("persistence")
        .unwrap()
        .replace(r#""appendfsync": "everysec""#, r#""appendfsync": "no""#)
        .replace(r#""do": "power_off", "host": "db""#, r#""do": "crash", "process": "redis""#)
        .replace(r#""do": "power_on", "host": "db""#, r#""do": "restart", "process": "redis""#);
    let mut sim = Simulation::from_json(&json, 2).unwrap();
    sim.run_until(SimTime(25_000));
    let c = check::checks(sim.world(), sim.trace());
    assert!(c.acked_writes > 400);
    assert_eq!(c.lost_writes, vec![]);
    assert!(logs(&sim, "redis").iter().any(|l| l == "DB loaded from append only file"));
}

const TWO_FILES: &str = r#"{"version":1,"hosts":[{"name":"db","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis",
  "config":{"appendonly":"yes","save":""}}]}]}"#;

#[test]
fn startup_reads_the_aof_first_and_the_rdb_only_without_appendonly() {
    let mut sim = Simulation::from_json(TWO_FILES, 1).unwrap();
    sim.run_until(SimTime(1_000));
    assert_eq!(sim.command("redis", "SET in-both 1").unwrap(), "OK");
    assert_eq!(sim.command("redis", "SAVE").unwrap(), "OK");
    assert_eq!(sim.command("redis", "SET only-in-aof 1").unwrap(), "OK");
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    sim.run_until(SimTime(2_000));
    assert_eq!(sim.command("redis", "DBSIZE").unwrap(), "(integer) 2", "the AOF has both keys");
    assert_eq!(logs(&sim, "redis").iter().filter(|l| *l == "DB loaded from append only file").count(), 1);

    // Without the AOF but still appendonly yes, Redis 7 starts empty: the RDB beside it is not read.
    sim.act(Action::Crash { process: "redis".into() }).unwrap();
    sim.act(Action::RemoveFile { host: "db".into(), path: "appendonlydir".into() }).unwrap();
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    sim.run_until(SimTime(3_000));
    assert_eq!(sim.command("redis", "DBSIZE").unwrap(), "(integer) 0");
    assert!(logs(&sim, "redis").iter().filter(|l| l.starts_with("Creating AOF base file")).count() == 2);

    // With appendonly no written to the config file, the restart reads dump.rdb.
    assert_eq!(sim.command("redis", "CONFIG SET appendonly no").unwrap(), "OK");
    assert_eq!(sim.command("redis", "CONFIG REWRITE").unwrap(), "OK");
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    sim.run_until(SimTime(4_000));
    assert_eq!(sim.command("redis", "KEYS *").unwrap(), "1) \"in-both\"");
    assert!(logs(&sim, "redis").iter().any(|l| l == "DB loaded from disk"));
}

#[test]
fn a_rewrite_under_load_shrinks_the_aof_and_keeps_the_data() {
    let json = r#"{"version":1,"hosts":[{"name":"db","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis",
      "config":{"appendonly":"yes","save":"","auto-aof-rewrite-min-size":"10kb","auto-aof-rewrite-percentage":100}}]},
      {"name":"app","ip":"10.0.0.2","processes":[{"kind":"client","name":"app","target":"redis",
        "workload":{"interval_ms":10,"keys":20,"stop_ms":9000,"ops":[{"command":"SET {key} {value}"},{"command":"INCR counter"}]}}]}]}"#;
    let mut sim = Simulation::from_json(json, 3).unwrap();
    sim.run_until(SimTime(3_000));
    let before: u64 = info(&mut sim, "aof_current_size").parse().unwrap();
    assert_eq!(sim.command("redis", "BGREWRITEAOF").unwrap(), "Background append only file rewriting started");
    sim.run_until(SimTime(3_010));
    let base: u64 = info(&mut sim, "aof_base_size").parse().unwrap();
    assert!(base * 5 < before, "20 keys and a counter fit in far less than the log of every write: {base} vs {before}");
    assert!(
        sim.command("redis", "BGREWRITEAOF").unwrap() == "Background append only file rewriting started"
            || info(&mut sim, "aof_rewrites") == "1"
    );
    sim.run_until(SimTime(10_000));
    // The automatic rewrite kicked in as the log doubled again.
    assert!(logs(&sim, "redis").iter().any(|l| l.starts_with("Starting automatic rewriting of AOF on")));
    assert!(logs(&sim, "redis").iter().any(|l| l.starts_with("Removing the history file appendonly.aof.1.incr.aof")));
    let keys = sim.command("redis", "KEYS *").unwrap();
    let counter = sim.command("redis", "GET counter").unwrap();
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    sim.run_until(SimTime(10_100));
    assert_eq!(sim.command("redis", "KEYS *").unwrap(), keys);
    assert_eq!(sim.command("redis", "GET counter").unwrap(), counter);
    let files: Vec<String> = sim.world().hosts()[0].disk.files().map(|(p, _)| p.clone()).collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("appendonlydir/appendonly.aof.") && f.ends_with(".base.rdb") && !f.contains(".1.")),
        "{files:?}"
    );
    assert!(files.contains(&"appendonlydir/appendonly.aof.manifest".to_string()));
}

fn info(sim: &mut Simulation, field: &str) -> String {
    let text = sim.command("redis", "INFO persistence").unwrap();
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_string)).unwrap()
}

#[test]
fn a_torn_aof_tail_loads_with_a_warning_or_stops_the_server() {
    for (truncated_ok, starts) in [("yes", true), ("no", false)] {
        let json = TWO_FILES.replace(r#""save":"""#, &format!(r#""save":"","aof-load-truncated":"{truncated_ok}""#));
        let mut sim = Simulation::from_json(&json, 1).unwrap();
        sim.run_until(SimTime(500));
        for i in 0..5 {
            sim.command("redis", &format!("SET k{i} v{i}")).unwrap();
        }
        sim.act(Action::Crash { process: "redis".into() }).unwrap();
        sim.act(Action::TruncateFile {
            host: "db".into(),
            path: "appendonlydir/appendonly.aof.1.incr.aof".into(),
            bytes: 5,
        })
        .unwrap();
        sim.act(Action::Restart { process: "redis".into() }).unwrap();
        sim.run_until(SimTime(1_000));
        let log = logs(&sim, "redis");
        assert!(log
            .iter()
            .any(|l| l == "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"));
        if starts {
            assert!(log.iter().any(|l| l == "AOF loaded anyway because aof-load-truncated is enabled"));
            assert_eq!(sim.command("redis", "DBSIZE").unwrap(), "(integer) 4", "the torn last SET is dropped");
        } else {
            assert!(log
                .iter()
                .any(|l| l.starts_with("Bad file format reading the append only file appendonly.aof.1.incr.aof")));
            assert_eq!(
                sim.command("redis", "PING").unwrap(),
                "Could not connect to Redis at 10.0.0.1:6379: Connection refused"
            );
        }
    }
}

#[test]
fn a_restarted_replica_with_an_rdb_continues_and_disk_based_full_sync_works() {
    let json = r#"{"version":1,"network":{"latency_ms":2},"hosts":[
      {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"master","config":{"repl-diskless-sync":"no","save":""}}]},
      {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"replica","config":{"replicaof":"10.0.0.1 6379","save":"1 1"}}]},
      {"name":"app","ip":"10.0.0.3","processes":[{"kind":"client","name":"app","target":"master",
        "workload":{"interval_ms":20,"ops":[{"command":"SET {key} {value}"}]}}]}]}"#;
    let mut sim = Simulation::from_json(json, 1).unwrap();
    sim.run_until(SimTime(3_000));
    assert!(logs(&sim, "master").iter().any(|l| l == "Starting BGSAVE for SYNC with target: disk"));
    assert!(sim.world().hosts()[0].disk.exists("dump.rdb"), "the full sync went through the master's disk");
    sim.act(Action::Crash { process: "replica".into() }).unwrap();
    sim.run_until(SimTime(3_500));
    sim.act(Action::Restart { process: "replica".into() }).unwrap();
    sim.run_until(SimTime(6_000));
    let log = logs(&sim, "replica");
    assert!(log.iter().any(|l| l == "DB loaded from disk"));
    assert!(log.iter().any(|l| l.starts_with("Trying a partial resynchronization")));
    assert!(log.iter().any(|l| l == "Successful partial resynchronization with master."), "{log:?}");
    sim.run_until(SimTime(6_500));
    assert_eq!(sim.command("replica", "DBSIZE").unwrap(), sim.command("master", "DBSIZE").unwrap());
}

#[test]
fn independent_servers_side_by_side_are_judged_each_against_its_own_data() {
    // Four standalone servers, four applications, one power loss: each application's writes are judged
    // against the server that acknowledged them, and four masters that share nothing are no split brain.
    let mut sim =
        redis_ha_sim::Simulation::from_json(redis_ha_sim::library::get("persistence-compare").unwrap(), 3).unwrap();
    sim.run_until(redis_ha_sim::SimTime(45_000));
    let c = redis_ha_sim::check::checks(sim.world(), sim.trace());
    let kept: usize = sim.command("redis-rdb", "DBSIZE").unwrap().trim_start_matches("(integer) ").parse().unwrap();
    let lost_by = |client: &str| {
        let id = sim.world().proc_id(client).unwrap();
        c.lost_writes.iter().filter(|l| l.client == id).count()
    };
    assert_eq!(lost_by("app-always"), 0);
    assert!(lost_by("app-everysec") <= 25, "everysec loses at most about two seconds of writes");
    // RDB-only loses everything since its last snapshot: exactly the keys DBSIZE no longer has.
    let acked_rdb = c.acked_by_client.iter().find(|(p, _)| *p == sim.world().proc_id("app-rdb").unwrap()).unwrap().1;
    assert_eq!(lost_by("app-rdb"), acked_rdb - kept);
    assert!(c.split_brain.is_empty(), "{:?}", c.split_brain);
    assert!(c.lost_writes.iter().all(|l| l.key.starts_with("w:")));
    // The four masters are named, one per deployment, for the page and the CLI to say so.
    let masters: Vec<&str> = c.serving_masters.iter().map(|&m| sim.world().proc_name(m)).collect();
    assert_eq!(masters, ["redis-rdb", "redis-always", "redis-everysec", "redis-no"]);
}

/// One server without save points on a 1 MB/s disk, with a 5 KB value: its children take about 5 ms.
fn one_server() -> Simulation {
    let mut sim = Simulation::from_json(
        r#"{"version":1,"hosts":[{"name":"db","disk":{"write_mb_per_s":1},
            "processes":[{"kind":"server","name":"redis","config":{"save":""}}]}]}"#,
        1,
    )
    .unwrap();
    sim.command("redis", &format!("SET a {}", "x".repeat(5000))).unwrap();
    sim
}

#[test]
fn appendonly_yes_during_a_bgsave_waits_for_it_and_its_first_incr_file_is_a_temp_file() {
    let mut sim = one_server();
    assert_eq!(sim.command("redis", "BGSAVE").unwrap(), "Background saving started");
    assert_eq!(sim.command("redis", "CONFIG SET appendonly yes").unwrap(), "OK");
    // startAppendOnly with another child running, as Redis 7.0 logs it.
    assert_eq!(
        logs(&sim, "redis").last().unwrap(),
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible."
    );
    assert!(sim.command("redis", "INFO persistence").unwrap().contains("aof_rewrite_scheduled:1"));
    // SHUTDOWN during the first rewrite would lose the AOF: refused. The rewrite starts when the BGSAVE's child
    // is reaped, at a serverCron (checkChildrenDone) after it exits.
    for _ in 0..200 {
        if sim.command("redis", "INFO persistence").unwrap().contains("aof_rewrite_scheduled:0") {
            break;
        }
        sim.run_for(1);
    }
    assert!(sim.command("redis", "INFO persistence").unwrap().contains("aof_rewrite_in_progress:1"));
    assert_eq!(sim.command("redis", "SHUTDOWN").unwrap(), "(error) ERR Errors trying to SHUTDOWN. Check logs.");
    assert_eq!(
        logs(&sim, "redis").last().unwrap(),
        "Errors trying to shut down the server. Check the logs for more information."
    );
    sim.run_for(1000);
    let log = logs(&sim, "redis");
    let from = log.iter().position(|l| l == "Background saving terminated with success").unwrap();
    // Each line as Redis 7.0 logs it (up to its pid).
    let expected = [
        "Creating AOF incr file temp-appendonly.aof.incr on background rewrite",
        "Background append only file rewriting started by pid ",
        "User requested shutdown...",
        "Writing initial AOF, can't exit.",
        "Errors trying to shut down the server. Check the logs for more information.",
        "Background AOF rewrite terminated with success",
        "Successfully renamed the temporary AOF base file temp-rewriteaof-bg-",
        "Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof",
        "Background AOF rewrite finished successfully",
    ];
    assert_eq!(log.len(), from + 1 + expected.len(), "{log:?}");
    for (want, got) in expected.iter().zip(&log[from + 1..]) {
        assert!(got.starts_with(want), "{got:?} is not {want:?}");
    }
    let files: Vec<String> = sim.world().hosts()[0].disk.files().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        files,
        [
            "appendonlydir/appendonly.aof.1.base.rdb",
            "appendonlydir/appendonly.aof.1.incr.aof",
            "appendonlydir/appendonly.aof.manifest",
            "dump.rdb"
        ]
    );
}

#[test]
fn bgsave_schedule_runs_once_the_rewrite_is_done() {
    let mut sim = one_server();
    assert_eq!(sim.command("redis", "BGREWRITEAOF").unwrap(), "Background append only file rewriting started");
    assert_eq!(sim.command("redis", "BGSAVE SCHEDULE").unwrap(), "Background saving scheduled");
    assert_eq!(sim.command("redis", "BGSAVE SCHEDULE x").unwrap(), "(error) ERR syntax error");
    sim.run_for(1000);
    let log = logs(&sim, "redis");
    let done = log.iter().position(|l| l == "Background AOF rewrite finished successfully").unwrap();
    assert!(log[done + 1].starts_with("Background saving started by pid "), "{log:?}");
    assert!(sim.command("redis", "INFO persistence").unwrap().contains("rdb_saves:1\n"));
}

#[test]
fn a_master_drops_the_keys_that_expired_while_it_was_down() {
    let mut sim = one_server();
    sim.command("redis", "SET b 2 EX 1").unwrap();
    sim.command("redis", "SHUTDOWN SAVE").unwrap();
    sim.run_for(3000);
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    sim.run_for(10);
    let log = logs(&sim, "redis");
    let start = log.iter().rposition(|l| l == "Server initialized").unwrap();
    assert_eq!(
        log[start..],
        [
            "Server initialized",
            "Loading RDB produced by version 7.0.15",
            "Done loading RDB, keys loaded: 1, keys expired: 1.",
            "DB loaded from disk",
            "Ready to accept connections",
        ]
    );
    assert!(sim.command("redis", "INFO persistence").unwrap().contains("rdb_last_load_keys_loaded:1\n"));
}

/// appendfsync everysec as flushAppendOnlyFile schedules it, before the event loop sleeps: a background fsync
/// starts when the Unix second is later than the last one's (`server.unixtime > server.aof_last_fsync`, the
/// server's start counting as one). A write at 1.3 s is fsynced at once; one at 1.6 s waits for the serverCron
/// at 2.0 s. A rewrite fsyncs the incremental file it leaves (openNewIncrAofForAppend), so that a power loss
/// during the rewrite loses none of it.
#[test]
fn appendfsync_everysec_fsyncs_at_the_first_write_or_cron_of_a_new_second() {
    let mut sim = Simulation::from_json(
        r#"{"version":1,"hosts":[{"name":"db","processes":[{"kind":"server","name":"redis",
            "config":{"save":"","appendonly":"yes","appendfsync":"everysec"}}]}]}"#,
        1,
    )
    .unwrap();
    let incr = "appendonlydir/appendonly.aof.1.incr.aof";
    let fsync_ms = sim.world().hosts()[0].disk.params.fsync_ms;
    let synced = |sim: &Simulation| {
        let f = sim.world().hosts()[0].disk.get(incr).unwrap();
        f.synced == f.size()
    };
    sim.run_until(SimTime(1_300));
    sim.command("redis", "SET a 1").unwrap();
    sim.run_for(fsync_ms);
    assert!(synced(&sim), "the first write of second 1 is fsynced at once");
    sim.run_until(SimTime(1_600));
    sim.command("redis", "SET b 2").unwrap();
    sim.run_until(SimTime(1_999));
    assert!(!synced(&sim), "a second write in the same second waits");
    sim.run_until(SimTime(2_000 + fsync_ms));
    assert!(synced(&sim), "the cron at 2.0 s fsyncs it");
    sim.run_until(SimTime(2_500));
    sim.command("redis", "SET c 3").unwrap();
    sim.command("redis", "BGREWRITEAOF").unwrap();
    assert!(synced(&sim), "the rewrite fsyncs the incremental file it leaves");
}
