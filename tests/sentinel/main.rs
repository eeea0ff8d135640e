//! Sentinel as a learner watches it: detection, agreement, election and failover in Redis's own event
//! order and timing; why quorum and majority both matter; which replica is promoted; split brain with and
//! without min-replicas-to-write; a client that finds the new master by itself.

use redis_ha_sim::trace::{Outcome, TraceEvent};
use redis_ha_sim::{check, library, Action, SimTime, Simulation};

/// The built-in Sentinel scenario (master killed at 10 s, restarted at 18 s), with `edit` applied.
fn sentinel_run(seed: u64, until: u64, edit: &dyn Fn(String) -> String) -> Simulation {
    let json = edit(library::get("sentinel").unwrap().to_string());
    let mut sim = Simulation::from_json(&json, seed).unwrap();
    sim.run_until(SimTime(until));
    sim
}

/// (time, event, detail) for every sentinel event of `process`, or of all sentinels.
fn events(sim: &Simulation, process: Option<&str>) -> Vec<(u64, String, String)> {
    let id = process.map(|p| sim.world().proc_id(p).unwrap());
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Sentinel { proc, event, detail } if id.is_none_or(|i| i == *proc) => {
                Some((r.t.ms(), event.clone(), detail.clone()))
            }
            _ => None,
        })
        .collect()
}

fn leader(sim: &Simulation) -> String {
    let id = sim.trace().iter().find_map(|r| match &r.event {
        TraceEvent::Sentinel { proc, event, .. } if event == "+elected-leader" => Some(*proc),
        _ => None,
    });
    sim.world().proc_name(id.unwrap()).to_string()
}

const CRASH_MS: u64 = 10_000;

#[test]
fn the_leader_fails_over_in_redis_order_and_timing_and_the_old_master_returns_as_a_replica() {
    let order = [
        "+sdown",
        "+odown",
        "+new-epoch",
        "+try-failover",
        "+elected-leader",
        "+failover-state-select-slave",
        "+selected-slave",
        "+failover-state-send-slaveof-noone",
        "+failover-state-wait-promotion",
        "+promoted-slave",
        "+failover-state-reconf-slaves",
        "+slave-reconf-sent",
        "+slave-reconf-inprog",
        "+slave-reconf-done",
        "+failover-end",
        "+switch-master",
    ];
    for seed in 1..=10 {
        let mut sim = sentinel_run(seed, 40_000, &|s| s);
        let leader = leader(&sim);
        let mine: Vec<String> = events(&sim, Some(&leader))
            .into_iter()
            .filter(|(t, e, _)| *t >= CRASH_MS && order.contains(&e.as_str()))
            .map(|(_, e, _)| e)
            .collect();
        let mut expected = order.iter();
        let mut next = expected.next();
        for e in &mine {
            if Some(&e.as_str()) == next {
                next = expected.next();
            }
        }
        assert_eq!(next, None, "seed {seed}: {leader}'s events were {mine:?}");
        // +switch-master on every sentinel, 2.5–5 s after the crash (real Redis 7 on one machine: about 3.3 s).
        let switches: Vec<u64> =
            events(&sim, None).iter().filter(|(_, e, _)| e == "+switch-master").map(|(t, _, _)| *t).collect();
        assert_eq!(switches.len(), 3, "seed {seed}");
        for t in &switches {
            assert!((CRASH_MS + 2_500..=CRASH_MS + 5_000).contains(t), "seed {seed}: +switch-master at {t}");
        }
        let sdown = events(&sim, None)
            .iter()
            .find(|(_, e, d)| e == "+sdown" && d.starts_with("master"))
            .map(|(t, _, _)| *t)
            .unwrap();
        assert!((CRASH_MS + 2_000..CRASH_MS + 3_100).contains(&sdown), "seed {seed}: +sdown at {sdown}");
        // The promoted replica is the master; the other follows it; the old master came back as a replica.
        let switch = events(&sim, None).into_iter().find(|(_, e, _)| e == "+switch-master").unwrap().2;
        let new_ip = switch.split(' ').nth(3).unwrap().to_string();
        let promoted = if new_ip == "10.0.0.2" { "redis-2" } else { "redis-3" };
        let other = if promoted == "redis-2" { "redis-3" } else { "redis-2" };
        assert!(sim.command(promoted, "ROLE").unwrap().starts_with("1) \"master\""));
        assert!(sim.command(other, "ROLE").unwrap().contains(&format!("2) \"{new_ip}\"")), "{other} follows {new_ip}");
        assert!(events(&sim, None)
            .iter()
            .any(|(t, e, d)| e == "+convert-to-slave" && d.starts_with("slave 10.0.0.1:6379") && *t > 18_000));
        assert!(
            sim.command("redis-1", "ROLE").unwrap().contains(&format!("2) \"{new_ip}\"")),
            "the old master replicates from {new_ip}"
        );
        assert_eq!(
            sim.command("sentinel-2", "SENTINEL get-master-addr-by-name mymaster").unwrap(),
            format!("1) \"{new_ip}\"\n2) \"6379\"")
        );
    }
}

