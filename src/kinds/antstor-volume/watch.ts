/**
 * AntstorVolume events into the volume's workflow (signalWithStart; the signal carries only the resourceVersion,
 * the workflow loads the object itself). When capacity may have appeared, the unschedulable volumes are told to
 * try again. The bind's own watch event wakes nobody (watcher/own-writes.ts).
 */
import { Finalizers } from '../../api/constants.js';
import { bindingComplete, volumeTotalBytes } from '../../api/objects.js';
import type { AntstorVolume } from '../../api/types.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import { poolWorkflowId, releaseSignal, retryPlacementSignal, volumeEventSignal, volumeStartOptions, volumeWorkflowId, type ObjectEvent, type VolumeWorkflowInput } from '../../workflows/messages.js';
import type { WatchContext } from '../kind.js';
import { wakePool } from '../storage-pool/watch.js';
import { PlacerFeed } from './placer-feed.js';
import { ReleaserFeed } from './releaser-feed.js';
import { releasable } from './releaser-rules.js';
import { volumeWakeKey } from './wake-key.js';
import { rowVersion, volumeRow } from '../../plugins/metasync/rows.js';


/**
 * A volume the placer can take: unbound, not being deleted, never reported on (a volume with a status.msg from an
 * earlier placement attempt has a workflow that owns it), and not told to stop.
 */
function newPending(v: AntstorVolume): boolean {
  return !v.spec?.targetNodeId && !v.metadata.deletionTimestamp && !v.status?.msg && !v.spec?.stopReconcile;
}

const created = (v: AntstorVolume): number => Date.parse(v.metadata.creationTimestamp ?? '') || 0;

