/**
 * The filter chain and priority calculator (LiteIO's FilterChain.MatchAll + PriorityCalculator.GetFirstByScore),
 * returning a compact, deterministic placement decision that explains itself.
 */
import { Annotations, NoStoragePoolAvailable, Reasons } from '../api/constants.js';
import { MAX_EXACT_BYTES, poolNodeId, poolProblem } from '../api/objects.js';
import type { AntstorVolume, NodeAffinity, StoragePool } from '../api/types.js';
import type { SchedulerConfig } from './config.js';
import type { PredicateFunc, PriorityFunc } from './filter-types.js';
import { parseLabelSelector } from './label-selector.js';
import { validateNodeSelectorRequirement } from './node-affinity.js';
import { freeBytes, nodeId, type PoolNode } from './pool-node.js';
import { getFilter, getPriority } from './registry.js';

export interface FilterStat {
  filter: string;
  /** Pools that entered this filter. */
  in: number;
  /** Rejections by reason. */
  rejected: Record<string, number>;
  /** Up to three rejected pool names per reason, so a person can look one up. */
  examples: Record<string, string[]>;
}

export interface Candidate {
  pool: string;
  score: number;
  scores: Record<string, number>;
  freeBytes: number;
}

export interface PlacementDecision {
  /** Total pools considered. */
  pools: number;
  filters: FilterStat[];
  /** Qualified pools in placement order (best first), at most `maxCandidates`. */
  candidates: Candidate[];
  qualified: number;
  /** Rejections by reason over all filters. */
  reasons: Record<string, number>;
  /** Set when the volume cannot be scheduled at all: `NoStoragePoolAvailable: …` or an `Invalid…` error. */
  error?: string;
  /** Set when obnvmf/selected-tgt-node chose the pool and no filter ran. */
  override?: string;
}

export interface ResolvedChain {
  filters: { name: string; fn: PredicateFunc }[];
  priorities: { name: string; weight: number; fn: PriorityFunc }[];
}

/**
 * Resolves the configured names; an unknown name is an error that names it (LiteIO skips it silently), and the
 * config file when `source` is given.
 */
export function resolveChain(cfg: SchedulerConfig, source?: string): ResolvedChain {
  const where = (field: string, i: number) => (source ? `config ${source}: ${field}[${i}]` : `config ${field}`);
  const filters = cfg.filters.map((name, i) => {
    const fn = getFilter(name);
    if (!fn) throw new Error(`${where('scheduler.filters', i)}: unknown filter "${name}" (register it with registerFilter)`);
    return { name, fn };
  });
  const priorities = cfg.priorities.map(({ name, weight }, i) => {
    const fn = getPriority(name);
    if (!fn)
      throw new Error(`${where('scheduler.priorities', i)}: unknown priority "${name}" (register it with registerPriority)`);
    return { name, weight, fn };
  });
  return { filters, priorities };
}

/** `NoStoragePoolAvailable: PoolFreeSize: 3, PoolUnschedulable: 2` — most frequent first, then by name. */
export function formatNoPoolMessage(reasons: Record<string, number>): string {
  const parts = Object.entries(reasons)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([r, c]) => `${r}: ${c}`);
  return parts.length ? `${NoStoragePoolAvailable}: ${parts.join(', ')}` : `${NoStoragePoolAvailable}: no pools`;
}

const POSITIONS = ['', 'MustLocal', 'PreferLocal', 'PreferRemote', 'MustRemote'];
const VOLUME_TYPES = ['Flexible', 'KernelLVol', 'SpdkLVol'];