#[test]
fn a_quorum_larger_than_the_sentinels_never_reaches_odown() {
    let sim = sentinel_run(1, 30_000, &|s| s.replace(r#""quorum": 2"#, r#""quorum": 4"#));
    let ev = events(&sim, None);
    assert!(ev.iter().any(|(_, e, _)| e == "+sdown"));
    assert!(!ev.iter().any(|(_, e, _)| e == "+odown" || e == "+try-failover" || e == "+switch-master"));
}

#[test]
fn with_two_of_three_sentinels_down_odown_is_possible_with_quorum_1_but_no_failover() {
    let json = library::get("sentinel").unwrap().replace(r#""quorum": 2"#, r#""quorum": 1"#);
    let mut sim = Simulation::from_json(&json, 3).unwrap();
    sim.run_until(SimTime(5_000));
    sim.act(Action::Crash { process: "sentinel-2".into() }).unwrap();
    sim.act(Action::Crash { process: "sentinel-3".into() }).unwrap();
    sim.run_until(SimTime(30_000));
    let ev = events(&sim, Some("sentinel-1"));
    assert!(ev.iter().any(|(_, e, d)| e == "+odown" && d.ends_with("#quorum 1/1")), "quorum 1 detects alone");
    assert!(ev.iter().any(|(_, e, _)| e == "+try-failover"));
    assert!(
        ev.iter().any(|(_, e, _)| e == "-failover-abort-not-elected"),
        "a majority of 3 is needed to authorize: {ev:?}"
    );
    assert!(!ev.iter().any(|(_, e, _)| e == "+elected-leader" || e == "+switch-master"));
    assert_eq!(sim.command("sentinel-1", "SENTINEL ckquorum mymaster").unwrap(),
        "(error) NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover");
}

#[test]
fn a_replica_with_priority_0_is_never_promoted() {
    for seed in 1..=6 {
        let sim = sentinel_run(seed, 20_000, &|s| {
            s.replace(
                r#""replicaof": "10.0.0.1 6379", "save": "" } },
      { "kind": "sentinel", "name": "sentinel-3""#,
                r#""replicaof": "10.0.0.1 6379", "save": "", "replica-priority": 0 } },
      { "kind": "sentinel", "name": "sentinel-3""#,
            )
        });
        let selected = events(&sim, None).into_iter().find(|(_, e, _)| e == "+selected-slave").unwrap().2;
        assert!(selected.starts_with("slave 10.0.0.2:6379"), "seed {seed}: {selected}");
    }
}

#[test]
fn the_replica_with_the_larger_offset_wins() {
    for seed in 1..=6 {
        // redis-3's link is slow: when the master's host dies, redis-2 has received more of the stream.
        let sim = sentinel_run(seed, 20_000, &|s| {
            s.replace(r#""network": { "latency_ms": 1, "jitter_ms": 1 }"#, r#""network": { "latency_ms": 1, "jitter_ms": 1, "links": [ { "from": "db1", "to": "db3", "latency_ms": 300 } ] }"#)
                .replace(r#"{ "at_ms": 10000, "do": "crash", "process": "redis-1" }"#, r#"{ "at_ms": 10000, "do": "power_off", "host": "db1" }"#)
        });
        let selected = events(&sim, None).into_iter().find(|(_, e, _)| e == "+selected-slave").unwrap().2;
        assert!(selected.starts_with("slave 10.0.0.2:6379"), "seed {seed}: {selected}");
    }
}

#[test]
fn a_sentinel_aware_client_resumes_writing_to_the_new_master_on_its_own() {
    for seed in 1..=5 {
        let sim = sentinel_run(seed, 30_000, &|s| s);
        let app = sim.world().proc_id("app").unwrap();
        let outcomes: Vec<(u64, Outcome)> = sim
            .trace()
            .iter()
            .filter_map(|r| match &r.event {
                TraceEvent::Outcome { client, outcome, .. } if *client == app => Some((r.t.ms(), *outcome)),
                _ => None,
            })
            .collect();
        let first_failure =
            outcomes.iter().find(|(t, o)| *t >= CRASH_MS && *o != Outcome::Ok).map(|(t, _)| *t).unwrap();
        let back = outcomes.iter().find(|(t, o)| *t > first_failure && *o == Outcome::Ok).map(|(t, _)| *t).unwrap();
        assert!(back - CRASH_MS < 6_000, "seed {seed}: unavailable from {first_failure} to {back}");
        assert!(
            outcomes.iter().filter(|(t, _)| *t > back + 1_000).all(|(_, o)| *o == Outcome::Ok),
            "seed {seed}: no failures once it moved"
        );
        let c = check::checks(sim.world(), sim.trace());
        assert_eq!(c.lost_writes, vec![], "seed {seed}: a process crash loses nothing the replicas received");
        // The checkers report the client's one window of unavailability, around the failover.
        let windows: Vec<_> = c.unavailable.iter().filter(|w| w.client == app).collect();
        assert_eq!(windows.len(), 1, "seed {seed}: {windows:?}");
        assert!(windows[0].from >= CRASH_MS - 500 && windows[0].to == back, "seed {seed}: {windows:?}");
    }
}

const SPLIT: &str = r#"{"version":1,"network":{"latency_ms":1,"jitter_ms":1},"hosts":[
 {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis-1","config":{"repl-diskless-sync-delay":0,"save":""MINREPLICAS}},
   {"kind":"sentinel","name":"sentinel-1","monitor":[{"name":"mymaster","host":"10.0.0.1","quorum":2,"down_after_ms":2000,"failover_timeout_ms":60000}]}]},
 {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"redis-2","config":{"replicaof":"10.0.0.1 6379","save":""MINREPLICAS}},
   {"kind":"sentinel","name":"sentinel-2","monitor":[{"name":"mymaster","host":"10.0.0.1","quorum":2,"down_after_ms":2000,"failover_timeout_ms":60000}]}]},
 {"name":"db3","ip":"10.0.0.3","processes":[{"kind":"server","name":"redis-3","config":{"replicaof":"10.0.0.1 6379","save":""MINREPLICAS}},
   {"kind":"sentinel","name":"sentinel-3","monitor":[{"name":"mymaster","host":"10.0.0.1","quorum":2,"down_after_ms":2000,"failover_timeout_ms":60000}]}]},
 {"name":"app1","ip":"10.0.0.11","processes":[{"kind":"client","name":"cut-off-app","target":"redis-1",
   "workload":{"interval_ms":50,"timeout_ms":500,"ops":[{"command":"SET w:{seq} {value}"}]}}]}],
 "actions":[{"at_ms":5000,"do":"partition","groups":[["db1","app1"],["db2","db3"]]},{"at_ms":40000,"do":"heal"}]}"#;

fn split_brain(min_replicas: bool) -> (Simulation, usize, usize) {
    let extra = if min_replicas { r#","min-replicas-to-write":1,"min-replicas-max-lag":10"# } else { "" };
    let mut sim = Simulation::from_json(&SPLIT.replace("MINREPLICAS", extra), 7).unwrap();
    sim.run_until(SimTime(60_000));
    let c = check::checks(sim.world(), sim.trace());
    // Recount independently: every acknowledged write's key, read back from whatever serves as master now.
    let master = sim.world().proc_name(c.serving_master.unwrap()).to_string();
    let mut recount = 0;
    for f in redis_ha_sim_tests::finished_requests(sim.trace()).iter().filter(|f| f.outcome == Outcome::Ok) {
        if sim.command(&master, &format!("GET {}", f.command[1])).unwrap() != format!("\"{}\"", f.command[2]) {
            recount += 1;
        }
    }
    assert!(!c.split_brain.is_empty(), "two masters accepted writes at once");
    (sim, c.lost_writes.len(), recount)
}

#[test]
fn during_a_split_brain_writes_are_judged_against_the_master_the_sentinels_now_name() {
    let mut sim = Simulation::from_json(&SPLIT.replace("MINREPLICAS", ""), 7).unwrap();
    // The majority side has promoted a replica; the cut-off old master still takes writes, and still lists
    // the replicas it can no longer reach.
    sim.run_until(SimTime(30_000));
    let during = check::checks(sim.world(), sim.trace());
    let master = sim.world().proc_name(during.serving_master.unwrap()).to_string();
    assert_ne!(master, "redis-1", "the cut-off master is not the one clients will find");
    assert!(
        during.lost_writes.len() > 100,
        "the cut-off master's writes are lost already: {}",
        during.lost_writes.len()
    );
    // Once the partition heals, the old master becomes a replica of the new one: what was judged lost during
    // the split brain is still lost, every write of it.
    sim.run_until(SimTime(60_000));
    let after = check::checks(sim.world(), sim.trace());
    assert_eq!(sim.world().proc_name(after.serving_master.unwrap()), master);
    let lost_after: std::collections::BTreeSet<_> = after.lost_writes.iter().map(|l| (l.client, l.id)).collect();
    assert!(during.lost_writes.iter().all(|l| lost_after.contains(&(l.client, l.id))));
}

#[test]
fn split_brain_loses_the_cut_off_masters_writes_and_min_replicas_bounds_the_loss() {
    let (sim_a, lost_a, recount_a) = split_brain(false);
    let (sim_b, lost_b, recount_b) = split_brain(true);
    assert_eq!(lost_a, recount_a);
    assert_eq!(lost_b, recount_b);
    // Without min-replicas, the isolated old master took writes for the whole 35 s partition: all lost.
    assert!(lost_a > 500, "lost {lost_a}");
    // With min-replicas-to-write 1 and max-lag 10, it refused writes once its replicas were silent for 10 s.
    assert!(lost_b < lost_a / 2 && lost_b > 100, "lost {lost_b} vs {lost_a}");
    let c = check::checks(sim_b.world(), sim_b.trace());
    assert!(c.lost_writes.iter().all(|l| l.acked_at <= 5_000 + 12_000), "only the first ~10 s after the cut");
    let refused = redis_ha_sim_tests::finished_requests(sim_b.trace())
        .iter()
        .filter(|f| f.reply.starts_with("(error) NOREPLICAS"))
        .count();
    assert!(refused > 100, "the old master said NOREPLICAS");
    // The old master was converted when the partition healed.
    for sim in [&sim_a, &sim_b] {
        assert!(events(sim, None)
            .iter()
            .any(|(t, e, d)| e == "+convert-to-slave" && d.starts_with("slave 10.0.0.1:6379") && *t > 40_000));
    }
}

#[test]
fn sentinel_commands_answer_like_redis() {
    let mut sim = sentinel_run(2, 3_000, &|s| s);
    assert_eq!(
        sim.command("sentinel-1", "SENTINEL get-master-addr-by-name mymaster").unwrap(),
        "1) \"10.0.0.1\"\n2) \"6379\""
    );
    assert_eq!(sim.command("sentinel-1", "SENTINEL get-master-addr-by-name nope").unwrap(), "(nil)");
    assert_eq!(sim.command("sentinel-1", "SENTINEL master nope").unwrap(), "(error) ERR No such master with that name");
    assert_eq!(
        sim.command("sentinel-1", "SENTINEL ckquorum mymaster").unwrap(),
        "OK 3 usable Sentinels. Quorum and failover authorization can be reached"
    );
    assert_eq!(sim.command("sentinel-1", "SENTINEL myid").unwrap().len(), 42);
    let replicas = sim.command("sentinel-1", "SENTINEL replicas mymaster").unwrap();
    assert!(replicas.contains("\"10.0.0.2:6379\"") && replicas.contains("\"10.0.0.3:6379\""), "{replicas}");
    assert!(sim
        .command("sentinel-1", "INFO")
        .unwrap()
        .contains("master0:name=mymaster,status=ok,address=10.0.0.1:6379,slaves=2,sentinels=3"));
    assert_eq!(sim.command("sentinel-1", "SENTINEL failover mymaster").unwrap(), "OK");
    assert_eq!(
        sim.command("sentinel-1", "SENTINEL failover mymaster").unwrap(),
        "(error) INPROG Failover already in progress"
    );
    // The old master is alive, so the other replica is ahead of the promoted one and needs a full sync, which
    // waits the default repl-diskless-sync-delay of 5 s.
    sim.run_until(SimTime(15_000));
    assert!(
        events(&sim, Some("sentinel-1")).iter().any(|(_, e, _)| e == "+switch-master"),
        "a forced failover needs no agreement"
    );
    assert!(!events(&sim, Some("sentinel-1")).iter().any(|(_, e, _)| e == "+odown"), "and no ODOWN either");
    assert_eq!(
        sim.command("sentinel-1", "SENTINEL foo").unwrap(),
        "(error) ERR unknown subcommand 'foo'. Try SENTINEL HELP."
    );
}

#[test]
fn no_good_replica_means_nogoodslave() {
    let json = r#"{"version":1,"hosts":[{"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis"},
      {"kind":"sentinel","name":"s","monitor":[{"name":"m","host":"10.0.0.1","quorum":1,"down_after_ms":1000}]}]}]}"#;
    let mut sim = Simulation::from_json(json, 1).unwrap();
    sim.run_until(SimTime(2_000));
    assert_eq!(sim.command("s", "SENTINEL failover m").unwrap(), "(error) NOGOODSLAVE No suitable replica to promote");
}

