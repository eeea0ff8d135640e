//! Redis Cluster. So far: the key → slot mapping every cluster client and node agrees on. The cluster bus,
//! failure detection, failover and resharding are the next steps (issue 6).

pub mod slot;
