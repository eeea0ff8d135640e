//! The exported configuration against real Redis 7: every built-in scenario's redis.conf must start a real
//! redis-server with the options the simulator reads from the scenario, every sentinel.conf a real
//! redis-sentinel monitoring what the scenario says, and the cluster commands must build (and reshard) a
//! real cluster with the simulator's slot ranges. The simulator's defaults are compared with redis-server's
//! too. Each real process listens on loopback only: the generated files are started with `--port`,
//! `--bind 127.0.0.1` and `--dir` overriding theirs, and addresses in commands are rewritten the same way.
//!
//! `make test` installs redis-server (redis-sentinel and redis-cli come with it); without them, or with
//! REDIS_HA_SIM_SKIP_REAL_REDIS=1, each test prints that it was skipped.

use redis_ha_sim::deploy::{deployment, ConfFile};
use redis_ha_sim::scenario::{server_config, ProcessSpec};
use redis_ha_sim::server::config::{canonical, OPTION_NAMES};
use redis_ha_sim::server::ServerConfig;
use redis_ha_sim::{library, Scenario, SimTime, Simulation};
use redis_ha_sim_tests::real::{free_port, real_redis_wanted};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Whether the real binaries are there; prints why a test is skipped when they are not.
fn have(binaries: &[&str]) -> bool {
    if !real_redis_wanted() {
        return false;
    }
    for b in binaries {
        if Command::new(b).arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
            eprintln!("skipped: {b} is not installed (make test installs it; apt-get install redis-server redis-sentinel redis-tools)");
            return false;
        }
    }
    true
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "redis-ha-sim-deploy-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// `redis-cli -p port args...`, its output lines (redis-cli prints raw replies when not on a terminal).
fn cli(port: u16, args: &[&str]) -> Vec<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// A real redis-server or redis-sentinel started from a generated file; killed and cleaned up on drop.
struct Real {
    child: Child,
    port: u16,
    dir: PathBuf,
    what: String,
}

