//! The built-in scenarios, compiled into the core so that the page's picker, the CLI and the tests read the
//! same files. Each is a scenario JSON file in `core/scenarios/`.

/// (id, JSON text) of every built-in scenario, in the order the picker lists them: the curriculum, from one
/// server to persistence, replication, Sentinel (and a look-aside cache in front of a database), Cluster, and
/// the three designs compared.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("standalone", include_str!("../scenarios/standalone.json")),
    ("standalone-crash", include_str!("../scenarios/standalone-crash.json")),
    ("persistence", include_str!("../scenarios/persistence.json")),
    ("persistence-compare", include_str!("../scenarios/persistence-compare.json")),
    ("aof-rewrite", include_str!("../scenarios/aof-rewrite.json")),
    ("replication", include_str!("../scenarios/replication.json")),
    ("replication-stale-read", include_str!("../scenarios/replication-stale-read.json")),
    ("replication-master-dies", include_str!("../scenarios/replication-master-dies.json")),
    ("resync", include_str!("../scenarios/resync.json")),
    ("persistence-off-trap", include_str!("../scenarios/persistence-off-trap.json")),
    ("sentinel", include_str!("../scenarios/sentinel.json")),
    ("sentinel-two", include_str!("../scenarios/sentinel-two.json")),
    ("split-brain", include_str!("../scenarios/split-brain.json")),
    ("split-brain-min-replicas", include_str!("../scenarios/split-brain-min-replicas.json")),
    ("jepsen-sentinel", include_str!("../scenarios/jepsen-sentinel.json")),
    ("jepsen-sentinel-async", include_str!("../scenarios/jepsen-sentinel-async.json")),
    ("cache-aside", include_str!("../scenarios/cache-aside.json")),
    ("cluster-crossslot", include_str!("../scenarios/cluster-crossslot.json")),
    ("cluster", include_str!("../scenarios/cluster.json")),
    ("cluster-replica-migration", include_str!("../scenarios/cluster-replica-migration.json")),
    ("cluster-reshard", include_str!("../scenarios/cluster-reshard.json")),
    ("compare-deployments", include_str!("../scenarios/compare-deployments.json")),
];

pub fn get(id: &str) -> Option<&'static str> {
    SCENARIOS.iter().find(|(i, _)| *i == id).map(|(_, s)| *s)
}

/// A scenario of `n` servers on their own hosts, each pinged by one client every `interval_ms`: the
/// benchmark's workload, and a size test.
pub fn ping_fleet(n: usize, interval_ms: u64) -> String {
    let mut hosts = Vec::new();
    for i in 0..n {
        hosts.push(serde_json::json!({
            "name": format!("h{i}"),
            "processes": [
                {"kind": "server", "name": format!("redis-{i}")},
                {"kind": "client", "name": format!("app-{i}"), "target": format!("redis-{}", (i + 1) % n),
                 "workload": {"interval_ms": interval_ms, "ops": [{"command": "PING"}]}}
            ]
        }));
    }
    serde_json::json!({"version": 1, "name": format!("{n} pinged servers"), "network": {"latency_ms": 1, "jitter_ms": 1}, "hosts": hosts})
        .to_string()
}

/// A cluster of `n` nodes (`n / 2` masters with one replica each), each on its own host, created at 0 as
/// `redis-cli --cluster create --cluster-replicas 1` would: the scale benchmark's scenario.
pub fn cluster_fleet(n: usize, node_timeout_ms: u64) -> String {
    let hosts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"name": format!("node{i}"), "processes": [{"kind": "server", "name": format!("redis-{i}"),
                "config": {"cluster-enabled": "yes", "cluster-node-timeout": node_timeout_ms, "save": "", "repl-diskless-sync-delay": 0}}]})
        })
        .collect();
    let nodes: Vec<String> = (0..n).map(|i| format!("redis-{i}")).collect();
    serde_json::json!({"version": 1, "name": format!("{n}-node cluster"), "network": {"latency_ms": 1, "jitter_ms": 1}, "hosts": hosts,
        "actions": [{"at_ms": 0, "do": "cluster_create", "nodes": nodes, "replicas": 1}]})
    .to_string()
}
