//! Redis Cluster: 16384 hash slots spread over masters, each with replicas; every node gossips on the cluster
//! bus, detects failures with its peers, and a failed master's replica is voted in. Clients are redirected
//! with MOVED and ASK.

pub mod bus;
pub mod commands;
pub mod failover;
pub mod migrate;
pub mod reshard;
pub mod slot;
pub mod state;
