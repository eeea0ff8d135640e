//! A real Redis 7 cluster beside the simulator's: six redis-server processes on loopback, laid out as the
//! simulator's `cluster_create` lays out its nodes (what `redis-cli --cluster create --cluster-replicas 1`
//! does, with replica i following master i: config epochs 1..6 in order, masters' slot ranges, MEET,
//! REPLICATE), and a simulated cluster whose nodes have the same ports on 127.0.0.1, so redirections name
//! the same addresses. Set REDIS_HA_SIM_SKIP_REAL_REDIS=1 to skip (the tests then say so).

use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::resp::{encode_command, Reply};
use redis_ha_sim::{SimTime, Simulation};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const NODES: usize = 6;
pub const MASTERS: usize = 3;

pub use redis_ha_sim_tests::real::real_redis_wanted;
use redis_ha_sim_tests::real::{free_port, read_reply};

/// One connection to a real server: what a redis-cli session keeps (READONLY, ASKING).
pub struct Conn(BufReader<TcpStream>);

impl Conn {
    fn open(port: u16) -> Option<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        Some(Conn(BufReader::new(s)))
    }

    pub fn command(&mut self, args: &[Vec<u8>]) -> Reply {
        self.0.get_mut().write_all(&encode_command(args)).expect("write to redis-server");
        read_reply(&mut self.0)
    }

    pub fn line(&mut self, line: &str) -> Reply {
        self.command(&split_args(line).expect("a command line"))
    }

    /// A text reply (CLUSTER NODES, INFO), as text.
    pub fn text(&mut self, line: &str) -> String {
        match self.line(line) {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => format!("{other:?}"),
        }
    }
}

/// A redis-server process, killed and its directory removed on drop.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct RealNode {
    server: Server,
    pub port: u16,
    pub conn: Conn,
}

