/**
 * `npm run bench`: prints numbers; asserts nothing. Bounded, loopback only, stops by itself.
 *
 *   1. the pure scheduler: one filter-and-score pass over 1,000 pools (ms, p50/p99) and the decision's size;
 *   2. the ledger: reservations per second in one pool's ledger;
 *   3. the raw limits of this run: merge patches per second on the API server (1 and 16 at a time), and the
 *      Temporal floor (bare workflows with a placement's round trips; bench/floor-workflows.ts);
 *   4. W1: 100 pools, 1,000 volumes created 16 at a time, the controller as its own process (placements/s,
 *      create→bound p50/p99, its CPU seconds and peak RSS, history per volume), then W3: deleting them all;
 *      W1x3 (3x pools and volumes; BENCH_W1X3=0 skips it); BENCH_UNBATCHED=1 runs W1 again with the placer off. Ratios of W1 to both limits. BENCH_W2=1: W2 (10x W1:
 *      1,000 pools, 10,000 volumes; BENCH_W2_FACTOR) and W1's size, each placed, then the controller restarted
 *      (restart → ready, → caught up, first placement after it, RSS).
 *   5. W1 again on temporal-server with PostgreSQL (its own Temporal floor alongside); BENCH_TEMPORAL_SERVER=0 skips it,
 *      BENCH_DEV=0 runs only it (the limits still run: the ratios need them).
 *
 *   6. BENCH_PARKED=1: a burst into 1,000 parked pools (every pool woken at once), beside the same with parking off.
 *
 * BENCH_POOLS, BENCH_VOLUMES, BENCH_CONCURRENCY scale it (a quick run: BENCH_POOLS=20 BENCH_VOLUMES=200).
 * Results go to bench/results/latest.json as well (BENCH_OUT=<file>.json: elsewhere in bench/results, for A/B runs).
 */
import { bundleWorkflows } from '../src/workflow-bundle.js';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { defaultSchedulerConfig } from '../src/scheduler/config.js';
import { resolveChain, schedule } from '../src/scheduler/chain.js';
import { buildPoolNodes } from '../src/scheduler/pool-node.js';
import { reserve, type LedgerState } from '../src/scheduler/ledger.js';
import type { AntstorVolume, StoragePool } from '../src/api/types.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../src/embedded/bins.js';
import { GiB } from '../test/harness/cluster.js';
import { teardownEnv, testEnv } from '../test/harness/env.js';
import { deleteLoop, patchLoop, temporalFloor, temporalStartFloor } from './limits.js';
import { startTemporalServer } from '../src/embedded/temporal-server.js';
import { killStartedProcesses } from '../src/embedded/process.js';
import { cpuCeiling, type CpuCeiling, type CpuSplit } from './proc-stats.js';
import { runPlacement, type DeletionResult, type PlacementResult, type RestartResult } from './workload.js';

// However the benchmark ends (a crash included), no server or controller it started outlives it.
process.once('exit', () => {
  const pids = killStartedProcesses();
  if (pids.length) console.error(`bench: stopped what it had started and not stopped: PIDs ${pids.join(', ')}`);
});
// Interrupted (Ctrl-C, kill): exit through the hook above instead of dying with the servers left running.
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(sig, () => process.exit(code));

/**
 * A workload's CPU ceiling (proc-stats.ts cpuCeiling), kept in its result for the JSON file and printed as one line:
 * the CPU each item cost by process, and what the cores allow at that cost.
 */
function reportCeiling(k: string, r: { cpu?: CpuSplit; cpuCeiling?: CpuCeiling }, items: number, item: string, measured: number): void {
  const c = r.cpu ? cpuCeiling(r.cpu, items) : undefined;
  if (!c) return;
  r.cpuCeiling = c;
  const parts = Object.entries(c.msPerItem).filter(([, ms]) => ms > 0).map(([p, ms]) => `${p} ${ms}`).join(', ');
  console.log(`${k} CPU per ${item}: ${c.totalMsPerItem} ms (${parts}); the cores allow ${c.ceilingPerSec}/s at that cost (measured ${measured}/s), ${c.withoutControllerPerSec}/s with a controller that cost nothing`);
}

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
  const further: number[] = [];
  let size = 0;
  for (let i = 0; i < 30; i++) {
    // A batch's first volume pays for the view (every pool's totals); the batch's other volumes reuse it.
    const t0 = performance.now();
    const nodes = buildPoolNodes(pools, volumes);
    const d = schedule(cfg, chain, nodes, vol);
    times.push(performance.now() - t0);
    size = Buffer.byteLength(JSON.stringify(d));
    for (let j = 0; j < 5; j++) {
      const t1 = performance.now();
      schedule(cfg, chain, nodes, { ...vol, metadata: { ...vol.metadata, uid: `new-${i}-${j}` } });
      further.push(performance.now() - t1);
    }
  }
  console.log(
    `scheduler: 1,000 pools, 20,000 bound volumes: view + first filter+score pass p50 ${f(pct(times, 50))} ms, p99 ${f(pct(times, 99))} ms; ` +
      `each further volume of the batch p50 ${f(pct(further, 50))} ms, p99 ${f(pct(further, 99))} ms; decision ${size} bytes`,
  );
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

