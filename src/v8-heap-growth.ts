/**
 * How far V8 lets each heap grow past what its last full collection kept, for the whole process (the main
 * thread and the Temporal workflow threads alike).
 *
 * Why: V8 sets each heap's next collection at the live set times a factor it picks between 1.1 and 4 (~1.5 with
 * the deployed --max-old-space-size=800). Under a burst the heap runs up to that limit before a full collection,
 * and the pages stay committed. `--heap-growing-percent=20` fixes the factor at 1.2. Measured at W2 (1,000 pools,
 * 10,000 volumes, with workflow stack traces off): 486 MiB RSS once placed instead of 518, the main thread's heap
 * 176 MiB instead of 198, and no more controller CPU in the same hour (README, Performance -> v0.18.0).
 * NODE_OPTIONS does not accept this V8 flag, so the operator sets it when it starts, before its workers exist
 * (V8 reads it at every limit it computes, in every isolate; checked with --trace-gc-verbose).
 */
import v8 from 'node:v8';

export const DEFAULT_HEAP_GROWING_PERCENT = 20;

/**
 * V8_HEAP_GROWING_PERCENT: unset or empty: 20; 0: V8's own factor; otherwise a whole number from 5 to 300. A bad
 * value names the variable.
 */
export function heapGrowingPercentFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env['V8_HEAP_GROWING_PERCENT'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const n = Number(raw);
  if (n === 0) return 0;
  if (!Number.isInteger(n) || n < 5 || n > 300)
    throw new Error(`V8_HEAP_GROWING_PERCENT=${JSON.stringify(raw)}: expected a whole number of percent, 5 to 300, or 0 for V8's own growing factor (unset: ${DEFAULT_HEAP_GROWING_PERCENT})`);
  return n;
}

/** Sets V8's heap growing factor for this process (0: leaves V8's own). */
export function applyHeapGrowingPercent(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
