use super::*;
use crate::json;
use crate::time::SimTime;
use crate::trace::{Outcome, TraceEvent};

fn req(t: u64, id: u64) -> Record {
    let event =
        TraceEvent::Request { client: ProcId(1), id, server: ProcId(0), command: vec!["GET".into(), "k".into()] };
    Record { t: SimTime(t), event }
}

fn done(t: u64, id: u64, outcome: Outcome) -> Record {
    Record {
        t: SimTime(t),
        event: TraceEvent::Outcome { client: ProcId(1), id, outcome, reply: String::new(), latency_ms: 0 },
    }
}

#[test]
fn a_timeout_arriving_after_recovery_counts_in_the_outage_it_was_sent_in() {
    // Sent at 100 and 200 during an outage; 200 is answered with an error at 250, a success at 300 ends
    // the outage, and the request sent at 100 times out only at 1100: still the same single window.
    let trace = vec![
        req(100, 1),
        req(200, 2),
        done(250, 2, Outcome::Error),
        req(290, 3),
        done(300, 3, Outcome::Ok),
        done(1100, 1, Outcome::Timeout),
        req(1200, 4),
        done(1210, 4, Outcome::Refused),
    ];
    let w = unavailability(&trace, 2000);
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!((w[0].from, w[0].to, w[0].failed_requests), (200, 300, 2));
    assert_eq!((w[1].from, w[1].to, w[1].failed_requests), (1200, 2000, 1));
}

#[test]
fn checks_kept_up_to_date_as_the_trace_grows_and_is_cut_equal_checks_from_scratch() {
    for (name, text) in crate::library::SCENARIOS {
        let mut sim = crate::Simulation::from_json(text, 3).unwrap();
        let end = sim.scenario().duration_ms.unwrap_or(30_000).min(60_000);
        let first_server = sim.world().procs().iter().find(|p| matches!(p.node, crate::world::Node::Server(_)));
        let first_server = first_server.map(|p| p.name.clone()).unwrap_or_default();
        // Two servers outside any cluster, to link by hand: the deployments' grouping changes mid-run.
        let plain: Vec<&crate::world::ProcSlot> = (sim.world().procs().iter())
            .filter(|p| matches!(&p.node, crate::world::Node::Server(s) if !s.config.cluster_enabled))
            .collect();
        let relink = (plain.len() >= 2).then(|| {
            let (to, from) = (plain[0], plain[plain.len() - 1]);
            let ip = &sim.world().hosts()[to.host].ip;
            (from.name.clone(), format!("REPLICAOF {ip} {}", to.port.unwrap_or_default()))
        });
        let mut cache = HistoryCache::default();
        let mut t = 0;
        let mut step = 0;
        while t < end {
            step += 1;
            if step % 5 == 0 {
                // Back (the trace is cut), a crash there (a different future), and forward again past
                // where the trace was: only the trace's generation tells the cache it is stale.
                sim.seek(SimTime(t.saturating_sub(4000)));
                if step == 10 {
                    let _ = sim.act(crate::Action::Crash { process: first_server.clone() });
                }
            }
            if step == 12 {
                if let Some((process, line)) = relink.clone() {
                    let _ = sim.act(crate::Action::Command { process, line });
                }
            }
            t += 1500;
            sim.seek(SimTime(t));
            // Then a few single events: the trace may end partway through an instant, which the next call
            // must judge again with the rest of that instant's records.
            for event in 0..3 {
                if event > 0 {
                    sim.step();
                }
                let (world, trace, generation) = (sim.world(), sim.trace(), sim.trace_generation());
                let kept = checks_cached(world, trace, generation, &mut cache);
                let fresh = checks(world, trace);
                assert_eq!(json::to_string(&kept), json::to_string(&fresh), "{name} at {t} ms");
                let group = deployments(world, trace);
                let plain = |p: ProcId| {
                    let clustered = matches!(&world.procs()[p.index()].node, crate::world::Node::Server(s) if s.config.cluster_enabled);
                    (!clustered).then(|| group.get(&p).copied().unwrap_or(p.index()))
                };
                // Against the functions from scratch, read in one piece.
                if group.keys().any(|p| plain(*p).is_some()) {
                    let now = world.now().ms();
                    let w = master_windows_among(trace, now, &plain, &[&|n| n == 0, &|n| n >= 2]);
                    assert_eq!((&kept.no_master, &kept.split_brain), (&w[0], &w[1]), "{name} at {t} ms");
                }
                assert_eq!(kept.unavailable, unavailability(trace, world.now().ms()), "{name} at {t} ms");
                let kept = metrics_cached(world, trace, generation, &mut cache);
                assert_eq!(kept, metrics(trace, world.now().ms()), "{name} at {t} ms");
            }
        }
    }
}

