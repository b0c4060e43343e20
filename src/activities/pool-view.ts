/**
 * The filter pass's view of the pools, as the activities build it: pools not being deleted (or those given), each
 * with its bound volumes from the cache's index and the placements assumed on it, minus the volumes being placed.
 */
import type { StoragePool } from '../api/types.js';
import { poolNodesFromIndex, type PoolNode } from '../scheduler/pool-node.js';
import type { ActivityDeps } from './deps.js';

export function poolNodesNow(d: ActivityDeps, o: { pools?: StoragePool[]; exclude?: ReadonlySet<string>; now?: number } = {}): PoolNode[] {
  const pools = o.pools ?? d.cache.listPools().filter((p) => !p.metadata.deletionTimestamp);
  const assumed = d.assumed?.byNode((uid) => d.cache.volumeByUid(uid), o.now ?? Date.now());
  return poolNodesFromIndex(pools, d.cache, d.config.scheduler.nodeReservations, { ...(assumed ? { assumed } : {}), ...(o.exclude ? { exclude: o.exclude } : {}) });
}
