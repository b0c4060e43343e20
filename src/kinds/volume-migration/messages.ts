/** The migration workflow's signals and input (workflow-safe: no I/O). */
import { defineSignal } from '@temporalio/workflow';
import type { ObjectEvent, VolumeRef } from '../../workflows/messages.js';

export const migrationWorkflowId = (r: VolumeRef): string => `migration/${r.namespace}/${r.name}/${r.uid}`;

/** The migration itself changed (the agents write its migrationInfo) or was deleted. */
export const migrationEventSignal = defineSignal<[ObjectEvent]>('migrationEvent');
/** The source or destination volume changed. */
export const migrationWakeSignal = defineSignal<[{ why: string }]>('migrationWake');

export interface MigrationWorkflowInput {
  ref: VolumeRef;
  /** The wait already announced (carried across continue-as-new). */
  announced?: string;
  /** Safety-net recheck of a waiting phase (ms; default 10 min). */
  recheckMs?: number;
  /** A wait longer than this is reported with a MigrationWaitTimeout Event, once per period (ms; default 10 min). */
  waitWarnMs?: number;
}
