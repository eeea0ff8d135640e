// The scale benchmark under WebAssembly: the same generated cluster as `cargo bench --bench cluster`, run by
// the page's wasm package in Node (V8, as in Chromium). Prints wall time per virtual second.
//
//   make wasm && node web/bench/cluster.mjs                   # 1000 nodes, 10 s of virtual time
//   CLUSTER_NODES=100 CLUSTER_VIRTUAL_MS=20000 node web/bench/cluster.mjs

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = process.env.WASM_PKG ? new URL(`file://${process.env.WASM_PKG.replace(/\/?$/, '/')}`) : new URL('../../www/pkg/', import.meta.url);
const wasm = await import(new URL('redis_ha_sim_web.js', pkg).href);
wasm.initSync({ module: readFileSync(fileURLToPath(new URL('redis_ha_sim_web_bg.wasm', pkg))) });

const nodes = Number(process.env.CLUSTER_NODES ?? 1000);
const virtualMs = Number(process.env.CLUSTER_VIRTUAL_MS ?? 10000);

let t0 = performance.now();
const sim = new wasm.Simulation(wasm.clusterFleet(nodes, 15000), 1);
sim.setQuiet(true, true);
sim.setCheckpointEveryMs(Number.MAX_SAFE_INTEGER);
const built = (performance.now() - t0) / 1000;
t0 = performance.now();
sim.runUntil(virtualMs);
const secs = (performance.now() - t0) / 1000;
const ok = sim.command('redis-0', 'CLUSTER INFO').includes('cluster_state:ok');
console.log(`cluster (wasm, node ${process.version}): ${nodes} nodes (${nodes / 2} masters + ${nodes / 2} replicas), node timeout 15000 ms, ${virtualMs} ms of virtual time`);
console.log(`  build + create:     ${built.toFixed(2)} s`);
console.log(`  wall time:          ${secs.toFixed(2)} s (${(secs / (virtualMs / 1000)).toFixed(2)} s of wall time per virtual second)`);
console.log(`  cluster_state ok:   ${ok}`);
