/**
 * What the informers keep of each object. Like client-go's `TransformStripManagedFields`, the cache drops the
 * parts no reconciler reads before the object is stored: server-side-apply bookkeeping (`metadata.managedFields`,
 * one entry per field manager, often larger than the object itself) and kubectl's copy of the last applied
 * manifest. At 10,000 volumes these were most of the controller's heap.
 */
import { Watch, type KubernetesObject } from './client-node.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Removes the fields no reconciler reads, in place (the object is fresh from the API server, not yet shared). */
export function slimObject<T>(o: T): T {
  const m = (o as KubernetesObject | undefined)?.metadata;
  if (!m) return o;
  if (m.managedFields !== undefined) delete m.managedFields;
  if (m.annotations && LAST_APPLIED in m.annotations) {
    delete m.annotations[LAST_APPLIED];
  }
  return o;
}

/** A client-node Watch whose events carry slimmed objects (the informer stores what the watch hands it). */
export class SlimWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
    done: (err: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
  ): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, obj, watchObj) => callback(phase, slimObject(obj), watchObj), done);
  }
}
