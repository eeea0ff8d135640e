//! The application's database, as the look-aside cache lesson needs it: the source of truth behind the
//! cache, which answers a query after `query_ms` of virtual time and holds at most `capacity` queries at once.
//! Each query holds one connection for its whole duration (an application without a connection pool, or with
//! one as large as the database allows); one more is refused at once, in PostgreSQL's words:
//! `FATAL: sorry, too many clients already` (what PostgreSQL answers past `max_connections`). Nothing else of
//! a database is modelled: no SQL, no writes, no durability — a row for every key, always there.
//!
//! The number of queries in flight goes to the trace as a [`TraceEvent::Gauge`] each time it changes, so the
//! spike is visible on the timeline and in the text trace.

use crate::decode::Fields;
use crate::json::Object;
use crate::process::{Ctx, Input, Message, ProcId, Process, Timer};
use crate::resp::Reply;
use crate::trace::TraceEvent;
use crate::vecmap::VecMap;

/// PostgreSQL's error (and log line) for a connection past `max_connections`.
pub const TOO_MANY: &str = "FATAL: sorry, too many clients already";

/// The gauge's name in the trace.
pub const GAUGE: &str = "connections";

/// A database in a scenario: `{"kind": "database", "name": "db", "capacity": 20, "query_ms": 50}`.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseSpec {
    /// Its port (PostgreSQL's by default): shown on the page, unique on its host.
    pub port: u16,
    /// The most queries (connections) it serves at once (PostgreSQL's `max_connections`, default 100).
    pub capacity: u32,
    /// How long one query takes, in ms of virtual time.
    pub query_ms: u64,
}

fn default_port() -> u16 {
    5432
}
fn default_capacity() -> u32 {
    100
}
fn default_query_ms() -> u64 {
    50
}

impl DatabaseSpec {
    /// Read from the process spec that holds these fields beside its own (and has refused unknown ones).
    pub(crate) fn from_fields(f: &Fields) -> Self {
        DatabaseSpec {
            port: f.or("port", default_port),
            capacity: f.or("capacity", default_capacity),
            query_ms: f.or("query_ms", default_query_ms),
        }
    }

    /// Written beside the process spec's own fields, in declaration order.
    pub(crate) fn write_fields(&self, o: &mut Object<'_>) {
        o.field("port", &self.port).field("capacity", &self.capacity).field("query_ms", &self.query_ms);
    }
}

impl Default for DatabaseSpec {
    fn default() -> Self {
        DatabaseSpec { port: default_port(), capacity: default_capacity(), query_ms: default_query_ms() }
    }
}

/// A query being answered: who asked, its request id, and the reply it will get.
#[derive(Clone, Debug)]
struct Query {
    from: ProcId,
    id: u64,
    reply: Reply,
}

#[derive(Clone, Debug)]
pub struct Database {
    pub name: String,
    pub capacity: u32,
    pub query_ms: u64,
    in_flight: VecMap<u64, Query>,
    next_token: u64,
    /// The most queries it held at once since it started.
    pub peak: u64,
    pub served: u64,
    pub refused: u64,
}

impl Database {
    pub fn new(name: String, spec: &DatabaseSpec) -> Database {
        Database {
            name,
            capacity: spec.capacity,
            query_ms: spec.query_ms,
            in_flight: VecMap::new(),
            next_token: 0,
            peak: 0,
            served: 0,
            refused: 0,
        }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The row of `key`: the value a cache-aside application puts in the cache (`<database>:<key>`).
    pub fn row(&self, key: &[u8]) -> Vec<u8> {
        let mut v = self.name.clone().into_bytes();
        v.push(b':');
        v.extend_from_slice(key);
        v
    }

    /// What a query returns: `QUERY <key>` gives the key's row; `PING` gives PONG.
    fn answer(&self, args: &[Vec<u8>]) -> Reply {
        let name = args.first().map(|a| a.to_ascii_uppercase()).unwrap_or_default();
        match (name.as_slice(), args.len()) {
            (b"QUERY", 2) => Reply::Bulk(self.row(&args[1])),
            (b"PING", 1) => Reply::Status("PONG".into()),
            _ => Reply::err(format!(
                "ERROR: syntax error at or near \"{}\" (this database knows QUERY <key>, PING and, in a console, INFO)",
                String::from_utf8_lossy(args.first().map(Vec::as_slice).unwrap_or_default())
            )),
        }
    }

    fn gauge(&self, ctx: &mut Ctx<'_>) {
        ctx.out.note(TraceEvent::Gauge {
            proc: ctx.me,
            name: GAUGE.into(),
            value: self.in_flight.len() as u64,
            limit: Some(u64::from(self.capacity)),
        });
    }

    /// The console's INFO: what a learner checks after the run.
    fn info(&self) -> String {
        format!(
            "# Database\r\ncapacity:{}\r\nquery_ms:{}\r\nin_flight:{}\r\npeak_in_flight:{}\r\nqueries_served:{}\r\nqueries_refused:{}\r\n",
            self.capacity,
            self.query_ms,
            self.in_flight.len(),
            self.peak,
            self.served,
            self.refused
        )
    }
}

impl Process for Database {
    fn on_input(&mut self, ctx: &mut Ctx<'_>, input: Input) {
        match input {
            Input::Message { from, msg: Message::Request { id, args } } => {
                if self.in_flight.len() as u64 >= u64::from(self.capacity) {
                    self.refused += 1;
                    ctx.out.note(TraceEvent::Log { proc: ctx.me, text: TOO_MANY.into() });
                    ctx.out.send(from, Message::Response { id, reply: Reply::err(TOO_MANY) });
                    return;
                }
                self.next_token += 1;
                let reply = self.answer(&args);
                self.in_flight.insert(self.next_token, Query { from, id, reply });
                self.peak = self.peak.max(self.in_flight.len() as u64);
                ctx.out.set_timer(self.query_ms, Timer::QueryDone { token: self.next_token });
                self.gauge(ctx);
            }
            Input::Timer(Timer::QueryDone { token }) => {
                if let Some(q) = self.in_flight.remove(&token) {
                    self.served += 1;
                    ctx.out.send(q.from, Message::Response { id: q.id, reply: q.reply });
                    self.gauge(ctx);
                }
            }
            // A client that went away: its queries still run to the end (as a backend does until it notices).
            Input::Start | Input::Timer(_) | Input::Message { .. } | Input::Refused { .. } | Input::Closed { .. } => {}
        }
    }

    fn console(&mut self, _ctx: &mut Ctx<'_>, args: Vec<Vec<u8>>) -> Reply {
        if args.first().is_some_and(|a| a.eq_ignore_ascii_case(b"INFO")) {
            return Reply::Bulk(self.info().into_bytes());
        }
        self.answer(&args)
    }
}
