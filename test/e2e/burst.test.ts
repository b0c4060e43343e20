/**
 * No over-commit under a burst: 300 volumes created at once into 5 pools with room for exactly 200.
 */
import assert from 'node:assert/strict';
import { ledgerQuery, poolWorkflowId } from '../../src/workflows/messages.js';
import { inParallel, sampleCapacity } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: burst of 300 volumes into room for 200', function () {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('binds exactly 200, leaves 100 pending with PoolFreeSize, and never over-commits a pool', () => burst('burst'));

  // v0.15.0: the pools' answers to the placer handed to the coalescer at once (PLACER_REPLY_HANDOFF_MS=1), so every
  // pool's reply activity returns before its signal has gone and the coalescer alone delivers them.
  it('the same when every pool answer is handed off to the coalescer before its signal goes', () => burst('burst-handoff', { PLACER_REPLY_HANDOFF_MS: '1' }));

  async function burst(name: string, envVars: Record<string, string> = {}): Promise<void> {
    const env = await testEnv();
    const cluster = await newTestCluster(env, name);
    c = cluster;
    const saved = Object.fromEntries(Object.keys(envVars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, envVars); // read once, when the operator starts
    try {
      await cluster.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 1000 } } });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const caps: Record<string, number> = {};
    for (let i = 0; i < 5; i++) {
      caps[`pool-${i}`] = 40 * GiB;
      await cluster.createPool(`pool-${i}`, { bytes: 40 * GiB });
    }
    const sampler = sampleCapacity(cluster, caps);
    const t0 = Date.now();
    await inParallel(Array.from({ length: 300 }, (_, i) => i), 24, (i) => cluster.createVolume(`burst-${i}`, { size: GiB }));
    const created = Date.now() - t0;

    const vols = await eventually(
      async () => {
        const vs = await cluster.listVolumes();
        const bound = vs.filter((v) => v.spec.targetNodeId);
        const pending = vs.filter((v) => !v.spec.targetNodeId && v.status?.msg === 'NoStoragePoolAvailable: PoolFreeSize: 5');
        assert.equal(bound.length, 200, `bound ${bound.length}`);
        assert.equal(pending.length, 100, `pending with PoolFreeSize ${pending.length}`);
        return vs;
      },
      { timeoutMs: 240_000, intervalMs: 1000, what: '200 bound + 100 pending' },
    );
    await sampler.stop();
    assert.deepEqual(sampler.violations, []);
    assert.ok(sampler.samples > 5, `sampled ${sampler.samples} times during the burst`);

    const used: Record<string, number> = {};
    for (const v of vols) if (v.spec.targetNodeId) used[v.spec.targetNodeId] = (used[v.spec.targetNodeId] ?? 0) + v.spec.sizeByte;
    for (const p of Object.keys(caps)) {
      assert.equal(used[p], 40 * GiB, `pool ${p} is exactly full`);
      const ledger = await cluster.op!.client.workflow.getHandle(poolWorkflowId({ namespace: cluster.ns, name: p })).query(ledgerQuery);
      assert.equal(ledger.boundBytes, 40 * GiB, `ledger of ${p}`);
      assert.equal(ledger.bindings.length, 40);
    }
    if (process.env['DCT_VERBOSE']) console.error(`[${name}] created in ${created} ms, settled in ${Date.now() - t0} ms, ${sampler.samples} samples`);
  }
});
