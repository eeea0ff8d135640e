// The 30-process deployment the page is measured with (page.perf.js, profile.mjs).

/**
 * A 30-process deployment: a master, 11 replicas, 3 sentinels and 15 applications, for `durationMs` of
 * virtual time (playing stops at the end: a benchmark at high speed needs a long one).
 */
function thirtyProcesses(durationMs = 120000) {
  const monitor = [{ name: 'mymaster', host: '10.0.0.1', port: 6379, quorum: 2, down_after_ms: 2000, failover_timeout_ms: 60000 }];
  const hosts = [];
  for (let i = 0; i < 12; i++) {
    const server = { kind: 'server', name: `redis-${i}`, config: { save: '', 'repl-diskless-sync-delay': 0 } };
    if (i > 0) server.config.replicaof = '10.0.0.1 6379';
    const processes = [server];
    if (i < 3) processes.push({ kind: 'sentinel', name: `sentinel-${i}`, monitor });
    hosts.push({ name: `db${i}`, ip: `10.0.0.${i + 1}`, processes });
  }
  for (let i = 0; i < 15; i++) {
    hosts.push({
      name: `app${i}`, ip: `10.0.1.${i + 1}`,
      processes: [{ kind: 'client', name: `app-${i}`, target: 'redis-0', read_target: `redis-${1 + (i % 11)}`,
        workload: { interval_ms: 100, timeout_ms: 1000, ops: [{ command: 'SET {key} {value}' }, { command: 'GET {key}' }] } }],
    });
  }
  return JSON.stringify({ version: 1, name: 'perf: 30 processes', duration_ms: durationMs, network: { latency_ms: 1, jitter_ms: 1 }, hosts,
    actions: [{ at_ms: 20000, do: 'crash', process: 'redis-0' }] });
}

module.exports = { thirtyProcesses };
