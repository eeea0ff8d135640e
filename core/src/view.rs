//! Read-only views of the world at the current instant, for the page's topology and inspector. They are
//! built from the world and never change it; field names are camelCase for JavaScript.

use crate::json::{Json, ToJson};
use crate::process::ProcId;
use crate::world::{Node, World};

/// How many keys a process view shows (the inspector's "first keys").
pub const KEYS_SHOWN: usize = 20;

#[derive(Clone, Debug)]
pub struct WorldView {
    pub now: u64,
    pub hosts: Vec<HostView>,
    pub processes: Vec<ProcessView>,
    /// Cut directed links, as host-name pairs.
    pub cuts: Vec<(String, String)>,
    /// The network's parameters between hosts unless a link says otherwise.
    pub default_link: LinkView,
    /// Directed host pairs changed by a `link` action, each with its parameters.
    pub links: Vec<LinkView>,
}

/// One direction of a link between hosts (`from` and `to` empty for the network's default).
#[derive(Clone, Debug)]
pub struct LinkView {
    pub from: String,
    pub to: String,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Probability of losing a message, 0 to 1.
    pub loss: f64,
}

fn link_view(from: String, to: String, p: crate::net::LinkParams) -> LinkView {
    LinkView { from, to, latency_ms: p.latency_ms, jitter_ms: p.jitter_ms, loss: f64::from(p.loss_ppm) / 1_000_000.0 }
}

#[derive(Clone, Debug)]
pub struct HostView {
    pub name: String,
    pub ip: String,
    pub processes: Vec<ProcId>,
    pub powered: bool,
    /// The host's files: what survives a crash (all) and a power loss (the synced bytes).
    pub disk: Vec<FileView>,
}

#[derive(Clone, Debug)]
pub struct FileView {
    pub path: String,
    /// rdb, aof or manifest.
    pub kind: &'static str,
    pub bytes: u64,
    pub synced_bytes: u64,
    /// For an RDB: the keys it holds; for an AOF: the commands.
    pub entries: usize,
    /// For an AOF: bytes of a last command cut short.
    pub torn_bytes: u64,
}

#[derive(Clone, Debug)]
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
    /// For clients: requests sent and not yet answered; for a database: queries it is answering.
    pub in_flight: Option<usize>,
    /// For a database: the most queries it answers at once.
    pub capacity: Option<u32>,
    pub run_id: Option<String>,
    /// For clients with a read/write split: where reads go.
    pub read_target: Option<ProcId>,
    /// For clients that route by key: "slot" (a cluster) or "shard" (client-side sharding), and the servers
    /// they send to: the masters of their slot map, or their shards.
    pub route_by: Option<&'static str>,
    pub routes: Vec<ProcId>,
    /// For servers: replication ids, offsets and links.
    pub replication: Option<ReplicationView>,
    /// Whether the process's host has power.
    pub host_powered: bool,
    /// For sentinels: their view of each monitored master.
    pub sentinel: Option<SentinelView>,
}

#[derive(Clone, Debug)]
pub struct SentinelView {
    pub run_id: String,
    pub current_epoch: u64,
    pub masters: Vec<MonitoredView>,
}

#[derive(Clone, Debug)]
pub struct MonitoredView {
    pub name: String,
    /// The address this sentinel gives clients for the master.
    pub address: String,
    /// ok, sdown or odown.
    pub status: &'static str,
    pub quorum: u32,
    pub config_epoch: u64,
    pub failover_state: &'static str,
    /// Whom this sentinel voted for, in which epoch.
    pub voted_for: Option<String>,
    pub voted_epoch: u64,
    pub replicas: usize,
    pub other_sentinels: usize,
}

#[derive(Clone, Debug)]
pub struct ReplicationView {
    pub replid: String,
    pub replid2: String,
    pub offset: u64,
    /// For a replica: its master's address and process, and the link state as ROLE names it.
    pub master_address: Option<String>,
    pub master: Option<ProcId>,
    pub link: Option<&'static str>,
    pub replicas: Vec<ReplicaView>,
    pub backlog_histlen: Option<u64>,
    pub loading: bool,
}

