//! A client process: an application that sends commands to one server over the simulated network at a
//! steady rate, drawn from a weighted mix of command templates, and records each request and its outcome
//! (reply, error, timeout, refused) in the trace. Checkers decide from those records which writes were
//! acknowledged.
//!
//! Its client library may find the master through Sentinel, route by hash slot in a cluster, or shard keys
//! over independent masters itself (`shards`: `CRC16(key) mod N`). With `cache_aside`, the application uses
//! Redis as a look-aside cache in front of a database: each `GET` that misses, fails or times out in Redis is
//! followed by a `QUERY <key>` to the database, and a miss (Redis answered, without the key) by a
//! `SET <key> <row> EX <ttl_s>` that fills the cache. Each of these is a request of its own in the trace, with
//! its own outcome, so the checkers read them as they read any other: the cache fills are acknowledged
//! writes, the database's answers are successes that end an unavailability window.

use crate::cli::{join_args, short_reply};
use crate::decode::{self, Decode, Fields};
use crate::json::{Json, ToJson, Value};
use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::trace::{Outcome, TraceEvent};
use crate::vecmap::{VecMap, VecSet};

/// A command template: arguments in which `{key}` becomes a random key `key:<n>`, `{value}` a value unique
/// to this request (`<client>:<seq>`), and `{seq}` the request's sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct OpSpec {
    pub command: String,
    pub weight: u32,
}

fn one() -> u32 {
    1
}

/// What a client does and how fast. Defaults make a gentle read/write load.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSpec {
    /// Time between two requests, in ms of virtual time (the client does not wait for replies: like a pool
    /// of application threads, it keeps sending).
    pub interval_ms: u64,
    /// How long to wait for a reply before counting a request as timed out, in ms.
    pub timeout_ms: u64,
    /// When the first request goes out, in ms of virtual time.
    pub start_ms: u64,
    /// When to stop sending (none: never).
    pub stop_ms: Option<u64>,
    /// How many distinct keys `{key}` draws from.
    pub keys: u32,
    /// The mix of commands; by default half `SET {key} {value}`, half `GET {key}`.
    pub ops: Vec<OpSpec>,
}

fn default_interval_ms() -> u64 {
    100
}
fn default_timeout_ms() -> u64 {
    1000
}
fn default_keys() -> u32 {
    100
}
impl ToJson for OpSpec {
    fn write_json(&self, out: &mut Json) {
        out.object().field("command", &self.command).field("weight", &self.weight);
    }
}

impl ToJson for WorkloadSpec {
    fn write_json(&self, out: &mut Json) {
        let mut o = out.object();
        o.field("interval_ms", &self.interval_ms).field("timeout_ms", &self.timeout_ms);
        o.field("start_ms", &self.start_ms).field("stop_ms", &self.stop_ms).field("keys", &self.keys);
        o.field("ops", &self.ops);
    }
}

impl Decode for OpSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(v, "struct OpSpec", &["command", "weight"])?;
        f.done(OpSpec { command: f.req("command"), weight: f.or("weight", one) })
    }
}

impl Decode for WorkloadSpec {
    fn decode(v: &Value) -> decode::Result<Self> {
        let f = Fields::new(
            v,
            "struct WorkloadSpec",
            &["interval_ms", "timeout_ms", "start_ms", "stop_ms", "keys", "ops"],
        )?;
        f.done(WorkloadSpec {
            interval_ms: f.or("interval_ms", default_interval_ms),
            timeout_ms: f.or("timeout_ms", default_timeout_ms),
            start_ms: f.or_default("start_ms"),
            stop_ms: f.opt("stop_ms"),
            keys: f.or("keys", default_keys),
            ops: f.or("ops", default_ops),
        })
    }
}

fn default_ops() -> Vec<OpSpec> {
    vec![OpSpec { command: "SET {key} {value}".into(), weight: 1 }, OpSpec { command: "GET {key}".into(), weight: 1 }]
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            interval_ms: default_interval_ms(),
            timeout_ms: default_timeout_ms(),
            start_ms: 0,
            stop_ms: None,
            keys: default_keys(),
            ops: default_ops(),
        }
    }
}

