/**
 * The ledger adopts bindings that already exist (e.g. made by LiteIO before the switch), and the drift check (at a
 * controller start, and periodically) repairs and records drift when a binding disappears behind its back.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { Finalizers, GROUP, Labels, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import { ledgerQuery, poolWorkflowId, volumeWorkflowId } from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: ledger adoption and drift repair', function () {
  let c: TestCluster;
  after(async () => c?.stop());

  it('adopts existing bindings at start, and drops a vanished one at the next drift check', async () => {
    const env = await testEnv();
    c = await newTestCluster(env, 'adopt');
    await c.createPool('pool-a', { bytes: 10 * GiB });
    // Bound before this controller ever ran, as LiteIO leaves them.
    for (const name of ['old-1', 'old-2']) {
      await c.createVolume(name, {
        size: 3 * GiB,
        hostNode: 'pool-a',
        spec: { targetNodeId: 'pool-a' },
        labels: { [Labels.TargetNodeId]: 'pool-a' },
      });
      await c.co.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name, body: { metadata: { finalizers: [Finalizers.InState] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const timings = { driftCheckMs: 1500, driftGraceMs: 500 };
    await c.startOperator({ timings });
    const pool = () => c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: 'pool-a' }));
    await eventually(async () => {
      const l = await pool().query(ledgerQuery);
      assert.equal(l.boundBytes, 6 * GiB);
      assert.deepEqual(l.bindings.map((b) => [b.key.split('/')[1], b.via]), [['old-1', 'adopt'], ['old-2', 'adopt']]);
    }, { timeoutMs: 30_000, what: 'adopted' });

    // old-1 disappears while no controller runs: its finalizer is stripped and it is deleted.
    const old1 = await c.getVolume('old-1');
    await c.stop();
    await c.co.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'old-1', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await c.deleteVolume('old-1');
    await c.startOperator({ timings });

    const l = await eventually(async () => {
      const x = await pool().query(ledgerQuery);
      assert.equal(x.boundBytes, 3 * GiB);
      assert.deepEqual(x.lastDrift?.dropped, [`${c.ns}/old-1`]);
      return x;
    }, { timeoutMs: 30_000, what: 'drift repaired' });
    assert.deepEqual(l.bindings.map((b) => b.key), [`${c.ns}/old-2`]);
    await eventually(async () => {
      const events = await c.core.listNamespacedEvent({ namespace: c.ns });
      assert.ok(events.items.some((e) => e.reason === 'LedgerDrift' && e.involvedObject.name === 'pool-a' && /dropped .*old-1/.test(e.message ?? '')));
    }, { timeoutMs: 10_000, what: 'LedgerDrift event' });
    // v0.8.0: placed volumes that existed before the controller started wake no workflow (their pool adopted them
    // when it was first seen): neither the vanished one nor the one still there has a run.
    for (const v of [old1, await c.getVolume('old-2')]) {
      const wf = c.op!.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! }));
      await assert.rejects(wf.describe(), /not found/i, `${v.metadata.name} has no run`);
    }
  });
});