#[derive(Clone, Debug)]
pub struct ReplicaView {
    pub id: ProcId,
    pub address: String,
    /// wait_bgsave, send_bulk or online.
    pub state: &'static str,
    pub ack_offset: u64,
    /// Bytes of stream the replica has not acknowledged yet.
    pub lag_bytes: u64,
    /// Milliseconds since its last ACK.
    pub last_ack_ms: u64,
}

#[derive(Clone, Debug)]
pub struct KeyView {
    pub key: String,
    pub value: String,
    /// Remaining time to live in ms, if the key has an expiry.
    pub ttl_ms: Option<u64>,
}

// Written as JSON with camelCase field names, for JavaScript.

impl ToJson for WorldView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("now", &self.now).field("hosts", &self.hosts).field("processes", &self.processes);
        o.field("cuts", &self.cuts).field("defaultLink", &self.default_link).field("links", &self.links);
    }
}

impl ToJson for LinkView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("from", &self.from).field("to", &self.to).field("latencyMs", &self.latency_ms);
        o.field("jitterMs", &self.jitter_ms).field("loss", &self.loss);
    }
}

impl ToJson for HostView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("name", &self.name).field("ip", &self.ip).field("processes", &self.processes);
        o.field("powered", &self.powered).field("disk", &self.disk);
    }
}

impl ToJson for FileView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("path", &self.path).field("kind", &self.kind).field("bytes", &self.bytes);
        o.field("syncedBytes", &self.synced_bytes).field("entries", &self.entries);
        o.field("tornBytes", &self.torn_bytes);
    }
}

impl ToJson for ProcessView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("id", &self.id).field("name", &self.name).field("host", &self.host).field("kind", &self.kind);
        o.field("address", &self.address).field("state", &self.state).field("role", &self.role);
        o.field("target", &self.target).field("dbsize", &self.dbsize).field("keys", &self.keys);
        o.field("inFlight", &self.in_flight).field("capacity", &self.capacity).field("runId", &self.run_id);
        o.field("readTarget", &self.read_target).field("routeBy", &self.route_by).field("routes", &self.routes);
        o.field("replication", &self.replication);
        o.field("hostPowered", &self.host_powered).field("sentinel", &self.sentinel);
    }
}

impl ToJson for SentinelView {
    fn write_json(&self, out: &mut Json) {
        out.object()
            .field("runId", &self.run_id)
            .field("currentEpoch", &self.current_epoch)
            .field("masters", &self.masters);
    }
}

impl ToJson for MonitoredView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("name", &self.name).field("address", &self.address).field("status", &self.status);
        o.field("quorum", &self.quorum).field("configEpoch", &self.config_epoch);
        o.field("failoverState", &self.failover_state).field("votedFor", &self.voted_for);
        o.field("votedEpoch", &self.voted_epoch).field("replicas", &self.replicas);
        o.field("otherSentinels", &self.other_sentinels);
    }
}

impl ToJson for ReplicationView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("replid", &self.replid).field("replid2", &self.replid2).field("offset", &self.offset);
        o.field("masterAddress", &self.master_address).field("master", &self.master).field("link", &self.link);
        o.field("replicas", &self.replicas).field("backlogHistlen", &self.backlog_histlen);
        o.field("loading", &self.loading);
    }
}

impl ToJson for ReplicaView {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("id", &self.id).field("address", &self.address).field("state", &self.state);
        o.field("ackOffset", &self.ack_offset).field("lagBytes", &self.lag_bytes);
        o.field("lastAckMs", &self.last_ack_ms);
    }
}

