/**
 * V8 limits for the Temporal SDK's workflow threads alone.
 *
 * Why: the SDK runs workflows in worker threads (one per Worker, since it reuses one V8 context per thread) that
 * it creates without `resourceLimits`, so each thread's young generation grows to V8's default ceiling (three
 * 16 MiB semi-spaces on 64-bit) during a burst and keeps that room afterwards. `--max-semi-space-size` in
 * NODE_OPTIONS shrinks it too, but in every isolate: the main thread, where the informer cache, the activities and
 * the gRPC payloads allocate most, then pays the most extra scavenges (v0.15.0 measured a third more CPU at W1).
 * Node has a per-thread knob for this (worker_threads' `resourceLimits.maxYoungGenerationSizeMb`); the SDK just
 * does not pass one.
 *
 * How: the SDK constructs its threads inside `Worker.create`, as `new worker_threads.Worker(<path of its
 * workflow-worker-thread module>)`, read from the module object at call time. For the length of that call the
 * module's `Worker` is a subclass that adds the limits to exactly those threads (matched by file name), and it is
 * put back afterwards whatever happens. The number of threads it touched is returned, so an SDK that one day builds
 * its threads differently is noticed (the operator logs it) instead of running silently without the limit.
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type { ResourceLimits, Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import type { ThreadEntryData } from './workflow-thread-entry.js';

/** The module object the SDK's `require('node:worker_threads')` returns (an ESM namespace would be read-only). */
const workerThreads = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof NodeWorker };

/** The file the SDK's workflow threads run (`@temporalio/worker/lib/workflow/workflow-worker-thread.js`). */
const SDK_THREAD_FILE = /[\\/]@temporalio[\\/]worker[\\/].*workflow-worker-thread(\.js)?$/;

export interface WorkflowThreadLimits {
  /** V8's young generation per workflow thread, MiB (three semi-spaces: 12 = 4 MiB semi-spaces). */
  maxYoungGenerationSizeMb?: number;
  /**
   * false: the threads run without the SDK's per-promise stack traces (see workflow-thread-entry.ts); the
   * `__stack_trace` query then answers that they are off. Unset or true: the SDK's default, on.
   */
  promiseStackTraces?: boolean;
}

/** The entry the SDK's threads start from when stack traces are off: it turns them off, then runs the SDK's file. */
const THREAD_ENTRY = new URL('./workflow-thread-entry.js', import.meta.url);

/**
 * Runs `create` (a `Worker.create`) with the SDK's workflow threads given `limits`. Returns what `create` returned
 * and how many threads got the limits (0 with no limits, or when the SDK made none the way it is expected to).
 */
export async function withWorkflowThreadLimits<T>(
  limits: WorkflowThreadLimits | undefined,
  create: () => Promise<T>,
  onThread?: (thread: NodeWorker) => void,
): Promise<{ value: T; threadsLimited: number }> {
  const young = limits?.maxYoungGenerationSizeMb;
  const noStacks = limits?.promiseStackTraces === false;
  if (!young && !noStacks && !onThread) return { value: await create(), threadsLimited: 0 };
  const resourceLimits: ResourceLimits | undefined = young ? { maxYoungGenerationSizeMb: young } : undefined;
  // V8 lets --max-semi-space-size win over a thread's own young generation limit, so a NODE_OPTIONS that sizes the
  // main thread's (v0.19.0 deploys 8 MiB semi-spaces) would also size these threads. The main isolate has read the
  // flag by now; cleared, it applies to no thread created from here on, and each of the SDK's gets its own limit.
  if (young) v8.setFlagsFromString('--max-semi-space-size=0');

  const Original = workerThreads.Worker;
  let threadsLimited = 0;
  class LimitedWorker extends Original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      const sdkThread = SDK_THREAD_FILE.test(String(filename));
      // Limits the caller set itself win (a later SDK may pass its own).
      const opts = sdkThread && resourceLimits ? { ...options, resourceLimits: { ...resourceLimits, ...options?.resourceLimits } } : options;
      // The entry takes workerData for itself: a later SDK that passes its own keeps its stack traces.
      const entry = sdkThread && noStacks && options?.workerData === undefined;
      if (sdkThread && (resourceLimits || entry)) threadsLimited++;
      if (entry) super(THREAD_ENTRY, { ...opts, workerData: { sdkThread: String(filename) } satisfies ThreadEntryData });
      else super(filename, opts);
      // Kept for diagnostics (heap snapshots of the workflow threads, src/thread-heap-snapshots.ts).
      if (sdkThread) onThread?.(this);
    }
  }
  workerThreads.Worker = LimitedWorker;
  try {
    return { value: await create(), threadsLimited };
  } finally {
    workerThreads.Worker = Original;
  }
}

/**
 * The workflow threads' young generation unless WORKFLOW_THREAD_YOUNG_MB says otherwise: 12 MiB (4 MiB
 * semi-spaces) instead of V8's 48. Measured at W1 (README, Performance -> v0.16.0): ~40 MiB less RSS once placed and
 * no loss of rate, where --max-semi-space-size=4 for the whole process cost 15 % of the rate and a fifth more CPU.
 */
export const DEFAULT_WORKFLOW_THREAD_YOUNG_MB = 12;

/**
 * WORKFLOW_THREAD_YOUNG_MB: the young generation of each workflow thread, in MiB (unset or empty: 12; 0: V8's
 * default). Otherwise at least 3 (V8's floor is three 1 MiB semi-spaces); a bad value names the variable.
 * WORKFLOW_STACK_TRACES: 1 keeps the SDK's per-promise stack traces (the Temporal UI's "Stack Trace" tab); unset,
 * empty or 0: off (workflow-thread-entry.ts says why).
 */
export function workflowThreadLimitsFromEnv(env: NodeJS.ProcessEnv): WorkflowThreadLimits {
  const out: WorkflowThreadLimits = { promiseStackTraces: stackTracesFromEnv(env) };
  const raw = env['WORKFLOW_THREAD_YOUNG_MB'];
  if (raw === undefined || raw === '') return { maxYoungGenerationSizeMb: DEFAULT_WORKFLOW_THREAD_YOUNG_MB, ...out };
  const n = Number(raw);
  if (n === 0 && raw.trim() !== '') return out;
  if (!Number.isInteger(n) || n < 3 || n > 1024) throw new Error(`WORKFLOW_THREAD_YOUNG_MB=${JSON.stringify(raw)}: expected a whole number of MiB, 3 to 1024, or 0 for V8's default (unset: ${DEFAULT_WORKFLOW_THREAD_YOUNG_MB})`);
  return { maxYoungGenerationSizeMb: n, ...out };
}

function stackTracesFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = (env['WORKFLOW_STACK_TRACES'] ?? '').trim();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`WORKFLOW_STACK_TRACES=${JSON.stringify(env['WORKFLOW_STACK_TRACES'])}: expected 1 (keep the SDK's workflow stack traces) or 0 (off, the default)`);
}
