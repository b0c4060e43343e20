/**
 * v0.12.0: an idle pool parks (its workflow's run ends) and is brought back by the next request, event or Lease
 * lapse, with a ledger adopted from the API server — equal to the one it parked with, so nothing can be admitted
 * twice. Real API server, real Temporal, the operator in process, the park delay shortened to 2 s.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { GROUP, PLURAL_POOL, VERSION } from '../../src/api/constants.js';
import { poolWorkflowId, type LedgerView } from '../../src/workflows/messages.js';
import { ledgerQuery } from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: idle pools park', function () {
  let c: TestCluster;
  after(async () => c?.stop());

  const timings = { poolParkIdleMs: 2000 };
  const pool = (name: string) => c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name }));
  const parked = (name: string) =>
    eventually(async () => {
      const d = await pool(name).describe();
      assert.equal(d.status.name, 'COMPLETED', `pool ${name} parked`);
      return d.runId;
    }, { timeoutMs: 30_000, what: `pool ${name} parked` });
  const bound = (name: string, to: string) =>
    eventually(async () => assert.equal((await c.getVolume(name)).spec.targetNodeId, to), { timeoutMs: 30_000, what: `${name} bound to ${to}` });
  const activityTypes = async (name: string, runId: string) =>
    ((await c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name }), runId).fetchHistory()).events ?? []).flatMap((e) => {
      const t = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return t ? [t] : [];
    });
  const apiBound = async (p: string) => (await c.listVolumes()).filter((v) => v.spec.targetNodeId === p).map((v) => v.metadata.uid!).sort();

  it('parks when idle, comes back for a request with the same ledger, and never over-commits across the park', async () => {
    const env = await testEnv();
    c = await newTestCluster(env, 'park');
    await c.createPool('pool-a', { bytes: 10 * GiB });
    // Lost heartbeat (its Lease 10 min old, the default limit 3 min): going offline is a deadline only its own
    // timer meets, so this pool must stay resident.
    await c.createPool('pool-lost', { bytes: 10 * GiB, lease: new Date(Date.now() - 10 * 60_000) });
    await c.startOperator({ timings, metricsAddr: '127.0.0.1:0' });
    for (const n of ['v1', 'v2', 'v3']) await c.createVolume(n, { size: 3 * GiB, hostNode: 'pool-a', positionAdvice: 'MustLocal' });
    for (const n of ['v1', 'v2', 'v3']) await bound(n, 'pool-a');
    const firstRun = await parked('pool-a');

    // Parked: the state API answers from the API server, with the same bindings and free space.
    const state = async () => {
      const r = await fetch(`${c.op!.metricsUrl!.replace(/\/metrics$/, '')}/state/storagepool?name=pool-a`);
      assert.equal(r.status, 200);
      return (await r.json()) as { volumes: { name: string }[]; memFreeSize: number };
    };
    const s = await state();
    assert.deepEqual(s.volumes.map((v) => v.name).sort(), ['v1', 'v2', 'v3']);
    assert.equal(s.memFreeSize, 1 * GiB);

    // A volume that fits brings the pool back: the new run adopted the three bindings (a consistent read) before it
    // answered, so it grants the last free GiB and nothing more.
    await c.createVolume('v4', { size: 1 * GiB, hostNode: 'pool-a', positionAdvice: 'MustLocal' });
    await bound('v4', 'pool-a');
    const l = await eventually(async () => {
      const x: LedgerView = await pool('pool-a').query(ledgerQuery);
      assert.deepEqual(x.bindings.map((b) => b.uid).sort(), await apiBound('pool-a'));
      return x;
    }, { timeoutMs: 30_000, what: 'revived ledger equals the API server' });
    assert.equal(l.boundBytes, 10 * GiB);
    assert.deepEqual(l.bindings.filter((b) => b.via === 'adopt').map((b) => b.key.split('/')[1]).sort(), ['v1', 'v2', 'v3']);
    const secondRun = await parked('pool-a');
    assert.notEqual(secondRun, firstRun, 'a new run parked again');
    // v0.14.0: woken by a request alone, with nothing for a reconcile pass to do, the new run runs none: its load
    // (with the bindings it adopts) and the park's read are its only activities. The first run had its pass.
    assert.ok((await activityTypes('pool-a', firstRun)).includes('poolReconcile'), 'the first run reconciled the pool');
    assert.deepEqual(await activityTypes('pool-a', secondRun), ['poolLoad', 'poolListBindings']);

    // Full pool, parked: a volume that does not fit stays pending with a reason; deleting v1 (its pool parked, so
    // nobody holds a release for it) makes room, and the pending volume is placed on a ledger that counts v2-v4.
    await c.createVolume('v5', { size: 2 * GiB, hostNode: 'pool-a', positionAdvice: 'MustLocal' });
    await eventually(async () => assert.match((await c.getVolume('v5')).status?.msg ?? '', /NoStoragePoolAvailable|pool-a/), { timeoutMs: 30_000, what: 'v5 pending with a reason' });
    assert.equal((await c.getVolume('v5')).spec.targetNodeId, undefined);
    await c.deleteVolume('v1');
    await bound('v5', 'pool-a');
    await eventually(async () => {
      const x: LedgerView = await pool('pool-a').query(ledgerQuery);
      const api = await apiBound('pool-a');
      assert.deepEqual(x.bindings.map((b) => b.uid).sort(), api);
      assert.ok(x.boundBytes <= 10 * GiB, `bound ${x.boundBytes} within 10 GiB`);
    }, { timeoutMs: 30_000, what: 'ledger after the deletion' });
    const used = (await c.listVolumes()).filter((v) => v.spec.targetNodeId === 'pool-a').reduce((a, v) => a + v.spec.sizeByte, 0);
    assert.equal(used, 9 * GiB);

    // The pool with a deadline of its own never parked.
    assert.equal((await pool('pool-lost').describe()).status.name, 'RUNNING');
  });

  it('a parked pool comes back for its Lease lapsing and marks itself unknown', async () => {
    await parked('pool-a');
    await c.setLease('pool-a', new Date(Date.now() - 10 * 60_000)); // renewTime went backwards: lost
    await eventually(async () => {
      const p = (await c.listPools()).find((x) => x.metadata.name === 'pool-a');
      assert.equal(p?.status?.status, 'unknown');
    }, { timeoutMs: 30_000, what: 'pool-a unknown' });
    // Lost: its offline deadline keeps it resident now.
    await new Promise((r) => setTimeout(r, timings.poolParkIdleMs * 2));
    assert.equal((await pool('pool-a').describe()).status.name, 'RUNNING');
  });

  it('a controller restart leaves a parked pool parked, and wakes one whose StoragePool changed while no controller ran', async () => {
    await c.createPool('pool-still', { bytes: 10 * GiB });
    await c.createPool('pool-changed', { bytes: 10 * GiB });
    await c.createVolume('r1', { size: GiB, hostNode: 'pool-still', positionAdvice: 'MustLocal' });
    await bound('r1', 'pool-still');
    const still = await parked('pool-still');
    const changed = await parked('pool-changed');
    await c.stop();
    await c.co.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_POOL, name: 'pool-changed', body: { metadata: { labels: { tier: 'gold' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await c.startOperator({ timings, metricsAddr: '127.0.0.1:0' });
    // The changed pool gets a new run (which parks again once idle); the other keeps its parked run.
    await eventually(async () => assert.notEqual((await pool('pool-changed').describe()).runId, changed), { timeoutMs: 30_000, what: 'pool-changed woken' });
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await pool('pool-still').describe()).runId, still, 'pool-still was left parked');
    assert.equal((await pool('pool-still').describe()).status.name, 'COMPLETED');
    // It still places: the next request starts a run that adopts r1 first.
    await c.createVolume('r2', { size: 9 * GiB, hostNode: 'pool-still', positionAdvice: 'MustLocal' });
    await bound('r2', 'pool-still');
    await c.createVolume('r3', { size: GiB, hostNode: 'pool-still', positionAdvice: 'MustLocal' });
    await eventually(async () => assert.ok((await c.getVolume('r3')).status?.msg), { timeoutMs: 30_000, what: 'r3 reported' });
    assert.equal((await c.getVolume('r3')).spec.targetNodeId, undefined, 'pool-still is full: r1 was adopted');
  });
});