impl ToJson for KeyView {
    fn write_json(&self, out: &mut Json) {
        out.object().field("key", &self.key).field("value", &self.value).field("ttlMs", &self.ttl_ms);
    }
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
            powered: h.powered,
            disk: h
                .disk
                .files()
                .map(|(path, f)| {
                    let (kind, entries, torn_bytes) = match &f.content {
                        crate::disk::Content::Rdb(image) => ("rdb", image.data.len(), 0),
                        crate::disk::Content::Aof(log) => ("aof", log.commands.len(), log.torn_tail),
                        crate::disk::Content::Manifest(m) => ("manifest", 1 + m.incrs.len(), 0),
                        crate::disk::Content::ClusterConfig(c) => ("nodes.conf", c.nodes.len(), 0),
                    };
                    FileView { path: path.clone(), kind, bytes: f.size(), synced_bytes: f.synced, entries, torn_bytes }
                })
                .collect(),
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
                capacity: None,
                run_id: None,
                read_target: None,
                route_by: None,
                routes: Vec::new(),
                replication: None,
                host_powered: host.powered,
                sentinel: None,
            };
            match &p.node {
                Node::Server(s) => {
                    // A dead server is shown as what it was when it died (its memory, and so its role, are gone;
                    // a restart reads its configuration again).
                    v.role = Some(match p.state {
                        crate::trace::ProcState::Crashed => p.role_at_death.unwrap_or(s.role()),
                        _ => s.role(),
                    });
                    v.dbsize = Some(s.db.len());
                    v.run_id = Some(s.run_id.clone()).filter(|r| !r.is_empty());
                    let r = &s.repl;
                    v.replication = Some(ReplicationView {
                        replid: r.replid.clone(),
                        replid2: r.replid2.clone(),
                        offset: r.offset,
                        master_address: r.master.as_ref().map(|m| format!("{}:{}", m.host, m.port)),
                        master: r.master.as_ref().and_then(|m| world.resolve(&m.host, m.port)),
                        link: r.master.as_ref().map(|m| m.state.as_str()),
                        replicas: r
                            .replicas
                            .iter()
                            .map(|(id, l)| ReplicaView {
                                id: *id,
                                address: format!("{}:{}", l.ip, l.port),
                                state: l.state.as_str(),
                                ack_offset: l.ack_offset,
                                lag_bytes: r.offset.saturating_sub(l.ack_offset),
                                last_ack_ms: world.now().saturating_sub(l.last_ack),
                            })
                            .collect(),
                        backlog_histlen: r.backlog.as_ref().map(|b| b.histlen()),
                        loading: s.loading,
                    });
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
                Node::Reshard(_) => {}
                Node::Sentinel(s) => {
                    v.run_id = Some(s.run_id.clone()).filter(|r| !r.is_empty());
                    v.sentinel = Some(SentinelView {
                        run_id: s.run_id.clone(),
                        current_epoch: s.current_epoch,
                        masters: s
                            .masters
                            .values()
                            .map(|m| {
                                let (ip, port) = m.current_address();
                                MonitoredView {
                                    name: m.name.clone(),
                                    address: format!("{ip}:{port}"),
                                    status: if m.odown_since.is_some() {
                                        "odown"
                                    } else if m.inst.sdown_since.is_some() {
                                        "sdown"
                                    } else {
                                        "ok"
                                    },
                                    quorum: m.quorum,
                                    config_epoch: m.config_epoch,
                                    failover_state: m.failover_state.as_str(),
                                    voted_for: m.leader.clone(),
                                    voted_epoch: m.leader_epoch,
                                    replicas: m.replicas.len(),
                                    other_sentinels: m.sentinels.len(),
                                }
                            })
                            .collect(),
                    });
                }
                Node::Client(c) => {
                    v.target = Some(c.target);
                    v.read_target = c.read_target;
                    v.in_flight = Some(c.in_flight());
                    if let Some((by, routes)) = c.routes() {
                        v.route_by = Some(by);
                        v.routes = routes;
                    }
                }
                Node::Database(d) => {
                    v.in_flight = Some(d.in_flight());
                    v.capacity = Some(d.capacity);
                }
            }
            v
        })
        .collect();
    let cuts =
        world.network().cuts().map(|(a, b)| (world.hosts()[a].name.clone(), world.hosts()[b].name.clone())).collect();
    let net = world.network();
    let default_link = link_view(String::new(), String::new(), net.default);
    let links = net
        .links()
        .map(|((a, b), p)| link_view(world.hosts()[a].name.clone(), world.hosts()[b].name.clone(), p))
        .collect();
    WorldView { now: world.now().ms(), hosts, processes, cuts, default_link, links }
}
