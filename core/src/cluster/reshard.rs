//! A resharding tool, as `redis-cli --cluster reshard` runs it from an admin host: for each slot, mark it
//! IMPORTING on the target and MIGRATING on the source, move its keys in batches with GETKEYSINSLOT and
//! MIGRATE, then assign it with SETSLOT NODE. Clients see ASK while a slot moves and MOVED afterwards.

use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReshardSpec {
    /// Source and target nodes (process names).
    pub from: String,
    pub to: String,
    /// The first and last slot to move.
    pub slots: (u16, u16),
    /// Keys per MIGRATE (`--cluster-pipeline`).
    #[serde(default = "default_batch")]
    pub batch: u32,
    #[serde(default)]
    pub start_ms: u64,
}

fn default_batch() -> u32 {
    10
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    MyIdFrom,
    MyIdTo,
    Importing,
    Migrating,
    GetKeys,
    Migrate,
    NodeOnTarget,
    NodeOnSource,
    Done,
}

#[derive(Clone, Debug)]
pub struct Resharder {
    from: ProcId,
    to: ProcId,
    to_addr: (String, u16),
    first: u16,
    last: u16,
    batch: u32,
    start_ms: u64,
    from_id: String,
    to_id: String,
    slot: u16,
    step: Step,
    next_id: u64,
    moved_keys: u64,
}

impl Resharder {
    pub fn new(from: ProcId, to: ProcId, to_addr: (String, u16), spec: &ReshardSpec) -> Resharder {
        Resharder {
            from,
            to,
            to_addr,
            first: spec.slots.0,
            last: spec.slots.1,
            batch: spec.batch.max(1),
            start_ms: spec.start_ms,
            from_id: String::new(),
            to_id: String::new(),
            slot: spec.slots.0,
            step: Step::MyIdFrom,
            next_id: 0,
            moved_keys: 0,
        }
    }

    fn send(&mut self, ctx: &mut Ctx<'_>, to: ProcId, words: Vec<String>) {
        self.next_id += 1;
        ctx.out
            .send(to, Message::Request { id: self.next_id, args: words.into_iter().map(String::into_bytes).collect() });
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    /// Issue the request of the current step.
    fn act(&mut self, ctx: &mut Ctx<'_>) {
        let slot = self.slot;
        match self.step {
            Step::MyIdFrom => self.send(ctx, self.from, Self::words("CLUSTER MYID")),
            Step::MyIdTo => self.send(ctx, self.to, Self::words("CLUSTER MYID")),
            Step::Importing => {
                self.send(ctx, self.to, Self::words(&format!("CLUSTER SETSLOT {slot} IMPORTING {}", self.from_id)))
            }
            Step::Migrating => {
                self.send(ctx, self.from, Self::words(&format!("CLUSTER SETSLOT {slot} MIGRATING {}", self.to_id)))
            }
            Step::GetKeys => {
                self.send(ctx, self.from, Self::words(&format!("CLUSTER GETKEYSINSLOT {slot} {}", self.batch)))
            }
            Step::Migrate => {}
            Step::NodeOnTarget => {
                self.send(ctx, self.to, Self::words(&format!("CLUSTER SETSLOT {slot} NODE {}", self.to_id)))
            }
            Step::NodeOnSource => {
                self.send(ctx, self.from, Self::words(&format!("CLUSTER SETSLOT {slot} NODE {}", self.to_id)))
            }
            Step::Done => {}
        }
    }

    fn log(&self, ctx: &mut Ctx<'_>, text: String) {
        ctx.out.note(TraceEvent::Log { proc: ctx.me, text });
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_>, reply: Reply) {
        if let Reply::Error(e) = &reply {
            self.log(ctx, format!("[ERR] {e}"));
            self.step = Step::Done;
            return;
        }
        self.step = match self.step {
            Step::MyIdFrom => {
                self.from_id = bulk(&reply);
                Step::MyIdTo
            }
            Step::MyIdTo => {
                self.to_id = bulk(&reply);
                self.log(
                    ctx,
                    format!("Moving slots {}-{} from {} to {}", self.first, self.last, self.from_id, self.to_id),
                );
                Step::Importing
            }
            Step::Importing => Step::Migrating,
            Step::Migrating | Step::Migrate => Step::GetKeys,
            Step::GetKeys => match reply {
                Reply::Array(keys) if !keys.is_empty() => {
                    let mut words = vec![
                        "MIGRATE".to_string(),
                        self.to_addr.0.clone(),
                        self.to_addr.1.to_string(),
                        String::new(),
                        "0".into(),
                        "5000".into(),
                        "KEYS".into(),
                    ];
                    self.moved_keys += keys.len() as u64;
                    words.extend(keys.iter().map(bulk));
                    self.send(ctx, self.from, words);
                    self.step = Step::Migrate;
                    return;
                }
                _ => Step::NodeOnTarget,
            },
            Step::NodeOnTarget => Step::NodeOnSource,
            Step::NodeOnSource => {
                if self.slot == self.last {
                    self.log(
                        ctx,
                        format!(
                            "Resharding done: {} slots, {} keys moved",
                            self.last - self.first + 1,
                            self.moved_keys
                        ),
                    );
                    Step::Done
                } else {
                    self.slot += 1;
                    Step::Importing
                }
            }
            Step::Done => Step::Done,
        };
        self.act(ctx);
    }
}

fn bulk(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        Reply::Status(s) => s.clone(),
        _ => String::new(),
    }
}

impl Process for Resharder {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Start => ctx.out.set_timer(self.start_ms.saturating_sub(ctx.now.ms()), Timer::ClientTick),
            Input::Timer(Timer::ClientTick) => self.act(ctx),
            Input::Message { msg: Message::Response { reply, .. }, .. } => self.on_reply(ctx, reply),
            Input::Refused { .. } | Input::Closed { .. } if self.step != Step::Done => {
                self.log(ctx, "[ERR] a node went away: resharding stopped".into());
                self.step = Step::Done;
            }
            _ => {}
        }
    }

    fn console(&mut self, _ctx: &mut Ctx<'_>, _args: Vec<Vec<u8>>) -> Reply {
        Reply::err("ERR a resharding tool does not run commands")
    }
}
