//! CLUSTER commands, ASKING/READONLY/READWRITE, and the redirection rules every keyed command goes through
//! in cluster mode (MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN), with Redis's replies and words.

use super::bus::BusKind;
use super::slot::key_slot;
use super::state::{ClusterNode, ClusterState, STATS_NAMES, UNASSIGNED};
use crate::process::{Ctx, ProcId};
use crate::resp::Reply;
use crate::server::strings::{parse_i64, NOT_INTEGER};
use crate::server::{lookup, CommandSpec, Flags, Server};

/// The keys of a command, by its key spec in the command table (none for a command the server does not know).
pub fn command_keys(args: &[Vec<u8>]) -> Vec<&[u8]> {
    args.first().and_then(|name| lookup(name)).map_or_else(Vec::new, |spec| spec.keys(args))
}

impl Server {
    /// `getNodeByQuery`: may this node run the command, or must the client go elsewhere? In Redis's order:
    /// the first key's slot unserved, keys in different slots, the cluster down, then ASK or TRYAGAIN for a
    /// slot in migration, ASKING for an importing one, READONLY reads on a replica, and MOVED.
    pub(crate) fn cluster_redirect(
        &mut self,
        ctx: &Ctx<'_>,
        caller: Option<ProcId>,
        spec: &CommandSpec,
        args: &[Vec<u8>],
    ) -> Option<Reply> {
        let c = self.cluster.as_ref()?;
        let keys = spec.keys(args);
        let first = *keys.first()?;
        let slot = key_slot(first);
        let Some(owner) = c.owner(slot) else {
            return Some(Reply::err("CLUSTERDOWN Hash slot not served"));
        };
        let mut multiple_keys = false;
        for &k in &keys[1..] {
            if k != first {
                if key_slot(k) != slot {
                    return Some(Reply::err("CROSSSLOT Keys in request don't hash to the same slot"));
                }
                multiple_keys = true;
            }
        }
        let write = spec.flags.has(Flags::WRITE);
        if !c.ok {
            if !self.config.cluster_allow_reads_when_down {
                return Some(Reply::err("CLUSTERDOWN The cluster is down"));
            }
            if write {
                return Some(Reply::err("CLUSTERDOWN The cluster is down and only accepts read commands"));
            }
        }
        let migrating_to = if owner == c.myself { c.migrating.get(&slot) } else { None };
        let importing = migrating_to.is_none() && c.importing.contains_key(&slot);
        let now_unix = ctx.unix_ms();
        let missing = keys.iter().filter(|k| !self.db.contains(k, now_unix)).count();
        let addr = |id: &str| c.nodes.get(id).map_or(String::new(), |n| format!("{}:{}", n.ip, n.port));
        if let Some(target) = migrating_to {
            if missing > 0 && missing < keys.len() {
                return Some(Reply::err("TRYAGAIN Multiple keys request during rehashing of slot"));
            }
            if missing > 0 {
                return Some(Reply::err(format!("ASK {slot} {}", addr(target))));
            }
        }
        let asking = spec.name == "restore-asking" || self.asking.contains(&caller);
        if importing && asking {
            if multiple_keys && missing > 0 {
                return Some(Reply::err("TRYAGAIN Multiple keys request during rehashing of slot"));
            }
            return None;
        }
        let me = c.me();
        if !write && !me.flags.master && me.master.as_deref() == Some(owner) && self.readonly_clients.contains(&caller)
        {
            return None;
        }
        (owner != c.myself).then(|| Reply::err(format!("MOVED {slot} {}", addr(owner))))
    }

    /// The cluster configuration file: `nodes-<port>.conf`, as the exported redis.conf names it, so that
    /// nodes sharing a host keep one each.
    fn cluster_config_file(&self) -> String {
        format!("nodes-{}.conf", self.config.port)
    }

    /// Write nodes.conf (Redis fsyncs it): what lets a restarted node rejoin with its id, epochs and slots.
    pub(crate) fn save_cluster_config(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(c) = &self.cluster {
            let content = crate::disk::Content::ClusterConfig(std::rc::Rc::new((**c).clone()));
            ctx.disk.write_synced(&self.cluster_config_file(), content);
        }
    }

