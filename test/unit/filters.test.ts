import assert from 'node:assert/strict';
import { Reasons } from '../../src/api/constants.js';
import { affinityFilter, basicFilter, minLocalStorageFilter } from '../../src/scheduler/filters.js';
import type { PredicateFunc } from '../../src/scheduler/filter-types.js';
import { freeBytes, remoteVolumesCount } from '../../src/scheduler/pool-node.js';
import type { PoolNode } from '../../src/scheduler/pool-node.js';
import type { AntstorVolume } from '../../src/api/types.js';
import type { SchedulerConfig } from '../../src/scheduler/config.js';
import { cfg, GiB, node, pool, vol } from './builders.js';

function run(f: PredicateFunc, n: PoolNode, v: AntstorVolume, c: SchedulerConfig = cfg()): string {
  let reason = '';
  const ok = f({ config: c, addReason: (r) => void (reason ||= r) }, n, v);
  return ok ? 'pass' : reason;
}

describe('unit: free-space formula (LiteIO GetFreeResourceNonLock)', () => {
  it('capacity − reserved LVs − bound volumes (allocated or requested + snapshot) − unclaimed reservations', () => {
    const p = pool('p', { bytes: 100 * GiB, reservedLV: 5 * GiB });
    const a = vol({ target: 'p', size: 10 * GiB });
    const b = vol({ target: 'p', size: 10 * GiB, annotations: { 'obnvmf/allocated-bytes': String(12 * GiB), 'obnvmf/snapshot-reserved-bytes': String(GiB) } });
    const c = vol({ target: 'p', size: 3 * GiB, annotations: { 'obnvmf/reservation-id': 'r-claimed' } });
    const n = node(p, [a, b, c], [{ id: 'r-free', size: 7 * GiB }, { id: 'r-claimed', size: 4 * GiB }]);
    assert.equal(freeBytes(n), (100 - 5 - 10 - 13 - 3 - 7) * GiB);
  });
  it('bad annotation values count as 0, like LiteIO', () => {
    const v = vol({ target: 'p', size: 2 * GiB, annotations: { 'obnvmf/allocated-bytes': 'junk', 'obnvmf/snapshot-reserved-bytes': '-4' } });
    assert.equal(freeBytes(node(pool('p', { bytes: 10 * GiB }), [v])), 8 * GiB);
  });
  it('remote volumes are counted unless an annotation matches the ignore selector; a missing hostNode is remote', () => {
    const vs = [
      vol({ target: 'p', host: 'p' }),
      vol({ target: 'p', host: 'other' }),
      vol({ target: 'p', host: null }),
      vol({ target: 'p', host: 'other', annotations: { 'obnvmf/regard-as-remote': 'false' } }),
    ];
    assert.equal(remoteVolumesCount(node(pool('p'), vs), { 'obnvmf/regard-as-remote': 'false' }), 2);
  });
});

