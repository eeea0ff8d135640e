//! The simulator against a real redis-server 7: the same commands, typed into both, must print the same
//! replies (formatted as redis-cli does). `make test` installs redis-server; to run without it, set
//! REDIS_HA_SIM_SKIP_REAL_REDIS=1 (the test then says it was skipped).

mod restarts;
mod seconds;
mod sentinel;
mod sentinel_failover;
mod surface;

use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::resp::{encode_command, Reply};
use redis_ha_sim::Simulation;
use redis_ha_sim_tests::real::{free_port, read_reply, real_redis_wanted};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Commands whose replies do not depend on timing, process ids or the host.
const SCRIPT: &[&str] = &[
    "PING",
    "PING hello",
    "ECHO \"a b\"",
    "FOO bar baz",
    "GET",
    "get a b",
    "SET foo bar",
    "GET foo",
    "GET nokey",
    "SET foo bar NX",
    "SET foo baz XX",
    "SET foo qux XX GET",
    "SET foo 1 NX GET",
    "SET new v GET",
    "SET a b NX XX",
    "SET a b KEEPTTL EX 5",
    "SET a b EX",
    "SET a b EX abc",
    "SET a b EX 0",
    "SET a b EX -1",
    "SET e v EX 9999999999999999",
    "SET a b PX 100000",
    "PTTL nokey",
    "TTL a",
    "SET a b EX 100",
    "TTL a",
    "PERSIST a",
    "PERSIST a",
    "TTL a",
    "EXPIRE a 100 XX",
    "EXPIRE a 100 NX",
    "EXPIRE a 50 GT",
    "EXPIRE a 50 LT",
    "EXPIRE a 100 NX GT",
    "EXPIRE a 100 GT LT",
    "EXPIRE a 100 FOO",
    "EXPIRE a abc",
    "EXPIRE a 9223372036854775807",
    "EXPIRE nokey 10",
    "EXPIRE a -5",
    "EXISTS a",
    "INCR n",
    "INCRBY n 10",
    "DECR n",
    "DECRBY n 20",
    "GET n",
    "INCRBY n abc",
    "INCRBY n 01",
    "INCRBY n +1",
    "INCR foo",
    "SET big 9223372036854775807",
    "INCR big",
    "DECRBY n -9223372036854775808",
    "DECRBY big -1",
    "APPEND foo xyz",
    "STRLEN foo",
    "STRLEN nokey",
    "APPEND fresh abc",
    "MSET a",
    "MSET a 1 b",
    "MSET x 1 y 2 z 3",
    "MGET x nokey y",
    "SETNX x 9",
    "SETNX w 9",
    "GETSET x 10",
    "GETDEL x",
    "GETDEL x",
    "EXISTS y y nokey",
    "TYPE y",
    "TYPE nokey",
    "DEL y nokey z",
    "KEYS w*",
    "KEYS nomatch*",
    "KEYS [wx]",
    "DBSIZE",
    "UNLINK w",
    "SELECT 0",
    "SELECT 16",
    "SELECT x",
    "CONFIG GET hz",
    "CONFIG SET hz 1000",
    "CONFIG GET hz",
    "CONFIG SET hz 0",
    "CONFIG GET hz",
    "CONFIG SET hz abc",
    "CONFIG SET hz -1",
    "CONFIG SET hz 5 hz 6",
    "CONFIG SET foo bar",
    "CONFIG GET",
    "CONFIG FOO",
    "CONFIG",
    "CONFIG SET hz",
    "CONFIG GET nosuchoption",
    "ROLE",
    "FLUSHALL FOO",
    "FLUSHALL ASYNC",
    "DBSIZE",
    "SET k v EXAT 1",
    "EXISTS k",
    "SET k v PXAT 1",
    "GET k",
    "SET \"sp ace\" \"new\\nline\"",
    "GET \"sp ace\"",
    "ECHO \"\\x00\\xff\"",
    "INFO nosuchsection",
    // configuration of replication and persistence
    "CONFIG GET repl-backlog-size",
    "CONFIG SET repl-backlog-size 1kb",
    "CONFIG GET repl-backlog-size",
    "CONFIG SET repl-backlog-size 2x",
    "CONFIG SET min-replicas-to-write -1",
    "CONFIG SET replica-priority -3",
    "CONFIG GET replica-priority",
    "CONFIG GET slave-priority",
    "CONFIG SET appendfsync sometimes",
    "CONFIG GET appendfsync",
    "CONFIG SET save 'abc'",
    "CONFIG SET save '900'",
    "CONFIG SET save '900 1 300 10'",
    "CONFIG GET save",
    "CONFIG SET appendonly maybe",
    "CONFIG GET appendonly",
    "CONFIG GET repl-diskless-sync-delay",
    "CONFIG GET min-replicas-max-lag",
    "CONFIG GET aof-load-truncated",
    "CONFIG GET auto-aof-rewrite-min-size",
    "CONFIG SET repl-timeout 0",
    // replication commands on a master without replicas
    "ROLE",
    "WAIT 0 0",
    "WAIT 1 abc",
    "WAIT 1 -1",
    "WAIT x 1",
    "REPLICAOF host abc",
    "REPLICAOF host 70000",
    "REPLCONF foo bar",
    "REPLCONF a",
    "BGSAVE x",
    "BGREWRITEAOF x",
    // parameters the simulator does not model: the defaults it behaves as, and Redis's own refusals
    "CONFIG GET maxmemory",
    "CONFIG GET maxmemory-policy",
    "CONFIG GET timeout",
    "CONFIG GET requirepass",
    "CONFIG SET tcp-backlog 1",
    "CONFIG SET dbfilename other.rdb",
    // every error reply above, counted by its first word
    "INFO errorstats",
    "INFO cluster",
];

