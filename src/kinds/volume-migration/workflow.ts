/**
 * MigrationWorkflow: one per VolumeMigration (by uid). LiteIO's phase machine Pending → CreatingVolume → SetupPipe →
 * Syncing → Cleaning → Finished, one step per activity: every phase transition is a line in the history and a
 * MigrationPhase Event. Waits on the agents' fields (the pipe, the host connection, the auto switch) and on the
 * destination volume are woken by their watch events instead of LiteIO's 30–60 s polls; a wait longer than
 * `waitWarnMs` is recorded (an Event, a timer in the history) and the wait goes on. Ends when the object is gone.
 */
import { continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import { StepLoop } from '../../workflows/step-loop.js';
import type { migrationActivities } from './activities.js';
import { migrationEventSignal, migrationWakeSignal, type MigrationWorkflowInput } from './messages.js';

const acts = proxyActivities<ReturnType<typeof migrationActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

export async function migrationWorkflow(input: MigrationWorkflowInput): Promise<void> {
  const loop = new StepLoop();
  setHandler(migrationEventSignal, loop.wake);
  setHandler(migrationWakeSignal, loop.wake);
  await loop.run({
    pass: (announced) => acts.migrationReconcile({ ref: input.ref, ...(announced !== undefined ? { announced } : {}) }),
    waiting: (s) => s.kind === 'wait',
    recheckMs: input.recheckMs ?? 10 * 60_000,
    longWaitMs: input.waitWarnMs ?? 10 * 60_000,
    longWait: (message, waitedMs) => acts.migrationReportLongWait({ ref: input.ref, message, waitedMs }),
    ...(input.announced !== undefined ? { announced: input.announced } : {}),
    continueAsNew: (announced) => continueAsNew<typeof migrationWorkflow>({ ...input, announced }),
  });
}
