/**
 * PoolWorkflow: one per StoragePool. Owns the pool's ledger (the authority on admission), runs LiteIO's pool
 * reconcile (plugins, lifecycle, deletion) beside it, adopts existing bindings when it starts and periodically
 * repairs drift between the ledger and the API server. The state and rules live in PoolManager; this function
 * only wires them: every patch flag and all state exist before the first handler is registered, because signals
 * that arrived before the workflow's first activation are delivered inside `setHandler`.
 */
import { continueAsNew, patched, setHandler } from '@temporalio/workflow';
import { ledgerQuery, poolEventSignal, releaseSignal, reserveRequestSignal, reserveRequestsSignal, type PoolParked, type PoolWorkflowInput } from '../../workflows/messages.js';
import { PoolManager } from './pool-manager.js';

/** Patch ids, in the order they were introduced. */
export const POOL_PATCHES = {
  /** v0.3.0: admission in the signal handler, chain and lifecycle beside it. */
  admissionInHandler: 'admission-beside-lifecycle',
  /**
   * v0.4.0: continue-as-new drains and carries requests that arrive meanwhile; a release drops a queued request;
   * MinLocalStorage applies to reservation claims too.
   */
  v040: 'pool-v0.4.0',
  /** v0.6.0: answers sent in batches by a local activity instead of one external signal each. */
  v060: 'pool-v0.6.0',
  /** v0.12.0: an idle pool parks; a new ledger adopts from a consistent read of the API server. */
  v0120: 'pool-v0.12.0-park',
} as const;

export async function poolWorkflow(input: PoolWorkflowInput): Promise<PoolParked | void> {
  // A run started for revision 14 or later has every patch below in force and records no marker for them (the
  // input is in the history, so replay takes the same branch); older runs ask `patched()`, in the same order.
  const current = (input.rev ?? 0) >= 14; // revision 14 folded in the patches up to v0.12.0
  const admissionInHandler = current || patched(POOL_PATCHES.admissionInHandler);
  const v040 = current || patched(POOL_PATCHES.v040);
  const v060 = current || patched(POOL_PATCHES.v060);
  const v0120 = current || patched(POOL_PATCHES.v0120);
  const pool = new PoolManager(input, {
    admissionInHandler,
    drainOnContinueAsNew: v040,
    releaseDropsQueued: v040,
    minLocalForReservations: v040,
    repliesByActivity: v060,
    park: v0120,
    // Revision 14 (v0.14.0): a park timer that fires after a request moved the idle deadline waits again.
    earlyParkTimerWaits: current,
  });
  setHandler(poolEventSignal, (e) => pool.onPoolEvent(e));
  setHandler(reserveRequestSignal, (m) => pool.onReserveRequest(m));
  // v0.8.0: the placer's batch (a new handler, no new command: histories without it replay unchanged).
  setHandler(reserveRequestsSignal, ({ requests }) => {
    for (const m of requests) pool.onReserveRequest(m);
  });
  setHandler(releaseSignal, ({ uid, requestId }) => pool.onRelease(uid, requestId));
  setHandler(ledgerQuery, () => pool.ledgerView());
  const end = await pool.run();
  // Parked or gone: the run ends. A parked pool's next event, request or Lease lapse starts a new run; what it
  // returns lets a controller start leave it parked when nothing about it changed meanwhile.
  if ('next' in end) await continueAsNew<typeof poolWorkflow>(end.next);
  if ('parked' in end) return end.parked;
}