describe('unit: Basic filter, every check in LiteIO order', () => {
  const p = () => pool('p', { bytes: 10 * GiB });
  const cases: [string, () => PoolNode, () => AntstorVolume, string, Partial<SchedulerConfig>?][] = [
    ['fits', () => node(p()), () => vol({ size: 10 * GiB, host: 'p' }), 'pass'],
    ['status not ready → PoolUnschedulable', () => node(pool('p', { status: 'unknown' })), () => vol({ host: 'p' }), Reasons.PoolUnschedulable],
    ['locked label → PoolUnschedulable', () => node(pool('p', { labels: { 'obnvmf/pool-scheduling-status': 'locked' } })), () => vol({ host: 'p' }), Reasons.PoolUnschedulable],
    ['too big → PoolFreeSize', () => node(p()), () => vol({ size: 10 * GiB + 1, host: 'p' }), Reasons.PoolFreeSize],
    ['bound volumes use the room → PoolFreeSize', () => node(p(), [vol({ target: 'p', size: 6 * GiB })]), () => vol({ size: 5 * GiB, host: 'p' }), Reasons.PoolFreeSize],
    ['snapshot reserve of the new volume counts → PoolFreeSize', () => node(p()), () => vol({ size: 9 * GiB, host: 'p', annotations: { 'obnvmf/snapshot-reserved-bytes': String(2 * GiB) } }), Reasons.PoolFreeSize],
    ['SPDK pool with unhealthy target → SpdkUnhealthy', () => node(pool('p', { spdk: true, spdkOk: false })), () => vol({ host: 'p' }), Reasons.SpdkUnhealthy],
    ['LVM pool, local volume, no Spdk condition → pass', () => node(pool('p', { spdkOk: null })), () => vol({ host: 'p' }), 'pass'],
    ['LVM pool, remote volume, no Spdk condition → SpdkUnhealthy', () => node(pool('p', { spdkOk: null })), () => vol({ host: 'h' }), Reasons.SpdkUnhealthy],
    ['remote count at max → RemoteVolMaxCount', () => node(pool('p'), [1, 2, 3].map(() => vol({ target: 'p', host: 'h' }))), () => vol({ host: 'h' }), Reasons.RemoteVolMaxCount],
    ['remote count below a raised max → pass', () => node(pool('p'), [1, 2, 3].map(() => vol({ target: 'p', host: 'h' }))), () => vol({ host: 'h' }), 'pass', { maxRemoteVolumeCount: 4 }],
    ['local volumes are not limited by the remote count', () => node(pool('p'), [1, 2, 3].map(() => vol({ target: 'p', host: 'h' }))), () => vol({ host: 'p' }), 'pass'],
    ['missing hostNode counts as remote (no crash)', () => node(pool('p'), [1, 2, 3].map(() => vol({ target: 'p', host: 'h' }))), () => vol({ host: null }), Reasons.RemoteVolMaxCount],
    ['MustLocal elsewhere → PositionNotMatch', () => node(p()), () => vol({ host: 'h', position: 'MustLocal' }), Reasons.PositionNotMatch],
    ['MustLocal without hostNode → PositionNotMatch', () => node(p()), () => vol({ host: null, position: 'MustLocal' }), Reasons.PositionNotMatch],
    ['MustRemote on the host → PositionNotMatch', () => node(p()), () => vol({ host: 'p', position: 'MustRemote' }), Reasons.PositionNotMatch],
    ['MustRemote elsewhere → pass', () => node(p()), () => vol({ host: 'h', position: 'MustRemote' }), 'pass'],
    ['SpdkLVol on an LVM pool → VolTypeNotMatch', () => node(p()), () => vol({ host: 'p', type: 'SpdkLVol' }), Reasons.VolTypeNotMatch],
    ['KernelLVol on an SPDK pool → VolTypeNotMatch', () => node(pool('p', { spdk: true })), () => vol({ host: 'p', type: 'KernelLVol' }), Reasons.VolTypeNotMatch],
    ['KernelLVol on an LVM pool without vgUUID → VolTypeNotMatch', () => node(pool('p', { vgUUID: '' })), () => vol({ host: 'p', type: 'KernelLVol' }), Reasons.VolTypeNotMatch],
    ['Flexible passes on either kind', () => node(pool('p', { spdk: true })), () => vol({ host: 'p', type: 'Flexible' }), 'pass'],
    ['reservation: matching and big enough → pass, skipping later checks', () => node(pool('p', { spdkOk: false, spdk: true }), [], [{ id: 'r1', size: 2 * GiB }]), () => vol({ host: 'h', size: 2 * GiB, position: 'MustLocal', annotations: { 'obnvmf/reservation-id': 'r1' } }), 'pass'],
    ['reservation: too small → ReservationTooSmall', () => node(p(), [], [{ id: 'r1', size: GiB }]), () => vol({ size: 2 * GiB, annotations: { 'obnvmf/reservation-id': 'r1' } }), Reasons.ReservationTooSmall],
    ['reservation: unknown id → ReservationNotMatch', () => node(p(), [], [{ id: 'r1', size: GiB }]), () => vol({ annotations: { 'obnvmf/reservation-id': 'r2' } }), Reasons.ReservationNotMatch],
    ['reservation: pool over-committed → PoolFreeSize', () => node(p(), [vol({ target: 'p', size: 11 * GiB })], [{ id: 'r1', size: GiB }]), () => vol({ annotations: { 'obnvmf/reservation-id': 'r1' } }), Reasons.PoolFreeSize],
  ];
  for (const [name, n, v, want, c] of cases) it(name, () => assert.equal(run(basicFilter, n(), v(), cfg(c)), want));
});

