/** The volume group workflow's signals and input (workflow-safe: no I/O). */
import { defineSignal } from '@temporalio/workflow';
import type { ObjectEvent, VolumeRef } from '../../workflows/messages.js';

export const groupWorkflowId = (r: VolumeRef): string => `volumegroup/${r.namespace}/${r.name}/${r.uid}`;

/** The group itself changed or was deleted. */
export const groupEventSignal = defineSignal<[ObjectEvent]>('groupEvent');
/** A member volume changed, capacity may have come free, or the DataControl that holds the group went away. */
export const groupWakeSignal = defineSignal<[{ why: string }]>('groupWake');

export interface GroupWorkflowInput {
  ref: VolumeRef;
  /** The report already made (status.message and an Event), carried across continue-as-new. */
  announced?: string;
  /** How long a member's capacity is held on a pool's ledger before the member claims it (ms; default 10 min). */
  holdTtlMs?: number;
  /** A member the scheduler cannot place is deleted and re-planned after this long (ms; LiteIO: 1 min). */
  rollbackAfterMs?: number;
  /** How long the answers of the pools asked to hold members are awaited (ms; default 60 s). */
  holdAnswerMs?: number;
}
