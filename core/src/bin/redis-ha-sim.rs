//! The native command line: runs a scenario headless and prints its trace, so that documentation builds and
//! outside tools can drive the simulator without a browser. Only std: the library itself stays I/O-free.
//!
//!   redis-ha-sim run <scenario.json | builtin:ID> [--seed N] [--until MS] [--format text|json|mermaid]
//!   redis-ha-sim hash <scenario.json | builtin:ID> [--seed N] [--until MS]
//!   redis-ha-sim check <scenario.json | builtin:ID> [--seed N] [--seeds A..B]
//!   redis-ha-sim conf <scenario.json | builtin:ID>
//!   redis-ha-sim list

use redis_ha_sim::{deploy, library, mermaid, text, SimTime, Simulation};
use std::process::ExitCode;

const USAGE: &str = "usage:
  redis-ha-sim run <scenario.json | builtin:ID> [--seed N] [--until MS] [--format text|json|mermaid]
                 [--from MS] [--max-lines N] [--every-message]
  redis-ha-sim hash <scenario.json | builtin:ID> [--seed N] [--until MS]
  redis-ha-sim check <scenario.json | builtin:ID> [--seed N] [--seeds A..B]
  redis-ha-sim conf <scenario.json | builtin:ID>
  redis-ha-sim list

  --seed N      the run's one seed (default 1)
  --until MS    virtual time to run to, in ms (default: the scenario's duration_ms, else 60000)
  --seeds A..B  check: judge the scenario's expectations for every seed from A to B inclusive
  --format F    text (default): one line per trace record; json: JSON lines; mermaid: a Mermaid
                sequenceDiagram (messages as arrows, faults and events as notes, keep-alives and
                gossip left out)
  --from MS     mermaid: leave out what happened before MS
  --max-lines N mermaid: draw at most N arrows and notes, then say how many were left out (default 400)
  --every-message  mermaid: draw each client request, reply and replication message (by default the
                runs between two other lines are summarised, one arrow per pair of processes)
  --quiet LIST  leave parts of the trace out: gossip (cluster bus PING/PONG/MEET), timers, or both
                (gossip,timers); the simulation itself is unchanged

  conf prints the deployment as real Redis 7 files: each server's redis.conf, each sentinel's
  sentinel.conf, and the redis-cli commands that create (and reshard) a cluster, each file under a
  '# ---- host/process: file ----' line.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Mermaid,
}

