//! A scenario as real configuration: the `redis.conf` of every server, the `sentinel.conf` of every sentinel,
//! and the `redis-cli` commands that create and reshard a cluster, so that a learner can set up the same
//! deployment on real machines. Pure functions from a parsed [`Scenario`] to text; nothing is written here.
//!
//! Only what the scenario decides is written out (its config options, addresses, replicaof, monitors);
//! everything else is left at Redis 7's defaults, which are the simulator's defaults too.

use crate::action::Action;
use crate::cluster::reshard::ReshardSpec;
use crate::json::{Json, ToJson};
use crate::scenario::{ConfigValue, ProcessSpec, Scenario};
use crate::sentinel::MonitorSpec;
use crate::server::config::canonical;
use crate::vecmap::VecMap;
use std::fmt::Write;

/// One generated file: what runs where, the file's name, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfFile {
    /// The host it belongs on (a scenario host name).
    pub host: String,
    /// The process it configures (`redis-cli` for cluster creation).
    pub process: String,
    /// `redis.conf`, `sentinel.conf`, `cluster-create.sh` or `reshard.sh`.
    pub file: String,
    pub text: String,
}

impl ToJson for ConfFile {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("host", &self.host).field("process", &self.process).field("file", &self.file);
        o.field("text", &self.text);
    }
}

/// Every file of the deployment, in scenario order: each host's servers and sentinels, then the cluster
/// creation commands, then the reshard runs.
pub fn deployment(s: &Scenario) -> Vec<ConfFile> {
    let mut files = Vec::new();
    let ip_of_host: Vec<String> = (0..s.hosts.len()).map(|i| s.host_ip(i)).collect();
    // name → (host index, port) of every server, for cluster and reshard commands.
    let mut servers: VecMap<&str, (usize, u16)> = VecMap::new();
    for (i, h) in s.hosts.iter().enumerate() {
        let servers_here = h.processes.iter().filter(|p| matches!(p, ProcessSpec::Server { .. })).count();
        for p in &h.processes {
            match p {
                ProcessSpec::Server { name, port, config } => {
                    let port = port.unwrap_or(6379);
                    servers.insert(name, (i, port));
                    files.push(ConfFile {
                        host: h.name.clone(),
                        process: name.clone(),
                        file: "redis.conf".into(),
                        text: redis_conf(&s.name, name, &h.name, &ip_of_host[i], port, config, servers_here > 1),
                    });
                }
                ProcessSpec::Sentinel { name, port, monitor } => files.push(ConfFile {
                    host: h.name.clone(),
                    process: name.clone(),
                    file: "sentinel.conf".into(),
                    text: sentinel_conf(&s.name, name, &h.name, &ip_of_host[i], *port, monitor),
                }),
                // The application and its database are not Redis's to configure.
                ProcessSpec::Reshard { .. }
                | ProcessSpec::Rebalance { .. }
                | ProcessSpec::Client { .. }
                | ProcessSpec::Database { .. } => {}
            }
        }
    }
    let addr = |name: &str| servers.get(name).map(|(h, port)| (ip_of_host[*h].clone(), *port));
    let mut creations = 0;
    for a in &s.actions {
        if let Action::ClusterCreate { nodes, replicas } = &a.action {
            creations += 1;
            let first_host = nodes.first().and_then(|n| servers.get(n.as_str())).map(|(h, _)| s.hosts[*h].name.clone());
            let addrs: Vec<(String, u16)> = nodes.iter().filter_map(|n| addr(n)).collect();
            files.push(ConfFile {
                host: first_host.unwrap_or_default(),
                process: "redis-cli".into(),
                file: if creations == 1 {
                    "cluster-create.sh".into()
                } else {
                    format!("cluster-create-{creations}.sh")
                },
                text: cluster_create(a.at_ms, nodes, &addrs, *replicas),
            });
        }
    }
    if !s.actions.is_empty() {
        files.push(ConfFile {
            host: String::new(),
            process: "operator".into(),
            file: "steps.sh".into(),
            text: steps(s, &ip_of_host),
        });
    }
    for h in &s.hosts {
        for p in &h.processes {
            if let ProcessSpec::Reshard { name, spec } = p {
                if let (Some(from), Some(to)) = (addr(&spec.from), addr(&spec.to)) {
                    files.push(ConfFile {
                        host: h.name.clone(),
                        process: name.clone(),
                        file: "reshard.sh".into(),
                        text: reshard(spec, &from, &to),
                    });
                }
            }
        }
    }
    files
}

