//! The simulated Sentinel against a real redis-sentinel 7 monitoring a real redis-server: the same commands
//! typed into both must print the same replies, once the addresses are written alike; the SENTINEL MASTER
//! reply must have the same fields in the same order, with the same values where they do not depend on timing.

use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::resp::{encode_command, Reply};
use redis_ha_sim::{SimTime, Simulation};
use redis_ha_sim_tests::real::{connect, free_port, read_reply, real_redis_wanted, Killed, TempDir};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `{ip}` and `{port}` stand for the monitored master's address (127.0.0.1 and a free port for the real one,
/// 10.0.0.1:6379 in the simulator).
const SCRIPT: &[&str] = &[
    "PING",
    "PING hello",
    "PING a b",
    "ROLE",
    "ROLE x",
    "GET foo",
    "SET foo bar",
    "CONFIG GET port",
    "FOO",
    "PUBLISH ch msg",
    "PUBLISH a",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "INFO nosuchsection",
    "INFO sentinel",
    "SENTINEL",
    "SENTINEL FOO",
    "SENTINEL HELP",
    "SENTINEL HELP x",
    "SENTINEL MASTERS x",
    "SENTINEL MASTER",
    "SENTINEL MASTER nosuch",
    "SENTINEL MASTER a b",
    "SENTINEL REPLICAS mymaster",
    "SENTINEL SLAVES nosuch",
    "SENTINEL SENTINELS mymaster",
    "SENTINEL SENTINELS nosuch",
    "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster",
    "SENTINEL GET-MASTER-ADDR-BY-NAME nosuch",
    "SENTINEL GET-MASTER-ADDR-BY-NAME",
    "SENTINEL CKQUORUM mymaster",
    "SENTINEL CKQUORUM nosuch",
    "SENTINEL MYID x",
    "SENTINEL IS-MASTER-DOWN-BY-ADDR {ip} {port} 0 *",
    "SENTINEL IS-MASTER-DOWN-BY-ADDR 1.2.3.4 1 0 *",
    "SENTINEL IS-MASTER-DOWN-BY-ADDR {ip} abc 0 *",
    "SENTINEL IS-MASTER-DOWN-BY-ADDR {ip} {port} x *",
    "SENTINEL IS-MASTER-DOWN-BY-ADDR {ip}",
    "SENTINEL CONFIG GET *",
    "SENTINEL CONFIG GET resolve-hostnames",
    "SENTINEL CONFIG GET nosuch",
    "SENTINEL CONFIG GET a b",
    "SENTINEL CONFIG SET resolve-hostnames maybe",
    "SENTINEL CONFIG SET announce-port 70000",
    "SENTINEL CONFIG SET foo 1",
    "SENTINEL CONFIG FOO bar",
    "SENTINEL CONFIG",
    "SENTINEL INFO-CACHE nosuch",
    "SENTINEL INFO-CACHE",
    "SENTINEL SIMULATE-FAILURE help",
    "SENTINEL SIMULATE-FAILURE foo",
    "SENTINEL SIMULATE-FAILURE",
    "SENTINEL PENDING-SCRIPTS",
    "SENTINEL FLUSHCONFIG",
    "SENTINEL DEBUG",
    "SENTINEL FAILOVER nosuch",
    "SENTINEL FAILOVER mymaster",
    "SENTINEL FAILOVER",
    "SENTINEL RESET",
    "SENTINEL RESET nosuch*",
    "SENTINEL REMOVE nosuch",
    "SENTINEL MONITOR mymaster {ip} 1 2",
    "SENTINEL MONITOR x {ip} abc 2",
    "SENTINEL MONITOR x {ip} 1 0",
    "SENTINEL MONITOR x {ip} 1 abc",
    "SENTINEL MONITOR x notanip 1 2",
    "SENTINEL MONITOR x {ip} 70000 2",
    "SENTINEL MONITOR x",
    "SENTINEL SET nosuch quorum 2",
    "SENTINEL SET mymaster foo 1",
    "SENTINEL SET mymaster quorum 0",
    "SENTINEL SET mymaster quorum",
    "SENTINEL SET mymaster quorum 2 down-after-milliseconds abc",
    "SENTINEL CKQUORUM mymaster",
    "SENTINEL SET mymaster quorum 1",
    "SENTINEL SET mymaster parallel-syncs 3 failover-timeout 9000",
    "SENTINEL SET mymaster failover-timeout -1",
    "SENTINEL SET mymaster Parallel-Syncs 2 down-after-milliseconds 5000",
    "SENTINEL SET mymaster parallel-syncs 0",
];

/// The SENTINEL MASTER fields whose values do not depend on timing.
const STABLE_FIELDS: &[&str] = &[
    "name",
    "flags",
    "link-pending-commands",
    "link-refcount",
    "down-after-milliseconds",
    "role-reported",
    "config-epoch",
    "num-slaves",
    "num-other-sentinels",
    "quorum",
    "failover-timeout",
    "parallel-syncs",
];

fn command(conn: &mut BufReader<TcpStream>, args: &[Vec<u8>]) -> Reply {
    conn.get_mut().write_all(&encode_command(args)).expect("write to redis-sentinel");
    read_reply(conn)
}

