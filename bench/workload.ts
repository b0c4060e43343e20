/**
 * The placement workloads of the performance issue, against the real servers with the controller as its own
 * process (so its CPU and memory are its own):
 *   W1: `pools` ready pools of 1 TiB (fresh Lease, Spdk OK), then `volumes` volumes of 1 GiB created
 *       `concurrency` at a time, volume i with hostNode = pool (i mod pools), LiteIO's default config.
 *   W3: deleting them all: until every finalizer is gone and every ledger released.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Watch } from '../src/kube/client-node.js';
import proto from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { GROUP, PLURAL_VOLUME, VERSION } from '../src/api/constants.js';
import type { AntstorVolume } from '../src/api/types.js';
import { REPO_ROOT } from '../src/embedded/bins.js';
import { THREAD_HEAPS_MAX_AGE_MS } from '../src/metrics/registry.js';
import { freePort, trackChild } from '../src/embedded/process.js';
import { poolTaskQueueFor, poolWorkflowId, volumeWorkflowId } from '../src/workflows/messages.js';
import { readPoolLedger } from '../src/kinds/storage-pool/ledger-read.js';
import { inParallel } from '../test/harness/capacity-sampler.js';
import { activityTypes } from '../test/harness/history.js';
import { GiB, newTestCluster, type TestCluster } from '../test/harness/cluster.js';
import type { TestEnv } from '../test/harness/env.js';
import { cpuSeconds, cpuSecondsByComm, cpuSplit, peakRss, pct, type CpuCeiling, type CpuSplit } from './proc-stats.js';
import { requestCounts, requestsPer } from './apiserver-requests.js';

export interface PlacementResult {
  workload: string;
  pools: number;
  volumes: number;
  bound: number;
  local: number;
  remote: number;
  seconds: number;
  placementsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  controllerCpuSec: number;
  controllerPeakRssMiB: number;
  historyKiBPerVolume: number;
  perVolume?: HistoryAnatomy;
  perPool?: HistoryAnatomy;
  /** Where the controller's memory is once every volume is placed (its own /metrics), MiB. */
  memory?: MemoryBreakdown;
  /** The same, with the pools ready and no volume yet (the controller's floor at this size). */
  memoryIdle?: MemoryBreakdown;
  /** Where the machine's CPU went from the first create to the last binding. */
  cpu?: CpuSplit;
  /** What the cores allow at this CPU per item (filled in by the report; proc-stats.ts cpuCeiling). */
  cpuCeiling?: CpuCeiling;
  /** The SDK's view of each worker during the burst (workflow tasks, queue wait, execution; see sdkSummary). */
  sdk?: Record<string, Record<string, number>>;
  /** API requests per placement in that window (every client's: the benchmark's creates and Lease renewals too). */
  apiRequests?: ReturnType<typeof requestsPer>;
}

export interface MemoryBreakdown {
  rssMiB: number;
  /** V8's heap: the workflow sandbox, informer cache, activities. */
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** Buffers outside the heap (protobuf payloads, sockets). */
  externalMiB: number;
  /** The V8 heaps of the Temporal workflow threads (the sandboxes and the cached workflows' state), total. */
  workflowThreadHeapMiB?: number;
  /** Of which in use (the rest is V8's headroom: semi-spaces and old space not yet given back). */
  workflowThreadHeapUsedMiB?: number;
  /** Of which young generation (new space), and the main thread's. */
  workflowThreadYoungMiB?: number;
  mainYoungMiB?: number;
  /** The rest: native code and allocations (the Temporal core in Rust, gRPC, V8 itself). */
  otherMiB: number;
  /**
   * Of the RSS, pages of mapped files (/proc/<pid>/status RssFile: the node binary's and the Temporal core's code,
   * ICU data), which the kernel can drop and read again; the rest of `otherMiB` is anonymous memory.
   */
  fileMiB?: number;
}