impl Drop for Real {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Real {
    fn start(binary: &str, f: &ConfFile) -> Real {
        let dir = temp_dir();
        let port = free_port();
        let conf = dir.join(&f.file);
        std::fs::write(&conf, &f.text).expect("write the config file");
        // Options on the command line come after the file's, so they win.
        let child = Command::new(binary)
            .arg(&conf)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(dir.join("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the real server");
        let mut real = Real { child, port, dir, what: format!("{binary} for {}/{}: {}", f.host, f.process, f.file) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while cli(port, &["PING"]) != ["PONG"] {
            if let Ok(Some(status)) = real.child.try_wait() {
                panic!("{} exited ({status}); the file:\n{}\nits log:\n{}", real.what, f.text, real.log());
            }
            assert!(Instant::now() < deadline, "{} does not answer on port {port}; log:\n{}", real.what, real.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        real
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn config_get(&self, name: &str) -> Option<String> {
        let lines = cli(self.port, &["CONFIG", "GET", name]);
        (lines.len() == 2).then(|| lines[1].clone())
    }
}

fn builtins() -> Vec<(&'static str, Scenario)> {
    library::SCENARIOS
        .iter()
        .map(|(id, json)| (*id, Scenario::from_json(json).unwrap_or_else(|e| panic!("builtin:{id}: {e}"))))
        .collect()
}

#[test]
fn the_simulators_defaults_are_redis_defaults() {
    if !have(&["redis-server", "redis-cli"]) {
        return;
    }
    let real = Real::start(
        "redis-server",
        &ConfFile { host: "h".into(), process: "p".into(), file: "redis.conf".into(), text: String::new() },
    );
    let ours = ServerConfig::default();
    let mismatches: Vec<String> = OPTION_NAMES
        .iter()
        .filter(|n| **n != "port")
        .filter_map(|n| {
            let (theirs, mine) = (real.config_get(n), ours.get(n));
            (theirs != mine).then(|| format!("{n}: redis-server {theirs:?}, simulator {mine:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "defaults differ:\n{}", mismatches.join("\n"));
}

#[test]
fn every_builtin_redis_conf_sets_in_redis_server_what_the_simulator_reads() {
    if !have(&["redis-server", "redis-cli"]) {
        return;
    }
    let mut problems = Vec::new();
    for (id, scenario) in builtins() {
        let files = deployment(&scenario);
        for h in &scenario.hosts {
            for p in &h.processes {
                let ProcessSpec::Server { name, port, config } = p else { continue };
                let f = files.iter().find(|f| f.process == *name && f.file == "redis.conf").expect("a redis.conf");
                let ours = server_config(name, port.unwrap_or(6379), config).expect("valid");
                let real = Real::start("redis-server", f);
                for key in config.keys() {
                    let key = canonical(&key.to_ascii_lowercase()).to_string();
                    if key == "replicaof" {
                        let info = cli(real.port, &["INFO", "replication"]).join("\n");
                        let (ip, port) = ours.replicaof.clone().expect("a master");
                        if !info.contains(&format!("master_host:{ip}"))
                            || !info.contains(&format!("master_port:{port}"))
                        {
                            problems.push(format!("builtin:{id} {name}: replicaof {ip} {port} not in\n{info}"));
                        }
                        continue;
                    }
                    let (theirs, mine) = (real.config_get(&key), ours.get(&key));
                    if theirs != mine {
                        problems
                            .push(format!("builtin:{id} {name}: {key}: redis-server {theirs:?}, simulator {mine:?}"));
                    }
                }
                if ours.cluster_enabled {
                    let file = real.config_get("cluster-config-file");
                    if file.as_deref() != Some(&format!("nodes-{}.conf", port.unwrap_or(6379))) {
                        problems.push(format!("builtin:{id} {name}: cluster-config-file {file:?}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_builtin_sentinel_conf_monitors_in_redis_sentinel_what_the_simulator_does() {
    if !have(&["redis-sentinel", "redis-cli"]) {
        return;
    }
    let mut problems = Vec::new();
    for (id, scenario) in builtins() {
        let files = deployment(&scenario);
        for p in scenario.hosts.iter().flat_map(|h| &h.processes) {
            let ProcessSpec::Sentinel { name, monitor, .. } = p else { continue };
            let f = files.iter().find(|f| f.process == *name).expect("a sentinel.conf");
            let real = Real::start("redis-sentinel", f);
            for m in monitor {
                let lines = cli(real.port, &["SENTINEL", "MASTER", &m.name]);
                let fields: BTreeMap<&str, &str> =
                    lines.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0].as_str(), c[1].as_str())).collect();
                let want = [
                    ("ip", m.host.clone()),
                    ("port", m.port.to_string()),
                    ("quorum", m.quorum.to_string()),
                    ("down-after-milliseconds", m.down_after_ms.to_string()),
                    ("failover-timeout", m.failover_timeout_ms.to_string()),
                    ("parallel-syncs", m.parallel_syncs.to_string()),
                ];
                for (field, value) in want {
                    if fields.get(field) != Some(&value.as_str()) {
                        problems.push(format!(
                            "builtin:{id} {name} master {}: {field} is {:?} in redis-sentinel, {value} in the scenario",
                            m.name,
                            fields.get(field)
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A real cluster started from a scenario's files: one real server per scenario server, and the text of
/// commands rewritten from scenario addresses to the real loopback ports.
struct RealCluster {
    nodes: BTreeMap<String, Real>,
    addrs: BTreeMap<String, (String, u16)>,
    files: Vec<ConfFile>,
}

impl RealCluster {
    fn start(scenario: &Scenario) -> RealCluster {
        let files = deployment(scenario);
        let mut nodes = BTreeMap::new();
        let mut addrs = BTreeMap::new();
        for (i, h) in scenario.hosts.iter().enumerate() {
            for p in &h.processes {
                if let ProcessSpec::Server { name, port, .. } = p {
                    let f = files.iter().find(|f| f.process == *name).expect("a redis.conf");
                    nodes.insert(name.clone(), Real::start("redis-server", f));
                    addrs.insert(name.clone(), (scenario.host_ip(i), port.unwrap_or(6379)));
                }
            }
        }
        RealCluster { nodes, addrs, files }
    }

    fn local(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (name, (ip, port)) in &self.addrs {
            let local = self.nodes[name].port;
            text = text
                .replace(&format!("{ip}:{port}"), &format!("127.0.0.1:{local}"))
                .replace(&format!("-h {ip} -p {port}"), &format!("-h 127.0.0.1 -p {local}"))
                .replace(&format!(" {ip} {port}"), &format!(" 127.0.0.1 {local}"));
        }
        text
    }

    fn file(&self, file: &str) -> String {
        self.local(&self.files.iter().find(|f| f.file == file).expect("the file").text)
    }

    /// Run a generated script with sh (redis-cli's prompts answered by --cluster-yes).
    fn sh(&self, script: &str) {
        let out = Command::new("sh").arg("-c").arg(script).stdin(Stdio::null()).output().expect("sh runs");
        assert!(
            out.status.success(),
            "{script}\nfailed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Each node's (role, slot ranges) from CLUSTER NODES on `on`, keyed by node name.
    fn shape(&self, on: &str) -> BTreeMap<String, (String, Vec<String>)> {
        let by_port: BTreeMap<u16, &String> = self.nodes.iter().map(|(n, r)| (r.port, n)).collect();
        cluster_shape(&cli(self.nodes[on].port, &["CLUSTER", "NODES"]), |addr| {
            let port: u16 = addr.split(['@', ':']).nth(1)?.parse().ok()?;
            by_port.get(&port).map(|n| n.to_string())
        })
    }

    fn wait_until(&self, what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// (role, slot ranges) per node from CLUSTER NODES lines; `name` maps an `ip:port@bus` field to a name.
fn cluster_shape(lines: &[String], name: impl Fn(&str) -> Option<String>) -> BTreeMap<String, (String, Vec<String>)> {
    lines
        .iter()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let role = if w.get(2)?.contains("master") { "master" } else { "replica" };
            Some((name(w[1])?, (role.to_string(), w.iter().skip(8).map(|s| s.to_string()).collect())))
        })
        .collect()
}

fn simulated_shape(id: &str, until_ms: u64) -> BTreeMap<String, (String, Vec<String>)> {
    let mut sim = Simulation::from_json(library::get(id).expect("built in"), 1).expect("valid");
    sim.run_until(SimTime(until_ms));
    let scenario = sim.scenario().clone();
    // The console prints the bulk reply as redis-cli does on a terminal: quoted, with \n escapes.
    let printed = sim.command("redis-1", "CLUSTER NODES").expect("a node");
    let lines: Vec<String> = printed.lines().map(str::to_string).collect();
    cluster_shape(&lines, |addr| {
        let ip = addr.split(':').next()?;
        let host = (0..scenario.hosts.len()).find(|i| scenario.host_ip(*i) == ip)?;
        scenario.hosts[host].processes.first().map(|p| p.name().to_string())
    })
}

#[test]
fn the_cluster_create_command_builds_the_simulators_masters_and_slots() {
    if !have(&["redis-server", "redis-cli"]) {
        return;
    }
    let scenario = Scenario::from_json(library::get("cluster").expect("built in")).expect("valid");
    let real = RealCluster::start(&scenario);
    let create = real.file("cluster-create.sh");
    assert!(create.contains("redis-cli --cluster create 127.0.0.1:"), "{create}");
    real.sh(&create.replace("--cluster-replicas", "--cluster-yes --cluster-replicas"));
    real.wait_until("cluster_state:ok and three replicas", || {
        real.nodes.values().all(|n| cli(n.port, &["CLUSTER", "INFO"]).iter().any(|l| l == "cluster_state:ok"))
            && real.shape("redis-1").values().filter(|(role, _)| role == "replica").count() == 3
    });
    let masters = |shape: BTreeMap<String, (String, Vec<String>)>| -> BTreeMap<String, Vec<String>> {
        shape.into_iter().filter(|(_, (role, _))| role == "master").map(|(n, (_, slots))| (n, slots)).collect()
    };
    // Replicas' masters are redis-cli's choice (at random among equals on one host), so only masters compare.
    assert_eq!(masters(real.shape("redis-1")), masters(simulated_shape("cluster", 100)));
}

#[test]
fn the_steps_and_reshard_script_move_the_slot_in_a_real_cluster() {
    if !have(&["redis-server", "redis-cli"]) || Command::new("sh").arg("-c").arg("true").status().is_err() {
        return;
    }
    let scenario = Scenario::from_json(library::get("cluster-reshard").expect("built in")).expect("valid");
    let real = RealCluster::start(&scenario);
    let create = real.file("cluster-create.sh");
    real.sh(&create.replace("--cluster-replicas", "--cluster-yes --cluster-replicas"));
    // The scripted steps (CLUSTER MEET of the new node); the cluster creation itself is a comment there.
    real.sh(&real.file("steps.sh"));
    real.wait_until("every node to know the new one", || {
        real.nodes.values().all(|n| cli(n.port, &["CLUSTER", "INFO"]).iter().any(|l| l == "cluster_known_nodes:7"))
    });
    let spec = scenario
        .hosts
        .iter()
        .flat_map(|h| &h.processes)
        .find_map(|p| match p {
            ProcessSpec::Reshard { spec, .. } => Some(spec.clone()),
            _ => None,
        })
        .expect("a reshard process");
    let slot = spec.slots.0;
    let keys: Vec<String> = (0..)
        .map(|i| format!("key:{i}"))
        .filter(|k| redis_ha_sim::cluster::slot::key_slot(k.as_bytes()) == slot)
        .take(25)
        .collect();
    let source = real.nodes[&spec.from].port;
    for k in &keys {
        assert_eq!(cli(source, &["SET", k, "v"]), ["OK"]);
    }
    real.sh(&real.file("reshard.sh"));
    let target = real.nodes[&spec.to].port;
    let count = cli(target, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]);
    assert_eq!(count, [keys.len().to_string()], "keys of slot {slot} on the target");
    let shape = real.shape(&spec.to);
    assert!(shape[&spec.to].1.contains(&slot.to_string()), "{shape:?}");
}
