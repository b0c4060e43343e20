import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { heapSnapshotSettings, writeThreadHeapSnapshots } from '../../src/thread-heap-snapshots.js';

describe('heap snapshots of the workflow threads', () => {
  it('reads the signal and directory from Node’s flags, in execArgv or NODE_OPTIONS', () => {
    assert.equal(heapSnapshotSettings([], undefined, '/cwd'), undefined);
    assert.equal(heapSnapshotSettings(['--diagnostic-dir=/d'], '--max-old-space-size=800', '/cwd'), undefined);
    assert.deepEqual(heapSnapshotSettings(['--heapsnapshot-signal=SIGUSR2'], undefined, '/cwd'), { signal: 'SIGUSR2', dir: '/cwd' });
    assert.deepEqual(heapSnapshotSettings([], '--max-old-space-size=800  --heapsnapshot-signal=SIGUSR1 --diagnostic-dir /snaps', '/cwd'), { signal: 'SIGUSR1', dir: '/snaps' });
    assert.deepEqual(heapSnapshotSettings(['--heapsnapshot-signal', 'SIGUSR2', '--diagnostic-dir=/a'], '--diagnostic-dir=/b', '/cwd'), { signal: 'SIGUSR2', dir: '/a' });
  });

  it('writes one snapshot per live thread, holding that thread’s objects, and skips a thread that exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-thread-snap-'));
    const src = (marker: string) =>
      `class ${marker} { constructor() { this.n = 1; } } globalThis.kept = [new ${marker}()]; require('node:worker_threads').parentPort.postMessage('up'); setInterval(() => {}, 1000);`;
    const start = (marker: string) =>
      new Promise<Worker>((resolve, reject) => {
        const w = new Worker(src(marker), { eval: true });
        w.once('message', () => resolve(w));
        w.once('error', reject);
      });
    const a = await start('MarkerOfThreadA');
    const b = await start('MarkerOfThreadB');
    const gone = await start('MarkerOfThreadGone');
    await gone.terminate();
    try {
      const files = await writeThreadHeapSnapshots([a, gone, b], dir, new Date('2026-12-07T17:01:02Z'));
      assert.deepEqual(files.map((f) => basename(f)), [`Heap.${process.pid}.workflow-thread-1.20261207.170102.heapsnapshot`, `Heap.${process.pid}.workflow-thread-3.20261207.170102.heapsnapshot`]);
      const [snapA, snapB] = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { strings: string[]; snapshot: { node_count: number } });
      assert.ok(snapA!.snapshot.node_count > 1000);
      assert.ok(snapA!.strings.includes('MarkerOfThreadA') && !snapA!.strings.includes('MarkerOfThreadB'));
      assert.ok(snapB!.strings.includes('MarkerOfThreadB') && !snapB!.strings.includes('MarkerOfThreadA'));
    } finally {
      await Promise.all([a.terminate(), b.terminate()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the signals that stop the Temporal workers', () => {
  it('are the SDK’s, less the heap snapshot signal (a snapshot must not stop the workers)', async () => {
    const { runtimeShutdownSignals } = await import('../../src/temporal-logging.js');
    assert.deepEqual(runtimeShutdownSignals([], undefined), ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2']);
    assert.deepEqual(runtimeShutdownSignals(['--heapsnapshot-signal=SIGUSR2'], undefined), ['SIGINT', 'SIGTERM', 'SIGQUIT']);
    assert.deepEqual(runtimeShutdownSignals([], '--max-old-space-size=800 --heapsnapshot-signal=SIGUSR2'), ['SIGINT', 'SIGTERM', 'SIGQUIT']);
    assert.deepEqual(runtimeShutdownSignals([], '--heapsnapshot-signal=SIGHUP'), ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2']);
  });
});
