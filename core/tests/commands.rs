//! The standalone server's commands, replies and error strings, checked against what Redis 7 prints
//! (the strings were taken from redis-server 7.0 and redis-cli).

mod common;
use common::{at, cli, one_server};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[test]
fn set_get_and_basic_replies() {
    let mut s = one_server();
    assert_eq!(cli(&mut s, "PING"), "PONG");
    assert_eq!(cli(&mut s, "ping hello"), "\"hello\"");
    assert_eq!(cli(&mut s, "ECHO \"a b\""), "\"a b\"");
    assert_eq!(cli(&mut s, "SET foo bar"), "OK");
    assert_eq!(cli(&mut s, "GET foo"), "\"bar\"");
    assert_eq!(cli(&mut s, "GET nokey"), "(nil)");
    assert_eq!(cli(&mut s, "APPEND foo baz"), "(integer) 6");
    assert_eq!(cli(&mut s, "STRLEN foo"), "(integer) 6");
    assert_eq!(cli(&mut s, "EXISTS foo foo nokey"), "(integer) 2");
    assert_eq!(cli(&mut s, "TYPE foo"), "string");
    assert_eq!(cli(&mut s, "TYPE nokey"), "none");
    assert_eq!(cli(&mut s, "DEL foo nokey"), "(integer) 1");
    assert_eq!(cli(&mut s, "DBSIZE"), "(integer) 0");
}

