/**
 * LiteIO's snapshot reconciler as a pure decision (snapshot_reconciler.go, liteio.md §10): given the snapshot, its
 * origin volume, the other snapshots of that origin and whether the origin's pool exists, the one next step. Each
 * step that writes ends the pass (as LiteIO returns after each Update); the workflow asks again after it.
 *
 * Where LiteIO requeues after 1 or 3 minutes, the step is a wait: the workflow is woken by the watch events of the
 * objects the wait names (the origin volume, the sibling snapshot), with a long timer only as a safety net.
 */
import { Annotations } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import { FOUR_MIB, SnapshotFinalizer, SnapshotLabels, type AntstorSnapshot, type SnapshotStatusName } from './types.js';

export type SnapshotStep =
  /** Nothing to do until something changes (merged, or finished its steps). */
  | { kind: 'idle'; why: string }
  /** Deletion: LiteIO's controller clears the finalizers (merged, or the origin's pool is gone). */
  | { kind: 'clearFinalizers'; why: string }
  /** Deletion waits for the agent to remove its finalizer. */
  | { kind: 'awaitAgent'; why: string }
  | { kind: 'addOriginLabels'; labels: Record<string, string> }
  | { kind: 'roundSize'; size: number }
  | { kind: 'bind'; targetNodeId: string }
  | { kind: 'setStatus'; status: SnapshotStatusName }
  /** Refused or blocked: an Event (LiteIO's SnapshotCreateFailure) and a wait on `on` (what will wake it). */
  | { kind: 'wait'; message: string; on: 'snapshot' | 'origin' | 'sibling'; sibling?: string };

export interface SnapshotFacts {
  snapshot: AntstorSnapshot;
  /** The origin volume, or undefined when it does not exist. */
  origin: AntstorVolume | undefined;
  /** The other snapshots labelled with the same origin volume name. */
  siblings: AntstorSnapshot[];
  /** For a deleting snapshot: does the pool named by originVolTargetNodeId exist? */
  originPoolExists: boolean;
}

export function decideSnapshotStep(f: SnapshotFacts): SnapshotStep {
  const s = f.snapshot;
  const status = s.status?.status;
  if (s.metadata.deletionTimestamp) {
    const fins = s.metadata.finalizers ?? [];
    if (!fins.length) return { kind: 'idle', why: 'deleted' };
    if (status === 'merged') return { kind: 'clearFinalizers', why: 'the snapshot is merged' };
    if (!f.originPoolExists) return { kind: 'clearFinalizers', why: `the origin's pool ${s.spec.originVolTargetNodeId || '(none)'} no longer exists` };
    return { kind: 'awaitAgent', why: `the agent on ${s.spec.originVolTargetNodeId} removes ${fins.includes(SnapshotFinalizer) ? SnapshotFinalizer : fins.join(', ')}` };
  }
  if (status === 'merged') return { kind: 'idle', why: 'merged' };
  const labels = s.metadata.labels ?? {};
  if (Object.keys(labels).length === 0) {
    return { kind: 'addOriginLabels', labels: { [SnapshotLabels.OriginVolumeName]: s.spec.originVolName, [SnapshotLabels.OriginVolumeNamespace]: s.spec.originVolNamespace } };
  }
  if (!(s.spec.size >= FOUR_MIB)) return { kind: 'wait', on: 'snapshot', message: 'size too small, at least 4MiB' };
  if (s.spec.size % FOUR_MIB) return { kind: 'roundSize', size: Math.floor(s.spec.size / FOUR_MIB) * FOUR_MIB };
  const live = f.siblings.find((o) => o.metadata.name !== s.metadata.name && o.status?.status !== 'merged');
  if (live) return { kind: 'wait', on: 'sibling', sibling: live.metadata.name!, message: `origin volume can only have one snapshot (${live.metadata.name} is ${live.status?.status || 'not merged'})` };
  const originName = `${s.spec.originVolNamespace}/${s.spec.originVolName}`;
  if (!f.origin) return { kind: 'wait', on: 'origin', message: `cannot find origin volume ${originName}` };
  const target = f.origin.spec.targetNodeId;
  if (!target) return { kind: 'wait', on: 'origin', message: `origin volume ${originName} is not scheduled` };
  const reserved = f.origin.metadata.annotations?.[Annotations.SnapshotReservedBytes];
  if (reserved === undefined) return { kind: 'wait', on: 'origin', message: `origin volume has no ${Annotations.SnapshotReservedBytes} in annotations` };
  if (!/^\d+$/.test(reserved.trim())) return { kind: 'wait', on: 'origin', message: `invalid reserved space ${JSON.stringify(reserved)} in ${Annotations.SnapshotReservedBytes} of ${originName}` };
  const reservedBytes = Number(reserved.trim());
  if (s.spec.size > reservedBytes) return { kind: 'wait', on: 'origin', message: `snap size too large: ${s.spec.size}, reserved size ${reservedBytes}` };
  if (!s.spec.originVolTargetNodeId) return { kind: 'bind', targetNodeId: target };
  if (!status) return { kind: 'setStatus', status: 'creating' };
  if (labels[SnapshotLabels.MergeStartTimestamp] && status !== 'merging') return { kind: 'setStatus', status: 'merging' };
  return { kind: 'idle', why: status === 'merging' ? 'merging (the agent reports merged)' : `${status}` };
}
