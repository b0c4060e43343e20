/**
 * Property: on any cluster, the filter pass and the ledger agree. The filter pass reads volume objects from the
 * cache (pool-node.ts → filters); the ledger holds bindings adopted from the same objects (reserveRequestFor →
 * ledger.reserve). Whatever the bound volumes, reservations, remote limits and MinLocalStorage setting, a pool that
 * passes the filters is admitted by its ledger, and a pool the filters reject for a capacity reason is refused by
 * its ledger for the same reason.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AntstorVolume, StoragePool } from '../../src/api/types.js';
import { reserveRequestFor } from '../../src/kinds/storage-pool/ledger-activities.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { resolveChain, schedule } from '../../src/scheduler/chain.js';
import { defaultSchedulerConfig, type SchedulerConfig } from '../../src/scheduler/config.js';
import { buildPoolNodes, poolCapacity } from '../../src/scheduler/pool-node.js';
import { reserve, type LedgerState } from '../../src/scheduler/ledger.js';

const GiB = 2 ** 30;
const CAPACITY_REASONS = new Set(['PoolFreeSize', 'RemoteVolMaxCount', 'LocalStorageTooLow', 'ReservationNotMatch', 'ReservationTooSmall']);

interface VolSpec {
  gib: number;
  local: boolean;
  ignored: boolean;
  snapshotGib: number;
  reservation: '' | 'r1' | 'r2';
  viaAnnotation: boolean;
}

const volSpec = fc.record<VolSpec>({
  gib: fc.integer({ min: 1, max: 12 }),
  local: fc.boolean(),
  ignored: fc.boolean(),
  snapshotGib: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 })),
  reservation: fc.constantFrom('' as const, 'r1' as const, 'r2' as const),
  viaAnnotation: fc.boolean(),
});

function volume(name: string, s: VolSpec, bound: boolean): AntstorVolume {
  const annotations: Record<string, string> = {};
  const labels: Record<string, string> = {};
  if (s.ignored) annotations['example.com/not-remote'] = 'yes';
  if (s.snapshotGib) annotations['obnvmf/snapshot-reserved-bytes'] = String(s.snapshotGib * GiB);
  if (s.reservation && s.viaAnnotation) annotations['obnvmf/reservation-id'] = s.reservation;
  if (s.reservation && !s.viaAnnotation) {
    // LiteIO's implicit PVC reservation: "<pvc-ns>/<pvc-name>" from the CSI labels.
    labels['csi.storage.k8s.io/pvc-namespace'] = 'ns';
    labels['csi.storage.k8s.io/pvc-name'] = s.reservation;
  }
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, annotations, labels },
    spec: {
      uuid: `uuid-${name}`,
      sizeByte: s.gib * GiB,
      hostNode: { id: s.local ? 'p' : 'elsewhere' },
      ...(bound ? { targetNodeId: 'p' } : {}),
    },
  } as AntstorVolume;
}

function pool(capGib: number): StoragePool {
  return {
    metadata: { name: 'p', namespace: 'ns', labels: { 'obnvmf/node-sn': 'p' } },
    spec: { nodeInfo: { id: 'p' }, kernelLvm: { name: 'vg', vgUUID: 'u', bytes: capGib * GiB } },
    status: { status: 'ready', capacity: { storage: String(capGib * GiB) }, vgFreeSize: String(capGib * GiB), conditions: [{ type: 'Spdk', status: 'OK' }] },
  } as StoragePool;
}

describe('capacity rules: the filter pass and the ledger agree (property)', () => {
  it('on random clusters, accept/refuse and the reason are the same', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 80 }),
        fc.array(volSpec, { maxLength: 14 }),
        volSpec,
        fc.integer({ min: 0, max: 4 }),
        fc.subarray([{ id: 'r1', size: 2 * GiB }, { id: 'ns/r1', size: 3 * GiB }, { id: 'r2', size: 6 * GiB }, { id: 'ns/r2', size: 4 * GiB }]),
        fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 90 })),
        (capGib, boundSpecs, newSpec, maxRemote, nodeReservations, minLocalPct) => {
          const cfg: SchedulerConfig = {
            ...defaultSchedulerConfig(),
            maxRemoteVolumeCount: maxRemote,
            remoteIgnoreAnnoSelector: { 'example.com/not-remote': 'yes' },
            filters: minLocalPct > 0 ? ['Basic', 'MinLocalStorage'] : ['Basic'],
            minLocalStoragePct: minLocalPct,
            nodeReservations,
          };
          // Bound volumes claim each reservation at most once (as a cluster would have them).
          const seen = new Set<string>();
          const bound = boundSpecs.map((s, i) => {
            const id = s.viaAnnotation ? s.reservation : `ns/${s.reservation}`;
            const fixed = s.reservation && seen.has(id) ? { ...s, reservation: '' as const } : s;
            if (fixed.reservation) seen.add(id);
            return volume(`b${i}`, fixed, true);
          });
          const p = pool(capGib);
          const vol = volume('new', newSpec, false);

          // The filter pass, over the cache's objects.
          const decision = schedule(cfg, resolveChain(cfg), buildPoolNodes([p], bound, cfg.nodeReservations), vol);
          const filterReason = decision.qualified === 1 ? undefined : Object.keys(decision.reasons)[0];

          // The ledger, holding the same bindings as adoption would record them.
          const d = { config: { scheduler: cfg } } as unknown as ActivityDeps;
          const ledger: LedgerState = { bindings: {} };
          const info = { exists: true, deleting: false, schedulable: true, status: 'ready', ...poolCapacity(p) };
          const policy = { maxRemoteVolumeCount: maxRemote, minLocalStoragePct: minLocalPct, nodeReservations, minLocalForReservations: true };
          for (const b of bound) reserve(ledger, info, policy, reserveRequestFor(d, b, 'p', true), 0);
          const res = reserve(ledger, info, policy, reserveRequestFor(d, vol, 'p', false), 0);

          if (filterReason === undefined) assert.equal(res.accepted, true, `filters passed, ledger refused: ${res.reason}`);
          else if (CAPACITY_REASONS.has(filterReason)) assert.deepEqual([res.accepted, res.reason], [false, filterReason]);
          else assert.fail(`unexpected filter rejection ${filterReason}`);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
