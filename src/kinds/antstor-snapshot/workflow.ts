/**
 * SnapshotWorkflow: one per AntstorSnapshot (by uid). Runs LiteIO's snapshot reconciler one step per activity, so
 * each label, size rounding, binding to the origin's pool and status change is a line in the history. Where LiteIO
 * requeues every 1–3 minutes, it waits for the watch event of what it waits on (the origin volume, the sibling
 * snapshot), with a long safety-net timer. Ends when the snapshot is gone.
 */
import { continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import { StepLoop } from '../../workflows/step-loop.js';
import type { snapshotActivities } from './activities.js';
import { snapshotEventSignal, snapshotWakeSignal, type SnapshotWorkflowInput } from './messages.js';

const acts = proxyActivities<ReturnType<typeof snapshotActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

export async function snapshotWorkflow(input: SnapshotWorkflowInput): Promise<void> {
  // The loop (its state) exists before the handlers: signals of the first activation are delivered in setHandler.
  const loop = new StepLoop();
  setHandler(snapshotEventSignal, loop.wake);
  setHandler(snapshotWakeSignal, loop.wake);
  await loop.run({
    pass: (announced) => acts.snapshotReconcile({ ref: input.ref, ...(announced !== undefined ? { announced } : {}) }),
    waiting: (s) => s.kind === 'wait' || s.kind === 'awaitAgent',
    recheckMs: input.recheckMs ?? 10 * 60_000,
    ...(input.announced !== undefined ? { announced: input.announced } : {}),
    continueAsNew: (announced) => continueAsNew<typeof snapshotWorkflow>({ ...input, ...(announced !== undefined ? { announced } : { announced: undefined }) }),
  });
}
