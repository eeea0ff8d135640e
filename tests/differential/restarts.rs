//! Restarts against a real redis-server 7.0: a replica restarted from its RDB continuing from the master's
//! backlog (which Redis 7.0 keeps in whole blocks, more than repl-backlog-size), the replica list's order, a
//! master restarted after keys expired, and the writes an AOF replay counts.

use super::{normalise, replace_number, wait_for, RealRedis, CLOCK_FIELDS};
use redis_ha_sim::action::Action;
use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::trace::TraceEvent;
use redis_ha_sim::Simulation;
use redis_ha_sim_tests::real::real_redis_wanted;

/// Replication options that keep the wall clock out of the comparison: no PINGs in the stream, no delay
/// before a full sync.
const OPTIONS: &[&str] = &["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "60"];
const CONFIG: &str = r#""save":"","repl-diskless-sync-delay":0,"repl-ping-replica-period":60"#;

/// A real master and `replicas` real replicas of it, and the same in the simulator: `master` on 10.0.0.1:6379,
/// `replica-N` on 10.0.0.(N+1):(6379+N), each with `extra` options (`config` in the simulator).
struct Setup {
    sim: Simulation,
    real: Vec<RealRedis>,
    names: Vec<String>,
    mismatches: Vec<String>,
}

impl Setup {
    fn new(replicas: usize, extra: &[&str], config: &str) -> Option<Setup> {
        if !real_redis_wanted() {
            return None;
        }
        let options: Vec<&str> = OPTIONS.iter().chain(extra).copied().collect();
        let master = RealRedis::start_in_own_dir(&options).expect("redis-server must be installed");
        let mport = master.port.to_string();
        let mut real = vec![master];
        let mut hosts = vec![format!(
            r#"{{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{{{CONFIG}{config}}}}}]}}"#
        )];
        let mut names = vec!["master".to_string()];
        for n in 1..=replicas {
            let options: Vec<&str> = options.iter().copied().chain(["--replicaof", "127.0.0.1", &mport]).collect();
            real.push(RealRedis::start_in_own_dir(&options).expect("redis-server must be installed"));
            hosts.push(format!(
                r#"{{"name":"db{}","ip":"10.0.0.{}","processes":[{{"kind":"server","name":"replica-{n}","port":{},"config":{{{CONFIG}{config},"replicaof":"10.0.0.1 6379"}}}}]}}"#,
                n + 1,
                n + 1,
                6379 + n
            ));
            names.push(format!("replica-{n}"));
        }
        let sim = Simulation::from_json(&format!(r#"{{"version":1,"hosts":[{}]}}"#, hosts.join(",")), 1).unwrap();
        let mut setup = Setup { sim, real, names, mismatches: Vec::new() };
        for n in 1..=replicas {
            setup.until_link_up(n);
        }
        // The master puts a replica online when its snapshot has gone (the real one when the child streaming it
        // exits): wait for that too.
        wait_for(&mut setup.real[0], "INFO replication", |t| !t.contains("wait_bgsave"));
        setup.sim.run_for(10);
        Some(setup)
    }

    /// Addresses written alike: IP, and MPORT, R1PORT... for the ports.
    fn addresses(&self, text: &str, simulated: bool) -> String {
        let mut text = text.to_string();
        for (i, r) in self.real.iter().enumerate() {
            let name = if i == 0 { "MPORT".to_string() } else { format!("R{i}PORT") };
            let port = if simulated { (6379 + i).to_string() } else { r.port.to_string() };
            text = replace_number(&text, &port, &name);
        }
        if simulated {
            (1..=self.real.len()).fold(text, |t, i| t.replace(&format!("10.0.0.{i}"), "IP"))
        } else {
            text.replace("127.0.0.1", "IP")
        }
    }

    /// Type `line` into server `i` of both, and note a difference; `fields` keeps only those lines.
    fn compare_fields(&mut self, i: usize, line: &str, fields: &[&str]) {
        let args = split_args(line).unwrap();
        let real = format_console_reply(&args, &self.real[i].command(&args));
        let sim = self.sim.command(&self.names[i], line).unwrap();
        let keep = |text: &str| -> String {
            if fields.is_empty() {
                return text.to_string();
            }
            text.lines()
                .filter(|l| fields.iter().any(|f| l.starts_with(&format!("{f}:"))))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let real = normalise(&self.addresses(&keep(&real), false), CLOCK_FIELDS);
        let sim = normalise(&self.addresses(&keep(&sim), true), CLOCK_FIELDS);
        if real != sim {
            self.mismatches
                .push(format!("{}> {line}\n    real redis: {real:?}\n    simulator:  {sim:?}", self.names[i]));
        }
    }

    fn compare(&mut self, i: usize, line: &str) {
        self.compare_fields(i, line, &[]);
    }

    /// A WAIT: the real server answers when it returns; the simulated one's console prints a note, then the
    /// reply as a record of its own when the WAIT returns.
    fn compare_wait(&mut self, line: &str) {
        let args = split_args(line).unwrap();
        let real = format_console_reply(&args, &self.real[0].command(&args));
        let note = self.sim.command("master", line).unwrap();
        let from = self.sim.trace().len();
        let mut sim = note.clone();
        for _ in 0..1000 {
            let returned = self.sim.trace()[from..].iter().find_map(|r| match &r.event {
                TraceEvent::Console { line, reply, .. } if line.starts_with("(WAIT") => Some(reply.clone()),
                _ => None,
            });
            if let Some(reply) = returned {
                sim = reply;
                break;
            }
            self.sim.run_for(1);
        }
        if real != sim {
            self.mismatches.push(format!("master> {line}\n    real redis: {real:?}\n    simulator:  {sim:?}"));
        }
    }

    /// Wait until replica `i` has its link up, on the real server and in the simulation (stopping there, before
    /// its first ACK).
    fn until_link_up(&mut self, i: usize) {
        wait_for(&mut self.real[i], "INFO replication", |t| t.contains("master_link_status:up"));
        for _ in 0..20_000 {
            if self.sim.command(&self.names[i], "INFO replication").unwrap().contains("master_link_status:up") {
                return;
            }
            self.sim.run_for(1);
        }
        panic!("{}'s link never came up in the simulation", self.names[i]);
    }

    fn crash(&mut self, i: usize) {
        self.real[i].kill();
        self.sim.act(Action::Crash { process: self.names[i].clone() }).unwrap();
    }

    fn start(&mut self, i: usize) {
        self.real[i].start_again();
        self.sim.act(Action::Restart { process: self.names[i].clone() }).unwrap();
    }

    fn finish(self) {
        assert!(
            self.mismatches.is_empty(),
            "{} replies differ:\n{}",
            self.mismatches.len(),
            self.mismatches.join("\n")
        );
    }
}

fn value() -> String {
    "x".repeat(1000)
}

/// A replica restarted from its RDB after 30 KB of writes, with repl-backlog-size 16kb: Redis 7.0 still holds
/// them (its backlog frees whole blocks of 20440 bytes, and only while 16 KB stay), so the replica continues
/// (+CONTINUE, the master showing it at offset 0 until its first ACK); 30 KB more and the first block goes.
/// WAIT's REPLCONF GETACK is acknowledged with the offset before it.
#[test]
fn a_restarted_replica_continues_from_what_redis_7s_backlog_holds() {
    let Some(mut s) = Setup::new(1, &["--repl-backlog-size", "16kb"], r#","repl-backlog-size":"16kb""#) else {
        return;
    };
    s.sim.run_for(1500);
    s.compare(1, "SAVE");
    for i in 0..30 {
        s.compare(0, &format!("SET k{i} {}", value()));
    }
    s.compare(0, "INFO replication");
    s.crash(1);
    s.start(1);
    s.until_link_up(1);
    s.compare(0, "INFO replication");
    s.compare_fields(0, "INFO stats", &["sync_full", "sync_partial_ok", "sync_partial_err"]);
    s.compare(1, "INFO replication");
    s.compare(1, "DBSIZE");
    for i in 0..30 {
        s.compare(0, &format!("SET j{i} {}", value()));
    }
    s.sim.run_for(10);
    s.compare_wait("WAIT 1 0");
    s.compare(0, "INFO replication");
    s.compare(1, "INFO replication");
    s.finish();
}

/// A replica keeps the RDB of its full sync as its dump.rdb (repl-diskless-load disabled, the default), with the
/// master's replication id and offset: killed and restarted without any save of its own, it loads it and
/// continues (+CONTINUE). Redis lists replicas in the order they last asked for a sync: the one that came back
/// is listed last, in INFO replication and ROLE.
#[test]
fn a_replica_restarts_from_its_full_syncs_rdb_and_is_listed_last() {
    let Some(mut s) = Setup::new(2, &[], "") else { return };
    s.compare(0, "INFO replication");
    s.crash(1);
    s.start(1);
    s.until_link_up(1);
    wait_for(&mut s.real[0], "INFO replication", |t| t.contains("slave1:") && t.contains("connected_slaves:2"));
    s.sim.run_for(10);
    s.compare_fields(0, "INFO stats", &["sync_full", "sync_partial_ok", "sync_partial_err"]);
    s.compare(0, "INFO replication");
    s.compare(0, "ROLE");
    s.finish();
}

/// A master restarted from its RDB after a key expired: it skips the key and puts a DEL in its backlog, so
/// the replica that continues from the saved offset drops the key too.
#[test]
fn a_master_restarted_after_a_key_expired_sends_its_del_to_the_replica() {
    let Some(mut s) = Setup::new(1, &[], "") else { return };
    s.sim.run_for(1500);
    s.compare(0, "SET gone v PX 1500");
    s.compare(0, "SET kept v");
    s.compare(0, "SAVE");
    s.crash(0);
    std::thread::sleep(std::time::Duration::from_millis(2000));
    s.sim.run_for(2000);
    s.start(0);
    s.until_link_up(1);
    // The real replica applies the DEL a moment after its link is up, and its first ACK comes at its next
    // cron (any time in the second that follows): give the stream time, and leave the replica's ACKed offset
    // in the master's slave0 line out, since where a real cron falls is not the simulator's to match.
    std::thread::sleep(std::time::Duration::from_millis(200));
    s.sim.run_for(200);
    s.compare_fields(0, "INFO persistence", &["rdb_last_load_keys_loaded", "rdb_last_load_keys_expired"]);
    let stream = ["connected_slaves", "master_repl_offset", "repl_backlog_first_byte_offset", "repl_backlog_histlen"];
    s.compare_fields(0, "INFO replication", &stream);
    s.compare(1, "DBSIZE");
    s.compare_fields(1, "INFO replication", &["master_link_status", "slave_repl_offset", "master_repl_offset"]);
    s.finish();
}

/// Writes read back from the AOF's command file at startup count as changes since the last save, as in Redis.
#[test]
fn writes_replayed_from_the_aof_count_as_changes() {
    let Some(mut s) = Setup::new(0, &["--appendonly", "yes"], r#","appendonly":"yes""#) else { return };
    for line in ["SET a 1", "SET b 2", "INCR n", "DEL nokey"] {
        s.compare(0, line);
    }
    s.crash(0);
    s.start(0);
    s.compare_fields(0, "INFO persistence", &["rdb_changes_since_last_save", "loading"]);
    s.compare(0, "DBSIZE");
    s.finish();
}
