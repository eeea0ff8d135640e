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
    // Written out with the keys in alphabetical order, as serde_json's `json!` wrote them (the same text).
    let hosts: Vec<String> = (0..n)
        .map(|i| {
            let target = (i + 1) % n;
            format!(
                concat!(
                    r#"{{"name":"h{i}","processes":[{{"kind":"server","name":"redis-{i}"}},"#,
                    r#"{{"kind":"client","name":"app-{i}","target":"redis-{target}","#,
                    r#""workload":{{"interval_ms":{interval_ms},"ops":[{{"command":"PING"}}]}}}}]}}"#
                ),
                i = i,
                target = target,
                interval_ms = interval_ms
            )
        })
        .collect();
    format!(
        r#"{{"hosts":[{}],"name":"{n} pinged servers","network":{{"jitter_ms":1,"latency_ms":1}},"version":1}}"#,
        hosts.join(",")
    )
}

/// A cluster of `n` nodes (`n / 2` masters with one replica each), each on its own host, created at 0 as
/// `redis-cli --cluster create --cluster-replicas 1` would: the scale benchmark's scenario.
pub fn cluster_fleet(n: usize, node_timeout_ms: u64) -> String {
    // As in `ping_fleet`, keys in alphabetical order.
    let hosts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                concat!(
                    r#"{{"name":"node{i}","processes":[{{"config":{{"cluster-enabled":"yes","#,
                    r#""cluster-node-timeout":{t},"repl-diskless-sync-delay":0,"save":""}},"#,
                    r#""kind":"server","name":"redis-{i}"}}]}}"#
                ),
                i = i,
                t = node_timeout_ms
            )
        })
        .collect();
    let nodes: Vec<String> = (0..n).map(|i| format!(r#""redis-{i}""#)).collect();
    format!(
        concat!(
            r#"{{"actions":[{{"at_ms":0,"do":"cluster_create","nodes":[{}],"replicas":1}}],"hosts":[{}],"#,
            r#""name":"{n}-node cluster","network":{{"jitter_ms":1,"latency_ms":1}},"version":1}}"#
        ),
        nodes.join(","),
        hosts.join(","),
        n = n
    )
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