/** RssFile of a process, in MiB (undefined off Linux or once it exited). */
function rssFileMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /RssFile:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const METRICS = new WeakMap<ChildProcess, string>();
/** The SDK's own exporter of each controller (--sdkMetricsAddr). */
const SDK_METRICS = new WeakMap<ChildProcess, string>();

/** Sums of the SDK's histograms by task queue: `<queue>` → `<metric>_sum|_count` → value. */
async function sdkHistograms(p: ChildProcess): Promise<Map<string, Map<string, number>> | undefined> {
  const url = SDK_METRICS.get(p);
  if (!url) return undefined;
  const text = await fetch(url).then((r) => r.text()).catch(() => undefined);
  if (!text) return undefined;
  const out = new Map<string, Map<string, number>>();
  for (const line of text.split('\n')) {
    const m = /^(temporal_[a-z_]+?)(?:_seconds)?_(sum|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const q = /task_queue="([^"]*)"/.exec(m[3]!)?.[1] ?? '';
    const byQ = out.get(q) ?? new Map<string, number>();
    const k = `${m[1]}_${m[2]}`;
    byQ.set(k, (byQ.get(k) ?? 0) + Number(m[4]));
    out.set(q, byQ);
  }
  return out;
}

/**
 * What the SDK saw between two scrapes, per worker (task queue): workflow tasks, their mean schedule-to-start (the
 * wait in the server's queue) and execution time, and local activities' mean execution time.
 */
function sdkSummary(a: Map<string, Map<string, number>> | undefined, b: Map<string, Map<string, number>> | undefined): Record<string, Record<string, number>> | undefined {
  if (!a || !b) return undefined;
  const out: Record<string, Record<string, number>> = {};
  for (const [q, m] of b) {
    if (!q) continue;
    const d = (k: string) => (m.get(k) ?? 0) - (a.get(q)?.get(k) ?? 0);
    const mean = (name: string) => {
      const n = d(`${name}_count`);
      return n > 0 ? Math.round((1000 * d(`${name}_sum`)) / n) : 0;
    };
    out[q] = {
      workflowTasks: d('temporal_workflow_task_execution_latency_count'),
      wftScheduleToStartMeanMs: mean('temporal_workflow_task_schedule_to_start_latency'),
      wftExecutionMeanMs: mean('temporal_workflow_task_execution_latency'),
      wftReplayMeanMs: mean('temporal_workflow_task_replay_latency'),
      activityScheduleToStartMeanMs: mean('temporal_activity_schedule_to_start_latency'),
      localActivities: d('temporal_local_activity_execution_latency_count'),
      localActivityMeanMs: mean('temporal_local_activity_execution_latency'),
    };
  }
  return out;
}

