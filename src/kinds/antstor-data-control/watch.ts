/** AntstorDataControl events into its workflow; its volume groups' status changes into a wake signal. */
import type { ObjectEvent } from '../../workflows/messages.js';
import type { AntstorVolumeGroup } from '../antstor-volume-group/types.js';
import type { WatchContext } from '../kind.js';
import { dataControlEventSignal, dataControlWakeSignal, dataControlWorkflowId, type DataControlWorkflowInput } from './messages.js';
import { KIND_DATA_CONTROL, type AntstorDataControl } from './types.js';

export function watchDataControls(ctx: WatchContext): void {
  const refOf = (o: AntstorDataControl) => ({ namespace: ctx.namespace, name: o.metadata.name!, uid: o.metadata.uid! });
  ctx.on<AntstorDataControl>('datacontrol', (e) => {
    const ref = refOf(e.obj);
    const id = dataControlWorkflowId(ref);
    const ev: ObjectEvent = { resourceVersion: e.obj.metadata.resourceVersion ?? '', ...(e.type === 'delete' ? { deleted: true } : {}) };
    ctx.enqueue(`datacontrol/${ref.name}/${ref.uid}`, async () => {
      const wf = ctx.client.workflow;
      if (ev.deleted) return ctx.signalIfRunning(() => wf.getHandle(id).signal(dataControlEventSignal, ev));
      const input: DataControlWorkflowInput = { ref };
      await wf.signalWithStart('dataControlWorkflow', {
        workflowId: id,
        taskQueue: ctx.opts.taskQueue,
        args: [input],
        signal: dataControlEventSignal,
        signalArgs: [ev],
        staticSummary: `AntstorDataControl ${ref.namespace}/${ref.name}: waits for its volume groups, then takes its host`,
      });
      ctx.signalled();
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
      ctx.enqueue(`datacontrol-wake/${ref.name}/${ref.uid}`, () =>
        ctx.signalIfRunning(() => ctx.client.workflow.getHandle(dataControlWorkflowId(ref)).signal(dataControlWakeSignal, { why: `VolumeGroup ${name} is ${e.obj.status?.status || 'creating'}` })),
      );
    }
  });
}
