//! Read-only views of the world at the current instant, for the page's topology and inspector. They are
//! built from the world and never change it; field names are camelCase for JavaScript.

use crate::process::ProcId;
use crate::world::{Node, World};
use serde::Serialize;

/// How many keys a process view shows (the inspector's "first keys").
pub const KEYS_SHOWN: usize = 20;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorldView {
    pub now: u64,
    pub hosts: Vec<HostView>,
    pub processes: Vec<ProcessView>,
    /// Cut directed links, as host-name pairs.
    pub cuts: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostView {
    pub name: String,
    pub ip: String,
    pub processes: Vec<ProcId>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessView {
    pub id: ProcId,
    pub name: String,
    pub host: String,
    pub kind: &'static str,
    /// `ip:port` for servers.
    pub address: Option<String>,
    /// up, crashed or paused.
    pub state: &'static str,
    /// master / replica for servers.
    pub role: Option<&'static str>,
    /// For clients: the server they send to.
    pub target: Option<ProcId>,
    pub dbsize: Option<usize>,
    pub keys: Vec<KeyView>,
    /// For clients: requests sent and not yet answered.
    pub in_flight: Option<usize>,
    pub run_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub key: String,
    pub value: String,
    /// Remaining time to live in ms, if the key has an expiry.
    pub ttl_ms: Option<u64>,
}

pub fn world_view(world: &World) -> WorldView {
    let now_unix = world.epoch_unix_ms() + world.now().ms();
    let hosts = world
        .hosts()
        .iter()
        .map(|h| HostView {
            name: h.name.clone(),
            ip: h.ip.clone(),
            processes: h.procs.clone(),
        })
        .collect();
    let processes = world
        .procs()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let host = &world.hosts()[p.host];
            let mut v = ProcessView {
                id: ProcId(i as u32),
                name: p.name.clone(),
                host: host.name.clone(),
                kind: p.node.kind(),
                address: p.port.map(|port| format!("{}:{port}", host.ip)),
                state: p.state.as_str(),
                role: None,
                target: None,
                dbsize: None,
                keys: Vec::new(),
                in_flight: None,
                run_id: None,
            };
            match &p.node {
                Node::Server(s) => {
                    v.role = Some(s.role());
                    v.dbsize = Some(s.db.len());
                    v.run_id = Some(s.run_id.clone()).filter(|r| !r.is_empty());
                    v.keys =
                        s.db.iter()
                            .filter(|(k, _)| s.db.get(k, now_unix).is_some())
                            .take(KEYS_SHOWN)
                            .map(|(k, val)| KeyView {
                                key: String::from_utf8_lossy(k).into_owned(),
                                value: String::from_utf8_lossy(val).into_owned(),
                                ttl_ms: s.db.expire_at(k).map(|at| at.saturating_sub(now_unix)),
                            })
                            .collect();
                }
                Node::Client(c) => {
                    v.target = Some(c.target);
                    v.in_flight = Some(c.in_flight());
                }
            }
            v
        })
        .collect();
    let cuts = world
        .network()
        .cuts()
        .map(|(a, b)| (world.hosts()[a].name.clone(), world.hosts()[b].name.clone()))
        .collect();
    WorldView {
        now: world.now().ms(),
        hosts,
        processes,
        cuts,
    }
}
