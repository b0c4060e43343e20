/**
 * The watcher's heartbeat sweep (lapsedPools): which ready pools have a Lease older than heartbeatLostMs, read from
 * cached objects. The e2e pool-lifecycle suite runs the sweep itself against the API server.
 */
import assert from 'node:assert/strict';
import type { KubernetesObject } from '../../src/kube/client-node.js';
import type { StoragePool } from '../../src/api/types.js';
import { leaseRenewMs } from '../../src/api/objects.js';
import { lapsedPools } from '../../src/kinds/storage-pool/watch.js';

const LOST = 180_000;
const NOW = Date.parse('2026-12-06T12:00:00Z');
const pool = (name: string, status: string, o: { created?: number; deleting?: boolean } = {}): StoragePool =>
  ({
    metadata: { name, creationTimestamp: new Date(o.created ?? NOW - 3_600_000).toISOString(), ...(o.deleting ? { deletionTimestamp: new Date(NOW).toISOString() } : {}) },
    spec: { nodeInfo: { id: name } },
    status: { status },
  }) as unknown as StoragePool;
const lease = (renew: unknown): KubernetesObject => ({ metadata: { name: 'x' }, spec: { renewTime: renew } }) as KubernetesObject;

describe('unit: heartbeat sweep (lapsedPools)', () => {
  it('reads spec.renewTime given as a string or as a Date, and NaN when absent or not a time', () => {
    assert.equal(leaseRenewMs(lease('2026-12-06T11:59:00.000000Z')), NOW - 60_000);
    assert.equal(leaseRenewMs(lease(new Date(NOW - 5_000))), NOW - 5_000);
    assert.ok(Number.isNaN(leaseRenewMs(lease(undefined))));
    assert.ok(Number.isNaN(leaseRenewMs(lease('yesterday'))));
    assert.ok(Number.isNaN(leaseRenewMs(undefined)));
  });

  it('names a ready pool whose Lease is older than heartbeatLostMs (+1 s), keyed by the renewal it lapsed after', () => {
    const leases: Record<string, KubernetesObject> = {
      fresh: lease(new Date(NOW - 30_000)),
      edge: lease(new Date(NOW - LOST - 1000)), // not yet: the rule is "more than lost", with a second of slack
      old: lease(new Date(NOW - LOST - 1001)),
      unknownOld: lease(new Date(NOW - 10 * LOST)),
    };
    const got = lapsedPools(
      [pool('fresh', 'ready'), pool('edge', 'ready'), pool('old', 'ready'), pool('unknownOld', 'unknown'), pool('gone', 'ready', { deleting: true })],
      (n) => leases[n],
      NOW,
      LOST,
    );
    assert.deepEqual(got, [{ name: 'old', key: `renew:${NOW - LOST - 1001}` }]);
  });

  it('a ready pool without a usable Lease lapses once it is older than heartbeatLostMs', () => {
    const got = lapsedPools([pool('young', 'ready', { created: NOW - 10_000 }), pool('aged', 'ready'), pool('bad', 'ready')], (n) => (n === 'bad' ? lease('not a time') : undefined), NOW, LOST);
    assert.deepEqual(got, [
      { name: 'aged', key: 'no-lease' },
      { name: 'bad', key: 'no-lease' },
    ]);
  });
});
