//! `core/scenarios/scenario.schema.json` against the code, so that the two cannot drift apart silently:
//! every scenario file in the repository matches the schema; every object the schema declares is exactly
//! what the serde types accept (all its properties, none missing from `required`, nothing unknown, the
//! documented defaults); the config options it lists are the ones the simulator models, with Redis's
//! defaults; and every action, expectation and process it describes loads in a real scenario.
//!
//! The schema uses a small part of draft 2020-12, and `validate` below checks exactly that part (a test
//! refuses any other validation keyword, so nothing is ignored by accident). `pattern` is documentation here.

use redis_ha_sim::scenario::{server_config, Scenario};
use redis_ha_sim::server::config::{canonical, ALIASES, OPTION_NAMES};
use redis_ha_sim::server::ServerConfig;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

fn schema() -> Value {
    let path = format!("{}/../core/scenarios/scenario.schema.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Follow a local `$ref` (`#/$defs/name`).
fn resolve<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("only local $defs refs: {r}"));
            resolve(root, &root["$defs"][name])
        }
        None => s,
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// The keywords `validate` understands, and the ones that only annotate.
const VALIDATION: &[&str] = &[
    "$ref",
    "type",
    "const",
    "enum",
    "anyOf",
    "oneOf",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
];
const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description", "default", "pattern"];

/// Errors of `v` against `s`, each with the JSON path where it happened.
fn validate(root: &Value, s: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let s = resolve(root, s);
    let err = |errors: &mut Vec<String>, m: String| errors.push(format!("{path}: {m}"));
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type keyword {t}"),
        };
        if !types.iter().any(|t| type_matches(t, v)) {
            err(errors, format!("{v} is not of type {t}"));
            return;
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            err(errors, format!("{v} is not {c}"));
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            err(errors, format!("{v} is not one of {e:?}"));
        }
    }
    let passes = |alt: &Value| {
        let mut e = Vec::new();
        validate(root, alt, v, path, &mut e);
        e
    };
    if let Some(alts) = s.get("anyOf").and_then(Value::as_array) {
        if alts.iter().all(|a| !passes(a).is_empty()) {
            err(errors, format!("{v} matches none of anyOf"));
        }
    }
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        let results: Vec<Vec<String>> = alts.iter().map(passes).collect();
        match results.iter().filter(|r| r.is_empty()).count() {
            1 => {}
            0 => {
                // Report the alternative that got furthest: the one with the fewest errors.
                let best = results.into_iter().min_by_key(Vec::len).unwrap_or_default();
                errors.extend(best);
            }
            n => err(errors, format!("matches {n} alternatives of oneOf")),
        }
    }
    if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
        if v.as_f64().is_some_and(|x| x < min) {
            err(errors, format!("{v} is less than {min}"));
        }
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        if v.as_f64().is_some_and(|x| x > max) {
            err(errors, format!("{v} is more than {max}"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                errors.push(format!("{path}: missing required property {r}"));
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => validate(root, ps, val, &format!("{path}.{k}"), errors),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: unknown property {k}"))
                }
                None => {}
            }
        }
    }
    if let Some(arr) = v.as_array() {
        let n = arr.len() as u64;
        if s.get("minItems").and_then(Value::as_u64).is_some_and(|m| n < m) {
            errors.push(format!("{path}: fewer than minItems items"));
        }
        if s.get("maxItems").and_then(Value::as_u64).is_some_and(|m| n > m) {
            errors.push(format!("{path}: more than maxItems items"));
        }
        let prefix = s.get("prefixItems").and_then(Value::as_array);
        for (i, item) in arr.iter().enumerate() {
            let p = format!("{path}[{i}]");
            match (prefix.and_then(|p| p.get(i)), s.get("items")) {
                (Some(ps), _) | (None, Some(ps)) => validate(root, ps, item, &p, errors),
                (None, None) => {}
            }
        }
    }
}

fn scenario_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["../core/scenarios", "scenarios"] {
        let dir = format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.to_string_lossy().ends_with(".schema.json"))
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).expect("readable");
            files.push((p.display().to_string(), text));
        }
    }
    files
}

#[test]
fn the_schema_uses_only_keywords_this_test_checks() {
    fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
        let Some(obj) = v.as_object() else { return };
        for (k, val) in obj {
            if !VALIDATION.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                bad.push(format!("{path}.{k}"));
            }
            match k.as_str() {
                // Maps from names to schemas.
                "properties" | "$defs" => {
                    for (name, sub) in val.as_object().into_iter().flatten() {
                        walk(sub, &format!("{path}.{k}.{name}"), bad);
                    }
                }
                "items" | "additionalProperties" => walk(val, &format!("{path}.{k}"), bad),
                "anyOf" | "oneOf" | "prefixItems" => {
                    for (i, sub) in val.as_array().into_iter().flatten().enumerate() {
                        walk(sub, &format!("{path}.{k}[{i}]"), bad);
                    }
                }
                _ => {}
            }
        }
    }
    let mut bad = Vec::new();
    walk(&schema(), "#", &mut bad);
    assert!(bad.is_empty(), "keywords the test does not check: {bad:?}");
}

