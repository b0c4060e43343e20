/**
 * The watcher: turns the cache's events into `signalWithStart` calls on one workflow per object, through each
 * registered kind's watch registration (src/kinds/<kind>/watch.ts). Signals carry only the resourceVersion; the
 * workflow loads the object itself. It owns the keyed queue, the MetaSync marks and the debounced "capacity may
 * have appeared" fan-out. Safe to run in several replicas: starts are idempotent by workflow id and signals only
 * trigger a reload.
 */
import type { OwnWrites } from './own-writes.js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { KubernetesObject } from '../kube/client-node.js';
import type { CacheEvent, ClusterCache } from '../kube/cluster-cache.js';
import type { Logger } from '../logger.js';
import { metasyncDirtySignal, type Timings } from '../workflows/messages.js';
import type { KindModule, WatchContext } from '../kinds/kind.js';
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
  /**
   * v0.8.0: new, unbound volumes go to the namespace's placer (batched admission) instead of each starting its own
   * workflow first. Off when user volume plugins are configured (they run before placement, in the volume's
   * workflow).
   */
  placer?: boolean;
  /** v0.9.0: volumes with the placer at once (PLACER_MAX_IN_FLIGHT; default 1,000): the rest wait in the watcher. */
  placerMaxInFlight?: number;
  /**
   * v0.17.0 (with the placer): bound volumes being deleted with only the in-state finalizer left go to the
   * namespace's releaser (batched deletion) instead of each waking its own workflow (BATCHED_RELEASE=0 turns it off).
   */
  releaser?: boolean;
  /** Writes the workflows made themselves (the bind): their events wake nobody, as the workflow ignores them. */
  ownWrites?: OwnWrites;
}

type Work = () => Promise<void>;

export class Watcher {
  private readonly queue: KeyedQueue<Work>;
  private retryTimer?: NodeJS.Timeout;
  private retryReasons = new Set<string>();
  private readonly capacityHandlers: ((reasons: string) => void)[] = [];
  private readonly subscriptions: [string, (e: CacheEvent<KubernetesObject>) => void][] = [];
  signalsSent = 0;
  private readonly stopHooks: (() => void)[] = [];

  constructor(
    private readonly cache: ClusterCache,
    private readonly client: Client,
    private readonly opts: WatcherOptions,
    private readonly log: Logger,
    private readonly kinds: readonly KindModule[],
  ) {
    this.queue = new KeyedQueue<Work>(
      (_key, run) => run(),
      (key, err, retryIn) =>
        this.log.warn(`signal for ${key} failed; retrying in ${retryIn} ms`, { error: (err as Error)?.message ?? String(err) }),
      16,
      30_000,
      4,
      opts.resyncPerSec ?? 100,
    );
  }

  /** Subscribes every kind to the cache. Call before cache.start() so the initial list is seen as adds. */
  start(): void {
    const ctx: WatchContext = {
      namespace: this.cache.namespace,
      cache: this.cache,
      client: this.client,
      opts: this.opts,
      log: this.log,
      on: (event, handler) => {
        const h = handler as (e: CacheEvent<KubernetesObject>) => void;
        this.subscriptions.push([event, h]);
        this.cache.on(event, h);
      },
      enqueue: (key, run, o) => this.queue.add(key, run, o),
      metasyncDirty: (kind, name, tombstone) => {
        if (!this.opts.metasync) return;
        // A tombstone has its own queue key: a plain mark queued after it (the latest work for a key wins) must not
        // drop it.
        const key = `metasync/${kind}/${name}${tombstone ? '/tombstone' : ''}`;
        this.queue.add(key, () => signalMetaSync(this.client, this.opts, this.cache.namespace, metasyncDirtySignal, { key: `${kind}/${name}`, ...(tombstone ? { tombstone } : {}) }));
      },
      startOrSignal: (o) =>
        this.queue.add(o.key, async () => {
          const wf = this.client.workflow;
          if (o.deleted) return this.signalIfRunning(() => wf.getHandle(o.workflowId).signal(o.signal, o.arg));
          await wf.signalWithStart(o.workflowType, { workflowId: o.workflowId, taskQueue: this.opts.taskQueue, args: [o.input], signal: o.signal, signalArgs: [o.arg], staticSummary: o.summary });
          this.signalsSent++;
        }),
      wake: (key, workflowId, signal, arg) => this.queue.add(key, () => this.signalIfRunning(() => this.client.workflow.getHandle(workflowId).signal(signal, arg))),
      capacityChanged: (reason) => this.scheduleRetry(reason),
      onCapacityChanged: (h) => this.capacityHandlers.push(h),
      signalIfRunning: (send) => this.signalIfRunning(send),
      signalled: () => void this.signalsSent++,
      onStop: (fn) => void this.stopHooks.push(fn),
    };
    for (const k of this.kinds) k.watch(ctx);
  }

  stop(): void {
    for (const fn of this.stopHooks.splice(0)) fn();
    for (const [event, h] of this.subscriptions.splice(0)) this.cache.off(event, h);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.queue.close();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private scheduleRetry(reason: string): void {
    this.retryReasons.add(reason);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const reasons = [...this.retryReasons];
      this.retryReasons.clear();
      const reasonText = reasons.length > 3 ? `${reasons.slice(0, 3).join('; ')} and ${reasons.length - 3} more` : reasons.join('; ');
      for (const h of this.capacityHandlers) h(reasonText);
    }, this.opts.retryDebounceMs ?? 250);
    this.retryTimer.unref();
  }

  private async signalIfRunning(send: () => Promise<void>): Promise<void> {
    try {
      await send();
      this.signalsSent++;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return; // nothing running for it: nothing to tell
      throw e;
    }
  }
}