/** W1 (and W3, W1x3 when asked) with the raw limits of the same run, as a table and JSON lines. */
async function e2eBench() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await testEnv();
  // The controller runs as deployed: from a prebuilt workflow bundle (the image's --workflow-bundle), so its
  // memory is not that of webpack bundling at start.
  const bundlePath = join(env.dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows({ log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error })).code);
  process.env['BENCH_WORKFLOW_BUNDLE'] = bundlePath;
  const pools = Number(process.env['BENCH_POOLS'] ?? 100);
  const volumes = Number(process.env['BENCH_VOLUMES'] ?? 1000);
  const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
  // Which Temporal each figure comes from: `limits` and W1/W2/W3 are the dev server's; W1_temporalServer carries
  // its own floor.
  const servers = [
    ...(process.env['BENCH_DEV'] !== '0' || process.env['BENCH_W2'] ? ['dev server (SQLite in memory)'] : []),
    ...(process.env['BENCH_TEMPORAL_SERVER'] !== '0' ? ['temporal-server 1.29.1 + PostgreSQL 15 (W1_temporalServer)'] : []),
  ];
  const results: Record<string, unknown> = { at: new Date().toISOString(), temporal: servers.join('; '), machine: `${os.cpus().length} cores` };
  const line = (k: string, v: object) => {
    results[k] = v;
    console.log(JSON.stringify({ [k]: v }));
  };
  try {
    const patch1 = await patchLoop(env, 1);
    const patch16 = await patchLoop(env, concurrency);
    line('limits', {
      mergePatchPerSec1: +patch1.toFixed(1),
      [`mergePatchPerSec${concurrency}`]: +patch16.toFixed(1),
      // v0.17.0: W3's raw limit, a deletion's two writes (DELETE, then the finalizer patch), no controller.
      [`deletePerSec${concurrency}`]: +(await deleteLoop(env, concurrency)).toFixed(1),
      temporalFloorPerSec: +(await temporalFloor(env, volumes, pools, concurrency)).toFixed(1),
      // v0.8.0's per-volume part: one run started with its placement, ending in its first task (plain, eager).
      startFloorPerSec: +(await temporalStartFloor(env, volumes, concurrency, false)).toFixed(1),
      eagerStartFloorPerSec: +(await temporalStartFloor(env, volumes, concurrency, true)).toFixed(1),
      // The same with four patched() calls, as every volume run made before v0.9.0 (four markers and four upserts
      // of the TemporalChangeVersion search attribute): what the markers cost the server.
      eagerStartFloor4PatchesPerSec: +(await temporalStartFloor(env, volumes, concurrency, true, 4)).toFixed(1),
    });
    if (process.env['BENCH_DEV'] !== '0') {
      const w1 = await runPlacement(env, { name: 'W1', pools, volumes, concurrency, deleteAfter: true });
      line('W1', w1.placement);
      if (w1.deletion) line('W3', w1.deletion);
      // BENCH_UNBATCHED=1: the same W1 with the placer off (BATCHED_PLACEMENT=0: each volume's own workflow places
      // it, as v0.7.0 did), in the same run, for the before/after.
      if (process.env['BENCH_UNBATCHED'])
        line('W1_unbatched', (await runPlacement(env, { name: 'W1u', pools, volumes, concurrency, controllerEnv: { BATCHED_PLACEMENT: '0' } })).placement);
    }
    // W1x3 (3x W1's pools and volumes): whether the rate holds as the cluster grows (BENCH_W1X3=0 skips it). Right
    // after W1, on a server that holds only the limits' runs and W1's: after W2 or the parked burst (1,000 pools
    // and their runs) the dev server itself is slower, and W1x3 ÷ W1 measured that instead (0.60 on 2026-12-07,
    // against 0.86 with this order in the same hour).
    if (process.env['BENCH_W1X3'] !== '0' && (process.env['BENCH_DEV'] !== '0' || process.env['BENCH_W1X3'])) line('W1x3', (await runPlacement(env, { name: 'W1x3', pools: pools * 3, volumes: volumes * 3, concurrency })).placement);
    // W2 (the long-lived issue): 10x W1's pools and volumes, then the controller restarted over all of it; with
    // the same restart measured at W1's size alongside, to show how each figure grows from 1k to 10k volumes.
    if (process.env['BENCH_W2']) {
      const k = Number(process.env['BENCH_W2_FACTOR'] ?? 10);
      // BENCH_W2_ONLY=1: the 10x run alone (an A/B of one setting at W2's size, without the W1-size run beside it).
      const sizes = [['W2_1k', pools, volumes], ['W2', pools * k, volumes * k]] as const;
      for (const [name, p, n] of process.env['BENCH_W2_ONLY'] === '1' ? sizes.slice(1) : sizes) {
        // Parking is off by default (deployed as shipped). BENCH_POOL_PARK_IDLE_MS=<ms> runs the whole workload with
        // it on (a run keeps the park delay it was started with, so a restarted controller alone could not turn it
        // on for pools already running) and, once the restarted controller caught up, waits until every pool has
        // parked and reads the memory of a quiet cluster of this size.
        const parkMs = Number(process.env['BENCH_POOL_PARK_IDLE_MS'] ?? 0);
        const r = await runPlacement(env, { name, pools: p, volumes: n, concurrency, restartAfter: true, timeoutMs: 3_600_000, ...(parkMs > 0 ? { parkAfterRestartMs: parkMs } : {}) });
        line(name, { ...r.placement, restart: r.restart });
      }
    }
    // BENCH_PARKED=1: W2's 1,000 pools (BENCH_PARKED_POOLS) and two volumes each, the burst into pools that all
    // parked first (POOL_PARK_IDLE_MS, BENCH_PARKED_IDLE_MS, 30 s), beside the same burst with parking off: what
    // waking every pool at once costs (BENCH_PARKED=on: the parked burst alone).
    if (process.env['BENCH_PARKED']) {
      const p = Number(process.env['BENCH_PARKED_POOLS'] ?? pools * 10);
      const idle = Number(process.env['BENCH_PARKED_IDLE_MS'] ?? 30_000);
      if (process.env['BENCH_PARKED'] !== 'on') line('Wpark_off', (await runPlacement(env, { name: 'Wpark_off', pools: p, volumes: 2 * p, concurrency, timeoutMs: 1_800_000 })).placement);
      line('Wpark_on', (await runPlacement(env, { name: 'Wpark_on', pools: p, volumes: 2 * p, concurrency, timeoutMs: 1_800_000, burstIntoParkedMs: idle })).placement);
    }
    // The same W1 on temporal-server with PostgreSQL (deploy/temporal), with its own Temporal floor, side by side.
    if (process.env['BENCH_TEMPORAL_SERVER'] !== '0') {
      const dir = mkdtempSync(join(os.tmpdir(), 'dct-bench-tserver-'));
      // BENCH_TEMPORAL_SHARDS: the server's history shards (4, the harness's, when unset).
      const shards = Number(process.env['BENCH_TEMPORAL_SHARDS'] ?? 0) || undefined;
      const server = await startTemporalServer({ dir, ...(shards ? { historyShards: shards } : {}) });
      try {
        const senv = { ...env, temporal: server };
        const floor = await temporalFloor(senv, volumes, pools, concurrency);
        const eagerFloor = await temporalStartFloor(senv, volumes, concurrency, true);
        const ws = await runPlacement(senv, { name: 'W1s', pools, volumes, concurrency, deleteAfter: true });
        line('W1_temporalServer', { ...ws.placement, historyShards: shards ?? 4, temporalFloorPerSec: +floor.toFixed(1), eagerStartFloorPerSec: +eagerFloor.toFixed(1) });
        // v0.17.0: W3 on the production server too (each release and each batch is a database transaction there).
        if (ws.deletion) line('W3_temporalServer', ws.deletion);
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const lim = results['limits'] as { mergePatchPerSec1: number; temporalFloorPerSec: number } & Record<string, number>;
    const w = results['W1'] as PlacementResult | undefined;
    const ws = results['W1_temporalServer'] as (PlacementResult & { temporalFloorPerSec: number }) | undefined;
    line('ratios', {
      ...(w
        ? {
            W1OverMergePatch: +(w.placementsPerSec / lim[`mergePatchPerSec${concurrency}`]!).toFixed(3),
            W1OverTemporalFloor: +(w.placementsPerSec / lim.temporalFloorPerSec).toFixed(3),
            ...(lim['eagerStartFloorPerSec'] ? { W1OverEagerStartFloor: +(w.placementsPerSec / lim['eagerStartFloorPerSec']).toFixed(3) } : {}),
          }
        : {}),
      ...(results['W3'] && lim[`deletePerSec${concurrency}`] ? { W3OverDeleteLoop: +((results['W3'] as DeletionResult).deletionsPerSec / lim[`deletePerSec${concurrency}`]!).toFixed(3) } : {}),
      // The delete loop is the API server's limit alone, the same whichever Temporal runs beside it.
      ...(results['W3_temporalServer'] && lim[`deletePerSec${concurrency}`] ? { W3TemporalServerOverDeleteLoop: +((results['W3_temporalServer'] as DeletionResult).deletionsPerSec / lim[`deletePerSec${concurrency}`]!).toFixed(3) } : {}),
      ...(ws ? { W1TemporalServerOverItsFloor: +(ws.placementsPerSec / ws.temporalFloorPerSec).toFixed(3) } : {}),
    });
    console.log('');
    console.log('| workload | placed | /s | p50 ms | p99 ms | controller CPU s | peak RSS MiB | history KiB/vol | local/remote |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [k, label] of [['W1', 'W1, dev server'], ['W1_unbatched', 'W1 without the placer, dev server'], ['W1_temporalServer', 'W1, temporal-server + PostgreSQL'], ['W1x3', 'W1x3, dev server'], ['W2_1k', 'W2 at W1 size, dev server'], ['W2', 'W2, dev server'], ['Wpark_off', 'parking off, dev server'], ['Wpark_on', 'burst into parked pools, dev server']] as const) {
      const r = results[k] as PlacementResult | undefined;
      if (r) console.log(`| ${label} (${r.pools} pools) | ${r.bound}/${r.volumes} | ${r.placementsPerSec} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.controllerCpuSec} | ${r.controllerPeakRssMiB} | ${r.historyKiBPerVolume} | ${r.local}/${r.remote} |`);
    }
    // Round trips per placement, from the histories (a sample of volumes, and of pools).
    for (const k of ['W1', 'W1_unbatched', 'W1_temporalServer', 'W1x3', 'W2']) {
      const r = results[k] as PlacementResult | undefined;
      for (const [who, a] of [['volume', r?.perVolume], ['pool', r?.perPool]] as const)
        if (a)
          console.log(
            `${k} per ${who} (${a.workflows} sampled): ${a.events} events, ${a.workflowTasks} workflow tasks (${a.workflowTasksLost} timed out or failed), ${a.signals} signals, ${a.localActivities} local activities (${Object.entries(a.byType).map(([t, n]) => `${t} ${n}`).join(', ')}), ${a.activities} activities, ${a.timers} timers`,
          );
    }
    // Where the machine's CPU went during each burst, and the API requests each placement cost.
    for (const k of ['W1', 'W1_unbatched', 'W1_temporalServer', 'W1x3', 'W2_1k', 'W2', 'Wpark_off', 'Wpark_on']) {
      const r = results[k] as PlacementResult | undefined;
      if (r?.cpu)
        console.log(
          `${k} CPU during the burst: ${r.cpu.machineBusySec} s busy of ${r.cpu.wallSec} s x ${r.cpu.cores} cores (${Math.round((100 * r.cpu.machineBusySec) / Math.max(1e-3, r.cpu.wallSec * r.cpu.cores))} %): ${Object.entries(r.cpu.byProcess).map(([p, s]) => `${p} ${s}`).join(', ')}, other ${r.cpu.otherSec}`,
        );
      if (r) reportCeiling(k, r, r.bound, 'placement', r.placementsPerSec);
      for (const [q, v] of Object.entries(r?.sdk ?? {}))
        console.log(
          `${k} worker ${q}: ${v['workflowTasks']} workflow tasks, waiting ${v['wftScheduleToStartMeanMs']} ms in the queue and running ${v['wftExecutionMeanMs']} ms on average (replays ${v['wftReplayMeanMs']} ms); activities wait ${v['activityScheduleToStartMeanMs']} ms; ${v['localActivities']} local activities of ${v['localActivityMeanMs']} ms`,
        );
      if (r?.apiRequests)
        console.log(
          `${k} API requests per placement: ${r.apiRequests.writesPerPlacement} writes (${Object.entries(r.apiRequests.perPlacement).filter(([q]) => !q.startsWith('GET') && !q.startsWith('LIST') && !q.startsWith('WATCH')).map(([q, n]) => `${q} ${n}`).join(', ')}); reads ${Object.entries(r.apiRequests.perPlacement).filter(([q]) => /^(GET|LIST|WATCH)/.test(q)).map(([q, n]) => `${q} ${n}`).join(', ') || 'none'}`,
        );
    }
    for (const k of ['W1', 'W1_temporalServer', 'W1x3', 'W2_1k', 'W2']) {
      const r = results[k] as PlacementResult | undefined;
      const rs = (results[k] as { restart?: RestartResult } | undefined)?.restart;
      for (const [when, m] of [['with pools only', r?.memoryIdle], ['once placed', r?.memory], [`restarted, every pool parked (${rs?.parkedAfterSec} s after catching up; ${rs?.poolsStillRunning} still running)`, rs?.memoryParked]] as const)
        if (m) console.log(`${k} controller memory ${when}: RSS ${m.rssMiB} MiB = V8 heap ${m.heapTotalMiB} (${m.heapUsedMiB} used) + external ${m.externalMiB} + workflow threads' heaps ${m.workflowThreadHeapMiB ?? '?'} (${m.workflowThreadHeapUsedMiB ?? '?'} used, ${m.workflowThreadYoungMiB ?? '?'} young; main's young ${m.mainYoungMiB ?? '?'}) + native/other ${m.otherMiB}${m.fileMiB !== undefined ? ` (${m.fileMiB} of it mapped files)` : ''}`);
    }
    for (const k of ['W2_1k', 'W2']) {
      const r = (results[k] as { restart?: RestartResult } | undefined)?.restart;
      if (r)
        console.log(
          `${k} restart: ready in ${r.restartToReadySec} s, caught up in ${r.restartToCaughtUpSec} s, next placement ${r.firstPlacementAfterRestartMs} ms, CPU ${r.controllerCpuSec} s, peak RSS ${r.controllerPeakRssMiB} MiB`,
        );
    }
    for (const k of ['W3', 'W3_temporalServer']) {
      const d = results[k] as DeletionResult | undefined;
      if (d) {
        console.log(`${k}: ${d.volumes} deleted and released in ${d.seconds} s (${d.deletionsPerSec}/s), controller CPU ${d.controllerCpuSec} s; every DELETE sent after ${d.deletesSentSec} s, every volume gone after ${d.allGoneSec} s`);
        if (d.cpu)
          console.log(`${k} CPU: ${d.cpu.machineBusySec} s busy of ${d.cpu.wallSec} s x ${d.cpu.cores} cores: ${Object.entries(d.cpu.byProcess).map(([p, s]) => `${p} ${s}`).join(', ')}, other ${d.cpu.otherSec}`);
        reportCeiling(k, d, d.volumes, 'deletion', d.deletionsPerSec);
        for (const [q, v] of Object.entries(d.sdk ?? {}))
          console.log(`${k} worker ${q}: ${v['workflowTasks']} workflow tasks, waiting ${v['wftScheduleToStartMeanMs']} ms in the queue and running ${v['wftExecutionMeanMs']} ms on average; activities wait ${v['activityScheduleToStartMeanMs']} ms`);
        if (d.apiRequests) console.log(`${k} API requests per deletion (the benchmark's DELETE included): ${Object.entries(d.apiRequests.perPlacement).map(([q, n]) => `${q} ${n}`).join(', ')}`);
      }
    }
    mkdirSync(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    // A run without the dev-server W1 (BENCH_DEV=0) does not replace the full run's file.
    const partial = process.env['BENCH_TEMPORAL_SERVER'] === '0';
    // BENCH_OUT=<name>.json: an A/B run's file, beside (not over) the committed ones.
    const file =
      process.env['BENCH_OUT'] ||
      (process.env['BENCH_DEV'] !== '0'
        ? 'latest.json'
        : partial && process.env['BENCH_W2']
          ? 'latest-w2.json'
          : partial && process.env['BENCH_PARKED']
            ? 'latest-parked.json'
            : 'latest-temporal-server.json');
    // BENCH_OUT is relative to bench/results, and may name a subfolder (bench/results/<version>/...).
    const out = join(REPO_ROOT, 'bench', 'results', file);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  } finally {
    await teardownEnv();
  }
}

schedulerBench();
ledgerBench();
await e2eBench();
process.exit(0);