/// A template split into arguments once, at load time.
#[derive(Clone, Debug)]
pub struct Template {
    pub args: Vec<Vec<u8>>,
    pub weight: u32,
}

#[derive(Clone, Debug)]
struct Pending {
    sent_at: crate::time::SimTime,
    args: Vec<Vec<u8>>,
    redirects: u32,
    stage: Stage,
}

/// Where a request stands in the application's logic (look-aside caching has three steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// A workload command, nothing follows it.
    Plain,
    /// A cache-aside GET to Redis: a miss, an error or a timeout sends the read to the database.
    CacheRead,
    /// The read of a key from the database; `fill`: Redis answered (a miss), so put the row in the cache.
    DbQuery { fill: bool },
    /// `SET key row EX ttl`: filling the cache after a miss.
    CacheFill,
}

/// The database behind a look-aside cache, and how long a filled entry lives.
#[derive(Clone, Debug)]
pub struct CacheAside {
    pub database: ProcId,
    pub ttl_s: u64,
}

/// A cluster-aware client library: a slot map loaded with CLUSTER SLOTS, refreshed after MOVED.
#[derive(Clone, Debug)]
pub struct SlotMap {
    pub seeds: Vec<ProcId>,
    next_seed: usize,
    last_refresh: Option<crate::time::SimTime>,
    pub owners: std::rc::Rc<Vec<Option<ProcId>>>,
    internal: VecSet<u64>,
    pub redirects: u64,
}

impl SlotMap {
    pub fn new(seeds: Vec<ProcId>) -> SlotMap {
        SlotMap {
            seeds,
            next_seed: 0,
            last_refresh: None,
            owners: std::rc::Rc::new(vec![None; 16384]),
            internal: Default::default(),
            redirects: 0,
        }
    }
}

/// A request is redirected at most this many times before the client gives up (as cluster clients do).
const MAX_REDIRECTS: u32 = 5;

#[derive(Clone, Debug)]
pub struct Client {
    pub name: String,
    pub target: ProcId,
    /// Where read-only commands go, for a read/write split (reads from a replica); `None`: to `target`.
    pub read_target: Option<ProcId>,
    workload: WorkloadSpec,
    templates: Vec<Template>,
    total_weight: u64,
    next_id: u64,
    pending: VecMap<u64, Pending>,
    /// A Sentinel-aware client library: where to ask for the master's address.
    pub discovery: Option<Discovery>,
    /// A cluster-aware client library: which node serves which slot.
    pub cluster: Option<SlotMap>,
    /// Client-side sharding over independent masters: a key goes to `shards[CRC16(key) mod N]` (empty: off).
    pub shards: Vec<ProcId>,
    /// A look-aside cache in front of a database.
    pub cache_aside: Option<CacheAside>,
}

/// How a Sentinel-aware client finds its master: it asks the sentinels (`SENTINEL get-master-addr-by-name`),
/// listens to `+switch-master` on them, and asks again when requests fail.
#[derive(Clone, Debug)]
pub struct Discovery {
    pub master_name: String,
    pub sentinels: Vec<ProcId>,
    next_sentinel: usize,
    last_query: Option<crate::time::SimTime>,
    /// Requests of the library itself (queries, subscriptions), not of the application.
    internal: VecMap<u64, ProcId>,
}

impl Discovery {
    pub fn new(master_name: String, sentinels: Vec<ProcId>) -> Discovery {
        Discovery { master_name, sentinels, next_sentinel: 0, last_query: None, internal: VecMap::new() }
    }
}

/// Ask the sentinels again at most this often (ms) while requests keep failing.
const REDISCOVER_MS: u64 = 1000;

