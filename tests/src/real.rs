//! What the tests against real Redis share: whether to run them, a port for a real server, connecting to it
//! and reading its replies off the socket, and the processes and directories they clean up after.

use redis_ha_sim::resp::Reply;
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

/// Whether to run against real Redis: not with REDIS_HA_SIM_SKIP_REAL_REDIS set (it says so).
pub fn real_redis_wanted() -> bool {
    if std::env::var_os("REDIS_HA_SIM_SKIP_REAL_REDIS").is_some() {
        eprintln!("skipped: REDIS_HA_SIM_SKIP_REAL_REDIS is set");
        return false;
    }
    true
}

/// A loopback port nobody listens on, and its cluster bus port (+10000) free too: both below Linux's
/// ephemeral range (32768 and up), where a port the kernel handed out for one test could be the local port
/// of another's outgoing connection by the time its server binds it. Tests run side by side in threads, so
/// each call starts past the last one, from a base of this process's own.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 10_000 + (std::process::id() % 200) as u16 * 40;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::SeqCst) % 2_000;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// A real process, killed on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A directory removed on drop (declare it before the processes using it, so that it is dropped after them).
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A connection to a real server on loopback, once it listens (within 10 s); replies within 5 s.
pub fn connect(port: u16) -> BufReader<TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(5))).expect("a read timeout");
            return BufReader::new(s);
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One RESP reply read from a real server.
pub fn read_reply(r: &mut BufReader<TcpStream>) -> Reply {
    let mut line = String::new();
    r.read_line(&mut line).expect("read from redis-server");
    let line = line.trim_end_matches("\r\n");
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
