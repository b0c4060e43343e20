/**
 * The cache against the real API server: a kind whose CRD is not installed (a cluster that has only LiteIO's pool
 * and volume CRDs) neither holds readiness nor fills the log: one warning, then quiet retries.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClusterCache, PLACEMENT_KINDS } from '../../src/kube/cluster-cache.js';
import { makeClients } from '../../src/kube/client.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';

describe('e2e: the cluster cache with a kind the API server does not serve', function () {
  it('is synced without it, says so once, and keeps serving the kinds it has', async () => {
    const env = await testEnv();
    const clients = makeClients(env.kube.kubeConfig);
    const ns = `cache-${randomBytes(4).toString('hex')}`;
    await clients.core.createNamespace({ body: { metadata: { name: ns } } });
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
});
