/**
 * Informer-backed, in-process view of the namespace: one informer per registered kind (src/kinds), plus Nodes and
 * Leases. The watcher subscribes to its events; activities read objects from it. Informers in client-node 1.x stop
 * on any error, so each one is restarted with capped exponential backoff.
 */
import { EventEmitter } from 'node:events';
import { ListWatch, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache } from './client-node.js';
import { GROUP, VERSION } from '../api/constants.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { KubeClients } from './client.js';
import type { Logger } from '../logger.js';
import { kubeError } from './errors.js';
import { SlimWatch, slimObject } from './slim-objects.js';
import { ObjectIndex } from './object-index.js';

export type CacheEvent<T> = { type: 'add' | 'update' | 'delete'; obj: T; old?: T };

/** A kind the cache holds: its CRD plural and the name its events and lists go by. */
export interface CachedKind {
  plural: string;
  cacheKey: string;
  /** Readiness waits for this kind's first list (a kind whose CRD is not installed is retried and logged only). */
  requiredForReady: boolean;
}

/** The kinds placement needs, for callers that build a cache without the registry (the default). */
export const PLACEMENT_KINDS: CachedKind[] = [
  { plural: 'storagepools', cacheKey: 'pool', requiredForReady: true },
  { plural: 'antstorvolumes', cacheKey: 'volume', requiredForReady: true },
];

// Informers hold client-node's KubernetesObject; our CRD types are applied at the boundary.
type Inf = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

export class ClusterCache extends EventEmitter {
  private readonly informers = new Map<string, Inf>();
  private readonly old = new Map<string, unknown>();
  private stopped = false;
  private syncWaiters: ((synced: boolean) => void)[] = [];
  /** Kinds whose list has succeeded at least once. */
  private readonly listed = new Set<string>();
  /**
   * Volumes by spec.targetNodeId ('' while unbound) and by uid. A pool's bindings are what its drift check and
   * lifecycle read on every wake: scanning every volume there made the pools' cost grow with pools × volumes.
   */
  private readonly volumesByTarget = new ObjectIndex<AntstorVolume>((v) => v.spec?.targetNodeId ?? '', (v) => v.metadata.name!);
  private readonly volumesByUid = new Map<string, AntstorVolume>();

  constructor(
    private readonly clients: KubeClients,
    readonly namespace: string,
    private readonly log: Logger,
    private readonly kinds: readonly CachedKind[] = PLACEMENT_KINDS,
  ) {
    super();
    this.setMaxListeners(50);
  }

  async start(): Promise<void> {
    for (const k of this.kinds) this.informers.set(k.cacheKey, this.informer(k.plural, k.cacheKey));
    // Nodes feed LockPool (labels, taints) and the orphan-pool rule, as LiteIO's NodeEventHandler does.
    this.informers.set('node', this.informer('nodes', 'node'));
    // Leases are the agents' heartbeats (one per pool, same name).
    this.informers.set('lease', this.informer('leases', 'lease'));
    // A kind placement does not need (its CRD perhaps not installed yet) is started but not waited for.
    const starts = [...this.informers].map(([key, inf]) => ({ required: this.isRequired(key), started: this.startWithRetry(inf, key) }));
    await Promise.all(starts.filter((s) => s.required).map((s) => s.started));
  }

  private isRequired(key: string): boolean {
    return key === 'node' || key === 'lease' || !!this.kinds.find((k) => k.cacheKey === key)?.requiredForReady;
  }

  /** The kinds placement needs have been listed (not merely asked for: an unreachable API server lists nothing). */
  get isSynced(): boolean {
    return this.kinds.every((k) => !k.requiredForReady || this.listed.has(k.cacheKey));
  }

  /** Whether this kind's informer has listed at least once (e.g. 'node', which readiness does not wait for). */
  hasListed(cacheKey: string): boolean {
    return this.listed.has(cacheKey);
  }

