/**
 * PoolWorkflow: one per StoragePool. Owns the pool's ledger and admits reservations one at a time (update
 * handlers run single-threaded in workflow code, and the check-and-record step has no await), so no two
 * volumes can take the same bytes, on any number of workers. Adopts existing bindings when it starts and
 * periodically repairs drift between the ledger and the API server.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { boundBytes, ledgerFreeBytes, release, repairDrift, reserve, type DriftReport, type LedgerState } from '../scheduler/ledger.js';
import {
  ledgerQuery,
  poolEventSignal,
  releaseSignal,
  reserveUpdate,
  type LedgerView,
  type PoolView,
  type PoolWorkflowInput,
} from './messages.js';

type Acts = ReturnType<typeof createActivities>;

const acts = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

export async function poolWorkflow(input: PoolWorkflowInput): Promise<void> {
  const { ref, timings } = input;
  const ledger: LedgerState = input.ledger ?? { bindings: {} };
  let view: PoolView | undefined;
  let dirty = true;
  let released = 0;
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
  setHandler(releaseSignal, ({ uid }) => {
    if (release(ledger, uid)) released++;
    describe();
  });
  setHandler(
    reserveUpdate,
    async (req) => {
      await condition(() => view !== undefined);
      // From here to the return there is no await: the check and the record are one atomic step.
      const res = reserve(ledger, view!.info, view!.policy, req, now());
      describe();
      return res;
    },
    {
      validator: (req) => {
        if (!req || typeof req.uid !== 'string' || !req.uid) throw new Error('reserve: uid is required');
        if (!(typeof req.bytes === 'number' && req.bytes >= 0)) throw new Error('reserve: bytes must be >= 0');
      },
    },
  );
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

  const checkDrift = async () => {
    const api = await acts.poolListBindings({ pool: ref });
    const report = repairDrift(ledger, api.bindings, now(), timings.driftGraceMs, new Set(api.inFlight));
    if (report.adopted.length || report.dropped.length || report.resized.length) {
      lastDrift = { ...report, at: new Date(now()).toISOString() };
      log.warn('ledger drift repaired', { pool: ref.name, ...report });
      await acts.poolRecordDrift({ pool: ref, report });
    }
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
    }
    const woke = await condition(() => dirty || gone || workflowInfo().continueAsNewSuggested, timings.driftCheckMs);
    if (!woke) {
      await checkDrift();
      describe();
    }
    if (workflowInfo().continueAsNewSuggested && !dirty) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof poolWorkflow>({ ref, timings, ledger });
    }
  }
  await condition(allHandlersFinished);
  log.info('pool gone; ledger closed', { pool: ref.name, bindings: Object.keys(ledger.bindings).length, released });
}
