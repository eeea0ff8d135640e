//! What Redis 7.0 has and the simulator does not model: its other commands and configuration parameters.
//! A learner who types one must not conclude that Redis lacks it, so each gets its own error in the
//! simulator's style ("ERR the simulator does not model ...") instead of Redis's reply to a name it does not
//! know. The names are those of a real redis-server 7.0 (`COMMAND LIST`, `CONFIG GET *`) less the modelled
//! ones; the differential test checks both lists against a real server. One space-separated string per list
//! keeps them small in the page's package.

/// Commands of the data types beyond strings (hashes, lists, sets, sorted sets, streams, geo, HyperLogLog,
/// bitmaps): the simulator's values are strings only.
const TYPE_COMMANDS: &str = "bitcount bitfield bitfield_ro bitop bitpos blmove blmpop blpop brpop brpoplpush \
    bzmpop bzpopmax bzpopmin geoadd geodist geohash geopos georadius georadius_ro georadiusbymember \
    georadiusbymember_ro geosearch geosearchstore getbit hdel hexists hget hgetall hincrby hincrbyfloat hkeys \
    hlen hmget hmset hrandfield hscan hset hsetnx hstrlen hvals lindex linsert llen lmove lmpop lpop lpos lpush \
    lpushx lrange lrem lset ltrim pfadd pfcount pfdebug pfmerge pfselftest rpop rpoplpush rpush rpushx sadd \
    scard sdiff sdiffstore setbit sinter sintercard sinterstore sismember smembers smismember smove spop \
    srandmember srem sscan sunion sunionstore xack xadd xautoclaim xclaim xdel xgroup xinfo xlen xpending xrange \
    xread xreadgroup xrevrange xsetid xtrim zadd zcard zcount zdiff zdiffstore zincrby zinter zintercard \
    zinterstore zlexcount zmpop zmscore zpopmax zpopmin zrandmember zrange zrangebylex zrangebyscore \
    zrangestore zrank zrem zremrangebylex zremrangebyrank zremrangebyscore zrevrange zrevrangebylex \
    zrevrangebyscore zrevrank zscan zscore zunion zunionstore";

/// The other Redis 7.0 commands the simulator leaves out (transactions, scripting, client and ACL
/// management, the rest of the string and key commands...).
const OTHER_COMMANDS: &str = "acl auth client command copy debug discard dump eval eval_ro evalsha evalsha_ro \
    exec expiretime failover fcall fcall_ro function getex getrange hello incrbyfloat latency lcs lolwut memory \
    module monitor move msetnx multi object pexpiretime psetex psubscribe pubsub punsubscribe quit randomkey \
    rename renamenx reset scan script setex setrange slowlog sort sort_ro spublish ssubscribe substr \
    sunsubscribe swapdb touch unsubscribe unwatch watch";

/// Parameters CONFIG SET may change on a real server and the simulator does not model.
const MUTABLE_OPTIONS: &str = "acl-pubsub-default acllog-max-len active-defrag-cycle-max active-defrag-cycle-min \
    active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower \
    active-defrag-threshold-upper active-expire-effort activedefrag activerehashing aof-disable-auto-gc \
    aof-rewrite-incremental-fsync aof-timestamp-enabled bind bind-source-addr busy-reply-threshold \
    client-output-buffer-limit client-query-buffer-limit cluster-allow-pubsubshard-when-down \
    cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port \
    cluster-announce-tls-port cluster-link-sendbuf-limit cluster-preferred-endpoint-type crash-log-enabled \
    crash-memcheck-enabled dir dynamic-hz hash-max-listpack-entries hash-max-listpack-value \
    hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes ignore-warnings jemalloc-bg-thread \
    latency-monitor-threshold latency-tracking latency-tracking-info-percentiles lazyfree-lazy-eviction \
    lazyfree-lazy-expire lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time \
    lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size loglevel lua-time-limit \
    masterauth masteruser maxclients maxmemory maxmemory-clients maxmemory-eviction-tenacity maxmemory-policy \
    maxmemory-samples no-appendfsync-on-rewrite notify-keyspace-events oom-score-adj oom-score-adj-values \
    proc-title-template propagation-error-behavior protected-mode proto-max-bulk-len rdb-del-sync-files \
    rdb-save-incremental-fsync rdbcompression repl-disable-tcp-nodelay repl-diskless-load \
    repl-diskless-sync-max-replicas replica-announce-ip replica-announce-port replica-announced \
    replica-ignore-disk-write-errors replica-ignore-maxmemory replica-lazy-flush requirepass \
    sanitize-dump-payload set-max-intset-entries shutdown-on-sigint shutdown-on-sigterm shutdown-timeout \
    slave-announce-ip slave-announce-port slave-ignore-maxmemory slave-lazy-flush slowlog-log-slower-than \
    slowlog-max-len stop-writes-on-bgsave-error stream-node-max-bytes stream-node-max-entries tcp-keepalive \
    timeout tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites \
    tls-client-cert-file tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file \
    tls-key-file tls-key-file-pass tls-port tls-prefer-server-ciphers tls-protocols tls-replication \
    tls-session-cache-size tls-session-cache-timeout tls-session-caching tracking-table-max-keys \
    zset-max-listpack-entries zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value";

