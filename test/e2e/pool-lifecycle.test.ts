/**
 * The StoragePool lifecycle against the real servers: status initialisation, default label and finalizer, the
 * Lease heartbeat, a missing Lease, LockPool by Node label and by Node taint, deletion blocked by volumes then
 * completed, removal of an orphaned pool, and forced cleanup of a volume on a dead pool.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { Finalizers, GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import type { StoragePool } from '../../src/api/types.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

const H = 60 * 60_000;

describe('e2e: StoragePool lifecycle', function () {
  let c: TestCluster;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const pool = async (name: string) => (await c.co.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_POOL, name })) as StoragePool;
  const poolGone = async (name: string) => !(await c.listPools()).some((p) => p.metadata.name === name);
  const status = async (name: string, want: string) =>
    eventually(async () => assert.equal((await pool(name)).status?.status, want, `${name} status`), { timeoutMs: 20_000, what: `${name} ${want}` });

  before(async () => {
    c = await newTestCluster(await testEnv(), 'life');
    await c.startOperator({
      config: {
        scheduler: {
          lockSchedConfig: {
            nodeSelector: [{ key: 'lite.io/lock-node', operator: 'Exists' }],
            nodeTaints: [{ key: 'lite.io/hardware-broken', operator: 'Exists' }],
          },
        },
      },
      timings: { poolRecheckMs: 1000, deadPoolGraceMs: 2500, orphanPoolAgeMs: 3000 },
    });
  });
  after(async () => c?.stop());

  it('initialises a new pool: status unknown with capacity, default label, in-state finalizer, then ready on a fresh Lease', async () => {
    await c.co.createNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_POOL,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'StoragePool', metadata: { name: 'fresh' }, spec: { nodeInfo: { id: 'fresh' }, kernelLvm: { name: 'vg', vgUUID: 'u', bytes: 10 * GiB } } },
    });
    await eventually(async () => {
      const p = await pool('fresh');
      assert.deepEqual(p.metadata.labels, { 'obnvmf/node-sn': 'fresh' });
      assert.ok(p.metadata.finalizers?.includes(Finalizers.InState));
      assert.equal(String(p.status?.capacity?.['storage']), String(10 * GiB));
      assert.equal(p.status?.status, 'unknown');
      assert.match(p.status?.message ?? '', /^no heartbeat: Lease .*\/fresh not found$/);
    }, { timeoutMs: 20_000 });
    await c.setLease('fresh', new Date());
    await status('fresh', 'ready');
    assert.equal((await pool('fresh')).status?.message ?? '', '', 'heartbeat message cleared');
  });

  it('follows the Lease: unknown after 3 min without renewal, offline after 24 h, ready when renewed', async () => {
    await c.createPool('hb', { bytes: 10 * GiB });
    await c.setLease('hb', new Date(Date.now() - 5 * 60_000));
    await status('hb', 'unknown');
    await c.setLease('hb', new Date(Date.now() - 25 * H));
    await status('hb', 'offline');
    await c.setLease('hb', new Date());
    await status('hb', 'ready');
  });

  it('a missing Lease is a status, not an error loop', async () => {
    await c.createPool('nolease', { bytes: 10 * GiB, lease: null });
    await eventually(async () => assert.match((await pool('nolease')).status?.message ?? '', /no heartbeat/), { timeoutMs: 20_000 });
    const h = c.op!.client.workflow.getHandle(`pool/${c.ns}/nolease`);
    const failed = ((await h.fetchHistory()).events ?? []).filter((e) => e.activityTaskFailedEventAttributes || e.workflowTaskFailedEventAttributes);
    assert.equal(failed.length, 0);
  });

  it('LockPool locks a pool whose Node has the lock label, and unlocks it when the label goes', async () => {
    await c.core.createNode({ body: { metadata: { name: 'lk-label', labels: { 'lite.io/lock-node': 'yes' } } } });
    await c.createPool('lk-label', { bytes: 10 * GiB });
    await status('lk-label', 'locked');
    const p = await pool('lk-label');
    assert.deepEqual(p.status?.conditions?.find((x) => x.type === 'KubeNode'), { type: 'KubeNode', status: 'Error', message: 'NC_OFFLINE' });
    await c.createVolume('on-locked', { size: GiB, hostNode: 'lk-label', positionAdvice: 'MustLocal' });
    await eventually(async () => assert.match((await c.getVolume('on-locked')).status?.msg ?? '', /PoolUnschedulable: 1/), { timeoutMs: 20_000 });
    await c.core.patchNode({ name: 'lk-label', body: { metadata: { labels: { 'lite.io/lock-node': null } } } }, merge);
    await status('lk-label', 'ready');
    await eventually(async () => assert.equal((await c.getVolume('on-locked')).spec.targetNodeId, 'lk-label'), { timeoutMs: 10_000, what: 'placed once unlocked' });
  });

  it('LockPool locks a pool whose Node has a tolerated taint', async () => {
    await c.core.createNode({ body: { metadata: { name: 'lk-taint' }, spec: { taints: [{ key: 'lite.io/hardware-broken', effect: 'NoSchedule' }] } } });
    await c.createPool('lk-taint', { bytes: 10 * GiB });
    await status('lk-taint', 'locked');
    await c.core.patchNode({ name: 'lk-taint', body: { spec: { taints: null } } }, merge);
    await status('lk-taint', 'ready');
  });

  it('LockPool locks a pool whose Lvm condition is in Error, and unlocks it when it clears', async () => {
    await c.createPool('lk-lvm', { bytes: 10 * GiB });
    await status('lk-lvm', 'ready');
    await c.setPoolStatus('lk-lvm', { conditions: [{ type: 'Spdk', status: 'OK' }, { type: 'Lvm', status: 'Error', message: 'vg missing' }] });
    await status('lk-lvm', 'locked');
    await c.setPoolStatus('lk-lvm', { conditions: [{ type: 'Spdk', status: 'OK' }, { type: 'Lvm', status: 'OK' }] });
    await status('lk-lvm', 'ready');
  });

  it('pool deletion is blocked while volumes remain and completes by itself when they go', async () => {
    await c.createPool('doomed', { bytes: 10 * GiB });
    await status('doomed', 'ready');
    await c.createVolume('last-one', { size: GiB, hostNode: 'doomed', positionAdvice: 'MustLocal' });
    await eventually(async () => assert.equal((await c.getVolume('last-one')).spec.targetNodeId, 'doomed'));
    await eventually(async () => assert.ok((await pool('doomed')).metadata.finalizers?.includes(Finalizers.InState)));
    await c.co.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_POOL, name: 'doomed' });
    await eventually(async () => assert.equal((await pool('doomed')).status?.message, `Volumes left on node: ${c.ns}/last-one`), { timeoutMs: 20_000 });
    await c.deleteVolume('last-one');
    await eventually(async () => assert.ok(await poolGone('doomed'), 'pool still there'), { timeoutMs: 20_000 });
  });

  it('removes an empty, not-ready pool whose Node is gone once it is old enough', async () => {
    await c.createPool('orphan', { bytes: 10 * GiB, lease: new Date(Date.now() - 10 * 60_000) });
    await status('orphan', 'unknown');
    await eventually(async () => assert.ok(await poolGone('orphan')), { timeoutMs: 20_000, what: 'orphan deleted' });
  });

  it('cleans a deleted volume on a dead pool after the grace period, including logic-volume', async () => {
    await c.createPool('dying', { bytes: 10 * GiB });
    await status('dying', 'ready');
    await c.createVolume('stuck', { size: GiB, hostNode: 'dying', positionAdvice: 'MustLocal' });
    await eventually(async () => assert.equal((await c.getVolume('stuck')).spec.targetNodeId, 'dying'));
    // The agent created the LV and its target, then the node died.
    await eventually(async () => {
      // Read-modify-write with the resourceVersion, as the agent would; retried on a conflict with the controller.
      const v = await c.getVolume('stuck');
      await c.co.patchNamespacedCustomObject({
        group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'stuck',
        body: { metadata: { resourceVersion: v.metadata.resourceVersion, finalizers: [...(v.metadata.finalizers ?? []), Finalizers.LogicVolume, Finalizers.SpdkTarget] } },
      }, merge);
    }, { timeoutMs: 10_000 });
    await c.setLease('dying', new Date(Date.now() - 10 * 60_000));
    await status('dying', 'unknown');
    const t0 = Date.now();
    await c.deleteVolume('stuck');
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((x) => x.metadata.name === 'stuck'), 'still there'), { timeoutMs: 20_000 });
    assert.ok(Date.now() - t0 >= 2000, 'not before the grace period');
    const events = await c.core.listNamespacedEvent({ namespace: c.ns });
    assert.ok(events.items.some((e) => e.reason === 'ForcedCleanup' && /antstor.alipay.com\/logic-volume/.test(e.message ?? '')));
  });
});

describe('e2e: StoragePool heartbeat lapse, found by the watcher', function () {
  // A lapse is noticed by the watcher's sweep of cached Leases, not by a per-pool timer: the pool's own net is set
  // to 10 min here, so only the sweep can turn it unknown within seconds.
  const LOST = 4_000;
  let c: TestCluster;
  const pool = async (name: string) => (await c.co.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_POOL, name })) as StoragePool;

  before(async () => {
    c = await newTestCluster(await testEnv(), 'lapse');
    await c.startOperator({ timings: { heartbeatLostMs: LOST, heartbeatRecheckMs: 10 * 60_000 } });
  });
  after(async () => c?.stop());

  it('a ready pool whose agent stops renewing turns unknown soon after heartbeatLostMs, woken once, with no timer of its own due', async () => {
    await c.createPool('quiet', { bytes: 10 * GiB });
    await c.createPool('renewed', { bytes: 10 * GiB });
    await eventually(async () => {
      assert.equal((await pool('quiet')).status?.status, 'ready');
      assert.equal((await pool('renewed')).status?.status, 'ready');
    }, { timeoutMs: 20_000 });
    // The other agent keeps renewing every second; 'quiet' never renews again.
    const renewing = setInterval(() => void c.setLease('renewed', new Date()).catch(() => undefined), 1000);
    try {
      const t0 = Date.now();
      await eventually(async () => assert.equal((await pool('quiet')).status?.status, 'unknown'), { timeoutMs: 20_000, what: 'quiet unknown' });
      assert.ok(Date.now() - t0 < LOST + 8_000, `unknown after ${Date.now() - t0} ms`);
      await new Promise((r) => setTimeout(r, LOST));
      assert.equal((await pool('renewed')).status?.status, 'ready', 'a renewed pool stays ready');
    } finally {
      clearInterval(renewing);
    }
    const events = (await c.op!.client.workflow.getHandle(`pool/${c.ns}/quiet`).fetchHistory()).events ?? [];
    const text = (e: (typeof events)[number]) => {
      const d = e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
      return d ? Buffer.from(d as Uint8Array).toString() : '';
    };
    const lapsed = events.filter((e) => text(e).includes('lease-lapsed'));
    assert.equal(lapsed.length, 1, `one lapse wake (got ${lapsed.length})`);
    assert.equal(events.filter((e) => e.timerFiredEventAttributes).length, 0, 'no timer fired: the sweep woke it');
  });
});
