/** LiteIO's built-in filters: Basic, Affinity, MinLocalStorage (scheduler/filter/*.go), same order and reasons. */
import { Annotations, Reasons } from '../api/constants.js';
import {
  poolIsSchedulable,
  volumeHostNodeId,
  volumeIsLocalTo,
} from '../api/objects.js';
import type { AntstorVolume, NodeAffinity } from '../api/types.js';
import type { FilterContext, PredicateFunc } from './filter-types.js';
import { matchSelector, parseLabelSelector } from './label-selector.js';
import { matchNodeSelectorTerms } from './node-affinity.js';
import { capacityVerdict, localShareTooLow } from './capacity.js';
import { capacityRequestFor, nodeHeld, nodeId, nodeTotals, poolCapacity, type PoolNode } from './pool-node.js';

const reject = (ctx: FilterContext, reason: string): false => {
  ctx.addReason(reason);
  return false;
};

function spdkConditionOk(n: PoolNode): boolean {
  return (n.pool.status?.conditions ?? []).some((c) => c.type === 'Spdk' && c.status === 'OK');
}

/** Basic: every check in LiteIO's order (liteio.md §7.3). */
export const basicFilter: PredicateFunc = (ctx, n, vol) => {
  if (!poolIsSchedulable(n.pool)) return reject(ctx, Reasons.PoolUnschedulable);

  // The capacity rules are the ledger's (capacity.ts), so a pool that passes here is one its ledger admits.
  const poolNode = nodeId(n);
  const ignore = ctx.config.remoteIgnoreAnnoSelector;
  const req = capacityRequestFor(vol, poolNode, ignore);
  const t = nodeTotals(n, ignore);
  const verdict = capacityVerdict(t, nodeHeld(n, t), poolCapacity(n.pool), { maxRemoteVolumeCount: ctx.config.maxRemoteVolumeCount, minLocalStoragePct: 0 }, req);
  // Reservation short-circuit: a matching reservation skips the remaining Basic checks, as in LiteIO.
  if (req.viaReservation) return verdict ? reject(ctx, verdict) : true;

  // LiteIO compares sizeByte only; we count the volume's snapshot reserve too, as stored volumes are counted.
  if (verdict === Reasons.PoolFreeSize) return reject(ctx, Reasons.PoolFreeSize);

  const tgtOk = spdkConditionOk(n);
  if (!tgtOk && n.pool.spec.spdkLVStore?.name) return reject(ctx, Reasons.SpdkUnhealthy);

  if (req.remote) {
    if (verdict === Reasons.RemoteVolMaxCount) return reject(ctx, Reasons.RemoteVolMaxCount);
    // Remote access needs a healthy SPDK target even on an LVM pool.
    if (!tgtOk) return reject(ctx, Reasons.SpdkUnhealthy);
  }

  const host = volumeHostNodeId(vol);
  const pos = vol.spec.positionAdvice;
  if (pos === 'MustLocal' && poolNode !== host) return reject(ctx, Reasons.PositionNotMatch);
  if (pos === 'MustRemote' && poolNode === host) return reject(ctx, Reasons.PositionNotMatch);

  if (vol.spec.type === 'SpdkLVol' && !n.pool.spec.spdkLVStore?.uuid) return reject(ctx, Reasons.VolTypeNotMatch);
  if (vol.spec.type === 'KernelLVol' && !n.pool.spec.kernelLvm?.vgUUID) return reject(ctx, Reasons.VolTypeNotMatch);
  return true;
};

function affinityTerms(a: NodeAffinity | null | undefined) {
  return a?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
}

function selectorMatches(
  ctx: FilterContext,
  sel: string | undefined,
  labels: Record<string, string> | undefined,
  reason: string,
): boolean {
  if (sel === undefined) return true;
  const reqs = parsedSelector(sel);
  // LiteIO logs and passes; we refuse to place on a selector we cannot read.
  if (!reqs) return reject(ctx, Reasons.InvalidSelector);
  return matchSelector(reqs, labels) || reject(ctx, reason);
}

/** Parsed selectors by text (a filter pass reads the volume's selector once per pool); undefined when invalid. */
const selectorCache = new Map<string, ReturnType<typeof parseLabelSelector> | undefined>();
function parsedSelector(sel: string): ReturnType<typeof parseLabelSelector> | undefined {
  if (selectorCache.has(sel)) return selectorCache.get(sel);
  let reqs: ReturnType<typeof parseLabelSelector> | undefined;
  try {
    reqs = parseLabelSelector(sel);
  } catch {
    reqs = undefined;
  }
  if (selectorCache.size >= 1024) selectorCache.clear(); // bounded: selectors are few, volumes' texts are not
  selectorCache.set(sel, reqs);
  return reqs;
}

function termsMatch(
  ctx: FilterContext,
  terms: ReturnType<typeof affinityTerms>,
  name: string,
  labels: Record<string, string> | undefined,
  reason: string,
): boolean {
  if (!terms) return true;
  try {
    return matchNodeSelectorTerms(terms, name, labels) || reject(ctx, reason);
  } catch {
    return reject(ctx, reason);
  }
}

/** Affinity: nodeAffinity, node-label-selector, poolAffinity, pool-label-selector (liteio.md §7.4). */
export const affinityFilter: PredicateFunc = (ctx, n, vol) => {
  const info = n.pool.spec.nodeInfo ?? { id: '' };
  const annos = vol.metadata.annotations ?? {};
  return (
    termsMatch(ctx, affinityTerms(vol.spec.nodeAffinity), info.id, info.labels, Reasons.NodeAffinity) &&
    selectorMatches(ctx, annos[Annotations.NodeLabelSelector], info.labels, Reasons.NodeAffinity) &&
    termsMatch(ctx, affinityTerms(vol.spec.poolAffinity), '', n.pool.metadata.labels, Reasons.PoolAffinity) &&
    selectorMatches(ctx, annos[Annotations.PoolLabelSelector], n.pool.metadata.labels, Reasons.PoolAffinity)
  );
};

/** MinLocalStorage: a remote volume may not push the pool's local share below minLocalStoragePct. */
export const minLocalStorageFilter: PredicateFunc = (ctx, n, vol: AntstorVolume) => {
  if (volumeIsLocalTo(vol, nodeId(n))) return true;
  return !localShareTooLow(nodeTotals(n), poolCapacity(n.pool), vol.spec.sizeByte || 0, ctx.config.minLocalStoragePct) || reject(ctx, Reasons.LocalStorageTooLow);
};
