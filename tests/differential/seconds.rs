//! Rules Redis 7.0 counts in whole seconds of the clock (`server.unixtime`, `time(NULL)`), not in elapsed
//! milliseconds: a save point `save N M` fires once more than N whole seconds separate the last save from now,
//! and a replica drops a silent master once more than repl-timeout whole seconds separate its last byte from
//! now. Both measured on a real redis-server and in the simulator, from what INFO and LASTSAVE say.

use super::{wait_for, RealRedis};
use redis_ha_sim::action::Action;
use redis_ha_sim::cli::{format_console_reply, split_args};
use redis_ha_sim::time::SimTime;
use redis_ha_sim::Simulation;
use redis_ha_sim_tests::real::real_redis_wanted;
use std::time::{Duration, Instant};

/// 2024-01-01T00:00:00.500Z: virtual time 0 half a second into a Unix second, so that the simulated crons do
/// not tick on the seconds' boundaries (a real server's phase is whatever its start gave it).
const HALF_PAST: u64 = 1_704_067_200_500;

fn int(text: &str) -> i64 {
    text.trim_start_matches("(integer) ").trim().parse().unwrap_or_else(|_| panic!("not an integer: {text:?}"))
}

/// `name:value` from an INFO text.
fn field(info: &str, name: &str) -> i64 {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}

fn real_line(real: &mut RealRedis, line: &str) -> String {
    let args = split_args(line).unwrap();
    format_console_reply(&args, &real.command(&args))
}

/// The LASTSAVE values seen from a server's start to its second save with `save 1 1`, a write made after
/// each save so that the next one is due: `poll` answers a command line, `wait` lets 20 ms pass.
fn lastsaves(mut poll: impl FnMut(&str) -> String, mut wait: impl FnMut()) -> Vec<i64> {
    let mut seen = vec![int(&poll("LASTSAVE"))];
    poll("SET k v");
    let deadline = Instant::now() + Duration::from_secs(15);
    while seen.len() < 3 {
        let now = int(&poll("LASTSAVE"));
        if now != *seen.last().unwrap() {
            seen.push(now);
            poll("SET k v");
        }
        assert!(Instant::now() < deadline, "no saves: {seen:?}");
        wait();
    }
    seen
}

/// `save 1 1` saves two seconds apart, not one: Redis saves when `server.unixtime - server.lastsave > 1`, so
/// LASTSAVE goes from the start's second to two seconds later, then two more. The simulator saved as soon as
/// 1000 ms had passed, a second apart.
#[test]
fn a_save_point_waits_more_than_its_seconds_of_the_clock() {
    if !real_redis_wanted() {
        return;
    }
    let mut real = RealRedis::start_in_own_dir(&["--save", "1 1"]).expect("redis-server must be installed");
    let seen = lastsaves(|l| real_line(&mut real, l), || std::thread::sleep(Duration::from_millis(20)));
    let real_gaps: Vec<i64> = seen.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(real_gaps, [2, 2], "a real redis-server's LASTSAVE values: {seen:?}");

    for start in [HALF_PAST, HALF_PAST - 500] {
        let mut sim = Simulation::from_json(
            &format!(
                r#"{{"version":1,"start_unix_ms":{start},"hosts":[{{"name":"db","processes":[{{"kind":"server","name":"redis","config":{{"save":"1 1"}}}}]}}]}}"#
            ),
            1,
        )
        .unwrap();
        let sim = std::cell::RefCell::new(&mut sim);
        let seen = lastsaves(|l| sim.borrow_mut().command("redis", l).unwrap(), || sim.borrow_mut().run_for(20));
        let gaps: Vec<i64> = seen.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, real_gaps, "the simulator's LASTSAVE values from {start}: {seen:?}");
        let info = sim.borrow_mut().command("redis", "INFO persistence").unwrap();
        assert_eq!(field(&info, "rdb_last_save_time"), seen[2]);
    }
}