export function watchVolumes(ctx: WatchContext): void {
  const feed = ctx.opts.placer
    ? new PlacerFeed(ctx.client, ctx.opts, ctx.namespace, ctx.log, {
        ...(ctx.opts.placerMaxInFlight ? { maxInFlight: ctx.opts.placerMaxInFlight } : {}),
        stillNew: (sent) => {
          const v = ctx.cache.getVolume(sent.name);
          return v && v.metadata.uid === sent.uid && newPending(v) ? { namespace: ctx.namespace, name: sent.name, uid: sent.uid } : undefined;
        },
      })
    : undefined;
  const releaser =
    feed && ctx.opts.releaser
      ? new ReleaserFeed(ctx.client, ctx.opts, ctx.namespace, ctx.log, {
          ...(ctx.opts.placerMaxInFlight ? { maxInFlight: ctx.opts.placerMaxInFlight } : {}),
          stillNew: (sent) => {
            const v = ctx.cache.getVolume(sent.ref.name);
            return v && v.metadata.uid === sent.ref.uid && releasable(v) ? { ref: sent.ref, pool: v.spec.targetNodeId! } : undefined;
          },
        })
      : undefined;
  const since = Date.now();
  if (feed) ctx.onStop(() => feed.close());
  if (releaser) ctx.onStop(() => releaser.close());
  ctx.on<AntstorVolume>('volume', (e) => {
    const v = e.obj;
    const name = v.metadata.name!;
    const uid = v.metadata.uid!;
    const rv = v.metadata.resourceVersion ?? '';
    const old = e.type === 'update' ? (e.old as AntstorVolume | undefined) : undefined;
    // Bound, reported, being deleted or gone: no longer with the placer (its window makes room for the next).
    if (feed && (e.type === 'delete' || !newPending(v))) feed.done(uid);
    // Gone: no longer with the releaser. One it had (sent and not expired) is released by it, before its finalizer
    // went or on finding it gone, so the watcher's own fallback release below is not needed.
    const released = !!releaser && e.type === 'delete' && releaser.done(uid);
    if (old && !ctx.opts.statusOnlyWakes && volumeWakeKey(old) === volumeWakeKey(v)) {
      // Status only (our own status.msg, the agent's status): no workflow task for it; MetaSync mirrors status.
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
    // A placed volume seen by the informer's first list (a controller restart resyncing thousands) goes to the
    // background lane: its workflow only checks that nothing changed, and a new volume must not queue behind it.
    const placed = e.type === 'add' && !!v.spec?.targetNodeId && !v.metadata.deletionTimestamp && !!v.metadata.finalizers?.includes(Finalizers.InState);
    const ev: ObjectEvent = { resourceVersion: rv, ...(e.type === 'delete' ? { deleted: true } : {}) };
    // v0.8.0: a placed volume that existed before this controller started has nothing to do (its run parked when
    // it was bound); its pool's ledger is checked against the API server when the pool is first seen (resync).
    if (feed && placed && bindingComplete(v) && created(v) < since) {
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
    if (releaser && e.type !== 'delete' && releasable(v)) {
      // v0.17.0: released and finalized in a batch by the releaser; the volume's parked run is not woken.
      const item = { ref: { namespace: ctx.namespace, name, uid }, pool: v.spec.targetNodeId! };
      ctx.enqueue(`volume/${name}/${uid}`, async () => releaser.add(item));
      // MetaSync's HandleDeletion, which the volume's own workflow would have run: the row as of the deletion.
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name, { row: volumeRow(v), resourceVersion: rowVersion(rv) });
      return;
    }
    if (feed && e.type !== 'delete' && newPending(v)) {
      // v0.8.0: admitted in a batch by the placer, which starts the volume's workflow once it is bound.
      const ref = { namespace: ctx.namespace, name, uid };
      ctx.enqueue(`volume/${name}/${uid}`, async () => feed.add(ref));
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
    ctx.enqueue(`volume/${name}/${uid}`, () => signalVolume(ctx, name, uid, ev, released ? undefined : v.spec?.targetNodeId, volumeWakeKey(v)), { background: placed });
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
      // A new volume the placer has (no status.msg: never reported) has no workflow waiting for capacity: the
      // signal would only be refused. At W2's size that was thousands of refused signals per capacity change.
      // Its placer sees the change in its next filter pass; a volume whose workflow reported it unschedulable has
      // a status.msg and is woken.
      if (feed && newPending(v)) continue;
      const name = v.metadata.name!;
      const id = volumeWorkflowId({ namespace: ctx.namespace, name, uid: v.metadata.uid! });
      ctx.wake(`retry/${name}/${v.metadata.uid}`, id, retryPlacementSignal, { reason });
    }
  });
}

async function signalVolume(ctx: WatchContext, name: string, uid: string, ev: ObjectEvent, pool?: string, key?: string): Promise<void> {
  const wf = ctx.client.workflow;
  const ref = { namespace: ctx.namespace, name, uid };
  const id = volumeWorkflowId(ref);
  if (ev.deleted) {
    let running = true;
    await ctx.signalIfRunning(() =>
      wf
        .getHandle(id)
        .signal(volumeEventSignal, ev)
        .catch((e) => {
          if (e instanceof WorkflowNotFoundError) running = false;
          throw e;
        }),
    );
    // v0.8.0: a parked run (bound, idle, ended) is not there to release the volume's bytes: the watcher does.
    if (!running && pool) await ctx.client.workflow.getHandle(poolWorkflowId({ namespace: ctx.namespace, name: pool })).signal(releaseSignal, { uid }).catch((e) => {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    });
    return;
  }
  // The binding the workflow wrote itself (checked here, not on receipt: by now the bind's response has been
  // seen): the workflow would ignore it, so no workflow task; MetaSync mirrors the row.
  const own = ctx.opts.statusOnlyWakes ? undefined : ctx.opts.ownWrites;
  if (own) {
    await own.settled(uid);
    if (own.consume(uid, ev.resourceVersion, key)) {
      if (ctx.opts.metasync) ctx.metasyncDirty('AntstorVolume', name);
      return;
    }
  }
  const input: VolumeWorkflowInput = { ref, timings: ctx.opts.timings };
  await wf.signalWithStart('volumeWorkflow', { ...volumeStartOptions(ctx.opts, input), signal: volumeEventSignal, signalArgs: [ev] });
  ctx.signalled();
}