impl RealNode {
    fn start(port: u16, config: &[(&str, &str)]) -> RealNode {
        let dir = std::env::temp_dir().join(format!("redis-ha-sim-cluster-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        RealNode::spawn(port, config, dir)
    }

    fn spawn(port: u16, config: &[(&str, &str)], dir: PathBuf) -> RealNode {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes"])
            .args(["--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no"])
            .args(["--repl-diskless-sync-delay", "0"])
            .args(config.iter().flat_map(|(name, value)| [format!("--{name}"), value.to_string()]))
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(dir.join("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (make test installs it; apt-get install redis-server)");
        let server = Server { child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(conn) = Conn::open(port) {
                return RealNode { server, port, conn };
            }
            assert!(Instant::now() < deadline, "redis-server did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, as the simulator's crash.
    pub fn kill(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }

    /// SIGSTOP or SIGCONT, as the simulator's pause and resume.
    pub fn signal(&mut self, signal: &str) {
        let pid = self.server.child.id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().expect("kill(1)");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Start again (after `kill`) in the same directory: it rejoins with its nodes.conf.
    pub fn restart(&mut self, config: &[(&str, &str)]) {
        self.kill();
        let dir = std::mem::take(&mut self.server.dir);
        let fresh = RealNode::spawn(self.port, config, dir);
        *self = fresh;
    }
}

pub struct RealCluster {
    pub nodes: Vec<RealNode>,
    pub ids: Vec<String>,
    /// Options every node was started with beside the usual ones, given to the simulated twin too.
    config: Vec<(String, String)>,
}

impl RealCluster {
    /// Six nodes: masters 1..3 with redis-cli's ranges, node 3+i a replica of node i, config epochs 1..6.
    pub fn start() -> RealCluster {
        RealCluster::start_with(&[])
    }

    /// `start`, every node with these options too (as `--name value` on the command line).
    pub fn start_with(config: &[(&str, &str)]) -> RealCluster {
        let mut nodes: Vec<RealNode> = (0..NODES).map(|_| RealNode::start(free_port(), config)).collect();
        let ranges = ["0 5460", "5461 10922", "10923 16383"];
        let mut ids = Vec::new();
        for (i, n) in nodes.iter_mut().enumerate() {
            assert_eq!(n.conn.line(&format!("CLUSTER SET-CONFIG-EPOCH {}", i + 1)), Reply::ok());
            if let Some(r) = ranges.get(i) {
                assert_eq!(n.conn.line(&format!("CLUSTER ADDSLOTSRANGE {r}")), Reply::ok());
            }
            ids.push(n.conn.text("CLUSTER MYID"));
        }
        let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
        for p in &ports[1..] {
            assert_eq!(nodes[0].conn.line(&format!("CLUSTER MEET 127.0.0.1 {p}")), Reply::ok());
        }
        let config = config.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        let mut cluster = RealCluster { nodes, ids, config };
        cluster.wait_until("every node to know every other", |c| {
            (0..NODES).all(|i| c.info(i, "cluster_known_nodes") == NODES.to_string())
        });
        for r in MASTERS..NODES {
            let master = cluster.ids[r - MASTERS].clone();
            assert_eq!(cluster.nodes[r].conn.line(&format!("CLUSTER REPLICATE {master}")), Reply::ok());
        }
        cluster.wait_until("cluster_state:ok, three replicas in sync, seen by all", |c| {
            (0..NODES).all(|i| c.info(i, "cluster_state") == "ok" && c.replicas_seen_by(i) == NODES - MASTERS)
                && (MASTERS..NODES).all(|i| c.nodes[i].conn.text("INFO replication").contains("master_link_status:up"))
                && (0..MASTERS).all(|i| c.nodes[i].conn.text("INFO replication").contains("state=online"))
        });
        cluster
    }

    /// How many replicas node `node` knows of.
    pub fn replicas_seen_by(&mut self, node: usize) -> usize {
        let nodes = self.nodes[node].conn.text("CLUSTER NODES");
        nodes.lines().filter(|l| l.split(' ').nth(2).is_some_and(|flags| flags.contains("slave"))).count()
    }

    pub fn info(&mut self, node: usize, field: &str) -> String {
        info_field(&self.nodes[node].conn.text("CLUSTER INFO"), field)
    }

    pub fn wait_until(&mut self, what: &str, mut ok: impl FnMut(&mut RealCluster) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ok(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// The node ids of the simulated twin `sim`, in the order of the real nodes (the ids differ).
    pub fn simulated_ids(&self, sim: &mut Simulation) -> Vec<String> {
        self.ports()
            .iter()
            .map(|p| sim.command(&p.to_string(), "CLUSTER MYID").unwrap().trim_matches('"').to_string())
            .collect()
    }

    /// The simulated twin: one host 127.0.0.1 with a node per real port, created the same way at 0.
    pub fn simulated(&self, seed: u64) -> Simulation {
        let extra: String = self.config.iter().map(|(n, v)| format!(r#","{n}":"{v}""#)).collect();
        let processes: Vec<String> = self
            .ports()
            .iter()
            .map(|p| {
                format!(
                    r#"{{"kind":"server","name":"{p}","port":{p},"config":{{"cluster-enabled":"yes","cluster-node-timeout":2000,"save":"","repl-diskless-sync-delay":0{extra}}}}}"#
                )
            })
            .collect();
        let names: Vec<String> = self.ports().iter().map(|p| format!("\"{p}\"")).collect();
        let json = format!(
            r#"{{"version":1,"network":{{"latency_ms":1,"jitter_ms":0}},"hosts":[{{"name":"local","ip":"127.0.0.1","processes":[{}]}}],"actions":[{{"at_ms":0,"do":"cluster_create","nodes":[{}],"replicas":1}}]}}"#,
            processes.join(","),
            names.join(",")
        );
        let mut sim = Simulation::from_json(&json, seed).expect("a valid scenario");
        sim.run_until(SimTime(5_000));
        sim
    }
}

pub fn info_field(text: &str, field: &str) -> String {
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string())).unwrap_or_default()
}

/// Node ids → `<node N>` (by position), so the real and simulated texts compare.
pub fn name_ids(text: &str, ids: &[String]) -> String {
    let mut text = text.to_string();
    for (i, id) in ids.iter().enumerate() {
        text = text.replace(id.as_str(), &format!("<node{}>", i + 1));
    }
    text
}

/// What depends on timing or on how the cluster was joined, masked: the ping/pong times of CLUSTER NODES
/// lines, message counts (MEET's left out), replication offsets. CLUSTER NODES lines are sorted
/// (Redis lists them in its hash table's order).
pub fn mask_timing(text: &str) -> String {
    let mut nodes_lines = Vec::new();
    let mut out = Vec::new();
    let mut after_offset = false;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if let Some(at) = fields.iter().position(|f| f.contains("@")) {
            // A CLUSTER NODES line (maybe quoted, after a number, in a CLUSTER REPLICAS reply).
            if fields.len() > at + 4 {
                let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
                f[at + 3] = "<ping>".into();
                f[at + 4] = "<pong>".into();
                let joined = f.join(" ");
                if at == 1 {
                    nodes_lines.push(joined);
                } else {
                    out.push(joined);
                }
                continue;
            }
        }
        if line.starts_with("cluster_stats_messages_") {
            // The real cluster was joined with MEET, the simulated one made by `cluster_create`.
            if !line.starts_with("cluster_stats_messages_meet_") {
                out.push(format!("{}:<n>", line.split(':').next().unwrap_or_default()));
            }
            continue;
        }
        if after_offset {
            let keep = line.rsplit_once(") ").map_or(line, |(head, _)| head);
            out.push(format!("{keep}) <offset>"));
            after_offset = false;
            continue;
        }
        after_offset = line.ends_with("\"replication-offset\"");
        out.push(line.to_string());
    }
    nodes_lines.sort();
    nodes_lines.extend(out);
    nodes_lines.join("\n")
}

/// CLUSTER SHARDS in the simulator's order (by first slot; Redis uses its hash table's order).
pub fn shards_by_first_slot(reply: Reply) -> Reply {
    let Reply::Array(mut shards) = reply else { return reply };
    let first = |s: &Reply| match s {
        Reply::Array(kv) => match kv.get(1) {
            Some(Reply::Array(slots)) => match slots.first() {
                Some(Reply::Int(n)) => *n,
                _ => i64::MAX,
            },
            _ => i64::MAX,
        },
        _ => i64::MAX,
    };
    shards.sort_by_key(first);
    Reply::Array(shards)
}

/// The line as redis-cli on a terminal prints the real reply.
pub fn printed(args: &[Vec<u8>], reply: &Reply) -> String {
    format_console_reply(args, reply)
}

/// What a test does to a real cluster and to its simulated twin alike: a command typed into node N (1-based,
/// `$idN` for node N's id), only the named fields of its CLUSTER INFO, a wait (real time and virtual time),
/// SIGSTOP / SIGCONT (pause / resume), and a restart (SIGKILL, then started again with its nodes.conf).
pub enum Step {
    Cmd(usize, &'static str),
    Info(usize, &'static [&'static str]),
    Wait(u64),
    Stop(usize),
    Cont(usize),
    Restart(usize),
}

impl RealCluster {
    /// Run `steps` on this cluster and on its simulated twin (seed 1), the commands of both printed as redis-cli
    /// prints them, node ids, ports and timings masked (an id neither cluster started with, such as a hard-reset
    /// node's, as `<new id>`); the commands whose texts differ, with both texts.
    pub fn differences_with_twin(&mut self, steps: &[Step]) -> Vec<String> {
        let mut sim = self.simulated(1);
        let ports = self.ports();
        let sim_ids = self.simulated_ids(&mut sim);
        let mask = |text: &str, ids: &[String]| {
            let text = name_ids(text, ids);
            let new_ids = text.split(|c: char| !c.is_ascii_hexdigit()).filter(|w| w.len() == 40).collect::<Vec<_>>();
            let text = new_ids.iter().fold(text.clone(), |t, id| t.replace(id, "<new id>"));
            let ports = ports.iter().enumerate();
            mask_timing(&ports.fold(text, |t, (i, p)| t.replace(&p.to_string(), &format!("<port{}>", i + 1))))
        };
        let with_ids = |line: &str, ids: &[String]| {
            (1..=NODES).rev().fold(line.to_string(), |l, n| l.replace(&format!("$id{n}"), &ids[n - 1]))
        };
        let mut differences = Vec::new();
        for step in steps {
            let (node, line, fields) = match step {
                Step::Cmd(node, line) => (*node, *line, None),
                Step::Info(node, fields) => (*node, "CLUSTER INFO", Some(*fields)),
                Step::Wait(ms) => {
                    std::thread::sleep(Duration::from_millis(*ms));
                    sim.run_for(*ms);
                    continue;
                }
                Step::Stop(n) | Step::Cont(n) | Step::Restart(n) => {
                    let process = ports[n - 1].to_string();
                    let action = match step {
                        Step::Stop(_) => {
                            self.nodes[n - 1].signal("-STOP");
                            redis_ha_sim::Action::Pause { process }
                        }
                        Step::Cont(_) => {
                            self.nodes[n - 1].signal("-CONT");
                            redis_ha_sim::Action::Resume { process }
                        }
                        _ => {
                            let config: Vec<(&str, &str)> =
                                self.config.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                            self.nodes[n - 1].restart(&config);
                            redis_ha_sim::Action::Restart { process }
                        }
                    };
                    sim.act(action).expect("a valid action");
                    continue;
                }
            };
            let args = split_args(&with_ids(line, &self.ids)).expect("a command line");
            let reply = self.nodes[node - 1].conn.command(&args);
            let mut real = mask(&printed(&args, &reply), &self.ids);
            let mut simulated =
                mask(&sim.command(&ports[node - 1].to_string(), &with_ids(line, &sim_ids)).unwrap(), &sim_ids);
            if let Some(fields) = fields {
                let pick = |text: &str| fields.iter().map(|f| format!("{f}:{}\n", info_field(text, f))).collect();
                (real, simulated) = (pick(&real), pick(&simulated));
            }
            // Let replication and the bus move on, as they do between two commands typed into the real cluster.
            sim.run_for(5);
            if real != simulated {
                differences.push(format!("node {node}: {line}\n    real redis:\n{real}\n    simulator:\n{simulated}"));
            }
        }
        differences
    }
}