    /// At startup in cluster mode: the state from nodes.conf, or a new node with a new id.
    pub(crate) fn load_cluster_config(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.disk.get(&self.cluster_config_file()).map(|f| f.content.clone()) {
            Some(crate::disk::Content::ClusterConfig(saved)) => {
                let mut c = (*saved).clone();
                let now = ctx.now;
                for n in c.nodes.values_mut() {
                    n.ping_sent = None;
                    n.pong_received = now;
                    n.flags.pfail = false;
                    n.fail_reports.clear();
                    n.link_down = false;
                }
                // What nodes.conf does not hold: message counters and the FORGET blacklist start afresh.
                c.stats_sent = Default::default();
                c.stats_received = Default::default();
                c.blacklist = Default::default();
                c.handshakes.clear();
                c.size_cache = 1;
                c.failover = super::failover::Election::default();
                c.ok = false;
                c.evaluated_at = None;
                c.first_evaluation_ms = None;
                c.among_minority_ms = None;
                self.log(ctx, format!("Node configuration loaded, I'm {}", c.myself));
                let master = c.me().master.clone();
                self.cluster = Some(Box::new(c));
                if let Some(m) = master {
                    if let Some((ip, port)) =
                        self.cluster.as_ref().and_then(|c| c.nodes.get(&m)).map(|n| (n.ip.clone(), n.port))
                    {
                        self.set_master(ctx, ip, port, true);
                    }
                }
            }
            _ => {
                let id = ctx.rng.hex_id(40);
                self.log(ctx, format!("No cluster configuration found, I'm {id}"));
                self.cluster = Some(Box::new(ClusterState::new(id, self.ip.clone(), self.config.port, ctx.now)));
                self.save_cluster_config(ctx);
            }
        }
        self.cluster_update_myself_flags();
    }

    /// What `redis-cli --cluster create` leaves behind, applied to this node: every node known with its config
    /// epoch (1..N), masters with their slot ranges, replicas assigned to masters.
    pub fn cluster_adopt(&mut self, ctx: &mut Ctx<'_>, table: &[CreatedNode]) {
        let Some(c) = self.cluster.as_mut() else { return };
        let now = ctx.now;
        for t in table {
            if !c.nodes.contains_key(&t.id) {
                c.insert_node(ClusterNode::new(t.id.clone(), t.ip.clone(), t.port, t.master.is_none(), now));
            }
            let Some(n) = c.nodes.get_mut(&t.id) else { continue };
            n.flags.master = t.master.is_none();
            n.master = t.master.clone();
            n.config_epoch = t.config_epoch;
            n.pong_received = now;
        }
        for t in table {
            for &(a, b) in &t.slots {
                for s in a..=b {
                    c.set_owner(s, Some(&t.id));
                }
            }
        }
        c.current_epoch = table.iter().map(|t| t.config_epoch).max().unwrap_or(0);
        c.flags_gen += 1;
        let mine = table.iter().find(|t| t.id == c.myself).and_then(|t| t.master.clone());
        if let Some(m) = mine {
            let (ip, port) = c.nodes.get(&m).map(|n| (n.ip.clone(), n.port)).unwrap_or_default();
            self.set_master(ctx, ip, port, true);
        }
        self.update_cluster_state(ctx);
        self.save_cluster_config(ctx);
    }
}

/// One node of a cluster being created.
#[derive(Clone, Debug)]
pub struct CreatedNode {
    pub id: String,
    pub ip: String,
    pub port: u16,
    pub master: Option<String>,
    pub slots: Vec<(u16, u16)>,
    pub config_epoch: u64,
}

/// Redis 7.0's CLUSTER subcommands and their arities (`commands.def`): an unknown one or a wrong count is
/// refused before the command runs, even on a node without cluster support.
const SUBCOMMANDS: &[(&str, i64)] = &[
    ("addslots", -3),
    ("addslotsrange", -4),
    ("bumpepoch", 2),
    ("count-failure-reports", 3),
    ("countkeysinslot", 3),
    ("delslots", -3),
    ("delslotsrange", -4),
    ("failover", -2),
    ("flushslots", 2),
    ("forget", 3),
    ("getkeysinslot", 4),
    ("help", 2),
    ("info", 2),
    ("keyslot", 3),
    ("links", 2),
    ("meet", -4),
    ("myid", 2),
    ("nodes", 2),
    ("replicas", 3),
    ("replicate", 3),
    ("reset", -2),
    ("saveconfig", 2),
    ("set-config-epoch", 3),
    ("setslot", -4),
    ("shards", 2),
    ("slaves", 3),
    ("slots", 2),
];