/// What real redis-sentinel 7.0 logged for the same story (3 sentinels, quorum 2, down-after-milliseconds
/// 2000, the master killed, restarted 10 s later), addresses aside:
///
/// ```text
/// 02:16:29.464 # a9817fb9… voted for c4633250… 1                        (the leader, a log line per voter)
/// 02:16:31.604 # +failover-end master mymaster 127.0.0.1 16400          (the leader)
/// 02:16:31.604 # +switch-master mymaster 127.0.0.1 16400 127.0.0.1 16401 (same timer run)
/// 02:16:31.604 * +slave slave 127.0.0.1:16402 127.0.0.1 16402 @ mymaster 127.0.0.1 16401
/// 02:16:31.604 * +slave slave 127.0.0.1:16400 127.0.0.1 16400 @ mymaster 127.0.0.1 16401 (old master last)
/// 02:16:37.775 # -sdown slave 127.0.0.1:16400 127.0.0.1 16400 @ mymaster 127.0.0.1 16401
/// 02:16:47.749 * +convert-to-slave slave 127.0.0.1:16400 127.0.0.1 16400 @ mymaster 127.0.0.1 16401
/// ```
///
/// The conversion is decided on an INFO reply (every 10 s to a replica) that finds the role master reported
/// for more than 8 s: about 10 s after the sentinel saw it back, not 8 s.
#[test]
fn the_switch_and_the_conversion_follow_redis_timing_and_order() {
    for seed in 1..=10 {
        let sim = sentinel_run(seed, 30_000, &|s| s);
        let leader = leader(&sim);
        let mine = events(&sim, Some(&leader));
        let at = |event: &str| mine.iter().find(|(_, e, _)| e == event).map(|(t, _, _)| *t);
        assert_eq!(at("+failover-end"), at("+switch-master"), "seed {seed}: the switch in the same timer run");
        for s in ["sentinel-1", "sentinel-2", "sentinel-3"] {
            let ev = events(&sim, Some(s));
            let switch = ev.iter().position(|(_, e, _)| e == "+switch-master").unwrap();
            assert_eq!((ev[switch + 1].1.as_str(), ev[switch + 2].1.as_str()), ("+slave", "+slave"), "seed {seed} {s}");
            assert!(ev[switch + 2].2.starts_with("slave 10.0.0.1:6379 "), "seed {seed} {s}: the old master last");
        }
        let leader_id = sim.world().proc_id(&leader).unwrap();
        assert!(
            sim.trace().iter().any(
                |r| matches!(&r.event, TraceEvent::Log { proc, text } if *proc == leader_id && text.contains(" voted for "))
            ),
            "seed {seed}: the leader logs the votes it receives"
        );
        let (t, converter) = sim
            .trace()
            .iter()
            .find_map(|r| match &r.event {
                TraceEvent::Sentinel { proc, event, .. } if event == "+convert-to-slave" => Some((r.t.ms(), *proc)),
                _ => None,
            })
            .unwrap();
        let converter = sim.world().proc_name(converter).to_string();
        let back = events(&sim, Some(&converter))
            .into_iter()
            .filter(|(u, e, d)| e == "-sdown" && d.starts_with("slave 10.0.0.1:6379") && *u < t)
            .map(|(u, _, _)| u)
            .next_back()
            .unwrap();
        assert!(
            (9_500..=12_000).contains(&(t - back)),
            "seed {seed}: {converter} saw it back at {back}, converted it at {t}"
        );
    }
}

