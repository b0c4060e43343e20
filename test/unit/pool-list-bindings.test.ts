/**
 * poolListBindings, the pool's drift check read: the API server's bindings for the pool, and which of the
 * ledger's volumes are not bound anywhere yet. Only the ledger's own uids come back as in flight (v0.10.0): the
 * whole cluster's backlog in every pool's history made W2's drift checks ~400 KB each.
 */
import assert from 'node:assert/strict';
import type { ActivityDeps } from '../../src/activities/deps.js';
import type { AntstorVolume } from '../../src/api/types.js';
import { boundVolumesConsistent, parkedLedgerView, poolActivities } from '../../src/kinds/storage-pool/activities.js';
import type { StoragePool } from '../../src/api/types.js';
import { defaultSchedulerConfig } from '../../src/scheduler/config.js';
import { DEFAULT_TIMINGS } from '../../src/workflows/messages.js';
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
  const cache = { volumesBoundTo: (t: string) => byTarget.get(t), volumeByUid: (u: string) => byUid.get(u)[0], get: () => undefined };
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

  describe('v0.12.0: the consistent read a parked pool adopts from', () => {
    const labelled = (v: AntstorVolume, label: string) => ({ ...v, metadata: { ...v.metadata, labels: { 'obnvmf/target-node-id': label } } }) as AntstorVolume;
    const withLive = (live: AntstorVolume[], calls: string[] = []) =>
      ({ cache, kube: { list: async (_p: string, _k: string, _ns: string, sel: string) => (calls.push(sel), live) } }) as unknown as ActivityDeps;

    it('lists live by the target-node-id label, and keeps what only the cache shows', async () => {
      const calls: string[] = [];
      // Live: a bind the cache has not seen yet; the cache: bound-here (written without the label).
      const fresh = labelled(vol('just-bound', 'p1'), 'p1');
      const got = await boundVolumesConsistent(withLive([fresh], calls), { namespace: 'ns', name: 'p1' });
      assert.deepEqual(calls, ['obnvmf/target-node-id=p1']);
      assert.deepEqual(got.map((v) => v.metadata.name).sort(), ['bound-here', 'just-bound']);
    });

    it('the live object wins over the cached one: moved away since the cache saw it', async () => {
      const moved = labelled(vol('bound-here', 'p2'), 'p1'); // stale label, spec says p2
      const got = await boundVolumesConsistent(withLive([moved]), { namespace: 'ns', name: 'p1' });
      assert.deepEqual(got.map((v) => v.metadata.name), []);
    });

    it('poolListBindings reads consistently only when asked', async () => {
      const calls: string[] = [];
      const a = poolActivities({ ...withLive([labelled(vol('just-bound', 'p1'), 'p1')], calls), config: { scheduler: defaultSchedulerConfig() } } as unknown as ActivityDeps);
      assert.deepEqual((await a.poolListBindings({ pool: { namespace: 'ns', name: 'p1' }, held: [] })).bindings.map((b) => b.uid), ['u-bound-here']);
      assert.equal(calls.length, 0);
      const r = await a.poolListBindings({ pool: { namespace: 'ns', name: 'p1' }, held: [], consistent: true });
      assert.deepEqual(r.bindings.map((b) => b.uid).sort(), ['u-bound-here', 'u-just-bound']);
    });

    it('poolLoad brings the bindings to adopt with the pool when asked (a new ledger\'s first load)', async () => {
      const pool = { metadata: { name: 'p1', namespace: 'ns', uid: 'pu' }, spec: { nodeInfo: { id: 'p1' }, kernelLvm: { bytes: 10 * GiB } }, status: { status: 'ready', capacity: { storage: String(10 * GiB) } } } as unknown as StoragePool;
      const calls: string[] = [];
      const live = withLive([labelled(vol('just-bound', 'p1'), 'p1')], calls) as unknown as Record<string, unknown>;
      const a = poolActivities({ ...live, kube: { ...(live['kube'] as object), getPool: async () => pool }, config: { scheduler: defaultSchedulerConfig() }, timings: DEFAULT_TIMINGS } as unknown as ActivityDeps);
      const plain = await a.poolLoad({ pool: { namespace: 'ns', name: 'p1' } });
      assert.equal(plain.adoption, undefined);
      assert.equal(calls.length, 0);
      const first = await a.poolLoad({ pool: { namespace: 'ns', name: 'p1' }, adopt: true });
      assert.deepEqual(first.adoption!.bindings.map((b) => b.uid).sort(), ['u-bound-here', 'u-just-bound']);
      assert.equal(first.info.capacityBytes, 10 * GiB);
      // Not labelled, no finalizer, no Lease: a reconcile pass has work to do.
      assert.equal(first.lifecycleQuiet, undefined);
    });

    it('v0.14.0: with `adopt`, poolLoad says when a pass would be idle: the live pool settled and ready, the cached Lease fresh', async () => {
      const pool = {
        metadata: { name: 'p1', namespace: 'ns', uid: 'pu', labels: { 'obnvmf/node-sn': 'p1' }, finalizers: ['antstor.alipay.com/in-state'] },
        spec: { nodeInfo: { id: 'p1' }, kernelLvm: { bytes: 10 * GiB } },
        status: { status: 'ready', capacity: { storage: String(10 * GiB) } },
      } as unknown as StoragePool;
      const leases: Record<string, object> = { p1: { spec: { renewTime: new Date(Date.now() - 5_000).toISOString() } } };
      const load = (lease: object | undefined, adopt: boolean) =>
        poolActivities({
          cache: { ...cache, get: (key: string) => (key === 'lease' ? lease : undefined) },
          kube: { list: async () => [], getPool: async () => pool },
          config: { scheduler: defaultSchedulerConfig() },
          timings: DEFAULT_TIMINGS,
        } as unknown as ActivityDeps).poolLoad({ pool: { namespace: 'ns', name: 'p1' }, adopt });
      const quiet = await load(leases['p1'], true);
      assert.ok(quiet.lifecycleQuiet && quiet.lifecycleQuiet.nextCheckInMs >= DEFAULT_TIMINGS.heartbeatRecheckMs!);
      assert.equal((await load(leases['p1'], false)).lifecycleQuiet, undefined, 'only a new ledger\'s load judges it');
      assert.equal((await load(undefined, true)).lifecycleQuiet, undefined, 'no Lease in the cache: the pass runs');
      assert.equal((await load({ spec: { renewTime: new Date(Date.now() - 10 * 60_000).toISOString() } }, true)).lifecycleQuiet, undefined, 'a lapsed Lease: the pass runs');
    });

    it('a parked pool\'s ledger view is its API bindings against its capacity', () => {
      const pool = { metadata: { name: 'p1', namespace: 'ns', uid: 'pu' }, spec: { nodeInfo: { id: 'p1' }, kernelLvm: { bytes: 10 * GiB } }, status: { status: 'ready', capacity: { storage: String(10 * GiB) }, vgFreeSize: String(10 * GiB) } } as unknown as StoragePool;
      const view = parkedLedgerView({ cache: { ...cache, getPool: () => pool }, config: { scheduler: defaultSchedulerConfig() } } as unknown as ActivityDeps, { namespace: 'ns', name: 'p1' });
      assert.equal(view.parked, true);
      assert.deepEqual(view.bindings.map((b) => [b.uid, b.via]), [['u-bound-here', 'adopt']]);
      assert.equal(view.boundBytes, GiB);
      assert.equal(view.freeBytes, 9 * GiB);
    });
  });
});
