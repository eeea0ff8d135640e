//! The built-in scenarios and the generated ones (the benchmark fleets). Each built-in is a scenario JSON file
//! in `core/scenarios/`, compiled in with the `builtin-scenarios` feature (on by default) for the CLI and the
//! tests. The page's wasm package leaves them out: `make wasm` bundles the same files, in the order of
//! `core/scenarios/index.txt`, into `www/pkg/scenarios.json`, which the page fetches.

/// `(id, the text of core/scenarios/<id>.json)` for each id.
#[cfg(any(test, feature = "builtin-scenarios"))]
macro_rules! builtin {
    ($($id:literal),* $(,)?) => {
        &[$(($id, include_str!(concat!("../scenarios/", $id, ".json")))),*]
    };
}

/// (id, JSON text) of every built-in scenario, in the order the picker lists them: the curriculum, from one
/// server to persistence, replication, Sentinel (and a look-aside cache in front of a database), Cluster, and
/// the three designs compared. `core/scenarios/index.txt` lists the same ids in the same order (tested).
#[cfg(any(test, feature = "builtin-scenarios"))]
pub const SCENARIOS: &[(&str, &str)] = builtin![
    "standalone",
    "standalone-crash",
    "persistence",
    "persistence-compare",
    "aof-rewrite",
    "replication",
    "replication-stale-read",
    "replication-master-dies",
    "resync",
    "persistence-off-trap",
    "sentinel",
    "sentinel-two",
    "split-brain",
    "split-brain-min-replicas",
    "jepsen-sentinel",
    "jepsen-sentinel-async",
    "cache-aside",
    "cluster-crossslot",
    "cluster",
    "cluster-replica-migration",
    "cluster-reshard",
    "compare-deployments",
];

#[cfg(any(test, feature = "builtin-scenarios"))]
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

#[cfg(test)]
mod tests {
    /// The page's bundle (`www/pkg/scenarios.json`) is built from `core/scenarios/index.txt`: it must name
    /// the same scenarios as `SCENARIOS`, in the same order, or the picker and `builtin:ID` would differ.
    #[test]
    fn the_bundle_index_lists_the_built_in_scenarios_in_order() {
        let index: Vec<&str> = include_str!("../scenarios/index.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let ids: Vec<&str> = super::SCENARIOS.iter().map(|(id, _)| *id).collect();
        assert_eq!(index, ids, "core/scenarios/index.txt and library::SCENARIOS disagree");
    }
}
