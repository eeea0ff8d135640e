//! The world: virtual clock, event queue, the one random generator, hosts, processes and the network.
//! `World` is `Clone`, which is how checkpoints are taken for time travel.
//!
//! Everything that happens goes through `step`: pop the earliest `(time, seq)` event, hand it to the
//! process it concerns, carry out that process's outbox, and append what happened to the trace.

mod actions;

use crate::action::Action;
use crate::cli::{format_console_reply, repeat_prefix, split_args, MAX_CONSOLE_REPEAT};
use crate::client::{Client, Template};
use crate::disk::{Disk, DiskParams};
use crate::error::{Result, SimError};
use crate::net::{HostIx, LinkParams, Network};
use crate::process::{Ctx, Input, Message, Outbox, ProcId, Process, Timer};
use crate::queue::EventQueue;
use crate::resp::Reply;
use crate::rng::Rng;
use crate::scenario::{check_action_names, check_link_numbers, server_config, ProcessSpec, Scenario};
use crate::server::Server;
use crate::time::SimTime;
use crate::trace::{DropReason, ProcState, Record, TraceEvent};
use crate::vecmap::{VecMap, VecSet};

/// The state machine inside a process slot. An enum rather than a trait object so that the world can be
/// cloned for checkpoints; every variant implements [`Process`].
#[derive(Clone, Debug)]
pub enum Node {
    Server(Box<Server>),
    Reshard(Box<crate::cluster::reshard::Resharder>),
    Sentinel(Box<crate::sentinel::Sentinel>),
    Client(Box<Client>),
    Database(Box<crate::database::Database>),
}

