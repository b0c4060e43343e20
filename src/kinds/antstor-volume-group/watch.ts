/**
 * AntstorVolumeGroup events into the group's workflow; its members' events, capacity coming free (for a group whose
 * plan does not fit yet) and the deletion of the DataControl that holds it, into a wake signal.
 */
import type { AntstorVolume } from '../../api/types.js';
import type { WatchContext } from '../kind.js';
import { groupEventSignal, groupWakeSignal, groupWorkflowId, type GroupWorkflowInput } from './messages.js';
import { GroupLabels, KIND_GROUP, type AntstorVolumeGroup } from './types.js';

export function watchVolumeGroups(ctx: WatchContext): void {
  const refOf = (g: AntstorVolumeGroup) => ({ namespace: ctx.namespace, name: g.metadata.name!, uid: g.metadata.uid! });
  const wake = (g: AntstorVolumeGroup, why: string) => {
    const ref = refOf(g);
    ctx.wake(`volumegroup-wake/${ref.name}/${ref.uid}`, groupWorkflowId(ref), groupWakeSignal, { why });
  };
  const groups = () => ctx.cache.list<AntstorVolumeGroup>('volumegroup');

  ctx.on<AntstorVolumeGroup>('volumegroup', (e) => {
    const ref = refOf(e.obj);
    const t = ctx.opts.timings;
    const input: GroupWorkflowInput = {
      ref,
      ...(t.groupHoldTtlMs ? { holdTtlMs: t.groupHoldTtlMs } : {}),
      ...(t.groupRollbackAfterMs ? { rollbackAfterMs: t.groupRollbackAfterMs } : {}),
    };
    ctx.startOrSignal({
      key: `volumegroup/${ref.name}/${ref.uid}`,
      workflowType: 'volumeGroupWorkflow',
      workflowId: groupWorkflowId(ref),
      input,
      signal: groupEventSignal,
      arg: { resourceVersion: e.obj.metadata.resourceVersion ?? '', ...(e.type === 'delete' ? { deleted: true } : {}) },
      deleted: e.type === 'delete',
      summary: `AntstorVolumeGroup ${ref.namespace}/${ref.name}: members held, created and watched`,
    });
    // LiteIO's MetaSync plugin runs on every reconcile of a group: its row follows every change.
    if (ctx.opts.metasync) ctx.metasyncDirty(KIND_GROUP, ref.name);
  });

  // A member changed (placed, ready, unschedulable, deleted): its group's status or deletion moves on.
  ctx.on<AntstorVolume>('volume', (e) => {
    const owner = e.obj.metadata.ownerReferences?.find((o) => o.kind === KIND_GROUP);
    if (!owner) return;
    const old = e.old as AntstorVolume | undefined;
    const v = e.obj;
    if (e.type === 'update' && old?.status?.status === v.status?.status && old?.status?.msg === v.status?.msg && old?.spec?.targetNodeId === v.spec?.targetNodeId && !!old?.metadata.deletionTimestamp === !!v.metadata.deletionTimestamp) return;
    const g = groups().find((x) => x.metadata.uid === owner.uid);
    if (g) wake(g, `member ${v.metadata.name} ${e.type === 'delete' ? 'deleted' : `is ${v.status?.status || 'new'}${v.spec?.targetNodeId ? ` on ${v.spec.targetNodeId}` : ''}`}`);
  });

  // Room may have appeared for a group whose plan did not fit.
  ctx.onCapacityChanged((reason) => {
    for (const g of groups()) {
      const planned = (g.spec?.volumes ?? []).reduce((s, m) => s + (m.size || 0), 0);
      if (!g.metadata.deletionTimestamp && planned < (g.spec?.totalSize ?? 0)) wake(g, reason);
    }
  });

  // A group's deletion waits for the DataControl named by its label.
  ctx.on('datacontrol', (e) => {
    if (e.type !== 'delete') return;
    const name = (e.obj as { metadata?: { name?: string } }).metadata?.name;
    for (const g of groups()) if (g.metadata.deletionTimestamp && g.metadata.labels?.[GroupLabels.DataControlName] === name) wake(g, `AntstorDataControl ${name} deleted`);
  });
}
