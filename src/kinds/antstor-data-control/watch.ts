/** AntstorDataControl events into its workflow; its volume groups' status changes into a wake signal. */
import type { AntstorVolumeGroup } from '../antstor-volume-group/types.js';
import type { WatchContext } from '../kind.js';
import { dataControlEventSignal, dataControlWakeSignal, dataControlWorkflowId, type DataControlWorkflowInput } from './messages.js';
import { KIND_DATA_CONTROL, type AntstorDataControl } from './types.js';

export function watchDataControls(ctx: WatchContext): void {
  const refOf = (o: AntstorDataControl) => ({ namespace: ctx.namespace, name: o.metadata.name!, uid: o.metadata.uid! });
  ctx.on<AntstorDataControl>('datacontrol', (e) => {
    const ref = refOf(e.obj);
    const input: DataControlWorkflowInput = { ref };
    ctx.startOrSignal({
      key: `datacontrol/${ref.name}/${ref.uid}`,
      workflowType: 'dataControlWorkflow',
      workflowId: dataControlWorkflowId(ref),
      input,
      signal: dataControlEventSignal,
      arg: { resourceVersion: e.obj.metadata.resourceVersion ?? '', ...(e.type === 'delete' ? { deleted: true } : {}) },
      deleted: e.type === 'delete',
      summary: `AntstorDataControl ${ref.namespace}/${ref.name}: waits for its volume groups, then takes its host`,
    });
    // LiteIO's MetaSync plugin runs on every reconcile of a DataControl: its row follows every change.
    if (ctx.opts.metasync) ctx.metasyncDirty(KIND_DATA_CONTROL, ref.name);
  });

  // A group's status changed: the DataControls that wait on it go on.
  ctx.on<AntstorVolumeGroup>('volumegroup', (e) => {
    if (e.type === 'update' && (e.old as AntstorVolumeGroup | undefined)?.status?.status === e.obj.status?.status) return;
    const name = e.obj.metadata.name;
    for (const dc of ctx.cache.list<AntstorDataControl>('datacontrol')) {
      if (!dc.spec?.volumeGroups?.some((r) => r.name === name)) continue;
      const ref = refOf(dc);
      ctx.wake(`datacontrol-wake/${ref.name}/${ref.uid}`, dataControlWorkflowId(ref), dataControlWakeSignal, { why: `VolumeGroup ${name} is ${e.obj.status?.status || 'creating'}` });
    }
  });
}
