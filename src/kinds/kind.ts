/**
 * The reconciler seam. One folder per kind under src/kinds/, registered in src/kinds/index.ts: the kind's types,
 * workflow, activities, watcher registration, CRD and RBAC fragment live together, and the rest of the controller
 * (cache, watcher, worker, manifests, workflow bundle) is built from the list.
 */
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import type { KubernetesObject } from '../kube/client-node.js';
import type { ActivityDeps } from '../activities/deps.js';
import type { CacheEvent, ClusterCache } from '../kube/cluster-cache.js';
import type { Logger } from '../logger.js';
import type { MetaSyncDirty } from '../workflows/messages.js';
import type { WatcherOptions } from '../watcher/watcher.js';

/** One ClusterRole rule (deploy/rbac.yaml is generated from the kinds' fragments: `npm run manifests`). */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface KindModule {
  /** The Kubernetes kind, as in the CRD (`AntstorSnapshot`). */
  kind: string;
  /** The CRD's plural (`antstorsnapshots`). */
  plural: string;
  /** The cache's event name and list key for objects of this kind (`snapshot`). */
  cacheKey: string;
  /**
   * The kind's folder under src/kinds/. It holds crd.yaml and workflow.ts (the module whose exported functions are
   * the kind's workflow types); `npm run manifests` builds deploy/crds, deploy/rbac.yaml and the workflow bundle's
   * entry (src/workflows/index.ts) from the registered folders.
   */
  folder: string;
  /** ClusterRole rules the kind's reconciler needs, beyond the common ones (events, nodes, leases). */
  rbac: RbacRule[];
  /** The controller is not ready until objects of this kind have been listed (the kinds placement depends on). */
  requiredForReady: boolean;
  /** The kind's activities (names must not collide with another kind's). */
  activities(d: ActivityDeps): Record<string, (...args: never[]) => Promise<unknown>>;
  /**
   * MetaSync's row for an object of this kind (LiteIO's table and columns), when LiteIO mirrors the kind to MySQL.
   * `deletedStatus`: the status column of a row whose object is being deleted (absent: its own status stays);
   * `goneStatus`: of a row whose object no longer exists.
   */
  metaSync?: { table: string; row(obj: unknown): Record<string, string | number>; deletedStatus?: string; goneStatus: string };
  /** Subscribes the kind's event handlers: which workflow each event starts or signals. */
  watch(ctx: WatchContext): void;
}

/** What a kind's watcher registration may use. */
export interface WatchContext {
  readonly namespace: string;
  readonly cache: ClusterCache;
  readonly client: Client;
  readonly opts: WatcherOptions;
  readonly log: Logger;
  /** Subscribes to a cache event (a kind's cacheKey, or `node` / `lease`) until the watcher stops. */
  on<T = KubernetesObject>(event: string, handler: (e: CacheEvent<T>) => void): void;
  /**
   * Queues work under a key with workqueue semantics: the latest work for a key wins, one key never runs twice at
   * once, failures retry with backoff. `background` work runs in the paced resync lane.
   */
  enqueue(key: string, run: () => Promise<void>, o?: { background?: boolean }): void;
  /**
   * MetaSync is on: its row for `kind/name` may have changed. With a tombstone (the row as of the deletion, what
   * MetaSync's HandleDeletion records), the row is written even if the object is gone before the database is back.
   */
  metasyncDirty(kind: string, name: string, tombstone?: MetaSyncDirty['tombstone']): void;
  /** Capacity may have come free (debounced): every handler given to onCapacityChanged runs once per burst. */
  capacityChanged(reason: string): void;
  onCapacityChanged(handler: (reasons: string) => void): void;
  /**
   * The usual wiring of an object event: queued under `key`, a deleted object's event goes to its workflow only if
   * it runs; any other starts the workflow (type `workflowType`, id `workflowId`, `input`) or signals the running one.
   */
  startOrSignal<A, I>(o: { key: string; workflowType: string; workflowId: string; input: I; signal: SignalDefinition<[A]>; arg: A; deleted: boolean; summary: string }): void;
  /** Queues a signal under `key` to a workflow that may have ended (one that is not running needs nothing). */
  wake<A>(key: string, workflowId: string, signal: SignalDefinition<[A]>, arg: A): void;
  /** Sends a signal to a workflow that may have ended: a workflow that is not running needs nothing. */
  signalIfRunning(send: () => Promise<void>): Promise<void>;
  /** Counts a signal sent (benchmarks read it). */
  signalled(): void;
  /** Runs when the watcher stops (timers and buffers a registration keeps). */
  onStop(fn: () => void): void;
}
