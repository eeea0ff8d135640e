//! CLUSTER commands, ASKING/READONLY/READWRITE, and the redirection rules every keyed command goes through
//! in cluster mode (MOVED, ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN), with Redis's replies and words.

use super::bus::BusKind;
use super::slot::key_slot;
use super::state::{ClusterNode, ClusterState};
use crate::process::{Ctx, ProcId};
use crate::resp::Reply;
use crate::server::{lookup, CommandSpec, Flags, Server};

/// The keys of a command, by its key spec in the command table (none for a command the server does not know).
pub fn command_keys(args: &[Vec<u8>]) -> Vec<&[u8]> {
    args.first().and_then(|name| lookup(name)).map_or_else(Vec::new, |spec| spec.keys(args))
}

impl Server {
    /// `getNodeByQuery`: may this node run the command, or must the client go elsewhere?
    pub(crate) fn cluster_redirect(
        &mut self,
        ctx: &Ctx<'_>,
        caller: Option<ProcId>,
        spec: &CommandSpec,
        args: &[Vec<u8>],
    ) -> Option<Reply> {
        let c = self.cluster.as_ref()?;
        let keys = spec.keys(args);
        let readonly = spec.flags.has(Flags::READONLY);
        let asking = spec.name == "restore-asking" || caller.is_some_and(|p| self.asking.contains(&p));
        let first = keys.first()?;
        let slot = key_slot(first);
        if keys.iter().any(|k| key_slot(k) != slot) {
            return Some(Reply::err("CROSSSLOT Keys in request don't hash to the same slot"));
        }
        let Some(owner) = c.owner(slot) else {
            return Some(Reply::err("CLUSTERDOWN Hash slot not served"));
        };
        if !(c.ok || self.config.cluster_allow_reads_when_down && readonly) {
            return Some(Reply::err("CLUSTERDOWN The cluster is down"));
        }
        let now_unix = ctx.unix_ms();
        let missing = keys.iter().filter(|k| !self.db.contains(k, now_unix)).count();
        let addr = |id: &str| c.nodes.get(id).map_or(String::new(), |n| format!("{}:{}", n.ip, n.port));
        if owner == c.myself {
            if let Some(target) = c.migrating.get(&slot) {
                if missing > 0 && missing == keys.len() {
                    return Some(Reply::err(format!("ASK {slot} {}", addr(target))));
                }
                if missing > 0 {
                    return Some(Reply::err("TRYAGAIN Multiple keys request during rehashing of slot"));
                }
            }
            return None;
        }
        if c.importing.contains_key(&slot) && asking {
            if keys.len() > 1 && missing > 0 {
                return Some(Reply::err("TRYAGAIN Multiple keys request during rehashing of slot"));
            }
            return None;
        }
        let my_master = c.me().master.as_deref();
        if readonly && my_master == Some(owner) && caller.is_some_and(|p| self.readonly_clients.contains(&p)) {
            return None;
        }
        Some(Reply::err(format!("MOVED {slot} {}", addr(owner))))
    }

    /// Write nodes.conf (Redis fsyncs it): what lets a restarted node rejoin with its id, epochs and slots.
    pub(crate) fn save_cluster_config(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(c) = &self.cluster {
            ctx.disk.write_synced("nodes.conf", crate::disk::Content::ClusterConfig(std::rc::Rc::new((**c).clone())));
        }
    }

