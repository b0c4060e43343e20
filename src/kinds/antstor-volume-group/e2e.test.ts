/**
 * AntstorVolumeGroup on the reconciler seam, against the real servers: LiteIO's validation, planning, members and
 * deletion order, and what LiteIO lacks — every member's capacity held on the pools' ledgers before any member is
 * created, all or nothing, so a concurrent burst of single volumes never strands half a group.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../kube/client-node.js';
import { GROUP, VERSION } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import { PLURAL_GROUP, type AntstorVolumeGroup } from './types.js';
import { groupWorkflowId } from './messages.js';
import { ledgerQuery, poolWorkflowId } from '../../workflows/messages.js';
import { activityTypes } from '../../../test/harness/history.js';
import { eventually } from '../../../test/harness/eventually.js';
import { testEnv, type TestEnv } from '../../../test/harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../../../test/harness/cluster.js';
import { inParallel } from '../../../test/harness/capacity-sampler.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('e2e: AntstorVolumeGroup (members held on the ledgers before they exist)', function () {
  let env: TestEnv;
  let c: TestCluster;
  const G = () => ({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_GROUP });

  const createGroup = (name: string, totalSize: number, o: { max?: string; count?: number; sym?: string; cmax?: number; tier: string }) =>
    c.co.createNamespacedCustomObject({
      ...G(),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'AntstorVolumeGroup',
        metadata: { name },
        spec: {
          uuid: `uuid-${name}`,
          totalSize,
          desiredVolumeSpec: {
            sizeSymmetry: o.sym ?? 'Asymmetric',
            desiredCount: o.count ?? 0,
            countRange: { max: o.cmax ?? 3 },
            sizeRange: { min: '1Gi', max: o.max ?? '10Gi' },
            labels: { app: name },
            // Each test's pools only (members carry it too, as LiteIO copies desiredVolumeSpec.annotations).
            annotations: { 'obnvmf/pool-label-selector': `tier=${o.tier}` },
          },
          stragety: { name: 'BestFit', allowEmptyNode: true },
        },
      },
    });
  const getGroup = async (name: string) => (await c.co.getNamespacedCustomObject({ ...G(), name })) as AntstorVolumeGroup;
  const membersOf = async (g: AntstorVolumeGroup) => (await c.listVolumes()).filter((v) => v.metadata.ownerReferences?.some((o) => o.uid === g.metadata.uid));
  const events = async (name: string) =>
    (await c.core.listNamespacedEvent({ namespace: c.ns, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const ledger = (pool: string) => c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool })).query(ledgerQuery);
  const setReady = (v: AntstorVolume) => c.co.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: c.ns, plural: 'antstorvolumes', name: v.metadata.name!, body: { status: { status: 'ready' } } }, merge);

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'vg');
    await c.startOperator({ timings: { groupRollbackAfterMs: 5_000 }, config: { scheduler: { maxRemoteVolumeCount: 100 } } });
  });
  after(async () => c?.stop());

  it('plans members on distinct pools, holds them, creates them pinned, and turns ready with its members', async () => {
    for (const p of ['a-1', 'a-2', 'a-3']) await c.createPool(p, { bytes: 20 * GiB, labels: { tier: 'a' } });
    await createGroup('grp', 30 * GiB, { tier: 'a' });
    const g = await eventually(async () => {
      const g = await getGroup('grp');
      assert.equal(g.spec.volumes?.length, 3, `status: ${JSON.stringify(g.status)}`);
      return g;
    }, { what: 'members planned' });
    assert.deepEqual(g.spec.volumes!.map((v) => v.targetNodeName).sort(), ['a-1', 'a-2', 'a-3']);
    assert.deepEqual(g.spec.volumes!.map((v) => v.size), [10 * GiB, 10 * GiB, 10 * GiB]);
    assert.ok(g.metadata.finalizers?.includes('antstor.alipay.com/volumes'));
    const members = await eventually(async () => {
      const ms = await membersOf(g);
      assert.equal(ms.length, 3);
      for (const m of ms) assert.equal(m.spec.targetNodeId, g.spec.volumes!.find((v) => v.volId.name === m.metadata.name)?.targetNodeName, `${m.metadata.name} on its planned pool`);
      return ms;
    }, { what: 'members placed where planned' });
    for (const m of members) {
      assert.equal(m.metadata.labels?.['obnvmf/vol-group-name'], 'grp');
      assert.equal(m.metadata.labels?.['app'], 'grp');
      assert.equal(m.spec.type, 'Flexible');
    }
    // Each member took over its hold: the ledgers hold the members' bindings and no hold.
    for (const p of ['a-1', 'a-2', 'a-3']) {
      const l = await eventually(async () => {
        const l = await ledger(p);
        assert.ok(!l.bindings.some((b) => b.via === 'hold'), `no hold left on ${p}`);
        return l;
      });
      assert.equal(l.bindings.length, 1);
      assert.equal(l.boundBytes, 10 * GiB);
    }
    assert.ok((await events('grp')).some((e) => /Normal VolumeGroupHeld: capacity held on the pools for every member before any is created/.test(e)));
    assert.equal((await getGroup('grp')).status?.status, 'creating');
    for (const m of members) await setReady(m);
    await eventually(async () => {
      const s = (await getGroup('grp')).status;
      assert.equal(s?.status, 'ready');
      assert.equal(s?.volumeStatus?.length, 3);
      assert.ok(s?.volumeStatus?.every((v) => v.status === 'ready'));
    }, { what: 'group ready' });
    const h = await c.op!.client.workflow.getHandle(groupWorkflowId({ namespace: c.ns, name: 'grp', uid: g.metadata.uid! })).fetchHistory();
    const types = activityTypes(h);
    for (const t of ['groupPlan', 'groupHold', 'groupRecordPlan', 'groupSync']) assert.ok(types.includes(t), `${t} in the history`);
  });

  it('never strands half a group: with a burst of single volumes racing for the room, all members fit or none is created', async () => {
    for (const p of ['b-1', 'b-2', 'b-3']) await c.createPool(p, { bytes: 10 * GiB, labels: { tier: 'b' } });
    const singles = Array.from({ length: 12 }, (_, i) => `single-${i}`);
    await Promise.all([
      createGroup('race', 24 * GiB, { max: '8Gi', tier: 'b' }),
      inParallel(singles, 6, (n) => c.createVolume(n, { size: 3 * GiB, annotations: { 'obnvmf/pool-label-selector': 'tier=b' } })),
    ]);
    // Let the race settle: every single volume is bound or reported, and the group has decided.
    await eventually(async () => {
      const vs = (await c.listVolumes()).filter((v) => singles.includes(v.metadata.name!));
      assert.ok(vs.every((v) => v.spec.targetNodeId || v.status?.msg), 'every single volume bound or reported');
      const g = await getGroup('race');
      assert.ok((g.spec.volumes?.length ?? 0) > 0 || /NoStoragePoolAvailable/.test(g.status?.message ?? ''), 'the group planned or reported');
    }, { timeoutMs: 60_000, what: 'race settled' });
    await new Promise((r) => setTimeout(r, 3000));
    const g = await getGroup('race');
    const members = await membersOf(g);
    if (g.spec.volumes?.length) {
      // It won: every planned member exists and is placed on its pool (its bytes were held for it).
      await eventually(async () => {
        const ms = await membersOf(g);
        assert.equal(ms.length, g.spec.volumes!.length);
        assert.ok(ms.every((m) => m.spec.targetNodeId), 'every member placed');
      }, { timeoutMs: 30_000 });
    } else {
      assert.equal(members.length, 0, 'no member created for a group that does not fit');
      for (const p of ['b-1', 'b-2', 'b-3']) assert.ok(!(await ledger(p)).bindings.some((b) => b.via === 'hold'), `nothing held on ${p}`);
    }
    // Never over capacity, holds included.
    for (const p of ['b-1', 'b-2', 'b-3']) assert.ok((await ledger(p)).boundBytes <= 10 * GiB, `${p} within capacity`);
    // Room comes free: the group (if it lost) is placed now, whole.
    for (const n of singles) await c.deleteVolume(n);
    await eventually(async () => {
      const g2 = await getGroup('race');
      assert.equal(g2.spec.volumes?.length, 3);
      const ms = await membersOf(g2);
      assert.equal(ms.length, 3);
      assert.ok(ms.every((m) => m.spec.targetNodeId));
    }, { timeoutMs: 60_000, what: 'the group whole once there is room' });
  });

  it('reports an invalid group with LiteIO’s message and an Event, and goes on once it is fixed', async () => {
    for (const p of ['c-1', 'c-2']) await c.createPool(p, { bytes: 20 * GiB, labels: { tier: 'c' } });
    await createGroup('bad', 8 * GiB, { sym: 'Symmetric', count: 0, max: '4Gi', tier: 'c' });
    await eventually(async () => assert.equal((await getGroup('bad')).status?.message, 'invalid Symmetric VolumeGroup, DesiredCount is 0'));
    assert.ok((await events('bad')).some((e) => /Warning InvalidVolumeGroup: invalid Symmetric VolumeGroup, DesiredCount is 0/.test(e)));
    assert.equal((await getGroup('bad')).spec.volumes, undefined);
    await c.co.patchNamespacedCustomObject({ ...G(), name: 'bad', body: { spec: { desiredVolumeSpec: { desiredCount: 2 } } } }, merge);
    await eventually(async () => {
      const g = await getGroup('bad');
      assert.equal(g.spec.volumes?.length, 2, `status: ${JSON.stringify(g.status)}`);
      assert.deepEqual(g.spec.volumes!.map((v) => v.size), [4 * GiB, 4 * GiB]);
    }, { what: 'planned once fixed' });
  });

  it('rolls back a member its pool can no longer take (after the rollback time) and plans that slot elsewhere', async () => {
    for (const p of ['d-1', 'd-2', 'd-3']) await c.createPool(p, { bytes: 20 * GiB, labels: { tier: 'd' } });
    await createGroup('roll', 10 * GiB, { tier: 'd', cmax: 1 });
    const planned = await eventually(async () => {
      const g = await getGroup('roll');
      assert.equal(g.spec.volumes?.length, 1);
      return g.spec.volumes![0]!;
    });
    await eventually(async () => assert.equal((await c.getVolume(planned.volId.name)).spec.targetNodeId, planned.targetNodeName), { what: 'member placed' });
    // Its pool is locked (LiteIO's scheduling-status label), and the member is lost: the group creates it again, on
    // its planned pool, where it cannot be placed now.
    await c.co.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: 'storagepools', name: planned.targetNodeName, body: { metadata: { labels: { 'obnvmf/pool-scheduling-status': 'locked' } } } }, merge);
    await c.deleteVolume(planned.volId.name);
    await eventually(async () => assert.match((await c.getVolume(planned.volId.name)).status?.msg ?? '', /NoStoragePoolAvailable/), { timeoutMs: 30_000, what: 'the re-created member cannot be placed' });
    const moved = await eventually(async () => {
      const g = await getGroup('roll');
      const now = g.spec.volumes?.[0];
      assert.ok(now && now.targetNodeName && now.targetNodeName !== planned.targetNodeName, `re-planned off ${planned.targetNodeName}: ${JSON.stringify(g.spec.volumes)}`);
      return now;
    }, { timeoutMs: 60_000, what: 'slot re-planned on another pool' });
    await eventually(async () => assert.equal((await c.getVolume(moved.volId.name)).spec.targetNodeId, moved.targetNodeName), { timeoutMs: 30_000 });
    assert.ok((await events('roll')).some((e) => /Warning VolumeGroupMemberRolledBack: member .* could not be placed on /.test(e)));
  });

  it('deletes its members one by one, then lets the group go', async () => {
    const g = await getGroup('grp');
    assert.equal((await membersOf(g)).length, 3);
    await c.co.deleteNamespacedCustomObject({ ...G(), name: 'grp' });
    await eventually(async () => assert.equal((await membersOf(g)).length, 0), { timeoutMs: 30_000, what: 'members deleted' });
    await eventually(async () => assert.ok(!((await c.co.listNamespacedCustomObject({ ...G() })) as { items: AntstorVolumeGroup[] }).items.some((x) => x.metadata.name === 'grp')), { what: 'group gone' });
    const deleting = (await events('grp')).filter((e) => /VolumeGroupDeletingMember/.test(e));
    assert.equal(deleting.length, 3);
    for (const p of ['a-1', 'a-2', 'a-3']) await eventually(async () => assert.equal((await ledger(p)).bindings.length, 0, `${p} empty`));
  });
});
