//! The surface of Redis 7.0 the simulator leaves out must not look absent: every command a real server lists
//! (`COMMAND LIST`) and every parameter it has (`CONFIG GET *`) is either modelled or refused with the
//! simulator's own error, never with Redis's reply to a name it does not know; INFO prints a real server's
//! sections in its order, each with fields a real server prints, in its order.

use super::RealRedis;
use redis_ha_sim::cli::format_console_reply;
use redis_ha_sim::resp::Reply;
use redis_ha_sim::Simulation;
use redis_ha_sim_tests::real::real_redis_wanted;

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

fn bulks(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Array(items) => items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk string: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn simulated(config: &str) -> Simulation {
    Simulation::from_json(
        &format!(
            r#"{{"version":1,"hosts":[{{"name":"db","processes":[{{"kind":"server","name":"redis","config":{{"save":""{config}}}}}]}}]}}"#
        ),
        1,
    )
    .unwrap()
}

#[test]
fn redis_commands_and_parameters_not_modelled_are_not_taken_for_unknown_ones() {
    if !real_redis_wanted() {
        return;
    }
    let mut real = RealRedis::start_in_own_dir(&[]).expect("redis-server must be installed");
    let mut sim = simulated("");
    let mut wrong = Vec::new();
    // (Its `container|subcommand` names are not names one can type.)
    for name in bulks(&real.command(&words("COMMAND LIST"))).into_iter().filter(|n| !n.contains('|')) {
        let reply = sim.command("redis", &format!("{name} x")).unwrap();
        if reply.starts_with("(error) ERR unknown command") {
            wrong.push(format!("{name}: {reply}"));
        }
    }
    let real_config: Vec<String> = bulks(&real.command(&words("CONFIG GET *")));
    for pair in real_config.chunks(2) {
        let (name, value) = (&pair[0], &pair[1]);
        // A value the simulator states is a real server's (bind and port are the address, not a default).
        let get = vec![b"CONFIG".to_vec(), b"GET".to_vec(), name.as_bytes().to_vec()];
        let stated = sim.command("redis", &format!("CONFIG GET {name}")).unwrap();
        let real_get = format_console_reply(&get, &real.command(&get));
        if stated != "(empty array)" && stated != real_get && !["bind", "port", "dir"].contains(&name.as_str()) {
            wrong.push(format!("CONFIG GET {name}: {stated:?}, a real server {real_get:?}"));
        }
        // CONFIG SET with the value the real server has: refused as the real one refuses, or with the
        // simulator's own error, never as an unknown option.
        let args = vec![b"CONFIG".to_vec(), b"SET".to_vec(), name.as_bytes().to_vec(), value.as_bytes().to_vec()];
        let real_reply = format_console_reply(&args, &real.command(&args));
        let got = sim.command("redis", &format!("CONFIG SET {name} \"{value}\"")).unwrap();
        let unknown = got.contains("Unknown option");
        let refused_alike = !real_reply.contains("can't set") || got == real_reply;
        if unknown || !refused_alike {
            wrong.push(format!("CONFIG SET {name}: {got}; a real server: {real_reply}"));
        }
    }
    assert!(wrong.is_empty(), "{} differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// `(title, [field names])` per section of an INFO reply.
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
        match line.strip_prefix("# ") {
            Some(title) => out.push((title.to_string(), Vec::new())),
            None => out.last_mut().expect("a field before any section").1.push(line.to_string()),
        }
    }
    out
}

fn is_subsequence(short: &[&str], long: &[&str]) -> bool {
    let mut it = long.iter();
    short.iter().all(|s| it.any(|l| l == s))
}

/// Fields whose values must be a real server's too: what the mode and the (absent) memory limit say.
const SAME_VALUES: &[&str] =
    &["redis_version", "redis_mode", "cluster_enabled", "maxmemory", "maxmemory_human", "maxmemory_policy"];

#[test]
fn info_prints_a_real_servers_sections_and_fields_in_its_order() {
    if !real_redis_wanted() {
        return;
    }
    for cluster in [false, true] {
        let options: &[&str] = if cluster { &["--cluster-enabled", "yes"] } else { &[] };
        let mut real = RealRedis::start_in_own_dir(options).expect("redis-server must be installed");
        let mut sim = simulated(if cluster { r#","cluster-enabled":"yes""# } else { "" });
        // An error first, so that errorstats has a line.
        real.command(&words("NOSUCHCOMMAND"));
        sim.command("redis", "NOSUCHCOMMAND").unwrap();
        for line in [
            "INFO",
            "INFO default",
            "INFO all",
            "INFO everything",
            "INFO memory",
            "INFO cpu",
            "INFO modules",
            "INFO errorstats",
            "INFO cluster",
            "INFO server",
            "INFO stats",
            "INFO keyspace server",
        ] {
            let real_text = format_console_reply(&words(line), &real.command(&words(line)));
            let sim_text = sim.command("redis", line).unwrap();
            // Per-command statistics and latency percentiles are not modelled (they measure time spent).
            let real_sections: Vec<_> =
                sections(&real_text).into_iter().filter(|(t, _)| t != "Commandstats" && t != "Latencystats").collect();
            let sim_sections = sections(&sim_text);
            let titles = |s: &[(String, Vec<String>)]| s.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
            assert_eq!(titles(&sim_sections), titles(&real_sections), "{line} (cluster-enabled {cluster})");
            for ((title, sim_fields), (_, real_fields)) in sim_sections.iter().zip(&real_sections) {
                let name = |f: &String| f.split(':').next().unwrap().to_string();
                let sim_names: Vec<String> = sim_fields.iter().map(name).collect();
                let real_names: Vec<String> = real_fields.iter().map(name).collect();
                let (s, r): (Vec<&str>, Vec<&str>) =
                    (sim_names.iter().map(String::as_str).collect(), real_names.iter().map(String::as_str).collect());
                assert!(is_subsequence(&s, &r), "{line}, # {title}: {s:?} is not in the order of {r:?}");
                for f in sim_fields {
                    let n = name(f);
                    if SAME_VALUES.contains(&n.as_str()) || n.starts_with("errorstat_") {
                        assert!(real_fields.contains(f), "{line}: {f}, a real server {real_fields:?}");
                    }
                }
            }
        }
    }
}
