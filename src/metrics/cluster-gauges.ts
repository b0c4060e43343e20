/**
 * Gauges computed from the informer cache at scrape time: pending volumes by reason and per-pool bytes.
 * The pool bytes use the scheduler's own free-space formula over the API's bindings — the same numbers a pool's
 * ledger converges to (the ledger also holds reservations in flight for a few hundred milliseconds). The cost is
 * one pass over the cached pools and volumes per scrape, no RPC: bounded at thousands of pools.
 */
import { NoStoragePoolAvailable } from '../api/constants.js';
import { poolCapacityBytes, volumeTotalBytes } from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { NodeReservationConfig } from '../scheduler/config.js';
import { buildPoolNodes, freeBytes } from '../scheduler/pool-node.js';
import { onScrape, resetPoolBytes, setPendingByReason, setPoolBytes } from './registry.js';

/** The reason a pending volume waits: the leading filter reason of our status.msg, else "Scheduling". */
export function pendingReason(msg: string | undefined): string {
  if (!msg) return 'Scheduling';
  if (msg.startsWith(NoStoragePoolAvailable)) {
    const m = /^NoStoragePoolAvailable: ([A-Za-z]+): \d/.exec(msg);
    return m ? m[1]! : NoStoragePoolAvailable;
  }
  const m = /^(Invalid[A-Za-z]*)/.exec(msg);
  return m ? m[1]! : 'Scheduling';
}

export interface ClusterGaugeValues {
  pending: Record<string, number>;
  pools: { pool: string; capacity: number; bound: number; free: number }[];
}

export function clusterGaugeValues(pools: StoragePool[], volumes: AntstorVolume[], reservations: NodeReservationConfig[] = []): ClusterGaugeValues {
  const pending: Record<string, number> = {};
  for (const v of volumes) {
    if (v.spec?.targetNodeId || v.metadata.deletionTimestamp) continue;
    const r = pendingReason(v.status?.msg);
    pending[r] = (pending[r] ?? 0) + 1;
  }
  const nodes = buildPoolNodes(pools.filter((p) => !p.metadata.deletionTimestamp), volumes, reservations);
  return {
    pending,
    pools: nodes.map((n) => ({
      pool: n.pool.metadata.name!,
      capacity: poolCapacityBytes(n.pool),
      bound: n.volumes.reduce((s, v) => s + volumeTotalBytes(v), 0),
      free: freeBytes(n),
    })),
  };
}

/** Refreshes the cluster gauges from `source` before every scrape. Returns the uninstaller. */
export function installClusterGauges(source: { listPools(): StoragePool[]; listVolumes(): AntstorVolume[] }, reservations: NodeReservationConfig[] = []): () => void {
  return onScrape(() => {
    const g = clusterGaugeValues(source.listPools(), source.listVolumes(), reservations);
    setPendingByReason(g.pending);
    resetPoolBytes();
    for (const p of g.pools) setPoolBytes(p.pool, p);
  });
}
