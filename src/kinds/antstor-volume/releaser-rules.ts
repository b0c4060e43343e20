/**
 * Which deletions the releaser finishes itself (v0.17.0): pure, shared by the watcher (which hands a volume over)
 * and the releaser's activity (which checks it again on a fresh read before it touches anything).
 */
import { Finalizers } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';

/**
 * Why this deletion is not the releaser's to finish (undefined: it is): it must be bound to `pool`, being deleted,
 * and hold only the controller's in-state finalizer (the node agent's are gone); with reconciler plugins their
 * deletion hooks run in the volume's own workflow.
 */
export function releaserRefuses(v: AntstorVolume, pool: string, withPlugins: boolean): string | undefined {
  if (withPlugins) return 'reconciler plugins run their deletion hooks';
  if (!v.metadata.deletionTimestamp) return 'not being deleted';
  if (v.spec?.targetNodeId !== pool) return `bound to ${v.spec?.targetNodeId || 'no pool'}, not ${pool}`;
  const fins = v.metadata.finalizers ?? [];
  if (!fins.includes(Finalizers.InState)) return 'no in-state finalizer';
  const others = fins.filter((f) => f !== Finalizers.InState);
  if (others.length) return `waiting for finalizers ${others.join(', ')}`;
  return undefined;
}

/** A deletion the watcher hands to the releaser: bound, being deleted, only the in-state finalizer left. */
export function releasable(v: AntstorVolume): boolean {
  return !!v.spec?.targetNodeId && releaserRefuses(v, v.spec.targetNodeId, false) === undefined;
}
