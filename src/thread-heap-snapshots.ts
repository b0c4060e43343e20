/**
 * Heap snapshots of the Temporal workflow threads, beside Node's own of the main thread.
 *
 * Why: `--heapsnapshot-signal` (Node's flag) writes the main thread's heap only, while the workflow sandboxes (every
 * cached workflow run's state) live in the SDK's worker threads. With this, the same signal also writes one
 * snapshot per workflow thread into the same directory (`--diagnostic-dir`, else the working directory), named
 * `Heap.<pid>.workflow-thread-<n>.<time>.heapsnapshot`, to be opened in Chrome's DevTools like Node's own.
 */
import { closeSync, createWriteStream, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Worker as NodeWorker } from 'node:worker_threads';
import type { Logger } from './logger.js';

/** The signal and directory Node's heap snapshot flags name (execArgv, then NODE_OPTIONS); undefined without the signal flag. */
export function heapSnapshotSettings(execArgv: readonly string[], nodeOptions: string | undefined, cwd: string): { signal: NodeJS.Signals; dir: string } | undefined {
  const args = [...execArgv, ...(nodeOptions ?? '').split(/\s+/).filter(Boolean)];
  const value = (flag: string) => {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
      if (a === flag && i + 1 < args.length) return args[i + 1];
    }
    return undefined;
  };
  const signal = value('--heapsnapshot-signal');
  if (!signal) return undefined;
  return { signal: signal as NodeJS.Signals, dir: value('--diagnostic-dir') ?? cwd };
}

/**
 * Writes one heap snapshot per live thread, all at once; resolves to the files written (a thread that exited is
 * skipped). Each is written as `<name>.partial`, created before this returns its promise, and renamed once
 * complete, so a reader waiting for the snapshots knows none is still being written.
 */
export function writeThreadHeapSnapshots(threads: readonly NodeWorker[], dir: string, now = new Date()): Promise<string[]> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
  const live = [...threads.entries()].filter(([, t]) => t.threadId >= 0);
  const files = live.map(([i]) => join(dir, `Heap.${process.pid}.workflow-thread-${i + 1}.${stamp}.heapsnapshot`));
  for (const f of files) closeSync(openSync(`${f}.partial`, 'w'));
  return Promise.all(
    live.map(async ([, t], k) => {
      const file = files[k]!;
      try {
        const snapshot = await t.getHeapSnapshot().catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ERR_WORKER_NOT_RUNNING') return undefined; // exited meanwhile
          throw e;
        });
        if (!snapshot) return undefined;
        await pipeline(snapshot, createWriteStream(`${file}.partial`));
        renameSync(`${file}.partial`, file);
        return file;
      } finally {
        rmSync(`${file}.partial`, { force: true });
      }
    }),
  ).then((written) => written.filter((f): f is string => f !== undefined));
}

/**
 * When Node's --heapsnapshot-signal is set, the same signal also writes the workflow threads' snapshots (`threads`
 * is read at the signal, so threads added later count). Returns the function that stops listening.
 */
export function onHeapSnapshotSignal(threads: readonly NodeWorker[], log: Logger): () => void {
  const snap = heapSnapshotSettings(process.execArgv, process.env['NODE_OPTIONS'], process.cwd());
  if (!snap) return () => {};
  const write = () =>
    void writeThreadHeapSnapshots(threads, snap.dir).then(
      (files) => log.info('workflow thread heap snapshots written', { files }),
      (e: Error) => log.error('workflow thread heap snapshots not written', { dir: snap.dir, error: e.message }),
    );
  process.on(snap.signal, write);
  return () => void process.off(snap.signal, write);
}