/// A real redis-server and a real redis-sentinel monitoring it (quorum 1, down-after-milliseconds 5000,
/// failover-timeout 60000), started in a fresh directory; the master's port; the connection to the sentinel.
fn real_sentinel() -> ((Vec<Killed>, TempDir), u16, BufReader<TcpStream>) {
    let dir = std::env::temp_dir().join(format!("redis-ha-sim-sentinel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let (master, sentinel) = (free_port(), free_port());
    let server = Command::new("redis-server")
        .args(["--port", &master.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed");
    let server = Killed(server);
    drop(connect(master));
    let conf = dir.join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "port {sentinel}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master} 1\n\
             sentinel down-after-milliseconds mymaster 5000\nsentinel failover-timeout mymaster 60000\n"
        ),
    )
    .expect("sentinel.conf written");
    // redis-sentinel is redis-server started in sentinel mode: the same binary, whichever packages are installed.
    let child = Command::new("redis-server")
        .arg(&conf)
        .arg("--sentinel")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed");
    let procs = vec![server, Killed(child)];
    let mut conn = connect(sentinel);
    // Wait for its first INFO from the master (the run id is known then).
    let deadline = Instant::now() + Duration::from_secs(10);
    while field(&command(&mut conn, &words("SENTINEL MASTER mymaster")), "runid").is_none_or(|r| r.is_empty()) {
        assert!(Instant::now() < deadline, "redis-sentinel never heard from its master");
        std::thread::sleep(Duration::from_millis(100));
    }
    ((procs, TempDir(dir)), master, conn)
}

fn words(line: &str) -> Vec<Vec<u8>> {
    split_args(line).expect("the line parses")
}

/// A SENTINEL MASTER reply as (field, value) pairs.
fn pairs(reply: &Reply) -> Vec<(String, String)> {
    let text = |r: &Reply| match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    };
    match reply {
        Reply::Array(items) => {
            items.chunks(2).map(|kv| (text(&kv[0]), kv.get(1).map(text).unwrap_or_default())).collect()
        }
        other => panic!("not a map: {other:?}"),
    }
}

fn field(reply: &Reply, name: &str) -> Option<String> {
    matches!(reply, Reply::Array(_)).then(|| pairs(reply).into_iter().find(|(k, _)| k == name).map(|(_, v)| v))?
}

fn simulated_sentinel() -> Simulation {
    let json = r#"{"version":1,"hosts":[{"name":"db","ip":"10.0.0.1","processes":[
        {"kind":"server","name":"redis","config":{"save":""}},
        {"kind":"sentinel","name":"sentinel","monitor":[{"name":"mymaster","host":"10.0.0.1","quorum":1,
          "down_after_ms":5000,"failover_timeout_ms":60000}]}]}]}"#;
    let mut sim = Simulation::from_json(json, 1).unwrap();
    sim.run_until(SimTime(3_000));
    sim
}

#[test]
fn sentinel_replies_match_a_real_redis_sentinel() {
    if !real_redis_wanted() {
        return;
    }
    let (_procs, master, mut real) = real_sentinel();
    let mut sim = simulated_sentinel();
    let mut mismatches = Vec::new();
    for line in SCRIPT {
        let real_line = line.replace("{ip}", "127.0.0.1").replace("{port}", &master.to_string());
        let args = words(&real_line);
        let expected = format_console_reply(&args, &command(&mut real, &args))
            .replace(&format!("127.0.0.1:{master}"), "10.0.0.1:6379")
            .replace(&format!("\"{master}\""), "\"6379\"")
            .replace("127.0.0.1", "10.0.0.1");
        let got = sim.command("sentinel", &line.replace("{ip}", "10.0.0.1").replace("{port}", "6379")).unwrap();
        if got != expected {
            mismatches.push(format!("{line}\n    real redis-sentinel: {expected:?}\n    simulator:           {got:?}"));
        }
    }
    // SENTINEL MASTER: the same fields in the same order, the same values where timing does not matter.
    let real_master = pairs(&command(&mut real, &words("SENTINEL MASTER mymaster")));
    let sim_master = sim.command("sentinel", "SENTINEL MASTER mymaster").unwrap();
    let sim_fields: Vec<&str> = sim_master.lines().step_by(2).map(|l| l.split('"').nth(1).unwrap_or("")).collect();
    let real_fields: Vec<&str> = real_master.iter().map(|(k, _)| k.as_str()).collect();
    if sim_fields != real_fields {
        mismatches.push(format!("SENTINEL MASTER fields\n    real: {real_fields:?}\n    sim:  {sim_fields:?}"));
    }
    for (name, value) in real_master.iter().filter(|(k, _)| STABLE_FIELDS.contains(&k.as_str())) {
        let shown = format!("\"{name}\"\n");
        let sim_value = sim_master.split(&shown).nth(1).and_then(|rest| rest.lines().next()).unwrap_or("");
        let sim_value = sim_value.split('"').nth(1).unwrap_or("");
        if sim_value != value {
            mismatches.push(format!("SENTINEL MASTER {name}: real {value:?}, simulator {sim_value:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{} differences:\n{}", mismatches.len(), mismatches.join("\n"));
}