/// CLUSTER HELP's lines after its first (Redis 7.0's text).
const HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "HELP",
    "    Prints this help.",
];

/// `getSlotOrReply`.
fn parse_slot(arg: &[u8]) -> Result<u16, Reply> {
    match parse_i64(arg) {
        Some(s) if (0..16384).contains(&s) => Ok(s as u16),
        _ => Err(Reply::err("ERR Invalid or out of range slot")),
    }
}

fn parse_int(arg: &[u8]) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(|| Reply::err(NOT_INTEGER))
}

fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

/// `addReplySubcommandSyntaxError`: a known subcommand with a count of arguments it does not take.
fn subcommand_syntax_error(args: &[Vec<u8>]) -> Reply {
    Reply::err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLUSTER HELP.",
        text(&args[1])
    ))
}

/// CLUSTER <subcommand> ...
pub fn cluster(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let sub = text(&args[1]).to_ascii_lowercase();
    let Some(&(name, arity)) = SUBCOMMANDS.iter().find(|(n, _)| *n == sub) else {
        return Reply::err(format!("ERR unknown subcommand '{}'. Try CLUSTER HELP.", text(&args[1])));
    };
    let arity_ok = if arity >= 0 { args.len() as i64 == arity } else { args.len() as i64 >= -arity };
    if !arity_ok {
        return Reply::err(format!("ERR wrong number of arguments for 'cluster|{name}' command"));
    }
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    let result = match name {
        "help" => Ok(help()),
        "myid" => Ok(Reply::bulk(&cluster_state(server).myself)),
        "info" => Ok(Reply::Bulk(info_text(cluster_state(server)).into_bytes())),
        "nodes" => Ok(Reply::Bulk(nodes_text(server, ctx).into_bytes())),
        "slots" => Ok(slots_reply(cluster_state(server))),
        "shards" => Ok(shards_reply(server)),
        "links" => Ok(links_reply(cluster_state(server), ctx)),
        "keyslot" => Ok(Reply::Int(i64::from(key_slot(&args[2])))),
        "countkeysinslot" => count_keys_in_slot(server, args),
        "getkeysinslot" => get_keys_in_slot(server, args),
        "replicas" | "slaves" => replicas(server, ctx, args),
        "count-failure-reports" => count_failure_reports(server, ctx, args),
        "addslots" | "delslots" | "addslotsrange" | "delslotsrange" => assign_slots(server, ctx, name, args),
        "flushslots" => flush_slots(server, ctx),
        "meet" => meet(server, ctx, args),
        "forget" => forget(server, ctx, args),
        "replicate" => replicate(server, ctx, args),
        "failover" => failover(server, ctx, args),
        "setslot" => setslot(server, ctx, args),
        "set-config-epoch" => set_config_epoch(server, ctx, args),
        "bumpepoch" => Ok(bump_epoch(server, ctx)),
        "saveconfig" => {
            server.save_cluster_config(ctx);
            Ok(Reply::ok())
        }
        _ => reset(server, ctx, args),
    };
    result.unwrap_or_else(|e| e)
}

fn cluster_state(server: &Server) -> &ClusterState {
    server.cluster.as_deref().unwrap_or_else(|| unreachable!("checked by cluster()"))
}

fn cluster_state_mut(server: &mut Server) -> &mut ClusterState {
    server.cluster.as_deref_mut().unwrap_or_else(|| unreachable!("checked by cluster()"))
}

