/**
 * The watcher: turns StoragePool and AntstorVolume events into `signalWithStart` calls on one workflow per
 * object. Signals carry only the resourceVersion; the workflow loads the object itself. When capacity may
 * have appeared (a pool changed, a volume went away), it tells the unschedulable volumes to try again.
 * Safe to run in several replicas: starts are idempotent by workflow id and signals only trigger a reload.
 */
import type { OwnWrites } from './own-writes.js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Finalizers } from '../api/constants.js';
import { volumeTotalBytes } from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CacheEvent, ClusterCache } from '../kube/cluster-cache.js';
import type { Logger } from '../logger.js';
import {
  metasyncDirtySignal,
  poolEventSignal,
  poolStartOptions,
  retryPlacementSignal,
  SA_PHASE,
  SA_VOLUME,
  volumeEventSignal,
  volumeWorkflowId,
  type ObjectEvent,
  type Timings,
  type VolumeWorkflowInput,
} from '../workflows/messages.js';
import { KeyedQueue } from './keyed-queue.js';
import { signalMetaSync } from '../plugins/builtin/metasync-plugin.js';

export interface WatcherOptions {
  taskQueue: string;
  /** Where new pool workflows start (see ActivityDeps.poolTaskQueue). */
  poolTaskQueue?: string;
  /** MetaSync is on: deletions are marked in its workflow (the last write of a row). */
  metasync?: boolean;
  /** Which Node events reach pools (scheduler.nodeCacheSelector; empty = all). */
  nodeCacheSelector?: Record<string, string>;
  timings: Timings;
  /** Delay that coalesces bursts of capacity changes into one retry fan-out (ms). */
  retryDebounceMs?: number;
  /**
   * Wake a volume's workflow when only its status changed. Needed only for user volume plugins (LiteIO reconciles
   * on every change); the placement logic never acts on status, and MetaSync is told directly.
   */
  statusOnlyWakes?: boolean;
  /**
   * Pace of the resync of placed volumes when the controller starts (workflows woken per second; each is a workflow
   * task). New and changed volumes go first whatever this is. Default 100.
   */
  resyncPerSec?: number;
  /** Writes the workflows made themselves (the bind): their events wake nobody, as the workflow ignores them. */
  ownWrites?: OwnWrites;
}

/** What a volume's workflow acts on: everything but status and the API server's own bookkeeping. */
function volumeWakeKey(v: AntstorVolume): string {
  const m = v.metadata;
  return JSON.stringify([v.spec, m.labels, m.annotations, m.finalizers, m.deletionTimestamp, m.uid]);
}

type Work =
  | { kind: 'metasync'; name: string }
  | { kind: 'pool'; name: string; ev: ObjectEvent }
  | { kind: 'volume'; name: string; uid: string; ev: ObjectEvent }
  | { kind: 'retry'; name: string; uid: string; reason: string };

/** Fields whose change can turn an unschedulable volume into a schedulable one. */
function poolCapacityKey(p: StoragePool): string {
  return JSON.stringify([
    p.status?.status,
    p.status?.capacity,
    p.status?.vgFreeSize,
    p.status?.conditions,
    p.metadata.labels,
    p.spec?.nodeInfo,
    p.spec?.kernelLvm?.bytes,
    p.spec?.kernelLvm?.reservedLVol,
    p.spec?.kernelLvm?.vgUUID,
    p.spec?.spdkLVStore,
    p.metadata.deletionTimestamp,
  ]);
}

export class Watcher {
  private readonly queue: KeyedQueue<Work>;
  private retryTimer?: NodeJS.Timeout;
  private retryReasons = new Set<string>();
  private readonly onPool = (e: CacheEvent<StoragePool>) => this.poolEvent(e);
  private readonly onVolume = (e: CacheEvent<AntstorVolume>) => this.volumeEvent(e);
  private readonly onNode = (e: CacheEvent<KubernetesObject>) => this.nodeEvent(e);
  private readonly onLease = (e: CacheEvent<KubernetesObject>) => this.leaseEvent(e);
  signalsSent = 0;

  constructor(
    private readonly cache: ClusterCache,
    private readonly client: Client,
    private readonly opts: WatcherOptions,
    private readonly log: Logger,
  ) {
    this.queue = new KeyedQueue<Work>(
      (key, w) => this.process(w),
      (key, err, retryIn) =>
        this.log.warn(`signal for ${key} failed; retrying in ${retryIn} ms`, { error: (err as Error)?.message ?? String(err) }),
      16,
      30_000,
      4,
      opts.resyncPerSec ?? 100,
    );
  }

