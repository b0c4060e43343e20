/**
 * Pure rules of the pool lifecycle (no I/O), shared by the reconcile pass and the parked pool's wake.
 */
import { Finalizers } from '../../api/constants.js';
import { isPoolProblemMessage, leaseRenewMs, poolProblem } from '../../api/objects.js';
import type { StoragePool } from '../../api/types.js';
import type { Timings } from '../../workflows/messages.js';

/** The lifecycle's clocks (timings with their defaults applied). */
export interface LifecycleClocks {
  /** A Lease older than this is a lost heartbeat (status unknown). */
  lost: number;
  /** A pool whose Lease is fresh is looked at again after this long anyway (a slow net, not a poll). */
  heartbeatRecheck: number;
}

export function lifecycleClocks(t: Pick<Timings, 'heartbeatLostMs' | 'heartbeatRecheckMs'>): LifecycleClocks {
  return { lost: t.heartbeatLostMs ?? 3 * 60_000, heartbeatRecheck: t.heartbeatRecheckMs ?? 30 * 60_000 };
}

/**
 * The next lifecycle look at a pool whose Lease was renewed at `renew` and is fresh: just after it could lapse, and
 * no sooner than the slow net (the watcher's sweep of cached Leases wakes the pool when it does lapse).
 */
export function freshLeaseRecheckMs(renew: number, now: number, T: LifecycleClocks): number {
  return Math.max(renew + T.lost - now + 1000, T.heartbeatRecheck);
}

/**
 * v0.14.0: a reconcile pass over this pool would write nothing and leave its lifecycle to the watcher (`watched`):
 * it exists and is not being deleted, is valid (id = name, sane capacity) with no stale problem message, is
 * labelled, has its status and capacity initialised and the in-state finalizer, and is `ready` on a fresh Lease
 * with no heartbeat message to clear. Returns when to look again, or undefined when a pass has something to do or
 * a deadline of its own (then the pass runs). Mirrors poolReconcile's steps 1–3 (lifecycle-activities.ts); the unit
 * test walks each of them.
 *
 * A parked pool woken by reservation requests alone asks this of its load instead of running a pass: nothing about
 * the pool changed (a change would have come as the watcher's event), so the pass would only repeat the one the
 * parked run ended with — about three workflow tasks and three activities per wake.
 */
export function quietLifecycle(p: StoragePool | undefined, lease: object | undefined, now: number, T: LifecycleClocks): { nextCheckInMs: number } | undefined {
  if (!p || p.metadata.deletionTimestamp || poolProblem(p)) return undefined;
  const msg = p.status?.message ?? '';
  if (isPoolProblemMessage(msg) || msg.startsWith('invalid StoragePool ') || msg.startsWith('no heartbeat')) return undefined;
  if (!p.metadata.labels || Object.keys(p.metadata.labels).length === 0) return undefined;
  if (!p.status?.capacity || Object.keys(p.status.capacity).length === 0) return undefined;
  if (!(p.metadata.finalizers ?? []).includes(Finalizers.InState)) return undefined;
  if (p.status?.status !== 'ready') return undefined;
  const renew = leaseRenewMs(lease);
  if (!Number.isFinite(renew) || renew > now + T.lost || now - renew > T.lost) return undefined;
  return { nextCheckInMs: Math.max(1000, freshLeaseRecheckMs(renew, now, T)) };
}
