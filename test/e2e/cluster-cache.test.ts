/**
 * The cache against the real API server: a kind whose CRD is not installed (a cluster that has only LiteIO's pool
 * and volume CRDs) neither holds readiness nor fills the log: one warning, then quiet retries. And what it keeps of
 * each object: no managedFields and no kubectl last-applied copy, whether the object came by list or by watch.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { ClusterCache, PLACEMENT_KINDS } from '../../src/kube/cluster-cache.js';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import type { AntstorVolume, StoragePool } from '../../src/api/types.js';
import { makeClients } from '../../src/kube/client.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';

/** API clients for the test's servers, and a namespace of its own. */
async function freshNamespace(prefix: string) {
  const env = await testEnv();
  const clients = makeClients(env.kube.kubeConfig);
  const ns = `${prefix}-${randomBytes(4).toString('hex')}`;
  await clients.core.createNamespace({ body: { metadata: { name: ns } } });
  return { clients, ns };
}

describe('e2e: the cluster cache with a kind the API server does not serve', function () {
  it('is synced without it, says so once, and keeps serving the kinds it has', async () => {
    const { clients, ns } = await freshNamespace('cache');
    const lines: string[] = [];
    const log = createLogger('debug', {}, 'json', (l) => void lines.push(l));
    const cache = new ClusterCache(clients, ns, log, [...PLACEMENT_KINDS, { plural: 'antstorwidgets', cacheKey: 'widget', requiredForReady: false }]);
    try {
      await cache.start();
      assert.equal(cache.isSynced, true, 'placement kinds listed; the missing kind does not hold readiness');
      // Several retries later (backoff from 1 s), still one warning about it.
      await new Promise((r) => setTimeout(r, 5000));
      const about = lines.filter((l) => l.includes('antstorwidgets'));
      assert.equal(about.length, 1, about.join('\n'));
      assert.match(about[0]!, /antstorwidgets are not served by the API server \(CRD not installed\?\); they are not reconciled until they are/);
      assert.deepEqual(cache.list('widget'), []);
      await eventually(() => assert.deepEqual(cache.listPools(), []));
    } finally {
      await cache.stop();
    }
  });

  it('keeps objects without managedFields or the last-applied copy, from the list and from the watch', async () => {
    const { clients, ns } = await freshNamespace('slim');
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
    const pool = (name: string): StoragePool => ({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'StoragePool',
      metadata: { name, namespace: ns, annotations: { [LAST]: JSON.stringify({ big: 'x'.repeat(2000) }), 'obnvmf/keep': 'yes' } },
      spec: { nodeInfo: { id: name, ip: '10.0.0.1', hostname: name }, kernelLvm: { name: 'vg', bytes: 1 } },
    } as unknown as StoragePool);
    const G = { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL_POOL };
    // The API server records managedFields for every write: the object really has them to drop.
    const created = (await clients.custom.createNamespacedCustomObject({ ...G, body: pool('listed') })) as StoragePool;
    assert.ok(((created.metadata as { managedFields?: unknown[] }).managedFields ?? []).length > 0, 'the API server wrote managedFields');
    const cache = new ClusterCache(clients, ns, createLogger('error'), PLACEMENT_KINDS);
    const slim = (name: string, version?: string) => {
      const o = cache.getPool(name);
      assert.ok(o, `${name} cached`);
      if (version) assert.equal(o.metadata.resourceVersion, version, `${name} at the watched version`);
      assert.equal((o.metadata as { managedFields?: unknown }).managedFields, undefined, `${name}: managedFields dropped`);
      assert.equal(o.metadata.annotations?.[LAST], undefined, `${name}: last-applied dropped`);
      assert.equal(o.metadata.annotations?.['obnvmf/keep'], 'yes', `${name}: other annotations kept`);
    };
    try {
      await cache.start();
      slim('listed');
      // By watch: an add and an update.
      const added = (await clients.custom.createNamespacedCustomObject({ ...G, body: pool('watched') })) as StoragePool;
      await eventually(() => slim('watched', added.metadata.resourceVersion));
      const patched = (await clients.custom.patchNamespacedCustomObject(
        { ...G, name: 'listed', body: { metadata: { labels: { touched: 'yes' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as StoragePool;
      await eventually(() => slim('listed', patched.metadata.resourceVersion));
    } finally {
      await cache.stop();
    }
  });

  it('indexes volumes by target pool and by uid, following the watch (bound, moved, deleted)', async () => {
    const { clients, ns } = await freshNamespace('index');
    const G = { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL_VOLUME };
    const volume = (name: string, target?: string) =>
      ({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'AntstorVolume',
        metadata: { name, namespace: ns },
        spec: { uuid: randomBytes(8).toString('hex'), sizeByte: 1, type: 'Flexible', ...(target ? { targetNodeId: target } : {}) },
      }) as unknown as AntstorVolume;
    const a = (await clients.custom.createNamespacedCustomObject({ ...G, body: volume('a', 'p1') })) as AntstorVolume;
    const cache = new ClusterCache(clients, ns, createLogger('error'), PLACEMENT_KINDS);
    const names = (t: string) => cache.volumesBoundTo(t).map((v) => v.metadata.name).sort();
    try {
      await cache.start();
      assert.deepEqual(names('p1'), ['a'], 'from the list');
      const b = (await clients.custom.createNamespacedCustomObject({ ...G, body: volume('b') })) as AntstorVolume;
      await eventually(() => assert.deepEqual(names(''), ['b'], 'unbound, from the watch'));
      assert.equal(cache.volumeByUid(b.metadata.uid!)?.metadata.name, 'b');
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      await clients.custom.patchNamespacedCustomObject({ ...G, name: 'b', body: { spec: { targetNodeId: 'p1' } } }, merge);
      await eventually(() => assert.deepEqual(names('p1'), ['a', 'b'], 'bound'));
      assert.deepEqual(names(''), []);
      await clients.custom.patchNamespacedCustomObject({ ...G, name: 'a', body: { spec: { targetNodeId: 'p2' } } }, merge);
      await eventually(() => assert.deepEqual([names('p1'), names('p2')], [['b'], ['a']], 'moved'));
      await clients.custom.deleteNamespacedCustomObject({ ...G, name: 'a' });
      await eventually(() => assert.deepEqual(names('p2'), [], 'deleted'));
      assert.equal(cache.volumeByUid(a.metadata.uid!), undefined);
      // The index and the store agree.
      assert.deepEqual(cache.listVolumes().map((v) => v.metadata.name), ['b']);
    } finally {
      await cache.stop();
    }
  });
});
