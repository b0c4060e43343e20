/**
 * PoolWorkflow: one per StoragePool. Owns the pool's ledger and admits reservation requests in its main loop,
 * a batch per workflow task, answering each by a signal to the asking volume's workflow. Workflow code is
 * single-threaded and the check-and-record step has no await, so no two volumes can take the same bytes, on
 * any number of workers. Adopts existing bindings when it starts and periodically repairs drift between the
 * ledger and the API server.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { boundBytes, ledgerFreeBytes, release, repairDrift, reserve, type DriftReport, type LedgerState, type ReserveResult } from '../scheduler/ledger.js';
import { runDeletionHooks, runReconcileChain } from './plugin-chain.js';
import {
  ledgerQuery,
  poolEventSignal,
  releaseSignal,
  reserveReplySignal,
  reserveRequestSignal,
  volumeEventSignal,
  volumeWorkflowId,
  type LedgerView,
  type PoolView,
  type PoolWorkflowInput,
  type ReserveRequestMsg,
} from './messages.js';

type Acts = ReturnType<typeof createActivities>;

const acts = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/**
 * Patch id (v0.3.0): requests are admitted in the signal handler, and the plugin chain and lifecycle run beside the
 * admission loop instead of inside it. Histories from before took the old path.
 */
const ADMISSION_V3 = 'admission-beside-lifecycle';

