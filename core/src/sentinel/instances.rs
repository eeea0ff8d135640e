//! What a sentinel knows about the instances it watches: each master, its replicas and the other
//! sentinels, with the link state that detection is computed from.

use super::MonitorSpec;
use crate::time::SimTime;
use crate::vecmap::VecMap;

/// The state of one connection from the sentinel to an instance.
#[derive(Clone, Debug)]
pub struct Link {
    pub disconnected: bool,
    /// The last time a valid PING reply arrived.
    pub last_avail: SimTime,
    /// The last time any PING reply arrived, valid or not (Redis's `last_pong_time`).
    pub last_pong: SimTime,
    pub last_ping_sent: SimTime,
    /// When the oldest still unanswered PING was sent (Redis's `act_ping_time`).
    pub act_ping: Option<SimTime>,
    pub last_info: Option<SimTime>,
    pub info_pending: bool,
    pub last_hello_sent: SimTime,
    pub subscribed: bool,
    /// The last reconnection attempt of a disconnected link (Redis retries once per PING period).
    pub last_reconnect: SimTime,
}

impl Link {
    pub fn new(now: SimTime) -> Link {
        Link {
            disconnected: false,
            last_avail: now,
            last_pong: now,
            last_ping_sent: SimTime::ZERO,
            act_ping: None,
            last_info: None,
            info_pending: false,
            last_hello_sent: SimTime::ZERO,
            subscribed: false,
            last_reconnect: SimTime::ZERO,
        }
    }
}

/// The reconfiguration of one replica during a failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconf {
    None,
    Sent(SimTime),
    InProgress,
    Done,
}

#[derive(Clone, Debug)]
pub struct Instance {
    pub ip: String,
    pub port: u16,
    pub link: Link,
    pub run_id: Option<String>,
    pub sdown_since: Option<SimTime>,
    /// When it last became SDOWN; unlike `sdown_since`, kept after `-sdown` (Redis's `s_down_since_time`,
    /// which the wait before reconfiguring an instance counts from).
    pub last_sdown: Option<SimTime>,
    /// Its last INFO reply, as SENTINEL INFO-CACHE returns it.
    pub info: Option<String>,
    /// From INFO: the role it reports, and since when.
    pub role: Option<String>,
    pub role_since: SimTime,
    /// From a replica's INFO; `master_since` is when the master it names last changed (Redis's
    /// `slave_conf_change_time`).
    pub master_host: Option<(String, u16)>,
    pub master_since: SimTime,
    pub master_link_up: bool,
    /// `master_link_down_since_seconds` × 1000, 0 when INFO has no such line: -1000 for a replica that has
    /// never been linked to its master (Redis prints -1 then, and Sentinel multiplies it as it reads it).
    pub master_link_down_ms: i64,
    pub priority: u64,
    pub repl_offset: u64,
    pub reconf: Reconf,
}

impl Instance {
    pub fn new(ip: String, port: u16, now: SimTime) -> Instance {
        Instance {
            ip,
            port,
            link: Link::new(now),
            run_id: None,
            sdown_since: None,
            last_sdown: None,
            info: None,
            role: None,
            role_since: now,
            master_host: None,
            master_since: now,
            master_link_up: false,
            master_link_down_ms: 0,
            priority: 100,
            repl_offset: 0,
            reconf: Reconf::None,
        }
    }

    /// A master or a replica as Sentinel creates one: reporting the role it is known by until an INFO says
    /// otherwise, so that role-reported-time counts from its creation, as Redis's `role_reported_time` does.
    pub fn reporting(ip: String, port: u16, now: SimTime, role: &str) -> Instance {
        Instance { role: Some(role.to_string()), ..Instance::new(ip, port, now) }
    }

    pub fn addr(&self) -> (String, u16) {
        (self.ip.clone(), self.port)
    }

    /// `sentinelRedisInstanceNoDownFor`: not SDOWN within the last `ms`.
    pub fn no_down_for(&self, ms: u64, now: SimTime) -> bool {
        self.last_sdown.is_none_or(|t| now - t > ms)
    }
}

/// Another sentinel watching the same master.
#[derive(Clone, Debug)]
pub struct Peer {
    pub inst: Instance,
    pub run_id: String,
    pub last_hello: SimTime,
    /// Its last answer to IS-MASTER-DOWN-BY-ADDR: does it see the master down, and whom did it vote for.
    pub master_down: bool,
    pub last_down_reply: SimTime,
    pub last_asked: SimTime,
    pub leader: Option<String>,
    pub leader_epoch: u64,
}