/** The first malformed requirement of a required node/pool affinity, as "<field path>: <problem>", or ''. */
function affinityProblem(field: string, a: NodeAffinity | null | undefined): string {
  const req = a?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!req) return '';
  const f = `${field}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
  if (!Array.isArray(req.nodeSelectorTerms)) return `${f}: must be a list`;
  for (const [i, t] of req.nodeSelectorTerms.entries()) {
    for (const [j, r] of (t?.matchExpressions ?? []).entries()) {
      const err = validateNodeSelectorRequirement(r);
      if (err) return `${f}[${i}].matchExpressions[${j}]: ${err}`;
    }
    for (const [j, r] of (t?.matchFields ?? []).entries()) {
      const at = `${f}[${i}].matchFields[${j}]`;
      if (r.key !== 'metadata.name') return `${at}: key must be metadata.name, got ${JSON.stringify(r.key)}`;
      if (r.operator !== 'In' && r.operator !== 'NotIn') return `${at}: operator must be In or NotIn, got ${JSON.stringify(r.operator)}`;
      if ((r.values ?? []).length !== 1) return `${at}: needs exactly one value`;
    }
  }
  return '';
}

/** Problems that make a volume unschedulable whatever the pools are. Returns '' when it is fine. */
export function validateVolumeForScheduling(vol: AntstorVolume): string {
  const name = `AntstorVolume ${vol.metadata.namespace}/${vol.metadata.name}`;
  if (!vol.spec) return `InvalidVolume: ${name}: spec is missing`;
  if (!vol.spec.uuid) return `InvalidVolume: ${name}: spec.uuid is empty`;
  if (!(typeof vol.spec.sizeByte === 'number' && vol.spec.sizeByte > 0))
    return `InvalidVolume: ${name}: spec.sizeByte must be a positive number of bytes, got ${JSON.stringify(vol.spec.sizeByte)}`;
  if (vol.spec.sizeByte > MAX_EXACT_BYTES)
    return `InvalidVolume: ${name}: spec.sizeByte ${vol.spec.sizeByte} is more than 2^53-1 (${MAX_EXACT_BYTES}) bytes, not exactly representable`;
  if (!Number.isInteger(vol.spec.sizeByte)) return `InvalidVolume: ${name}: spec.sizeByte must be a whole number of bytes, got ${vol.spec.sizeByte}`;
  const pos = vol.spec.positionAdvice ?? '';
  if (!POSITIONS.includes(pos))
    return `InvalidVolume: ${name}: spec.positionAdvice ${JSON.stringify(pos)} is not one of MustLocal, PreferLocal, PreferRemote, MustRemote`;
  if (vol.spec.type !== undefined && !VOLUME_TYPES.includes(vol.spec.type))
    return `InvalidVolume: ${name}: spec.type ${JSON.stringify(vol.spec.type)} is not one of ${VOLUME_TYPES.join(', ')}`;
  for (const key of [Annotations.AllocatedBytes, Annotations.SnapshotReservedBytes]) {
    const raw = vol.metadata.annotations?.[key];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 0)
      return `InvalidVolume: ${name}: annotation ${key}: ${JSON.stringify(raw)} is not a whole number of bytes between 0 and 2^53-1`;
  }
  for (const [field, a] of [['spec.nodeAffinity', vol.spec.nodeAffinity], ['spec.poolAffinity', vol.spec.poolAffinity]] as const) {
    const err = affinityProblem(field, a);
    if (err) return `InvalidVolume: ${name}: ${err}`;
  }
  for (const key of [Annotations.PoolLabelSelector, Annotations.NodeLabelSelector]) {
    const sel = vol.metadata.annotations?.[key];
    if (sel === undefined) continue;
    try {
      parseLabelSelector(sel);
    } catch (e) {
      return `${Reasons.InvalidSelector}: ${name}: annotation ${key}: ${(e as Error).message}`;
    }
  }
  return '';
}

export interface ScheduleOptions {
  maxCandidates?: number;
  /**
   * Pools whose ledger already refused this volume, with the ledger's reason: they are rejected up front under
   * the pseudo-filter "Ledger" (the ledger is fresher than any cache).
   */
  refused?: Record<string, string>;
}

/** Rendezvous hash of (volume, pool): spreads equally good pools across volumes, deterministically. */
function spread(volume: string, pool: string): number {
  let h = 2166136261;
  const s = `${volume}\u0000${pool}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  // murmur3's fmix32: FNV alone orders near-identical keys (pool-1, pool-2 …) the same way for every volume.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Per call, the order of the nodes by id; per pool object, its problem. Both were worked out again for every volume
 * (a sort comparing ids recomputed in the comparator, a quantity parse per pool): at 1,000 pools that was a third
 * of a filter pass. Cached pool objects are replaced, never mutated, when they change.
 */