  /** Subscribes to the cache. Call before cache.start() so the initial list is seen as adds. */
  start(): void {
    this.cache.on('pool', this.onPool);
    this.cache.on('volume', this.onVolume);
    this.cache.on('node', this.onNode);
    this.cache.on('lease', this.onLease);
  }

  stop(): void {
    this.cache.off('pool', this.onPool);
    this.cache.off('volume', this.onVolume);
    this.cache.off('node', this.onNode);
    this.cache.off('lease', this.onLease);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.queue.close();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private get ns(): string {
    return this.cache.namespace;
  }

  private poolEvent(e: CacheEvent<StoragePool>): void {
    const name = e.obj.metadata.name!;
    const rv = e.obj.metadata.resourceVersion ?? '';
    this.queue.add(`pool/${name}`, { kind: 'pool', name, ev: { resourceVersion: rv, ...(e.type === 'delete' ? { deleted: true } : {}) } });
    // Only a pool that is ready can take a waiting volume: a pool turning unknown, offline or locked wakes nobody
    // (with hundreds of pools losing their heartbeat at once, that herd cost more than the placements).
    const ready = e.type !== 'delete' && e.obj.status?.status === 'ready';
    if (ready && (e.type === 'add' || poolCapacityKey(e.obj) !== poolCapacityKey(e.old as StoragePool))) this.scheduleRetry(`pool ${name} changed`);
    if (e.type === 'delete' && this.opts.metasync) this.queue.add(`metasync/StoragePool/${name}`, { kind: 'metasync', name: `StoragePool/${name}` });
  }

  private volumeEvent(e: CacheEvent<AntstorVolume>): void {
    const v = e.obj;
    const name = v.metadata.name!;
    const uid = v.metadata.uid!;
    const rv = v.metadata.resourceVersion ?? '';
    const old = e.type === 'update' ? (e.old as AntstorVolume | undefined) : undefined;
    if (old && !this.opts.statusOnlyWakes && volumeWakeKey(old) === volumeWakeKey(v)) {
      // Status only (our own status.msg, the agent's status): no workflow task for it; MetaSync mirrors status.
      if (this.opts.metasync) this.queue.add(`metasync/AntstorVolume/${name}`, { kind: 'metasync', name: `AntstorVolume/${name}` });
      return;
    }
    // A placed volume seen by the informer's first list (a controller restart resyncing thousands) goes to the
    // background lane: its workflow only checks that nothing changed, and a new volume must not queue behind it.
    const placed = e.type === 'add' && !!v.spec?.targetNodeId && !v.metadata.deletionTimestamp && !!v.metadata.finalizers?.includes(Finalizers.InState);
    this.queue.add(
      `volume/${name}/${uid}`,
      { kind: 'volume', name, uid, ev: { resourceVersion: rv, ...(e.type === 'delete' ? { deleted: true } : {}) } },
      { background: placed },
    );
    if (e.type === 'delete' && this.opts.metasync) this.queue.add(`metasync/AntstorVolume/${name}`, { kind: 'metasync', name: `AntstorVolume/${name}` });
    if (e.type === 'delete' && v.spec?.targetNodeId) {
      this.scheduleRetry(`volume ${name} released ${v.spec.targetNodeId}`);
      this.wakeDeletingPool(v.spec.targetNodeId);
    }
    if (e.type === 'update') {
      // Unbound, or shrunk (allocated-bytes written by the agent): bytes came free.
      if (old?.spec?.targetNodeId && !v.spec?.targetNodeId) this.scheduleRetry(`volume ${name} unbound`);
      else if (old && v.spec?.targetNodeId && volumeTotalBytes(v) < volumeTotalBytes(old)) this.scheduleRetry(`volume ${name} shrank`);
    }
  }

  /** A Node changed: reconcile the pool of the same name (LockPool, orphan rule), if the node is selected. */
  private nodeEvent(e: CacheEvent<KubernetesObject>): void {
    const name = e.obj.metadata?.name;
    if (!name || !this.cache.getPool(name)) return;
    const labels = e.obj.metadata?.labels ?? {};
    const sel = this.opts.nodeCacheSelector ?? {};
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) return;
    this.wakePool(name, `node:${e.obj.metadata?.resourceVersion ?? ''}`);
  }