/** Reads the controller's process and Node.js gauges from its /metrics. */
async function memoryOf(p: ChildProcess): Promise<MemoryBreakdown | undefined> {
  const url = METRICS.get(p);
  if (!url) return undefined;
  const text = await fetch(url).then((r) => r.text()).catch(() => '');
  const g = (name: string) => {
    const m = new RegExp(`^disk_controller_${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
    return m ? Number(m[1]) / 2 ** 20 : NaN;
  };
  const rss = g('process_resident_memory_bytes');
  if (!Number.isFinite(rss)) return undefined;
  const heapTotal = g('nodejs_heap_size_total_bytes');
  const external = g('nodejs_external_memory_bytes');
  const r = (x: number) => Math.round(x);
  // Every thread's heap by kind (used, total, young, limit): the workflow threads summed, the main thread apart.
  const workers: Record<string, number> = {};
  const main: Record<string, number> = {};
  for (const m of text.matchAll(/^disk_controller_thread_heap_bytes\{thread="([^"]+)",kind="([^"]+)"\} ([0-9.e+]+)$/gm)) {
    const into = m[1] === 'main' ? main : workers;
    into[m[2]!] = (into[m[2]!] ?? 0) + Number(m[3]) / 2 ** 20;
  }
  const threads = workers['total'] ?? 0;
  const file = rssFileMiB(p.pid);
  return { rssMiB: r(rss), heapUsedMiB: r(g('nodejs_heap_size_used_bytes')), heapTotalMiB: r(heapTotal), externalMiB: r(external), workflowThreadHeapMiB: r(threads), workflowThreadHeapUsedMiB: r(workers['used'] ?? 0), workflowThreadYoungMiB: r(workers['young'] ?? 0), ...(main['young'] !== undefined ? { mainYoungMiB: r(main['young']) } : {}), otherMiB: r(rss - heapTotal - external - threads), ...(file !== undefined ? { fileMiB: file } : {}) };
}

/** W2's second half: the controller restarted over everything placed. */
export interface RestartResult {
  workload: string;
  volumes: number;
  /** SIGTERM of the old process → /readyz of the new one. */
  restartToReadySec: number;
  /** → the new process is idle again (every workflow woken by the watcher's resync has run its task). */
  restartToCaughtUpSec: number;
  /** A volume created once ready: create → bound. */
  firstPlacementAfterRestartMs: number;
  controllerCpuSec: number;
  controllerPeakRssMiB: number;
  /** v0.12.0, parking on: caught up → every pool parked (s), pools still running then (0: all), and the memory. */
  parkedAfterSec?: number;
  poolsStillRunning?: number;
  memoryParked?: MemoryBreakdown;
}

/** What one workflow's history holds, averaged over a sample: the round trips a placement costs. */
export interface HistoryAnatomy {
  workflows: number;
  events: number;
  workflowTasks: number;
  /** Workflow tasks that timed out or failed (each one re-run, often with a full replay). */
  workflowTasksLost: number;
  signals: number;
  localActivities: number;
  activities: number;
  timers: number;
  /** Local activities by type (ledgerRequest, ledgerProbe, …). */
  byType: Record<string, number>;
}

function anatomy(hs: proto.temporal.api.history.v1.IHistory[]): HistoryAnatomy {
  const t = { events: 0, workflowTasks: 0, workflowTasksLost: 0, signals: 0, localActivities: 0, activities: 0, timers: 0 };
  const byType: Record<string, number> = {};
  const E = proto.temporal.api.enums.v1.EventType;
  for (const h of hs)
    for (const e of h.events ?? []) {
      t.events++;
      const type = e.eventType;
      if (type === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) t.workflowTasks++;
      if (type === E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT || type === E.EVENT_TYPE_WORKFLOW_TASK_FAILED) t.workflowTasksLost++;
      if (type === E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) t.signals++;
      if (type === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) t.activities++;
      if (type === E.EVENT_TYPE_TIMER_STARTED) t.timers++;
      for (const name of activityTypes({ events: [e] })) {
        if (type === E.EVENT_TYPE_MARKER_RECORDED) t.localActivities++;
        byType[name] = (byType[name] ?? 0) + 1;
      }
    }
  const n = Math.max(1, hs.length);
  const avg = (x: number) => +(x / n).toFixed(1);
  return {
    workflows: hs.length,
    events: avg(t.events),
    workflowTasks: avg(t.workflowTasks),
    workflowTasksLost: avg(t.workflowTasksLost),
    signals: avg(t.signals),
    localActivities: avg(t.localActivities),
    activities: avg(t.activities),
    timers: avg(t.timers),
    byType: Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, avg(v)])),
  };
}

export interface DeletionResult {
  workload: string;
  volumes: number;
  seconds: number;
  deletionsPerSec: number;
  controllerCpuSec: number;
  /** Until the last DELETE was accepted, and until the last volume was gone (the rest: ledgers released). */
  deletesSentSec?: number;
  allGoneSec?: number;
  cpu?: CpuSplit;
  /** What the cores allow at this CPU per item (filled in by the report; proc-stats.ts cpuCeiling). */
  cpuCeiling?: CpuCeiling;
  sdk?: PlacementResult['sdk'];
  /** API requests per deletion, the benchmark's own DELETEs included. */
  apiRequests?: ReturnType<typeof requestsPer>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startController(env: TestEnv, c: TestCluster, extraArgs: string[], extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const probe = await freePort();
  const metrics = await freePort();
  const sdkMetrics = await freePort();
  // BENCH_LOGS=<dir>: keep the controller's log there (the test env's directory is removed at the end).
  const logDir = process.env['BENCH_LOGS'] || env.dir;
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${c.ns}-controller.log`));
  // BENCH_PROFILE=<dir>: the controller writes a V8 CPU profile there when it exits.
  const prof = process.env['BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`] : [];
  // BENCH_HEAPSNAPSHOT=<dir>: the controller writes a heap snapshot of its main thread there once placed.
  // BENCH_CONTROLLER_NODE_ARGS: Node/V8 flags for the controller's command line (for V8 flags NODE_OPTIONS refuses).
  prof.push(...(process.env['BENCH_CONTROLLER_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean));
  if (process.env['BENCH_HEAPSNAPSHOT']) prof.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.env['BENCH_HEAPSNAPSHOT']}`);
  const p = trackChild(spawn(
    process.execPath,
    [...prof, join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'operator', '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address,
      '--namespace', c.ns, '--task-queue', `tq-${c.ns}`, '--probeAddr', `127.0.0.1:${probe}`, '--metricsAddr', `127.0.0.1:${metrics}`, '--sdkMetricsAddr', `127.0.0.1:${sdkMetrics}`,
      ...(process.env['BENCH_WORKFLOW_BUNDLE'] ? ['--workflow-bundle', process.env['BENCH_WORKFLOW_BUNDLE']] : []), ...extraArgs],
    // Memory settings as deployed (deploy/deployment.yaml: NODE_OPTIONS, MALLOC_*, WORKFLOW_THREAD_YOUNG_MB; see
    // deployedMemoryEnv), never the benchmark's own.
    { env: { ...withoutMemoryEnv(process.env), LOG_LEVEL: 'warn', ...deployedMemoryEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
  ));
  // Both streams into one file: neither may end it (a controller that exits at once, e.g. on a flag NODE_OPTIONS
  // refuses, ended it from stdout while stderr still wrote, and the benchmark died leaving its servers running).
  p.stdout!.pipe(log, { end: false });
  p.stderr!.pipe(log, { end: false });
  p.once('close', () => log.end());
  const until = Date.now() + 120_000;
  for (;;) {
    if (p.exitCode !== null) throw new Error(`controller exited with ${p.exitCode}; see ${join(logDir, `${c.ns}-controller.log`)}`);
    const ok = await fetch(`http://127.0.0.1:${probe}/readyz`).then((r) => r.ok).catch(() => false);
    if (ok) {
      METRICS.set(p, `http://127.0.0.1:${metrics}/metrics`);
      SDK_METRICS.set(p, `http://127.0.0.1:${sdkMetrics}/metrics`);
      return p;
    }
    if (Date.now() > until) throw new Error('controller not ready in 120 s');
    await sleep(250);
  }
}

/** The operator container's env in deploy/deployment.yaml, read once. */
let deployedEnvCache: { name: string; value?: string }[] | undefined;

/** An environment variable of the operator container in deploy/deployment.yaml ('' when it sets none). */
export function deployedEnv(name: string): string {
  if (!deployedEnvCache) {
    const dep = parse(readFileSync(join(REPO_ROOT, 'deploy', 'deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } };
    };
    deployedEnvCache = dep.spec.template.spec.containers.find((x) => x.name === 'operator')?.env ?? [];
  }
  return deployedEnvCache.find((e) => e.name === name)?.value ?? '';
}

/** NODE_OPTIONS of the operator container in deploy/deployment.yaml ('' when it sets none). */
export function deployedNodeOptions(): string {
  return deployedEnv('NODE_OPTIONS');
}

/**
 * The memory settings besides NODE_OPTIONS that the controller is deployed with, each overridable by
 * BENCH_CONTROLLER_<name> ('' for the default): glibc's malloc arenas and its mmap threshold, and the workflow
 * threads' young generation (src/workflow-thread-limits.ts).
 */
export const MEMORY_ENV: readonly (readonly [name: string, override: string])[] = [
  ['MALLOC_ARENA_MAX', 'BENCH_CONTROLLER_MALLOC_ARENA_MAX'],
  ['MALLOC_MMAP_THRESHOLD_', 'BENCH_CONTROLLER_MALLOC_MMAP_THRESHOLD'],
  ['WORKFLOW_THREAD_YOUNG_MB', 'BENCH_CONTROLLER_WORKFLOW_THREAD_YOUNG_MB'],
  ['WORKFLOW_STACK_TRACES', 'BENCH_CONTROLLER_WORKFLOW_STACK_TRACES'],
  ['V8_HEAP_GROWING_PERCENT', 'BENCH_CONTROLLER_V8_HEAP_GROWING_PERCENT'],
];

/**
 * The memory settings the controller is deployed with, as the benchmark runs it: NODE_OPTIONS (the heap's
 * ceiling, which also bounds how far V8 grows it past the live set; BENCH_CONTROLLER_NODE_OPTIONS overrides it, ''
 * for none) and MEMORY_ENV's (each left out when neither the Deployment nor its override sets it).
 */
export function deployedMemoryEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = { NODE_OPTIONS: env['BENCH_CONTROLLER_NODE_OPTIONS'] ?? deployedNodeOptions() };
  for (const [name, override] of MEMORY_ENV) {
    const value = env[override] ?? deployedEnv(name);
    if (value) out[name] = value;
  }
  return out;
}

/** The benchmark's own environment without MEMORY_ENV's settings: the controller gets the deployed ones only. */
export function withoutMemoryEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name] of MEMORY_ENV) delete out[name];
  return out;
}