#[test]
fn every_scenario_file_matches_the_schema() {
    let root = schema();
    let mut problems = Vec::new();
    for (path, text) in scenario_files() {
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut errors = Vec::new();
        validate(&root, &root, &v, "#", &mut errors);
        problems.extend(errors.into_iter().map(|e| format!("{path}: {e}")));
    }
    for (id, text) in redis_ha_sim::library::SCENARIOS {
        let mut errors = Vec::new();
        validate(&root, &root, &serde_json::from_str(text).expect("JSON"), "#", &mut errors);
        problems.extend(errors.into_iter().map(|e| format!("builtin:{id}: {e}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_validator_catches_what_the_loader_refuses() {
    let root = schema();
    let errors = |v: Value| {
        let mut e = Vec::new();
        validate(&root, &root, &v, "#", &mut e);
        e
    };
    let ok = json!({"version": 1, "hosts": [{"name": "h", "processes": [{"kind": "server", "name": "s"}]}]});
    assert_eq!(errors(ok.clone()), Vec::<String>::new());
    let mut typo = ok.clone();
    typo["hosts"][0]["processes"][0]["confg"] = json!({});
    assert!(errors(typo).iter().any(|e| e.contains("unknown property confg")));
    let mut action = ok.clone();
    action["actions"] = json!([{"at_ms": 5, "do": "crash"}]);
    assert!(errors(action).iter().any(|e| e.contains("missing required property process")));
    let heal = redis_ha_sim::Action::from_json(r#"{"do":"heal","groups":[]}"#);
    assert!(heal.is_err_and(|e| e.to_string().contains("heal takes no fields")));
    let mut option = ok;
    option["hosts"][0]["processes"][0]["config"] = json!({"appendfsync": "sometimes"});
    assert!(!errors(option).is_empty());
}

/// A sample value for a schema: the first of any choice, and every property of an object (`full`) or only
/// the required ones. `named` gives values for properties by name (for a scenario that must load).
fn sample(root: &Value, s: &Value, full: bool, named: &dyn Fn(&str, &Value) -> Option<Value>) -> Value {
    let s = resolve(root, s);
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return e[0].clone();
    }
    if let Some(alts) = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array) {
        return sample(root, &alts[0], full, named);
    }
    let t = match s.get("type") {
        Some(Value::Array(ts)) => ts[0].as_str().unwrap_or_default().to_string(),
        Some(Value::String(t)) => t.clone(),
        _ => panic!("no type to sample in {s}"),
    };
    let min = s.get("minimum").and_then(Value::as_u64).unwrap_or(0);
    match t.as_str() {
        "object" => Value::Object(object_sample(root, s, full, named)),
        "array" => match s.get("prefixItems").and_then(Value::as_array) {
            Some(items) => Value::Array(items.iter().map(|i| sample(root, i, full, named)).collect()),
            None => Value::Array(vec![sample(root, &s["items"], full, named)]),
        },
        "string" => json!("x"),
        "integer" => json!(min.max(1)),
        "number" => json!(0.5),
        "boolean" => json!(true),
        other => panic!("cannot sample {other}"),
    }
}

fn object_sample(
    root: &Value,
    s: &Value,
    full: bool,
    named: &dyn Fn(&str, &Value) -> Option<Value>,
) -> Map<String, Value> {
    let required = required(s);
    let mut out = Map::new();
    for (k, ps) in s["properties"].as_object().into_iter().flatten() {
        if full || required.contains(k) {
            let v = named(k, resolve(root, ps)).unwrap_or_else(|| sample(root, ps, full, named));
            out.insert(k.clone(), v);
        }
    }
    out
}

fn required(s: &Value) -> BTreeSet<String> {
    s.get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(String::from))
        .collect()
}

type Through = fn(&Value) -> Result<Value, String>;

/// Read as the type, then write back (to read the defaults the reader filled in).
macro_rules! through {
    ($t:ty) => {
        (|v: &Value| {
            let t = redis_ha_sim::decode::from_str::<$t>(&v.to_string())?;
            serde_json::from_str(&redis_ha_sim::json::to_string(&t)).map_err(|e| e.to_string())
        }) as Through
    };
}

/// Each object of the schema and the type that reads it.
fn types() -> Vec<(&'static str, Through)> {
    use redis_ha_sim::scenario as sc;
    vec![
        ("network", through!(sc::NetworkSpec)),
        ("link", through!(sc::LinkSpec)),
        ("host", through!(sc::HostSpec)),
        ("disk", through!(sc::DiskSpec)),
        ("process", through!(sc::ProcessSpec)),
        ("monitor", through!(redis_ha_sim::sentinel::MonitorSpec)),
        ("op", through!(redis_ha_sim::client::OpSpec)),
        ("workload", through!(redis_ha_sim::client::WorkloadSpec)),
        ("sentinelDiscovery", through!(sc::SentinelDiscoverySpec)),
        ("clusterClient", through!(sc::ClusterClientSpec)),
        ("cacheAside", through!(sc::CacheAsideSpec)),
        ("scriptedAction", through!(sc::ScriptedAction)),
        ("narration", through!(redis_ha_sim::lesson::Narration)),
        ("expectation", through!(redis_ha_sim::lesson::Expectation)),
    ]
}

#[test]
fn every_object_the_schema_declares_is_what_serde_accepts() {
    let root = schema();
    let none = |_: &str, _: &Value| None;
    let mut defs: Vec<(String, Value, Through)> = vec![("(scenario)".into(), root.clone(), through!(Scenario))];
    for (name, t) in types() {
        defs.push((name.into(), root["$defs"][name].clone(), t));
    }
    let declared: BTreeSet<&str> = root["$defs"].as_object().expect("$defs").keys().map(String::as_str).collect();
    let covered: BTreeSet<&str> = types().iter().map(|(n, _)| *n).chain(["config"]).collect();
    assert_eq!(declared, covered, "every $defs entry needs a serde type in this test");

    let mut problems = Vec::new();
    for (name, def, through) in defs {
        let alternatives = match def.get("oneOf").and_then(Value::as_array) {
            Some(alts) => alts.clone(),
            None => vec![def.clone()],
        };
        for alt in alternatives {
            let tag = alt["properties"]
                .as_object()
                .and_then(|p| ["kind", "do", "check"].iter().find_map(|k| p.get(*k)?.get("const")))
                .map(|c| format!("{name} {c}"))
                .unwrap_or(name.clone());
            let full = Value::Object(object_sample(&root, &alt, true, &none));
            let minimal = Value::Object(object_sample(&root, &alt, false, &none));
            if let Err(e) = through(&full) {
                problems.push(format!("{tag}: serde refuses every property the schema declares: {e}\n  {full}"));
            }
            match through(&minimal) {
                Err(e) => problems.push(format!("{tag}: serde refuses only the required properties: {e}\n  {minimal}")),
                Ok(back) => {
                    // Each documented default is what serde fills in.
                    for (k, ps) in alt["properties"].as_object().into_iter().flatten() {
                        let ps = resolve(&root, ps);
                        if let (Some(d), false) = (ps.get("default"), name == "config") {
                            // An optional the loader fills in later (a server's port) stays null in serde.
                            let later = tag == "process \"server\"" && k == "port";
                            if back.get(k) != Some(d) && !(later && back.get(k) == Some(&Value::Null)) {
                                problems
                                    .push(format!("{tag}.{k}: the schema's default is {d}, serde's {:?}", back.get(k)));
                            }
                        }
                    }
                }
            }
            for r in required(&alt) {
                let mut v = full.clone();
                v.as_object_mut().expect("object").remove(&r);
                if through(&v).is_ok() {
                    problems.push(format!("{tag}: the schema requires {r}, serde does not"));
                }
            }
            if alt.get("additionalProperties") == Some(&Value::Bool(false)) {
                let mut v = full.clone();
                v.as_object_mut().expect("object").insert("no_such_field".into(), json!(1));
                match through(&v) {
                    Ok(_) => problems.push(format!("{tag}: the schema refuses unknown properties, serde accepts them")),
                    // serde names the fields it knows ("expected one of `a`, `b`"): the schema must declare
                    // each (the tags and at_ms are read before serde sees the rest).
                    Err(e) => {
                        let known: BTreeSet<String> = e
                            .split_once("expected")
                            .map(|(_, list)| list.split('`').skip(1).step_by(2).map(String::from).collect())
                            .unwrap_or_default();
                        let declared: BTreeSet<String> = alt["properties"]
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(k, _)| k.clone())
                            .filter(|k| !["kind", "do", "check"].contains(&k.as_str()))
                            .filter(|k| !(name == "scriptedAction" && k == "at_ms"))
                            .collect();
                        if !known.is_empty() && known != declared {
                            problems.push(format!("{tag}: serde knows {known:?}, the schema declares {declared:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_config_options_are_the_modelled_ones_with_redis_defaults() {
    let root = schema();
    let props = root["$defs"]["config"]["properties"].as_object().expect("config properties");
    let in_schema: BTreeSet<&str> = props.keys().map(String::as_str).collect();
    let modelled: BTreeSet<&str> = OPTION_NAMES
        .iter()
        .copied()
        .filter(|n| *n != "port")
        .chain(ALIASES.iter().map(|(old, _)| *old))
        .chain(["replicaof"])
        .collect();
    assert_eq!(in_schema, modelled);
    let defaults = ServerConfig::default();
    for (name, ps) in props {
        let default = ps.get("default").and_then(Value::as_str);
        assert_eq!(default.map(String::from), defaults.get(canonical(name)), "default of {name}");
        assert!(ServerConfig::knows_at_startup(name), "{name}");
        if let Some(d) = default {
            let config = [(name.clone(), redis_ha_sim::scenario::ConfigValue::Text(d.into()))].into_iter().collect();
            server_config("s", 6379, &config).unwrap_or_else(|e| panic!("{name} {d}: {e}"));
        }
    }
}

/// Values that make a sample load as part of a real scenario: names that exist, kinds that fit.
fn named(kind: &str) -> impl Fn(&str, &Value) -> Option<Value> + '_ {
    move |prop: &str, s: &Value| {
        let list = s.get("type") == Some(&json!("array"));
        let v = match (kind, prop) {
            ("repoint", "process") => json!("app"),
            ("link" | "partition_one_way", "from") => json!("h1"),
            ("link" | "partition_one_way", "to") => json!("h2"),
            (_, "process" | "target" | "from") => json!("s1"),
            (_, "read_target" | "to") => json!("s2"),
            (_, "host") => json!("h1"),
            (_, "path") => json!("appendonlydir"),
            (_, "line" | "command") => json!("PING"),
            (_, "reply") => json!("PONG"),
            (_, "event") => json!("+switch-master"),
            (_, "nodes" | "seeds" | "shards") => json!(["s1", "s2", "s3"]),
            (_, "database") => json!("db"),
            (_, "groups") => json!([["h1"], ["h2"]]),
            (_, "sentinels") => json!(["sn"]),
            (_, "master_name") => json!("mymaster"),
            (_, "loss") => json!(0.1),
            _ => return None,
        };
        Some(if list && v.is_string() { json!([v]) } else { v })
    }
}

#[test]
fn every_action_expectation_and_process_the_schema_declares_loads_in_a_scenario() {
    let root = schema();
    let base = || {
        json!({"version": 1, "hosts": [
            {"name": "h1", "ip": "10.0.0.1", "processes": [
                {"kind": "server", "name": "s1"}, {"kind": "server", "name": "s2", "port": 6380},
                {"kind": "server", "name": "s3", "port": 6381},
                {"kind": "sentinel", "name": "sn", "monitor": [{"name": "mymaster", "host": "10.0.0.1", "quorum": 1}]}]},
            {"name": "h2", "ip": "10.0.0.2", "processes": [{"kind": "client", "name": "app", "target": "s1"},
                {"kind": "database", "name": "db"}]}]})
    };
    let mut problems = Vec::new();
    let mut check = |what: String, scenario: Value| {
        if let Err(e) = Scenario::from_json(&scenario.to_string()) {
            problems.push(format!("{what}: {e}\n  {scenario}"));
        }
    };
    for (list, def) in [("actions", "scriptedAction"), ("expect", "expectation")] {
        for alt in root["$defs"][def]["oneOf"].as_array().expect("oneOf") {
            let tag = alt["properties"]["do"]["const"].as_str().or(alt["properties"]["check"]["const"].as_str());
            let tag = tag.expect("a tag");
            let v = Value::Object(object_sample(&root, alt, true, &named(tag)));
            let mut s = base();
            s[list] = json!([v]);
            check(format!("{def} {tag}"), s);
        }
    }
    for alt in root["$defs"]["process"]["oneOf"].as_array().expect("oneOf") {
        let tag = alt["properties"]["kind"]["const"].as_str().expect("a kind");
        let mut v = Value::Object(object_sample(&root, alt, true, &named(tag)));
        v["name"] = json!("new");
        if tag == "server" {
            v["port"] = json!(7000);
            v["config"] = json!({"hz": 10});
        }
        if tag == "sentinel" {
            v["port"] = json!(26000);
            v["monitor"] = json!([{"name": "m", "host": "10.0.0.1", "port": 6379, "quorum": 2, "down_after_ms": 5000,
                                    "failover_timeout_ms": 10000, "parallel_syncs": 1}]);
        }
        let mut s = base();
        s["hosts"][1]["processes"].as_array_mut().expect("processes").push(v);
        s["narration"] = json!([Value::Object(object_sample(&root, &root["$defs"]["narration"], true, &named("")))]);
        check(format!("process {tag}"), s);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