fn help() -> Reply {
    let mut lines = vec![Reply::Status("CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into())];
    lines.extend(HELP.iter().map(|l| Reply::Status(l.to_string())));
    Reply::Array(lines)
}

fn info_text(c: &ClusterState) -> String {
    let (mut assigned, mut pfail, mut fail) = (0, 0, 0);
    for &o in c.slots.iter().filter(|&&o| o != UNASSIGNED) {
        assigned += 1;
        match c.nodes.get(&c.ids[o as usize]) {
            Some(n) if n.flags.fail => fail += 1,
            Some(n) if n.flags.pfail => pfail += 1,
            _ => {}
        }
    }
    let mut text = format!(
        "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{}\r\ncluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n",
        if c.ok { "ok" } else { "fail" },
        assigned - pfail - fail,
        c.nodes.len(),
        c.size_cache,
        c.current_epoch,
        c.node_epoch(c.me()),
    );
    // Per message type (only the types seen), then the total: sent first, then received.
    for (counts, way) in [(&c.stats_sent, "sent"), (&c.stats_received, "received")] {
        for (name, n) in STATS_NAMES.iter().zip(counts.iter()).filter(|(_, n)| **n > 0) {
            text.push_str(&format!("cluster_stats_messages_{name}_{way}:{n}\r\n"));
        }
        text.push_str(&format!("cluster_stats_messages_{way}:{}\r\n", counts.iter().sum::<u64>()));
    }
    text.push_str("total_cluster_links_buffer_limit_exceeded:0\r\n");
    text
}

fn nodes_text(server: &Server, ctx: &Ctx<'_>) -> String {
    let c = cluster_state(server);
    let unix = |t: crate::time::SimTime| ctx.epoch_unix_ms + t.ms();
    let mut text = String::new();
    for n in c.nodes.values() {
        text.push_str(&c.nodes_line(n, &unix));
        text.push('\n');
    }
    text
}

/// `isReplicaAvailable`: CLUSTER SLOTS lists replicas that are not FAIL and have some data.
fn replica_available(r: &ClusterNode) -> bool {
    !r.flags.fail && r.repl_offset != 0
}

fn slots_reply(c: &ClusterState) -> Reply {
    // Each node: ip, port, id, and a map of other endpoints (none here: an empty array in RESP2).
    let node = |n: &ClusterNode| {
        Reply::Array(vec![Reply::bulk(&n.ip), Reply::Int(i64::from(n.port)), Reply::bulk(&n.id), Reply::Array(vec![])])
    };
    let mut out = Vec::new();
    for m in c.nodes.values().filter(|n| n.flags.master) {
        for (a, b) in c.ranges_of(&m.id) {
            let mut entry = vec![Reply::Int(i64::from(a)), Reply::Int(i64::from(b)), node(m)];
            entry.extend(c.replicas_of(&m.id).into_iter().filter(|r| replica_available(r)).map(node));
            out.push((a, Reply::Array(entry)));
        }
    }
    crate::sort::sort_by_key(&mut out, |(a, _)| *a);
    Reply::Array(out.into_iter().map(|(_, r)| r).collect())
}

fn shards_reply(server: &Server) -> Reply {
    let c = cluster_state(server);
    // Our own offset is the server's; others' are what they last advertised.
    let offset = |n: &ClusterNode| if n.id == c.myself { server.repl.offset } else { n.repl_offset };
    let node_entry = |n: &ClusterNode| {
        let replica = !n.flags.master;
        let health = match () {
            _ if n.flags.fail => "fail",
            _ if replica && offset(n) == 0 => "loading",
            _ => "online",
        };
        Reply::Array(vec![
            Reply::bulk("id"),
            Reply::bulk(&n.id),
            Reply::bulk("port"),
            Reply::Int(i64::from(n.port)),
            Reply::bulk("ip"),
            Reply::bulk(&n.ip),
            Reply::bulk("endpoint"),
            Reply::bulk(&n.ip),
            Reply::bulk("role"),
            Reply::bulk(if replica { "replica" } else { "master" }),
            Reply::bulk("replication-offset"),
            Reply::Int(offset(n) as i64),
            Reply::bulk("health"),
            Reply::bulk(health),
        ])
    };
    let mut shards = Vec::new();
    for m in c.nodes.values().filter(|n| n.flags.master) {
        let ranges = c.ranges_of(&m.id);
        let slots = ranges.iter().flat_map(|&(a, b)| [Reply::Int(i64::from(a)), Reply::Int(i64::from(b))]).collect();
        let mut nodes = vec![node_entry(m)];
        nodes.extend(c.replicas_of(&m.id).into_iter().map(node_entry));
        let first = ranges.first().map_or(u16::MAX, |r| r.0);
        shards.push((
            first,
            Reply::Array(vec![Reply::bulk("slots"), Reply::Array(slots), Reply::bulk("nodes"), Reply::Array(nodes)]),
        ));
    }
    // Redis lists shards in its hash table's order; by first slot reads best.
    crate::sort::sort_by_key(&mut shards, |(first, _)| *first);
    Reply::Array(shards.into_iter().map(|(_, r)| r).collect())
}

/// CLUSTER LINKS: an outbound and an inbound link with every node whose process is up. The simulator
/// keeps no link objects: their creation time is when we last heard from the node, and buffers are empty.
fn links_reply(c: &ClusterState, ctx: &Ctx<'_>) -> Reply {
    let mut links = Vec::new();
    for n in c.nodes.values().filter(|n| n.id != c.myself && !n.link_down) {
        for direction in ["to", "from"] {
            links.push(Reply::Array(vec![
                Reply::bulk("direction"),
                Reply::bulk(direction),
                Reply::bulk("node"),
                Reply::bulk(&n.id),
                Reply::bulk("create-time"),
                Reply::Int((ctx.epoch_unix_ms + n.pong_received.ms()) as i64),
                Reply::bulk("events"),
                Reply::bulk("r"),
                Reply::bulk("send-buffer-allocated"),
                Reply::Int(0),
                Reply::bulk("send-buffer-used"),
                Reply::Int(0),
            ]));
        }
    }
    Reply::Array(links)
}

fn keys_in_slot(server: &Server, slot: u16) -> impl Iterator<Item = &Vec<u8>> {
    server.db.keys().filter(move |k| key_slot(k) == slot)
}

fn count_keys_in_slot(server: &Server, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let slot = parse_int(&args[2])?;
    if !(0..16384).contains(&slot) {
        return Err(Reply::err("ERR Invalid slot"));
    }
    Ok(Reply::Int(keys_in_slot(server, slot as u16).count() as i64))
}

fn get_keys_in_slot(server: &Server, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let (slot, count) = (parse_int(&args[2])?, parse_int(&args[3])?);
    if !(0..16384).contains(&slot) || count < 0 {
        return Err(Reply::err("ERR Invalid slot or number of keys"));
    }
    let keys = keys_in_slot(server, slot as u16).take(count as usize).map(Reply::bulk).collect();
    Ok(Reply::Array(keys))
}

/// A node named in an argument, or Redis's `Unknown node <id>`.
fn known_node<'a>(c: &'a ClusterState, arg: &[u8]) -> Result<&'a ClusterNode, Reply> {
    let id = text(arg);
    c.nodes.get(&id).ok_or_else(|| Reply::err(format!("ERR Unknown node {id}")))
}

