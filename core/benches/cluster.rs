//! Simulating a large cluster: wall time for `VIRTUAL_MS` of virtual time with full gossip (every node pings
//! as Redis does: one random peer a second and anyone silent for half the node timeout), natively.
//! Gossip and timer records are left out of the trace (the messages are still all simulated).
//!
//!   cargo bench -p redis-ha-sim --bench cluster            # 1000 nodes (500 masters + 500 replicas), 60 s
//!   CLUSTER_NODES=100 CLUSTER_VIRTUAL_MS=10000 cargo bench -p redis-ha-sim --bench cluster

use redis_ha_sim::world::Quiet;
use redis_ha_sim::{library, SimTime, Simulation};
use std::time::Instant;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let nodes = env("CLUSTER_NODES", 1000) as usize;
    let virtual_ms = env("CLUSTER_VIRTUAL_MS", 60_000);
    let scenario = library::cluster_fleet(nodes, 15_000);
    let build = Instant::now();
    let mut sim = Simulation::from_json(&scenario, 1).expect("the fleet scenario is valid");
    sim.set_quiet(Quiet { gossip: true, timers: true });
    sim.set_checkpoint_every_ms(u64::MAX / 2);
    let built = build.elapsed().as_secs_f64();
    let start = Instant::now();
    sim.run_until(SimTime(virtual_ms));
    let secs = start.elapsed().as_secs_f64();
    let events = sim.world().processed();
    let ok = sim.command("redis-0", "CLUSTER INFO").unwrap_or_default();
    println!(
        "cluster: {nodes} nodes ({} masters + {} replicas), node timeout 15000 ms, {virtual_ms} ms of virtual time",
        nodes / 2,
        nodes / 2
    );
    println!("  build + create:     {built:.2} s");
    println!(
        "  wall time:          {secs:.2} s ({:.2} s of wall time per virtual second)",
        secs / (virtual_ms as f64 / 1000.0)
    );
    println!("  events processed:   {events} ({:.0} per second)", events as f64 / secs);
    println!("  cluster_state ok:   {}", ok.contains("cluster_state:ok"));
}
