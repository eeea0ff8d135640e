//! The application side of the lessons: a database with a connection limit, a look-aside cache that falls
//! through to it, client-side sharding over independent masters, and the lost-writes checker when a cluster
//! and other deployments run side by side in one scenario.

use redis_ha_sim::check::checks;
use redis_ha_sim::cluster::slot::crc16;
use redis_ha_sim::trace::{Outcome, TraceEvent};
use redis_ha_sim::{SimTime, Simulation};
use redis_ha_sim_tests::finished_requests;
use serde_json::{json, Value};

const TOO_MANY: &str = "(error) FATAL: sorry, too many clients already";

fn sim(scenario: Value, seed: u64, until_ms: u64) -> Simulation {
    let mut sim = Simulation::from_json(&scenario.to_string(), seed).unwrap();
    sim.run_until(SimTime(until_ms));
    sim
}

/// A look-aside application on host `app` reading `keys` keys through `redis` (on `cache`) every
/// `interval_ms`, in front of a database of `capacity` connections and `query_ms` per query.
fn cache_aside(keys: u32, interval_ms: u64, capacity: u32, query_ms: u64, actions: Value) -> Value {
    json!({"version": 1, "network": {"latency_ms": 1}, "hosts": [
        {"name": "cache", "processes": [{"kind": "server", "name": "redis", "config": {"save": ""}}]},
        {"name": "dbhost", "processes": [{"kind": "database", "name": "db", "capacity": capacity, "query_ms": query_ms}]},
        {"name": "app", "processes": [{"kind": "client", "name": "app", "target": "redis",
            "cache_aside": {"database": "db", "ttl_s": 60},
            "workload": {"start_ms": 100, "interval_ms": interval_ms, "timeout_ms": 300, "keys": keys,
                         "ops": [{"command": "GET {key}"}]}}]}],
        "actions": actions})
}

