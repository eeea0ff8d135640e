//! Carrying out actions — faults, repairs, console commands, cluster creation — on the world. The vocabulary
//! is in `crate::action`; this is what each word does.

use super::*;

impl World {
    /// Carry out an action now. A console command returns the reply redis-cli would print.
    pub fn apply(&mut self, action: &Action, trace: &mut Vec<Record>) -> Result<Option<String>> {
        match action {
            Action::Crash { process } => {
                let pid = self.proc_id(process)?;
                self.crash(pid, true, trace);
            }
            Action::Restart { process } => {
                let pid = self.proc_id(process)?;
                if !self.hosts[self.procs[pid.index()].host].powered {
                    return Err(SimError::Action(format!("host of '{process}' is powered off: power it on first")));
                }
                self.crash(pid, true, trace);
                self.boot(pid, trace);
            }
            Action::PowerOff { host } => {
                let h = self.host_ix(host)?;
                if self.hosts[h].powered {
                    self.hosts[h].powered = false;
                    self.hosts[h].power_epoch += 1;
                    self.hosts[h].disk.power_loss(&mut self.rng);
                    self.record(trace, TraceEvent::Fault { fault: format!("power off {host}") });
                    for pid in self.hosts[h].procs.clone() {
                        self.crash(pid, false, trace);
                    }
                }
            }
            Action::ClusterCreate { nodes, replicas } => self.cluster_create(nodes, *replicas, trace)?,
            Action::RemoveFile { host, path } => {
                let h = self.host_ix(host)?;
                let n = self.hosts[h].disk.remove(path);
                if n == 0 {
                    return Err(SimError::Action(format!("no file or directory '{path}' on host '{host}'")));
                }
                self.record(trace, TraceEvent::Fault { fault: format!("rm -rf {path} on {host}") });
            }
            Action::TruncateFile { host, path, bytes } => {
                let h = self.host_ix(host)?;
                if !self.hosts[h].disk.chop(path, *bytes) {
                    return Err(SimError::Action(format!("no append-only file '{path}' on host '{host}'")));
                }
                self.record(trace, TraceEvent::Fault { fault: format!("truncate {bytes} bytes off {path} on {host}") });
            }
            Action::PowerOn { host } => {
                let h = self.host_ix(host)?;
                if !self.hosts[h].powered {
                    self.hosts[h].powered = true;
                    self.record(trace, TraceEvent::Fault { fault: format!("power on {host}") });
                    for pid in self.hosts[h].procs.clone() {
                        self.boot(pid, trace);
                    }
                }
            }
            Action::Pause { process } => {
                let pid = self.proc_id(process)?;
                if self.procs[pid.index()].state == ProcState::Up {
                    self.set_state(pid, ProcState::Paused, trace);
                }
            }
            Action::Resume { process } => {
                let pid = self.proc_id(process)?;
                if self.procs[pid.index()].state == ProcState::Paused {
                    self.set_state(pid, ProcState::Up, trace);
                    for held in std::mem::take(&mut self.procs[pid.index()].held) {
                        self.input(pid, held.input, held.msg, trace);
                    }
                }
            }
            Action::Command { process, line } => {
                let pid = self.proc_id(process)?;
                let reply = self.console(pid, line, trace);
                return Ok(Some(reply));
            }
            Action::Partition { groups } => {
                let mut ix = Vec::new();
                for g in groups {
                    ix.push(self.host_ixs(g)?);
                }
                self.net.partition(&ix);
                let text = groups.iter().map(|g| g.join(" ")).collect::<Vec<_>>().join(" | ");
                self.record(trace, TraceEvent::Fault { fault: format!("partition {text}") });
            }
            Action::PartitionOneWay { from, to } => {
                let (f, t) = (self.host_ixs(from)?, self.host_ixs(to)?);
                self.net.partition_one_way(&f, &t);
                self.record(
                    trace,
                    TraceEvent::Fault { fault: format!("partition {} -> {}", from.join(" "), to.join(" ")) },
                );
            }
            Action::Repoint { process, target, read_target } => {
                let pid = self.proc_id(process)?;
                let t = self.proc_id(target)?;
                let r = read_target.as_ref().map(|r| self.proc_id(r)).transpose()?;
                // The running client and the one a restart boots.
                let slot = &mut self.procs[pid.index()];
                for node in [&mut slot.node, &mut slot.blueprint] {
                    if let Node::Client(c) = node {
                        c.target = t;
                        if r.is_some() {
                            c.read_target = r;
                        }
                    }
                }
                let reads = read_target.as_ref().map(|r| format!(", reads to {r}")).unwrap_or_default();
                self.record(trace, TraceEvent::Fault { fault: format!("{process} repointed to {target}{reads}") });
            }
            Action::Heal => {
                self.net.heal();
                self.record(trace, TraceEvent::Fault { fault: "heal".into() });
            }
            Action::Link { from, to, latency_ms, jitter_ms, loss, symmetric } => {
                check_link_numbers("link", *latency_ms, *jitter_ms, *loss).map_err(as_action_error)?;
                let (a, b) = (self.host_ix(from)?, self.host_ix(to)?);
                let old = self.net.params(a, b);
                let p = LinkParams {
                    latency_ms: latency_ms.unwrap_or(old.latency_ms),
                    jitter_ms: jitter_ms.unwrap_or(old.jitter_ms),
                    loss_ppm: loss.map_or(old.loss_ppm, |l| (l * 1_000_000.0).round() as u32),
                    bytes_per_ms: old.bytes_per_ms,
                };
                self.net.set_link(a, b, p);
                if *symmetric {
                    self.net.set_link(b, a, p);
                }
                let arrow = if *symmetric { "<->" } else { "->" };
                self.record(
                    trace,
                    TraceEvent::Fault {
                        fault: format!(
                            "link {from} {arrow} {to} latency {}ms jitter {}ms loss {}ppm",
                            p.latency_ms, p.jitter_ms, p.loss_ppm
                        ),
                    },
                );
            }
        }
        Ok(None)
    }

