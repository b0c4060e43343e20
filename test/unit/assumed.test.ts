/**
 * Assumed placements: volumes asked of a pool's ledger but not yet bound count on that pool in the filter pass,
 * so a burst does not herd onto the pool whose bindings have not landed yet (it looks emptiest).
 */
import assert from 'node:assert/strict';
import { ledgerActivities } from '../../src/kinds/storage-pool/ledger-activities.js';
import { AssumedPlacements } from '../../src/scheduler/assumed.js';
import { resolveChain, schedule } from '../../src/scheduler/chain.js';
import { buildPoolNodes } from '../../src/scheduler/pool-node.js';
import { cfg, GiB, pool, vol } from './builders.js';

describe('scheduler: assumed placements (requests not yet bound)', () => {
  const c = cfg({ maxRemoteVolumeCount: 100 }); // room: this case is about free space, the next about the quota
  const chain = resolveChain(c);
  const pools = ['a', 'b', 'c', 'd'].map((n) => pool(n, { bytes: 100 * GiB }));
  // a, b and c hold two landed bindings each; d's have not landed yet (its ledger is slow), so d looks emptiest.
  const landed = ['a', 'a', 'b', 'b', 'c', 'c'].map((t) => vol({ size: 10 * GiB, target: t }));
  /** Schedules each volume in turn as the activity does: the filters see every other volume through the overlay. */
  function burst(volumes: ReturnType<typeof vol>[], assumed: AssumedPlacements | undefined): string[] {
    const chosen: string[] = [];
    for (const v of volumes) {
      const all = [...landed, ...(assumed ? assumed.overlay(volumes, 0) : volumes)];
      const d = schedule(c, chain, buildPoolNodes(pools, all.filter((x) => x.metadata.uid !== v.metadata.uid)), v);
      const best = d.candidates[0]!.pool;
      chosen.push(best);
      assumed?.assume(v.metadata.uid!, best, 0); // the ledger request goes out; no bind lands during the burst
    }
    return chosen;
  }

  it('without assumptions a burst piles onto the pool whose binds have not landed; with them it spreads', () => {
    const volumes = Array.from({ length: 8 }, () => vol({ size: 10 * GiB }));
    const herd = burst(volumes, undefined);
    assert.deepEqual(herd, Array(8).fill('d'), 'every volume picks the emptiest-looking pool');
    const spread = burst(volumes, new AssumedPlacements());
    const on = (p: string) => spread.filter((x) => x === p).length;
    // Each pool ends with its share: 14 volumes over 4 pools, counting the landed ones (3 or 4 each).
    const totals = ['a', 'b', 'c', 'd'].map((p) => on(p) + landed.filter((v) => v.spec.targetNodeId === p).length);
    assert.ok(Math.max(...totals) - Math.min(...totals) <= 1, `balanced: ${totals} (${spread})`);
    assert.deepEqual([...new Set(spread)].sort(), ['a', 'b', 'c', 'd'], `spread: ${spread}`);
  });

  it('counts assumed remote volumes toward maxRemoteVolumeCount, so the quota is not oversubscribed by a burst', () => {
    const limited = cfg({ maxRemoteVolumeCount: 1 });
    const lchain = resolveChain(limited);
    const assumed = new AssumedPlacements();
    const volumes = [vol({ host: 'elsewhere' }), vol({ host: 'elsewhere' })];
    const first = schedule(limited, lchain, buildPoolNodes(pools, []), volumes[0]!).candidates[0]!.pool;
    assumed.assume(volumes[0]!.metadata.uid!, first, 0);
    const d = schedule(limited, lchain, buildPoolNodes(pools, assumed.overlay(volumes, 0).filter((x) => x !== volumes[1] && x.metadata.uid !== volumes[1]!.metadata.uid)), volumes[1]!);
    assert.ok(!d.candidates.some((x) => x.pool === first), `${first} already holds its one remote volume (assumed)`);
  });

  it('drops an assumption once the volume is bound, deleted, gone or expired; forget honours the pool', () => {
    const a = new AssumedPlacements(1000);
    const bound = vol({ target: 'b' });
    const deleting = vol();
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const waiting = vol();
    const old = vol();
    for (const v of [bound, deleting, waiting]) a.assume(v.metadata.uid!, 'a', 0);
    a.assume(old.metadata.uid!, 'a', -5000);
    a.assume('uid-of-a-volume-that-is-gone', 'a', 0);
    const out = a.overlay([bound, deleting, waiting, old], 10);
    assert.equal(out[0]!.spec.targetNodeId, 'b', 'a real binding wins');
    assert.equal(out[1]!.spec.targetNodeId, undefined);
    assert.equal(out[2]!.spec.targetNodeId, 'a');
    assert.equal(out[3]!.spec.targetNodeId, undefined, 'expired');
    assert.equal(a.size, 1, 'only the waiting volume is still assumed');
    assert.equal(waiting.spec.targetNodeId, undefined, 'the cached object itself is not modified');
    a.forget(waiting.metadata.uid!, 'other-pool');
    assert.equal(a.size, 1, 'a release on another pool (a stray grant) keeps the assumption');
    a.forget(waiting.metadata.uid!, 'a');
    assert.equal(a.size, 0);
  });
});

describe('scheduler: assumed placements are dropped when a pool refuses', () => {
  it('a refusal sent by the reply activity forgets the assumption on that pool only; a grant keeps it', async () => {
    const assumed = new AssumedPlacements();
    const sent: string[] = [];
    const deps = { assumed, temporal: { workflow: { getHandle: (id: string) => ({ signal: async () => void sent.push(id) }) } } };
    const acts = ledgerActivities(deps as never);
    assumed.assume('u1', 'p1', 0);
    assumed.assume('u2', 'p2', 0);
    assumed.assume('u3', 'p3', 0);
    const reply = (uid: string, pool: string, accepted: boolean) => ({
      workflowId: `volume/${uid}`,
      msg: { requestId: `${uid}/1`, pool, result: accepted ? { accepted: true, freeBytes: 0 } : { accepted: false, reason: 'PoolFreeSize', freeBytes: 0 } },
    });
    await acts.ledgerReplies({ replies: [reply('u1', 'p1', false), reply('u2', 'p2', true), reply('u3', 'other', false)] });
    assert.deepEqual(sent, ['volume/u1', 'volume/u2', 'volume/u3']);
    const volumes = ['u1', 'u2', 'u3'].map((uid) => {
      const v = vol({ size: GiB });
      v.metadata.uid = uid;
      return v;
    });
    const seen = assumed.overlay(volumes, 0).map((v) => v.spec.targetNodeId ?? '');
    assert.deepEqual(seen, ['', 'p2', 'p3'], 'u1 refused by p1: forgotten; u2 granted: kept; u3 refused elsewhere: kept on p3');
  });
});
