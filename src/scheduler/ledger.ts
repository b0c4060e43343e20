/**
 * The per-pool placement ledger: pure, deterministic math used inside the PoolWorkflow (so it imports
 * nothing but types). It is the authority on admission: the filter chain may read a stale cache, the ledger
 * never admits a volume that would push the bytes bound or reserved on a pool past its schedulable capacity.
 * Reserve and release are idempotent by volume uid.
 */

export interface LedgerBinding {
  uid: string;
  /** namespace/name, for people reading the ledger. */
  key: string;
  /** Bytes counted against the pool: allocated-or-requested + snapshot reserve. */
  bytes: number;
  /** spec.sizeByte (MinLocalStorage and reservation size checks use it, as LiteIO does). */
  sizeByte: number;
  /** Not local to the pool's node. */
  remote: boolean;
  /** Remote and not excused by remoteIgnoreAnnoSelector: counts toward maxRemoteVolumeCount. */
  countsRemote: boolean;
  reservationId: string;
  /** Workflow time (ms) the binding was recorded; drift repair leaves young entries alone. */
  since: number;
  /** How the binding entered: a placement, or adopted from the API server. */
  via: 'reserve' | 'adopt';
}

export interface LedgerPoolInfo {
  exists: boolean;
  deleting: boolean;
  /** status ready and not locked by label. */
  schedulable: boolean;
  status: string;
  /** Capacity for admission: status capacity (or spec total) minus reserved LVs. */
  capacityBytes: number;
  /** GetAvailableBytes (spec total minus reserved LVs), MinLocalStorage's base. */
  availableBytes: number;
}

export interface LedgerPolicy {
  maxRemoteVolumeCount: number;
  /** 0 disables the MinLocalStorage check (it applies only when the filter is configured). */
  minLocalStoragePct: number;
  nodeReservations: { id: string; size: number }[];
}

export interface LedgerState {
  bindings: Record<string, LedgerBinding>;
}

export interface ReserveRequest {
  uid: string;
  key: string;
  bytes: number;
  sizeByte: number;
  remote: boolean;
  countsRemote: boolean;
  reservationId: string;
  /** obnvmf/reservation-id annotation present: LiteIO's reservation short-circuit skips remote checks. */
  viaReservation: boolean;
  /** Record an existing API binding without checks (adoption; never refused). */
  adopt?: boolean;
}