/// A replica that follows another replica is pointed back at the master only after failover-timeout
/// (Redis's `+fix-slave-config` waits that long after the change it saw), not after 8 s.
#[test]
fn a_replica_following_the_wrong_master_is_fixed_after_failover_timeout() {
    let mut sim = sentinel_run(1, 75_000, &|s| {
        s.replace(
            r#"{ "at_ms": 10000, "do": "crash", "process": "redis-1" },
    { "at_ms": 18000, "do": "restart", "process": "redis-1" }"#,
            r#"{ "at_ms": 3000, "do": "command", "process": "redis-3", "line": "REPLICAOF 10.0.0.2 6379" }"#,
        )
    });
    let fixes: Vec<(u64, String)> =
        events(&sim, None).into_iter().filter(|(_, e, _)| e == "+fix-slave-config").map(|(t, _, d)| (t, d)).collect();
    assert!(!fixes.is_empty(), "redis-3 is fixed in the end");
    assert!(fixes.iter().all(|(t, d)| *t > 3_000 + 60_000 && d.starts_with("slave 10.0.0.3:6379")), "{fixes:?}");
    assert!(sim.command("redis-3", "ROLE").unwrap().contains("2) \"10.0.0.1\""));
}

/// SENTINEL MASTER during a failover, as real redis-sentinel 7.0 showed it on the leader of a SENTINEL
/// FAILOVER: `flags` `master,failover_in_progress,force_failover`, then `failover-state` right after
/// `link-refcount`.
#[test]
fn sentinel_master_shows_the_failover_as_redis_does() {
    let mut sim = sentinel_run(1, 5_000, &|s| s);
    assert_eq!(sim.command("sentinel-1", "SENTINEL failover mymaster").unwrap(), "OK");
    sim.run_until(SimTime(5_300));
    let reply = sim.command("sentinel-1", "SENTINEL master mymaster").unwrap();
    let lines: Vec<&str> = reply.lines().map(|l| l.split_once(") ").unwrap().1).collect();
    assert_eq!(lines[8..10], ["\"flags\"", "\"master,failover_in_progress,force_failover\""], "{reply}");
    assert_eq!(lines[14], "\"failover-state\"", "{reply}");
    assert!(sim.trace().iter().any(
        |r| matches!(&r.event, TraceEvent::Log { text, .. } if text == "Executing user requested FAILOVER of 'mymaster'")
    ));
}

