/**
 * Reads and writes of StoragePools and AntstorVolumes, with optimistic concurrency (resourceVersion in every
 * merge patch that touches finalizers or the binding) and events. Every error names the object.
 */
import { PatchStrategy, setHeaderOptions } from './client-node.js';
import { API_VERSION, GROUP, KIND_POOL, KIND_VOLUME, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../api/constants.js';
import type { AntstorVolume, KubeObject, StoragePool } from '../api/types.js';
import type { KubeClients } from './client.js';
import { describeKubeError, isConflict, isNotFound, kubeError } from './errors.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubeResources {
  constructor(private readonly c: KubeClients) {}

  async getVolume(namespace: string, name: string): Promise<AntstorVolume | undefined> {
    return this.get<AntstorVolume>(PLURAL_VOLUME, KIND_VOLUME, namespace, name);
  }

  async getPool(namespace: string, name: string): Promise<StoragePool | undefined> {
    return this.get<StoragePool>(PLURAL_POOL, KIND_POOL, namespace, name);
  }

  /** Any kind of the group by plural (`kind` names it in errors). Undefined when it does not exist. */
  async get<T>(plural: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.c.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name })) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw describeKubeError('get', `${kind} ${namespace}/${name}`, e);
    }
  }

  /** Merge-patches the main resource. Returns undefined when the object is gone. Throws on conflict. */
  async patchVolume(namespace: string, name: string, body: object): Promise<AntstorVolume | undefined> {
    return this.patch<AntstorVolume>(PLURAL_VOLUME, KIND_VOLUME, namespace, name, body, false);
  }

  async patchVolumeStatus(namespace: string, name: string, status: object): Promise<AntstorVolume | undefined> {
    return this.patch<AntstorVolume>(PLURAL_VOLUME, KIND_VOLUME, namespace, name, { status }, true);
  }

  async patchPool(namespace: string, name: string, body: object): Promise<StoragePool | undefined> {
    return this.patch<StoragePool>(PLURAL_POOL, KIND_POOL, namespace, name, body, false);
  }

  async patchPoolStatus(namespace: string, name: string, status: object): Promise<StoragePool | undefined> {
    return this.patch<StoragePool>(PLURAL_POOL, KIND_POOL, namespace, name, { status }, true);
  }

  /** Merge-patches any kind of the group (or its status). Undefined when the object is gone; throws on conflict. */
  async patch<T>(
    plural: string,
    kind: string,
    namespace: string,
    name: string,
    body: object,
    status: boolean,
  ): Promise<T | undefined> {
    const args = { group: GROUP, version: VERSION, namespace, plural, name, body, fieldManager: 'disk-controller' };
    try {
      return (await (status
        ? this.c.custom.patchNamespacedCustomObjectStatus(args, mergePatch)
        : this.c.custom.patchNamespacedCustomObject(args, mergePatch))) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (isConflict(e)) throw new ConflictError(`${kind} ${namespace}/${name} changed while patching; retry`);
      throw describeKubeError(status ? 'patch status of' : 'patch', `${kind} ${namespace}/${name}`, e);
    }
  }

  /**
   * Merge-patches an object as read: the patch carries its resourceVersion, so a write based on a stale read fails
   * with a ConflictError (the activity retries and reads again).
   */
  async patchAsRead<T extends KubeObject>(plural: string, kind: string, obj: T, body: Record<string, unknown>, status = false): Promise<T | undefined> {
    const meta = (body['metadata'] ?? {}) as Record<string, unknown>;
    const versioned = { ...body, metadata: { ...meta, resourceVersion: obj.metadata.resourceVersion } };
    return this.patch<T>(plural, kind, obj.metadata.namespace!, obj.metadata.name!, versioned, status);
  }

  /** Deletes any kind of the group; an object already gone is not an error. */
  async delete(plural: string, kind: string, namespace: string, name: string): Promise<void> {
    try {
      await this.c.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, name });
    } catch (e) {
      if (isNotFound(e)) return;
      throw describeKubeError('delete', `${kind} ${namespace}/${name}`, e);
    }
  }

  /** Lists any kind of the group in a namespace, optionally by label selector. */
  async list<T>(plural: string, kind: string, namespace: string, labelSelector?: string): Promise<T[]> {
    try {
      const r = (await this.c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, ...(labelSelector ? { labelSelector } : {}) })) as { items: T[] };
      return r.items;
    } catch (e) {
      throw describeKubeError('list', `${kind}s in ${namespace}${labelSelector ? ` (${labelSelector})` : ''}`, e);
    }
  }

  /** Creates an object of the group; an existing one of that name is returned as is (creation is idempotent). */
  async create<T extends KubeObject>(plural: string, kind: string, obj: T): Promise<{ obj: T; created: boolean }> {
    const namespace = obj.metadata.namespace!;
    try {
      return { obj: (await this.c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body: obj, fieldManager: 'disk-controller' })) as T, created: true };
    } catch (e) {
      if (kubeError(e).code === 409) {
        const existing = await this.get<T>(plural, kind, namespace, obj.metadata.name!);
        if (existing) return { obj: existing, created: false };
      }
      throw describeKubeError('create', `${kind} ${namespace}/${obj.metadata.name}`, e);
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: `mutate` returns the merge patch for the fresh object (or
   * null for "nothing to do"); the patch carries the object's resourceVersion and is retried on conflict.
   */
  async updateVolume(
    namespace: string,
    name: string,
    mutate: (v: AntstorVolume) => Record<string, unknown> | null,
    attempts = 5,
    /** A recent copy (the cache's) to try first: one GET fewer when it is current; a conflict reads it fresh. */
    first?: AntstorVolume,
  ): Promise<{ obj?: AntstorVolume; changed: boolean }> {
    for (let i = 0; ; i++) {
      const v = i === 0 && first ? first : await this.getVolume(namespace, name);
      if (!v) return { changed: false };
      const patch = mutate(v);
      if (!patch) return { obj: v, changed: false };
      const meta = (patch['metadata'] ?? {}) as Record<string, unknown>;
      try {
        const out = await this.patchVolume(namespace, name, {
          ...patch,
          metadata: { ...meta, resourceVersion: v.metadata.resourceVersion },
        });
        return out ? { obj: out, changed: true } : { changed: false };
      } catch (e) {
        if (!(e instanceof ConflictError) || i + 1 >= attempts) throw e;
      }
    }
  }

  /** Records a Kubernetes Event on an object (best effort for the caller: errors are returned, not thrown). */
  async recordEvent(
    obj: KubeObject & { kind?: string },
    kind: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<Error | undefined> {
    const ns = obj.metadata.namespace ?? 'default';
    const now = new Date();
    try {
      await this.c.core.createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { generateName: `${obj.metadata.name}.`, namespace: ns },
          involvedObject: {
            apiVersion: API_VERSION,
            kind,
            name: obj.metadata.name,
            namespace: ns,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          reason,
          message: message.slice(0, 1024),
          type,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'disk-controller' },
          reportingComponent: 'disk-controller',
        },
      });
      return undefined;
    } catch (e) {
      return describeKubeError('create event on', `${kind} ${ns}/${obj.metadata.name}`, e);
    }
  }
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}
