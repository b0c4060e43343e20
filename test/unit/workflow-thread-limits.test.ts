import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { withWorkflowThreadLimits, workflowThreadLimitsFromEnv } from '../../src/workflow-thread-limits.js';

// The module object the SDK reads `Worker` from at call time (as compiled CommonJS does).
const workerThreads = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof NodeWorker };

/** Starts a thread the way the SDK does (through the module object) and returns its V8 heap limit in MiB. */
function heapLimitOf(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new workerThreads.Worker(file);
    w.once('message', (m: number) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('workflow thread limits (WORKFLOW_THREAD_YOUNG_MB)', () => {
  let dir: string;
  let sdkThread: string;
  let otherThread: string;
  const body = 'require("node:worker_threads").parentPort.postMessage(require("node:v8").getHeapStatistics().heap_size_limit / 2 ** 20);\n';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dct-thread-limits-'));
    // Same relative path as the SDK's own thread file, so the match is the one the operator relies on.
    const sdkDir = join(dir, 'node_modules', '@temporalio', 'worker', 'lib', 'workflow');
    mkdirSync(sdkDir, { recursive: true });
    sdkThread = join(sdkDir, 'workflow-worker-thread.js');
    otherThread = join(dir, 'other-thread.js');
    writeFileSync(sdkThread, body);
    writeFileSync(otherThread, body);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the SDK’s workflow threads the young generation asked for, and no other thread', async () => {
    const plain = await heapLimitOf(sdkThread);
    const { value, threadsLimited } = await withWorkflowThreadLimits({ maxYoungGenerationSizeMb: 6 }, async () => ({
      sdk: await heapLimitOf(sdkThread),
      other: await heapLimitOf(otherThread),
    }));
    assert.equal(threadsLimited, 1);
    // V8's heap limit is old + young generation: the limited thread's is smaller by the young generation it lost.
    assert.ok(plain - value.sdk > 30, `limited ${value.sdk} MiB vs ${plain} MiB`);
    assert.equal(value.other, plain);
  });

  it('puts the module’s Worker back afterwards, also when the creation throws', async () => {
    const original = workerThreads.Worker;
    await assert.rejects(
      withWorkflowThreadLimits({ maxYoungGenerationSizeMb: 6 }, async () => {
        assert.notEqual(workerThreads.Worker, original);
        throw new Error('Worker.create failed');
      }),
      /Worker.create failed/,
    );
    assert.equal(workerThreads.Worker, original);
    assert.equal(await heapLimitOf(sdkThread), await heapLimitOf(otherThread));
  });

  it('changes nothing without limits, and reports that no thread was limited', async () => {
    const original = workerThreads.Worker;
    const { value, threadsLimited } = await withWorkflowThreadLimits(undefined, async () => {
      assert.equal(workerThreads.Worker, original);
      return heapLimitOf(sdkThread);
    });
    assert.equal(threadsLimited, 0);
    assert.equal(value, await heapLimitOf(otherThread));
  });

  it('hands every SDK workflow thread it sees to onThread, with limits or without, and no other thread', async () => {
    for (const limits of [{ maxYoungGenerationSizeMb: 6 }, undefined]) {
      const seen: NodeWorker[] = [];
      const { threadsLimited } = await withWorkflowThreadLimits(
        limits,
        async () => {
          await heapLimitOf(sdkThread);
          await heapLimitOf(otherThread);
        },
        (t) => seen.push(t),
      );
      assert.equal(seen.length, 1);
      assert.ok(seen[0] instanceof workerThreads.Worker);
      assert.equal(threadsLimited, limits ? 1 : 0);
    }
  });

  it('keeps the threads’ own young generation when NODE_OPTIONS sizes the main thread’s (--max-semi-space-size)', () => {
    // In child processes: the flag is read when each isolate is made. Each prints its main thread's heap limit,
    // then that of an SDK thread made with a 12 MiB young generation, then that of a later plain thread.
    const mod = pathToFileURL(join(process.cwd(), 'dist/src/workflow-thread-limits.js')).href;
    const script = `
      import { createRequire } from 'node:module';
      import v8 from 'node:v8';
      const { withWorkflowThreadLimits } = await import(${JSON.stringify(mod)});
      const wt = createRequire(import.meta.url)('node:worker_threads');
      const limitOf = (f) => new Promise((res, rej) => { const w = new wt.Worker(f); w.once('message', (m) => { res(m); void w.terminate(); }); w.once('error', rej); });
      const { value } = await withWorkflowThreadLimits({ maxYoungGenerationSizeMb: 12 }, () => limitOf(${JSON.stringify(sdkThread)}));
      console.log(JSON.stringify({ main: v8.getHeapStatistics().heap_size_limit / 2 ** 20, sdk: value }));`;
    const run = (nodeOptions: string) =>
      JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } })) as { main: number; sdk: number };
    const plain = run('--max-old-space-size=800');
    const semi8 = run('--max-old-space-size=800 --max-semi-space-size=8');
    // The main thread's young generation shrank (16 MiB semi-spaces to 8: V8's heap limit counts three of them) ...
    assert.ok(plain.main - semi8.main >= 20, `main ${semi8.main} MiB with the flag, ${plain.main} without`);
    // ... and the SDK's thread has exactly the limit it has without the flag (the flag would have given it 8 MiB
    // semi-spaces, twice its own 4).
    assert.equal(semi8.sdk, plain.sdk);
  });

  it('reads WORKFLOW_STACK_TRACES (unset, empty, 0, false: off; 1, true: on), and a bad value names the variable', () => {
    for (const off of [undefined, '', '0', 'false', ' 0 ']) assert.equal(workflowThreadLimitsFromEnv({ WORKFLOW_STACK_TRACES: off }).promiseStackTraces, false);
    for (const on of ['1', 'true']) assert.equal(workflowThreadLimitsFromEnv({ WORKFLOW_STACK_TRACES: on }).promiseStackTraces, true);
    for (const bad of ['yes', '2', 'on'])
      assert.throws(() => workflowThreadLimitsFromEnv({ WORKFLOW_STACK_TRACES: bad }), (e: Error) => e.message.startsWith(`WORKFLOW_STACK_TRACES=${JSON.stringify(bad)}: expected 1`));
  });

  it('reads WORKFLOW_THREAD_YOUNG_MB (unset: 12 MiB, 0: V8’s default), and a bad value names the variable', () => {
    assert.deepEqual(workflowThreadLimitsFromEnv({}), { maxYoungGenerationSizeMb: 12, promiseStackTraces: false });
    assert.deepEqual(workflowThreadLimitsFromEnv({ WORKFLOW_THREAD_YOUNG_MB: '' }), { maxYoungGenerationSizeMb: 12, promiseStackTraces: false });
    assert.deepEqual(workflowThreadLimitsFromEnv({ WORKFLOW_THREAD_YOUNG_MB: '0' }), { promiseStackTraces: false });
    assert.deepEqual(workflowThreadLimitsFromEnv({ WORKFLOW_THREAD_YOUNG_MB: '24' }), { maxYoungGenerationSizeMb: 24, promiseStackTraces: false });
    for (const bad of ['2', '-4', '1.5', 'twelve', '4096', ' '])
      assert.throws(() => workflowThreadLimitsFromEnv({ WORKFLOW_THREAD_YOUNG_MB: bad }), (e: Error) => e.message.startsWith(`WORKFLOW_THREAD_YOUNG_MB=${JSON.stringify(bad)}: expected a whole number of MiB, 3 to 1024, or 0`));
  });
});