/// A master, three replicas (redis-3 and redis-4 with replica-priority 0, so redis-2 is promoted) and three
/// sentinels on hosts of their own (quorum 2, down-after-milliseconds 2000, failover-timeout 4000,
/// parallel-syncs 1). The master is killed at 5 s; from 6 s redis-3 cannot reach redis-2.
const RECONF: &str = r#"{"version":1,"network":{"latency_ms":1,"jitter_ms":1},"hosts":[
 {"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis-1","config":{"repl-diskless-sync-delay":0,"save":""}}]},
 {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"redis-2","config":{"replicaof":"10.0.0.1 6379","repl-diskless-sync-delay":0,"save":""}}]},
 {"name":"db3","ip":"10.0.0.3","processes":[{"kind":"server","name":"redis-3","config":{"replicaof":"10.0.0.1 6379","replica-priority":0,"save":""}}]},
 {"name":"db4","ip":"10.0.0.4","processes":[{"kind":"server","name":"redis-4","config":{"replicaof":"10.0.0.1 6379","replica-priority":0,"save":""}}]},
 {"name":"s1","ip":"10.0.0.11","processes":[{"kind":"sentinel","name":"sentinel-1","monitor":[MONITOR]}]},
 {"name":"s2","ip":"10.0.0.12","processes":[{"kind":"sentinel","name":"sentinel-2","monitor":[MONITOR]}]},
 {"name":"s3","ip":"10.0.0.13","processes":[{"kind":"sentinel","name":"sentinel-3","monitor":[MONITOR]}]}],
 "actions":[{"at_ms":5000,"do":"crash","process":"redis-1"},{"at_ms":6000,"do":"partition","groups":[["db3"],["db2"]]}]}"#;