const sortMemo = new WeakMap<PoolNode[], PoolNode[]>();
function sortedById(nodes: PoolNode[]): PoolNode[] {
  let s = sortMemo.get(nodes);
  if (s && s.length === nodes.length) return s;
  const keyed = nodes.map((n) => [nodeId(n), n] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  s = keyed.map(([, n]) => n);
  sortMemo.set(nodes, s);
  return s;
}
const problemMemo = new WeakMap<StoragePool, ReturnType<typeof poolProblem> | null>();
function poolProblemOf(p: StoragePool): ReturnType<typeof poolProblem> {
  let r = problemMemo.get(p);
  if (r === undefined) problemMemo.set(p, (r = poolProblem(p) ?? null));
  return r ?? undefined;
}

/** Runs validation, the override, the filters and the priorities. Pure and deterministic. */
export function schedule(
  cfg: SchedulerConfig,
  chain: ResolvedChain,
  nodes: PoolNode[],
  vol: AntstorVolume,
  opts: ScheduleOptions = {},
): PlacementDecision {
  const maxCandidates = opts.maxCandidates ?? 8;
  const sorted = sortedById(nodes);
  const decision: PlacementDecision = { pools: sorted.length, filters: [], candidates: [], qualified: 0, reasons: {} };

  const invalid = validateVolumeForScheduling(vol);
  if (invalid) {
    decision.error = invalid;
    return decision;
  }

  // Pools no volume may use (id != name, absurd capacity): rejected up front, whatever filters are configured,
  // under the pseudo-filter "Pool" (listed only when it rejects something, to keep the record small).
  const valid: PoolNode[] = [];
  const bad = new Map<string, string>();
  const poolStat: FilterStat = { filter: 'Pool', in: sorted.length, rejected: {}, examples: {} };
  for (const n of sorted) {
    const problem = poolProblemOf(n.pool);
    if (!problem) {
      valid.push(n);
      continue;
    }
    bad.set(n.pool.metadata.name ?? '', problem.message);
    if (n.pool.spec?.nodeInfo?.id) bad.set(n.pool.spec.nodeInfo.id, problem.message);
    poolStat.rejected[problem.reason] = (poolStat.rejected[problem.reason] ?? 0) + 1;
    decision.reasons[problem.reason] = (decision.reasons[problem.reason] ?? 0) + 1;
    const ex = (poolStat.examples[problem.reason] ??= []);
    if (ex.length < 3) ex.push(n.pool.metadata.name ?? '');
  }
  if (bad.size) decision.filters.push(poolStat);

  const selected = vol.metadata.annotations?.[Annotations.SelectedTgtNode];
  if (selected) {
    decision.override = selected;
    const n = valid.find((x) => nodeId(x) === selected);
    if (!n) {
      const why = bad.get(selected);
      decision.error = why
        ? `${NoStoragePoolAvailable}: annotation ${Annotations.SelectedTgtNode}=${selected}: ${why}`
        : `${NoStoragePoolAvailable}: annotation ${Annotations.SelectedTgtNode}=${selected} names no known pool`;
      return decision;
    }
    decision.qualified = 1;
    decision.candidates = [{ pool: poolNodeId(n.pool), score: 0, scores: {}, freeBytes: freeBytes(n) }];
    return decision;
  }

  let survivors = valid;
  const refused = opts.refused ?? {};
  if (Object.keys(refused).length) {
    const stat: FilterStat = { filter: 'Ledger', in: survivors.length, rejected: {}, examples: {} };
    survivors = survivors.filter((n) => {
      const reason = refused[nodeId(n)];
      if (!reason) return true;
      stat.rejected[reason] = (stat.rejected[reason] ?? 0) + 1;
      decision.reasons[reason] = (decision.reasons[reason] ?? 0) + 1;
      const ex = (stat.examples[reason] ??= []);
      if (ex.length < 3) ex.push(nodeId(n));
      return false;
    });
    decision.filters.push(stat);
  }
  for (const f of chain.filters) {
    const stat: FilterStat = { filter: f.name, in: survivors.length, rejected: {}, examples: {} };
    const next: PoolNode[] = [];
    for (const n of survivors) {
      let reason = '';
      const ctx = { config: cfg, addReason: (r: string) => void (reason ||= r) };
      let ok: boolean;
      try {
        ok = f.fn(ctx, n, vol);
      } catch {
        ok = false;
        reason = `FilterError(${f.name})`;
      }
      if (ok) {
        next.push(n);
        continue;
      }
      reason ||= f.name;
      stat.rejected[reason] = (stat.rejected[reason] ?? 0) + 1;
      decision.reasons[reason] = (decision.reasons[reason] ?? 0) + 1;
      const ex = (stat.examples[reason] ??= []);
      if (ex.length < 3) ex.push(nodeId(n));
    }
    decision.filters.push(stat);
    survivors = next;
  }

  decision.qualified = survivors.length;
  if (survivors.length === 0) {
    decision.error = formatNoPoolMessage(decision.reasons);
    return decision;
  }

  const scored: Candidate[] = survivors.map((n) => {
    const scores: Record<string, number> = {};
    let score = 0;
    for (const p of chain.priorities) {
      let s = 0;
      try {
        s = p.fn({ config: cfg }, n, vol);
      } catch {
        s = 0;
      }
      if (!Number.isFinite(s)) s = 0;
      scores[p.name] = s;
      score += s * p.weight;
    }
    return { pool: nodeId(n), score, scores, freeBytes: freeBytes(n) };
  });
  // Deterministic tie-break (LiteIO's is random): higher score, then more free bytes, then a rendezvous hash
  // of volume and pool, so a burst of equal volumes spreads over equal pools instead of racing for one.
  const uid = vol.metadata.uid ?? vol.metadata.name ?? '';
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      b.freeBytes - a.freeBytes ||
      spread(uid, a.pool) - spread(uid, b.pool) ||
      (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0),
  );
  decision.candidates = scored.slice(0, maxCandidates);
  return decision;
}

/** What the one-line summary needs (kept small: it travels in activity inputs). */
export type DecisionSummary = Pick<PlacementDecision, 'pools' | 'qualified' | 'reasons' | 'error' | 'override'> & {
  candidates?: Candidate[];
  /** Scores of the chosen pool. */
  scores?: Record<string, number>;
};

/** One line for status.msg and events: the chosen pool, or the error. */
export function summarizeDecision(d: DecisionSummary, chosen?: string): string {
  if (d.error) return d.error;
  if (d.override) return `placed on ${chosen ?? d.override} by annotation ${Annotations.SelectedTgtNode}`;
  const rej = Object.entries(d.reasons)
    .map(([r, c]) => `${r}: ${c}`)
    .join(', ');
  return `placed on ${chosen ?? d.candidates?.[0]?.pool} (${d.qualified}/${d.pools} pools qualified${rej ? `; rejected ${rej}` : ''})`;
}