/// The database's `connections` gauge: (time, value, limit) in trace order.
fn gauge(sim: &Simulation) -> Vec<(u64, u64, Option<u64>)> {
    let db = sim.world().proc_id("db").unwrap();
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Gauge { proc, name, value, limit } if *proc == db && name == "connections" => {
                Some((r.t.ms(), *value, *limit))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_database_holds_at_most_its_capacity_and_refuses_the_next_query_at_once() {
    // An empty cache: every read misses and goes to the database. 100 reads a second of 100 ms each would
    // need 10 connections; the database has 3.
    let mut sim = sim(cache_aside(1000, 10, 3, 100, json!([])), 1, 3000);
    let g = gauge(&sim);
    assert!(!g.is_empty(), "the database reports its connections in the trace");
    assert!(g.iter().all(|(_, v, limit)| *v <= 3 && *limit == Some(3)), "{g:?}");
    assert!(g.iter().any(|(_, v, _)| *v == 3), "it fills up: {g:?}");
    // Each change is reported once: consecutive records differ by one.
    assert!(g.windows(2).all(|w| w[0].1.abs_diff(w[1].1) == 1), "{g:?}");

    let queries: Vec<_> = finished_requests(sim.trace()).into_iter().filter(|f| f.command[0] == "QUERY").collect();
    let (served, refused): (Vec<_>, Vec<_>) = queries.iter().partition(|f| f.outcome == Outcome::Ok);
    assert!(!served.is_empty() && !refused.is_empty(), "{} served, {} refused", served.len(), refused.len());
    for f in &served {
        // One latency there, 100 ms of query, one latency back.
        assert!(f.done_at - f.sent_at >= 100, "{f:?}");
        assert_eq!(f.reply, format!("\"db:{}\"", f.command[1]), "the row of the key");
    }
    for f in &refused {
        assert_eq!(f.reply, TOO_MANY);
        assert!(f.done_at - f.sent_at < 100, "refused at once, not after a query: {f:?}");
    }
    let db = sim.world().proc_id("db").unwrap();
    let logged = sim
        .trace()
        .iter()
        .filter(|r| matches!(&r.event, TraceEvent::Log { proc, text } if *proc == db && text == "FATAL: sorry, too many clients already"))
        .count();
    assert_eq!(logged, refused.len(), "each refusal is logged, as PostgreSQL logs it");

    let info = sim.command("db", "INFO").unwrap();
    assert!(info.contains("capacity:3") && info.contains("peak_in_flight:3"), "{info}");
    assert!(info.contains(&format!("queries_refused:{}", refused.len())), "{info}");
    // The text trace shows the gauge.
    let text = redis_ha_sim::text::render(sim.trace(), sim.world());
    assert!(text.contains("db connections 3/3"), "the text trace shows the connections");
}

#[test]
fn a_cache_aside_read_falls_through_on_a_miss_and_an_error_and_fills_only_after_a_miss() {
    // key:0 is cached, key:1 is not; the cache is killed at 2 s.
    let actions = json!([
        {"at_ms": 0, "do": "command", "process": "redis", "line": "SET key:0 db:key:0"},
        {"at_ms": 2000, "do": "crash", "process": "redis"}
    ]);
    let sim = sim(cache_aside(2, 50, 10, 20, actions), 3, 3000);
    let done = finished_requests(sim.trace());
    let gets: Vec<_> = done.iter().filter(|f| f.command[0] == "GET").collect();
    let queries: Vec<_> = done.iter().filter(|f| f.command[0] == "QUERY").collect();
    let fills: Vec<_> = done.iter().filter(|f| f.command[0] == "SET").collect();

    // Before the crash: key:0 always hits; key:1 misses once, is read from the database and filled with a TTL,
    // and hits from then on.
    let before = |t: u64| t < 2000;
    assert!(gets.iter().filter(|f| before(f.sent_at) && f.command[1] == "key:0").all(|f| f.reply == "\"db:key:0\""));
    let misses: Vec<_> = gets.iter().filter(|f| before(f.sent_at) && f.reply == "(nil)").collect();
    assert!(!misses.is_empty() && misses.iter().all(|f| f.command[1] == "key:1"), "{misses:?}");
    assert_eq!(fills.len(), 1, "one fill: {fills:?}");
    assert_eq!(fills[0].command, ["SET", "key:1", "db:key:1", "EX", "60"]);
    assert_eq!((fills[0].outcome, fills[0].reply.as_str()), (Outcome::Ok, "OK"));
    let first_query = queries.iter().find(|q| q.command[1] == "key:1").unwrap();
    assert!(first_query.done_at <= fills[0].sent_at, "the fill follows the database's answer");
    assert!(
        gets.iter()
            .filter(|f| f.sent_at > fills[0].done_at && before(f.sent_at))
            .all(|f| f.outcome == Outcome::Ok && f.reply.starts_with("\"db:")),
        "after the fill every read hits"
    );
    assert!(queries.iter().filter(|q| before(q.sent_at)).count() <= misses.len(), "hits never reach the database");

    // After the crash every read is refused by Redis and answered by the database; nothing is filled.
    let failed: Vec<_> = gets.iter().filter(|f| f.sent_at >= 2000 && f.outcome == Outcome::Refused).collect();
    assert!(failed.len() >= 10, "{}", failed.len());
    let after: Vec<_> = queries.iter().filter(|q| q.sent_at >= 2000).collect();
    assert!(after.len() + 1 >= failed.len(), "each failed read goes to the database");
    assert!(after.iter().all(|q| q.outcome == Outcome::Ok), "the database had room");

    // The checkers read the run as any other: the fill is one acknowledged write, the database's answers end
    // the application's unavailability windows.
    let c = checks(sim.world(), sim.trace());
    assert_eq!(c.acked_writes, 1);
    assert!(c.unavailable.iter().all(|w| w.to - w.from < 100), "{:?}", c.unavailable);
}

/// Three independent masters and an application sharding over them itself.
fn shards(crash_at: Option<u64>) -> Value {
    let hosts: Vec<Value> = (1..=3)
        .map(|i| json!({"name": format!("h{i}"), "processes": [{"kind": "server", "name": format!("sh-{i}"), "config": {"save": ""}}]}))
        .chain(std::iter::once(json!({"name": "web", "processes": [{"kind": "client", "name": "app", "target": "sh-1",
            "shards": ["sh-1", "sh-2", "sh-3"],
            "workload": {"interval_ms": 10, "keys": 200, "ops": [{"command": "SET {key} {value}"}]}}]})))
        .collect();
    let actions: Vec<Value> = crash_at
        .map(|t| {
            vec![
                json!({"at_ms": t, "do": "crash", "process": "sh-2"}),
                json!({"at_ms": t + 500, "do": "restart", "process": "sh-2"}),
            ]
        })
        .unwrap_or_default();
    json!({"version": 1, "network": {"latency_ms": 1}, "hosts": hosts, "actions": actions})
}

#[test]
fn client_side_sharding_sends_each_key_to_crc16_mod_n_and_nowhere_else() {
    let mut sim = sim(shards(None), 5, 3000);
    let mut total = 0;
    for i in 1..=3 {
        let keys = sim.command(&format!("sh-{i}"), "KEYS *").unwrap();
        let keys: Vec<&str> =
            keys.lines().filter_map(|l| l.split_once('"').map(|(_, k)| k.trim_end_matches('"'))).collect();
        assert!(keys.len() > 20, "sh-{i} holds its share: {}", keys.len());
        for k in &keys {
            assert_eq!(crc16(k.as_bytes()) as usize % 3, i - 1, "{k} is on sh-{i}");
        }
        total += keys.len();
    }
    assert!(total > 150, "{total}");
    // Each write was acknowledged by the shard it was sent to, and none is lost.
    let c = checks(sim.world(), sim.trace());
    assert!(c.acked_writes > 250 && c.lost_writes.is_empty(), "{} acked, {:?}", c.acked_writes, c.lost_writes);
}

#[test]
fn a_dead_shard_loses_its_keys_and_only_its_keys() {
    // sh-2 (no persistence) is killed and restarts empty: the writes it had acknowledged are lost, the other
    // shards' are not; nothing else answers for its keys meanwhile.
    let sim = sim(shards(Some(1500)), 5, 3000);
    let c = checks(sim.world(), sim.trace());
    assert!(!c.lost_writes.is_empty());
    assert!(c.lost_writes.iter().all(|l| crc16(l.key.as_bytes()) % 3 == 1), "{:?}", c.lost_writes);
    let refused: Vec<_> =
        finished_requests(sim.trace()).into_iter().filter(|f| f.outcome == Outcome::Refused).collect();
    assert!(!refused.is_empty() && refused.iter().all(|f| crc16(f.command[1].as_bytes()) % 3 == 1));
    // Each shard is a deployment of its own: only sh-2's outage is a window without a master.
    assert!(c.no_master_ms >= 400 && c.no_master_ms <= 600, "{}", c.no_master_ms);
    assert!(c.no_master.iter().all(|(a, _)| *a >= 1500), "{:?}", c.no_master);
}

/// A 3-master cluster with replicas and its application, beside a standalone server and its own.
fn mixed(crash_standalone: bool) -> Value {
    let node = |i: u32| {
        json!({"name": format!("node{i}"), "processes": [{"kind": "server", "name": format!("c-{i}"),
            "config": {"cluster-enabled": "yes", "cluster-node-timeout": 2000, "save": "", "repl-diskless-sync-delay": 0}}]})
    };
    let mut hosts: Vec<Value> = (1..=6).map(node).collect();
    let workload = json!({"start_ms": 2500, "interval_ms": 20, "keys": 50, "ops": [{"command": "SET {key} {value}"}, {"command": "GET {key}"}]});
    hosts.push(json!({"name": "solo", "processes": [{"kind": "server", "name": "solo", "config": {"save": ""}}]}));
    hosts.push(json!({"name": "web", "processes": [
        {"kind": "client", "name": "app-cluster", "target": "c-1", "cluster": {"seeds": ["c-1", "c-2", "c-3"]}, "workload": workload},
        {"kind": "client", "name": "app-solo", "target": "solo", "workload": workload}]}));
    let mut actions = vec![
        json!({"at_ms": 0, "do": "cluster_create", "nodes": ["c-1", "c-2", "c-3", "c-4", "c-5", "c-6"], "replicas": 1}),
    ];
    if crash_standalone {
        actions.push(json!({"at_ms": 5000, "do": "crash", "process": "solo"}));
        actions.push(json!({"at_ms": 6000, "do": "restart", "process": "solo"}));
    }
    json!({"version": 1, "network": {"latency_ms": 1, "jitter_ms": 1}, "hosts": hosts, "actions": actions})
}

#[test]
fn writes_to_a_cluster_and_to_a_standalone_server_are_each_judged_by_their_own_deployment() {
    for seed in [1, 2] {
        // No fault: nothing is lost. (Judged by the cluster's rules, the standalone server's keys would all
        // be "lost": no cluster master holds them.)
        let s = sim(mixed(false), seed, 8000);
        let c = checks(s.world(), s.trace());
        let by = |name: &str| {
            let id = s.world().proc_id(name).unwrap();
            c.acked_by_client.iter().find(|(p, _)| *p == id).map_or(0, |(_, n)| *n)
        };
        assert!(by("app-cluster") > 50 && by("app-solo") > 50, "{:?}", c.acked_by_client);
        assert!(c.lost_writes.is_empty(), "seed {seed}: {:?}", c.lost_writes);
        // The master windows are the standalone deployment's: it always had its master.
        assert_eq!(c.no_master_ms, 0, "seed {seed}: {:?}", c.no_master);
        assert_eq!(c.serving_master, Some(s.world().proc_id("solo").unwrap()));

        // The standalone server (no persistence) is killed and restarted empty: its application's writes are
        // lost, the cluster's application's are not.
        let s = sim(mixed(true), seed, 8000);
        let c = checks(s.world(), s.trace());
        let solo = s.world().proc_id("app-solo").unwrap();
        assert!(!c.lost_writes.is_empty(), "seed {seed}");
        assert!(c.lost_writes.iter().all(|l| l.client == solo), "seed {seed}: {:?}", c.lost_writes);
        assert!((900..=1100).contains(&c.no_master_ms), "seed {seed}: {:?}", c.no_master);
    }
}

#[test]
fn the_builtin_comparison_loses_writes_only_on_the_independent_shards() {
    let id = "compare-deployments";
    let mut s = Simulation::from_json(redis_ha_sim::library::get(id).unwrap(), 4).unwrap();
    s.run_until(SimTime(35_000));
    let c = checks(s.world(), s.trace());
    let shards = s.world().proc_id("app-shards").unwrap();
    assert!(c.lost_writes.len() >= 10 && c.lost_writes.iter().all(|l| l.client == shards), "{:?}", c.lost_writes);
    // sh-1 came back empty and serves only what was written since; the cluster and Sentinel deployments kept
    // every key.
    let n = |p: &str, line: &str| s.clone().command(p, line).unwrap();
    assert_eq!(n("s-3", "DBSIZE"), n("s-1", "DBSIZE"), "s-1 resynchronised from the new master");
    assert!(n("sh-1", "INFO keyspace").contains("db0:keys="));
}

#[test]
fn the_page_sees_a_database_with_its_connections_and_capacity() {
    let s = sim(cache_aside(1000, 10, 3, 100, json!([])), 1, 1000);
    let view: Value =
        serde_json::from_str(&redis_ha_sim::json::to_string(&redis_ha_sim::view::world_view(s.world()))).unwrap();
    let db = view["processes"].as_array().unwrap().iter().find(|p| p["name"] == "db").unwrap();
    assert_eq!(db["kind"], "database");
    assert_eq!(db["capacity"], 3);
    assert_eq!(db["inFlight"], 3, "an empty cache keeps it full");
    assert_eq!(db["address"], "10.0.0.2:5432");
}
