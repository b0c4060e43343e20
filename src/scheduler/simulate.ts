/**
 * A dry run of the placement pipeline: where each pending volume would go, and why, given pools and volumes.
 * Pure. It runs the same filter chain and priorities as the volume workflow's filter pass and the same capacity
 * verdict as the pool's ledger (capacity.ts), placing pending volumes one after another in creation order, each
 * seeing the volumes simulated before it as bound — as the ledgers would, had the volumes arrived in that order.
 */
import { poolIsSchedulable, poolNodeId, poolProblem } from '../api/objects.js';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import { Reasons } from '../api/constants.js';
import { capacityVerdict, type CapacityPolicy } from './capacity.js';
import { schedule, summarizeDecision, type PlacementDecision, type ResolvedChain } from './chain.js';
import type { SchedulerConfig } from './config.js';
import { buildPoolNodes, capacityRequestFor, freeBytes, heldReservations, nodeHeld, nodeTotals, poolCapacity, type PoolNode } from './pool-node.js';

export interface SimulatedVolume {
  /** namespace/name */
  volume: string;
  sizeByte: number;
  positionAdvice: string;
  /** Given as a what-if (--add-volume), not read from the cluster or file. */
  added: boolean;
  result: 'placed' | 'pending' | 'invalid';
  pool?: string;
  /** The one line status.msg would show. */
  message: string;
  /** The filter pass that chose the pool (the last pass, after any ledger refusals). */
  decision: PlacementDecision;
  /** Pools whose ledger would refuse this volume after the filters chose them, with the reason. */
  ledgerRefused: Record<string, string>;
}

export interface SimulatedPool {
  pool: string;
  capacityBytes: number;
  freeBefore: number;
  freeAfter: number;
  /** Volumes bound before the simulation. */
  bound: number;
  /** Volumes the simulation placed here. */
  placed: number;
  schedulable: boolean;
  added: boolean;
}

export interface SimulationResult {
  volumes: SimulatedVolume[];
  pools: SimulatedPool[];
}

export interface SimulationInput {
  pools: StoragePool[];
  volumes: AntstorVolume[];
  /** uids (or namespace/name when no uid) of what-if objects, flagged `added` in the result. */
  addedPools?: ReadonlySet<string>;
  addedVolumes?: ReadonlySet<string>;
}

const key = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** Creation order, then namespace/name: the order the watcher would hand the volumes to their workflows. */
function byArrival(a: AntstorVolume, b: AntstorVolume): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The ledger's policy, as the pool workflow gets it from the config (src/kinds/storage-pool/activities.ts). */
export function ledgerPolicy(cfg: SchedulerConfig): CapacityPolicy {
  return {
    maxRemoteVolumeCount: cfg.maxRemoteVolumeCount,
    minLocalStoragePct: cfg.filters.includes('MinLocalStorage') ? cfg.minLocalStoragePct : 0,
    minLocalForReservations: true,
  };
}

/** What the pool's ledger would answer for this volume: undefined (accepted) or the reason. */
function ledgerVerdict(cfg: SchedulerConfig, n: PoolNode, vol: AntstorVolume): string | undefined {
  if (n.pool.metadata.deletionTimestamp || !poolIsSchedulable(n.pool) || poolProblem(n.pool)) return Reasons.PoolUnschedulable;
  const t = nodeTotals(n, cfg.remoteIgnoreAnnoSelector);
  return capacityVerdict(t, nodeHeld(n, t), poolCapacity(n.pool), ledgerPolicy(cfg), capacityRequestFor(vol, poolNodeId(n.pool), cfg.remoteIgnoreAnnoSelector));
}

export function simulatePlacement(cfg: SchedulerConfig, chain: ResolvedChain, input: SimulationInput): SimulationResult {
  const pools = input.pools.filter((p) => !p.metadata.deletionTimestamp);
  const live = input.volumes.filter((v) => !v.metadata.deletionTimestamp);
  const bound = live.filter((v) => v.spec?.targetNodeId);
  const addedVolumes = input.addedVolumes ?? new Set<string>();
  const addedPools = input.addedPools ?? new Set<string>();
  const isAdded = (v: AntstorVolume) => addedVolumes.has(v.metadata.uid ?? key(v));
  // What-if volumes come last, in the order given: "where would this go now, after what is already pending?"
  const unbound = live.filter((v) => !v.spec?.targetNodeId);
  const pending = [...unbound.filter((v) => !isAdded(v)).sort(byArrival), ...unbound.filter(isAdded)];

  // A placed volume joins its pool's node with targetNodeId set (and the node's held reservations are worked out
  // again), so later volumes see it as bound — one node updated per placement, not the whole cluster rebuilt.
  const nodes = buildPoolNodes(pools, bound, cfg.nodeReservations);
  const byId = new Map(nodes.map((n) => [poolNodeId(n.pool), n]));
  const before = new Map(nodes.map((n) => [poolNodeId(n.pool), { free: freeBytes(n), bound: n.volumes.length }]));

  const volumes: SimulatedVolume[] = [];
  for (const vol of pending) {
    const refused: Record<string, string> = {};
    let decision: PlacementDecision;
    let chosen: string | undefined;
    // The workflow's loop: filter pass → ask the best candidate's ledger → on refusal, filter again without it.
    for (;;) {
      decision = schedule(cfg, chain, nodes, vol, { refused });
      const best = decision.candidates[0];
      if (decision.error || !best) break;
      const why = ledgerVerdict(cfg, byId.get(best.pool)!, vol);
      if (!why) {
        chosen = best.pool;
        break;
      }
      refused[best.pool] = why;
    }
    if (chosen) {
      const n = byId.get(chosen)!;
      n.volumes = [...n.volumes, { ...vol, spec: { ...vol.spec, targetNodeId: chosen } }];
      n.reservations = heldReservations(n.pool, n.volumes, cfg.nodeReservations);
    }
    volumes.push({
      volume: key(vol),
      sizeByte: vol.spec?.sizeByte ?? 0,
      positionAdvice: vol.spec?.positionAdvice ?? '',
      added: isAdded(vol),
      result: chosen ? 'placed' : decision.error && !decision.error.startsWith('NoStoragePoolAvailable') ? 'invalid' : 'pending',
      ...(chosen ? { pool: chosen } : {}),
      message: summarizeDecision(decision, chosen),
      decision,
      ledgerRefused: refused,
    });
  }

  const after = nodes;
  const placedOn = new Map<string, number>();
  for (const v of volumes) if (v.pool) placedOn.set(v.pool, (placedOn.get(v.pool) ?? 0) + 1);
  return {
    volumes,
    pools: after
      .map((n) => {
        const id = poolNodeId(n.pool);
        return {
          pool: id,
          capacityBytes: poolCapacity(n.pool).capacityBytes,
          freeBefore: before.get(id)?.free ?? 0,
          freeAfter: freeBytes(n),
          bound: before.get(id)?.bound ?? 0,
          placed: placedOn.get(id) ?? 0,
          schedulable: poolIsSchedulable(n.pool) && !poolProblem(n.pool),
          added: addedPools.has(n.pool.metadata.uid ?? key(n.pool)),
        };
      })
      .sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0)),
  };
}