  /** Resolves true once isSynced, or false when the cache is stopped first. */
  whenSynced(): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((r) => this.syncWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.syncWaiters.splice(0)) w(false);
    await Promise.allSettled([...this.informers.values()].map((i) => i.stop()));
  }

  /** Every cached object of a kind (by its cacheKey). */
  list<T>(cacheKey: string): T[] {
    return (this.informers.get(cacheKey)?.list(this.namespace) ?? []) as unknown as T[];
  }
  get<T>(cacheKey: string, name: string): T | undefined {
    return this.informers.get(cacheKey)?.get(name, this.namespace) as unknown as T | undefined;
  }

  listPools(): StoragePool[] {
    return this.list<StoragePool>('pool');
  }
  listVolumes(): AntstorVolume[] {
    return this.list<AntstorVolume>('volume');
  }
  getPool(name: string): StoragePool | undefined {
    return this.get<StoragePool>('pool', name);
  }
  getVolume(name: string): AntstorVolume | undefined {
    return this.get<AntstorVolume>('volume', name);
  }
  /** Volumes whose spec.targetNodeId is this ('' = not bound yet); the same array until one of them changes. */
  volumesBoundTo(target: string): readonly AntstorVolume[] {
    return this.volumesByTarget.get(target);
  }
  volumeByUid(uid: string): AntstorVolume | undefined {
    return this.volumesByUid.get(uid);
  }

  private indexVolume(v: AntstorVolume): void {
    this.volumesByTarget.put(v);
    if (v.metadata.uid) this.volumesByUid.set(v.metadata.uid, v);
  }
  private unindexVolume(v: AntstorVolume): void {
    this.volumesByTarget.remove(v.metadata.name!);
    if (v.metadata.uid && this.volumesByUid.get(v.metadata.uid)?.metadata.name === v.metadata.name) this.volumesByUid.delete(v.metadata.uid);
  }

  private informer(plural: string, kind: string): Inf {
    const path =
      kind === 'node'
        ? '/api/v1/nodes'
        : kind === 'lease'
          ? `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`
          : `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${plural}`;
    // client-node's informer start() resolves even when its first list fails: readiness and the retry backoff
    // follow successful lists instead.
    let failures = 0;
    let notInstalled = false;
    const listFn = () =>
      this.listOnce(kind, plural).then((r) => {
        failures = 0;
        if (notInstalled) this.log.info(`${plural} are served now; reconciling them`, { kind: plural });
        notInstalled = false;
        this.listed.add(kind);
        for (const o of r.items) slimObject(o);
        if (this.isSynced) for (const w of this.syncWaiters.splice(0)) w(true);
        return r;
      });
    // makeInformer, with a watch that slims each object before the informer stores it (see slim-objects).
    const inf = new ListWatch<KubernetesObject>(path, new SlimWatch(this.clients.kc), listFn, false);
    const key = (o: KubernetesObject) => `${kind}/${o.metadata?.name}`;
    // The volume indexes follow the store before anyone hears of the change (these handlers are registered first).
    const index = kind === 'volume' ? (o: KubernetesObject) => this.indexVolume(o as AntstorVolume) : undefined;
    inf.on('add', (o) => {
      index?.(o);
      this.old.set(key(o), o);
      this.emit(kind, { type: 'add', obj: o });
    });
    inf.on('update', (o) => {
      index?.(o);
      const old = this.old.get(key(o));
      this.old.set(key(o), o);
      this.emit(kind, { type: 'update', obj: o, old });
    });
    inf.on('delete', (o) => {
      if (index) this.unindexVolume(o as AntstorVolume);
      this.old.delete(key(o));
      this.emit(kind, { type: 'delete', obj: o });
    });
    inf.on('error', (err: unknown) => {
      if (this.stopped) return;
      failures++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      // A kind placement does not need, whose CRD is not installed: said once, then retried quietly.
      if (!this.isRequired(kind) && kubeError(err).code === 404) {
        if (!notInstalled) this.log.warn(`${plural} are not served by the API server (CRD not installed?); they are not reconciled until they are`, { kind: plural });
        notInstalled = true;
      } else
        this.log.warn(`informer ${plural} in ${this.namespace} stopped; restarting in ${delay} ms`, {
          error: (err as Error)?.message ?? String(err),
        });
      setTimeout(() => {
        if (!this.stopped) inf.start().catch(() => undefined);
      }, delay).unref();
    });
    return inf;
  }

  private listOnce(kind: string, plural: string): Promise<KubernetesListObject<KubernetesObject>> {
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
