//! Browser-only tests of the exported API (run with `wasm-pack test --headless --chrome web`): errors
//! cross as JS Errors with the core's message, bad input never panics, and a run gives the same trace
//! hash here as natively.
#![cfg(target_arch = "wasm32")]

use redis_ha_sim_web::Simulation;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    js_sys::Error::from(v).message().into()
}

fn standalone() -> &'static str {
    redis_ha_sim::library::get("standalone").expect("built in")
}

#[wasm_bindgen_test]
fn console_story_set_get_kill_restart() {
    let mut sim = Simulation::new(standalone(), 1.0).expect("valid");
    assert_eq!(sim.command("redis", "SET foo bar").expect("ok"), "OK");
    assert_eq!(sim.command("redis", "GET foo").expect("ok"), "\"bar\"");
    sim.inject(r#"{"do":"crash","process":"redis"}"#).expect("ok");
    assert_eq!(
        sim.command("redis", "GET foo").expect("ok"),
        "Could not connect to Redis at 10.0.0.1:6379: Connection refused"
    );
    sim.inject(r#"{"do":"restart","process":"redis"}"#).expect("ok");
    assert_eq!(sim.command("redis", "GET foo").expect("ok"), "(nil)");
}

#[wasm_bindgen_test]
fn errors_cross_as_js_errors_with_clear_messages() {
    assert!(message(Simulation::new("{", 1.0).err().expect("refused")).starts_with("invalid scenario JSON:"));
    assert!(
        message(Simulation::new(standalone(), -1.0).err().expect("refused")).starts_with("seed must be a whole number")
    );
    assert!(
        message(Simulation::new(standalone(), 0.5).err().expect("refused")).starts_with("seed must be a whole number")
    );
    let mut sim = Simulation::new(standalone(), 1.0).expect("valid");
    assert_eq!(message(sim.command("nobody", "PING").err().expect("refused")), "no process named 'nobody'");
    assert!(message(sim.inject("not json").err().expect("refused")).starts_with("invalid action:"));
    assert!(message(sim.run_until(f64::NAN).err().expect("refused")).starts_with("time must be"));
    assert!(message(Simulation::from_session("{}").err().expect("refused")).starts_with("invalid session:"));
}

#[wasm_bindgen_test]
fn views_and_deltas_are_plain_objects() {
    let mut sim = Simulation::new(standalone(), 3.0).expect("valid");
    sim.run_until(2_000.0).expect("ok");
    let snap = sim.snapshot().expect("ok");
    let processes = js_sys::Reflect::get(&snap, &"processes".into()).expect("field");
    assert_eq!(js_sys::Array::from(&processes).length(), 2);
    let all = js_sys::Array::from(&sim.events_since(0).expect("ok"));
    assert_eq!(all.length() as usize, sim.trace_len());
    let tail = js_sys::Array::from(&sim.events_since(sim.trace_len() - 3).expect("ok"));
    assert_eq!(tail.length(), 3);
}

#[wasm_bindgen_test]
fn a_session_round_trips_through_its_export() {
    let mut a = Simulation::new(standalone(), 9.0).expect("valid");
    a.run_until(1_500.0).expect("ok");
    a.inject(r#"{"do":"crash","process":"redis"}"#).expect("ok");
    a.run_until(3_000.0).expect("ok");
    let b = Simulation::from_session(&a.export_session()).expect("valid");
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.now(), b.now());
}

#[wasm_bindgen_test]
fn the_deployment_config_is_a_list_of_files() {
    let sentinel = redis_ha_sim::library::get("sentinel").expect("built in");
    let sim = Simulation::new(sentinel, 1.0).expect("valid");
    let files = js_sys::Array::from(&sim.deployment_config().expect("ok"));
    let field = |i: u32, name: &str| {
        js_sys::Reflect::get(&files.get(i), &name.into()).expect("field").as_string().expect("a string")
    };
    assert_eq!(
        (field(0, "host"), field(0, "process"), field(0, "file")),
        ("db1".into(), "redis-1".into(), "redis.conf".into())
    );
    assert!(field(0, "text").contains("\nport 6379\n"));
    assert!(field(1, "text").contains("sentinel monitor mymaster 10.0.0.1 6379 2\n"));
}
