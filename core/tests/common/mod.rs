//! Helpers shared by the core's integration tests (natively and under wasm-pack test).
#![allow(dead_code)]

use redis_ha_sim::{SimTime, Simulation};

/// One server `redis` on host `db` (10.0.0.1:6379), nothing else.
pub const ONE_SERVER: &str =
    r#"{"version":1,"hosts":[{"name":"db","ip":"10.0.0.1","processes":[{"kind":"server","name":"redis"}]}]}"#;

pub fn one_server() -> Simulation {
    Simulation::from_json(ONE_SERVER, 1).expect("valid scenario")
}

/// Run a console command on `redis` and return what redis-cli would print.
pub fn cli(sim: &mut Simulation, line: &str) -> String {
    sim.command("redis", line).expect("redis exists")
}

pub fn at(sim: &mut Simulation, ms: u64) {
    sim.run_until(SimTime(ms));
}

/// One field of `INFO <section>` on `process`.
pub fn info_field(sim: &mut Simulation, process: &str, section: &str, field: &str) -> String {
    let info = sim.command(process, &format!("INFO {section}")).expect("process exists");
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO {section} of {process}: {info}"))
}

/// The log lines `process` wrote, in order.
pub fn logs(sim: &Simulation, process: &str) -> Vec<String> {
    let id = sim.world().proc_id(process).expect("process exists");
    sim.trace()
        .iter()
        .filter_map(|r| match &r.event {
            redis_ha_sim::trace::TraceEvent::Log { proc, text } if *proc == id => Some(text.clone()),
            _ => None,
        })
        .collect()
}