#[test]
fn errors_are_worded_as_redis_words_them() {
    let mut s = one_server();
    assert_eq!(cli(&mut s, "FOO bar baz"), "(error) ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ");
    assert_eq!(cli(&mut s, "GET"), "(error) ERR wrong number of arguments for 'get' command");
    assert_eq!(cli(&mut s, "get a b"), "(error) ERR wrong number of arguments for 'get' command");
    assert_eq!(cli(&mut s, "PING a b"), "(error) ERR wrong number of arguments for 'ping' command");
    assert_eq!(cli(&mut s, "MSET a"), "(error) ERR wrong number of arguments for 'mset' command");
    assert_eq!(cli(&mut s, "MSET a 1 b"), "(error) ERR wrong number of arguments for 'mset' command");
    assert_eq!(cli(&mut s, "SET a b NX XX"), "(error) ERR syntax error");
    assert_eq!(cli(&mut s, "SET a b KEEPTTL EX 5"), "(error) ERR syntax error");
    assert_eq!(cli(&mut s, "SET a b EX"), "(error) ERR syntax error");
    assert_eq!(cli(&mut s, "SET a b EX abc"), "(error) ERR value is not an integer or out of range");
    assert_eq!(cli(&mut s, "SET a b EX 0"), "(error) ERR invalid expire time in 'set' command");
    assert_eq!(cli(&mut s, "SET a b EX -1"), "(error) ERR invalid expire time in 'set' command");
    assert_eq!(cli(&mut s, "SET e v EX 9999999999999999"), "(error) ERR invalid expire time in 'set' command");
    assert_eq!(cli(&mut s, "SET a xyz"), "OK");
    assert_eq!(cli(&mut s, "INCR a"), "(error) ERR value is not an integer or out of range");
    assert_eq!(cli(&mut s, "INCRBY n abc"), "(error) ERR value is not an integer or out of range");
    assert_eq!(cli(&mut s, "SET big 9223372036854775807"), "OK");
    assert_eq!(cli(&mut s, "INCR big"), "(error) ERR increment or decrement would overflow");
    assert_eq!(cli(&mut s, "DECRBY n -9223372036854775808"), "(error) ERR decrement would overflow");
    assert_eq!(cli(&mut s, "EXPIRE a abc"), "(error) ERR value is not an integer or out of range");
    assert_eq!(
        cli(&mut s, "EXPIRE a 100 NX GT"),
        "(error) ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(cli(&mut s, "EXPIRE a 9223372036854775807"), "(error) ERR invalid expire time in 'expire' command");
    assert_eq!(cli(&mut s, "FLUSHALL FOO"), "(error) ERR syntax error");
    assert_eq!(cli(&mut s, "SELECT 16"), "(error) ERR DB index is out of range");
    assert_eq!(cli(&mut s, "SELECT x"), "(error) ERR value is not an integer or out of range");
    assert_eq!(cli(&mut s, "SET \"unterminated"), "Invalid argument(s)");
}

#[test]
fn counters() {
    let mut s = one_server();
    assert_eq!(cli(&mut s, "INCR n"), "(integer) 1");
    assert_eq!(cli(&mut s, "INCRBY n 10"), "(integer) 11");
    assert_eq!(cli(&mut s, "DECR n"), "(integer) 10");
    assert_eq!(cli(&mut s, "DECRBY n 20"), "(integer) -10");
    assert_eq!(cli(&mut s, "GET n"), "\"-10\"");
    // string2ll is strict: no leading zeros, no plus sign, no spaces.
    assert_eq!(cli(&mut s, "INCRBY n 01"), "(error) ERR value is not an integer or out of range");
    assert_eq!(cli(&mut s, "INCRBY n +1"), "(error) ERR value is not an integer or out of range");
}

#[test]
fn set_options_nx_xx_get() {
    let mut s = one_server();
    assert_eq!(cli(&mut s, "SET a 1 XX"), "(nil)");
    assert_eq!(cli(&mut s, "SET a 1 NX"), "OK");
    assert_eq!(cli(&mut s, "SET a 2 NX"), "(nil)");
    assert_eq!(cli(&mut s, "SET a 2 GET"), "\"1\"");
    assert_eq!(cli(&mut s, "SET a 3 NX GET"), "\"2\"");
    assert_eq!(cli(&mut s, "GET a"), "\"2\"");
    assert_eq!(cli(&mut s, "SET fresh v GET"), "(nil)");
    assert_eq!(cli(&mut s, "SETNX a 9"), "(integer) 0");
    assert_eq!(cli(&mut s, "GETSET a 9"), "\"2\"");
    assert_eq!(cli(&mut s, "GETDEL a"), "\"9\"");
    assert_eq!(cli(&mut s, "GET a"), "(nil)");
    assert_eq!(cli(&mut s, "MSET x 1 y 2"), "OK");
    assert_eq!(cli(&mut s, "MGET x nokey y"), "1) \"1\"\n2) (nil)\n3) \"2\"");
}

#[test]
fn expiry_follows_virtual_time() {
    let mut s = one_server();
    assert_eq!(cli(&mut s, "SET k v EX 10"), "OK");
    assert_eq!(cli(&mut s, "TTL k"), "(integer) 10");
    assert_eq!(cli(&mut s, "PTTL k"), "(integer) 10000");
    at(&mut s, 4_000);
    assert_eq!(cli(&mut s, "TTL k"), "(integer) 6");
    assert_eq!(cli(&mut s, "PTTL k"), "(integer) 6000");
    at(&mut s, 10_050);
    assert_eq!(cli(&mut s, "GET k"), "(nil)");
    assert_eq!(cli(&mut s, "TTL k"), "(integer) -2");
    // The active expiry cycle removes keys nobody reads.
    assert_eq!(cli(&mut s, "SET gone v PX 500"), "OK");
    assert_eq!(cli(&mut s, "DBSIZE"), "(integer) 1");
    at(&mut s, 11_000);
    assert_eq!(cli(&mut s, "DBSIZE"), "(integer) 0");
    assert!(cli(&mut s, "INFO stats").contains("expired_keys:2"));
    // EXPIRE options and PERSIST.
    assert_eq!(cli(&mut s, "SET p v"), "OK");
    assert_eq!(cli(&mut s, "TTL p"), "(integer) -1");
    assert_eq!(cli(&mut s, "EXPIRE p 100 XX"), "(integer) 0");
    assert_eq!(cli(&mut s, "EXPIRE p 100 NX"), "(integer) 1");
    assert_eq!(cli(&mut s, "EXPIRE p 50 GT"), "(integer) 0");
    assert_eq!(cli(&mut s, "EXPIRE p 50 LT"), "(integer) 1");
    assert_eq!(cli(&mut s, "PERSIST p"), "(integer) 1");
    assert_eq!(cli(&mut s, "PERSIST p"), "(integer) 0");
    assert_eq!(cli(&mut s, "EXPIRE p -5"), "(integer) 1");
    assert_eq!(cli(&mut s, "EXISTS p"), "(integer) 0");
    assert_eq!(cli(&mut s, "EXPIRE nokey 10"), "(integer) 0");
    // A SET without KEEPTTL clears the TTL; INCR keeps it.
    assert_eq!(cli(&mut s, "SET c 1 EX 100"), "OK");
    assert_eq!(cli(&mut s, "INCR c"), "(integer) 2");
    assert_eq!(cli(&mut s, "TTL c"), "(integer) 100");
    assert_eq!(cli(&mut s, "SET c 5 KEEPTTL"), "OK");
    assert_eq!(cli(&mut s, "TTL c"), "(integer) 100");
    assert_eq!(cli(&mut s, "SET c 5"), "OK");
    assert_eq!(cli(&mut s, "TTL c"), "(integer) -1");
}

#[test]
fn exat_uses_the_scenario_unix_clock() {
    let mut s = one_server();
    // Virtual time 0 is 2024-01-01T00:00:00Z by default.
    assert_eq!(cli(&mut s, "TIME"), "1) \"1704067200\"\n2) \"0\"");
    assert_eq!(cli(&mut s, "SET k v EXAT 1704067260"), "OK");
    assert_eq!(cli(&mut s, "TTL k"), "(integer) 60");
    assert_eq!(cli(&mut s, "SET old v EXAT 1"), "OK");
    assert_eq!(cli(&mut s, "EXISTS old"), "(integer) 0");
}

#[test]
fn keys_dbsize_flushall() {
    let mut s = one_server();
    cli(&mut s, "MSET user:1 a user:2 b other c");
    assert_eq!(cli(&mut s, "KEYS user:*"), "1) \"user:1\"\n2) \"user:2\"");
    assert_eq!(cli(&mut s, "KEYS nomatch*"), "(empty array)");
    assert_eq!(cli(&mut s, "DBSIZE"), "(integer) 3");
    assert_eq!(cli(&mut s, "FLUSHALL ASYNC"), "OK");
    assert_eq!(cli(&mut s, "DBSIZE"), "(integer) 0");
}

#[test]
fn info_role_and_config() {
    let mut s = one_server();
    cli(&mut s, "SET a 1");
    at(&mut s, 3_000);
    let info = cli(&mut s, "INFO");
    for field in [
        "# Server",
        "redis_version:7.0.15",
        "redis_mode:standalone",
        "tcp_port:6379",
        "uptime_in_seconds:3",
        "# Clients",
        "connected_clients:1",
        "# Stats",
        "# Keyspace",
        "db0:keys=1,expires=0,avg_ttl=0",
    ] {
        assert!(info.contains(field), "INFO lacks {field}:\n{info}");
    }
    let keyspace = cli(&mut s, "INFO keyspace");
    assert!(!keyspace.contains("# Server"));
    // A leading count repeats the command, as redis-cli's prompt does; each reply on its own line.
    assert_eq!(cli(&mut s, "3 INCR repeated"), "(integer) 1\n(integer) 2\n(integer) 3");
    assert_eq!(cli(&mut s, "0 INCR repeated"), "Invalid redis-cli repeat command option value.");
    assert_eq!(cli(&mut s, "5000 PING"), "The console repeats a command at most 1000 times.");
    assert_eq!(cli(&mut s, "GET repeated"), "\"3\"");
    // redis-cli prints INFO raw: an unknown section is an empty text, so nothing.
    assert_eq!(cli(&mut s, "INFO nosuchsection"), "");
    assert_eq!(cli(&mut s, "ROLE"), "1) \"master\"\n2) (integer) 0\n3) (empty array)");

    assert_eq!(cli(&mut s, "CONFIG GET hz"), "1) \"hz\"\n2) \"10\"");
    assert_eq!(cli(&mut s, "CONFIG SET hz 1000"), "OK");
    assert_eq!(cli(&mut s, "CONFIG GET hz"), "1) \"hz\"\n2) \"500\"");
    assert_eq!(cli(&mut s, "CONFIG GET p*t"), "1) \"port\"\n2) \"6379\"");
    assert!(cli(&mut s, "CONFIG GET *").contains("\"repl-backlog-size\"\n"));
    assert_eq!(
        cli(&mut s, "CONFIG SET foo bar"),
        "(error) ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        cli(&mut s, "CONFIG SET hz abc"),
        "(error) ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        cli(&mut s, "CONFIG SET hz 5 hz 6"),
        "(error) ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
    );
    assert_eq!(cli(&mut s, "CONFIG GET"), "(error) ERR wrong number of arguments for 'config|get' command");
    assert_eq!(cli(&mut s, "CONFIG FOO"), "(error) ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
    assert_eq!(cli(&mut s, "CONFIG"), "(error) ERR wrong number of arguments for 'config' command");
}

/// The tester's reproduction: a cluster node's INFO says it runs in cluster mode, and every section of
/// Redis 7.0's default INFO is there, in Redis's order (Memory and CPU with only what the simulator knows).
#[test]
fn info_on_a_cluster_node_says_cluster_mode_and_has_every_default_section() {
    let json = redis_ha_sim::library::get("cluster-crossslot").unwrap();
    let mut s = redis_ha_sim::Simulation::from_json(json, 1).unwrap();
    at(&mut s, 2400);
    let info = s.command("redis-1", "INFO").unwrap();
    assert!(info.contains("\nredis_mode:cluster\n"), "{info}");
    let titles = |text: &str| text.lines().filter(|l| l.starts_with("# ")).map(String::from).collect::<Vec<_>>();
    assert_eq!(
        titles(&info),
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert_eq!(s.command("redis-1", "INFO cluster").unwrap(), "# Cluster\ncluster_enabled:1");
    assert_eq!(
        s.command("redis-1", "INFO memory").unwrap(),
        "# Memory\nmaxmemory:0\nmaxmemory_human:0B\nmaxmemory_policy:noeviction"
    );
    // Commandstats and Latencystats (time spent per command) are not modelled: `everything` is the default.
    assert_eq!(titles(&s.command("redis-1", "INFO everything").unwrap()), titles(&info));
}