fn reconf_run(seed: u64) -> Simulation {
    let monitor = r#"{"name":"mymaster","host":"10.0.0.1","quorum":2,"down_after_ms":2000,"failover_timeout_ms":4000,"parallel_syncs":1}"#;
    Simulation::from_json(&RECONF.replace("MONITOR", monitor), seed).unwrap()
}

/// failover-timeout also bounds the reconfiguration phase. What real redis-sentinel 7.0 logged with
/// parallel-syncs 1, failover-timeout 4000 and a replica that could never sync with the promoted one
/// (leader's log, addresses aside):
///
/// ```text
/// 03:12:55.534 # +promoted-slave slave 127.0.0.1:17603 ...
/// 03:12:55.605 * +slave-reconf-sent slave 127.0.0.1:17601 ...
/// 03:12:56.619 * +slave-reconf-inprog slave 127.0.0.1:17601 ...   (never +slave-reconf-done)
/// 03:12:59.534 # +failover-end-for-timeout master mymaster 127.0.0.1 17600
/// 03:12:59.534 # +failover-end master mymaster 127.0.0.1 17600
/// 03:12:59.534 * +slave-reconf-sent-be slave 127.0.0.1:17601 ...  (best effort: the one in progress too)
/// 03:12:59.534 * +slave-reconf-sent-be slave 127.0.0.1:17602 ...  (and the one never told)
/// 03:12:59.534 # +switch-master mymaster 127.0.0.1 17600 127.0.0.1 17603
/// ```
///
/// With parallel-syncs 1 the stuck replica holds the phase: the next one is never sent REPLICAOF before
/// the timeout, and a replica in progress is never given up on (`-slave-reconf-sent-timeout` is only for
/// one that did not even take the REPLICAOF).
#[test]
fn failover_timeout_ends_a_stuck_reconfiguration_with_a_best_effort_replicaof() {
    for seed in 1..=5 {
        let mut sim = reconf_run(seed);
        sim.run_until(SimTime(25_000));
        let leader = leader(&sim);
        let mine: Vec<(u64, String, String)> = events(&sim, Some(&leader))
            .into_iter()
            .filter(|(_, e, _)| e.contains("slave-reconf") || e.starts_with("+failover-end") || e == "+promoted-slave")
            .collect();
        let shown: Vec<String> =
            mine.iter().map(|(_, e, d)| format!("{e} {}", d.split(' ').nth(1).unwrap_or(""))).collect();
        assert_eq!(
            shown,
            [
                "+promoted-slave 10.0.0.2:6379",
                "+slave-reconf-sent 10.0.0.3:6379",
                "+slave-reconf-inprog 10.0.0.3:6379",
                "+failover-end-for-timeout mymaster",
                "+failover-end mymaster",
                "+slave-reconf-sent-be 10.0.0.3:6379",
                "+slave-reconf-sent-be 10.0.0.4:6379",
            ],
            "seed {seed}"
        );
        let promoted_at = mine[0].0;
        let end_at = mine[3].0;
        assert!(
            (4_000..4_400).contains(&(end_at - promoted_at)),
            "seed {seed}: ended {end_at}, promoted {promoted_at}"
        );
        let switch = events(&sim, Some(&leader)).into_iter().find(|(_, e, _)| e == "+switch-master").unwrap();
        assert_eq!(switch.0, end_at, "seed {seed}: switched in the same timer run");
        assert!(sim.command("redis-4", "ROLE").unwrap().contains("2) \"10.0.0.2\""), "seed {seed}");
    }
}