  /**
   * A heartbeat Lease changed. Routine renewals of a ready pool are ignored (the pool's own timer covers a
   * lapse); a new Lease, a renewTime that went backwards, or a renewal while the pool is unknown/offline wakes
   * the pool at once.
   */
  private leaseEvent(e: CacheEvent<KubernetesObject>): void {
    const name = e.obj.metadata?.name;
    const pool = name ? this.cache.getPool(name) : undefined;
    if (!name || !pool || e.type === 'delete') return;
    const renew = (o?: KubernetesObject) => Date.parse(String((o as { spec?: { renewTime?: unknown } } | undefined)?.spec?.renewTime ?? ''));
    const now = renew(e.obj);
    const before = renew(e.old);
    const status = pool.status?.status;
    const wake =
      e.type === 'add' || !(before <= now) || status === 'unknown' || status === 'offline' || !status;
    if (wake) this.wakePool(name, `lease:${e.obj.metadata?.resourceVersion ?? ''}`);
  }

  /** A volume left a pool that is being deleted: let the pool finish its deletion now. */
  private wakeDeletingPool(pool: string): void {
    if (this.cache.getPool(pool)?.metadata.deletionTimestamp) this.wakePool(pool, `volume-left:${Date.now()}`);
  }

  /** Signals a pool's workflow because something it depends on changed (`why` stands in for a resourceVersion). */
  private wakePool(name: string, why: string): void {
    this.queue.add(`pool/${name}`, { kind: 'pool', name, ev: { resourceVersion: why } });
  }

  private scheduleRetry(reason: string): void {
    this.retryReasons.add(reason);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const reasons = [...this.retryReasons];
      this.retryReasons.clear();
      const reasonText = reasons.length > 3 ? `${reasons.slice(0, 3).join('; ')} and ${reasons.length - 3} more` : reasons.join('; ');
      for (const v of this.cache.listVolumes()) {
        if (v.spec?.targetNodeId || v.metadata.deletionTimestamp) continue;
        this.queue.add(`retry/${v.metadata.name}/${v.metadata.uid}`, {
          kind: 'retry',
          name: v.metadata.name!,
          uid: v.metadata.uid!,
          reason: reasonText,
        });
      }
    }, this.opts.retryDebounceMs ?? 250);
    this.retryTimer.unref();
  }

  private async process(w: Work): Promise<void> {
    const wf = this.client.workflow;
    if (w.kind === 'metasync') {
      await signalMetaSync(this.client, this.opts, this.ns, metasyncDirtySignal, { key: w.name });
      return;
    }
    if (w.kind === 'pool') {
      const ref = { namespace: this.ns, name: w.name };
      const start = poolStartOptions(this.opts, ref);
      if (w.ev.deleted) return this.signalIfRunning(start.workflowId, () => wf.getHandle(start.workflowId).signal(poolEventSignal, w.ev));
      await wf.signalWithStart('poolWorkflow', {
        ...start,
        signal: poolEventSignal,
        signalArgs: [w.ev],
      });
      this.signalsSent++;
      return;
    }
    const ref = { namespace: this.ns, name: w.name, uid: w.uid };
    const id = volumeWorkflowId(ref);
    if (w.kind === 'retry') {
      return this.signalIfRunning(id, () => wf.getHandle(id).signal(retryPlacementSignal, { reason: w.reason }));
    }
    if (w.ev.deleted) return this.signalIfRunning(id, () => wf.getHandle(id).signal(volumeEventSignal, w.ev));
    // The binding the workflow wrote itself (checked here, not on receipt: by now the bind's response has been
    // seen): the workflow would ignore it, so no workflow task; MetaSync mirrors the row.
    const own = this.opts.statusOnlyWakes ? undefined : this.opts.ownWrites;
    if (own) {
      await own.settled(w.uid);
      if (own.consume(w.uid, w.ev.resourceVersion)) {
        if (this.opts.metasync) this.queue.add(`metasync/AntstorVolume/${w.name}`, { kind: 'metasync', name: `AntstorVolume/${w.name}` });
        return;
      }
    }
    const input: VolumeWorkflowInput = { ref, timings: this.opts.timings };
    await wf.signalWithStart('volumeWorkflow', {
      workflowId: id,
      taskQueue: this.opts.taskQueue,
      args: [input],
      signal: volumeEventSignal,
      signalArgs: [w.ev],
      staticSummary: `AntstorVolume ${ref.namespace}/${ref.name}: placement and lifecycle`,
      ...(this.opts.timings.useSearchAttributes === false
        ? {}
        : {
            typedSearchAttributes: [
              { key: SA_VOLUME, value: `${ref.namespace}/${ref.name}` },
              { key: SA_PHASE, value: 'Pending' },
            ],
          }),
    });
    this.signalsSent++;
  }

  private async signalIfRunning(id: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
      this.signalsSent++;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return; // nothing running for it: nothing to tell
      throw e;
    }
  }
}
