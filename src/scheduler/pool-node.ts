/**
 * The scheduler's view of one pool: the pool, the volumes bound to it and the standing reservations it holds
 * (LiteIO's state.Node), with LiteIO's free-space formula (liteio.md §6.2).
 */
import {
  poolAvailableBytes,
  poolCapacityBytes,
  poolNodeId,
  poolReservedLVBytes,
  volumeHostNodeId,
  volumeIsLocalTo,
  volumeReservationId,
  volumeTotalBytes,
} from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { NodeReservationConfig } from './config.js';

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

/** Reservations not claimed by any bound volume's reservation id. */
export function unclaimedReservations(n: PoolNode): Reservation[] {
  const claimed = new Set(n.volumes.map(volumeReservationId).filter(Boolean));
  return n.reservations.filter((r) => !claimed.has(r.id));
}

/** capacity − reserved LVs − Σ bound volumes' total bytes − Σ unclaimed reservations. May be negative. */
export function freeBytes(n: PoolNode): number {
  const used = n.volumes.reduce((s, v) => s + volumeTotalBytes(v), 0);
  const resv = unclaimedReservations(n).reduce((s, r) => s + r.size, 0);
  return poolCapacityBytes(n.pool) - poolReservedLVBytes(n.pool) - used - resv;
}

function annotationMatchesAny(v: AntstorVolume, sel: Record<string, string>): boolean {
  const a = v.metadata.annotations ?? {};
  return Object.entries(sel).some(([k, val]) => a[k] === val);
}

/** Remote volumes on the pool, skipping those with an annotation equal to any pair of the ignore selector. */
export function remoteVolumesCount(n: PoolNode, ignoreAnnoSelector: Record<string, string>): number {
  const id = nodeId(n);
  return n.volumes.filter((v) => !volumeIsLocalTo(v, id) && !annotationMatchesAny(v, ignoreAnnoSelector)).length;
}

export function allocatedRemoteBytes(n: PoolNode): number {
  const id = nodeId(n);
  return n.volumes.filter((v) => !volumeIsLocalTo(v, id)).reduce((s, v) => s + volumeTotalBytes(v), 0);
}

export function allocatedLocalBytes(n: PoolNode): number {
  const id = nodeId(n);
  return n.volumes
    .filter((v) => volumeHostNodeId(v) !== '' && volumeIsLocalTo(v, id))
    .reduce((s, v) => s + volumeTotalBytes(v), 0);
}

export { poolAvailableBytes };

/**
 * Which configured standing reservations a pool holds: in config order, a reservation is held when a bound
 * volume claims it or when the free space left after the ones before it covers its size (node.Reserve).
 */
export function heldReservations(
  pool: StoragePool,
  volumes: AntstorVolume[],
  configured: NodeReservationConfig[],
): Reservation[] {
  const held: Reservation[] = [];
  for (const r of configured) {
    const n: PoolNode = { pool, volumes, reservations: held };
    const claimed = volumes.some((v) => volumeReservationId(v) === r.id);
    if (claimed || freeBytes(n) >= r.size) held.push({ id: r.id, size: r.size });
  }
  return held;
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
