//! The kernel: virtual time, the network (latency, partitions, loss), process crash/restart/pause,
//! checkpoints and seeking, and session export/import.

mod common;
use common::{at, cli};
use redis_ha_sim::trace::{DropReason, Outcome, TraceEvent};
use redis_ha_sim::{Action, SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// A server on one host and a client on another that SETs every 100 ms, 20 ms apart.
fn pair(extra_network: &str) -> Simulation {
    let json = format!(
        r#"{{"version":1,"network":{{"latency_ms":20{extra_network}}},"hosts":[
            {{"name":"db","processes":[{{"kind":"server","name":"redis"}}]}},
            {{"name":"app","processes":[{{"kind":"client","name":"app","target":"redis",
               "workload":{{"interval_ms":100,"timeout_ms":500,"ops":[{{"command":"SET {{key}} {{value}}"}}]}}}}]}}]}}"#
    );
    Simulation::from_json(&json, 42).expect("valid scenario")
}

fn outcomes(sim: &Simulation) -> Vec<(u64, Outcome, u64)> {
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Outcome { id, outcome, latency_ms, .. } => Some((*id, *outcome, *latency_ms)),
            _ => None,
        })
        .collect()
}

#[test]
fn requests_take_the_link_latency_both_ways() {
    let mut sim = pair("");
    at(&mut sim, 1_000);
    let o = outcomes(&sim);
    assert_eq!(o.len(), 10, "one request per 100 ms, each answered within the second");
    assert!(o.iter().all(|(_, outcome, latency)| *outcome == Outcome::Ok && *latency == 40));
    // The server holds the writes the client saw acknowledged.
    // The server holds exactly the keys of the writes it acknowledged.
    let acked: std::collections::BTreeSet<u64> = o.iter().map(|(id, _, _)| *id).collect();
    let written: std::collections::BTreeSet<String> = sim
        .trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::Request { id, command, .. } if acked.contains(id) => Some(command[1].clone()),
            _ => None,
        })
        .collect();
    assert_eq!(cli(&mut sim, "DBSIZE"), format!("(integer) {}", written.len()));
}

#[test]
fn a_crashed_server_refuses_connections_and_restarts_empty() {
    let mut sim = pair("");
    at(&mut sim, 1_000);
    assert_ne!(cli(&mut sim, "DBSIZE"), "(integer) 0");
    sim.act(Action::Crash { process: "redis".into() }).unwrap();
    assert_eq!(cli(&mut sim, "GET key:1"), "Could not connect to Redis at 10.0.0.1:6379: Connection refused");
    at(&mut sim, 2_000);
    let refused: Vec<_> = outcomes(&sim).into_iter().filter(|(_, o, _)| *o == Outcome::Refused).collect();
    assert!(refused.len() >= 9, "requests while down are refused, got {refused:?}");
    assert!(sim.trace().iter().any(|r| matches!(r.event, TraceEvent::Drop { reason: DropReason::Refused, .. })));
    sim.act(Action::Restart { process: "redis".into() }).unwrap();
    // Memory is lost: no persistence in this scenario.
    assert_eq!(cli(&mut sim, "DBSIZE"), "(integer) 0");
    at(&mut sim, 3_000);
    assert_eq!(outcomes(&sim).last().map(|o| o.1), Some(Outcome::Ok));
    // A new life has a new run id.
    let runs: Vec<_> = sim.trace().iter().filter(|r| matches!(r.event, TraceEvent::State { .. })).collect();
    assert_eq!(runs.len(), 4, "up, up, crashed, up");
}

#[test]
fn a_partition_drops_messages_and_clients_time_out_then_heal_restores() {
    let mut sim = pair("");
    at(&mut sim, 500);
    sim.act(Action::Partition { groups: vec![vec!["db".into()], vec!["app".into()]] }).unwrap();
    at(&mut sim, 2_000);
    sim.act(Action::Heal).unwrap();
    at(&mut sim, 3_000);
    let o = outcomes(&sim);
    let timeouts = o.iter().filter(|(_, x, _)| *x == Outcome::Timeout).count();
    assert!((14..=16).contains(&timeouts), "about 1.5 s of requests time out, got {timeouts}");
    assert!(sim.trace().iter().any(|r| matches!(r.event, TraceEvent::Drop { reason: DropReason::Partition, .. })));
    assert_eq!(o.last().map(|x| x.1), Some(Outcome::Ok));
}