#[test]
fn master_windows_read_in_pieces_equal_those_read_at_once_even_split_within_an_instant() {
    use crate::trace::ProcState::{Crashed, Up};
    let at = |t: u64, event: TraceEvent| Record { t: SimTime(t), event };
    let state = |t, state| at(t, TraceEvent::State { proc: ProcId(0), state });
    let trace = vec![
        at(0, TraceEvent::Role { proc: ProcId(0), role: "master".into(), master: None }),
        state(0, Crashed),
        // Up and down again within one instant: still no master, one window from 0 to 200.
        state(100, Up),
        state(100, Crashed),
        state(200, Up),
        at(300, TraceEvent::Role { proc: ProcId(1), role: "master".into(), master: None }),
        at(300, TraceEvent::State { proc: ProcId(1), state: Up }),
    ];
    let deployment = |_: ProcId| Some(0);
    let preds: [&dyn Fn(usize) -> bool; 2] = [&|n| n == 0, &|n| n >= 2];
    let whole = master_windows_among(&trace, 400, &deployment, &preds);
    assert_eq!(whole, [vec![(0, 200)], vec![(300, 400)]]);
    // Asked for at every split (as the page does while the trace grows), then read on to the end.
    for k in 0..=trace.len() {
        let mut w = MasterWindows::new(2);
        w.add(&trace[..k], &deployment, &preds);
        let now = trace[..k].last().map_or(0, |r| r.t.ms());
        assert_eq!(w.finish(now, &deployment, &preds), master_windows_among(&trace[..k], now, &deployment, &preds));
        w.add(&trace[k..], &deployment, &preds);
        assert_eq!(w.finish(400, &deployment, &preds), whole, "split at {k}");
    }
}

/// What the page's checkers cost on a long trace: a 10-minute run of the `sentinel` built-in, `checks`
/// asked every ~4k records as the page does while playing at 10×. Prints figures, asserts nothing:
///
///   cargo test --release -p redis-ha-sim --lib checks_timing -- --ignored --nocapture
#[test]
#[ignore]
fn checks_timing() {
    use std::time::{Duration, Instant};
    let mut sim = crate::Simulation::from_json(crate::library::get("sentinel").unwrap(), 1).unwrap();
    let mut cache = HistoryCache::default();
    let (mut t, mut asked_at, mut calls) = (0, 0, 0);
    let (mut spent, mut worst, mut last, mut metrics_spent) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    while t < 600_000 {
        t += 20;
        sim.run_until(SimTime(t));
        if sim.trace().len() >= asked_at + 4000 {
            asked_at = sim.trace().len();
            let start = Instant::now();
            checks_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut cache);
            let took = start.elapsed();
            (calls, spent, worst, last) = (calls + 1, spent + took, worst.max(took), took);
            let start = Instant::now();
            metrics_cached(sim.world(), sim.trace(), sim.trace_generation(), &mut cache);
            metrics_spent += start.elapsed();
        }
    }
    let (trace, now) = (sim.trace(), sim.now().ms());
    println!("sentinel, 600 s: {} records, checks_cached asked {calls} times", trace.len());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  checks_cached: {:.2} ms a call on average, {:.2} ms at most, {:.2} ms the last",
        ms(spent) / calls as f64,
        ms(worst),
        ms(last)
    );
    println!("  metrics_cached: {:.3} ms a call on average", ms(metrics_spent) / calls as f64);
    let time = |what: &str, f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..10 {
            f();
        }
        println!("  {what}: {:.2} ms", start.elapsed().as_secs_f64() * 1e3 / 10.0);
    };
    time("checks from scratch", &|| drop(checks(sim.world(), trace)));
    time("master windows from scratch", &|| drop(master_windows(trace, now, &|p| p.index(), &|n| n == 0)));
    time("unavailability from scratch", &|| drop(unavailability(trace, now)));
    time("deployments from scratch", &|| drop(deployments(sim.world(), trace)));
    time("metrics from scratch", &|| drop(metrics(trace, now)));
}

fn sent(t: u64, id: u64, command: &[&str]) -> Record {
    let command = command.iter().map(|s| s.to_string()).collect();
    Record { t: SimTime(t), event: TraceEvent::Request { client: ProcId(1), id, server: ProcId(0), command } }
}

fn answered(t: u64, id: u64, reply: &str) -> Record {
    let event = TraceEvent::Outcome { client: ProcId(1), id, outcome: Outcome::Ok, reply: reply.into(), latency_ms: 0 };
    Record { t: SimTime(t), event }
}

#[test]
fn a_read_is_stale_against_the_latest_write_to_its_key_acknowledged_before_it_was_sent() {
    let trace = vec![
        // Key b first in the trace, then a: each key's writes are found whatever the keys' order.
        sent(0, 1, &["SET", "b", "b1"]),
        answered(5, 1, "OK"),
        sent(10, 2, &["SET", "a", "a1"]),
        answered(20, 2, "OK"),
        sent(21, 3, &["SET", "a", "a2"]),
        sent(22, 4, &["SET", "a", "a3"]),
        // a2 and a3 acknowledged at the same time: the later in the trace is the latest.
        answered(30, 3, "OK"),
        answered(30, 4, "OK"),
        // Sent at 25, before a2/a3 were acknowledged: a1 is what it should see, and it does.
        sent(25, 5, &["GET", "a"]),
        answered(40, 5, "\"a1\""),
        // Sent after: a1 is older than a3 (a1 was acknowledged before a3 was sent).
        sent(50, 6, &["GET", "a"]),
        answered(60, 6, "\"a1\""),
        sent(50, 7, &["GET", "a"]),
        answered(60, 7, "\"a3\""),
        // Nothing read from b after b1 was acknowledged: stale. A key never written: not.
        sent(50, 8, &["GET", "b"]),
        answered(60, 8, "(nil)"),
        sent(50, 9, &["GET", "c"]),
        answered(60, 9, "(nil)"),
    ];
    let stale = stale_reads(&trace);
    let ids: Vec<(u64, &str, Option<&str>, &str)> =
        stale.iter().map(|s| (s.id, s.key.as_str(), s.got.as_deref(), s.expected.as_str())).collect();
    assert_eq!(ids, [(6, "a", Some("a1"), "a3"), (8, "b", None, "b1")]);
}
