/**
 * The scheduler's view of one pool: the pool, the volumes bound to it and the standing reservations it holds
 * (LiteIO's state.Node), with LiteIO's free-space formula (liteio.md §6.2).
 */
import {
  poolAvailableBytes,
  poolCapacityBytes,
  poolNodeId,
  poolReservedLVBytes,
  volumeIsLocalTo,
  volumeReservationId,
  volumeTotalBytes,
} from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { NodeReservationConfig } from './config.js';
import { Annotations } from '../api/constants.js';
import { freeBytes as capacityFree, heldReservations as capacityHeld, totals, type CapacityEntry, type CapacityRequest, type HeldReservation, type PoolCapacity, type Totals } from './capacity.js';

export interface Reservation {
  id: string;
  size: number;
}

export interface PoolNode {
  pool: StoragePool;
  /** Volumes bound to this pool (spec.targetNodeId == pool node id), not yet fully deleted. */
  volumes: AntstorVolume[];
  /** Standing reservations held by this pool (config nodeReservations that fit). */
  reservations: Reservation[];
}

export const nodeId = (n: PoolNode): string => poolNodeId(n.pool);

function annotationMatchesAny(v: AntstorVolume, sel: Record<string, string>): boolean {
  const a = v.metadata.annotations ?? {};
  return Object.entries(sel).some(([k, val]) => a[k] === val);
}

/** What a volume takes from the pool of `poolNodeId` (the same conversion for bound volumes and requests). */
export function capacityEntryFor(v: AntstorVolume, poolNodeId: string, ignoreAnnoSelector: Record<string, string> = {}): CapacityEntry {
  const remote = !volumeIsLocalTo(v, poolNodeId);
  return {
    bytes: volumeTotalBytes(v),
    sizeByte: v.spec?.sizeByte || 0,
    remote,
    countsRemote: remote && !annotationMatchesAny(v, ignoreAnnoSelector),
    reservationId: volumeReservationId(v),
  };
}

/** A new volume's request on the pool of `poolNodeId`, as the ledger receives it. */
export function capacityRequestFor(v: AntstorVolume, poolNodeId: string, ignoreAnnoSelector: Record<string, string> = {}): CapacityRequest {
  return { ...capacityEntryFor(v, poolNodeId, ignoreAnnoSelector), viaReservation: !!v.metadata.annotations?.[Annotations.ReservationId] };
}

/** The pool's capacity as admission sees it. */
export function poolCapacity(p: StoragePool): PoolCapacity {
  return { capacityBytes: poolCapacityBytes(p) - poolReservedLVBytes(p), availableBytes: poolAvailableBytes(p) };
}

/** Totals of the volumes bound to the pool. */
export function nodeTotals(n: PoolNode, ignoreAnnoSelector: Record<string, string> = {}): Totals {
  const id = nodeId(n);
  return totals(n.volumes.map((v) => capacityEntryFor(v, id, ignoreAnnoSelector)));
}

/** The pool's held reservations, with whether a bound volume claims each. */
export function nodeHeld(n: PoolNode, t: Totals): HeldReservation[] {
  return n.reservations.map((r) => ({ id: r.id, size: r.size, claimed: t.claimed.has(r.id) }));
}

/** capacity − reserved LVs − Σ bound volumes' total bytes − Σ unclaimed reservations. May be negative. */
export function freeBytes(n: PoolNode): number {
  const t = nodeTotals(n);
  return capacityFree(t, nodeHeld(n, t), poolCapacity(n.pool).capacityBytes);
}

/** Remote volumes on the pool, skipping those with an annotation equal to any pair of the ignore selector. */
export function remoteVolumesCount(n: PoolNode, ignoreAnnoSelector: Record<string, string>): number {
  return nodeTotals(n, ignoreAnnoSelector).remoteCount;
}

export function allocatedRemoteBytes(n: PoolNode): number {
  return nodeTotals(n).remoteBytes;
}

export { poolAvailableBytes };

/**
 * Which configured standing reservations a pool holds: in config order, a reservation is held when a bound
 * volume claims it or when the free space left after the ones before it covers its size (node.Reserve).
 */
export function heldReservations(pool: StoragePool, volumes: AntstorVolume[], configured: NodeReservationConfig[]): Reservation[] {
  if (!configured.length) return [];
  const id = poolNodeId(pool);
  const t = totals(volumes.map((v) => capacityEntryFor(v, id)));
  return capacityHeld(t, poolCapacity(pool).capacityBytes, configured).map(({ id: rid, size }) => ({ id: rid, size }));
}

/** Builds PoolNodes from pools and all volumes; volumes are grouped by spec.targetNodeId. */
export function buildPoolNodes(
  pools: StoragePool[],
  volumes: AntstorVolume[],
  configured: NodeReservationConfig[] = [],
): PoolNode[] {
  const byNode = new Map<string, AntstorVolume[]>();
  for (const v of volumes) {
    const t = v.spec?.targetNodeId;
    if (!t) continue;
    let l = byNode.get(t);
    if (!l) byNode.set(t, (l = []));
    l.push(v);
  }
  return pools.map((pool) => {
    const vols = byNode.get(poolNodeId(pool)) ?? [];
    return { pool, volumes: vols, reservations: heldReservations(pool, vols, configured) };
  });
}
