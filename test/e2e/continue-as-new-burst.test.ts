/**
 * The long-lived paths with the real controller: a pool whose workflow is started by a volume's reservation
 * request (its first activation carries the request), and a burst during which the server suggests
 * continue-as-new every 60 events, so pool workflows roll over with requests in flight.
 * These are the two paths that wedged v0.3.0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import { ledgerQuery, poolWorkflowId } from '../../src/workflows/messages.js';
import { inParallel, sampleCapacity } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: first activation and continue-as-new with the real controller', function () {
  this.timeout(300_000);
  let c: TestCluster | undefined;
  let dir: string;
  let temporal: TemporalDevServer;
  let env: TestEnv;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'dct-can-'));
    const shared = await testEnv();
    // Its own Temporal, suggesting continue-as-new after 60 events (the default is 4,096): each pool rolls over more
    // than once during the burst (an answer costs a pool about five events since v0.6.0).
    temporal = await startTemporalDevServer({ dir, extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'] });
    env = { ...shared, temporal };
  });
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });
  after(async () => {
    await temporal?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runsOf(cl: TestCluster, workflowId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const w of cl.op!.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) out.push(w.status.name);
    return out;
  }

  it("a volume that fits only on a pool whose workflow has ended starts it and is placed (the request is in the pool's first activation)", async () => {
    c = await newTestCluster(env, 'first');
    const cl = c;
    await cl.startOperator();
    await cl.createPool('only', { bytes: 20 * GiB });
    await cl.createPool('small', { bytes: 1 * GiB });
    await cl.createVolume('warm', { size: GiB, hostNode: 'only' });
    await eventually(async () => assert.equal((await cl.getVolume('warm')).spec.targetNodeId, 'only'));
    // End the pool's workflow: the next request to its ledger starts a new one with signalWithStart.
    const id = poolWorkflowId({ namespace: cl.ns, name: 'only' });
    await cl.op!.client.workflow.getHandle(id).terminate('test: the pool workflow ended');
    await cl.createVolume('big', { size: 10 * GiB });
    await eventually(async () => assert.equal((await cl.getVolume('big')).spec.targetNodeId, 'only'), { timeoutMs: 60_000 });
    const ledger = await cl.op!.client.workflow.getHandle(id).query(ledgerQuery);
    // The new run adopted the earlier binding from the API server and admitted the new one.
    assert.deepEqual(ledger.bindings.map((b) => b.key).sort(), [`${cl.ns}/big`, `${cl.ns}/warm`]);
    assert.equal(ledger.boundBytes, 11 * GiB);
  });

  it('a burst with continue-as-new forced: every volume bound once, none over capacity, ledgers equal the API server', async () => {
    c = await newTestCluster(env, 'canburst');
    const cl = c;
    await cl.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 1000 } } });
    const caps: Record<string, number> = {};
    for (let i = 0; i < 4; i++) {
      caps[`pool-${i}`] = 30 * GiB;
      await cl.createPool(`pool-${i}`, { bytes: 30 * GiB });
    }
    const sampler = sampleCapacity(cl, caps);
    // 150 volumes into room for 120.
    await inParallel(Array.from({ length: 150 }, (_, i) => i), 16, (i) => cl.createVolume(`v-${i}`, { size: GiB }));
    const vols = await eventually(
      async () => {
        const vs = await cl.listVolumes();
        const bound = vs.filter((v) => v.spec.targetNodeId);
        const pending = vs.filter((v) => !v.spec.targetNodeId && (v.status?.msg ?? '').startsWith('NoStoragePoolAvailable'));
        assert.equal(bound.length, 120, `bound ${bound.length}`);
        assert.equal(pending.length, 30, `pending with a reason ${pending.length}`);
        return vs;
      },
      { timeoutMs: 240_000, intervalMs: 1000, what: '120 bound + 30 pending' },
    );
    await sampler.stop();
    assert.deepEqual(sampler.violations, []);
    let rolledOver = 0;
    for (const p of Object.keys(caps)) {
      const onPool = vols.filter((v) => v.spec.targetNodeId === p);
      const ledger = await cl.op!.client.workflow.getHandle(poolWorkflowId({ namespace: cl.ns, name: p })).query(ledgerQuery);
      assert.deepEqual(ledger.bindings.map((b) => b.uid).sort(), onPool.map((v) => v.metadata.uid!).sort(), `ledger of ${p} equals the API server`);
      assert.equal(ledger.boundBytes, 30 * GiB);
      const runs = await runsOf(cl, poolWorkflowId({ namespace: cl.ns, name: p }));
      rolledOver += runs.filter((s) => s === 'CONTINUED_AS_NEW').length;
    }
    assert.ok(rolledOver >= 4, `pool workflows continued as new ${rolledOver} times`);
  });
});