/** Signals the controller to write a heap snapshot and waits until the file stops growing. */
async function heapSnapshot(p: ChildProcess, dir: string): Promise<void> {
  const files = () => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && f.includes(`.${p.pid}.`));
  const before = new Set(files());
  p.kill('SIGUSR2');
  // The main thread's (Node's own, written at once) and one per workflow thread (the controller's, on the same
  // signal, each `.partial` until complete): done when no file is partial and no new file's size changed over 2 s.
  const partial = () => readdirSync(dir).some((f) => f.endsWith('.heapsnapshot.partial') && f.includes(`.${p.pid}.`));
  let sizes = '';
  for (const until = Date.now() + 600_000; Date.now() < until; ) {
    await sleep(2000);
    const now = files().filter((x) => !before.has(x));
    const key = now.map((f) => `${f}:${statSync(join(dir, f)).size}`).sort().join(',');
    const complete = now.some((f) => !f.includes('workflow-thread')) && now.some((f) => f.includes('workflow-thread')) && !partial();
    if (complete && key === sizes) return void console.log(`heap snapshots: ${now.map((f) => join(dir, f)).join(', ')}`);
    sizes = key;
  }
}

/** Waits until the process spends less than 5 % of a core for two seconds in a row (start-up work done). */
async function settle(pid: number, maxMs = 120_000): Promise<void> {
  const until = Date.now() + maxMs;
  let quiet = 0;
  while (Date.now() < until && quiet < 2) {
    const a = cpuSeconds(pid);
    await sleep(1000);
    quiet = cpuSeconds(pid) - a < 0.05 ? quiet + 1 : 0;
  }
}

