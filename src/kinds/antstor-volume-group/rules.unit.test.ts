/** LiteIO's volume-group rules (volume_group_reconciler.go, sched_vol_group.go; src/kinds/antstor-volume-group/rules.ts). */
import { strict as assert } from 'node:assert';
import type { AntstorVolume } from '../../api/types.js';
import { groupStatusFor, memberVolumeFor, membersToRollBack, planGroup, sortPlanPools, validateGroup, type PlanPool } from './rules.js';
import { holdClaimedBy, type AntstorVolumeGroup } from './types.js';

const G = 2 ** 30;
const MiB = 2 ** 20;

function group(o: { total?: number; sym?: string; count?: number; min?: string | number; max?: string | number; cmax?: number; uuid?: string; allowEmpty?: boolean; volumes?: AntstorVolumeGroup['spec']['volumes'] } = {}): AntstorVolumeGroup {
  return {
    metadata: { name: 'g', namespace: 'obnvmf', uid: 'guid', annotations: { 'obnvmf/x': '1', other: '2' } },
    spec: {
      uuid: o.uuid ?? 'u',
      totalSize: o.total ?? 30 * G,
      desiredVolumeSpec: { sizeSymmetry: o.sym ?? 'Asymmetric', desiredCount: o.count ?? 0, countRange: { max: o.cmax ?? 4 }, sizeRange: { min: o.min ?? '1Gi', max: o.max ?? '20Gi' }, labels: { l: 'v' }, annotations: { a: 'b' } },
      stragety: { name: 'BestFit', allowEmptyNode: o.allowEmpty ?? true },
      ...(o.volumes ? { volumes: o.volumes } : {}),
    },
  };
}
const pool = (id: string, free: number, volumes = 1, o: Partial<PlanPool> = {}): PlanPool => ({ id, free, volumes, available: 100 * G, allocatedRemote: 0, ...o });
let n = 0;
const ids = () => ({ name: `g-m${++n}`, uuid: `uuid-${n}` });

