/** Activities for the PoolWorkflow: load the pool, list its bindings in the API server, record drift. */
import { poolCapacity } from '../../scheduler/pool-node.js';
import { Finalizers, KIND_POOL } from '../../api/constants.js';
import { poolIsSchedulable, poolNodeId, poolProblem } from '../../api/objects.js';
import type { ApiBinding, DriftReport } from '../../scheduler/ledger.js';
import type { AntstorVolume } from '../../api/types.js';
import type { ObjectRef, PoolView } from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { reserveRequestFor } from './ledger-activities.js';

export function poolActivities(d: ActivityDeps) {
  return {
    async poolLoad({ pool }: { pool: ObjectRef }): Promise<PoolView> {
      const p = await d.kube.getPool(pool.namespace, pool.name);
      const s = d.config.scheduler;
      const policy = {
        maxRemoteVolumeCount: s.maxRemoteVolumeCount,
        minLocalStoragePct: s.filters.includes('MinLocalStorage') ? s.minLocalStoragePct : 0,
        nodeReservations: s.nodeReservations,
      };
      if (!p)
        return {
          info: { exists: false, deleting: false, schedulable: false, status: '', capacityBytes: 0, availableBytes: 0 },
          policy,
          nodeId: pool.name,
          resourceVersion: '',
        };
      return {
        info: {
          exists: true,
          deleting: !!p.metadata.deletionTimestamp,
          // A pool with id != name or an absurd capacity is refused by the ledger too, not only by the filters.
          schedulable: poolIsSchedulable(p) && !poolProblem(p),
          status: p.status?.status ?? '',
          // The same capacity the filter pass uses (pool-node.ts → capacity.ts).
          ...poolCapacity(p),
        },
        policy,
        nodeId: poolNodeId(p),
        resourceVersion: p.metadata.resourceVersion ?? '',
        uid: p.metadata.uid ?? '',
        lifecycle: true,
        plugins: d.pluginNames?.StoragePool ?? [],
      };
    },

    /**
     * Bindings the API server shows for this pool, and which volumes are not bound anywhere yet: of `held` (the
     * ledger's uids) when given, else of every volume. v0.10.0: the full list made each drift check's result (in
     * the pool's history) as long as the cluster's backlog — ~400 KB per pool with 9,000 volumes pending at W2.
     */
    async poolListBindings({ pool, held }: { pool: ObjectRef; held?: string[] }): Promise<{ bindings: ApiBinding[]; inFlight: string[] }> {
      // Volumes address this ledger by spec.targetNodeId = the pool's name (the workflow id pool/<ns>/<name>), so
      // that is what counts here — even for a pool whose spec.nodeInfo.id wrongly differs from its name. Read from
      // the cache's index: a scan of every volume made each pool's check cost grow with the cluster.
      const node = pool.name;
      const bindings: ApiBinding[] = [];
      for (const v of d.cache.volumesBoundTo(node)) {
        // A deleting volume still holds its bytes until its in-state finalizer is released.
        if (v.metadata.deletionTimestamp && !(v.metadata.finalizers ?? []).includes(Finalizers.InState)) continue;
        const { adopt: _a, viaReservation: _v, ...b } = reserveRequestFor(d, v, node, true);
        bindings.push(b);
      }
      const unbound = (v: AntstorVolume | undefined) => !!v && !v.spec?.targetNodeId;
      const inFlight = held
        ? held.filter((uid) => unbound(d.cache.volumeByUid(uid)))
        : d.cache.volumesBoundTo('').map((v) => v.metadata.uid!);
      return { bindings, inFlight };
    },

    async poolRecordDrift({ pool, report }: { pool: ObjectRef; report: DriftReport }): Promise<void> {
      const p = await d.kube.getPool(pool.namespace, pool.name);
      if (!p) return;
      const list = (xs: string[]) => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));
      const parts = [
        report.adopted.length ? `adopted ${list(report.adopted)}` : '',
        report.dropped.length ? `dropped ${list(report.dropped)}` : '',
        report.resized.length ? `resized ${list(report.resized)}` : '',
      ].filter(Boolean);
      const err = await d.kube.recordEvent(p, KIND_POOL, 'Warning', 'LedgerDrift', `ledger repaired: ${parts.join('; ')}`);
      if (err) d.log.warn('event not recorded', { error: err.message });
    },
  };
}
