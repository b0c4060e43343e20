/**
 * The controller's Prometheus metrics: one registry per process and typed helpers to record into it.
 * Called from activities, the watcher and the operator process — never from workflow code (workflows are
 * deterministic and sandboxed; they must not touch prom-client).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'disk_controller_' });

/** Outcome of one placement step of a volume's workflow. */
export type PlacementResult = 'bound' | 'unschedulable' | 'invalid' | 'conflict' | 'gone';

const placements = new Counter({
  name: 'disk_controller_placements_total',
  help: 'Placement outcomes: bound (first binding written), unschedulable / invalid (reported, per attempt), conflict (already bound elsewhere), gone',
  labelNames: ['result'] as const,
  registers: [registry],
});

const bindLatency = new Histogram({
  name: 'disk_controller_volume_bind_latency_seconds',
  help: 'Time from an AntstorVolume\'s creationTimestamp to its binding (spec.targetNodeId written)',
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
  registers: [registry],
});

const pending = new Gauge({
  name: 'disk_controller_pending_volumes',
  help: 'Unbound, not deleting AntstorVolumes by reason (the leading filter reason of status.msg; "Scheduling" when none yet)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const poolCapacity = new Gauge({ name: 'disk_controller_pool_capacity_bytes', help: 'Pool capacity (status.capacity storage, else the VG/LVS size)', labelNames: ['pool'] as const, registers: [registry] });
const poolBound = new Gauge({ name: 'disk_controller_pool_bound_bytes', help: 'Bytes of the volumes bound to the pool', labelNames: ['pool'] as const, registers: [registry] });
const poolFree = new Gauge({ name: 'disk_controller_pool_free_bytes', help: 'Schedulable free bytes: capacity − reserved LVs − bound − unclaimed reservations (may be negative)', labelNames: ['pool'] as const, registers: [registry] });

const placedRunStarts = new Counter({
  name: 'disk_controller_placed_run_starts_total',
  help: 'Runs of volumes the placer bound, by how they started: eager (first task handed back in the start response), queued (the server declined eager start), signalled (a run was already open)',
  labelNames: ['mode'] as const,
  registers: [registry],
});

/** How the run of a volume the placer bound was started (tells whether the Temporal server honours eager start). */
export function recordPlacedRunStart(mode: 'eager' | 'queued' | 'signalled'): void {
  placedRunStarts.inc({ mode });
}

const pluginFailures = new Counter({
  name: 'disk_controller_plugin_failures_total',
  help: 'Reconciler plugin calls (reconcile / handleDeletion) that failed, by plugin',
  labelNames: ['plugin'] as const,
  registers: [registry],
});

const workflowTaskFailures = new Counter({
  name: 'disk_controller_workflow_task_failures_total',
  help: 'Workflow tasks that failed on this worker (workflow code errors, nondeterminism), by workflow type',
  labelNames: ['workflow_type'] as const,
  registers: [registry],
});

/** Counts one placement outcome; `undefined` (nothing new happened, e.g. a retried bind) counts nothing. */
export function recordPlacement(result: PlacementResult | undefined): void {
  if (result) placements.inc({ result });
}

export function observeBindLatency(seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) bindLatency.observe(seconds);
}

/** Replaces the whole pending-by-reason gauge (reasons absent from the map are dropped). */
export function setPendingByReason(byReason: Record<string, number>): void {
  pending.reset();
  for (const [reason, n] of Object.entries(byReason)) pending.set({ reason }, n);
}

export function setPoolBytes(pool: string, b: { capacity: number; bound: number; free: number }): void {
  poolCapacity.set({ pool }, b.capacity);
  poolBound.set({ pool }, b.bound);
  poolFree.set({ pool }, b.free);
}

/** Drops every pool's byte gauges (before a full refresh, so deleted pools disappear). */
export function resetPoolBytes(): void {
  poolCapacity.reset();
  poolBound.reset();
  poolFree.reset();
}

export function recordPluginFailure(plugin: string): void {
  pluginFailures.inc({ plugin });
}

export function recordWorkflowTaskFailure(workflowType: string): void {
  workflowTaskFailures.inc({ workflow_type: workflowType || 'unknown' });
}

/**
 * A hook run before every scrape (e.g. refresh gauges from the cluster cache). Returns a function that
 * removes it. Hooks must be cheap: they run on the scrape path.
 */
const beforeScrape = new Set<() => void>();
export function onScrape(hook: () => void): () => void {
  beforeScrape.add(hook);
  return () => beforeScrape.delete(hook);
}

/** The exposition text (runs the scrape hooks first). */
export async function scrape(): Promise<{ contentType: string; body: string }> {
  for (const h of beforeScrape) {
    try {
      h();
    } catch {
      /* a failing refresh must not fail the scrape; the gauges keep their last values */
    }
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * The V8 heap of each thread. prom-client's nodejs_heap_* gauges see the main thread only, while the workflow
 * sandboxes live in the Temporal worker's own threads (one per worker): without this, their heaps show up as
 * unexplained native memory. Read from Node's diagnostic report, which collects every thread's heap statistics.
 */
new Gauge({
  name: 'disk_controller_thread_heap_bytes',
  help: 'V8 heap per thread (main, and each Temporal workflow thread): used and total bytes, young: the new space (semi-spaces) within total, and limit: the heap size V8 allows that thread (old plus young generation)',
  labelNames: ['thread', 'kind'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const t of recentThreadHeaps()) {
      this.set({ thread: t.thread, kind: 'used' }, t.usedBytes);
      this.set({ thread: t.thread, kind: 'total' }, t.totalBytes);
      this.set({ thread: t.thread, kind: 'young' }, t.youngBytes);
      this.set({ thread: t.thread, kind: 'limit' }, t.limitBytes);
    }
  },
});

export interface ThreadHeap {
  thread: string;
  usedBytes: number;
  totalBytes: number;
  /** The new space (both semi-spaces), the part of total a smaller --max-semi-space-size shrinks. */
  youngBytes: number;
  /** V8's heap size limit for the thread (NODE_OPTIONS' flags, or the thread's resourceLimits). */
  limitBytes: number;
}

interface ReportHeap {
  javascriptHeap?: { totalMemory?: number; usedMemory?: number; memoryLimit?: number; heapSpaces?: Record<string, { memorySize?: number }> };
  header?: { threadId?: number };
}

/**
 * A report stops every thread to describe it (~20–60 ms on this 2-core machine, most of it the workflow threads'
 * share): taken at most every 10 s, however many scrapers ask.
 */
let lastHeaps: { at: number; heaps: ThreadHeap[] } | undefined;
export const THREAD_HEAPS_MAX_AGE_MS = 10_000;
function recentThreadHeaps(maxAgeMs = THREAD_HEAPS_MAX_AGE_MS): ThreadHeap[] {
  const now = Date.now();
  if (!lastHeaps || now - lastHeaps.at > maxAgeMs) lastHeaps = { at: now, heaps: threadHeaps() };
  return lastHeaps.heaps;
}

/** Every thread's V8 heap (main first), from a diagnostic report taken without network lookups. */
export function threadHeaps(): ThreadHeap[] {
  const rep = process.report as unknown as { excludeNetwork?: boolean; getReport(): object };
  const excluded = rep.excludeNetwork;
  rep.excludeNetwork = true; // no reverse DNS of every socket on the scrape path
  let r: ReportHeap & { workers?: ReportHeap[] };
  try {
    r = rep.getReport() as typeof r;
  } finally {
    rep.excludeNetwork = excluded;
  }
  const one = (h: ReportHeap, thread: string): ThreadHeap => ({
    thread,
    usedBytes: h.javascriptHeap?.usedMemory ?? 0,
    totalBytes: h.javascriptHeap?.totalMemory ?? 0,
    youngBytes: h.javascriptHeap?.heapSpaces?.['new_space']?.memorySize ?? 0,
    limitBytes: h.javascriptHeap?.memoryLimit ?? 0,
  });
  return [one(r, 'main'), ...(r.workers ?? []).map((w, i) => one(w, `worker-${w.header?.threadId ?? i}`))];
}
