/**
 * Informer-backed, in-process view of the StoragePools and AntstorVolumes in one namespace. The watcher
 * subscribes to its events; activities read pools and volumes from it. Informers in client-node 1.x stop on
 * any error, so each one is restarted with capped exponential backoff.
 */
import { EventEmitter } from 'node:events';
import { makeInformer, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../api/constants.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { KubeClients } from './client.js';
import type { Logger } from '../logger.js';

export type CacheEvent<T> = { type: 'add' | 'update' | 'delete'; obj: T; old?: T };

export interface ClusterCacheEvents {
  node: (e: CacheEvent<KubernetesObject>) => void;
  lease: (e: CacheEvent<KubernetesObject>) => void;
  pool: (e: CacheEvent<StoragePool>) => void;
  volume: (e: CacheEvent<AntstorVolume>) => void;
}

// Informers hold client-node's KubernetesObject; our CRD types are applied at the boundary.
type Inf = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

export class ClusterCache extends EventEmitter {
  private pools?: Inf;
  private volumes?: Inf;
  private nodes?: Inf;
  private leases?: Inf;
  private readonly old = new Map<string, unknown>();
  private stopped = false;
  /** Kinds whose list has succeeded at least once. */
  private readonly listed = new Set<string>();

  constructor(
    private readonly clients: KubeClients,
    readonly namespace: string,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(50);
  }

  async start(): Promise<void> {
    this.pools = this.informer(PLURAL_POOL, 'pool');
    this.volumes = this.informer(PLURAL_VOLUME, 'volume');
    // Nodes feed LockPool (labels, taints) and the orphan-pool rule, as LiteIO's NodeEventHandler does.
    this.nodes = this.informer('nodes', 'node');
    // Leases are the agents' heartbeats (one per pool, same name).
    this.leases = this.informer('leases', 'lease');
    await Promise.all([
      this.startWithRetry(this.leases, 'leases'),
      this.startWithRetry(this.pools, 'pools'),
      this.startWithRetry(this.volumes, 'volumes'),
      this.startWithRetry(this.nodes, 'nodes'),
    ]);
  }

  /** Pools and volumes have been listed (not merely asked for: an unreachable API server lists nothing). */
  get isSynced(): boolean {
    return this.listed.has('pool') && this.listed.has('volume');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([this.pools?.stop(), this.volumes?.stop(), this.nodes?.stop(), this.leases?.stop()]);
  }

  listPools(): StoragePool[] {
    return (this.pools?.list(this.namespace) ?? []) as unknown as StoragePool[];
  }
  listVolumes(): AntstorVolume[] {
    return (this.volumes?.list(this.namespace) ?? []) as unknown as AntstorVolume[];
  }
  getPool(name: string): StoragePool | undefined {
    return this.pools?.get(name, this.namespace) as unknown as StoragePool | undefined;
  }
  getVolume(name: string): AntstorVolume | undefined {
    return this.volumes?.get(name, this.namespace) as unknown as AntstorVolume | undefined;
  }

  private informer(plural: string, kind: 'pool' | 'volume' | 'node' | 'lease'): Inf {
    const path =
      kind === 'node'
        ? '/api/v1/nodes'
        : kind === 'lease'
          ? `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`
          : `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${plural}`;
    // client-node's informer start() resolves even when its first list fails: readiness and the retry backoff
    // follow successful lists instead.
    let failures = 0;
    const listFn = () =>
      this.list(kind, plural).then((r) => {
        failures = 0;
        this.listed.add(kind);
        return r;
      });
    const inf = makeInformer<KubernetesObject>(this.clients.kc, path, listFn);
    const key = (o: KubernetesObject) => `${kind}/${o.metadata?.name}`;
    inf.on('add', (o) => {
      this.old.set(key(o), o);
      this.emit(kind, { type: 'add', obj: o });
    });
    inf.on('update', (o) => {
      const old = this.old.get(key(o));
      this.old.set(key(o), o);
      this.emit(kind, { type: 'update', obj: o, old });
    });
    inf.on('delete', (o) => {
      this.old.delete(key(o));
      this.emit(kind, { type: 'delete', obj: o });
    });
    inf.on('error', (err: unknown) => {
      if (this.stopped) return;
      failures++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      this.log.warn(`informer ${plural} in ${this.namespace} stopped; restarting in ${delay} ms`, {
        error: (err as Error)?.message ?? String(err),
      });
      setTimeout(() => {
        if (!this.stopped) inf.start().catch(() => undefined);
      }, delay).unref();
    });
    return inf;
  }

  private list(kind: 'pool' | 'volume' | 'node' | 'lease', plural: string): Promise<KubernetesListObject<KubernetesObject>> {
    return (
      kind === 'node'
        ? this.clients.core.listNode()
        : kind === 'lease'
          ? this.clients.coordination.listNamespacedLease({ namespace: this.namespace })
          : this.clients.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.namespace, plural })
    ) as Promise<KubernetesListObject<KubernetesObject>>;
  }

  private async startWithRetry(inf: Inf, what: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await inf.start();
        return;
      } catch (e) {
        if (this.stopped) return;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.log.warn(`cannot list ${what} in ${this.namespace} (retrying in ${delay} ms)`, {
          error: (e as Error).message?.split('\n')[0],
        });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