export interface ReserveResult {
  accepted: boolean;
  /** LiteIO reason string when refused. */
  reason?: string;
  /** Free bytes after the decision. */
  freeBytes: number;
  /** True when the uid was already bound here (idempotent retry). */
  already?: boolean;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Everything admission needs from the bindings, in one pass (this runs inside workflow tasks). */
interface Totals {
  bound: number;
  claimed: Set<string>;
  remoteCount: number;
  remoteBytes: number;
}

function totals(l: LedgerState): Totals {
  const t: Totals = { bound: 0, claimed: new Set(), remoteCount: 0, remoteBytes: 0 };
  for (const uid in l.bindings) {
    const b = l.bindings[uid]!;
    t.bound += b.bytes;
    if (b.reservationId) t.claimed.add(b.reservationId);
    if (b.countsRemote) t.remoteCount++;
    if (b.remote) t.remoteBytes += b.bytes;
  }
  return t;
}

export function boundBytes(l: LedgerState): number {
  return totals(l).bound;
}

function held(t: Totals, pool: LedgerPoolInfo, policy: LedgerPolicy) {
  let free = pool.capacityBytes - t.bound;
  const out: { id: string; size: number; claimed: boolean }[] = [];
  for (const r of policy.nodeReservations) {
    if (t.claimed.has(r.id)) out.push({ ...r, claimed: true });
    else if (free >= r.size) {
      out.push({ ...r, claimed: false });
      free -= r.size;
    }
  }
  return out;
}

const freeOf = (t: Totals, h: ReturnType<typeof held>, pool: LedgerPoolInfo) =>
  pool.capacityBytes - t.bound - sum(h.filter((r) => !r.claimed).map((r) => r.size));

/** Standing reservations held, in config order: claimed by a binding, or fitting in what is left. */
export function heldLedgerReservations(l: LedgerState, pool: LedgerPoolInfo, policy: LedgerPolicy) {
  return held(totals(l), pool, policy);
}

/** capacity − bound bytes − unclaimed held reservations (may be negative after adoption). */
export function ledgerFreeBytes(l: LedgerState, pool: LedgerPoolInfo, policy: LedgerPolicy): number {
  const t = totals(l);
  return freeOf(t, held(t, pool, policy), pool);
}

/** Decides a reservation and, when accepted, records it in `l` (mutates). */
export function reserve(
  l: LedgerState,
  pool: LedgerPoolInfo,
  policy: LedgerPolicy,
  req: ReserveRequest,
  now: number,
): ReserveResult {
  const t = totals(l);
  const h = held(t, pool, policy);
  const free = freeOf(t, h, pool);
  if (l.bindings[req.uid]) return { accepted: true, already: true, freeBytes: free };
  const record = (via: LedgerBinding['via']): ReserveResult => {
    l.bindings[req.uid] = {
      uid: req.uid,
      key: req.key,
      bytes: req.bytes,
      sizeByte: req.sizeByte,
      remote: req.remote,
      countsRemote: req.countsRemote,
      reservationId: req.reservationId,
      since: now,
      via,
    };
    return { accepted: true, freeBytes: ledgerFreeBytes(l, pool, policy) };
  };
  if (req.adopt) return record('adopt');

  const refuse = (reason: string): ReserveResult => ({ accepted: false, reason, freeBytes: free });
  if (!pool.exists || pool.deleting || !pool.schedulable) return refuse('PoolUnschedulable');

  const mine = req.reservationId ? h.find((r) => r.id === req.reservationId && !r.claimed) : undefined;

  if (req.viaReservation) {
    if (free < 0) return refuse('PoolFreeSize');
    if (!mine) return refuse('ReservationNotMatch');
    if (mine.size < req.sizeByte) return refuse('ReservationTooSmall');
    // The volume takes over its reservation's bytes; it must still fit in them plus what is free.
    if (free + mine.size < req.bytes) return refuse('PoolFreeSize');
    return record('reserve');
  }

  if (free + (mine?.size ?? 0) < req.bytes) return refuse('PoolFreeSize');
  if (req.remote) {
    if (req.countsRemote && t.remoteCount >= policy.maxRemoteVolumeCount) return refuse('RemoteVolMaxCount');
    if (policy.minLocalStoragePct > 0) {
      const pct = ((pool.availableBytes - t.remoteBytes - req.sizeByte) / pool.availableBytes) * 100;
      if (pct < policy.minLocalStoragePct) return refuse('LocalStorageTooLow');
    }
  }
  return record('reserve');
}

/** Removes a binding; returns whether one was removed (idempotent). */
export function release(l: LedgerState, uid: string): boolean {
  if (!l.bindings[uid]) return false;
  delete l.bindings[uid];
  return true;
}

export interface ApiBinding {
  uid: string;
  key: string;
  bytes: number;
  sizeByte: number;
  remote: boolean;
  countsRemote: boolean;
  reservationId: string;
}

export interface DriftReport {
  adopted: string[];
  dropped: string[];
  resized: string[];
}

/**
 * Reconciles the ledger with the bindings the API server shows. Adds API bindings the ledger lacks; drops
 * ledger entries the API no longer shows, but only when older than `graceMs` (a young entry may be a
 * reservation whose patch has not reached the cache yet); refreshes byte counts that changed (allocated-bytes).
 */
export function repairDrift(
  l: LedgerState,
  api: ApiBinding[],
  now: number,
  graceMs: number,
  /** uids of volumes that exist but are not bound anywhere yet: a ledger entry for one is a placement in flight. */
  inFlight: ReadonlySet<string> = new Set(),
): DriftReport {
  const report: DriftReport = { adopted: [], dropped: [], resized: [] };
  const seen = new Set<string>();
  for (const b of api) {
    seen.add(b.uid);
    const cur = l.bindings[b.uid];
    if (!cur) {
      l.bindings[b.uid] = { ...b, since: now, via: 'adopt' };
      report.adopted.push(b.key);
    } else if (cur.bytes !== b.bytes || cur.countsRemote !== b.countsRemote || cur.remote !== b.remote) {
      l.bindings[b.uid] = { ...cur, bytes: b.bytes, sizeByte: b.sizeByte, remote: b.remote, countsRemote: b.countsRemote };
      report.resized.push(b.key);
    }
  }
  for (const [uid, b] of Object.entries(l.bindings)) {
    if (!seen.has(uid) && !inFlight.has(uid) && now - b.since > graceMs) {
      delete l.bindings[uid];
      report.dropped.push(b.key);
    }
  }
  report.adopted.sort();
  report.dropped.sort();
  report.resized.sort();
  return report;
}