/// Every file one after the other, each under a `# ---- host/process: file ----` line (`# ---- process:
/// file ----` for what belongs to no host).
pub fn render(files: &[ConfFile]) -> String {
    let mut out = String::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("# ---- ");
        if !f.host.is_empty() {
            out.push_str(&f.host);
            out.push('/');
        }
        // Writing to a String cannot fail (here and below).
        let _ = writeln!(out, "{}: {} ----", f.process, f.file);
        out.push_str(&f.text);
    }
    out
}

/// The first lines of a config file: what it configures and where it came from.
fn header(file: &str, name: &str, host: &str, ip: &str, scenario: &str) -> String {
    let mut out = format!("# {file} for {name} on host {host} ({ip})\n# Generated by redis-ha-sim");
    if !scenario.is_empty() {
        let _ = write!(out, " from the scenario \"{scenario}\"");
    }
    out.push_str(".\n");
    out
}

fn redis_conf(
    scenario: &str,
    name: &str,
    host: &str,
    ip: &str,
    port: u16,
    config: &VecMap<String, ConfigValue>,
    shared_host: bool,
) -> String {
    let mut out = header("redis.conf", name, host, ip, scenario);
    out.push_str("# Start it with `redis-server redis.conf`; options not set here keep Redis 7's defaults.\n");
    // The host's address for its peers, and loopback for a redis-cli on the host itself.
    let _ = writeln!(out, "port {port}\nbind {ip} 127.0.0.1");
    if shared_host {
        let _ = writeln!(
            out,
            "# Another server runs on this host: give each its own working directory, e.g.\n# dir /var/lib/redis/{port}"
        );
    }
    // Canonical names (the old slave-* aliases become their replica-* names); replicaof and cluster mode
    // first because they say what the server is, the rest in name order.
    let options: VecMap<String, String> =
        config.iter().map(|(k, v)| (canonical(&k.to_ascii_lowercase()).to_string(), v.as_redis_text())).collect();
    let first = ["replicaof", "cluster-enabled"];
    for key in first.iter().copied().chain(options.keys().map(String::as_str).filter(|k| !first.contains(k))) {
        let Some(value) = options.get(key) else { continue };
        out.push_str(&conf_line(key, value));
        if key == "cluster-enabled" && crate::server::config::parse_bool(value) == Ok(true) {
            // Each cluster node keeps its own view of the cluster here; Redis writes it, nobody edits it.
            let _ = writeln!(out, "cluster-config-file nodes-{port}.conf");
        }
    }
    out
}

/// One redis.conf line: `save` and `replicaof` take several words, the rest one (quoted when needed).
fn conf_line(key: &str, value: &str) -> String {
    let words: Vec<&str> = value.split_whitespace().collect();
    match key {
        "save" | "replicaof" if !words.is_empty() => format!("{key} {}\n", words.join(" ")),
        _ => format!("{key} {}\n", conf_quote(value)),
    }
}

/// A redis.conf argument as Redis's config parser (`sdssplitargs`) reads it back: bare when it can be,
/// else in double quotes with C-style escapes.
pub fn conf_quote(value: &str) -> String {
    let bare =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'#'));
    if bare {
        return value.to_string();
    }
    let mut q = String::from("\"");
    for b in value.bytes() {
        match b {
            b'"' => q.push_str("\\\""),
            b'\\' => q.push_str("\\\\"),
            b'\n' => q.push_str("\\n"),
            b'\r' => q.push_str("\\r"),
            b'\t' => q.push_str("\\t"),
            b if b.is_ascii_graphic() || b == b' ' => q.push(b as char),
            b => {
                let _ = write!(q, "\\x{b:02x}");
            }
        }
    }
    q.push('"');
    q
}

