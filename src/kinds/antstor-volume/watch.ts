/**
 * AntstorVolume events into the volume's workflow (signalWithStart; the signal carries only the resourceVersion,
 * the workflow loads the object itself). When capacity may have appeared, the unschedulable volumes are told to
 * try again. The bind's own watch event wakes nobody (watcher/own-writes.ts).
 */
import { Finalizers } from '../../api/constants.js';
import { volumeTotalBytes } from '../../api/objects.js';
import type { AntstorVolume } from '../../api/types.js';
import { retryPlacementSignal, SA_PHASE, SA_VOLUME, volumeEventSignal, volumeWorkflowId, type ObjectEvent, type VolumeWorkflowInput } from '../../workflows/messages.js';
import type { WatchContext } from '../kind.js';
import { wakePool } from '../storage-pool/watch.js';

/** What a volume's workflow acts on: everything but status and the API server's own bookkeeping. */
function volumeWakeKey(v: AntstorVolume): string {
  const m = v.metadata;
  return JSON.stringify([v.spec, m.labels, m.annotations, m.finalizers, m.deletionTimestamp, m.uid]);
}

export function watchVolumes(ctx: WatchContext): void {
  ctx.on<AntstorVolume>('volume', (e) => {
    const v = e.obj;
    const name = v.metadata.name!;
    const uid = v.metadata.uid!;
    const rv = v.metadata.resourceVersion ?? '';
    const old = e.type === 'update' ? (e.old as AntstorVolume | undefined) : undefined;
    if (old && !ctx.opts.statusOnlyWakes && volumeWakeKey(old) === volumeWakeKey(v)) {
      // Status only (our own status.msg, the agent's status): no workflow task for it; MetaSync mirrors status.
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
    // A placed volume seen by the informer's first list (a controller restart resyncing thousands) goes to the
    // background lane: its workflow only checks that nothing changed, and a new volume must not queue behind it.
    const placed = e.type === 'add' && !!v.spec?.targetNodeId && !v.metadata.deletionTimestamp && !!v.metadata.finalizers?.includes(Finalizers.InState);
    const ev: ObjectEvent = { resourceVersion: rv, ...(e.type === 'delete' ? { deleted: true } : {}) };
    ctx.enqueue(`volume/${name}/${uid}`, () => signalVolume(ctx, name, uid, ev), { background: placed });
    if (e.type === 'delete' && ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
    if (e.type === 'delete' && v.spec?.targetNodeId) {
      ctx.capacityChanged(`volume ${name} released ${v.spec.targetNodeId}`);
      // A volume left a pool that is being deleted: let the pool finish its deletion now.
      if (ctx.cache.getPool(v.spec.targetNodeId)?.metadata.deletionTimestamp) wakePool(ctx, v.spec.targetNodeId, `volume-left:${Date.now()}`);
    }
    if (e.type === 'update') {
      // Unbound, or shrunk (allocated-bytes written by the agent): bytes came free.
      if (old?.spec?.targetNodeId && !v.spec?.targetNodeId) ctx.capacityChanged(`volume ${name} unbound`);
      else if (old && v.spec?.targetNodeId && volumeTotalBytes(v) < volumeTotalBytes(old)) ctx.capacityChanged(`volume ${name} shrank`);
    }
  });

  // Capacity may have appeared: every pending volume's workflow runs its filter pass again.
  ctx.onCapacityChanged((reason) => {
    for (const v of ctx.cache.listVolumes()) {
      if (v.spec?.targetNodeId || v.metadata.deletionTimestamp) continue;
      const name = v.metadata.name!;
      const id = volumeWorkflowId({ namespace: ctx.namespace, name, uid: v.metadata.uid! });
      ctx.wake(`retry/${name}/${v.metadata.uid}`, id, retryPlacementSignal, { reason });
    }
  });
}

async function signalVolume(ctx: WatchContext, name: string, uid: string, ev: ObjectEvent): Promise<void> {
  const wf = ctx.client.workflow;
  const ref = { namespace: ctx.namespace, name, uid };
  const id = volumeWorkflowId(ref);
  if (ev.deleted) return ctx.signalIfRunning(() => wf.getHandle(id).signal(volumeEventSignal, ev));
  // The binding the workflow wrote itself (checked here, not on receipt: by now the bind's response has been
  // seen): the workflow would ignore it, so no workflow task; MetaSync mirrors the row.
  const own = ctx.opts.statusOnlyWakes ? undefined : ctx.opts.ownWrites;
  if (own) {
    await own.settled(uid);
    if (own.consume(uid, ev.resourceVersion)) {
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
  }
  const input: VolumeWorkflowInput = { ref, timings: ctx.opts.timings };
  await wf.signalWithStart('volumeWorkflow', {
    workflowId: id,
    taskQueue: ctx.opts.taskQueue,
    args: [input],
    signal: volumeEventSignal,
    signalArgs: [ev],
    staticSummary: `AntstorVolume ${ref.namespace}/${ref.name}: placement and lifecycle`,
    ...(ctx.opts.timings.useSearchAttributes === false
      ? {}
      : {
          typedSearchAttributes: [
            { key: SA_VOLUME, value: `${ref.namespace}/${ref.name}` },
            { key: SA_PHASE, value: 'Pending' },
          ],
        }),
  });
  ctx.signalled();
}