describe('unit: Affinity filter', () => {
  const p = () => pool('p', { labels: { tier: 'gold', 'obnvmf/node-sn': 'p' }, nodeLabels: { zone: 'a' } });
  const term = (key: string, operator: string, values?: string[]) => ({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] } });
  const cases: [string, AntstorVolume, string][] = [
    ['no affinity passes', vol(), 'pass'],
    ['nodeAffinity on node labels matches', vol({ spec: { nodeAffinity: term('zone', 'In', ['a']) } }), 'pass'],
    ['nodeAffinity mismatch → NodeAffinity', vol({ spec: { nodeAffinity: term('zone', 'In', ['b']) } }), Reasons.NodeAffinity],
    ['nodeAffinity matchFields metadata.name = node id', vol({ spec: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['p'] }] }] } } } }), 'pass'],
    ['nodeAffinity malformed → NodeAffinity', vol({ spec: { nodeAffinity: term('zone', 'Gt', ['x']) } }), Reasons.NodeAffinity],
    ['node-label-selector matches', vol({ annotations: { 'obnvmf/node-label-selector': 'zone in (a,b)' } }), 'pass'],
    ['node-label-selector mismatch → NodeAffinity', vol({ annotations: { 'obnvmf/node-label-selector': 'zone=b' } }), Reasons.NodeAffinity],
    ['empty node-label-selector matches everything', vol({ annotations: { 'obnvmf/node-label-selector': '' } }), 'pass'],
    ['poolAffinity on pool labels matches', vol({ spec: { poolAffinity: term('tier', 'In', ['gold']) } }), 'pass'],
    ['poolAffinity mismatch → PoolAffinity', vol({ spec: { poolAffinity: term('tier', 'NotIn', ['gold']) } }), Reasons.PoolAffinity],
    ['poolAffinity matchFields never match (no name)', vol({ spec: { poolAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['p'] }] }] } } } }), Reasons.PoolAffinity],
    ['pool-label-selector matches', vol({ annotations: { 'obnvmf/pool-label-selector': 'tier=gold,!broken' } }), 'pass'],
    ['pool-label-selector mismatch → PoolAffinity', vol({ annotations: { 'obnvmf/pool-label-selector': 'obnvmf/node-sn!=p' } }), Reasons.PoolAffinity],
    ['unparsable selector → InvalidSelector (LiteIO passes it)', vol({ annotations: { 'obnvmf/pool-label-selector': 'tier in (gold' } }), Reasons.InvalidSelector],
  ];
  for (const [name, v, want] of cases) it(name, () => assert.equal(run(affinityFilter, node(p()), v), want));
});

describe('unit: MinLocalStorage filter', () => {
  const c = cfg({ minLocalStoragePct: 20 });
  it('local volumes always pass', () => assert.equal(run(minLocalStorageFilter, node(pool('p', { bytes: 10 * GiB })), vol({ host: 'p', size: 10 * GiB }), c), 'pass'));
  it('a remote volume leaving ≥ 20 % local passes', () => assert.equal(run(minLocalStorageFilter, node(pool('p', { bytes: 10 * GiB })), vol({ host: 'h', size: 8 * GiB }), c), 'pass'));
  it('a remote volume leaving < 20 % local → LocalStorageTooLow', () =>
    assert.equal(run(minLocalStorageFilter, node(pool('p', { bytes: 10 * GiB }), [vol({ target: 'p', host: 'x', size: 5 * GiB })]), vol({ host: 'h', size: 4 * GiB }), c), Reasons.LocalStorageTooLow));
});
