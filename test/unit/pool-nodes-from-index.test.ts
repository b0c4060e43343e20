/**
 * Property: the filter pass's view built from the cache's index (poolNodesFromIndex: each pool's bound volumes
 * from the index, plus the assumed placements by node, minus the volumes being placed) is the view a scan of every
 * volume builds (buildPoolNodes over AssumedPlacements.overlay), on random clusters — and it drops the same
 * stale assumptions.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AntstorVolume } from '../../src/api/types.js';
import { AssumedPlacements } from '../../src/scheduler/assumed.js';
import { buildPoolNodes, poolNodesFromIndex, type PoolNode } from '../../src/scheduler/pool-node.js';
import { ObjectIndex } from '../../src/kube/object-index.js';
import { GiB, pool, vol } from './builders.js';

const POOLS = ['p0', 'p1', 'p2', 'p3'];
const reservations = [{ id: 'r1', size: 2 * GiB }];

const volArb = fc.record({
  target: fc.option(fc.constantFrom(...POOLS, 'p-gone'), { nil: undefined }),
  gib: fc.integer({ min: 1, max: 5 }),
  deleting: fc.boolean(),
  assumedOn: fc.option(fc.constantFrom(...POOLS), { nil: undefined }),
  assumedAgeMs: fc.constantFrom(0, 10_000, 400_000),
  excluded: fc.boolean(),
  reservation: fc.boolean(),
});

const view = (nodes: PoolNode[]) =>
  nodes.map((n) => ({
    pool: n.pool.metadata.name,
    volumes: n.volumes.map((v) => `${v.metadata.uid}@${v.spec.targetNodeId}`).sort(),
    reservations: n.reservations,
  }));

describe('unit: poolNodesFromIndex agrees with a scan of every volume', function () {
  it('on random clusters, with assumptions (fresh, expired, on bound or deleting volumes) and excluded volumes', function () {
    fc.assert(
      fc.property(fc.array(volArb, { maxLength: 30 }), fc.boolean(), (specs, withReservations) => {
        const now = 1_000_000;
        const pools = POOLS.map((p) => pool(p, { bytes: 50 * GiB }));
        const volumes: AntstorVolume[] = specs.map((s, i) => {
          const v = vol({ name: `v${i}`, size: s.gib * GiB, ...(s.target ? { target: s.target } : {}), ...(s.reservation ? { annotations: { 'obnvmf/reservation-id': 'r1' } } : {}) });
          if (s.deleting) v.metadata.deletionTimestamp = new Date(0).toISOString() as never;
          return v;
        });
        // Two ledgers of assumptions with the same entries (both methods drop stale ones as they go).
        const a1 = new AssumedPlacements();
        const a2 = new AssumedPlacements();
        specs.forEach((s, i) => {
          if (!s.assumedOn) return;
          for (const a of [a1, a2]) a.assume(volumes[i]!.metadata.uid!, s.assumedOn, now - s.assumedAgeMs);
        });
        // An assumption whose volume is gone.
        for (const a of [a1, a2]) a.assume('uid-gone', 'p0', now);
        const exclude = new Set(specs.flatMap((s, i) => (s.excluded ? [volumes[i]!.metadata.uid!] : [])));
        const configured = withReservations ? reservations : [];

        const scan = buildPoolNodes(pools, a1.overlay(volumes, now).filter((v) => !exclude.has(v.metadata.uid!)), configured);
        const byTarget = new ObjectIndex<AntstorVolume>((v) => v.spec?.targetNodeId ?? '', (v) => v.metadata.name!);
        const byUid = new ObjectIndex<AntstorVolume>((v) => v.metadata.uid, (v) => v.metadata.name!);
        for (const v of volumes) (byTarget.put(v), byUid.put(v));
        const index = { volumesBoundTo: (t: string) => byTarget.get(t), volumeByUid: (u: string) => byUid.get(u)[0] };
        const indexed = poolNodesFromIndex(pools, index, configured, { assumed: a2.byNode(index.volumeByUid, now), exclude });

        assert.deepEqual(view(indexed), view(scan));
        assert.equal(a2.size, a1.size, 'the same stale assumptions dropped');
      }),
      { numRuns: 300 },
    );
  });

  it('hands each unchanged pool the same volumes array from one pass to the next', function () {
    const byTarget = new ObjectIndex<AntstorVolume>((v) => v.spec?.targetNodeId ?? '', (v) => v.metadata.name!);
    const byUid = new ObjectIndex<AntstorVolume>((v) => v.metadata.uid, (v) => v.metadata.name!);
    for (const v of [vol({ target: 'p0' }), vol({ target: 'p1' })]) (byTarget.put(v), byUid.put(v));
    const index = { volumesBoundTo: (t: string) => byTarget.get(t), volumeByUid: (u: string) => byUid.get(u)[0] };
    const pools = POOLS.map((p) => pool(p));
    const first = poolNodesFromIndex(pools, index);
    byTarget.put(vol({ target: 'p1' }));
    const second = poolNodesFromIndex(pools, index);
    assert.equal(second[0]!.volumes, first[0]!.volumes, 'p0 unchanged: same array (memos keyed by it hold)');
    assert.notEqual(second[1]!.volumes, first[1]!.volumes, 'p1 changed');
    assert.equal(second[1]!.volumes.length, 2);
  });
});