/// What a replica's INFO says when its master falls silent after one write: the Unix second of its last byte
/// from the master (`server_time_usec` less `master_last_io_seconds_ago`, while the link is up) and the second
/// the link went down (less `master_link_down_since_seconds`).
struct Silence {
    last_io: i64,
    down: i64,
}

fn watch_silence(mut info: impl FnMut() -> String, mut wait: impl FnMut()) -> Silence {
    let mut last_io = None;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = info();
        let now = field(&text, "server_time_usec") / 1_000_000;
        if text.contains("master_link_status:up") {
            last_io = Some(now - field(&text, "master_last_io_seconds_ago"));
        } else {
            let last_io = last_io.expect("the link was up when the master stopped");
            return Silence { last_io, down: now - field(&text, "master_link_down_since_seconds") };
        }
        assert!(Instant::now() < deadline, "the replica never dropped its silent master");
        wait();
    }
}

/// repl-timeout 1 and a master stopped right after a write: the replica drops it in the second second after
/// that write's, at its replicationCron (`time(NULL) - lastinteraction > repl-timeout`) — never a second
/// earlier, as the simulator's `> 1000 ms` did when its cron came later in the second than the write.
#[test]
fn a_replica_drops_a_silent_master_after_more_than_repl_timeout_whole_seconds() {
    if !real_redis_wanted() {
        return;
    }
    let options = ["--repl-timeout", "1", "--repl-ping-replica-period", "60", "--repl-diskless-sync-delay", "0"];
    let master = RealRedis::start_in_own_dir(&options).expect("redis-server must be installed");
    let mport = master.port.to_string();
    let replica_options: Vec<&str> = options.iter().copied().chain(["--replicaof", "127.0.0.1", &mport]).collect();
    let mut replica = RealRedis::start_in_own_dir(&replica_options).expect("redis-server must be installed");
    let mut master = master;
    wait_for(&mut replica, "INFO replication", |t| t.contains("master_link_status:up"));
    real_line(&mut master, "SET a 1");
    let pid = master.child.id().to_string();
    let stop = |sig: &str| std::process::Command::new("kill").args([sig, &pid]).status().expect("kill");
    assert!(stop("-STOP").success());
    let real = watch_silence(|| real_line(&mut replica, "INFO"), || std::thread::sleep(Duration::from_millis(10)));
    stop("-CONT");
    // replicationCron runs about once a second; a real one drifts a little, and may skip a second now and then.
    assert!(
        (2..=3).contains(&(real.down - real.last_io)),
        "a real replica: last byte at {}, down at {}",
        real.last_io,
        real.down
    );

    let config = r#""save":"","repl-timeout":1,"repl-ping-replica-period":60,"repl-diskless-sync-delay":0"#;
    let mut sim = Simulation::from_json(
        &format!(
            r#"{{"version":1,"start_unix_ms":{HALF_PAST},"hosts":[
            {{"name":"db1","ip":"10.0.0.1","processes":[{{"kind":"server","name":"master","config":{{{config}}}}}]}},
            {{"name":"db2","ip":"10.0.0.2","processes":[{{"kind":"server","name":"replica","config":{{{config},"replicaof":"10.0.0.1 6379"}}}}]}}]}}"#
        ),
        1,
    )
    .unwrap();
    // The write at 0.2 s into a Unix second, the replica's crons at 0.5 s into each.
    sim.run_until(SimTime(3_700));
    assert!(sim.command("replica", "INFO replication").unwrap().contains("master_link_status:up"));
    sim.command("master", "SET a 1").unwrap();
    sim.act(Action::Pause { process: "master".into() }).unwrap();
    sim.run_for(5);
    let sim_cell = std::cell::RefCell::new(&mut sim);
    let simulated = watch_silence(
        || sim_cell.borrow_mut().command("replica", "INFO").unwrap(),
        || sim_cell.borrow_mut().run_for(10),
    );
    assert_eq!(
        simulated.down - simulated.last_io,
        2,
        "the simulated replica: last byte at {}, down at {}",
        simulated.last_io,
        simulated.down
    );
}
