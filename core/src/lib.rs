//! redis-ha-sim: a deterministic simulator of Redis high availability.
//!
//! The core is a sans-IO discrete-event simulation: a [`World`](world::World) owns virtual time, an event
//! queue and one seeded random generator; processes (servers, clients) are state machines that react to one
//! input at a time and write their outputs to an outbox; every send, delivery, drop, timer, state change and
//! client request lands in a typed trace. No wall clock, no OS randomness, no I/O: the same scenario, seed and
//! actions give the same trace, natively and in WebAssembly.

pub mod action;
pub mod check;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod database;
pub mod decimal;
pub mod decode;
pub mod deploy;
pub mod disk;
pub mod error;
pub mod glob;
pub mod json;
pub mod lesson;
pub mod library;
pub mod mermaid;
pub mod net;
pub mod process;
pub mod queue;
pub mod resp;
pub mod rng;
pub mod scenario;
pub mod sentinel;
pub mod server;
pub mod sim;
pub mod sort;
pub mod text;
pub mod time;
pub mod trace;
pub mod vecmap;
pub mod view;
pub mod world;

pub use action::Action;
pub use error::{Result, SimError};
pub use scenario::Scenario;
pub use sim::{Session, Simulation};
pub use time::SimTime;

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