#[test]
fn a_one_way_partition_cuts_only_one_direction() {
    let mut sim = pair("");
    sim.act(Action::PartitionOneWay { from: vec!["db".into()], to: vec!["app".into()] }).unwrap();
    at(&mut sim, 1_000);
    // Requests arrive (the server executes them) but replies are lost: writes happen, clients time out.
    assert_ne!(cli(&mut sim, "DBSIZE"), "(integer) 0");
    assert!(outcomes(&sim).iter().all(|(_, o, _)| *o == Outcome::Timeout));
}

#[test]
fn a_paused_server_answers_late_when_resumed() {
    let mut sim = pair("");
    at(&mut sim, 300);
    sim.act(Action::Pause { process: "redis".into() }).unwrap();
    at(&mut sim, 400);
    sim.act(Action::Resume { process: "redis".into() }).unwrap();
    at(&mut sim, 1_000);
    let late: Vec<_> = outcomes(&sim).into_iter().filter(|(_, _, latency)| *latency > 40).collect();
    assert!(!late.is_empty(), "requests held during the pause are answered after it");
    assert!(late.iter().all(|(_, o, _)| *o == Outcome::Ok));
}

#[test]
fn loss_drops_a_share_of_messages() {
    let mut sim = pair(r#","loss":0.5"#);
    at(&mut sim, 10_000);
    let dropped =
        sim.trace().iter().filter(|r| matches!(r.event, TraceEvent::Drop { reason: DropReason::Loss, .. })).count();
    let sent = sim.trace().iter().filter(|r| matches!(r.event, TraceEvent::Send { .. })).count();
    let share = dropped as f64 / sent as f64;
    assert!((0.4..0.6).contains(&share), "about half the messages are lost, got {share}");
}

#[test]
fn jitter_keeps_each_connection_in_order() {
    let mut sim = pair(r#","jitter_ms":300"#);
    at(&mut sim, 5_000);
    let delivered: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|r| match r.event {
            TraceEvent::Deliver { msg, from, .. } if from.0 == 1 => Some(msg),
            _ => None,
        })
        .collect();
    assert!(delivered.windows(2).all(|w| w[0] < w[1]), "app → redis messages arrive in send order");
}

#[test]
fn seeking_back_restores_the_exact_state_and_trace() {
    let mut sim = pair("");
    at(&mut sim, 2_500);
    let trace_at_2500 = sim.trace().to_vec();
    let keys_at_2500 = cli(&mut sim, "KEYS *");
    at(&mut sim, 6_000);
    sim.seek(SimTime(2_500));
    assert_eq!(sim.now(), SimTime(2_500));
    // The console command typed at 2.5 s is a recorded action: it is replayed, so the traces match
    // once we account for it.
    assert_eq!(&sim.trace()[..trace_at_2500.len()], &trace_at_2500[..]);
    assert_eq!(cli(&mut sim, "KEYS *"), keys_at_2500);
}

#[test]
fn seek_replays_user_actions_at_their_place() {
    let mut a = pair("");
    at(&mut a, 1_000);
    a.act(Action::Crash { process: "redis".into() }).unwrap();
    at(&mut a, 2_000);
    a.act(Action::Restart { process: "redis".into() }).unwrap();
    at(&mut a, 4_000);
    let hash = a.trace_hash();
    a.seek(SimTime(500));
    a.seek(SimTime(4_000));
    assert_eq!(a.trace_hash(), hash, "replaying through recorded actions gives the same run");
}

#[test]
fn an_exported_session_reproduces_the_same_trace() {
    let mut a = pair(r#","jitter_ms":7"#);
    at(&mut a, 1_234);
    a.command("redis", "SET shared 1").unwrap();
    a.act(Action::Crash { process: "redis".into() }).unwrap();
    at(&mut a, 3_000);
    a.act(Action::Restart { process: "redis".into() }).unwrap();
    at(&mut a, 5_000);
    let json = a.export_session_json();
    assert_eq!(json, redis_ha_sim::json::to_string(&a.export_session()), "both exports write the same text");
    let b = Simulation::session_from_json(&json).unwrap();
    assert_eq!(b.now(), a.now());
    assert_eq!(b.trace_hash(), a.trace_hash());
}

#[test]
fn acting_after_a_seek_back_rewrites_the_future() {
    let mut sim = pair("");
    at(&mut sim, 1_000);
    sim.act(Action::Crash { process: "redis".into() }).unwrap();
    at(&mut sim, 2_000);
    sim.seek(SimTime(500));
    sim.act(Action::Pause { process: "redis".into() }).unwrap();
    at(&mut sim, 2_000);
    assert_eq!(sim.actions().len(), 1, "the crash recorded later was discarded");
    let view = redis_ha_sim::view::world_view(sim.world());
    assert_eq!(view.processes[0].state, "paused");
}
