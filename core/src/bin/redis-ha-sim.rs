//! The native command line: runs a scenario headless and prints its trace, so that documentation builds and
//! outside tools can drive the simulator without a browser. Only std: the library itself stays I/O-free.
//!
//!   redis-ha-sim run <scenario.json | builtin:ID> [--seed N] [--until MS] [--format text|json]
//!   redis-ha-sim hash <scenario.json | builtin:ID> [--seed N] [--until MS]
//!   redis-ha-sim list

use redis_ha_sim::{library, text, SimTime, Simulation};
use std::process::ExitCode;

const USAGE: &str = "usage:
  redis-ha-sim run <scenario.json | builtin:ID> [--seed N] [--until MS] [--format text|json]
  redis-ha-sim hash <scenario.json | builtin:ID> [--seed N] [--until MS]
  redis-ha-sim list

  --seed N      the run's one seed (default 1)
  --until MS    virtual time to run to, in ms (default: the scenario's duration_ms, else 60000)
  --format F    text (default): one line per trace record; json: JSON lines
  --quiet LIST  leave parts of the trace out: gossip (cluster bus PING/PONG/MEET), timers, or both
                (gossip,timers); the simulation itself is unchanged";

struct Options {
    scenario: String,
    seed: u64,
    until: Option<u64>,
    json: bool,
    quiet: redis_ha_sim::world::Quiet,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut opts = Options { scenario: String::new(), seed: 1, until: None, json: false, quiet: Default::default() };
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| args.get(i + 1).ok_or_else(|| format!("{} needs a value", args[i]));
        match args[i].as_str() {
            "--seed" => {
                opts.seed = value(i)?.parse().map_err(|_| format!("--seed: not a whole number: {}", args[i + 1]))?
            }
            "--until" => {
                opts.until =
                    Some(value(i)?.parse().map_err(|_| format!("--until: not a whole number of ms: {}", args[i + 1]))?)
            }
            "--quiet" => {
                for part in value(i)?.split(',') {
                    match part {
                        "gossip" => opts.quiet.gossip = true,
                        "timers" => opts.quiet.timers = true,
                        other => return Err(format!("--quiet takes gossip, timers or both, not {other}")),
                    }
                }
            }
            "--format" => {
                opts.json = match value(i)?.as_str() {
                    "json" => true,
                    "text" => false,
                    other => return Err(format!("--format must be text or json, not {other}")),
                }
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s if opts.scenario.is_empty() => {
                opts.scenario = s.to_string();
                i += 1;
                continue;
            }
            s => return Err(format!("unexpected argument {s}")),
        }
        i += 2;
    }
    if opts.scenario.is_empty() {
        return Err("name a scenario file or builtin:ID".into());
    }
    Ok(opts)
}

fn load(name: &str) -> Result<String, String> {
    if let Some(id) = name.strip_prefix("builtin:") {
        return library::get(id).map(str::to_string).ok_or_else(|| {
            let ids: Vec<&str> = library::SCENARIOS.iter().map(|(i, _)| *i).collect();
            format!("no built-in scenario '{id}' (there are: {})", ids.join(", "))
        });
    }
    std::fs::read_to_string(name).map_err(|e| format!("cannot read {name}: {e}"))
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(cmd) = args.first() else {
        return Err(USAGE.into());
    };
    match cmd.as_str() {
        "list" => {
            for (id, json) in library::SCENARIOS {
                let name = redis_ha_sim::Scenario::from_json(json).map(|s| s.name).unwrap_or_default();
                println!("builtin:{id:<24} {name}");
            }
            Ok(())
        }
        "run" | "hash" => {
            let opts = parse(&args[1..])?;
            let mut sim = Simulation::from_json(&load(&opts.scenario)?, opts.seed).map_err(|e| e.to_string())?;
            sim.set_quiet(opts.quiet);
            let until = opts.until.or(sim.scenario().duration_ms).unwrap_or(60_000);
            sim.run_until(SimTime(until));
            if cmd == "hash" {
                println!("{:016x}", sim.trace_hash());
            } else if opts.json {
                for r in sim.trace() {
                    println!("{}", serde_json::to_string(r).map_err(|e| e.to_string())?);
                }
            } else {
                print!("{}", text::render(sim.trace(), sim.world()));
                print!("{}", text::checks_summary(&redis_ha_sim::check::checks(sim.world(), sim.trace()), sim.world()));
            }
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("redis-ha-sim: {e}");
            ExitCode::from(2)
        }
    }
}
