/** The data-control workflow's signals and input (workflow-safe: no I/O). */
import { defineSignal } from '@temporalio/workflow';
import type { ObjectEvent, VolumeRef } from '../../workflows/messages.js';

export const dataControlWorkflowId = (r: VolumeRef): string => `datacontrol/${r.namespace}/${r.name}/${r.uid}`;
export const dataControlEventSignal = defineSignal<[ObjectEvent]>('dataControlEvent');
/** A volume group it waits on changed. */
export const dataControlWakeSignal = defineSignal<[{ why: string }]>('dataControlWake');

export interface DataControlWorkflowInput {
  ref: VolumeRef;
  announced?: string;
  recheckMs?: number;
}
