/**
 * DataControlWorkflow: one per AntstorDataControl (by uid). LiteIO's steps one per activity; the wait on its volume
 * groups' readiness is woken by their watch events (LiteIO polls every 20 s), with a safety timer.
 */
import { continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import { StepLoop } from '../../workflows/step-loop.js';
import type { dataControlActivities } from './activities.js';
import { dataControlEventSignal, dataControlWakeSignal, type DataControlWorkflowInput } from './messages.js';

const acts = proxyActivities<ReturnType<typeof dataControlActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

export async function dataControlWorkflow(input: DataControlWorkflowInput): Promise<void> {
  const loop = new StepLoop();
  setHandler(dataControlEventSignal, loop.wake);
  setHandler(dataControlWakeSignal, loop.wake);
  await loop.run({
    pass: (announced) => acts.dataControlReconcile({ ref: input.ref, ...(announced !== undefined ? { announced } : {}) }),
    waiting: (s) => s.kind === 'wait' || s.kind === 'invalid',
    recheckMs: input.recheckMs ?? 10 * 60_000,
    ...(input.announced !== undefined ? { announced: input.announced } : {}),
    continueAsNew: (announced) => continueAsNew<typeof dataControlWorkflow>({ ...input, announced }),
  });
}