export async function poolWorkflow(input: PoolWorkflowInput): Promise<void> {
  const { ref, timings } = input;
  const ledger: LedgerState = input.ledger ?? { bindings: {} };
  const queue: ReserveRequestMsg[] = input.pending ?? [];
  const replies = new Set<Promise<void>>();
  let view: PoolView | undefined;
  let dirty = true;
  let lastDrift: (DriftReport & { at: string }) | undefined;
  let gone = false;

  const now = () => Date.now(); // deterministic inside workflows (workflow task time)

  const describe = () => {
    if (!view) return;
    const free = ledgerFreeBytes(ledger, view.info, view.policy);
    setCurrentDetails(
      `**${view.info.status || 'unknown'}**${view.info.schedulable ? '' : ' (unschedulable)'} — ` +
        `${Object.keys(ledger.bindings).length} volumes, ${gib(boundBytes(ledger))} bound, ${gib(free)} free of ${gib(view.info.capacityBytes)}`,
    );
  };

  setHandler(poolEventSignal, (e) => {
    dirty = true;
    if (e.deleted) gone = true;
  });
  setHandler(reserveRequestSignal, (m) => {
    // Admission must not wait for the main loop, which may be busy in slow plugin or lifecycle activities:
    // with a fresh view, decide right here (still no await between check and record). A pending reload
    // (dirty) means the view may be stale, so the request waits for it.
    if (modern && view && !dirty && !gone) {
      reply(m, reserve(ledger, view.info, view.policy, m.req, now()));
      describe();
      return;
    }
    queue.push(m);
  });
  setHandler(releaseSignal, ({ uid }) => {
    release(ledger, uid);
    describe();
  });
  const modern = patched(ADMISSION_V3);
  setHandler(ledgerQuery, (): LedgerView => {
    const bindings = Object.values(ledger.bindings).sort((a, b) => (a.key < b.key ? -1 : 1));
    return {
      pool: `${ref.namespace}/${ref.name}`,
      info: view?.info,
      freeBytes: view ? ledgerFreeBytes(ledger, view.info, view.policy) : 0,
      boundBytes: boundBytes(ledger),
      bindings,
      lastDrift,
    };
  });

  const reply = (m: ReserveRequestMsg, result: ReserveResult) => {
    if (!m.replyTo) return;
    const p = getExternalWorkflowHandle(m.replyTo)
      .signal(reserveReplySignal, { requestId: m.requestId, pool: ref.name, result })
      .catch(() => undefined) // the volume's workflow is gone: nobody is waiting
      .finally(() => replies.delete(p));
    replies.add(p);
  };

  /** Answers every queued request; the whole batch is decided without an await in between. */
  const admit = () => {
    for (const m of queue.splice(0)) {
      const result: ReserveResult = gone || !view
        ? { accepted: false, reason: 'PoolUnschedulable', freeBytes: 0 }
        : reserve(ledger, view.info, view.policy, m.req, now());
      reply(m, result);
    }
    describe();
  };

  const checkDrift = async () => {
    const api = await acts.poolListBindings({ pool: ref });
    const before = { ...ledger.bindings };
    const report = repairDrift(ledger, api.bindings, now(), timings.driftGraceMs, new Set(api.inFlight));
    // A dropped entry means its volume vanished without its workflow noticing (a missed delete): wake it.
    for (const [uid, b] of Object.entries(before)) {
      if (ledger.bindings[uid]) continue;
      const [namespace = ref.namespace, name = ''] = b.key.split('/');
      const p = getExternalWorkflowHandle(volumeWorkflowId({ namespace, name, uid }))
        .signal(volumeEventSignal, { resourceVersion: 'ledger-drift' })
        .catch(() => undefined)
        .finally(() => replies.delete(p));
      replies.add(p);
    }
    if (report.adopted.length || report.dropped.length || report.resized.length) {
      lastDrift = { ...report, at: new Date(now()).toISOString() };
      log.warn('ledger drift repaired', { pool: ref.name, ...report });
      await acts.poolRecordDrift({ pool: ref, report });
    }
  };

  /** LiteIO's pool reconcile: plugins first (a break or error stops it), then the lifecycle or deletion. */
  let hooksRun = false;
  let lifecycleAt: number | undefined;
  const reconcile = async (v: PoolView) => {
    if (!v.lifecycle || !v.uid) return;
    const input = { kind: 'StoragePool' as const, namespace: ref.namespace, name: ref.name, uid: v.uid };
    if (v.info.deleting) {
      if (!hooksRun && v.plugins?.length) await runDeletionHooks(v.plugins, input, timings);
      hooksRun = true;
      const fin = await acts.poolFinalize({ pool: ref, uid: v.uid });
      // Blocked: the watcher wakes this workflow when a volume on the pool goes; the timer is a fallback.
      if (!fin.done) lifecycleAt = now() + (timings.poolRecheckMs ?? 60_000);
      return;
    }
    if (v.plugins?.length) {
      const chain = await runReconcileChain(v.plugins, input, timings);
      if (chain.stopped) {
        lifecycleAt = now() + (chain.requeueAfterMs ?? timings.poolRecheckMs ?? 60_000);
        return;
      }
    }
    const r = await acts.poolReconcile({ pool: ref, uid: v.uid });
    lifecycleAt = now() + r.nextCheckInMs;
    // Labels, status or finalizers written here: read the pool again for the ledger.
    if (r.actions.length) dirty = true;
  };

  // Modern path: the chain and lifecycle run beside the admission loop; one pass at a time, and a pass asked for
  // while one runs happens right after it (with a fresh view).
  let reconciling = false;
  let reconcileAgain = false;
  let nudge = false;
  const startReconcile = (v: PoolView) => {
    if (reconciling) {
      reconcileAgain = true;
      return;
    }
    reconciling = true;
    void reconcile(v)
      .catch((e) => log.error('pool reconcile pass failed', { pool: ref.name, error: (e as Error)?.message }))
      .finally(() => {
        reconciling = false;
        nudge = true;
        if (reconcileAgain) {
          reconcileAgain = false;
          dirty = true;
        }
      });
  };

  // First run of this ledger: adopt every binding the API server already has (e.g. taking over from LiteIO).
  let adopted = input.ledger !== undefined;
  while (!gone) {
    if (dirty) {
      dirty = false;
      view = await acts.poolLoad({ pool: ref });
      if (!view.info.exists) gone = true;
      if (view.info.exists && !adopted) {
        adopted = true;
        await checkDrift();
      }
      describe();
      if (gone) break;
      if (modern) {
        if (dirty) continue; // changed again while loading: act on the newest view only
        if (queue.length) admit();
        startReconcile(view);
        continue;
      }
      if (queue.length) admit(); // answer waiting volumes before slower lifecycle work
      await reconcile(view);
      continue; // never admit on a view that a signal during reconcile() made stale: reload first
    }
    if (queue.length) admit();
    const untilLifecycle = lifecycleAt === undefined ? undefined : Math.max(0, lifecycleAt - now());
    const timeout = untilLifecycle === undefined ? timings.driftCheckMs : Math.min(timings.driftCheckMs, untilLifecycle);
    nudge = false;
    const woke = await condition(() => dirty || gone || nudge || queue.length > 0 || workflowInfo().continueAsNewSuggested, timeout);
    if (nudge) continue; // a reconcile pass ended: recompute the lifecycle timer
    if (!woke && lifecycleAt !== undefined && now() >= lifecycleAt) {
      lifecycleAt = undefined;
      dirty = true;
    } else if (!woke) {
      await checkDrift();
      describe();
    }
    if (workflowInfo().continueAsNewSuggested && !dirty && queue.length === 0) {
      await condition(() => !reconciling);
      await Promise.all([...replies]);
      await condition(allHandlersFinished);
      return continueAsNew<typeof poolWorkflow>({ ref, timings, ledger, pending: queue });
    }
  }
  admit(); // refuse what is still queued: the pool is gone
  await condition(() => !reconciling);
  await Promise.all([...replies]);
  await condition(allHandlersFinished);
  log.info('pool gone; ledger closed', { pool: ref.name, bindings: Object.keys(ledger.bindings).length });
}
