//! Pub/sub, as much as Sentinel needs: SUBSCRIBE and PUBLISH. A subscriber receives each message as a push.
//! (Redis also propagates PUBLISH to replicas; the simulator does not, so sentinels' hellos do not count in
//! replication offsets.)

use super::Server;
use crate::process::{Ctx, Message};
use crate::resp::Reply;

pub fn subscribe(server: &mut Server, _ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let Some((client, _)) = server.current else {
        return Reply::err("ERR the simulator's console cannot stay subscribed; use a client process");
    };
    let mut replies = Vec::new();
    for channel in &args[1..] {
        server.subscribers.entry(channel.clone()).or_default().insert(client);
        let count = server.subscribers.values().filter(|s| s.contains(&client)).count();
        replies.push(Reply::Array(vec![Reply::bulk("subscribe"), Reply::bulk(channel), Reply::Int(count as i64)]));
    }
    if replies.len() == 1 {
        replies.pop().unwrap_or(Reply::Nil)
    } else {
        Reply::Array(replies)
    }
}

pub fn publish(server: &mut Server, ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> Reply {
    let receivers: Vec<_> = server.subscribers.get(&args[1]).map(|s| s.iter().copied().collect()).unwrap_or_default();
    for to in &receivers {
        ctx.out.send(*to, Message::Push { channel: args[1].clone(), payload: args[2].clone() });
    }
    Reply::Int(receivers.len() as i64)
}
