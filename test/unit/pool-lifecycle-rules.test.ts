/**
 * quietLifecycle (v0.14.0): a parked pool woken by requests alone skips its reconcile pass only when the pass would
 * write nothing and leave the lifecycle to the watcher. Each of poolReconcile's reasons to act (lifecycle-activities.ts
 * steps 1–3) must make it say "run the pass".
 */
import assert from 'node:assert/strict';
import { Finalizers } from '../../src/api/constants.js';
import type { StoragePool } from '../../src/api/types.js';
import { freshLeaseRecheckMs, lifecycleClocks, quietLifecycle } from '../../src/kinds/storage-pool/lifecycle-rules.js';
import { pool } from './builders.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const T = lifecycleClocks({});
const lease = (ago: number | string | undefined) => ({ spec: { renewTime: typeof ago === 'number' ? new Date(NOW - ago).toISOString() : ago } });
const settled = (): StoragePool => {
  const p = pool('node-1');
  p.metadata.finalizers = [Finalizers.InState];
  p.metadata.uid = 'uid-1';
  return p;
};

describe('unit: a pool lifecycle with nothing to do (quietLifecycle)', () => {
  it('a labelled, initialised, ready pool with its finalizer and a fresh Lease is quiet until its Lease could lapse', () => {
    const q = quietLifecycle(settled(), lease(30_000), NOW, T);
    assert.ok(q);
    // The slow net (30 min) is later than the lapse (3 min after the renewal): the watcher's sweep covers the lapse.
    assert.equal(q.nextCheckInMs, T.heartbeatRecheck);
    assert.equal(freshLeaseRecheckMs(NOW - 30_000, NOW, { lost: 60 * 60_000, heartbeatRecheck: 60_000 }), 60 * 60_000 - 30_000 + 1000);
  });

  const cases: [string, (p: StoragePool) => void, object | undefined][] = [
    ['being deleted', (p) => (p.metadata.deletionTimestamp = new Date(NOW).toISOString()), lease(1000)],
    ['spec.nodeInfo.id differs from its name', (p) => (p.spec.nodeInfo.id = 'other'), lease(1000)],
    ['a negative capacity', (p) => (p.status!.capacity = { storage: '-20' }), lease(1000)],
    ['an invalid-pool message to clear', (p) => (p.status!.message = 'invalid StoragePool obnvmf/node-1: old'), lease(1000)],
    ['a heartbeat message to clear', (p) => (p.status!.message = 'no heartbeat: Lease obnvmf/node-1 not found'), lease(1000)],
    ['no labels (LiteIO labels it)', (p) => (p.metadata.labels = {}), lease(1000)],
    ['no capacity in status (initialised by the pass)', (p) => (p.status!.capacity = {}), lease(1000)],
    ['no status at all', (p) => (p.status!.status = ''), lease(1000)],
    ['no in-state finalizer', (p) => (p.metadata.finalizers = []), lease(1000)],
    ['status unknown (a fresh Lease makes it ready)', (p) => (p.status!.status = 'unknown'), lease(1000)],
    ['status offline', (p) => (p.status!.status = 'offline'), lease(1000)],
    ['no Lease', () => undefined, undefined],
    ['a Lease without spec.renewTime', () => undefined, lease(undefined)],
    ['a Lease whose renewTime is not a time', () => undefined, lease('yesterday')],
    ['a Lease renewed in the future beyond the lost limit (clock skew)', () => undefined, lease(-T.lost - 60_000)],
    ['a lapsed Lease (the pass marks the pool unknown)', () => undefined, lease(T.lost + 1)],
  ];
  for (const [what, change, l] of cases) {
    it(`not quiet: ${what}`, () => {
      const p = settled();
      change(p);
      assert.equal(quietLifecycle(p, l, NOW, T), undefined);
    });
  }

  it('not quiet when the pool does not exist', () => assert.equal(quietLifecycle(undefined, lease(1000), NOW, T), undefined));
});
