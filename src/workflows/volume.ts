/**
 * VolumeWorkflow: one per AntstorVolume uid. Loops "wait for an event, load the fresh object, decide, act":
 * filter and score (activity), reserve on the best pool's ledger (activity → PoolWorkflow update), patch the
 * binding (activity), or report why it cannot be placed and wait for capacity to change.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { ReserveResult } from '../scheduler/ledger.js';
import { runDeletionHooks, runReconcileChain } from './plugin-chain.js';
import {
  placementQuery,
  reserveReplySignal,
  retryPlacementSignal,
  SA_NODE,
  SA_PHASE,
  SA_POOL,
  volumeEventSignal,
  type PlacementRecord,
  type ObjectRef,
  type VolumePhase,
  type VolumeView,
  type VolumeWorkflowInput,
} from './messages.js';

type Acts = ReturnType<typeof createActivities>;

const kube = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});
const sched = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', maximumInterval: '10s' },
  summary: 'filter and score pools',
});

export async function volumeWorkflow(input: VolumeWorkflowInput): Promise<PlacementRecord> {
  const { ref, timings } = input;
  const indexed = timings.useSearchAttributes !== false;
  const upsert: typeof upsertSearchAttributes = (a) => (indexed ? upsertSearchAttributes(a) : undefined);
  const key = `${ref.namespace}/${ref.name}`;
  const record: PlacementRecord = input.state?.record ?? { volume: key, phase: 'Pending', attempts: [], passes: 0 };
  let lastRv = input.state?.lastResourceVersion ?? '';
  let dirty = true; // load once at start: the object may have changed while no run was open
  let retryRequested = false;
  let gone = false;

  setHandler(volumeEventSignal, (e) => {
    if (e.deleted) gone = true;
    if (e.deleted || e.resourceVersion !== lastRv) dirty = true;
  });
  setHandler(retryPlacementSignal, () => {
    if (record.phase === 'Unschedulable' || record.phase === 'Pending') retryRequested = true;
  });
  setHandler(placementQuery, () => record);
  const replies = new Map<string, ReserveResult>();
  setHandler(reserveReplySignal, (m) => void replies.set(m.requestId, m.result));
  let requests = 0;

  /** Asks a pool's ledger and waits for its answer; re-asks after a silence (the ledger is idempotent by uid). */
  const askLedger = async (pool: ObjectRef): Promise<ReserveResult> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const requestId = `${ref.uid}/${++requests}`;
      await kube.ledgerRequest({ volume: ref, pool, requestId, replyTo: workflowInfo().workflowId });
      if (await condition(() => replies.has(requestId) || gone, '60s')) {
        const r = replies.get(requestId);
        replies.delete(requestId);
        if (r) return r;
        return { accepted: false, reason: 'VolumeGone', freeBytes: 0 };
      }
    }
    return { accepted: false, reason: 'LedgerTimeout', freeBytes: 0 };
  };

  let indexedPhase: VolumePhase | undefined;
  const setPhase = (phase: VolumePhase, msg?: string) => {
    record.phase = phase;
    if (msg !== undefined) record.message = msg;
    // Each upsert is a history event: write the search attribute only when the phase really changes.
    if (indexedPhase !== phase) upsert([{ key: SA_PHASE, value: phase }]);
    indexedPhase = phase;
    setCurrentDetails(`**${phase}**${record.pool ? ` on pool \`${record.pool}\`` : ''}${record.message ? `\n\n${record.message}` : ''}`);
  };

  const place = async (view: VolumeView): Promise<void> => {
    setPhase('Placing');
    // Pools whose ledger refused this volume in an earlier round (the cache that ranked them was stale).
    const refused: Record<string, string> = {};
    for (let round = 0; round < timings.placementRounds; round++) {
      record.passes++;
      const decision = await sched.scheduleFilterAndScore({ ref, refused });
      record.decision = decision;
      if (decision.error) {
        const invalid = !decision.error.startsWith('NoStoragePoolAvailable');
        setPhase(invalid ? 'Invalid' : 'Unschedulable', decision.error);
        if (view.statusMsg !== decision.error) await kube.volumeReportUnschedulable({ ref, message: decision.error, invalid });
        return;
      }
      const refusals: Record<string, number> = {};
      for (const c of decision.candidates) {
        const res = await askLedger({ namespace: ref.namespace, name: c.pool });
        if (gone) {
          // Deleted while asking: the pool may still accept the queued request, so release it (idempotent,
          // and ordered after the request) rather than leave the bytes to drift repair.
          await kube.ledgerRelease({ pool: { namespace: ref.namespace, name: c.pool }, uid: ref.uid });
          return;
        }
        record.attempts.push({ pool: c.pool, accepted: res.accepted, ...(res.reason ? { reason: res.reason } : {}) });
        if (record.attempts.length > 20) record.attempts.splice(0, record.attempts.length - 20);
        if (!res.accepted) {
          refusals[res.reason ?? 'Refused'] = (refusals[res.reason ?? 'Refused'] ?? 0) + 1;
          refused[c.pool] = res.reason ?? 'Refused';
          continue;
        }
        record.pool = c.pool;
        upsert([
          { key: SA_POOL, value: c.pool },
          { key: SA_NODE, value: c.pool },
        ]);
        const { pools, qualified, reasons, override } = decision;
        const bound = await kube.volumeBind({ ref, pool: c.pool, decision: { pools, qualified, reasons, scores: c.scores, ...(override ? { override } : {}) } });
        if (!bound.ok) {
          // The volume vanished, or got bound elsewhere, between reserve and patch: give the bytes back.
          await kube.ledgerRelease({ pool: { namespace: ref.namespace, name: c.pool }, uid: ref.uid });
          record.pool = undefined;
          if (bound.gone) gone = true;
          else dirty = true;
          return;
        }
        lastRv = bound.resourceVersion ?? lastRv;
        setPhase('Bound', bound.message);
        return;
      }
      // Every candidate's ledger refused (the cache was stale): filter again with fresher data.
      const msg = `NoStoragePoolAvailable: ${Object.entries(refusals)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([r, n]) => `${r}: ${n}`)
        .join(', ')}`;
      record.message = msg;
      if (round === timings.placementRounds - 1) {
        setPhase('Unschedulable', msg);
        await kube.volumeReportUnschedulable({ ref, message: msg, invalid: false });
      }
    }
  };

  let requeueMs: number | undefined; // asked for by a plugin, or by a deletion waiting on the agent
  let hooksRun = false;
  while (!gone) {
    const waits = [record.phase === 'Unschedulable' ? timings.unschedulableRetryMs : undefined, requeueMs].filter(
      (x): x is number => x !== undefined,
    );
    const wake = () => dirty || retryRequested || gone || workflowInfo().continueAsNewSuggested;
    // condition() without a timeout resolves to undefined, not true: only the timed form can report a timeout.
    const woke = waits.length ? await condition(wake, Math.min(...waits)) : (await condition(wake), true);
    requeueMs = undefined;
    if (gone) break;
    if (workflowInfo().continueAsNewSuggested && !dirty && !retryRequested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof volumeWorkflow>({ ref, timings, state: { record, lastResourceVersion: lastRv } });
    }
    const retry = retryRequested || !woke;
    dirty = false;
    retryRequested = false;

    const view = await kube.volumeLoad({ ref });
    if (!view.exists || view.replaced) {
      gone = true;
      break;
    }
    lastRv = view.resourceVersion ?? lastRv;

    const pluginInput = { kind: 'AntstorVolume' as const, namespace: ref.namespace, name: ref.name, uid: ref.uid };
    if (view.deleting) {
      setPhase('Deleting');
      if (!hooksRun && view.plugins?.length) {
        const out = await runDeletionHooks(view.plugins, pluginInput, timings);
        if (out.failed.length) record.message = `deletion hooks failed: ${out.failed.map((f) => `${f.plugin}: ${f.error}`).join('; ')}`;
      }
      hooksRun = true;
      const done = await kube.volumeFinalize({ ref, pool: view.targetNodeId ?? '' });
      if (done.released) record.pool = undefined;
      if (done.recheckInMs !== undefined) requeueMs = done.recheckInMs;
      continue; // the object disappears once the last finalizer is gone; the watcher then signals deletion
    }
    if (view.plugins?.length) {
      const chain = await runReconcileChain(view.plugins, pluginInput, timings);
      if (chain.gone) continue;
      if (chain.stopped) {
        record.chain = { by: chain.by!, ...(chain.error ? { error: chain.error } : {}) };
        if (chain.requeueAfterMs !== undefined) requeueMs = chain.requeueAfterMs;
        continue; // LiteIO: a breaking or failing plugin stops the main handler
      }
      delete record.chain;
    }
    if (view.stopReconcile) continue;

    if (view.targetNodeId) {
      if (record.pool !== view.targetNodeId) {
        // Bound outside this workflow (pre-existing binding, another controller): adopt it into the ledger.
        await kube.ledgerRequest({
          volume: ref,
          pool: { namespace: ref.namespace, name: view.targetNodeId },
          adopt: true,
          requestId: `${ref.uid}/adopt`,
          replyTo: '',
        });
        record.pool = view.targetNodeId;
        upsert([
          { key: SA_POOL, value: view.targetNodeId },
          { key: SA_NODE, value: view.targetNodeId },
        ]);
      }
      if (!view.bindingComplete) await kube.volumeEnsureBound({ ref, pool: view.targetNodeId });
      if (record.phase !== 'Bound') setPhase('Bound');
      continue;
    }
    if (record.phase === 'Invalid' && retry) continue; // only a change to the volume can fix an invalid one
    await place(view);
  }

  // The volume is gone from the API server: make sure its bytes are not held.
  if (record.pool) await kube.ledgerRelease({ pool: { namespace: ref.namespace, name: record.pool }, uid: ref.uid });
  setPhase('Deleted');
  await condition(allHandlersFinished);
  return record;
}
