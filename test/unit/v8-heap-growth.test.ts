import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercentFromEnv } from '../../src/v8-heap-growth.js';

describe('unit: V8_HEAP_GROWING_PERCENT', () => {
  it('is 20 unset or empty, 0 leaves V8’s own, and a bad value names the variable', () => {
    assert.equal(DEFAULT_HEAP_GROWING_PERCENT, 20);
    assert.equal(heapGrowingPercentFromEnv({}), 20);
    assert.equal(heapGrowingPercentFromEnv({ V8_HEAP_GROWING_PERCENT: ' ' }), 20);
    assert.equal(heapGrowingPercentFromEnv({ V8_HEAP_GROWING_PERCENT: '0' }), 0);
    assert.equal(heapGrowingPercentFromEnv({ V8_HEAP_GROWING_PERCENT: '50' }), 50);
    for (const bad of ['4', '301', '1.5', 'twenty', '-20'])
      assert.throws(() => heapGrowingPercentFromEnv({ V8_HEAP_GROWING_PERCENT: bad }), (e: Error) => e.message.startsWith(`V8_HEAP_GROWING_PERCENT=${JSON.stringify(bad)}: expected a whole number of percent, 5 to 300`));
  });

  it('once applied at run time, V8 grows the main thread’s and a worker thread’s heaps by that factor', function () {
    this.timeout(60_000);
    // A process that applies 30 %, then allocates in its main thread and in a worker thread; V8's own trace prints
    // the factor of every limit it sets ("new limit: … KB (1.3)").
    const mod = join(REPO_ROOT, 'dist', 'src', 'v8-heap-growth.js');
    const churn = 'let k = []; for (let i = 0; i < 300000; i++) { k.push({ s: "x".repeat(100) + i }); if (k.length > 100000) k = []; }';
    const script = `import { applyHeapGrowingPercent } from ${JSON.stringify(mod)};
      import { Worker } from 'node:worker_threads';
      applyHeapGrowingPercent(30);
      ${churn}
      const w = new Worker(${JSON.stringify(churn)}, { eval: true });
      await new Promise((r) => w.once('exit', r));`;
    const run = (src: string) => spawnSync(process.execPath, ['--max-old-space-size=800', '--trace-gc-verbose', '--input-type=module', '-e', src], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const limits = (out: string) => [...out.matchAll(/^\[\d+:(0x[0-9a-f]+)\][^\n]*\[HeapController\] Limit: [^\n]*\(([\d.]+)\)$/gm)].map((m) => ({ isolate: m[1]!, factor: Number(m[2]) }));
    const applied = limits(run(script).stdout);
    const isolates = new Set(applied.map((l) => l.isolate));
    assert.ok(isolates.size >= 2, `limits from the main thread and the worker: ${[...isolates].join(', ')}`);
    // The first limits may be set before the flag (V8's start); every isolate's last one uses it.
    for (const i of isolates) assert.equal(applied.filter((l) => l.isolate === i).at(-1)!.factor, 1.3, `isolate ${i}`);
    // Without it, V8 picks its own (1.5 for an 800 MiB ceiling): the check above is not vacuous.
    const own = limits(run(script.replace('applyHeapGrowingPercent(30);', '')).stdout);
    assert.ok(own.length > 0 && own.every((l) => l.factor !== 1.3));
  });
});
