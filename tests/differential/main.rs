//! The simulator against a real redis-server 7: the same commands, typed into both, must print the same
//! replies (formatted as redis-cli does). `make test` installs redis-server; to run without it, set
//! REDIS_HA_SIM_SKIP_REAL_REDIS=1 (the test then says it was skipped).

mod sentinel;

use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::resp::{encode_command, Reply};
use redis_ha_sim::Simulation;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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
];

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

struct RealRedis {
    child: Child,
    port: u16,
    conn: BufReader<TcpStream>,
}

impl Drop for RealRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RealRedis {
    fn start() -> Option<RealRedis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
                return Some(RealRedis { child, port, conn: BufReader::new(s) });
            }
            assert!(Instant::now() < deadline, "redis-server did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn command(&mut self, args: &[Vec<u8>]) -> Reply {
        self.conn.get_mut().write_all(&encode_command(args)).expect("write to redis-server");
        read_reply(&mut self.conn)
    }
}

fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("read from redis-server");
    line.trim_end_matches("\r\n").to_string()
}

fn read_reply(r: &mut BufReader<TcpStream>) -> Reply {
    let line = read_line(r);
    let (tag, rest) = line.split_at(1);
    match tag {
        "+" => Reply::Status(rest.into()),
        "-" => Reply::Error(rest.into()),
        ":" => Reply::Int(rest.parse().expect("integer reply")),
        "$" if rest == "-1" => Reply::Nil,
        "$" => {
            let len: usize = rest.parse().expect("bulk length");
            let mut buf = vec![0; len + 2];
            r.read_exact(&mut buf).expect("bulk body");
            buf.truncate(len);
            Reply::Bulk(buf)
        }
        "*" if rest == "-1" => Reply::NilArray,
        "*" => Reply::Array((0..rest.parse::<usize>().expect("array length")).map(|_| read_reply(r)).collect()),
        other => panic!("unexpected RESP type {other:?} in {line:?}"),
    }
}

/// A real redis-server and a simulated one with the same configuration (no save points), or none when
/// REDIS_HA_SIM_SKIP_REAL_REDIS is set.
fn real_and_simulated() -> Option<(RealRedis, Simulation)> {
    if std::env::var_os("REDIS_HA_SIM_SKIP_REAL_REDIS").is_some() {
        eprintln!("skipped: REDIS_HA_SIM_SKIP_REAL_REDIS is set");
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
