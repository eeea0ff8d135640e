//! Bad input gets a clear error, never a panic: malformed scenarios, unknown fields and names, absurd
//! sizes, wrong commands, bad actions and sessions — plus a mutation fuzz loop over the loader and the
//! console.

mod common;
use common::{cli, one_server, ONE_SERVER};
use redis_ha_sim::rng::Rng;
use redis_ha_sim::{library, Action, Scenario, SimError, SimTime, Simulation};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn error_of(json: &str) -> String {
    match Scenario::from_json(json) {
        Ok(_) => panic!("accepted a bad scenario: {json}"),
        Err(e) => e.to_string(),
    }
}

fn with_server(extra: &str) -> String {
    format!(r#"{{"version":1,"hosts":[{{"name":"db","processes":[{{"kind":"server","name":"redis"{extra}}}]}}]}}"#)
}

#[test]
fn malformed_json_names_the_place() {
    let e = error_of(r#"{"version":1,"hosts":[}"#);
    assert!(e.starts_with("invalid scenario JSON:") && e.contains("line 1"), "{e}");
    assert!(error_of("").contains("EOF"));
    assert!(error_of("[]").contains("expected struct Scenario"), "{}", error_of("[]"));
}

#[test]
fn unknown_fields_are_refused() {
    assert!(error_of(r#"{"version":1,"hosts":[],"colour":"red"}"#).contains("unknown field `colour`"));
    assert!(error_of(&with_server(r#","prot":6380"#)).contains("unknown field `prot`"));
    assert!(error_of(r#"{"version":1,"network":{"latncy_ms":1},"hosts":[]}"#).contains("unknown field `latncy_ms`"));
    assert!(error_of(r#"{"version":1,"hosts":[{"name":"h","processes":[{"kind":"sentinal","name":"s"}]}]}"#)
        .contains("unknown variant `sentinal`"));
}

#[test]
fn structure_errors_are_explained() {
    assert_eq!(
        error_of(r#"{"version":2,"hosts":[]}"#),
        "invalid scenario: unsupported version 2 (this simulator reads version 1)"
    );
    assert_eq!(error_of(r#"{"version":1,"hosts":[]}"#), "invalid scenario: a scenario needs at least one host");
    assert_eq!(
        error_of(r#"{"version":1,"hosts":[{"name":"h"}]}"#),
        "invalid scenario: a scenario needs at least one process"
    );
    assert!(error_of(r#"{"version":1,"hosts":[{"name":"a b","processes":[{"kind":"server","name":"r"}]}]}"#)
        .contains("host name 'a b' must be"));
    let dup = r#"{"version":1,"hosts":[{"name":"h","processes":[{"kind":"server","name":"r"},{"kind":"server","name":"r","port":2}]}]}"#;
    assert_eq!(error_of(dup), "invalid scenario: two processes are named 'r'");
    let port = r#"{"version":1,"hosts":[{"name":"h","processes":[{"kind":"server","name":"a"},{"kind":"server","name":"b"}]}]}"#;
    assert_eq!(error_of(port), "invalid scenario: two servers on host 'h' use port 6379");
    let ip = r#"{"version":1,"hosts":[{"name":"h","ip":"10.0.0.300","processes":[{"kind":"server","name":"a"}]}]}"#;
    assert!(error_of(ip).contains("is not an IPv4 address"));
    let target =
        r#"{"version":1,"hosts":[{"name":"h","processes":[{"kind":"client","name":"app","target":"nobody"}]}]}"#;
    assert_eq!(error_of(target), "invalid scenario: client 'app' targets 'nobody': no process has that name");
}

#[test]
fn absurd_sizes_and_numbers_are_refused() {
    assert!(error_of(&with_server(r#","port":70000"#)).contains("invalid value: integer `70000`"));
    assert!(error_of(&with_server(r#","port":0"#)).contains("port must be between 1 and 65535"));
    assert!(error_of(r#"{"version":1,"network":{"latency_ms":-5},"hosts":[]}"#).contains("invalid value: integer `-5`"));
    let slow = with_server("").replace(r#""hosts""#, r#""network":{"latency_ms":99999999999},"hosts""#);
    assert!(error_of(&slow).contains("latency_ms 99999999999 is more than an hour"));
    let lossy = with_server("").replace(r#""hosts""#, r#""network":{"loss":1.5},"hosts""#);
    assert!(error_of(&lossy).contains("loss must be a probability between 0 and 1, got 1.5"));
    // 10^9 processes cannot be written out, but a fleet past the limit is refused before anything is built.
    let too_many = library::ping_fleet(2501, 100);
    assert_eq!(error_of(&too_many), "invalid scenario: 5002 processes is more than the simulator runs (at most 5000)");
    let busy = r#"{"version":1,"hosts":[{"name":"h","processes":[{"kind":"server","name":"r"},
        {"kind":"client","name":"c","target":"r","workload":{"interval_ms":0}}]}]}"#;
    assert!(error_of(busy).contains("client 'c': interval_ms must be between 1 and"));
    let no_ops = busy.replace(r#""interval_ms":0"#, r#""ops":[]"#);
    assert!(error_of(&no_ops).contains("ops needs at least one command"));
    let bad_op = busy.replace(r#""interval_ms":0"#, r#""ops":[{"command":"SET \"x"}]"#);
    assert!(error_of(&bad_op).contains("Invalid argument(s)"));
    assert!(error_of(&with_server("").replace("\"version\":1", "\"version\":1,\"duration_ms\":0"))
        .contains("duration_ms must be between"));
}

#[test]
fn config_errors_use_redis_words() {
    assert_eq!(
        error_of(&with_server(r#","config":{"hz":"abc"}"#)),
        "invalid scenario: process 'redis': config 'hz': argument couldn't be parsed into an integer"
    );
    assert!(error_of(&with_server(r#","config":{"maxmemory-polcy":"x"}"#))
        .contains("unknown or unmodelled config option 'maxmemory-polcy'"));
    // Numbers are accepted where Redis takes a number.
    assert!(Scenario::from_json(&with_server(r#","config":{"hz":100}"#)).is_ok());
}

#[test]
fn actions_naming_nothing_are_refused() {
    let crash_nobody = ONE_SERVER.replace(r#"]}]}"#, r#"]}],"actions":[{"at_ms":5,"do":"crash","process":"nobody"}]}"#);
    assert_eq!(error_of(&crash_nobody), "no process named 'nobody'");
    let no_time = ONE_SERVER.replace(r#"]}]}"#, r#"]}],"actions":[{"do":"heal"}]}"#);
    assert!(error_of(&no_time).contains("missing field `at_ms`"));
    let mut sim = one_server();
    assert_eq!(
        sim.act(Action::Crash { process: "ghost".into() }).unwrap_err(),
        SimError::UnknownProcess("ghost".into())
    );
    assert_eq!(sim.command("ghost", "PING").unwrap_err().to_string(), "no process named 'ghost'");
    assert_eq!(
        sim.act(Action::Partition { groups: vec![vec!["db".into()], vec!["mars".into()]] }).unwrap_err(),
        SimError::UnknownHost("mars".into())
    );
    let bad_link = Action::Link {
        from: "db".into(),
        to: "db".into(),
        latency_ms: None,
        jitter_ms: None,
        loss: Some(-1.0),
        symmetric: true,
    };
    assert!(sim.act(bad_link).unwrap_err().to_string().contains("loss must be a probability"));
    assert!(Action::from_json(r#"{"do":"explode"}"#).unwrap_err().to_string().contains("unknown variant `explode`"));
    assert!(sim.actions().is_empty(), "refused actions are not recorded");
}

#[test]
fn wrong_commands_get_redis_errors_and_empty_lines_nothing() {
    let mut sim = one_server();
    assert_eq!(cli(&mut sim, ""), "");
    assert_eq!(cli(&mut sim, "   "), "");
    assert_eq!(cli(&mut sim, "\"\""), "(error) ERR unknown command '', with args beginning with: ");
    assert_eq!(cli(&mut sim, "SET"), "(error) ERR wrong number of arguments for 'set' command");
}

#[test]
fn bad_sessions_are_refused() {
    assert!(Simulation::session_from_json("{}").err().unwrap().to_string().starts_with("invalid session:"));
    let mut sim = one_server();
    sim.run_until(SimTime(100));
    sim.command("redis", "SET a 1").unwrap();
    let mut session = sim.export_session();
    session.actions[0].t = 10_000_000;
    let json = redis_ha_sim::json::to_string(&session);
    assert!(Simulation::session_from_json(&json).err().unwrap().to_string().contains("after the session's end"));
}

/// Mutate valid inputs at random (seeded) and feed them to the loader and the console: every one must
/// give a result or an error, never a panic.
#[test]
fn fuzzed_scenarios_and_command_lines_never_panic() {
    let mut rng = Rng::new(2024);
    let base = library::get("standalone-crash").unwrap().as_bytes().to_vec();
    let alphabet = b"{}[]\",:0123456789-.eE \\'abcdefghijklmnopqrstuvwxyz_\n\x00\xff";
    let mut accepted = 0;
    for _ in 0..400 {
        let mut doc = base.clone();
        for _ in 0..1 + rng.below(4) {
            if doc.is_empty() {
                break;
            }
            let at = rng.below(doc.len() as u64) as usize;
            match rng.below(3) {
                0 => doc[at] = alphabet[rng.below(alphabet.len() as u64) as usize],
                1 => {
                    doc.remove(at);
                }
                _ => doc.truncate(at),
            }
        }
        let text = String::from_utf8_lossy(&doc);
        if let Ok(mut sim) = Simulation::from_json(&text, rng.next_u64()) {
            sim.run_until(SimTime(3_000));
            accepted += 1;
        }
    }
    assert!(accepted > 0, "some mutations are still valid scenarios and run");
    let mut sim = one_server();
    let words = [
        "SET",
        "GET",
        "INCR",
        "EXPIRE",
        "CONFIG",
        "SET",
        "KEYS",
        "\"",
        "'",
        "\\x4",
        "EX",
        "PX",
        "NX",
        "-1",
        "9223372036854775808",
        "*",
        "[",
        "GET",
        "INFO",
        "DEL",
    ];
    for _ in 0..2000 {
        let n = rng.below(6);
        let line: Vec<&str> = (0..n).map(|_| words[rng.below(words.len() as u64) as usize]).collect();
        let _ = sim.command("redis", &line.join(" ")).unwrap();
    }
}

#[test]
fn bad_sentinel_definitions_are_refused() {
    let sentinel = |monitor: &str| {
        format!(
            r#"{{"version":1,"hosts":[{{"name":"h","processes":[{{"kind":"server","name":"r"}},{{"kind":"sentinel","name":"s","monitor":[{monitor}]}}]}}]}}"#
        )
    };
    assert!(error_of(&sentinel(r#"{"name":"m","host":"10.0.0.1","quorum":0}"#)).contains("quorum must be 1 or greater"));
    assert!(error_of(&sentinel(r#"{"name":"m","host":"redis-host","quorum":1}"#)).contains("is not an IPv4 address"));
    assert!(
        error_of(&sentinel(r#"{"name":"m","host":"10.0.0.1","quorum":1,"down_after_ms":0}"#)).contains("down_after_ms")
    );
    assert!(error_of(&sentinel(
        r#"{"name":"m","host":"10.0.0.1","quorum":1},{"name":"m","host":"10.0.0.1","quorum":1}"#
    ))
    .contains("two masters named 'm'"));
    assert!(error_of(&sentinel("")).contains("monitors nothing"));
    assert!(
        error_of(&sentinel(r#"{"name":"m","host":"10.0.0.1","quorum":1,"quorm":2}"#)).contains("unknown field `quorm`")
    );
}