    /// The hosts named (a loop rather than `collect::<Result<_>>()`, whose adaptor code the page's package
    /// would hold once per closure).
    fn host_ixs(&self, names: &[String]) -> Result<Vec<HostIx>> {
        let mut ix = Vec::new();
        for name in names {
            ix.push(self.host_ix(name)?);
        }
        Ok(ix)
    }

    /// Run `f` on a server process with a context, then carry out its outbox (for actions that act inside a
    /// process, as an administration tool talking to it would).
    fn on_server(&mut self, pid: ProcId, trace: &mut Vec<Record>, f: &mut dyn FnMut(&mut Server, &mut Ctx<'_>)) {
        self.with_ctx(pid, trace, |node, ctx| {
            if let Node::Server(server) = node {
                f(server, ctx);
            }
        });
    }

    fn cluster_create(&mut self, nodes: &[String], replicas: u32, trace: &mut Vec<Record>) -> Result<()> {
        let mut table = Vec::new();
        let mut pids = Vec::new();
        for n in nodes {
            pids.push(self.proc_id(n)?);
        }
        let masters = nodes.len() / (replicas as usize + 1);
        if masters < 3 {
            return Err(SimError::Action("*** ERROR: Invalid configuration for cluster creation. Redis Cluster requires at least 3 master nodes.".into()));
        }
        for (i, pid) in pids.iter().enumerate() {
            let slot = &self.procs[pid.index()];
            let id = match (&slot.node, slot.state) {
                (Node::Server(s), ProcState::Up) => match &s.cluster {
                    Some(c) => c.myself.clone(),
                    None => {
                        return Err(SimError::Action(format!(
                            "[ERR] Node {} is not configured as a cluster node.",
                            nodes[i]
                        )))
                    }
                },
                _ => return Err(SimError::Action(format!("[ERR] Node {} is not reachable", nodes[i]))),
            };
            let ip = self.hosts[slot.host].ip.clone();
            table.push(crate::cluster::commands::CreatedNode {
                id,
                ip,
                port: slot.port.unwrap_or(6379),
                master: None,
                slots: Vec::new(),
                config_epoch: 0,
            });
        }
        let ranges = crate::cluster::slot::create_ranges(masters);
        for (i, range) in ranges.into_iter().enumerate() {
            table[i].slots = vec![range];
        }
        // redis-cli gives every node its own config epoch, 1..N in the order given, replicas included.
        for (i, node) in table.iter_mut().enumerate() {
            node.config_epoch = i as u64 + 1;
        }
        for j in masters..table.len() {
            table[j].master = Some(table[(j - masters) % masters].id.clone());
        }
        self.record(
            trace,
            TraceEvent::Fault {
                fault: format!("redis-cli --cluster create {} --cluster-replicas {replicas}", nodes.join(" ")),
            },
        );
        for pid in pids {
            let t = table.clone();
            self.on_server(pid, trace, &mut |s, ctx| s.cluster_adopt(ctx, &t));
        }
        Ok(())
    }

    /// Check an action's names against this world without running it.
    pub fn check_action(&self, action: &Action) -> Result<()> {
        let hosts: VecSet<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
        let procs: VecMap<&str, bool> =
            self.procs.iter().map(|p| (p.name.as_str(), matches!(p.node, Node::Server(_)))).collect();
        check_action_names(action, &hosts, &procs).map_err(as_action_error)
    }

    /// A redis-cli on the process's own host: no network between them, so only the process's state matters.
    fn console(&mut self, pid: ProcId, line: &str, trace: &mut Vec<Record>) -> String {
        let slot = &self.procs[pid.index()];
        let address = format!("{}:{}", self.hosts[slot.host].ip, slot.port.unwrap_or(0));
        let powered = self.hosts[slot.host].powered;
        let reply_text = match slot.state {
            ProcState::Crashed if !powered => format!("Could not connect to Redis at {address}: No route to host"),
            ProcState::Crashed => format!("Could not connect to Redis at {address}: Connection refused"),
            // A stopped process's kernel still takes the command; redis-cli would hang until SIGCONT. The page
            // must not hang, so the simulator says so and sends nothing.
            ProcState::Paused => format!(
                "(paused: {address} is stopped by SIGSTOP; redis-cli would hang here until it resumes. The command was not sent.)"
            ),
            ProcState::Up => match split_args(line) {
                Err(e) => e,
                Ok(args) if args.is_empty() => String::new(),
                Ok(args) => match repeat_prefix(&args) {
                    Err(message) => message,
                    Ok((times, _)) if times > MAX_CONSOLE_REPEAT => {
                        format!("The console repeats a command at most {MAX_CONSOLE_REPEAT} times.")
                    }
                    Ok((times, command)) => {
                        let mut printed = Vec::new();
                        for _ in 0..times {
                            let reply: Reply =
                                self.with_ctx(pid, trace, |node, ctx| node.process().console(ctx, command.to_vec()));
                            if self.procs[pid.index()].state != ProcState::Up {
                                // SHUTDOWN: the server closed the connection, and redis-cli prints nothing.
                                break;
                            }
                            printed.push(format_console_reply(command, &reply));
                        }
                        printed.join("\n")
                    }
                },
            },
        };
        self.record(trace, TraceEvent::Console { proc: pid, line: line.to_string(), reply: reply_text.clone() });
        reply_text
    }
}