/** Records when each volume is first seen bound, and when each disappears, from a watch. */
function watchVolumes(c: TestCluster): { boundAt: Map<string, number>; goneAt: Map<string, number>; stop(): void } {
  const boundAt = new Map<string, number>();
  const goneAt = new Map<string, number>();
  let req: { abort(): void } | undefined;
  let stopped = false;
  const start = () => {
    void new Watch(c.env.kube.kubeConfig)
      .watch(
        `/apis/${GROUP}/${VERSION}/namespaces/${c.ns}/${PLURAL_VOLUME}`,
        {},
        (type: string, obj: AntstorVolume) => {
          const name = obj.metadata.name!;
          if (type === 'DELETED') goneAt.set(name, performance.now());
          else if (obj.spec?.targetNodeId && !boundAt.has(name)) boundAt.set(name, performance.now());
        },
        () => {
          if (!stopped) setTimeout(start, 100);
        },
      )
      .then((r) => (req = r as { abort(): void }));
  };
  start();
  return {
    boundAt,
    goneAt,
    stop() {
      stopped = true;
      req?.abort();
    },
  };
}

export async function runPlacement(
  env: TestEnv,
  o: {
    name: string;
    pools: number;
    volumes: number;
    concurrency: number;
    timeoutMs?: number;
    deleteAfter?: boolean;
    restartAfter?: boolean;
    controllerEnv?: Record<string, string>;
    /**
     * POOL_PARK_IDLE_MS of both controllers (the first one's too: a pool's run keeps the delay it started with), and
     * once the restarted one caught up, wait until every pool parked and read its memory.
     */
    parkAfterRestartMs?: number;
    /**
     * The controller's POOL_PARK_IDLE_MS from the start, and the burst begins only once every pool has parked: the
     * burst wakes every pool at once (the path that collapsed W2 with parking on).
     */
    burstIntoParkedMs?: number;
  },
): Promise<{ placement: PlacementResult; deletion?: DeletionResult; restart?: RestartResult }> {
  const c = await newTestCluster(env, o.name.toLowerCase().replace(/[^a-z0-9]/g, ''));
  const pools = Array.from({ length: o.pools }, (_, i) => `pool-${i}`);
  await inParallel(pools, 8, (p) => c.createPool(p, { bytes: 1024 * GiB }));
  // The agents' heartbeat: each pool's Lease renewed every 30 s, as node-disk-agent does (without it every pool
  // turns unknown three minutes in, and a long workload measures that instead).
  const heartbeat = setInterval(() => {
    const now = new Date();
    void inParallel(pools, 8, (p) => c.setLease(p, now).catch(() => undefined));
  }, 30_000);
  const parkMs = o.burstIntoParkedMs ?? o.parkAfterRestartMs;
  const startEnv = { ...o.controllerEnv, ...(parkMs ? { POOL_PARK_IDLE_MS: String(parkMs) } : {}) };
  let proc = await startController(env, c, [], startEnv).catch((e) => {
    clearInterval(heartbeat);
    throw e;
  });
  let pid = proc.pid!;
  const connection = await Connection.connect({ address: env.temporal.address });
  const client = new Client({ connection, namespace: env.temporal.namespace });
  const poolsRunning = `WorkflowType = 'poolWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${poolTaskQueueFor(`tq-${c.ns}`)}'`;
  /** Waits until no pool workflow runs (every pool parked); returns the last count (0: all parked, -1: unknown). */
  const untilParked = async (maxMs: number): Promise<number> => {
    const p0 = performance.now();
    let running = -1;
    while (performance.now() - p0 < maxMs) {
      running = (await client.workflow.count(poolsRunning).catch(() => ({ count: -1 }))).count;
      if (running === 0) break;
      await sleep(2000);
    }
    return running;
  };
  try {
    await settle(pid);
    if (o.burstIntoParkedMs) {
      const left = await untilParked(o.burstIntoParkedMs + 600_000);
      if (left !== 0) throw new Error(`${o.name}: ${left} pools still running ${o.burstIntoParkedMs} ms after idle + 10 min`);
    }
    const memoryIdle = await memoryOf(proc);
    const idleAt = performance.now();
    const w = watchVolumes(c);
    await sleep(500);
    const created = new Map<string, number>();
    const req0 = await requestCounts(env.kube).catch(() => undefined);
    const named: Record<string, () => number> = { controller: () => cpuSeconds(pid) };
    for (const n of ['kube-apiserver', 'etcd']) named[n] = () => cpuSeconds(env.kube.processes.find((p) => p.name === n)!.pid);
    named['temporal'] = () => cpuSeconds(env.temporal.process.pid);
    // temporal-server's database is the machine's own PostgreSQL (not started by this run): counted by name.
    named['postgres'] = () => cpuSecondsByComm('postgres');
    const split = cpuSplit(named);
    const cpu0 = cpuSeconds(pid);
    const sdk0 = await sdkHistograms(proc);
    const rss = peakRss(pid);
    const t0 = performance.now();
    await inParallel(Array.from({ length: o.volumes }, (_, i) => i), o.concurrency, async (i) => {
      created.set(`v-${i}`, performance.now());
      await c.createVolume(`v-${i}`, { size: GiB, hostNode: `pool-${i % o.pools}` });
    });
    const deadline = t0 + (o.timeoutMs ?? 600_000);
    while (w.boundAt.size < o.volumes && performance.now() < deadline) await sleep(100);
    const seconds = (Math.max(...w.boundAt.values(), t0) - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const cpuWhere = split.stop();
    const sdk = sdkSummary(sdk0, await sdkHistograms(proc));
    const req1 = req0 && (await requestCounts(env.kube).catch(() => undefined));
    const peak = rss.stop();
    // The thread heaps are refreshed at most every 10 s: never read the idle scrape's values as the placed ones.
    await sleep(Math.max(0, idleAt + THREAD_HEAPS_MAX_AGE_MS + 1000 - performance.now()));
    const memory = await memoryOf(proc);
    if (process.env['BENCH_HEAPSNAPSHOT']) await heapSnapshot(proc, process.env['BENCH_HEAPSNAPSHOT']);
    const lat = [...w.boundAt.entries()].map(([k, t]) => t - created.get(k)!);
    const vols = await c.listVolumes();
    let local = 0;
    for (const v of vols) if (v.spec.targetNodeId && v.spec.targetNodeId === v.spec.hostNode?.id) local++;
    const sample = vols.filter((v) => v.spec.targetNodeId).slice(0, 20);
    const histories = await Promise.all(
      sample.map((v) => client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! })).fetchHistory()),
    );
    const sizes = histories.map((h) => proto.temporal.api.history.v1.History.encode(h).finish().length);
    const poolHistories = await Promise.all(pools.slice(0, 10).map((p) => client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: p })).fetchHistory().catch(() => undefined)));
    const bound = w.boundAt.size;
    const placement: PlacementResult = {
      workload: o.name,
      pools: o.pools,
      volumes: o.volumes,
      bound,
      local,
      remote: bound - local,
      seconds: +seconds.toFixed(2),
      placementsPerSec: +(bound / Math.max(seconds, 1e-3)).toFixed(1),
      latencyP50Ms: Math.round(pct(lat, 50)),
      latencyP99Ms: Math.round(pct(lat, 99)),
      controllerCpuSec: +cpu.toFixed(1),
      controllerPeakRssMiB: Math.round(peak),
      historyKiBPerVolume: +(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length) / 1024).toFixed(1),
      perVolume: anatomy(histories),
      perPool: anatomy(poolHistories.filter((h): h is NonNullable<typeof h> => !!h)),
      ...(memory ? { memory } : {}),
      ...(memoryIdle ? { memoryIdle } : {}),
      cpu: cpuWhere,
      ...(sdk ? { sdk } : {}),
      ...(req0 && req1 ? { apiRequests: requestsPer(req0, req1, Math.max(1, w.boundAt.size)) } : {}),
    };
    let restart: RestartResult | undefined;
    if (o.restartAfter) {
      await settle(pid, 60_000);
      const r0 = performance.now();
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
      proc = await startController(env, c, [], startEnv);
      pid = proc.pid!;
      const ready = performance.now();
      const rrss = peakRss(pid);
      const created1 = performance.now();
      await c.createVolume('v-after-restart', { size: GiB, hostNode: 'pool-0' });
      while (!w.boundAt.has('v-after-restart') && performance.now() - created1 < 600_000) await sleep(50);
      const firstMs = (w.boundAt.get('v-after-restart') ?? performance.now()) - created1;
      await settle(pid, 1_800_000);
      const caught = performance.now() - 2000; // settle() ends after two quiet seconds
      restart = {
        workload: o.name,
        volumes: o.volumes,
        restartToReadySec: +((ready - r0) / 1000).toFixed(1),
        restartToCaughtUpSec: +((caught - r0) / 1000).toFixed(1),
        firstPlacementAfterRestartMs: Math.round(firstMs),
        controllerCpuSec: +cpuSeconds(pid).toFixed(1),
        controllerPeakRssMiB: Math.round(rrss.stop()),
      };
      // v0.12.0: with parking on, the restarted controller once every pool has parked (idle, its run ended) while
      // it holds every volume: the memory of a quiet cluster of this size. (Parked pools it found unchanged at its
      // start stay parked; the rest park after the delay.)
      if (o.parkAfterRestartMs) {
        const p0 = performance.now();
        const running = await untilParked(o.parkAfterRestartMs + 600_000);
        await sleep(THREAD_HEAPS_MAX_AGE_MS + 1000);
        const m = await memoryOf(proc);
        restart = { ...restart, poolsStillRunning: running, parkedAfterSec: +((performance.now() - p0) / 1000).toFixed(1), ...(m ? { memoryParked: m } : {}) };
      }
    }
    let deletion: DeletionResult | undefined;
    if (o.deleteAfter) {
      await settle(pid, 30_000);
      const dreq0 = await requestCounts(env.kube).catch(() => undefined);
      const dsdk0 = await sdkHistograms(proc);
      const dsplit = cpuSplit(named);
      const d0 = performance.now();
      const dcpu0 = cpuSeconds(pid);
      await inParallel(Array.from({ length: o.volumes }, (_, i) => `v-${i}`), o.concurrency, (n) => c.deleteVolume(n).catch(() => undefined));
      const sent = performance.now();
      while (w.goneAt.size < o.volumes && performance.now() - d0 < 600_000) await sleep(100);
      const gone = performance.now();
      // Every ledger released too: the pools asked 16 at a time (one by one, 100 queries added ~2 s to W3's time).
      await inParallel(pools, 16, async (p) => {
        for (;;) {
          // Every volume is gone by now: a parked pool (its run ended while idle) holds nothing.
          const l = await readPoolLedger(client, { namespace: c.ns, name: p }, () => ({ pool: p, freeBytes: 0, boundBytes: 0, bindings: [], parked: true }));
          if (l.bindings.length === 0 || performance.now() - d0 > 600_000) break;
          await sleep(200);
        }
      });
      const ds = (performance.now() - d0) / 1000;
      const dcpu = cpuSeconds(pid) - dcpu0;
      const dreq1 = dreq0 && (await requestCounts(env.kube).catch(() => undefined));
      deletion = {
        workload: o.name.replace('W1', 'W3'),
        volumes: w.goneAt.size,
        seconds: +ds.toFixed(2),
        deletionsPerSec: +(w.goneAt.size / ds).toFixed(1),
        controllerCpuSec: +dcpu.toFixed(1),
        deletesSentSec: +((sent - d0) / 1000).toFixed(2),
        allGoneSec: +((gone - d0) / 1000).toFixed(2),
        cpu: dsplit.stop(),
        sdk: sdkSummary(dsdk0, await sdkHistograms(proc)),
        ...(dreq0 && dreq1 ? { apiRequests: requestsPer(dreq0, dreq1, Math.max(1, w.goneAt.size)) } : {}),
      };
    }
    w.stop();
    return { placement, ...(deletion ? { deletion } : {}), ...(restart ? { restart } : {}) };
  } finally {
    clearInterval(heartbeat);
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once('exit', r)));
    await connection.close();
  }
}