describe('AntstorVolumeGroup rules (LiteIO)', () => {
  it('validates as LiteIO does, in its order and with its messages', () => {
    assert.equal(validateGroup(group({ sym: 'Symmetric', count: 0 })), 'invalid Symmetric VolumeGroup, DesiredCount is 0');
    assert.equal(validateGroup(group({ sym: 'Symmetric', count: 3, max: 0 })), 'invalid VolumeGroup, SizeRange.Max is 0');
    assert.match(validateGroup(group({ sym: 'Symmetric', count: 3, min: '11Gi' }))!, /SizeRange.Min 11Gi is larger than singleVolSize 10737418240/);
    assert.equal(validateGroup(group({ sym: 'Symmetric', count: 3, min: '10Gi' })), undefined);
    assert.equal(validateGroup(group({ count: 2 })), 'invalid Asymmetric VolumeGroup, DesiredCount is not 0');
    assert.equal(validateGroup(group({ sym: 'Lopsided' })), 'invalid SizeSymmetry Lopsided');
    assert.equal(validateGroup(group({ uuid: '' })), 'invalid VolumeGroup, uuid is empty');
    assert.match(validateGroup(group({ min: 'ten' }))!, /sizeRange.min "ten" is not a quantity/);
    assert.match(validateGroup(group({ cmax: 0 }))!, /countRange.max is 0/);
  });

  it('orders pools with volumes first, then empty ones, each by free space; skips empty pools unless allowed', () => {
    const order = sortPlanPools([pool('e-big', 90 * G, 0), pool('a', 10 * G), pool('b', 50 * G), pool('e-small', 5 * G, 0)]).map((p) => p.id);
    assert.deepEqual(order, ['b', 'a', 'e-big', 'e-small']);
    const plan = planGroup(group({ total: 10 * G, allowEmpty: false }), [pool('empty', 90 * G, 0), pool('used', 50 * G)], 0, ids);
    assert.ok('volumes' in plan);
    assert.deepEqual(plan.volumes.map((v) => v.targetNodeName), ['used']);
  });

  it('spreads totalSize over distinct pools: min(free, left), capped at sizeRange.max, rounded up to 4 MiB', () => {
    const plan = planGroup(group({ total: 29 * G + 4 * MiB, max: '12Gi' }), [pool('a', 50 * G), pool('b', 5 * G + 1), pool('c', 40 * G)], 0, ids);
    assert.ok('volumes' in plan, JSON.stringify(plan));
    assert.deepEqual(plan.volumes.map((v) => [v.targetNodeName, v.size]), [['a', 12 * G], ['c', 12 * G], ['b', 5 * G + 4 * MiB]]);
    assert.equal(plan.planned, 29 * G + 4 * MiB);
    assert.ok(plan.volumes.every((v) => v.volId.namespace === 'obnvmf' && v.volId.name.startsWith('g-m')));
  });

  it('caps a member at what the pool may give remote volumes (minLocalStoragePct, remote bytes), rounded down', () => {
    const plan = planGroup(group({ total: 10 * G }), [pool('a', 50 * G, 1, { available: 20 * G, allocatedRemote: 6 * G + 1 })], 50, ids);
    assert.ok('error' in plan, 'a 4 GiB-ish member cannot hold 10 GiB with one pool');
    const ok = planGroup(group({ total: 10 * G }), [pool('a', 50 * G, 1, { available: 20 * G, allocatedRemote: 6 * G + 1 }), pool('b', 50 * G)], 50, ids);
    assert.ok('volumes' in ok);
    assert.deepEqual(ok.volumes.map((v) => [v.targetNodeName, v.size]), [['a', 4 * G - 4 * MiB], ['b', 6 * G + 4 * MiB]]);
  });

  it('keeps planned slots, fills open ones first, and says why when the group does not fit', () => {
    const volumes = [
      { volId: { namespace: 'obnvmf', name: 'g-kept', uuid: 'k' }, targetNodeName: 'a', size: 10 * G },
      { volId: { namespace: 'obnvmf', name: 'g-open', uuid: 'o' }, targetNodeName: '', size: 0 },
    ];
    const plan = planGroup(group({ total: 20 * G, volumes }), [pool('a', 50 * G), pool('b', 50 * G)], 0, ids);
    assert.ok('volumes' in plan);
    assert.deepEqual(plan.volumes.map((v) => [v.volId.name, v.targetNodeName, v.size]), [['g-kept', 'a', 10 * G], ['g-open', 'b', 10 * G]]);
    assert.deepEqual(plan.added.map((v) => v.volId.name), ['g-open']);
    const tooFew = planGroup(group({ total: 100 * G, cmax: 2, max: '20Gi' }), [pool('a', 50 * G), pool('b', 50 * G), pool('c', 50 * G)], 0, ids);
    assert.ok('error' in tooFew);
    assert.match(tooFew.error, /^NoStoragePoolAvailable: countRange.max 2 members cannot hold totalSize/);
    const noRoom = planGroup(group({ total: 30 * G, min: '5Gi' }), [pool('a', 4 * G)], 0, ids);
    assert.ok('error' in noRoom);
    assert.match(noRoom.error, /^NoStoragePoolAvailable: 0 members planned/);
  });

  it('builds the member LiteIO creates: owned by the group, pinned to its pool, remote, claiming its hold', () => {
    const g = group();
    const m = memberVolumeFor(g, { volId: { namespace: 'obnvmf', name: 'g-m', uuid: 'mu' }, targetNodeName: 'pool-7', size: 5 * G });
    assert.deepEqual(m.metadata.labels, { l: 'v', 'obnvmf/vol-group-name': 'g' });
    assert.deepEqual(m.metadata.annotations, { a: 'b', 'obnvmf/x': '1' });
    assert.equal(m.metadata.ownerReferences?.[0]?.uid, 'guid');
    assert.equal(m.spec.type, 'Flexible');
    assert.equal(m.spec.sizeByte, 5 * G);
    assert.deepEqual(m.spec.poolAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.[0], { key: 'obnvmf/node-sn', operator: 'In', values: ['pool-7'] });
    assert.equal(holdClaimedBy(m), 'hold/guid/g-m');
    assert.equal(holdClaimedBy({ ...m, metadata: { ...m.metadata, ownerReferences: [] } }), undefined, 'no owner, no claim');
  });

  it('status: ready once the planned bytes cover totalSize and every member is ready; rollback after a minute unplaced', () => {
    const volumes = [
      { volId: { namespace: 'obnvmf', name: 'm1', uuid: 'u1' }, targetNodeName: 'a', size: 20 * G },
      { volId: { namespace: 'obnvmf', name: 'm2', uuid: 'u2' }, targetNodeName: 'b', size: 10 * G },
    ];
    const g = group({ total: 30 * G, volumes });
    const vol = (status: string, o: Partial<AntstorVolume['spec']> = {}, msg = '', created = '2026-12-01T00:00:00Z'): AntstorVolume => ({ metadata: { name: 'x', creationTimestamp: created }, spec: { sizeByte: G, ...o }, status: { status, msg } });
    assert.equal(groupStatusFor(g, new Map([['m1', vol('ready')], ['m2', vol('creating')]])).status, 'creating');
    const ready = groupStatusFor(g, new Map([['m1', vol('ready')], ['m2', vol('ready')]]));
    assert.equal(ready.status, 'ready');
    assert.deepEqual(ready.volumeStatus?.map((s) => s.uuid), ['u1', 'u2']);
    assert.equal(groupStatusFor(group({ total: 40 * G, volumes }), new Map([['m1', vol('ready')], ['m2', vol('ready')]])).status, 'creating');
    const stuck = vol('', {}, 'NoStoragePoolAvailable: PoolFreeSize: 1');
    const at = Date.parse('2026-12-01T00:00:00Z');
    assert.deepEqual(membersToRollBack(g, new Map([['m1', stuck], ['m2', vol('ready', { targetNodeId: 'b' })]]), at + 30_000), []);
    assert.deepEqual(membersToRollBack(g, new Map([['m1', stuck], ['m2', vol('ready', { targetNodeId: 'b' })]]), at + 61_000).map((m) => m.volId.name), ['m1']);
  });
});