    /// At startup in cluster mode: the state from nodes.conf, or a new node with a new id.
    pub(crate) fn load_cluster_config(&mut self, ctx: &mut Ctx<'_>) {
        match ctx.disk.get("nodes.conf").map(|f| f.content.clone()) {
            Some(crate::disk::Content::ClusterConfig(saved)) => {
                let mut c = (*saved).clone();
                let now = ctx.now;
                for n in c.nodes.values_mut() {
                    n.ping_sent = None;
                    n.pong_received = now;
                    n.flags.pfail = false;
                    n.fail_reports.clear();
                }
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
    }

    /// What `redis-cli --cluster create` leaves behind, applied to this node: every node known, masters with
    /// their slot ranges and config epochs 1..N, replicas assigned to masters.
    pub fn cluster_adopt(&mut self, ctx: &mut Ctx<'_>, table: &[CreatedNode]) {
        let Some(c) = self.cluster.as_mut() else { return };
        let now = ctx.now;
        for t in table {
            let n = c
                .nodes
                .entry(t.id.clone())
                .or_insert_with(|| ClusterNode::new(t.id.clone(), t.ip.clone(), t.port, t.master.is_none(), now));
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

fn parse_slot(arg: &[u8]) -> Result<u16, Reply> {
    match std::str::from_utf8(arg).ok().and_then(|s| s.parse::<i64>().ok()) {
        Some(s) if (0..16384).contains(&s) => Ok(s as u16),
        _ => Err(Reply::err("ERR Invalid or out of range slot")),
    }
}

/// CLUSTER <subcommand> ...
pub fn cluster(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    if sub == "keyslot" {
        return match args.len() {
            3 => Reply::Int(i64::from(key_slot(&args[2]))),
            _ => Reply::err("ERR wrong number of arguments for 'cluster|keyslot' command"),
        };
    }
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    let wrong = || Reply::err(format!("ERR wrong number of arguments for 'cluster|{sub}' command"));
    let unix = |t: crate::time::SimTime| ctx.epoch_unix_ms + t.ms();
    let c = server.cluster.as_ref().unwrap_or_else(|| unreachable!());
    match sub.as_str() {
        "myid" => Reply::bulk(&c.myself),
        "info" => {
            let assigned = c.slots.iter().filter(|&&o| o != super::state::UNASSIGNED).count();
            let (mut pfail, mut fail) = (0, 0);
            for &o in c.slots.iter().filter(|&&o| o != super::state::UNASSIGNED) {
                match c.nodes.get(&c.ids[o as usize]) {
                    Some(n) if n.flags.fail => fail += 1,
                    Some(n) if n.flags.pfail => pfail += 1,
                    _ => {}
                }
            }
            let my_epoch = match &c.me().master {
                Some(m) => c.nodes.get(m).map_or(0, |n| n.config_epoch),
                None => c.me().config_epoch,
            };
            let text = format!(
                "cluster_state:{}\r\ncluster_slots_assigned:{assigned}\r\ncluster_slots_ok:{}\r\ncluster_slots_pfail:{pfail}\r\ncluster_slots_fail:{fail}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{my_epoch}\r\ncluster_stats_messages_sent:{}\r\ncluster_stats_messages_received:{}\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
                if c.ok { "ok" } else { "fail" },
                assigned - pfail - fail,
                c.nodes.len(),
                c.slot_masters(),
                c.current_epoch,
                c.stats_messages_sent,
                c.stats_messages_received
            );
            Reply::Bulk(text.into_bytes())
        }
        "nodes" => {
            let mut text = String::new();
            for n in c.nodes.values() {
                text.push_str(&c.nodes_line(n, &unix));
                text.push('\n');
            }
            Reply::Bulk(text.into_bytes())
        }
        "slots" => {
            let mut out = Vec::new();
            for m in c.nodes.values().filter(|n| n.flags.master) {
                for (a, b) in c.ranges_of(&m.id) {
                    let mut entry = vec![Reply::Int(i64::from(a)), Reply::Int(i64::from(b))];
                    entry.push(Reply::Array(vec![
                        Reply::bulk(&m.ip),
                        Reply::Int(i64::from(m.port)),
                        Reply::bulk(&m.id),
                    ]));
                    for r in c.replicas_of(&m.id).into_iter().filter(|r| !r.failing()) {
                        entry.push(Reply::Array(vec![
                            Reply::bulk(&r.ip),
                            Reply::Int(i64::from(r.port)),
                            Reply::bulk(&r.id),
                        ]));
                    }
                    out.push((a, Reply::Array(entry)));
                }
            }
            crate::sort::sort_by_key(&mut out, |(a, _)| *a);
            Reply::Array(out.into_iter().map(|(_, r)| r).collect())
        }
        "shards" => {
            // One entry per master: its slot ranges, then every node of the shard (RESP2 maps as flat arrays).
            let node_entry = |n: &ClusterNode, offset: u64| {
                let health = if n.flags.fail || n.flags.pfail { "fail" } else { "online" };
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
                    Reply::bulk(if n.flags.master { "master" } else { "replica" }),
                    Reply::bulk("replication-offset"),
                    Reply::Int(offset as i64),
                    Reply::bulk("health"),
                    Reply::bulk(health),
                ])
            };
            let mut shards = Vec::new();
            for m in c.nodes.values().filter(|n| n.flags.master) {
                let mut slots = Vec::new();
                for (a, b) in c.ranges_of(&m.id) {
                    slots.push(Reply::Int(i64::from(a)));
                    slots.push(Reply::Int(i64::from(b)));
                }
                let mut nodes = vec![node_entry(m, m.repl_offset)];
                nodes.extend(c.replicas_of(&m.id).into_iter().map(|r| node_entry(r, r.repl_offset)));
                let first = c.ranges_of(&m.id).first().map_or(u16::MAX, |r| r.0);
                shards.push((
                    first,
                    Reply::Array(vec![
                        Reply::bulk("slots"),
                        Reply::Array(slots),
                        Reply::bulk("nodes"),
                        Reply::Array(nodes),
                    ]),
                ));
            }
            // Redis lists shards in no particular order; by first slot reads best.
            crate::sort::sort_by_key(&mut shards, |(first, _)| *first);
            Reply::Array(shards.into_iter().map(|(_, r)| r).collect())
        }
        "countkeysinslot" if args.len() == 3 => match parse_slot(&args[2]) {
            Ok(s) => Reply::Int(server.db.keys().filter(|k| key_slot(k) == s).count() as i64),
            Err(e) => e,
        },
        "getkeysinslot" if args.len() == 4 => {
            let Ok(s) = parse_slot(&args[2]) else { return Reply::err("ERR Invalid or out of range slot") };
            let Some(n) = std::str::from_utf8(&args[3]).ok().and_then(|n| n.parse::<usize>().ok()) else {
                return Reply::err("ERR Invalid number of keys");
            };
            Reply::Array(server.db.keys().filter(|k| key_slot(k) == s).take(n).map(Reply::bulk).collect())
        }
        "addslots" | "delslots" | "addslotsrange" if args.len() >= 3 => {
            let mut slots = Vec::new();
            if sub == "addslotsrange" {
                if args.len() % 2 != 0 {
                    return wrong();
                }
                for p in args[2..].chunks(2) {
                    let (a, b) = match (parse_slot(&p[0]), parse_slot(&p[1])) {
                        (Ok(a), Ok(b)) => (a, b),
                        (Err(e), _) | (_, Err(e)) => return e,
                    };
                    if a > b {
                        return Reply::err(format!("ERR start slot number {a} is greater than end slot number {b}"));
                    }
                    slots.extend(a..=b);
                }
            } else {
                for a in &args[2..] {
                    match parse_slot(a) {
                        Ok(s) => slots.push(s),
                        Err(e) => return e,
                    }
                }
            }
            let me = c.myself.clone();
            for &s in &slots {
                match (sub.as_str(), c.owner(s)) {
                    ("delslots", None) => return Reply::err(format!("ERR Slot {s} is already unassigned")),
                    ("addslots" | "addslotsrange", Some(_)) => {
                        return Reply::err(format!("ERR Slot {s} is already busy"))
                    }
                    _ => {}
                }
            }
            let c = server.cluster.as_mut().unwrap_or_else(|| unreachable!());
            for s in slots {
                c.set_owner(s, if sub == "delslots" { None } else { Some(&me) });
            }
            server.update_cluster_state(ctx);
            server.save_cluster_config(ctx);
            Reply::ok()
        }
        "meet" if args.len() >= 4 => {
            let ip = String::from_utf8_lossy(&args[2]).into_owned();
            let Some(port) = std::str::from_utf8(&args[3]).ok().and_then(|p| p.parse::<u16>().ok()) else {
                return Reply::err(format!("ERR Invalid base port specified: {}", String::from_utf8_lossy(&args[3])));
            };
            let Some(pid) = ctx.resolve(&ip, port) else {
                return Reply::err(format!("ERR Invalid node address specified: {ip}:{port}"));
            };
            // The MEET goes out with our header; the other node adds us and answers, and we learn its id.
            let msg = {
                let c = server.cluster.as_ref().unwrap_or_else(|| unreachable!());
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
                    offset: server.repl.offset,
                    force_ack: false,
                    gossip: Vec::new(),
                }
            };
            ctx.out.send(pid, crate::process::Message::Bus(std::rc::Rc::new(msg)));
            Reply::ok()
        }
        "replicate" if args.len() == 3 => {
            let id = String::from_utf8_lossy(&args[2]).into_owned();
            let Some(n) = c.nodes.get(&id) else { return Reply::err(format!("ERR Unknown node {id}")) };
            if id == c.myself {
                return Reply::err("ERR Can't replicate myself");
            }
            if !n.flags.master {
                return Reply::err("ERR I can only replicate a master, not a replica.");
            }
            if c.me().flags.master && (!c.slots_of(&c.myself).is_empty() || !server.db.is_empty()) {
                return Reply::err("ERR To set a master the node must be empty and without assigned slots.");
            }
            server.cluster_set_my_master(ctx, &id);
            Reply::ok()
        }
        "failover" if args.len() <= 3 => {
            let opt = args.get(2).map(|a| String::from_utf8_lossy(a).to_ascii_lowercase());
            let (force, takeover) = match opt.as_deref() {
                None => (false, false),
                Some("force") => (true, false),
                Some("takeover") => (true, true),
                Some(_) => return Reply::err("ERR syntax error"),
            };
            if c.me().flags.master {
                return Reply::err("ERR You should send CLUSTER FAILOVER to a replica");
            }
            let master_failing = c.me().master.as_ref().and_then(|m| c.nodes.get(m)).is_some_and(|m| m.flags.fail);
            if !force && master_failing {
                return Reply::err("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
            }
            server.start_manual_failover(ctx, force, takeover);
            Reply::ok()
        }
        "setslot" if args.len() >= 4 => {
            let Ok(slot) = parse_slot(&args[2]) else { return Reply::err("ERR Invalid or out of range slot") };
            let action = String::from_utf8_lossy(&args[3]).to_ascii_lowercase();
            let node = args.get(4).map(|a| String::from_utf8_lossy(a).into_owned());
            let me = c.myself.clone();
            let owner = c.owner(slot).map(str::to_string);
            let known = |id: &Option<String>| id.as_ref().is_some_and(|id| c.nodes.contains_key(id));
            let result = match (action.as_str(), &node) {
                ("migrating", Some(_)) if owner.as_deref() != Some(&me) => {
                    Err(format!("ERR I'm not the owner of hash slot {slot}"))
                }
                ("migrating", Some(_)) if !known(&node) => {
                    Err(format!("ERR I don't know about node {}", node.clone().unwrap_or_default()))
                }
                ("importing", Some(_)) if owner.as_deref() == Some(&me) => {
                    Err(format!("ERR I'm already the owner of hash slot {slot}"))
                }
                ("importing", Some(_)) if !known(&node) => {
                    Err(format!("ERR I don't know about node {}", node.clone().unwrap_or_default()))
                }
                ("node", Some(_)) if !known(&node) => {
                    Err(format!("ERR Unknown node {}", node.clone().unwrap_or_default()))
                }
                ("migrating" | "importing" | "node", Some(_)) | ("stable", None) => Ok(()),
                _ => Err("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP".to_string()),
            };
            if let Err(e) = result {
                return Reply::err(e);
            }
            let c = server.cluster.as_mut().unwrap_or_else(|| unreachable!());
            match action.as_str() {
                "migrating" => {
                    c.migrating.insert(slot, node.unwrap_or_default());
                }
                "importing" => {
                    c.importing.insert(slot, node.unwrap_or_default());
                }
                "stable" => {
                    c.migrating.remove(&slot);
                    c.importing.remove(&slot);
                }
                _ => {
                    let to = node.unwrap_or_default();
                    c.migrating.remove(&slot);
                    if to == me && c.importing.remove(&slot).is_some() {
                        // The importing node closes the migration with a new configEpoch, so its claim wins.
                        c.current_epoch += 1;
                        let epoch = c.current_epoch;
                        c.me_mut().config_epoch = epoch;
                    }
                    c.set_owner(slot, Some(&to));
                }
            }
            server.update_cluster_state(ctx);
            server.save_cluster_config(ctx);
            if action == "node" {
                server.bus_broadcast(ctx, BusKind::Pong);
            }
            Reply::ok()
        }
        "reset" => {
            if c.me().flags.master && !server.db.is_empty() {
                return Reply::err("ERR CLUSTER RESET can't be called with master nodes containing keys");
            }
            let (id, ip, port) = (c.myself.clone(), c.me().ip.clone(), c.me().port);
            server.cluster = Some(Box::new(ClusterState::new(id, ip, port, ctx.now)));
            server.unset_master(ctx);
            server.save_cluster_config(ctx);
            Reply::ok()
        }
        "countkeysinslot" | "getkeysinslot" | "addslots" | "delslots" | "addslotsrange" | "meet" | "replicate"
        | "setslot" => wrong(),
        _ => Reply::err(format!("ERR unknown subcommand '{}'. Try CLUSTER HELP.", String::from_utf8_lossy(&args[1]))),
    }
}

pub fn asking(server: &mut Server, _ctx: &mut Ctx<'_>, _args: &[Vec<u8>]) -> Reply {
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    if let Some((p, _)) = server.current {
        server.asking.insert(p);
    }
    Reply::ok()
}

pub fn readonly(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    if server.cluster.is_none() {
        return Reply::err("ERR This instance has cluster support disabled");
    }
    if let Some((p, _)) = server.current {
        if args[0].eq_ignore_ascii_case(b"readonly") {
            server.readonly_clients.insert(p);
        } else {
            server.readonly_clients.remove(&p);
        }
    }
    Reply::ok()
}