struct RealRedis {
    child: Child,
    port: u16,
    conn: BufReader<TcpStream>,
    /// A directory of its own (dump.rdb, appendonlydir), removed with it.
    own_dir: Option<std::path::PathBuf>,
    /// Where it writes and the options it was started with, to start it again (`restart`).
    dir: std::path::PathBuf,
    extra: Vec<String>,
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.own_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl RealRedis {
    fn start() -> Option<RealRedis> {
        RealRedis::start_in_own_dir(&[])
    }

    /// A redis-server with no save points and no AOF in an empty directory of its own (no dump.rdb left by
    /// another run to load), with `extra` options on top.
    fn start_in_own_dir(extra: &[&str]) -> Option<RealRedis> {
        let dir =
            std::env::temp_dir().join(format!("redis-ha-sim-differential-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).ok()?;
        let mut real = RealRedis::start_with(&dir, extra)?;
        real.own_dir = Some(dir);
        Some(real)
    }

    /// A redis-server with no save points and no AOF, writing into `dir`, with `extra` options on top.
    fn start_with(dir: &std::path::Path, extra: &[&str]) -> Option<RealRedis> {
        let extra: Vec<String> = extra.iter().map(|e| e.to_string()).collect();
        let (child, conn) = RealRedis::spawn(free_port(), dir, &extra)?;
        Some(RealRedis { child, port: conn.1, conn: conn.0, own_dir: None, dir: dir.to_path_buf(), extra })
    }

    fn spawn(port: u16, dir: &std::path::Path, extra: &[String]) -> Option<(Child, (BufReader<TcpStream>, u16))> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
                return Some((child, (BufReader::new(s), port)));
            }
            assert!(Instant::now() < deadline, "redis-server did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill it (SIGKILL, as the simulator's crash).
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start it again on the same port, directory and options (after `kill`).
    fn start_again(&mut self) {
        let (child, (conn, _)) = RealRedis::spawn(self.port, &self.dir, &self.extra).expect("redis-server restarts");
        self.child = child;
        self.conn = conn;
    }

    fn command(&mut self, args: &[Vec<u8>]) -> Reply {
        if let Err(e) = self.conn.get_mut().write_all(&encode_command(args)) {
            self.connect_again(&e);
            self.conn.get_mut().write_all(&encode_command(args)).expect("write to redis-server");
        }
        read_reply(&mut self.conn)
    }

    /// Twice, in full runs on a loaded machine (never when this test binary ran alone), a server still running
    /// had reset our connection by the time we wrote to it; the cause is not known. Connect again, as redis-cli
    /// would, and say so on stderr. A server that exited is a failure.
    fn connect_again(&mut self, e: &std::io::Error) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("redis-server on port {} exited ({status}): {e}", self.port);
        }
        eprintln!("redis-server on port {}: {e}; connecting again", self.port);
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis-server again");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("a read timeout");
        self.conn = BufReader::new(s);
    }
}

/// A real redis-server and a simulated one with the same configuration (no save points), or none when
/// REDIS_HA_SIM_SKIP_REAL_REDIS is set.
fn real_and_simulated() -> Option<(RealRedis, Simulation)> {
    if !real_redis_wanted() {
        return None;
    }
    let real = RealRedis::start()
        .expect("redis-server must be installed (make test installs it; apt-get install redis-server)");
    let sim = Simulation::from_json(
        r#"{"version":1,"hosts":[{"name":"db","processes":[{"kind":"server","name":"redis","config":{"save":""}}]}]}"#,
        1,
    )
    .unwrap();
    Some((real, sim))
}

#[test]
fn replies_match_a_real_redis_server() {
    let Some((mut real, mut sim)) = real_and_simulated() else { return };
    let mut mismatches = Vec::new();
    for line in SCRIPT {
        let args = split_args(line).expect("the script parses");
        let expected = format_console_reply(&args, &real.command(&args));
        let got = sim.command("redis", line).unwrap();
        if got != expected {
            mismatches.push(format!("{line}\n    real redis: {expected:?}\n    simulator:  {got:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} commands differ:\n{}",
        mismatches.len(),
        SCRIPT.len(),
        mismatches.join("\n")
    );
}

/// Commands whose console output shows each of redis-cli's ways of printing a reply: status, bulk (quoted and
/// escaped), nil, integer, nested and empty arrays, errors, and the raw texts of INFO and CLUSTER INFO|NODES.
const CONSOLE_SCRIPT: &[&[&str]] = &[
    &["SET", "foo", "bar"],
    &["GET", "foo"],
    &["GET", "nokey"],
    &["ECHO", "a\"b\nc"],
    &["MGET", "foo", "nokey"],
    &["EXISTS", "foo"],
    &["KEYS", "nomatch*"],
    &["CONFIG", "GET", "hz"],
    &["ROLE"],
    &["INFO", "keyspace"],
    &["INFO", "nosuchsection"],
    &["CLUSTER", "INFO"],
    &["CLUSTER", "NODES"],
    &["CLUSTER", "SLOTS"],
    &["FOO", "bar"],
];

/// What the real redis-cli prints on a terminal (a pseudo-terminal made by `script`): its TTY formatting
/// differs from what it prints into a pipe.
fn real_redis_cli_on_a_terminal(port: u16, args: &[&str]) -> Option<String> {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    let line = format!("redis-cli -p {port} {}", quoted.join(" "));
    let out = Command::new("script").args(["-qec", &line, "/dev/null"]).stdin(Stdio::null()).output().ok()?;
    // The terminal turns each newline into CRLF, and INFO's own CRLFs into CR CR LF: keep the lines.
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    Some(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

#[test]
fn the_console_prints_replies_as_a_real_redis_cli_does_on_a_terminal() {
    let Some((real, mut sim)) = real_and_simulated() else { return };
    let mut mismatches = Vec::new();
    for args in CONSOLE_SCRIPT {
        let expected = real_redis_cli_on_a_terminal(real.port, args)
            .expect("redis-cli and script must be installed (make test installs redis-server, which brings redis-cli)");
        // The console takes a typed line: quote each argument as redis-cli's own splitting reads it back.
        let line: Vec<String> = args.iter().map(|a| redis_ha_sim::cli::repr(a.as_bytes())).collect();
        let got = sim.command("redis", &line.join(" ")).unwrap();
        if got != expected {
            mismatches.push(format!("{args:?}\n    real redis-cli: {expected:?}\n    simulator:      {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{} commands print differently:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// `text` with every whole number equal to `from` (not a part of a longer number) written `to`.
fn replace_number(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        let whole = !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit());
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// What differs between two runs by nature: replication ids and run ids (40 hex characters), and the
/// `fields` counted in wall-clock seconds or bytes of a real file — written `<n>`, except -1 ("never"), which
/// must match.
fn normalise(text: &str, fields: &[&str]) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let mut line = line.to_string();
        if let Some((name, value)) = line.split_once(':') {
            if fields.contains(&name) && value.trim_end() != "-1" {
                line = format!("{name}:<n>{}", if value.ends_with('\r') { "\r" } else { "" });
            }
        }
        // slaveN:ip=..,port=..,state=online,offset=50,lag=0
        if let Some(at) = line.find(",lag=") {
            let end = line[at + 5..].find(|c: char| !c.is_ascii_digit()).map_or(line.len(), |e| at + 5 + e);
            line.replace_range(at + 5..end, "<n>");
        }
        lines.push(line);
    }
    let mut text = lines.join("\n");
    let hex = |c: char| c.is_ascii_hexdigit() && !c.is_ascii_uppercase();
    let mut i = 0;
    while i + 40 <= text.len() {
        let id = &text[i..i + 40];
        let bounded = !text[..i].ends_with(hex) && !text[i + 40..].starts_with(hex);
        if id.chars().all(hex) && bounded && id != "0000000000000000000000000000000000000000" {
            text.replace_range(i..i + 40, "<id>");
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    text
}

/// Seconds counted by the wall clock in INFO replication, and sizes and times of real files in INFO
/// persistence.
const CLOCK_FIELDS: &[&str] = &[
    "master_last_io_seconds_ago",
    "master_link_down_since_seconds",
    "rdb_last_save_time",
    "rdb_last_cow_size",
    "aof_last_cow_size",
    "aof_current_size",
    "aof_base_size",
    "current_cow_peak",
    "current_cow_size",
];

/// Poll a real server until `done` holds for the text `line` prints (the real replicas ACK once a second).
fn wait_for(real: &mut RealRedis, line: &str, done: impl Fn(&str) -> bool) -> String {
    let args = split_args(line).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = format_console_reply(&args, &real.command(&args));
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "gave up waiting on {line}: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A real master and replica on loopback against simulated ones (master 10.0.0.1:6379, replica
/// 10.0.0.2:6380): ROLE, INFO replication, writes and WAIT on each side, REPLICAOF to the same master, to a
/// master that is not there, and NO ONE. Ids, wall-clock seconds and addresses are normalised; offsets are
/// compared as they are (the master's PING every repl-ping-replica-period is kept out of the run).
#[test]
fn replication_replies_match_a_real_master_and_replica() {
    if !real_redis_wanted() {
        return;
    }
    let options = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "60"];
    let mut master = RealRedis::start_in_own_dir(&options).expect("redis-server must be installed");
    let mut replica = RealRedis::start_in_own_dir(&options).expect("redis-server must be installed");
    let nowhere = free_port();
    let config = r#"{"save":"","repl-diskless-sync-delay":0,"repl-ping-replica-period":60}"#;
    let mut sim = Simulation::from_json(
        &format!(
            r#"{{"version":1,"hosts":[
            {{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{config}}}]}},
            {{"name":"db2","ip":"10.0.0.2","processes":[{{"kind":"server","name":"replica","port":6380,"config":{config}}}]}}]}}"#
        ),
        1,
    )
    .unwrap();
    let (mport, rport) = (master.port.to_string(), replica.port.to_string());
    let real_addresses = |text: &str| {
        let text = replace_number(&text.replace("127.0.0.1", "IP"), &mport, "MPORT");
        replace_number(&replace_number(&text, &rport, "RPORT"), &nowhere.to_string(), "NPORT")
    };
    let sim_addresses = |text: &str| {
        let text = text.replace("10.0.0.1", "IP").replace("10.0.0.2", "IP");
        replace_number(&replace_number(&replace_number(&text, "6379", "MPORT"), "6380", "RPORT"), "6999", "NPORT")
    };
    let mut mismatches = Vec::new();
    let mut compare = |sim: &mut Simulation, real: &mut RealRedis, process: &str, line: &str| {
        let real_line = line
            .replace("{master}", &format!("127.0.0.1 {mport}"))
            .replace("{nowhere}", &format!("127.0.0.1 {nowhere}"));
        let sim_line = line.replace("{master}", "10.0.0.1 6379").replace("{nowhere}", "10.0.0.1 6999");
        let args = split_args(&real_line).unwrap();
        let expected = normalise(&real_addresses(&format_console_reply(&args, &real.command(&args))), CLOCK_FIELDS);
        let got = normalise(&sim_addresses(&sim.command(process, &sim_line).unwrap()), CLOCK_FIELDS);
        if got != expected {
            mismatches.push(format!("{process}> {line}\n    real redis: {expected:?}\n    simulator:  {got:?}"));
        }
    };

    compare(&mut sim, &mut replica, "replica", "REPLICAOF {master}");
    wait_for(&mut replica, "INFO replication", |t| t.contains("master_link_status:up"));
    sim.run_for(1500);
    compare(&mut sim, &mut master, "master", "SET a 1");
    wait_for(&mut master, "INFO replication", |t| t.contains("state=online,offset=50,"));
    sim.run_for(1500);
    for (process, line) in [
        ("master", "INFO replication"),
        ("master", "ROLE"),
        ("master", "WAIT 1 0"),
        ("replica", "INFO replication"),
        ("replica", "ROLE"),
        ("replica", "GET a"),
        ("replica", "SET x 1"),
        ("replica", "WAIT 1 0"),
        ("replica", "REPLICAOF {master}"),
        ("replica", "CONFIG GET replicaof"),
        ("master", "CONFIG GET slaveof"),
        ("replica", "REPLICAOF no one x"),
        ("replica", "REPLICAOF no two"),
        // A master that is not there: the link is down since the old one was dropped, not "never" (-1).
        ("replica", "REPLICAOF {nowhere}"),
        ("replica", "INFO replication"),
        ("replica", "SET x 1"),
        ("replica", "CONFIG SET replica-serve-stale-data no"),
        ("replica", "GET a"),
        ("replica", "PING"),
        ("replica", "ECHO a"),
        ("replica", "CONFIG SET replica-serve-stale-data yes"),
        ("replica", "REPLICAOF NO ONE"),
        ("replica", "INFO replication"),
        ("replica", "ROLE"),
        ("master", "CONFIG SET min-replicas-to-write 1"),
        ("master", "SET b 2"),
        ("master", "INFO replication"),
        ("master", "CONFIG SET min-replicas-to-write 0"),
    ] {
        let real = if process == "master" { &mut master } else { &mut replica };
        compare(&mut sim, real, process, line);
        if line.starts_with("REPLICAOF {nowhere}") {
            // The real master sees the connection close at once; the simulated one a network latency later.
            sim.run_for(10);
        }
    }
    assert!(mismatches.is_empty(), "{} replies differ:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// The files under `dir`, as `sub/name` paths, sorted.
fn files_under(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a readable directory").flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
    out.sort();
}

/// INFO persistence, SAVE / BGSAVE / BGSAVE SCHEDULE / BGREWRITEAOF while another child runs, CONFIG SET
/// appendonly yes on a running server, SHUTDOWN's argument errors, and the Redis 7 multi-part AOF files
/// and manifest they leave: a real redis-server against a simulated one.
#[test]
fn persistence_replies_and_files_match_a_real_redis_server() {
    if !real_redis_wanted() {
        return;
    }
    let mut real = RealRedis::start_in_own_dir(&[]).expect("redis-server must be installed");
    let mut sim = Simulation::from_json(
        r#"{"version":1,"hosts":[{"name":"db","processes":[{"kind":"server","name":"redis","config":{"save":""}}]}]}"#,
        1,
    )
    .unwrap();
    // Sizes of real files, what a child reports of its progress while it runs, durations in wall-clock
    // seconds (a child can straddle a second), and whether the background fsync thread is busy right now.
    let timing = [
        "current_save_keys_processed",
        "current_save_keys_total",
        "rdb_last_bgsave_time_sec",
        "rdb_current_bgsave_time_sec",
        "aof_last_rewrite_time_sec",
        "aof_current_rewrite_time_sec",
        "aof_pending_bio_fsync",
    ];
    let fields: Vec<&str> = CLOCK_FIELDS.iter().copied().chain(timing).collect();
    let mut mismatches = Vec::new();
    let mut compare = |sim: &mut Simulation, real: &mut RealRedis, line: &str| {
        let args = split_args(line).unwrap();
        let expected = normalise(&format_console_reply(&args, &real.command(&args)), &fields);
        let got = normalise(&sim.command("redis", line).unwrap(), &fields);
        if got != expected {
            mismatches.push(format!("{line}\n    real redis: {expected:?}\n    simulator:  {got:?}"));
        }
    };
    let idle = |t: &str| t.contains("aof_rewrite_in_progress:0") && t.contains("rdb_bgsave_in_progress:0");
    for line in [
        "INFO persistence",
        "SET a 1",
        "LASTSAVE x",
        "SAVE x",
        "BGREWRITEAOF x",
        "BGSAVE SCHEDULE x",
        "SHUTDOWN FOO",
        "SHUTDOWN SAVE NOSAVE",
        "SHUTDOWN NOW ABORT",
        "SHUTDOWN ABORT",
        // Turning the AOF on forks its first rewrite; the children then wait for each other.
        "CONFIG SET appendonly yes",
        "BGREWRITEAOF",
        "BGSAVE",
        "BGSAVE SCHEDULE",
        "SAVE",
        "INFO persistence",
    ] {
        compare(&mut sim, &mut real, line);
    }
    // The scheduled BGSAVE runs once the rewrite is done.
    wait_for(&mut real, "INFO persistence", |t| idle(t) && t.contains("rdb_saves:2"));
    sim.run_for(2000);
    for line in
        ["INFO persistence", "SET b 2", "BGSAVE", "BGREWRITEAOF", "BGSAVE", "SAVE", "BGREWRITEAOF", "INFO persistence"]
    {
        compare(&mut sim, &mut real, line);
    }
    wait_for(&mut real, "INFO persistence", |t| idle(t) && t.contains("aof_rewrites:2"));
    sim.run_for(2000);
    compare(&mut sim, &mut real, "INFO persistence");
    let dir = real.own_dir.clone().unwrap();
    let mut real_files = Vec::new();
    files_under(&dir, "", &mut real_files);
    let manifest = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    compare(&mut sim, &mut real, "CONFIG SET appendonly no");
    compare(&mut sim, &mut real, "INFO persistence");
    assert!(mismatches.is_empty(), "{} replies differ:\n{}", mismatches.len(), mismatches.join("\n"));

    let disk = &sim.world().hosts()[0].disk;
    let sim_files: Vec<String> = disk.files().map(|(p, _)| p.clone()).collect();
    assert_eq!(sim_files, real_files);
    match disk.get("appendonlydir/appendonly.aof.manifest").map(|f| &f.content) {
        Some(redis_ha_sim::disk::Content::Manifest(m)) => assert_eq!(m.text(), manifest),
        other => panic!("no manifest in the simulator: {other:?}"),
    }
}
