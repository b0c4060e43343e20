/**
 * AntstorSnapshot on the reconciler seam, against the real servers: LiteIO's ordered checks and steps, waits woken
 * by watch events (not LiteIO's 1–3 minute requeues), deletion rules, Events, and every step in the history.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../kube/client-node.js';
import { GROUP, VERSION } from '../../api/constants.js';
import { snapshotWorkflowId } from './messages.js';
import { PLURAL_SNAPSHOT, SnapshotFinalizer, SnapshotLabels, type AntstorSnapshot } from './types.js';
import { activityTypes } from '../../../test/harness/history.js';
import { eventually } from '../../../test/harness/eventually.js';
import { testEnv, type TestEnv } from '../../../test/harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../../../test/harness/cluster.js';

const MiB = 2 ** 20;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('e2e: AntstorSnapshot (LiteIO snapshot reconciler as a workflow)', function () {
  let env: TestEnv;
  let c: TestCluster;
  const G = () => ({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_SNAPSHOT });

  const createSnapshot = (name: string, origin: string, size: number) =>
    c.co.createNamespacedCustomObject({
      ...G(),
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorSnapshot', metadata: { name }, spec: { volType: 'SpdkLVol', size, originVolName: origin, originVolNamespace: c.ns } },
    });
  const getSnapshot = async (name: string) => (await c.co.getNamespacedCustomObject({ ...G(), name })) as AntstorSnapshot;
  const patchSnapshot = (name: string, body: object, status = false) =>
    status ? c.co.patchNamespacedCustomObjectStatus({ ...G(), name, body }, merge) : c.co.patchNamespacedCustomObject({ ...G(), name, body }, merge);
  const events = async (name: string) =>
    (await c.core.listNamespacedEvent({ namespace: c.ns, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.type} ${e.reason}: ${e.message}`);

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'snap');
    await c.startOperator();
    await c.createPool('node-1', { bytes: 10 * GiB });
    await c.createVolume('vol', { size: GiB, hostNode: 'node-1', annotations: { 'obnvmf/snapshot-reserved-bytes': String(64 * MiB) } });
    await eventually(async () => assert.equal((await c.getVolume('vol')).spec.targetNodeId, 'node-1'), { what: 'origin volume placed' });
  });
  after(async () => c?.stop());

  it('labels, rounds the size, binds to the origin’s pool and sets creating — each step an activity in the history', async () => {
    await createSnapshot('snap-a', 'vol', 9 * MiB);
    const s = await eventually(
      async () => {
        const s = await getSnapshot('snap-a');
        assert.equal(s.status?.status, 'creating');
        return s;
      },
      { what: 'snap-a creating' },
    );
    assert.equal(s.spec.size, 8 * MiB, 'rounded down to a multiple of 4 MiB');
    assert.equal(s.spec.originVolTargetNodeId, 'node-1');
    assert.equal(s.metadata.labels?.[SnapshotLabels.TargetNodeId], 'node-1');
    assert.equal(s.metadata.labels?.[SnapshotLabels.OriginVolumeName], 'vol');
    assert.equal(s.metadata.labels?.[SnapshotLabels.OriginVolumeNamespace], c.ns);
    const ev = await eventually(async () => {
      const ev = await events('snap-a');
      assert.ok(ev.some((e) => /SnapshotStep: on pool node-1/.test(e)), ev.join('\n'));
      return ev;
    });
    assert.ok(ev.some((e) => /rounded down to 8388608/.test(e)), ev.join('\n'));
    // The last (idle) pass runs just after the status write the test saw: wait for it to be recorded.
    await eventually(async () => {
      const h = await c.op!.client.workflow.getHandle(snapshotWorkflowId({ namespace: c.ns, name: 'snap-a', uid: s.metadata.uid! })).fetchHistory();
      const passes = activityTypes(h).filter((t) => t === 'snapshotReconcile').length;
      assert.ok(passes >= 5, `labels, size, bind, status and the idle pass: ${passes} passes`);
    });
  });

  it('holds a second snapshot of the same origin until the first is merged, woken by the watch event', async () => {
    await createSnapshot('snap-b', 'vol', 8 * MiB);
    await eventually(async () => assert.ok((await events('snap-b')).some((e) => /Warning SnapshotCreateFailure: origin volume can only have one snapshot \(snap-a/.test(e))), { what: 'snap-b refused' });
    assert.equal((await getSnapshot('snap-b')).status?.status, undefined);
    const t0 = Date.now();
    await patchSnapshot('snap-a', { status: { status: 'merged' } }, true);
    await eventually(async () => assert.equal((await getSnapshot('snap-b')).status?.status, 'creating'), { timeoutMs: 20_000, what: 'snap-b creating after snap-a merged' });
    assert.ok(Date.now() - t0 < 20_000, 'no 3-minute requeue');
    // The refusal was announced once, not on every wake-up.
    assert.equal((await events('snap-b')).filter((e) => /only have one snapshot/.test(e)).length, 1);
  });

  it('refuses a snapshot under 4 MiB with an Event and writes nothing', async () => {
    await c.createVolume('vol-tiny', { size: GiB, hostNode: 'node-1', annotations: { 'obnvmf/snapshot-reserved-bytes': String(64 * MiB) } });
    await createSnapshot('snap-tiny', 'vol-tiny', MiB);
    await eventually(async () => assert.ok((await events('snap-tiny')).some((e) => /Warning SnapshotCreateFailure: size too small, at least 4MiB/.test(e))), { what: 'tiny refused' });
    const s = await getSnapshot('snap-tiny');
    assert.equal(s.spec.size, MiB);
    assert.equal(s.status?.status, undefined);
    assert.equal(s.spec.originVolTargetNodeId, undefined);
  });

  it('waits for an unscheduled origin and goes on when it is placed', async () => {
    await c.createVolume('vol-late', { size: 50 * GiB, hostNode: null, annotations: { 'obnvmf/snapshot-reserved-bytes': String(64 * MiB) } });
    await createSnapshot('snap-late', 'vol-late', 8 * MiB);
    await eventually(async () => assert.ok((await events('snap-late')).some((e) => /origin volume .*vol-late is not scheduled/.test(e))), { what: 'waiting for origin' });
    await c.createPool('node-2', { bytes: 100 * GiB });
    await eventually(async () => assert.equal((await c.getVolume('vol-late')).spec.targetNodeId, 'node-2'), { what: 'vol-late placed' });
    await eventually(
      async () => {
        const s = await getSnapshot('snap-late');
        assert.equal(s.spec.originVolTargetNodeId, 'node-2');
        assert.equal(s.status?.status, 'creating');
      },
      { timeoutMs: 20_000, what: 'snap-late bound after its origin was placed' },
    );
  });

  it('deletion: a merged snapshot loses its finalizer; another waits for the agent, or for its pool to go', async () => {
    await patchSnapshot('snap-a', { metadata: { finalizers: [SnapshotFinalizer] } });
    await c.co.deleteNamespacedCustomObject({ ...G(), name: 'snap-a' });
    await eventually(async () => assert.ok(!(await c.co.listNamespacedCustomObject({ ...G() }) as { items: AntstorSnapshot[] }).items.some((s) => s.metadata.name === 'snap-a')), { what: 'merged snapshot gone' });

    // Not merged, pool present: the agent's finalizer stays (LiteIO leaves it to the agent).
    await patchSnapshot('snap-late', { metadata: { finalizers: [SnapshotFinalizer] } });
    await c.co.deleteNamespacedCustomObject({ ...G(), name: 'snap-late' });
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual((await getSnapshot('snap-late')).metadata.finalizers, [SnapshotFinalizer]);

    // Its pool goes away (its volume first): nothing will remove the finalizer but the controller.
    await c.deleteVolume('vol-late');
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((v) => v.metadata.name === 'vol-late')), { timeoutMs: 30_000, what: 'vol-late gone' });
    await c.co.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: 'storagepools', name: 'node-2' });
    await eventually(async () => assert.ok(!(await c.listPools()).some((p) => p.metadata.name === 'node-2')), { timeoutMs: 30_000, what: 'pool node-2 gone' });
    await eventually(async () => assert.ok(!(await c.co.listNamespacedCustomObject({ ...G() }) as { items: AntstorSnapshot[] }).items.some((s) => s.metadata.name === 'snap-late')), {
      timeoutMs: 20_000,
      what: 'snapshot of a deleted pool gone',
    });
  });
});
