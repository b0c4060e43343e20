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
  /** Volumes bound to this pool (spec.targetNodeId == pool node id), not yet fully deleted. Replaced, never mutated. */
  volumes: readonly AntstorVolume[];
  /** Standing reservations held by this pool (config nodeReservations that fit). */
  reservations: Reservation[];
}

export const nodeId = (n: PoolNode): string => poolNodeId(n.pool);

function annotationMatchesAny(v: AntstorVolume, sel: Record<string, string>): boolean {
  if (sel === NO_SELECTOR) return false;
  const a = v.metadata.annotations ?? {};
  return Object.entries(sel).some(([k, val]) => a[k] === val);
}

/** The ignore selector when none is given (one object: the memos below are keyed by identity). */
const NO_SELECTOR: Record<string, string> = Object.freeze({}) as Record<string, string>;

interface VolumeBase {
  bytes: number;
  sizeByte: number;
  reservationId: string;
  viaReservation: boolean;
}
/**
 * The pool-independent part of a volume's entry, per volume object: a filter pass converts the same volume once per
 * pool (1,000 times at W2's size), and cached objects are replaced, never mutated, when they change.
 */
const volumeBase = new WeakMap<AntstorVolume, VolumeBase>();
function baseOf(v: AntstorVolume): VolumeBase {
  let b = volumeBase.get(v);
  if (!b) {
    b = { bytes: volumeTotalBytes(v), sizeByte: v.spec?.sizeByte || 0, reservationId: volumeReservationId(v), viaReservation: !!v.metadata.annotations?.[Annotations.ReservationId] };
    volumeBase.set(v, b);
  }
  return b;
}

/** What a volume takes from the pool of `poolNodeId` (the same conversion for bound volumes and requests). */
export function capacityEntryFor(v: AntstorVolume, poolNodeId: string, ignoreAnnoSelector: Record<string, string> = NO_SELECTOR): CapacityEntry {
  return capacityRequestFor(v, poolNodeId, ignoreAnnoSelector);
}

/** A new volume's request on the pool of `poolNodeId`, as the ledger receives it (an entry plus viaReservation). */
export function capacityRequestFor(v: AntstorVolume, poolNodeId: string, ignoreAnnoSelector: Record<string, string> = NO_SELECTOR): CapacityRequest {
  const b = baseOf(v);
  const remote = !volumeIsLocalTo(v, poolNodeId);
  // Built in one literal: spreading the memo into a new object per pool was the pass's largest cost.
  return {
    bytes: b.bytes,
    sizeByte: b.sizeByte,
    remote,
    countsRemote: remote && !annotationMatchesAny(v, ignoreAnnoSelector),
    reservationId: b.reservationId,
    viaReservation: b.viaReservation,
  };
}

const capacityMemo = new WeakMap<StoragePool, PoolCapacity>();

/** The pool's capacity as admission sees it (per pool object: parsing its quantities once, not per volume). */
export function poolCapacity(p: StoragePool): PoolCapacity {
  let c = capacityMemo.get(p);
  if (!c) capacityMemo.set(p, (c = { capacityBytes: poolCapacityBytes(p) - poolReservedLVBytes(p), availableBytes: poolAvailableBytes(p) }));
  return c;
}

/**
 * Totals per volume list (then per node id and ignore selector). A filter pass asks for a pool's totals in several
 * filters and again for its score, per volume: summing the bound volumes each time made a pass cost O(every bound
 * volume in the cluster), which grew W1×3's placements 3× dearer than W1's. PoolNode.volumes is replaced, never
 * mutated, when a volume is counted on a pool, so the memo follows the array's identity.
 */
const totalsMemo = new WeakMap<readonly AntstorVolume[], Map<string, Totals>>();

const selectorKeys = new WeakMap<Record<string, string>, string>();
const selectorKey = (sel: Record<string, string>): string => {
  let k = selectorKeys.get(sel);
  if (k === undefined) selectorKeys.set(sel, (k = Object.keys(sel).length ? JSON.stringify(Object.entries(sel).sort()) : ''));
  return k;
};

/** Totals of the volumes bound to the pool (memoized: callers must treat the result as read-only). */
export function nodeTotals(n: PoolNode, ignoreAnnoSelector: Record<string, string> = NO_SELECTOR): Totals {
  const id = nodeId(n);
  let memo = totalsMemo.get(n.volumes);
  if (!memo) totalsMemo.set(n.volumes, (memo = new Map()));
  const sel = selectorKey(ignoreAnnoSelector);
  const key = `${id}\u0000${sel}`;
  let t = memo.get(key);
  if (!t) memo.set(key, (t = totals(n.volumes.map((v) => capacityEntryFor(v, id, ignoreAnnoSelector)))));
  return t;
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
export function heldReservations(pool: StoragePool, volumes: readonly AntstorVolume[], configured: NodeReservationConfig[]): Reservation[] {
  if (!configured.length) return [];
  const id = poolNodeId(pool);
  const t = totals(volumes.map((v) => capacityEntryFor(v, id)));
  return capacityHeld(t, poolCapacity(pool).capacityBytes, configured).map(({ id: rid, size }) => ({ id: rid, size }));
}

/** What poolNodesFromIndex reads: the cluster cache's volume indexes. */
export interface BoundVolumeIndex {
  /** Volumes whose spec.targetNodeId is this; the same array until one of them changes. */
  volumesBoundTo(target: string): readonly AntstorVolume[];
  volumeByUid(uid: string): AntstorVolume | undefined;
}

/**
 * buildPoolNodes without a scan of every volume: each pool's bound volumes come from the cache's index (the same
 * array from one filter pass to the next while the pool is unchanged, so the per-pool totals memo holds across
 * passes), plus the volumes assumed on it (`assumed`, by node id). `exclude`: volumes to leave out (the ones being
 * placed). Same result as buildPoolNodes(pools, overlay(all volumes) minus exclude).
 */
export function poolNodesFromIndex(
  pools: StoragePool[],
  index: BoundVolumeIndex,
  configured: NodeReservationConfig[] = [],
  o: { assumed?: Map<string, AntstorVolume[]>; exclude?: ReadonlySet<string> } = {},
): PoolNode[] {
  // Nodes an excluded volume is bound to in the cache (rare: the placer excludes volumes it is about to place).
  const touched = new Set<string>();
  for (const uid of o.exclude ?? []) {
    const t = index.volumeByUid(uid)?.spec?.targetNodeId;
    if (t) touched.add(t);
  }
  const keep = (v: AntstorVolume) => !o.exclude?.has(v.metadata.uid ?? '');
  return pools.map((pool) => {
    const id = poolNodeId(pool);
    let vols = index.volumesBoundTo(id);
    if (touched.has(id)) vols = vols.filter(keep);
    const extra = o.assumed?.get(id)?.filter(keep);
    if (extra?.length) vols = [...vols, ...extra];
    return { pool, volumes: vols, reservations: heldReservations(pool, vols, configured) };
  });
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