impl Client {
    pub fn new(
        name: String,
        target: ProcId,
        read_target: Option<ProcId>,
        workload: WorkloadSpec,
        templates: Vec<Template>,
    ) -> Client {
        let total_weight = templates.iter().map(|t| u64::from(t.weight)).sum();
        Client {
            name,
            target,
            read_target,
            workload,
            templates,
            total_weight,
            next_id: 0,
            pending: VecMap::new(),
            discovery: None,
            cluster: None,
            shards: Vec::new(),
            cache_aside: None,
        }
    }

    /// Ask the next sentinel where the master is (no more than once a second unless `force`).
    fn discover(&mut self, ctx: &mut Ctx<'_>, force: bool) {
        let Some(d) = self.discovery.as_mut() else { return };
        if d.sentinels.is_empty() || (!force && d.last_query.is_some_and(|t| ctx.now - t < REDISCOVER_MS)) {
            return;
        }
        d.last_query = Some(ctx.now);
        let to = d.sentinels[d.next_sentinel % d.sentinels.len()];
        d.next_sentinel += 1;
        self.next_id += 1;
        d.internal.insert(self.next_id, to);
        let args = vec![b"SENTINEL".to_vec(), b"get-master-addr-by-name".to_vec(), d.master_name.clone().into_bytes()];
        ctx.out.send(to, Message::Request { id: self.next_id, args });
    }

    fn use_master(&mut self, ctx: &mut Ctx<'_>, ip: &str, port: u16) {
        if let Some(p) = ctx.resolve(ip, port) {
            if p != self.target {
                self.target = p;
                ctx.out.note(TraceEvent::Log {
                    proc: ctx.me,
                    text: format!("master is now {ip}:{port}: sending writes there"),
                });
            }
        }
    }

