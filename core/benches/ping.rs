//! Simulation speed: simulated events per second of wall time for a 100-process ping workload (50 servers
//! each pinged by a client every 10 ms of virtual time). A benchmark that prints figures, not a timed test:
//!
//!   cargo bench -p redis-ha-sim --bench ping

use redis_ha_sim::{library, SimTime, Simulation};
use std::time::Instant;

fn main() {
    let scenario = library::ping_fleet(50, 10);
    let virtual_ms = 20_000;
    let mut best = f64::MAX;
    let mut events = 0;
    let mut records = 0;
    for _ in 0..3 {
        let mut sim = Simulation::from_json(&scenario, 1).expect("the ping fleet scenario is valid");
        let start = Instant::now();
        sim.run_until(SimTime(virtual_ms));
        let secs = start.elapsed().as_secs_f64();
        best = best.min(secs);
        events = sim.world().processed();
        records = sim.trace().len();
    }
    println!("ping workload: 100 processes (50 servers + 50 clients), {virtual_ms} ms of virtual time");
    println!("  events processed:   {events}");
    println!("  trace records:      {records}");
    println!("  wall time (best):   {:.3} s", best);
    println!("  events per second:  {:.0}", events as f64 / best);
    println!("  virtual/wall speed: {:.1}x", virtual_ms as f64 / 1000.0 / best);
}