impl Peer {
    pub fn new(run_id: String, ip: String, port: u16, now: SimTime) -> Peer {
        Peer {
            inst: Instance { run_id: Some(run_id.clone()), ..Instance::new(ip, port, now) },
            run_id,
            last_hello: now,
            master_down: false,
            last_down_reply: SimTime::ZERO,
            last_asked: SimTime::ZERO,
            leader: None,
            leader_epoch: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoOne,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoOne => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

#[derive(Clone, Debug)]
pub struct MasterState {
    pub name: String,
    pub inst: Instance,
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
    pub config_epoch: u64,
    pub odown_since: Option<SimTime>,
    pub replicas: VecMap<(String, u16), Instance>,
    pub sentinels: VecMap<String, Peer>,
    /// This sentinel's vote: for whom, in which epoch.
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_epoch: u64,
    /// When the last failover attempt (ours, or one we voted for) started; none before any.
    pub failover_start_time: Option<SimTime>,
    /// The attempt whose "Next failover delay" line was logged (Redis logs it once per attempt).
    pub failover_delay_logged: Option<SimTime>,
    pub failover_state_change_time: SimTime,
    /// SENTINEL FAILOVER: no agreement needed.
    pub forced: bool,
    pub promoted: Option<(String, u16)>,
}

impl MasterState {
    pub fn new(spec: &MonitorSpec, now: SimTime) -> MasterState {
        MasterState {
            name: spec.name.clone(),
            inst: Instance::reporting(spec.host.clone(), spec.port, now, "master"),
            quorum: spec.quorum,
            down_after_ms: spec.down_after_ms,
            failover_timeout_ms: spec.failover_timeout_ms,
            parallel_syncs: spec.parallel_syncs.max(1),
            config_epoch: 0,
            odown_since: None,
            replicas: VecMap::new(),
            sentinels: VecMap::new(),
            leader: None,
            leader_epoch: 0,
            failover_state: FailoverState::None,
            failover_epoch: 0,
            failover_start_time: None,
            failover_delay_logged: None,
            failover_state_change_time: SimTime::ZERO,
            forced: false,
            promoted: None,
        }
    }

    /// `sentinelResetMaster` (SENTINEL RESET, and a switch to a new address): forget the replicas, the other
    /// sentinels unless `keep_sentinels`, our vote and any failover in progress (silently: no `-sdown`,
    /// `-odown` or abort event); the links are closed and reconnected at the next tick (`disconnected` till
    /// then), the master's down clock starts again now, and a new failover may start at once (no wait of twice
    /// failover-timeout). The time of the last INFO is kept, as Redis keeps `info_refresh`: the next INFO, and
    /// with it the rediscovery of the replicas, comes when the 10 s period since the last one has passed.
    pub fn reset(&mut self, now: SimTime, keep_sentinels: bool) {
        self.replicas.clear();
        if !keep_sentinels {
            self.sentinels.clear();
        }
        let mut inst = Instance::reporting(self.inst.ip.clone(), self.inst.port, now, "master");
        inst.link.act_ping = Some(now);
        inst.link.disconnected = true;
        inst.link.last_info = self.inst.link.last_info;
        self.inst = inst;
        self.odown_since = None;
        self.leader = None;
        self.failover_state = FailoverState::None;
        self.failover_state_change_time = SimTime::ZERO;
        self.failover_start_time = None;
        self.forced = false;
        self.promoted = None;
    }

    /// At startup, every instance read from the configuration is new: its links and clocks start now.
    pub fn reset_clock(&mut self, now: SimTime) {
        let peers = self.sentinels.values_mut().map(|p| {
            p.last_hello = now;
            &mut p.inst
        });
        for inst in std::iter::once(&mut self.inst).chain(self.replicas.values_mut()).chain(peers) {
            inst.link = Link::new(now);
            inst.role_since = now;
            inst.master_since = now;
        }
    }

    /// `master mymaster 10.0.0.1 6379`
    pub fn describe(&self) -> String {
        format!("master {} {} {}", self.name, self.inst.ip, self.inst.port)
    }

    /// `slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379`
    pub fn describe_replica(&self, addr: &(String, u16)) -> String {
        format!("slave {}:{} {} {} @ {} {} {}", addr.0, addr.1, addr.0, addr.1, self.name, self.inst.ip, self.inst.port)
    }

    /// `sentinel <runid> 10.0.0.5 26379 @ mymaster 10.0.0.1 6379`
    pub fn describe_peer(&self, run_id: &str, ip: &str, port: u16) -> String {
        format!("sentinel {run_id} {ip} {port} @ {} {} {}", self.name, self.inst.ip, self.inst.port)
    }

    pub fn failover_in_progress(&self) -> bool {
        self.failover_state != FailoverState::None
    }

    /// The address clients should use: the promoted replica once it has been promoted.
    pub fn current_address(&self) -> (String, u16) {
        match (&self.promoted, self.failover_state >= FailoverState::ReconfSlaves) {
            (Some(p), true) => p.clone(),
            _ => self.inst.addr(),
        }
    }
}
