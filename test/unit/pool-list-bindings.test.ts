/**
 * poolListBindings, the pool's drift check read: the API server's bindings for the pool, and which of the
 * ledger's volumes are not bound anywhere yet. Only the ledger's own uids come back as in flight (v0.10.0): the
 * whole cluster's backlog in every pool's history made W2's drift checks ~400 KB each.
 */
import assert from 'node:assert/strict';
import type { ActivityDeps } from '../../src/activities/deps.js';
import type { AntstorVolume } from '../../src/api/types.js';
import { poolActivities } from '../../src/kinds/storage-pool/activities.js';
import { defaultSchedulerConfig } from '../../src/scheduler/config.js';
import { ObjectIndex } from '../../src/kube/object-index.js';

const GiB = 2 ** 30;
const vol = (name: string, target?: string): AntstorVolume =>
  ({ metadata: { name, namespace: 'ns', uid: `u-${name}` }, spec: { uuid: name, sizeByte: GiB, hostNode: { id: 'p1' }, ...(target ? { targetNodeId: target } : {}) } }) as AntstorVolume;

describe('unit: poolListBindings', () => {
  const volumes = [vol('bound-here', 'p1'), vol('bound-elsewhere', 'p2'), vol('mine-in-flight'), ...Array.from({ length: 500 }, (_, i) => vol(`backlog-${i}`))];
  // The cache's two volume indexes, as ClusterCache keeps them.
  const byTarget = new ObjectIndex<AntstorVolume>((v) => v.spec?.targetNodeId ?? '', (v) => v.metadata.name!);
  const byUid = new ObjectIndex<AntstorVolume>((v) => v.metadata.uid, (v) => v.metadata.name!);
  for (const v of volumes) (byTarget.put(v), byUid.put(v));
  const cache = { volumesBoundTo: (t: string) => byTarget.get(t), volumeByUid: (u: string) => byUid.get(u)[0] };
  const d = { cache, config: { scheduler: defaultSchedulerConfig() } } as unknown as ActivityDeps;
  const acts = poolActivities(d);

  it('lists the bindings on this pool only', async () => {
    const r = await acts.poolListBindings({ pool: { namespace: 'ns', name: 'p1' }, held: [] });
    assert.deepEqual(r.bindings.map((b) => b.uid), ['u-bound-here']);
    assert.equal(r.bindings[0]!.bytes, GiB);
  });

  it('names as in flight only the unbound volumes the ledger holds, not the cluster backlog', async () => {
    const r = await acts.poolListBindings({ pool: { namespace: 'ns', name: 'p1' }, held: ['u-bound-here', 'u-mine-in-flight', 'u-gone'] });
    assert.deepEqual(r.inFlight, ['u-mine-in-flight']);
  });

  it('without `held` (a pool run of an older version) names every unbound volume, as before', async () => {
    const r = await acts.poolListBindings({ pool: { namespace: 'ns', name: 'p1' } });
    assert.equal(r.inFlight.length, 501);
  });
});