    /// A reply to one of the library's own requests.
    fn internal_reply(&mut self, ctx: &mut Ctx<'_>, reply: Reply) {
        if let Reply::Array(items) = reply {
            if let [Reply::Bulk(ip), Reply::Bulk(port)] = items.as_slice() {
                if let Ok(port) = String::from_utf8_lossy(port).parse::<u16>() {
                    let ip = String::from_utf8_lossy(ip).into_owned();
                    self.use_master(ctx, &ip, port);
                }
            }
        }
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// How a client that routes by key spreads its commands, for the page: `("slot", the masters of its slot
    /// map in slot order)` in a cluster, `("shard", its shards)` with client-side sharding; `None` when every
    /// command goes to `target` (or, read-only ones, to `read_target`).
    pub fn routes(&self) -> Option<(&'static str, Vec<ProcId>)> {
        if let Some(map) = &self.cluster {
            let mut masters: Vec<ProcId> = Vec::new();
            for &owner in map.owners.iter().flatten() {
                if masters.last() != Some(&owner) && !masters.contains(&owner) {
                    masters.push(owner);
                }
            }
            return Some(("slot", masters));
        }
        (!self.shards.is_empty()).then(|| ("shard", self.shards.clone()))
    }

    fn pick(&self, ctx: &mut Ctx<'_>) -> Option<&Template> {
        if self.total_weight == 0 {
            return None;
        }
        let mut r = ctx.rng.below(self.total_weight);
        for t in &self.templates {
            if r < u64::from(t.weight) {
                return Some(t);
            }
            r -= u64::from(t.weight);
        }
        None
    }

    fn expand(&self, ctx: &mut Ctx<'_>, template: &Template, seq: u64) -> Vec<Vec<u8>> {
        let key = format!("key:{}", ctx.rng.below(u64::from(self.workload.keys.max(1))));
        let value = format!("{}:{}", self.name, seq);
        template
            .args
            .iter()
            .map(|a| {
                let s = String::from_utf8_lossy(a);
                if !s.contains('{') {
                    return a.clone();
                }
                s.replace("{key}", &key).replace("{value}", &value).replace("{seq}", &seq.to_string()).into_bytes()
            })
            .collect()
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>) {
        if self.workload.stop_ms.is_some_and(|stop| ctx.now.ms() >= stop) {
            return;
        }
        let Some(template) = self.pick(ctx).cloned() else {
            return;
        };
        self.next_id += 1;
        let id = self.next_id;
        let args = self.expand(ctx, &template, id);
        let server = self.route(&args);
        let cache_read = self.cache_aside.is_some() && args.len() == 2 && args[0].eq_ignore_ascii_case(b"GET");
        self.issue(ctx, id, server, args, if cache_read { Stage::CacheRead } else { Stage::Plain });
        ctx.out.set_timer(self.workload.interval_ms, Timer::ClientTick);
    }

    /// Send request `id` to `server`, with its record in the trace and its timeout.
    fn issue(&mut self, ctx: &mut Ctx<'_>, id: u64, server: ProcId, args: Vec<Vec<u8>>, stage: Stage) {
        ctx.out.note(TraceEvent::Request {
            client: ctx.me,
            id,
            server,
            command: args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect(),
        });
        self.pending.insert(id, Pending { sent_at: ctx.now, args: args.clone(), redirects: 0, stage });
        ctx.out.send(server, Message::Request { id, args });
        ctx.out.set_timer(self.workload.timeout_ms, Timer::RequestTimeout { id });
    }

    /// Where a command goes: its slot's master (cluster), its key's shard (client-side sharding), the read
    /// target for a read-only command (read/write split), else the target.
    fn route(&self, args: &[Vec<u8>]) -> ProcId {
        let read_only = crate::server::lookup(&args[0]).is_some_and(|c| c.flags.has(crate::server::Flags::READONLY));
        match (self.read_target, self.slot_owner(args).or_else(|| self.shard_of(args))) {
            (_, Some(owner)) => owner,
            (Some(replica), None) if read_only => replica,
            _ => self.target,
        }
    }

    /// Client-side sharding: the shard of a command's first key is `CRC16(key) mod N`. Real libraries each
    /// have their own hash (Jedis's ShardedJedis: MurmurHash on a ring of virtual nodes; twemproxy: a
    /// configurable hash and distribution); what they share with this one is that the servers know nothing
    /// of it, and a key whose shard is down has nowhere else to go.
    fn shard_of(&self, args: &[Vec<u8>]) -> Option<ProcId> {
        if self.shards.is_empty() {
            return None;
        }
        let keys = crate::cluster::commands::command_keys(args);
        let key = keys.first()?;
        Some(self.shards[crate::cluster::slot::crc16(key) as usize % self.shards.len()])
    }

    /// Look-aside caching: what follows a cache read that did not hit, and a database read after a miss.
    fn follow_up(&mut self, ctx: &mut Ctx<'_>, p: &Pending, answer: Option<&Reply>) {
        let Some(cache) = self.cache_aside.clone() else { return };
        let Some(key) = p.args.get(1).cloned() else { return };
        match p.stage {
            Stage::CacheRead if !matches!(answer, Some(Reply::Bulk(_))) => {
                // A miss (Redis answered nil) is filled after the database answers; an error or a timeout is not:
                // Redis is not there to take the value.
                let fill = matches!(answer, Some(Reply::Nil));
                self.next_id += 1;
                let id = self.next_id;
                self.issue(ctx, id, cache.database, vec![b"QUERY".to_vec(), key], Stage::DbQuery { fill });
            }
            Stage::DbQuery { fill: true } => {
                if let Some(Reply::Bulk(row)) = answer {
                    self.next_id += 1;
                    let id = self.next_id;
                    let args =
                        vec![b"SET".to_vec(), key, row.clone(), b"EX".to_vec(), cache.ttl_s.to_string().into_bytes()];
                    let server = self.route(&args);
                    self.issue(ctx, id, server, args, Stage::CacheFill);
                }
            }
            Stage::Plain | Stage::CacheRead | Stage::DbQuery { .. } | Stage::CacheFill => {}
        }
    }

    /// Whether request `id` went to the database (not to Redis): its failure says nothing about Redis.
    fn to_database(&self, id: u64) -> bool {
        self.pending.get(&id).is_some_and(|p| matches!(p.stage, Stage::DbQuery { .. }))
    }

    /// The node serving the slot of a command's first key, by the slot map (cluster mode).
    fn slot_owner(&self, args: &[Vec<u8>]) -> Option<ProcId> {
        let map = self.cluster.as_ref()?;
        let keys = crate::cluster::commands::command_keys(args);
        let slot = crate::cluster::slot::key_slot(keys.first()?);
        map.owners[slot as usize].or_else(|| map.seeds.first().copied())
    }

    /// A node did not answer: reload the slot map from the next seed (at most twice a second).
    fn refresh_after_failure(&mut self, ctx: &mut Ctx<'_>) {
        let Some(map) = self.cluster.as_mut() else { return };
        if map.seeds.is_empty() || map.last_refresh.is_some_and(|t| ctx.now - t < 500) {
            return;
        }
        map.last_refresh = Some(ctx.now);
        map.next_seed += 1;
        let seed = map.seeds[map.next_seed % map.seeds.len()];
        self.refresh_slots(ctx, seed);
    }

    fn refresh_slots(&mut self, ctx: &mut Ctx<'_>, from: ProcId) {
        let Some(map) = self.cluster.as_mut() else { return };
        self.next_id += 1;
        map.internal.insert(self.next_id);
        ctx.out.send(from, Message::Request { id: self.next_id, args: vec![b"CLUSTER".to_vec(), b"SLOTS".to_vec()] });
    }

    /// A CLUSTER SLOTS reply: `[[start, end, [ip, port, id], replicas...]...]`.
    fn load_slots(&mut self, ctx: &mut Ctx<'_>, reply: &Reply) {
        let Some(map) = self.cluster.as_mut() else { return };
        let Reply::Array(ranges) = reply else { return };
        let owners = std::rc::Rc::make_mut(&mut map.owners);
        for r in ranges {
            if let Reply::Array(e) = r {
                if let [Reply::Int(a), Reply::Int(b), Reply::Array(master), ..] = e.as_slice() {
                    if let [Reply::Bulk(ip), Reply::Int(port), ..] = master.as_slice() {
                        let pid = ctx.resolve(&String::from_utf8_lossy(ip), *port as u16);
                        for s in *a..=*b {
                            if let Some(o) = owners.get_mut(s as usize) {
                                *o = pid;
                            }
                        }
                    }
                }
            }
        }
    }

    /// MOVED and ASK: follow them (MOVED also updates the slot map); true when the request was resent.
    fn follow_redirect(&mut self, ctx: &mut Ctx<'_>, id: u64, error: &str) -> bool {
        let (kind, rest) = match error.split_once(' ') {
            Some((k @ ("MOVED" | "ASK"), rest)) if self.cluster.is_some() => (k, rest),
            _ => return false,
        };
        let Some((slot, addr)) = rest.split_once(' ') else { return false };
        let Some((ip, port)) = addr.rsplit_once(':') else { return false };
        let (Ok(slot), Some(to)) = (slot.parse::<u16>(), port.parse::<u16>().ok().and_then(|p| ctx.resolve(ip, p)))
        else {
            return false;
        };
        let Some(p) = self.pending.get_mut(&id) else { return false };
        if p.redirects >= MAX_REDIRECTS {
            return false;
        }
        p.redirects += 1;
        let args = p.args.clone();
        let map = self.cluster.as_mut().unwrap_or_else(|| unreachable!());
        map.redirects += 1;
        ctx.out.note(TraceEvent::Redirect { client: ctx.me, id, kind: kind.to_string(), slot, to });
        if kind == "MOVED" {
            std::rc::Rc::make_mut(&mut map.owners)[slot as usize] = Some(to);
            self.refresh_slots(ctx, to);
        } else {
            self.next_id += 1;
            if let Some(map) = self.cluster.as_mut() {
                map.internal.insert(self.next_id);
            }
            ctx.out.send(to, Message::Request { id: self.next_id, args: vec![b"ASKING".to_vec()] });
        }
        ctx.out.send(to, Message::Request { id, args });
        true
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>, id: u64, outcome: Outcome, reply: String, answer: Option<&Reply>) {
        if let Some(p) = self.pending.remove(&id) {
            ctx.out.note(TraceEvent::Outcome { client: ctx.me, id, outcome, reply, latency_ms: ctx.now - p.sent_at });
            self.follow_up(ctx, &p, answer);
        }
    }
}

impl Process for Client {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Start => {
                let delay = self.workload.start_ms.saturating_sub(ctx.now.ms());
                ctx.out.set_timer(delay, Timer::ClientTick);
                if let Some(d) = self.discovery.clone() {
                    for s in d.sentinels {
                        self.next_id += 1;
                        if let Some(d) = self.discovery.as_mut() {
                            d.internal.insert(self.next_id, s);
                        }
                        ctx.out.send(
                            s,
                            Message::Request {
                                id: self.next_id,
                                args: vec![b"SUBSCRIBE".to_vec(), b"+switch-master".to_vec()],
                            },
                        );
                    }
                    self.discover(ctx, true);
                }
                if let Some(seed) = self.cluster.as_ref().and_then(|m| m.seeds.first().copied()) {
                    self.refresh_slots(ctx, seed);
                }
            }
            Input::Message { msg: Message::Response { id, reply }, .. }
                if self.cluster.as_ref().is_some_and(|m| m.internal.contains(&id)) =>
            {
                if let Some(m) = self.cluster.as_mut() {
                    m.internal.remove(&id);
                }
                if matches!(reply, Reply::Array(_)) {
                    self.load_slots(ctx, &reply);
                }
            }
            Input::Message { msg: Message::Response { id, reply }, .. }
                if self.discovery.as_ref().is_some_and(|d| d.internal.contains_key(&id)) =>
            {
                if let Some(d) = self.discovery.as_mut() {
                    d.internal.remove(&id);
                }
                self.internal_reply(ctx, reply);
            }
            Input::Message { msg: Message::Push { channel, payload }, .. } if channel == b"+switch-master" => {
                // "<name> <old ip> <old port> <new ip> <new port>"
                let words = crate::sentinel::event_words(&payload);
                let mine = self.discovery.as_ref().is_some_and(|d| words.first() == Some(&d.master_name));
                if let (true, Some(ip), Some(port)) =
                    (mine, words.get(3), words.get(4).and_then(|p| p.parse::<u16>().ok()))
                {
                    self.use_master(ctx, &ip.clone(), port);
                }
            }
            Input::Timer(Timer::ClientTick) => self.tick(ctx),
            Input::Timer(Timer::RequestTimeout { id }) => {
                if self.pending.contains_key(&id) && !self.to_database(id) {
                    self.discover(ctx, false);
                    self.refresh_after_failure(ctx);
                }
                self.finish(ctx, id, Outcome::Timeout, "(timeout)".into(), None)
            }
            Input::Timer(_) => {}
            Input::Message { msg: Message::Response { id, reply }, .. } => {
                if let Reply::Error(e) = &reply {
                    if self.follow_redirect(ctx, id, e) {
                        return;
                    }
                }
                let outcome = if reply.is_error() { Outcome::Error } else { Outcome::Ok };
                if matches!(&reply, Reply::Error(e) if e.starts_with("READONLY") || e.starts_with("MASTERDOWN")) {
                    self.discover(ctx, false);
                }
                self.finish(ctx, id, outcome, short_reply(&reply), Some(&reply));
            }
            Input::Refused { msg: Message::Request { id, .. }, .. } => {
                if self.discovery.as_mut().is_some_and(|d| d.internal.remove(&id).is_some()) {
                    return self.discover(ctx, true);
                }
                if !self.to_database(id) {
                    self.discover(ctx, false);
                    self.refresh_after_failure(ctx);
                }
                self.finish(ctx, id, Outcome::Refused, "Connection refused".into(), None);
            }
            Input::Message { .. } | Input::Refused { .. } | Input::Closed { .. } => {}
        }
    }

    fn console(&mut self, _ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply {
        Reply::err(format!(
            "ERR '{}' is a client process, not a server: it does not run commands",
            join_args(&args[..1.min(args.len())])
        ))
    }
}