fn replicas(server: &Server, ctx: &Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let c = cluster_state(server);
    let n = known_node(c, &args[2])?;
    if !n.flags.master {
        return Err(Reply::err("ERR The specified node is not a master"));
    }
    let unix = |t: crate::time::SimTime| ctx.epoch_unix_ms + t.ms();
    Ok(Reply::Array(c.replicas_of(&n.id).into_iter().map(|r| Reply::bulk(c.nodes_line(r, &unix))).collect()))
}

fn count_failure_reports(server: &Server, ctx: &Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let c = cluster_state(server);
    let n = known_node(c, &args[2])?;
    Ok(Reply::Int(c.failure_reports(&n.id, ctx.now, server.cluster_node_timeout()) as i64))
}

/// ADDSLOTS, DELSLOTS, ADDSLOTSRANGE, DELSLOTSRANGE: every argument parsed, then every slot checked (busy,
/// unassigned, given twice) before any changes.
fn assign_slots(server: &mut Server, ctx: &mut Ctx<'_>, name: &str, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let delete = name.starts_with("del");
    let mut ranges = Vec::new();
    if name.ends_with("range") {
        if args.len() % 2 != 0 {
            return Err(Reply::err(format!("ERR wrong number of arguments for 'cluster|{name}' command")));
        }
        for pair in args[2..].chunks(2) {
            let (a, b) = (parse_slot(&pair[0])?, parse_slot(&pair[1])?);
            if a > b {
                return Err(Reply::err(format!("ERR start slot number {a} is greater than end slot number {b}")));
            }
            ranges.push((a, b));
        }
    } else {
        for a in &args[2..] {
            parse_slot(a)?;
        }
        ranges.extend(args[2..].iter().filter_map(|a| parse_slot(a).ok()).map(|s| (s, s)));
    }
    let c = cluster_state_mut(server);
    let mut given = crate::vecmap::VecSet::new();
    for &(a, b) in &ranges {
        for s in a..=b {
            match c.owner(s) {
                None if delete => return Err(Reply::err(format!("ERR Slot {s} is already unassigned"))),
                Some(_) if !delete => return Err(Reply::err(format!("ERR Slot {s} is already busy"))),
                _ => {}
            }
            if !given.insert(s) {
                return Err(Reply::err(format!("ERR Slot {s} specified multiple times")));
            }
        }
    }
    let me = c.myself.clone();
    for s in given.iter().copied() {
        c.importing.remove(&s);
        c.set_owner(s, if delete { None } else { Some(&me) });
    }
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

fn flush_slots(server: &mut Server, ctx: &mut Ctx<'_>) -> Result<Reply, Reply> {
    if !server.db.is_empty() {
        return Err(Reply::err("ERR DB must be empty to perform CLUSTER FLUSHSLOTS."));
    }
    let c = cluster_state_mut(server);
    for s in c.slots_of(&c.myself.clone()) {
        c.set_owner(s, None);
    }
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

/// CLUSTER MEET <ip> <port> [<bus-port>]: Redis answers OK to any valid address and starts a handshake in
/// the background; here the MEET goes out at once to a node listening there (none: nothing happens, where
/// Redis would show a handshake node for a node timeout).
fn meet(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    if args.len() > 5 {
        return Err(subcommand_syntax_error(args));
    }
    let port = parse_i64(&args[3])
        .ok_or_else(|| Reply::err(format!("ERR Invalid TCP base port specified: {}", text(&args[3]))))?;
    let bus_port = match args.get(4) {
        Some(a) => {
            parse_i64(a).ok_or_else(|| Reply::err(format!("ERR Invalid TCP bus port specified: {}", text(a))))?
        }
        None => port + 10000,
    };
    let ip = text(&args[2]);
    let valid_ip = ip.parse::<std::net::IpAddr>().is_ok();
    if !valid_ip || !(1..=65535).contains(&port) || !(1..=65535).contains(&bus_port) {
        return Err(Reply::err(format!("ERR Invalid node address specified: {ip}:{}", text(&args[3]))));
    }
    let Some(pid) = ctx.resolve(&ip, port as u16) else { return Ok(Reply::ok()) };
    // The MEET goes out with our header; the other node adds us and answers, and we learn its id.
    let msg = {
        let c = cluster_state_mut(server);
        c.stats_sent[BusKind::Meet.stats_index()] += 1;
        let me = c.me();
        super::bus::BusMsg {
            kind: BusKind::Meet,
            sender: me.id.clone(),
            ip: me.ip.clone(),
            port: me.port,
            current_epoch: c.current_epoch,
            config_epoch: me.config_epoch,
            is_master: me.flags.master,
            master: me.master.clone(),
            slots: std::rc::Rc::new(c.slots_of(&me.id)),
            nofailover: me.flags.nofailover,
            offset: server.repl.offset,
            force_ack: false,
            gossip: Vec::new(),
        }
    };
    ctx.out.send(pid, crate::process::Message::Bus(std::rc::Rc::new(msg)));
    let c = cluster_state_mut(server);
    let port = port as u16;
    if !c.handshakes.iter().any(|(i, p)| *i == ip && *p == port) {
        c.handshakes.push((ip, port));
    }
    Ok(Reply::ok())
}

/// How long a forgotten node stays out of the gossip (CLUSTER_BLACKLIST_TTL).
const FORGET_TTL_MS: u64 = 60_000;

fn forget(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let c = cluster_state_mut(server);
    let id = known_node(c, &args[2])?.id.clone();
    if id == c.myself {
        return Err(Reply::err("ERR I tried hard but I can't forget myself..."));
    }
    if c.me().master.as_deref() == Some(id.as_str()) && !c.me().flags.master {
        return Err(Reply::err("ERR Can't forget my master!"));
    }
    let now = ctx.now;
    c.blacklist.retain(|_, until| *until > now);
    c.blacklist.insert(id.clone(), now + FORGET_TTL_MS);
    c.remove_node(&id);
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

fn replicate(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let c = cluster_state(server);
    let n = known_node(c, &args[2])?;
    if n.id == c.myself {
        return Err(Reply::err("ERR Can't replicate myself"));
    }
    if !n.flags.master {
        return Err(Reply::err("ERR I can only replicate a master, not a replica."));
    }
    if c.me().flags.master && (c.serves_slots(&c.myself) || !server.db.is_empty()) {
        return Err(Reply::err("ERR To set a master the node must be empty and without assigned slots."));
    }
    let id = n.id.clone();
    server.cluster_set_my_master(ctx, &id);
    Ok(Reply::ok())
}

fn failover(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args));
    }
    let (force, takeover) = match args.get(2).map(|a| text(a).to_ascii_lowercase()).as_deref() {
        None => (false, false),
        Some("force") => (true, false),
        Some("takeover") => (true, true),
        Some(_) => return Err(Reply::err("ERR syntax error")),
    };
    let c = cluster_state(server);
    if c.me().flags.master {
        return Err(Reply::err("ERR You should send CLUSTER FAILOVER to a replica"));
    }
    let Some(master) = c.me().master.as_ref().and_then(|m| c.nodes.get(m)) else {
        return Err(Reply::err("ERR I'm a replica but my master is unknown to me"));
    };
    if !force && (master.flags.fail || master.link_down) {
        return Err(Reply::err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE"));
    }
    server.start_manual_failover(ctx, force, takeover);
    Ok(Reply::ok())
}

fn setslot(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    if !cluster_state(server).me().flags.master {
        return Err(Reply::err("ERR Please use SETSLOT only with masters."));
    }
    let slot = parse_slot(&args[2])?;
    let action = text(&args[3]).to_ascii_lowercase();
    let c = cluster_state(server);
    let me = c.myself.clone();
    let mine = c.owner(slot) == Some(me.as_str());
    // The node named, which must be a master; `unknown` is the error when no such node is known.
    let target = |unknown: &str| -> Result<String, Reply> {
        let id = text(&args[4]);
        match c.nodes.get(&id) {
            None => Err(Reply::err(format!("ERR {unknown} {id}"))),
            Some(n) if !n.flags.master => Err(Reply::err("ERR Target node is not a master")),
            Some(n) => Ok(n.id.clone()),
        }
    };
    let keys_held = keys_in_slot(server, slot).next().is_some();
    match (action.as_str(), args.len()) {
        ("migrating", 5) => {
            if !mine {
                return Err(Reply::err(format!("ERR I'm not the owner of hash slot {slot}")));
            }
            let to = target("I don't know about node")?;
            cluster_state_mut(server).migrating.insert(slot, to);
        }
        ("importing", 5) => {
            if mine {
                return Err(Reply::err(format!("ERR I'm already the owner of hash slot {slot}")));
            }
            let from = target("I don't know about node")?;
            cluster_state_mut(server).importing.insert(slot, from);
        }
        ("stable", 4) => {
            let c = cluster_state_mut(server);
            c.migrating.remove(&slot);
            c.importing.remove(&slot);
        }
        ("node", 5) => {
            let to = target("Unknown node")?;
            if mine && to != me && keys_held {
                return Err(Reply::err(format!(
                    "ERR Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."
                )));
            }
            let c = cluster_state_mut(server);
            if !keys_held {
                c.migrating.remove(&slot);
            }
            c.set_owner(slot, Some(&to));
            if mine && to != me && !c.serves_slots(&me) {
                // A master left without slots follows the node that took the last one.
                server.log(ctx, format!("Configuration change detected. Reconfiguring myself as a replica of {to}"));
                server.cluster_set_my_master(ctx, &to);
            } else if to == me && c.importing.remove(&slot).is_some() {
                // The importing node closes the migration with a new configEpoch, so its claim wins.
                if c.bump_config_epoch() {
                    server.log(ctx, format!("configEpoch updated after importing slot {slot}"));
                }
                server.bus_broadcast(ctx, BusKind::Pong);
            }
        }
        _ => return Err(Reply::err("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")),
    }
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

fn set_config_epoch(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let epoch = parse_int(&args[2])?;
    let c = cluster_state_mut(server);
    if epoch < 0 {
        return Err(Reply::err(format!("ERR Invalid config epoch specified: {epoch}")));
    }
    if c.nodes.len() > 1 {
        return Err(Reply::err(
            "ERR The user can assign a config epoch only when the node does not know any other node.",
        ));
    }
    if c.me().config_epoch != 0 {
        return Err(Reply::err("ERR Node config epoch is already non-zero"));
    }
    c.me_mut().config_epoch = epoch as u64;
    c.current_epoch = c.current_epoch.max(epoch as u64);
    server.log(ctx, format!("configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH"));
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

fn bump_epoch(server: &mut Server, ctx: &mut Ctx<'_>) -> Reply {
    let c = cluster_state_mut(server);
    let bumped = c.bump_config_epoch();
    let epoch = c.me().config_epoch;
    if bumped {
        server.save_cluster_config(ctx);
    }
    Reply::Status(format!("{} {epoch}", if bumped { "BUMPED" } else { "STILL" }))
}

/// CLUSTER RESET [HARD|SOFT]: forget every other node and every slot; a replica becomes an empty master;
/// HARD also takes a new id and sets the epochs to 0.
fn reset(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args));
    }
    let hard = match args.get(2).map(|a| text(a).to_ascii_lowercase()).as_deref() {
        None | Some("soft") => false,
        Some("hard") => true,
        Some(_) => return Err(Reply::err("ERR syntax error")),
    };
    let c = cluster_state(server);
    let was_master = c.me().flags.master;
    if was_master && !server.db.is_empty() {
        return Err(Reply::err("ERR CLUSTER RESET can't be called with master nodes containing keys"));
    }
    let (ip, port) = (c.me().ip.clone(), c.me().port);
    let (id, current_epoch, config_epoch, last_vote_epoch) = if hard {
        (ctx.rng.hex_id(40), 0, 0, 0)
    } else {
        (c.myself.clone(), c.current_epoch, c.me().config_epoch, c.last_vote_epoch)
    };
    let mut fresh = ClusterState::new(id.clone(), ip, port, ctx.now);
    fresh.current_epoch = current_epoch;
    fresh.last_vote_epoch = last_vote_epoch;
    fresh.me_mut().config_epoch = config_epoch;
    // What clusterReset leaves as it was: the message counters, the FORGET blacklist, the state until it is
    // evaluated again (at once: the 2 s a master waits after starting are long gone).
    fresh.stats_sent = c.stats_sent;
    fresh.stats_received = c.stats_received;
    fresh.blacklist = c.blacklist.clone();
    fresh.ok = c.ok;
    fresh.size_cache = c.size_cache;
    fresh.first_evaluation_ms = c.first_evaluation_ms;
    fresh.among_minority_ms = c.among_minority_ms;
    server.cluster = Some(Box::new(fresh));
    if !was_master {
        server.unset_master(ctx);
        server.db.clear();
    }
    if hard {
        server.log(ctx, "configEpoch set to 0 via CLUSTER RESET HARD");
        server.log(ctx, format!("Node hard reset, now I'm {id}"));
    }
    server.update_cluster_state(ctx);
    server.save_cluster_config(ctx);
    Ok(Reply::ok())
}

pub fn asking(server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    server.asking.insert(server.current.map(|(p, _)| p));
    Reply::ok()
}

pub fn readonly(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    let client = server.current.map(|(p, _)| p);
    if args[0].eq_ignore_ascii_case(b"readonly") {
        server.readonly_clients.insert(client);
    } else {
        server.readonly_clients.remove(&client);
    }
    Reply::ok()
}
