/**
 * VolumeGroupWorkflow: one per AntstorVolumeGroup (by uid). LiteIO's steps — validate, sync members, roll back
 * unplaceable ones, schedule, wait for readiness; deletion in LiteIO's order — with one difference that matters:
 * **the members' capacity is held on the pools' ledgers before any member is created, all or nothing.** The plan's
 * holds go out together; if any pool refuses, the granted ones are released and nothing is written, so a burst of
 * single volumes can never strand half a group. The plan is recorded only when every hold is granted, then the
 * members are created and each claims its hold when it is placed. Every step is an activity in the history.
 */
import { condition, continueAsNew, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { reserveReplySignal, type ReserveReplyMsg } from '../../workflows/messages.js';
import type { volumeGroupActivities } from './activities.js';
import type { ledgerActivities } from '../storage-pool/ledger-activities.js';
import { groupEventSignal, groupWakeSignal, groupWorkflowId, type GroupWorkflowInput } from './messages.js';

const acts = proxyActivities<ReturnType<typeof volumeGroupActivities> & ReturnType<typeof ledgerActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/** Plans tried (each leaving out the pools that refused the last) before a group is reported as not fitting. */
const PLAN_ROUNDS = 3;

/** Passes that wrote, in a row, before waiting for a signal (guards against steps that do not converge). */
const MAX_STEPS_IN_A_ROW = 20;

export async function volumeGroupWorkflow(input: GroupWorkflowInput): Promise<void> {
  // State before handlers: signals of the first activation are delivered inside setHandler.
  let dirty = true;
  let signals = 0;
  const replies = new Map<string, ReserveReplyMsg>();
  const wake = () => {
    dirty = true;
    signals++;
  };
  setHandler(groupEventSignal, wake);
  setHandler(groupWakeSignal, wake);
  setHandler(reserveReplySignal, (m) => void replies.set(m.requestId, m));

  const ref = input.ref;
  const self = groupWorkflowId(ref);
  const ns = ref.namespace;
  let announced = input.announced;
  let steps = 0;
  const release = (holds: { pool: string; uid: string }[]) => Promise.all(holds.map((h) => acts.ledgerRelease({ pool: { namespace: ns, name: h.pool }, uid: h.uid })));

  for (;;) {
    dirty = false;
    const s = await acts.groupSync({ ref, ...(announced !== undefined ? { announced } : {}), ...(input.rollbackAfterMs !== undefined ? { rollbackAfterMs: input.rollbackAfterMs } : {}) });
    if (s.gone) return;
    // What was reported stays reported while it holds: an invalid spec, or (while planning) a plan that did not fit.
    if (s.invalid !== undefined || !s.needsPlan) announced = s.invalid;
    // Deletion done (the finalizer goes, or went): whatever is still held for members goes back to the pools.
    if (s.deleting && (s.step === 'deleted' || s.finished)) await release(s.holds ?? []);
    if (s.deleting && s.step === 'deleted') {
      await condition(() => dirty);
      continue;
    }
    if (s.acted && ++steps < MAX_STEPS_IN_A_ROW) continue;
    steps = 0;
    if (!s.deleting && !s.invalid && s.needsPlan) {
      const planned = await planAndHold();
      if (planned) continue;
    }
    if (workflowInfo().continueAsNewSuggested || signals > 1000) await continueAsNew<typeof volumeGroupWorkflow>({ ...input, announced });
    // Members waiting for their rollback time, or a plan that did not fit: look again after a while; else on signals.
    const recheck = s.unplaced ? (input.rollbackAfterMs ?? 60_000) : s.needsPlan ? 60_000 : undefined;
    await condition(() => dirty, recheck);
  }

  /**
   * Plans, holds every new member's bytes on its pool, records the plan. True when the plan was recorded. A pool whose
   * ledger refuses is left out of the next plan, for a few rounds, before the group is reported as not fitting.
   */
  async function planAndHold(): Promise<boolean> {
    const refusedPools: string[] = [];
    for (let round = 1; ; round++) {
      const r = await planAndHoldOnce(refusedPools);
      if (typeof r === 'boolean') return r;
      refusedPools.push(...r.refused);
      if (round >= PLAN_ROUNDS || !r.refused.length) {
        if (r.message !== announced) await acts.groupReport({ ref, message: r.message });
        announced = r.message;
        return false;
      }
    }
  }

  async function planAndHoldOnce(refusedPools: string[]): Promise<boolean | { refused: string[]; message: string }> {
    const plan = await acts.groupPlan({ ref, holdTtlMs: input.holdTtlMs ?? 10 * 60_000, refused: refusedPools });
    if ('error' in plan) return { refused: [], message: plan.error };
    // All holds go out at once; answers come back as reserveReply signals.
    const tag = uuid4().slice(0, 8);
    const holds = plan.holds.map((h) => ({ ...h, requestId: `${h.requestId}-${tag}` }));
    await Promise.all(holds.map((hold) => acts.groupHold({ hold, replyTo: self })));
    await condition(() => holds.every((h) => replies.has(h.requestId)), input.holdAnswerMs ?? 60_000);
    const refused = holds.filter((h) => !replies.get(h.requestId)?.result.accepted);
    const all = holds.map((h) => ({ pool: h.pool, uid: h.req.uid }));
    const why = refused.map((h) => `${h.pool} ${replies.get(h.requestId)?.result.reason ?? 'did not answer'}`).join(', ');
    for (const h of holds) replies.delete(h.requestId);
    if (refused.length) {
      // All or nothing: give back what was granted (a late grant is released too: the release follows its request).
      await release(all);
      return { refused: refused.map((h) => h.pool), message: `NoStoragePoolAvailable: not every member fits; nothing held (refused by ${why})` };
    }
    const recorded = await acts.groupRecordPlan({ ref, resourceVersion: plan.resourceVersion, volumes: plan.volumes, summary: plan.summary });
    if (!recorded) await release(all); // the group changed meanwhile: plan again from what it is now
    announced = undefined;
    return true;
  }
}
