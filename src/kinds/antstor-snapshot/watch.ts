/**
 * AntstorSnapshot events into the snapshot's workflow; and the events a waiting snapshot depends on (its origin
 * volume, its sibling snapshots, its pool's deletion) into a wake signal, so nothing polls.
 */
import type { AntstorVolume, StoragePool } from '../../api/types.js';
import { Annotations } from '../../api/constants.js';
import type { WatchContext } from '../kind.js';
import { snapshotEventSignal, snapshotWakeSignal, snapshotWorkflowId, type SnapshotWorkflowInput } from './messages.js';
import { SnapshotLabels, type AntstorSnapshot } from './types.js';

export function watchSnapshots(ctx: WatchContext): void {
  const refOf = (s: AntstorSnapshot) => ({ namespace: ctx.namespace, name: s.metadata.name!, uid: s.metadata.uid! });
  const wake = (s: AntstorSnapshot, why: string) => {
    const id = snapshotWorkflowId(refOf(s));
    ctx.wake(`snapshot-wake/${s.metadata.name}/${s.metadata.uid}`, id, snapshotWakeSignal, { why });
  };
  const snapshots = () => ctx.cache.list<AntstorSnapshot>('snapshot');

  ctx.on<AntstorSnapshot>('snapshot', (e) => {
    const s = e.obj;
    const ref = refOf(s);
    const input: SnapshotWorkflowInput = { ref };
    ctx.startOrSignal({
      key: `snapshot/${ref.name}/${ref.uid}`,
      workflowType: 'snapshotWorkflow',
      workflowId: snapshotWorkflowId(ref),
      input,
      signal: snapshotEventSignal,
      arg: { resourceVersion: s.metadata.resourceVersion ?? '', ...(e.type === 'delete' ? { deleted: true } : {}) },
      deleted: e.type === 'delete',
      summary: `AntstorSnapshot ${ref.namespace}/${ref.name}: LiteIO's snapshot steps`,
    });
    // One live snapshot per origin: a sibling that merged or went away may let a waiting one go on.
    const origin = s.metadata.labels?.[SnapshotLabels.OriginVolumeName];
    const statusChanged = e.type !== 'update' || (e.old as AntstorSnapshot | undefined)?.status?.status !== s.status?.status;
    if (origin && statusChanged) {
      for (const o of snapshots()) {
        if (o.metadata.uid !== s.metadata.uid && o.metadata.labels?.[SnapshotLabels.OriginVolumeName] === origin && o.status?.status !== 'merged') wake(o, `snapshot ${s.metadata.name} of the same origin ${e.type === 'delete' ? 'deleted' : `is ${s.status?.status || 'new'}`}`);
      }
    }
  });

  // The origin volume was created, placed, deleted or its snapshot reserve changed.
  ctx.on<AntstorVolume>('volume', (e) => {
    const v = e.obj;
    const old = e.old as AntstorVolume | undefined;
    const reserve = (x?: AntstorVolume) => x?.metadata.annotations?.[Annotations.SnapshotReservedBytes];
    if (e.type === 'update' && old?.spec?.targetNodeId === v.spec?.targetNodeId && reserve(old) === reserve(v)) return;
    for (const s of snapshots()) {
      if (s.spec?.originVolName !== v.metadata.name || (s.spec.originVolNamespace || ctx.namespace) !== ctx.namespace) continue;
      if (s.status?.status === 'merged' || (s.spec.originVolTargetNodeId && s.status?.status)) continue; // nothing left to wait for
      wake(s, `origin volume ${v.metadata.name} ${e.type === 'delete' ? 'deleted' : e.type === 'add' ? 'created' : 'changed'}`);
    }
  });

  // A deleting snapshot whose pool went away loses its finalizers (the agent that would remove them is gone).
  ctx.on<StoragePool>('pool', (e) => {
    if (e.type !== 'delete') return;
    for (const s of snapshots()) if (s.metadata.deletionTimestamp && s.spec?.originVolTargetNodeId === e.obj.metadata.name) wake(s, `pool ${e.obj.metadata.name} deleted`);
  });
}