/// The failover cannot end while the promoted replica is SDOWN (Redis's `sentinelFailoverDetectEnd` returns
/// before even looking at failover-timeout): the leader stays in reconf_slaves until it is back.
#[test]
fn the_failover_waits_for_a_promoted_replica_that_died() {
    let mut sim = reconf_run(3);
    while !events(&sim, None).iter().any(|(_, e, _)| e == "+promoted-slave") {
        let next = sim.now().ms() + 10;
        sim.run_until(SimTime(next));
    }
    let leader = leader(&sim);
    sim.act(Action::Crash { process: "redis-2".into() }).unwrap();
    let crash = sim.now().ms();
    sim.run_until(SimTime(crash + 20_000));
    let mine = events(&sim, Some(&leader));
    assert!(
        !mine.iter().any(|(t, e, _)| *t > crash && e.starts_with("+failover-end")),
        "no end while the promoted replica is down: {mine:?}"
    );
    let state = sim.command(&leader, "SENTINEL master mymaster").unwrap();
    assert!(state.contains("\"reconf_slaves\""), "{state}");
    sim.act(Action::Restart { process: "redis-2".into() }).unwrap();
    sim.run_until(SimTime(crash + 30_000));
    let mine = events(&sim, Some(&leader));
    assert!(mine.iter().any(|(t, e, _)| *t > crash + 20_000 && e == "+failover-end"), "{mine:?}");
}