impl Node {
    fn process(&mut self) -> &mut dyn Process {
        match self {
            Node::Server(s) => s.as_mut(),
            Node::Reshard(r) => r.as_mut(),
            Node::Sentinel(s) => s.as_mut(),
            Node::Client(c) => c.as_mut(),
            Node::Database(d) => d.as_mut(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Node::Server(_) => "server",
            Node::Reshard(_) => "reshard",
            Node::Sentinel(_) => "sentinel",
            Node::Client(_) => "client",
            Node::Database(_) => "database",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub ip: String,
    pub procs: Vec<ProcId>,
    /// Survives process crashes; keeps only fsynced bytes through a power loss.
    pub disk: Disk,
    pub powered: bool,
    /// Bumped at every power cut, so that messages sent before it are known to be lost.
    pub power_epoch: u32,
}

/// An input waiting for a paused process, with the message id to trace when it is finally delivered.
#[derive(Clone, Debug)]
struct Held {
    input: Input,
    msg: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct ProcSlot {
    pub name: String,
    pub host: HostIx,
    pub port: Option<u16>,
    pub state: ProcState,
    /// Bumped at every crash and restart so that timers set by an earlier life never fire in this one.
    incarnation: u32,
    held: Vec<Held>,
    /// The processes it has an open connection with (each end lists the other): when one end dies or
    /// closes, the other learns it. Kept per process rather than in one `BTreeMap` over process pairs,
    /// whose B-tree code was 9 KB of the page's package.
    peers: VecSet<ProcId>,
    pub node: Node,
    /// The process as it boots from its configuration: a restart starts from a clone of this.
    blueprint: Node,
    /// A server's role when it last died (the views show a dead server as what it was, not as its blueprint,
    /// which is a master until its configuration is read at start).
    pub role_at_death: Option<&'static str>,
}

#[derive(Clone, Debug)]
enum Event {
    Deliver {
        id: u64,
        from: ProcId,
        to: ProcId,
        msg: Message,
        lost: bool,
        /// The sender's host power epoch when it was sent.
        epoch: u32,
    },
    /// `peer` closed its connection with `to` (or exited): the FIN arrives.
    Closed {
        to: ProcId,
        incarnation: u32,
        peer: ProcId,
        exited: bool,
    },
    /// The destination was down: the sender learns its connection was refused.
    Bounce {
        to: ProcId,
        incarnation: u32,
        from: ProcId,
        msg: Message,
    },
    Timer {
        proc: ProcId,
        incarnation: u32,
        timer: Timer,
    },
    Scripted(usize),
    /// The host's OS writes its dirty pages back to disk (what `appendfsync no` relies on).
    OsFlush {
        host: HostIx,
    },
}

#[derive(Clone, Debug)]
pub struct World {
    now: SimTime,
    epoch_unix_ms: u64,
    queue: EventQueue<Event>,
    rng: Rng,
    hosts: Vec<Host>,
    procs: Vec<ProcSlot>,
    net: Network,
    addresses: VecMap<(String, u16), ProcId>,
    script: Vec<Action>,
    next_msg: u64,
    processed: u64,
    /// What the trace leaves out (everything is in by default; a 1000-node cluster's gossip would not fit).
    pub quiet: Quiet,
}

/// Parts of the trace that can be left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quiet {
    /// Cluster bus PING/PONG/MEET sends and deliveries.
    pub gossip: bool,
    /// Timer firings.
    pub timers: bool,
}

/// A value check shared with the scenario loader, reported as what it is here: a bad action.
fn as_action_error(e: SimError) -> SimError {
    match e {
        SimError::Invalid(m) => SimError::Action(m),
        other => other,
    }
}

fn link_params(latency_ms: u64, jitter_ms: u64, loss: f64, mbps: u64) -> LinkParams {
    LinkParams {
        latency_ms,
        jitter_ms,
        loss_ppm: (loss * 1_000_000.0).round() as u32,
        bytes_per_ms: LinkParams::bytes_per_ms_from_mbps(mbps),
    }
}

impl World {
    /// Build the world a validated scenario describes. Nothing runs until [`World::start`].
    pub fn build(scenario: &Scenario, seed: u64) -> Result<World> {
        scenario.validate()?;
        let n = &scenario.network;
        let mut net = Network::new(link_params(n.latency_ms, n.jitter_ms, n.loss, n.bandwidth_mbps));
        let host_ix: VecMap<&str, HostIx> =
            scenario.hosts.iter().enumerate().map(|(i, h)| (h.name.as_str(), i)).collect();
        for l in &n.links {
            let p = link_params(
                l.latency_ms.unwrap_or(n.latency_ms),
                l.jitter_ms.unwrap_or(n.jitter_ms),
                l.loss.unwrap_or(n.loss),
                l.bandwidth_mbps.unwrap_or(n.bandwidth_mbps),
            );
            let (a, b) = (host_ix[l.from.as_str()], host_ix[l.to.as_str()]);
            net.set_link(a, b, p);
            if l.symmetric {
                net.set_link(b, a, p);
            }
        }

        let mut world = World {
            now: SimTime::ZERO,
            epoch_unix_ms: scenario.start_unix_ms,
            queue: EventQueue::default(),
            rng: Rng::new(seed),
            hosts: Vec::new(),
            procs: Vec::new(),
            net,
            addresses: VecMap::new(),
            script: scenario.actions.iter().map(|a| a.action.clone()).collect(),
            next_msg: 0,
            processed: 0,
            quiet: Quiet::default(),
        };

        // Names first, so that clients can refer to servers on any host.
        let mut ids: VecMap<&str, ProcId> = VecMap::new();
        let mut next = 0u32;
        for h in &scenario.hosts {
            for p in &h.processes {
                ids.insert(p.name(), ProcId(next));
                next += 1;
            }
        }
        for (hi, h) in scenario.hosts.iter().enumerate() {
            let ip = scenario.host_ip(hi);
            let mut members = Vec::new();
            for p in &h.processes {
                let id = ids[p.name()];
                let (node, port) = match p {
                    ProcessSpec::Server { name, port, config } => {
                        let port = port.unwrap_or(6379);
                        let cfg = server_config(name, port, config)?;
                        world.addresses.insert((ip.clone(), port), id);
                        (Node::Server(Box::new(Server::new(ip.clone(), cfg))), Some(port))
                    }
                    ProcessSpec::Reshard { spec, .. } => {
                        let to = ids[spec.to.as_str()];
                        let addr = scenario
                            .hosts
                            .iter()
                            .enumerate()
                            .find_map(|(i, h)| {
                                h.processes.iter().find_map(|p| match p {
                                    ProcessSpec::Server { name, port, .. } if *name == spec.to => {
                                        Some((scenario.host_ip(i), port.unwrap_or(6379)))
                                    }
                                    _ => None,
                                })
                            })
                            .unwrap_or_default();
                        (
                            Node::Reshard(Box::new(crate::cluster::reshard::Resharder::new(
                                ids[spec.from.as_str()],
                                to,
                                addr,
                                spec,
                            ))),
                            None,
                        )
                    }
                    ProcessSpec::Rebalance { spec, .. } => (
                        Node::Reshard(Box::new(crate::cluster::reshard::Resharder::rebalance(
                            ids[spec.via.as_str()],
                            spec,
                        ))),
                        None,
                    ),
                    ProcessSpec::Sentinel { port, monitor, .. } => {
                        world.addresses.insert((ip.clone(), *port), id);
                        (
                            Node::Sentinel(Box::new(crate::sentinel::Sentinel::new(ip.clone(), *port, monitor))),
                            Some(*port),
                        )
                    }
                    ProcessSpec::Database { name, spec } => {
                        world.addresses.insert((ip.clone(), spec.port), id);
                        (Node::Database(Box::new(crate::database::Database::new(name.clone(), spec))), Some(spec.port))
                    }
                    ProcessSpec::Client {
                        name,
                        target,
                        read_target,
                        workload,
                        sentinel,
                        cluster,
                        shards,
                        cache_aside,
                    } => {
                        let templates = workload
                            .ops
                            .iter()
                            .map(|o| Template { args: split_args(&o.command).unwrap_or_default(), weight: o.weight })
                            .collect();
                        let mut client = Client::new(
                            name.clone(),
                            ids[target.as_str()],
                            read_target.as_ref().map(|r| ids[r.as_str()]),
                            workload.clone(),
                            templates,
                        );
                        client.discovery = sentinel.as_ref().map(|s| {
                            crate::client::Discovery::new(
                                s.master_name.clone(),
                                s.sentinels.iter().map(|n| ids[n.as_str()]).collect(),
                            )
                        });
                        client.cluster = cluster
                            .as_ref()
                            .map(|c| crate::client::SlotMap::new(c.seeds.iter().map(|n| ids[n.as_str()]).collect()));
                        client.shards = shards.iter().flatten().map(|n| ids[n.as_str()]).collect();
                        client.cache_aside = cache_aside
                            .as_ref()
                            .map(|c| crate::client::CacheAside { database: ids[c.database.as_str()], ttl_s: c.ttl_s });
                        (Node::Client(Box::new(client)), None)
                    }
                };
                world.procs.push(ProcSlot {
                    name: p.name().to_string(),
                    host: hi,
                    port,
                    state: ProcState::Crashed,
                    incarnation: 0,
                    held: Vec::new(),
                    peers: VecSet::new(),
                    blueprint: node.clone(),
                    node,
                    role_at_death: None,
                });
                members.push(id);
            }
            let d = &h.disk;
            let params = DiskParams {
                fsync_ms: d.fsync_ms,
                write_bytes_per_ms: (d.write_mb_per_s.saturating_mul(1000)).max(1),
                os_flush_ms: d.os_flush_ms.max(1),
            };
            world.queue.push(SimTime(params.os_flush_ms), Event::OsFlush { host: hi });
            world.hosts.push(Host {
                name: h.name.clone(),
                ip,
                procs: members,
                disk: Disk::new(params),
                powered: true,
                power_epoch: 0,
            });
        }
        for (i, a) in scenario.actions.iter().enumerate() {
            world.queue.push(SimTime(a.at_ms), Event::Scripted(i));
        }
        Ok(world)
    }

    /// Boot every process, in scenario order, at the current time.
    pub fn start(&mut self, trace: &mut Vec<Record>) {
        for i in 0..self.procs.len() {
            self.boot(ProcId(i as u32), trace);
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn epoch_unix_ms(&self) -> u64 {
        self.epoch_unix_ms
    }

    /// How many events have been processed: with the time, this places a user action in the total order.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    pub fn next_event_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn procs(&self) -> &[ProcSlot] {
        &self.procs
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Let virtual time pass to `t` without events (never backwards).
    pub fn advance_clock(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    /// The process listening at `ip:port`, if any.
    pub fn resolve(&self, ip: &str, port: u16) -> Option<ProcId> {
        self.addresses.get(&(ip.to_string(), port)).copied()
    }

    pub fn proc_id(&self, name: &str) -> Result<ProcId> {
        self.procs
            .iter()
            .position(|p| p.name == name)
            .map(|i| ProcId(i as u32))
            .ok_or_else(|| SimError::UnknownProcess(name.to_string()))
    }

    fn host_ix(&self, name: &str) -> Result<HostIx> {
        self.hosts.iter().position(|h| h.name == name).ok_or_else(|| SimError::UnknownHost(name.to_string()))
    }

    pub fn proc_name(&self, id: ProcId) -> &str {
        self.procs.get(id.index()).map_or("?", |p| p.name.as_str())
    }

    /// Process the next event. Returns false when nothing is left to happen.
    pub fn step(&mut self, trace: &mut Vec<Record>) -> bool {
        let Some((at, event)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(at);
        self.processed += 1;
        match event {
            Event::Deliver { id, from, to, msg, lost, epoch } => self.deliver(id, from, to, msg, lost, epoch, trace),
            Event::Bounce { to, incarnation, from, msg } => {
                let slot = &self.procs[to.index()];
                let (fh, th) = (self.procs[from.index()].host, slot.host);
                if slot.incarnation == incarnation && !self.net.is_cut(fh, th) {
                    self.input(to, Input::Refused { to: from, msg }, None, trace);
                }
            }
            Event::Closed { to, incarnation, peer, exited } => {
                let (ph, th) = (self.procs[peer.index()].host, self.procs[to.index()].host);
                if self.procs[to.index()].incarnation == incarnation && !self.net.is_cut(ph, th) {
                    self.input(to, Input::Closed { peer, exited }, None, trace);
                }
            }
            Event::Timer { proc, incarnation, timer } => {
                if self.procs[proc.index()].incarnation == incarnation {
                    self.input(proc, Input::Timer(timer), None, trace);
                }
            }
            Event::OsFlush { host } => {
                let h = &mut self.hosts[host];
                if h.powered {
                    h.disk.flush_all();
                }
                let next = self.now + h.disk.params.os_flush_ms;
                self.queue.push(next, Event::OsFlush { host });
            }
            Event::Scripted(i) => {
                let action = self.script[i].clone();
                // Names were validated with the scenario, so a scripted action cannot fail here.
                let _ = self.apply(&action, trace);
            }
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        id: u64,
        from: ProcId,
        to: ProcId,
        msg: Message,
        lost: bool,
        epoch: u32,
        trace: &mut Vec<Record>,
    ) {
        let (fh, th) = (self.procs[from.index()].host, self.procs[to.index()].host);
        let reason = if !self.hosts[th].powered || !self.hosts[fh].powered || self.hosts[fh].power_epoch != epoch {
            Some(DropReason::HostDown)
        } else if self.net.is_cut(fh, th) {
            Some(DropReason::Partition)
        } else if lost {
            Some(DropReason::Loss)
        } else if self.procs[to.index()].state == ProcState::Crashed {
            Some(DropReason::Refused)
        } else {
            None
        };
        match reason {
            Some(reason) => {
                self.record(trace, TraceEvent::Drop { msg: id, from, to, reason });
                // A live host answers a connection to a dead port with a reset; a dead host answers nothing.
                if reason == DropReason::Refused && self.procs[from.index()].state != ProcState::Crashed {
                    let back = self.now + self.net.params(th, fh).latency_ms;
                    let incarnation = self.procs[from.index()].incarnation;
                    self.queue.push(back, Event::Bounce { to: from, incarnation, from: to, msg });
                }
            }
            None => {
                self.procs[from.index()].peers.insert(to);
                self.procs[to.index()].peers.insert(from);
                self.input(to, Input::Message { from, msg }, Some(id), trace)
            }
        }
    }

    /// Tell the other end of `pid`'s connection with `peer` that it is closed, one latency from now; `exited`:
    /// because `pid` died (every socket it had is closed), not because it closed that one connection.
    fn notify_closed(&mut self, pid: ProcId, peer: ProcId, exited: bool) {
        if !self.disconnect(pid, peer) || self.procs[peer.index()].state == ProcState::Crashed {
            return;
        }
        let (a, b) = (self.procs[pid.index()].host, self.procs[peer.index()].host);
        let at = self.net.fifo_time((pid, a), (peer, b), self.now);
        let incarnation = self.procs[peer.index()].incarnation;
        self.queue.push(at, Event::Closed { to: peer, incarnation, peer: pid, exited });
    }

    /// Forget the connection between `a` and `b`; false if there was none.
    fn disconnect(&mut self, a: ProcId, b: ProcId) -> bool {
        let was_open = self.procs[a.index()].peers.remove(&b);
        self.procs[b.index()].peers.remove(&a);
        was_open
    }

    /// Hand an input to a process: run it now, hold it while the process is paused, or lose it if the
    /// process is down.
    fn input(&mut self, pid: ProcId, input: Input, msg: Option<u64>, trace: &mut Vec<Record>) {
        match self.procs[pid.index()].state {
            ProcState::Crashed => {}
            ProcState::Paused => self.procs[pid.index()].held.push(Held { input, msg }),
            ProcState::Up => {
                match (&input, msg) {
                    (Input::Message { from, msg }, Some(id))
                        if !(self.quiet.gossip && msg.kind() == crate::process::MsgKind::Gossip) =>
                    {
                        let from = *from;
                        self.record(trace, TraceEvent::Deliver { msg: id, from, to: pid });
                    }
                    (Input::Timer(t), _) if !self.quiet.timers => {
                        let timer = t.name().to_string();
                        self.record(trace, TraceEvent::Timer { proc: pid, timer });
                    }
                    _ => {}
                }
                self.with_ctx(pid, trace, |node, ctx| node.process().on_input(ctx, input));
            }
        }
    }

    /// Carry out a process's outbox: trace its notes, arm its timers, send its messages.
    fn flush(&mut self, pid: ProcId, out: Outbox, trace: &mut Vec<Record>) {
        for note in out.notes {
            self.record(trace, note);
        }
        let incarnation = self.procs[pid.index()].incarnation;
        for (delay, timer) in out.timers {
            self.queue.push(self.now + delay, Event::Timer { proc: pid, incarnation, timer });
        }
        for (to, msg) in out.sends {
            self.send(pid, to, msg, trace);
        }
        for peer in out.closes {
            self.notify_closed(pid, peer, false);
        }
        if let Some(config) = out.config_file {
            if let Node::Server(s) = &mut self.procs[pid.index()].blueprint {
                s.config = config;
            }
        }
        if let Some(reason) = out.exit {
            self.record(trace, TraceEvent::Log { proc: pid, text: reason });
            self.crash(pid, true, trace);
        }
    }

    fn send(&mut self, from: ProcId, to: ProcId, msg: Message, trace: &mut Vec<Record>) {
        let id = self.next_msg;
        self.next_msg += 1;
        let (fh, th) = (self.procs[from.index()].host, self.procs[to.index()].host);
        let transit = self.net.transit(&mut self.rng, self.now, (from, fh), (to, th), msg.size());
        if !(self.quiet.gossip && msg.kind() == crate::process::MsgKind::Gossip) {
            self.record(
                trace,
                TraceEvent::Send {
                    msg: id,
                    from,
                    to,
                    kind: msg.kind(),
                    label: msg.label(),
                    deliver_at: transit.deliver_at,
                    req: msg.request_id(),
                },
            );
        }
        let epoch = self.hosts[fh].power_epoch;
        self.queue.push(transit.deliver_at, Event::Deliver { id, from, to, msg, lost: transit.lost, epoch });
    }

    fn record(&self, trace: &mut Vec<Record>, event: TraceEvent) {
        trace.push(Record { t: self.now, event });
    }

    fn set_state(&mut self, pid: ProcId, state: ProcState, trace: &mut Vec<Record>) {
        self.procs[pid.index()].state = state;
        self.record(trace, TraceEvent::State { proc: pid, state });
    }

    fn boot(&mut self, pid: ProcId, trace: &mut Vec<Record>) {
        let slot = &mut self.procs[pid.index()];
        slot.node = slot.blueprint.clone();
        slot.incarnation += 1;
        slot.held.clear();
        self.set_state(pid, ProcState::Up, trace);
        self.input(pid, Input::Start, None, trace);
    }

    /// Kill a process. With `fin`, its kernel closes its sockets and every peer gets a FIN after the data
    /// already sent (a process crash); without, the peers are never told (the whole host died).
    fn crash(&mut self, pid: ProcId, fin: bool, trace: &mut Vec<Record>) {
        if self.procs[pid.index()].state == ProcState::Crashed {
            return;
        }
        // In peer id order, which is the order their FINs are queued in.
        let peers = self.procs[pid.index()].peers.clone();
        for &peer in &peers {
            if fin {
                self.notify_closed(pid, peer, true);
            } else {
                self.disconnect(pid, peer);
            }
        }
        let slot = &mut self.procs[pid.index()];
        slot.role_at_death = match &slot.node {
            Node::Server(s) => Some(s.role()),
            _ => None,
        };
        // A sentinel's configuration file is rewritten (and fsynced) at every change of its state, so what it
        // knew when it died is what it starts from.
        if let Node::Sentinel(s) = &slot.node {
            slot.blueprint = Node::Sentinel(Box::new(s.persisted()));
        }
        // Memory is gone the moment the process dies; what survives lives on the host's disk.
        slot.node = slot.blueprint.clone();
        slot.incarnation += 1;
        slot.held.clear();
        self.set_state(pid, ProcState::Crashed, trace);
    }

    /// Run `f` on process `pid` with a context at the current time, then carry out what it put in its outbox.
    /// The one place a `Ctx` is made: a process sees the world only through it.
    fn with_ctx<R>(&mut self, pid: ProcId, trace: &mut Vec<Record>, f: impl FnOnce(&mut Node, &mut Ctx<'_>) -> R) -> R {
        let mut out = Outbox::default();
        let result = {
            let slot = &mut self.procs[pid.index()];
            let mut ctx = Ctx {
                now: self.now,
                me: pid,
                rng: &mut self.rng,
                out: &mut out,
                addresses: &self.addresses,
                epoch_unix_ms: self.epoch_unix_ms,
                disk: &mut self.hosts[slot.host].disk,
            };
            f(&mut slot.node, &mut ctx)
        };
        self.flush(pid, out, trace);
        result
    }
}
