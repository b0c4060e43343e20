/**
 * `npm run bench`: prints numbers; asserts nothing. Bounded, loopback only, stops by itself.
 *
 *   1. the pure scheduler: one filter-and-score pass over 1,000 pools (ms, p50/p99) and the decision's size;
 *   2. the ledger: reservations per second in one pool's ledger;
 *   3. end to end on the real servers: N volumes created at once into 10 pools — time until all are bound,
 *      placements per second, creation-to-bound latency p50/p95/max, history bytes per placed volume,
 *      and the worker's memory.
 *
 * BENCH_VOLUMES (default 300) sets N.
 */
import { performance } from 'node:perf_hooks';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { defaultSchedulerConfig } from '../src/scheduler/config.js';
import { resolveChain, schedule } from '../src/scheduler/chain.js';
import { buildPoolNodes } from '../src/scheduler/pool-node.js';
import { reserve, type LedgerState } from '../src/scheduler/ledger.js';
import type { AntstorVolume, StoragePool } from '../src/api/types.js';
import { volumeWorkflowId } from '../src/workflows/messages.js';
import { inParallel } from '../test/harness/capacity-sampler.js';
import { GiB, newTestCluster } from '../test/harness/cluster.js';
import { teardownEnv, testEnv } from '../test/harness/env.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f = (n: number, d = 1) => n.toFixed(d);

function schedulerBench() {
  const pools: StoragePool[] = Array.from({ length: 1000 }, (_, i) => ({
    metadata: { name: `node-${i}`, namespace: 'obnvmf', labels: { 'obnvmf/node-sn': `node-${i}`, rack: `r${i % 20}` } },
    spec: { nodeInfo: { id: `node-${i}`, labels: { zone: `z${i % 3}` } }, kernelLvm: { name: 'vg', vgUUID: 'u', bytes: 1000 * GiB } },
    status: { status: i % 17 === 0 ? 'unknown' : 'ready', capacity: { storage: String(1000 * GiB) }, vgFreeSize: String((i % 100) * 10 * GiB), conditions: [{ type: 'Spdk', status: 'OK' }] },
  }));
  const volumes: AntstorVolume[] = Array.from({ length: 20_000 }, (_, i) => ({
    metadata: { name: `v${i}`, namespace: 'obnvmf', uid: `u${i}` },
    spec: { uuid: `u${i}`, sizeByte: 10 * GiB, targetNodeId: `node-${i % 1000}`, hostNode: { id: `node-${(i * 7) % 1000}` } },
  }));
  const cfg = { ...defaultSchedulerConfig(), maxRemoteVolumeCount: 1000 };
  const chain = resolveChain(cfg);
  const vol: AntstorVolume = {
    metadata: { name: 'new', namespace: 'obnvmf', uid: 'new', annotations: { 'obnvmf/pool-label-selector': 'rack in (r1,r2,r3,r4)' } },
    spec: { uuid: 'new', sizeByte: 50 * GiB, hostNode: { id: 'node-5' }, positionAdvice: 'PreferLocal' },
  };
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const nodes = buildPoolNodes(pools, volumes);
    const d = schedule(cfg, chain, nodes, vol);
    times.push(performance.now() - t0);
    size = Buffer.byteLength(JSON.stringify(d));
  }
  console.log(`scheduler: 1,000 pools, 20,000 bound volumes: filter+score pass p50 ${f(pct(times, 50))} ms, p99 ${f(pct(times, 99))} ms; decision ${size} bytes`);
}

function ledgerBench() {
  const l: LedgerState = { bindings: {} };
  const info = { exists: true, deleting: false, schedulable: true, status: 'ready', capacityBytes: 1e18, availableBytes: 1e18 };
  const policy = { maxRemoteVolumeCount: 1e9, minLocalStoragePct: 0, nodeReservations: [{ id: 'r', size: GiB }] };
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    reserve(l, info, policy, { uid: `u${i}`, key: `ns/v${i}`, bytes: GiB, sizeByte: GiB, remote: i % 2 === 0, countsRemote: i % 2 === 0, reservationId: '', viaReservation: false }, 0);
  const ms = performance.now() - t0;
  console.log(`ledger: ${n} reservations into one pool in ${f(ms)} ms (${f((n / ms) * 1000, 0)}/s; the check is O(bindings))`);
}

async function e2eBench() {
  const n = Number(process.env['BENCH_VOLUMES'] ?? 300);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await testEnv();
  const c = await newTestCluster(env, 'bench');
  try {
    const op = await c.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 100_000 } } });
    for (let i = 0; i < 10; i++) await c.createPool(`pool-${i}`, { bytes: 10_000 * GiB });
    const created = new Map<string, number>();
    const boundAt = new Map<string, number>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const v of await c.listVolumes()) if (v.spec.targetNodeId && !boundAt.has(v.metadata.name!)) boundAt.set(v.metadata.name!, performance.now());
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    await inParallel(Array.from({ length: n }, (_, i) => `b-${i}`), 32, async (name) => {
      created.set(name, performance.now());
      await c.createVolume(name, { size: GiB });
    });
    const tCreated = performance.now();
    while (boundAt.size < n && performance.now() - t0 < 600_000) await new Promise((r) => setTimeout(r, 200));
    polling = false;
    await poller;
    const total = performance.now() - t0;
    const lat = [...boundAt.entries()].map(([k, t]) => t - created.get(k)!);
    console.log(
      `end to end: ${n} volumes into 10 pools: created in ${f(tCreated - t0, 0)} ms, all bound in ${f(total, 0)} ms ` +
        `(${f((boundAt.size / total) * 1000)} placements/s); creation→bound p50 ${f(pct(lat, 50), 0)} ms, p95 ${f(pct(lat, 95), 0)} ms, max ${f(Math.max(...lat), 0)} ms`,
    );
    const vols = (await c.listVolumes()).slice(0, 20);
    const sizes = await Promise.all(
      vols.map(async (v) => proto.temporal.api.history.v1.History.encode(await op.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! })).fetchHistory()).finish().length),
    );
    console.log(`history per placed volume: mean ${f(sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024)} KiB, max ${f(Math.max(...sizes) / 1024)} KiB`);
    const m = process.memoryUsage();
    console.log(`worker process memory: rss ${f(m.rss / 2 ** 20, 0)} MiB, heap used ${f(m.heapUsed / 2 ** 20, 0)} MiB`);
  } finally {
    await c.stop();
    await teardownEnv();
  }
}

schedulerBench();
ledgerBench();
await e2eBench();
process.exit(0);