/// One sentinel (quorum 1, down-after-milliseconds 2000, failover-timeout 60000), a master and its only
/// replica, of replica-priority 0; the master is killed at 5 s and SENTINEL RESET is typed at 11 s. Real
/// redis-sentinel 7.0 logged (times from the kill):
///
/// ```text
/// +2.0 s  +sdown, +odown #quorum 1/1, +new-epoch 1, +try-failover, +vote-for-leader, +elected-leader,
///         +failover-state-select-slave, -failover-abort-no-good-slave
/// +2.2 s  Next failover delay: I will not start a failover before Wed Nov 25 03:16:00 2026  (2 × 60 s)
/// +5.9 s  +reset-master master mymaster 127.0.0.1 17700
/// +7.9 s  +sdown, +odown, +new-epoch 2, +try-failover, ... -failover-abort-no-good-slave   (no 120 s wait)
/// ```
///
/// The reset forgets the replicas and the last attempt, and starts the master's down clock again.
#[test]
fn a_replica_of_priority_0_aborts_the_failover_and_sentinel_reset_allows_a_new_attempt_at_once() {
    let json = r#"{"version":1,"hosts":[{"name":"db1","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis-1","config":{"save":""}}]},
      {"name":"db2","ip":"10.0.0.2","processes":[{"kind":"server","name":"redis-2","config":{"replicaof":"10.0.0.1 6379","replica-priority":0,"save":""}}]},
      {"name":"s1","ip":"10.0.0.11","processes":[{"kind":"sentinel","name":"s","monitor":[{"name":"mymaster","host":"10.0.0.1","quorum":1,"down_after_ms":2000,"failover_timeout_ms":60000}]}]}],
      "actions":[{"at_ms":5000,"do":"crash","process":"redis-1"}]}"#;
    let mut sim = Simulation::from_json(json, 1).unwrap();
    sim.run_until(SimTime(11_000));
    let ev = events(&sim, None);
    let names: Vec<&str> = ev.iter().filter(|(t, _, _)| *t > 5_000).map(|(_, e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "+sdown",
            "+odown",
            "+new-epoch",
            "+try-failover",
            "+vote-for-leader",
            "+elected-leader",
            "+failover-state-select-slave",
            "-failover-abort-no-good-slave"
        ]
    );
    let s = sim.world().proc_id("s").unwrap();
    let delays: Vec<&str> = sim
        .trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Log { proc, text } if *proc == s && text.starts_with("Next failover delay") => {
                Some(text.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(delays.len(), 1, "logged once per attempt: {delays:?}");
    assert!(delays[0].starts_with("Next failover delay: I will not start a failover before "), "{delays:?}");
    assert_eq!(sim.command("s", "SENTINEL RESET mymaster").unwrap(), "(integer) 1");
    assert_eq!(sim.command("s", "SENTINEL RESET nomatch").unwrap(), "(integer) 0");
    assert!(sim.command("s", "SENTINEL replicas mymaster").unwrap().contains("empty array"));
    sim.run_until(SimTime(20_000));
    let after: Vec<(u64, String)> =
        events(&sim, None).into_iter().filter(|(t, _, _)| *t >= 11_000).map(|(t, e, _)| (t, e)).collect();
    assert_eq!(after[0].1, "+reset-master");
    let sdown = after.iter().find(|(_, e)| e == "+sdown").unwrap().0;
    assert!((13_000..13_300).contains(&sdown), "the down clock starts again at the reset: {after:?}");
    let retry = after.iter().find(|(_, e)| e == "+try-failover").map(|(t, _)| *t);
    assert_eq!(retry, Some(sdown), "no wait of twice failover-timeout after a reset: {after:?}");
    assert_eq!(after.last().unwrap().1, "-failover-abort-no-good-slave");
}