struct Options {
    scenario: String,
    seed: u64,
    seeds: Option<(u64, u64)>,
    until: Option<u64>,
    format: Format,
    from: u64,
    max_lines: usize,
    every_message: bool,
    quiet: redis_ha_sim::world::Quiet,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut opts = Options {
        scenario: String::new(),
        seed: 1,
        seeds: None,
        until: None,
        format: Format::Text,
        from: 0,
        max_lines: mermaid::Options::default().max_lines,
        every_message: false,
        quiet: Default::default(),
    };
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| args.get(i + 1).ok_or_else(|| format!("{} needs a value", args[i]));
        match args[i].as_str() {
            "--seed" => {
                opts.seed = value(i)?.parse().map_err(|_| format!("--seed: not a whole number: {}", args[i + 1]))?
            }
            "--seeds" => {
                let v = value(i)?;
                let bad = || format!("--seeds takes A..B (two whole numbers), not {v}");
                let (a, b) = v.split_once("..").ok_or_else(bad)?;
                let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b {
                    return Err(bad());
                }
                opts.seeds = Some((a, b));
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
            "--every-message" => {
                opts.every_message = true;
                i += 1;
                continue;
            }
            "--from" => {
                opts.from =
                    value(i)?.parse().map_err(|_| format!("--from: not a whole number of ms: {}", args[i + 1]))?
            }
            "--max-lines" => {
                opts.max_lines =
                    value(i)?.parse().map_err(|_| format!("--max-lines: not a whole number: {}", args[i + 1]))?
            }
            "--format" => {
                opts.format = match value(i)?.as_str() {
                    "json" => Format::Json,
                    "text" => Format::Text,
                    "mermaid" => Format::Mermaid,
                    other => return Err(format!("--format must be text, json or mermaid, not {other}")),
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

/// The error `run` returns when stdout was closed under us (`... | head`): not a failure of the run.
const BROKEN_PIPE: &str = "broken pipe";

/// Write to stdout, turning a closed pipe into [`BROKEN_PIPE`] instead of the panic `print!` would raise.
fn out(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => BROKEN_PIPE.to_string(),
        _ => format!("cannot write output: {e}"),
    })
}

/// A text run of a lesson ends with its expectations judged (when it ran the scenario's whole length), and
/// fails when one does not hold.
fn judge_lesson(sim: &Simulation, until: u64) -> Result<(), String> {
    let expect = &sim.scenario().expect;
    if expect.is_empty() {
        return Ok(());
    }
    let duration = sim.scenario().duration_ms.unwrap_or(until);
    if until < duration {
        return out(&format!(
            "\n-- expectations --\nnot judged: the run stopped at {} before the scenario's {}\n",
            SimTime(until),
            SimTime(duration)
        ));
    }
    out("\n-- expectations --\n")?;
    let verdicts = redis_ha_sim::lesson::judge(sim, expect);
    for v in &verdicts {
        let mark = if v.passed { "ok  " } else { "FAIL" };
        out(&format!("{mark} {} — {}\n", v.expectation, v.detail.replace('\n', " | ")))?;
    }
    match verdicts.iter().filter(|v| !v.passed).count() {
        0 => Ok(()),
        n => Err(format!("{n} expectation(s) failed")),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(cmd) = args.first() else {
        return Err(USAGE.into());
    };
    match cmd.as_str() {
        "list" => {
            for (id, json) in library::SCENARIOS {
                let name = redis_ha_sim::Scenario::from_json(json).map(|s| s.name).unwrap_or_default();
                out(&format!("builtin:{id:<24} {name}\n"))?;
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
                out(&format!("{:016x}\n", sim.trace_hash()))?;
            } else if opts.format == Format::Json {
                for r in sim.trace() {
                    out(&(redis_ha_sim::json::to_string(r) + "\n"))?;
                }
            } else if opts.format == Format::Mermaid {
                let m = mermaid::Options {
                    from_ms: opts.from,
                    until_ms: Some(until),
                    max_lines: opts.max_lines,
                    every_message: opts.every_message,
                    ..Default::default()
                };
                // The run as a comment just after the diagram's first line (Mermaid wants that line first).
                let diagram = mermaid::render_world(sim.trace(), sim.world(), &m);
                let (first, rest) = diagram.split_once('\n').unwrap_or((&diagram, ""));
                let name = &sim.scenario().name;
                out(&format!(
                    "{first}\n    %% {name} (seed {}), {} to {}\n{rest}",
                    opts.seed,
                    SimTime(opts.from),
                    SimTime(until)
                ))?;
            } else {
                out(&text::render(sim.trace(), sim.world()))?;
                out(&text::checks_summary(&redis_ha_sim::check::checks(sim.world(), sim.trace()), sim.world()))?;
                return judge_lesson(&sim, until);
            }
            Ok(())
        }
        "conf" => {
            let opts = parse(&args[1..])?;
            let scenario = redis_ha_sim::Scenario::from_json(&load(&opts.scenario)?).map_err(|e| e.to_string())?;
            out(&deploy::render(&deploy::deployment(&scenario)))
        }
        "check" => {
            let opts = parse(&args[1..])?;
            let json = load(&opts.scenario)?;
            let (first, last) = opts.seeds.unwrap_or((opts.seed, opts.seed));
            let mut failures = 0;
            for seed in first..=last {
                let mut sim = Simulation::from_json(&json, seed).map_err(|e| e.to_string())?;
                if sim.scenario().expect.is_empty() {
                    return Err(format!("{} has no expectations (an \"expect\" list) to check", opts.scenario));
                }
                let until = sim.scenario().duration_ms.unwrap_or(60_000);
                sim.run_until(SimTime(until));
                for v in redis_ha_sim::lesson::judge(&sim, &sim.scenario().expect.clone()) {
                    let mark = if v.passed { "ok  " } else { "FAIL" };
                    out(&format!("seed {seed:<4} {mark} {} — {}\n", v.expectation, v.detail.replace('\n', " | ")))?;
                    failures += usize::from(!v.passed);
                }
            }
            if failures > 0 {
                return Err(format!("{failures} expectation(s) failed"));
            }
            Ok(())
        }
        "-h" | "--help" | "help" => out(&format!("{USAGE}\n")),
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e == BROKEN_PIPE => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("redis-ha-sim: {e}");
            ExitCode::from(2)
        }
    }
}