fn sentinel_conf(scenario: &str, name: &str, host: &str, ip: &str, port: u16, monitors: &[MonitorSpec]) -> String {
    let mut out = header("sentinel.conf", name, host, ip, scenario);
    out.push_str(
        "# Start it with `redis-sentinel sentinel.conf`. Sentinel rewrites this file as it learns replicas and\n\
         # other sentinels, so it must be writable.\n",
    );
    let _ = writeln!(out, "port {port}\nbind {ip} 127.0.0.1");
    for m in monitors {
        let master = conf_quote(&m.name);
        let _ = writeln!(
            out,
            "sentinel monitor {master} {} {} {}\n\
             sentinel down-after-milliseconds {master} {}\n\
             sentinel failover-timeout {master} {}\n\
             sentinel parallel-syncs {master} {}",
            m.host, m.port, m.quorum, m.down_after_ms, m.failover_timeout_ms, m.parallel_syncs
        );
    }
    out
}

/// A shell word: bare when it is safe, else in single quotes.
fn shell_quote(word: &str) -> String {
    let bare = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:/@%+=,".contains(&b));
    if bare {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The scenario's script in time order, as an operator would carry it out: typed commands as redis-cli
/// lines, faults and repairs as comments saying what to do by hand.
fn steps(s: &Scenario, ip_of_host: &[String]) -> String {
    // name → (host name, ip, port) of every process that listens.
    let mut at: VecMap<&str, (&str, &str, Option<u16>)> = VecMap::new();
    for (i, h) in s.hosts.iter().enumerate() {
        for p in &h.processes {
            let port = match p {
                ProcessSpec::Server { port, .. } => Some(port.unwrap_or(6379)),
                ProcessSpec::Sentinel { port, .. } => Some(*port),
                _ => None,
            };
            at.insert(p.name(), (h.name.as_str(), ip_of_host[i].as_str(), port));
        }
    }
    let host_of = |p: &str| at.get(p).map_or("?", |x| x.0);
    let mut actions: Vec<&crate::scenario::ScriptedAction> = s.actions.iter().collect();
    crate::sort::sort_by_key(&mut actions, |a| a.at_ms);
    let mut out = String::from("# The scenario's scripted steps, in time order (virtual ms after start).\n");
    for a in actions {
        let t = a.at_ms;
        if let Action::Command { process, line } = &a.action {
            if let (Some((_, ip, Some(port))), Ok(args)) = (at.get(process.as_str()), crate::cli::split_args(line)) {
                let words: Vec<String> = args.iter().map(|w| shell_quote(&String::from_utf8_lossy(w))).collect();
                let _ = writeln!(out, "# at {t} ms, on {process}:\nredis-cli -h {ip} -p {port} {}", words.join(" "));
                continue;
            }
        }
        let _ = write!(out, "# at {t} ms: ");
        let _ = match &a.action {
            Action::Command { process, line } => write!(out, "type `{line}` into {process}"),
            Action::Crash { process } => write!(out, "kill -9 {process} on {}", host_of(process)),
            Action::Restart { process } => write!(out, "restart {process} on {}", host_of(process)),
            Action::Pause { process } => write!(out, "kill -STOP {process} on {}", host_of(process)),
            Action::Resume { process } => write!(out, "kill -CONT {process} on {}", host_of(process)),
            Action::PowerOff { host } => write!(out, "cut the power of {host}"),
            Action::PowerOn { host } => write!(out, "power {host} back on"),
            Action::Repoint { process, target, read_target } => {
                let _ = write!(out, "point the application {process} at {target}");
                match read_target {
                    Some(r) => write!(out, ", reads at {r}"),
                    None => Ok(()),
                }
            }
            Action::ClusterCreate { .. } => write!(out, "create the cluster (cluster-create.sh)"),
            Action::RemoveFile { host, path } => write!(out, "rm -rf {path} on {host}"),
            Action::TruncateFile { host, path, bytes } => {
                write!(out, "cut {bytes} bytes off the end of {path} on {host}")
            }
            Action::Partition { groups } => {
                let g: Vec<String> = groups.iter().map(|g| format!("[{}]", g.join(" "))).collect();
                write!(out, "cut the network between {}", g.join(" | "))
            }
            Action::PartitionOneWay { from, to } => {
                write!(out, "drop traffic from [{}] to [{}]", from.join(" "), to.join(" "))
            }
            Action::Heal => write!(out, "repair the network"),
            Action::Link { from, to, latency_ms, jitter_ms, loss, symmetric } => {
                let mut what = Vec::new();
                if let Some(l) = latency_ms {
                    what.push(format!("latency {l} ms"));
                }
                if let Some(j) = jitter_ms {
                    what.push(format!("jitter {j} ms"));
                }
                if let Some(l) = loss {
                    what.push(format!("loss {}", crate::decimal::decimal(*l)));
                }
                let (dir, and) = if *symmetric { ("between", "and") } else { ("from", "to") };
                write!(out, "{dir} {from} {and} {to}: {} (tc netem)", what.join(", "))
            }
        };
        out.push('\n');
    }
    out
}

fn endpoint((ip, port): &(String, u16)) -> String {
    format!("{ip}:{port}")
}

fn cluster_create(at_ms: u64, nodes: &[String], addrs: &[(String, u16)], replicas: u32) -> String {
    let masters = nodes.len() / (replicas as usize + 1);
    let list: Vec<String> = addrs.iter().map(endpoint).collect();
    format!(
        "# The scenario creates the cluster at {at_ms} ms: {masters} masters ({}) with {replicas} replica(s) each.\n\
         # Start every node with its redis.conf first. redis-cli shows its plan and asks before applying it\n\
         # (--cluster-yes skips the question). It gives the first nodes the same slot ranges as the simulator,\n\
         # but picks each replica's master itself (it keeps replicas off their master's host).\n\
         redis-cli --cluster create {} --cluster-replicas {replicas}\n",
        nodes[..masters].join(", "),
        list.join(" ")
    )
}

fn reshard(spec: &ReshardSpec, from: &(String, u16), to: &(String, u16)) -> String {
    let (first, last) = spec.slots;
    let count = u32::from(last) - u32::from(first) + 1;
    let cli = |(ip, port): &(String, u16)| format!("redis-cli -h {ip} -p {port}");
    let (src, dst) = (cli(from), cli(to));
    let (source, (to_ip, to_port)) = (endpoint(from), to);
    let batch = spec.batch.max(1);
    format!(
        "# The scenario moves slots {first}..{last} from {source} to {} at {} ms, {batch} keys per MIGRATE.\n\
         FROM=$({src} CLUSTER MYID)\nTO=$({dst} CLUSTER MYID)\n\
         # redis-cli moves the same number of slots, but picks them itself (the source's lowest first):\n\
         # redis-cli --cluster reshard {source} --cluster-from $FROM --cluster-to $TO --cluster-slots {count} --cluster-pipeline {batch} --cluster-yes\n\
         # To move exactly these slots, do what redis-cli does for each one:\n\
         for slot in $(seq {first} {last}); do\n  \
           {dst} CLUSTER SETSLOT $slot IMPORTING $FROM\n  \
           {src} CLUSTER SETSLOT $slot MIGRATING $TO\n  \
           while keys=$({src} CLUSTER GETKEYSINSLOT $slot {batch}) && [ -n \"$keys\" ]; do\n    \
             {src} MIGRATE {to_ip} {to_port} \"\" 0 60000 KEYS $keys\n  \
           done\n  \
           {dst} CLUSTER SETSLOT $slot NODE $TO\n  \
           {src} CLUSTER SETSLOT $slot NODE $TO\n\
         done\n",
        endpoint(to),
        spec.start_ms
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn files(id: &str) -> Vec<ConfFile> {
        deployment(&Scenario::from_json(crate::library::get(id).unwrap()).unwrap())
    }

    fn file<'a>(files: &'a [ConfFile], process: &str) -> &'a str {
        &files.iter().find(|f| f.process == process).unwrap().text
    }

    #[test]
    fn replicas_get_replicaof_and_the_scenarios_options() {
        let f = files("replication");
        let master = file(&f, "master");
        assert!(master.starts_with("# redis.conf for master on host db1 (10.0.0.1)"), "{master}");
        assert!(master.contains("\nport 6379\nbind 10.0.0.1 127.0.0.1\nrepl-diskless-sync-delay 0\n"), "{master}");
        let replica = file(&f, "replica-1");
        assert!(replica.contains("\nreplicaof 10.0.0.1 6379\n"), "{replica}");
    }

    #[test]
    fn sentinels_monitor_with_their_settings() {
        let f = files("sentinel");
        let s = file(&f, "sentinel-2");
        assert!(s.contains(
            "port 26379\nbind 10.0.0.2 127.0.0.1\nsentinel monitor mymaster 10.0.0.1 6379 2\n\
             sentinel down-after-milliseconds mymaster 2000\nsentinel failover-timeout mymaster 60000\n\
             sentinel parallel-syncs mymaster 1\n"
        ));
        assert_eq!(f.iter().filter(|f| f.file == "sentinel.conf").count(), 3);
    }

    #[test]
    fn clusters_get_a_config_file_and_the_create_command() {
        let f = files("cluster");
        let node = file(&f, "redis-4");
        assert!(node.contains("cluster-enabled yes\ncluster-config-file nodes-6379.conf\ncluster-node-timeout 2000\n"));
        assert!(node.contains("\nsave \"\"\n"), "{node}");
        let create = f.iter().find(|f| f.file == "cluster-create.sh").unwrap();
        assert_eq!(create.host, "node1");
        assert!(create.text.contains(
            "redis-cli --cluster create 10.0.0.1:6379 10.0.0.2:6379 10.0.0.3:6379 10.0.0.4:6379 \
             10.0.0.5:6379 10.0.0.6:6379 --cluster-replicas 1\n"
        ));
    }

    #[test]
    fn a_reshard_process_becomes_its_commands() {
        let f = files("cluster-reshard");
        let r = f.iter().find(|f| f.file == "reshard.sh").unwrap();
        assert_eq!((r.host.as_str(), r.process.as_str()), ("admin", "reshard"));
        assert!(r.text.contains("--cluster-from $FROM --cluster-to $TO --cluster-slots 1 --cluster-pipeline 10"));
        assert!(r.text.contains("redis-cli -h 10.0.0.3 -p 6379 MIGRATE 10.0.0.7 6379 \"\" 0 60000 KEYS $keys"));
    }

    #[test]
    fn values_are_quoted_as_redis_reads_them() {
        assert_eq!(conf_quote("1mb"), "1mb");
        assert_eq!(conf_quote(""), "\"\"");
        assert_eq!(conf_quote("a b\"c"), "\"a b\\\"c\"");
        assert_eq!(conf_line("save", "3600 1 300 100"), "save 3600 1 300 100\n");
        assert_eq!(conf_line("save", ""), "save \"\"\n");
        let s = Scenario::from_json(
            r#"{"version":1,"hosts":[{"name":"h","processes":[
                {"kind":"server","name":"a","config":{"slave-priority":5,"appendonly":true}},
                {"kind":"server","name":"b","port":6380}]}]}"#,
        )
        .unwrap();
        let f = deployment(&s);
        assert!(f[0].text.contains("\nappendonly yes\nreplica-priority 5\n"), "{}", f[0].text);
        assert!(f[1].text.contains("# dir /var/lib/redis/6380\n"));
    }

    #[test]
    fn files_print_under_separators() {
        let text = render(&files("standalone"));
        assert!(text.starts_with("# ---- db/redis: redis.conf ----\n# redis.conf for redis on host db"), "{text}");
    }

    #[test]
    fn scripted_steps_become_commands_and_instructions() {
        let f = files("cluster-reshard");
        let steps = f.iter().find(|f| f.file == "steps.sh").unwrap();
        assert!(steps
            .text
            .contains("# at 2000 ms, on redis-1:\nredis-cli -h 10.0.0.1 -p 6379 CLUSTER MEET 10.0.0.7 6379\n"));
        assert!(steps.text.contains("# at 0 ms: create the cluster (cluster-create.sh)\n"));
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("key:1"), "key:1");
        assert!(render(&f).contains("# ---- operator: steps.sh ----\n"));
    }
}
