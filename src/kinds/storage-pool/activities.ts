/** Activities for the PoolWorkflow: load the pool, list its bindings in the API server, record drift. */
import { poolCapacity } from '../../scheduler/pool-node.js';
import { Finalizers, KIND_POOL, KIND_VOLUME, Labels, PLURAL_VOLUME } from '../../api/constants.js';
import { poolIsSchedulable, poolNodeId, poolProblem } from '../../api/objects.js';
import { boundBytes, heldLedgerReservations, ledgerFreeBytes, type ApiBinding, type DriftReport, type LedgerState } from '../../scheduler/ledger.js';
import type { AntstorVolume, StoragePool } from '../../api/types.js';
import type { LedgerView, ObjectRef, PoolView } from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { reserveRequestFor } from './ledger-activities.js';
import { lifecycleClocks, quietLifecycle } from './lifecycle-rules.js';

/** The ledger's view of volumes bound to `node`: what each one counts against the pool. */
export function apiBindings(d: Pick<ActivityDeps, 'config'>, node: string, vols: readonly AntstorVolume[]): ApiBinding[] {
  const out: ApiBinding[] = [];
  for (const v of vols) {
    // A deleting volume still holds its bytes until its in-state finalizer is released.
    if (v.metadata.deletionTimestamp && !(v.metadata.finalizers ?? []).includes(Finalizers.InState)) continue;
    const { adopt: _a, viaReservation: _v, ...b } = reserveRequestFor(d, v, node, true);
    out.push(b);
  }
  return out;
}

/**
 * v0.12.0: the volumes bound to a pool by a read that cannot miss a binding the API server has committed: a live
 * LIST by the `obnvmf/target-node-id` label (every bind writes it with spec.targetNodeId, in one patch; LiteIO's
 * too), joined with the cache's index (a binding written without the label is still seen once the cache has it).
 * A parked pool's next run rebuilds its ledger from this: the cache alone may lag behind a bind another replica
 * made a moment ago, and a ledger that misses a binding could admit its bytes twice.
 */
export async function boundVolumesConsistent(d: Pick<ActivityDeps, 'kube' | 'cache'>, pool: ObjectRef): Promise<AntstorVolume[]> {
  const live = await d.kube.list<AntstorVolume>(PLURAL_VOLUME, KIND_VOLUME, pool.namespace, `${Labels.TargetNodeId}=${pool.name}`);
  const byUid = new Map<string, AntstorVolume>();
  for (const v of d.cache.volumesBoundTo(pool.name)) byUid.set(v.metadata.uid!, v);
  // The live object wins: it is at least as new as the cached one. Its label may be stale: the spec decides.
  for (const v of live) {
    if (v.spec?.targetNodeId === pool.name) byUid.set(v.metadata.uid!, v);
    else byUid.delete(v.metadata.uid!);
  }
  return [...byUid.values()];
}

/** What the ledger needs of a pool object (undefined: the pool does not exist). */
export function poolViewOf(d: Pick<ActivityDeps, 'config' | 'pluginNames' | 'cache'>, pool: ObjectRef, p: StoragePool | undefined): PoolView {
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
    nodeResourceVersion: d.cache.get<{ metadata?: { resourceVersion?: string } }>('node', pool.name)?.metadata?.resourceVersion ?? '',
  };
}

/**
 * The ledger of a pool whose workflow is not running (parked, or never started): nothing is reserved or held
 * there, so its ledger is the API server's bindings — what its next run adopts. From the cache, for readers.
 */
export function parkedLedgerView(d: Pick<ActivityDeps, 'config' | 'cache'>, pool: ObjectRef): LedgerView {
  const v = poolViewOf(d, pool, d.cache.getPool(pool.name));
  const ledger: LedgerState = { bindings: {} };
  for (const b of apiBindings(d, pool.name, d.cache.volumesBoundTo(pool.name))) ledger.bindings[b.uid] = { ...b, since: 0, via: 'adopt' };
  const bindings = Object.values(ledger.bindings).sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    pool: `${pool.namespace}/${pool.name}`,
    ...(v.info.exists ? { info: v.info, reservations: heldLedgerReservations(ledger, v.info, v.policy) } : {}),
    freeBytes: v.info.exists ? ledgerFreeBytes(ledger, v.info, v.policy) : 0,
    boundBytes: boundBytes(ledger),
    bindings,
    parked: true,
  };
}

export function poolActivities(d: ActivityDeps) {
  return {
    /**
     * The pool, and with `adopt` (a new ledger's first load, v0.12.0) the bindings it adopts, by a read that cannot
     * miss one (boundVolumesConsistent), in the same call; and (v0.14.0) whether a reconcile pass would be idle,
     * judged on the live pool and the cached Lease (a cache can lag behind a renewal, never run ahead of one, so a
     * Lease it shows fresh is fresh).
     */
    async poolLoad({ pool, adopt }: { pool: ObjectRef; adopt?: boolean }): Promise<PoolView> {
      const [p, vols] = await Promise.all([d.kube.getPool(pool.namespace, pool.name), adopt ? boundVolumesConsistent(d, pool) : undefined]);
      const view = poolViewOf(d, pool, p);
      if (!p || !vols) return view;
      const quiet = quietLifecycle(p, d.cache.get<object>('lease', pool.name), Date.now(), lifecycleClocks(d.timings));
      return { ...view, adoption: { bindings: apiBindings(d, pool.name, vols), inFlight: [] }, ...(quiet ? { lifecycleQuiet: quiet } : {}) };
    },

    /**
     * Bindings the API server shows for this pool, and which volumes are not bound anywhere yet: of `held` (the
     * ledger's uids) when given, else of every volume. v0.10.0: the full list made each drift check's result (in
     * the pool's history) as long as the cluster's backlog — ~400 KB per pool with 9,000 volumes pending at W2.
     */
    async poolListBindings({ pool, held, consistent }: { pool: ObjectRef; held?: string[]; consistent?: boolean }): Promise<{ bindings: ApiBinding[]; inFlight: string[] }> {
      // Volumes address this ledger by spec.targetNodeId = the pool's name (the workflow id pool/<ns>/<name>), so
      // that is what counts here — even for a pool whose spec.nodeInfo.id wrongly differs from its name. Read from
      // the cache's index: a scan of every volume made each pool's check cost grow with the cluster.
      const node = pool.name;
      const vols = consistent ? await boundVolumesConsistent(d, pool) : d.cache.volumesBoundTo(node);
      const bindings = apiBindings(d, node, vols);
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