/// Parameters a real server refuses to change at run time: CONFIG SET gets Redis's own refusal.
const IMMUTABLE_OPTIONS: &str = "aclfile always-show-logo aof_rewrite_cpulist bgsave_cpulist bio_cpulist \
    cluster-config-file cluster-port daemonize databases disable-thp enable-debug-command enable-module-command \
    enable-protected-configs io-threads io-threads-do-reads logfile pidfile rdbchecksum replicaof \
    server_cpulist set-proc-title slaveof socket-mark-id supervised syslog-enabled syslog-facility syslog-ident \
    tcp-backlog unixsocket unixsocketperm";

/// Unmodelled parameters whose Redis default is what the simulator does, so CONFIG GET may state it: no
/// memory limit and so no eviction, no client limit reached, idle clients never closed, no passwords.
/// (`bind` is stated too, from the server's address: see `admin::config`.)
pub const AS_DEFAULT: &[(&str, &str)] = &[
    ("maxmemory", "0"),
    ("maxmemory-policy", "noeviction"),
    ("maxclients", "10000"),
    ("timeout", "0"),
    ("requirepass", ""),
    ("masterauth", ""),
];

fn listed(list: &str, name: &str) -> bool {
    list.split(' ').any(|n| n == name)
}

/// The error for a Redis 7.0 command the simulator does not model, or `None` if Redis does not know it either.
pub fn command_error(name: &[u8]) -> Option<String> {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let why = if listed(TYPE_COMMANDS, &name) {
        " (its values are strings only)"
    } else if listed(OTHER_COMMANDS, &name) {
        ""
    } else {
        return None;
    };
    Some(format!("ERR the simulator does not model the '{name}' command{why}"))
}

/// Why CONFIG SET refuses a Redis 7.0 parameter the simulator does not model (the text after `- ` in
/// Redis's `CONFIG SET failed` error), or `None` if Redis does not know it either.
pub fn config_set_refusal(name: &str) -> Option<&'static str> {
    if listed(IMMUTABLE_OPTIONS, name) {
        Some("can't set immutable config")
    } else if name == "dir" {
        // Protected in Redis 7 unless enable-protected-configs is set, which it is not by default.
        Some("can't set protected config")
    } else if listed(MUTABLE_OPTIONS, name) {
        Some("the simulator does not model this option")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn real_commands_and_options_are_told_apart_from_unknown_ones() {
        assert_eq!(
            command_error(b"HSET").as_deref(),
            Some("ERR the simulator does not model the 'hset' command (its values are strings only)")
        );
        assert_eq!(command_error(b"multi").as_deref(), Some("ERR the simulator does not model the 'multi' command"));
        assert_eq!(command_error(b"foo"), None);
        assert_eq!(command_error(b"hse"), None);
        assert_eq!(config_set_refusal("maxmemory"), Some("the simulator does not model this option"));
        assert_eq!(config_set_refusal("tcp-backlog"), Some("can't set immutable config"));
        assert_eq!(config_set_refusal("nosuchoption"), None);
        // Every name once, and none of them modelled.
        for list in [TYPE_COMMANDS, OTHER_COMMANDS] {
            for name in list.split(' ') {
                assert!(super::super::lookup(name.as_bytes()).is_none(), "{name} is modelled");
            }
        }
        for name in MUTABLE_OPTIONS.split(' ').chain(IMMUTABLE_OPTIONS.split(' ')) {
            assert!(!super::super::ServerConfig::knows(name), "{name} is modelled");
        }
    }
}
