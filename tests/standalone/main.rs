//! The standalone story, as a learner watches it: an application writes and reads; the server is killed;
//! requests are refused while it is down; it restarts with nothing (no persistence yet), and the
//! application carries on against an empty dataset.

use redis_ha_sim::trace::Outcome;
use redis_ha_sim::{SimTime, Simulation};
use redis_ha_sim_tests::{finished_requests, reproduce, scenario};

#[test]
fn crash_refuses_requests_and_restart_starts_empty() {
    for seed in 1..=10 {
        let mut sim = Simulation::from_json(&scenario("standalone-crash"), seed).unwrap();
        sim.run_until(SimTime(4_900));
        let keys_before = sim.command("redis", "DBSIZE").unwrap();
        assert_ne!(
            keys_before,
            "(integer) 0",
            "the app wrote keys before the crash; {}",
            reproduce(&sim, "standalone-crash")
        );
        sim.run_until(SimTime(12_000));
        let done = finished_requests(sim.trace());
        let refused: Vec<_> = done.iter().filter(|f| f.outcome == Outcome::Refused).collect();
        // Requests go out every 200 ms; from 5 s to 8 s the server is down: 15 of them are refused.
        assert_eq!(refused.len(), 15, "{}", reproduce(&sim, "standalone-crash"));
        assert!(refused.iter().all(|f| (5_000..8_000).contains(&f.sent_at)));
        assert!(refused.iter().all(|f| f.reply == "Connection refused"));
        // Everything outside the outage succeeded.
        assert!(done.iter().filter(|f| !(5_000..8_000).contains(&f.sent_at)).all(|f| f.outcome == Outcome::Ok));
        // After the restart, reads of keys written before the crash find nothing until rewritten.
        let written_before: std::collections::BTreeSet<_> =
            done.iter().filter(|f| f.sent_at < 5_000 && f.command[0] == "SET").map(|f| f.command[1].clone()).collect();
        let mut rewritten = std::collections::BTreeSet::new();
        for f in done.iter().filter(|f| f.sent_at >= 8_000) {
            match f.command[0].as_str() {
                "SET" => {
                    rewritten.insert(f.command[1].clone());
                }
                "GET" if written_before.contains(&f.command[1]) && !rewritten.contains(&f.command[1]) => {
                    assert_eq!(
                        f.reply,
                        "(nil)",
                        "{} was lost in the crash; {}",
                        f.command[1],
                        reproduce(&sim, "standalone-crash")
                    );
                }
                _ => {}
            }
        }
        assert!(sim.command("redis", "INFO server").unwrap().contains("uptime_in_seconds:4"));
    }
}

#[test]
fn the_cli_story_from_the_issue() {
    let mut sim = Simulation::from_json(&scenario("standalone-crash"), 1).unwrap();
    assert_eq!(sim.command("redis", "SET foo bar").unwrap(), "OK");
    assert_eq!(sim.command("redis", "GET foo").unwrap(), "\"bar\"");
    sim.run_until(SimTime(5_000));
    assert_eq!(
        sim.command("redis", "GET foo").unwrap(),
        "Could not connect to Redis at 10.0.0.1:6379: Connection refused"
    );
    sim.run_until(SimTime(8_000));
    assert_eq!(sim.command("redis", "GET foo").unwrap(), "(nil)");
}
