/** The snapshot workflow's signals and input (workflow-safe: no I/O). */
import { defineSignal } from '@temporalio/workflow';
import type { ObjectEvent, VolumeRef } from '../../workflows/messages.js';

export const snapshotWorkflowId = (r: VolumeRef): string => `snapshot/${r.namespace}/${r.name}/${r.uid}`;

/** The snapshot itself changed (resourceVersion) or was deleted. */
export const snapshotEventSignal = defineSignal<[ObjectEvent]>('snapshotEvent');
/** Something a waiting step depends on changed: the origin volume, a sibling snapshot, the origin's pool. */
export const snapshotWakeSignal = defineSignal<[{ why: string }]>('snapshotWake');

export interface SnapshotWorkflowInput {
  ref: VolumeRef;
  /** The wait message already announced by an Event (carried across continue-as-new, so it is not repeated). */
  announced?: string;
  /** Safety-net recheck of a waiting step, in case a watch event was missed (ms; default 10 min). */
  recheckMs?: number;
}
