/**
 * The per-pool placement ledger: pure, deterministic math used inside the PoolWorkflow (so it imports
 * nothing but types). It is the authority on admission: the filter chain may read a stale cache, the ledger
 * never admits a volume that would push the bytes bound or reserved on a pool past its schedulable capacity.
 * Reserve and release are idempotent by volume uid. The capacity rules themselves are in capacity.ts, shared with
 * the filter pass.
 */
import { capacityVerdict, freeBytes, heldReservations, totals, type CapacityPolicy, type CapacityRequest, type HeldReservation, type PoolCapacity } from './capacity.js';

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
  /**
   * How the binding entered: a placement, adopted from the API server, or a hold: capacity a volume group holds
   * for a member it has not created yet (its uid is `hold/...`; the member claims it, see ReserveRequest.claimsHold).
   */
  via: 'reserve' | 'adopt' | 'hold';
  /** A hold not claimed by then is dropped by drift repair (workflow time, ms). */
  holdUntil?: number;
  /**
   * v0.8.0: the requests this binding was granted to (the first, and any later request for the same volume, which
   * is answered yes without counting again). A release that names its request drops only that grant, and the
   * binding only when no grant is left: the placer and a volume's own workflow may both have asked this pool for
   * the volume, and one giving back its grant must not take away the other's, which it may be binding with.
   */
  grants?: string[];
}

export interface LedgerPoolInfo extends PoolCapacity {
  exists: boolean;
  deleting: boolean;
  /** status ready and not locked by label. */
  schedulable: boolean;
  status: string;
}

export interface LedgerPolicy extends CapacityPolicy {
  nodeReservations: { id: string; size: number }[];
}

export interface LedgerState {
  bindings: Record<string, LedgerBinding>;
}

export interface ReserveRequest extends CapacityRequest {
  uid: string;
  key: string;
  /** Record an existing API binding without checks (adoption; never refused). */
  adopt?: boolean;
  /** Record a hold (checked like a reservation) that lapses after ttlMs unless claimed or released. */
  hold?: { ttlMs: number };
  /**
   * The hold this volume takes over: when a hold of that uid for the same key is on the ledger, it is replaced by
   * the volume's binding (the check runs without the hold, so the volume gets the bytes held for it).
   */
  claimsHold?: string;
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

const bindingTotals = (l: LedgerState) => totals(Object.values(l.bindings));

export function boundBytes(l: LedgerState): number {
  return bindingTotals(l).bound;
}

/** Standing reservations held, in config order: claimed by a binding, or fitting in what is left. */
export function heldLedgerReservations(l: LedgerState, pool: LedgerPoolInfo, policy: LedgerPolicy): HeldReservation[] {
  return heldReservations(bindingTotals(l), pool.capacityBytes, policy.nodeReservations);
}

/** capacity − bound bytes − unclaimed held reservations (may be negative after adoption). */
export function ledgerFreeBytes(l: LedgerState, pool: LedgerPoolInfo, policy: LedgerPolicy): number {
  const t = bindingTotals(l);
  return freeBytes(t, heldReservations(t, pool.capacityBytes, policy.nodeReservations), pool.capacityBytes);
}

/** Decides a reservation and, when accepted, records it in `l` (mutates). The rules are capacity.ts's. */
export function reserve(
  l: LedgerState,
  pool: LedgerPoolInfo,
  policy: LedgerPolicy,
  req: ReserveRequest,
  now: number,
  /** The request being answered (v0.8.0): recorded as a grant of the binding (see LedgerBinding.grants). */
  requestId?: string,
): ReserveResult {
  const t = bindingTotals(l);
  const h = heldReservations(t, pool.capacityBytes, policy.nodeReservations);
  const free = freeBytes(t, h, pool.capacityBytes);
  const existing = l.bindings[req.uid];
  if (existing) {
    if (requestId && existing.grants && !existing.grants.includes(requestId)) existing.grants.push(requestId);
    return { accepted: true, already: true, freeBytes: free };
  }
  const held = req.claimsHold ? l.bindings[req.claimsHold] : undefined;
  if (held && held.via === 'hold' && held.key === req.key && req.adopt) delete l.bindings[req.claimsHold!]; // bound already
  else if (held && held.via === 'hold' && held.key === req.key) {
    delete l.bindings[req.claimsHold!];
    const r = reserve(l, pool, policy, { ...req, claimsHold: undefined }, now, requestId);
    if (!r.accepted) l.bindings[req.claimsHold!] = held; // refused: the hold stays as it was
    return r;
  }
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
      ...(via === 'hold' && req.hold ? { holdUntil: now + req.hold.ttlMs } : {}),
      ...(requestId && via !== 'adopt' ? { grants: [requestId] } : {}),
    };
    return { accepted: true, freeBytes: ledgerFreeBytes(l, pool, policy) };
  };
  if (req.adopt) return record('adopt');
  if (!pool.exists || pool.deleting || !pool.schedulable) return { accepted: false, reason: 'PoolUnschedulable', freeBytes: free };
  const reason = capacityVerdict(t, h, pool, policy, req);
  return reason ? { accepted: false, reason, freeBytes: free } : record(req.hold ? 'hold' : 'reserve');
}

/**
 * Removes a binding; returns whether one was removed (idempotent). With `requestId` (v0.8.0) only that grant is
 * given back: the binding goes when no grant is left, and one this request was never granted (adopted, or
 * granted to another request only) stays.
 */
export function release(l: LedgerState, uid: string, requestId?: string): boolean {
  const b = l.bindings[uid];
  if (!b) return false;
  if (requestId !== undefined) {
    const i = b.grants?.indexOf(requestId) ?? -1;
    if (i < 0) return false;
    b.grants!.splice(i, 1);
    if (b.grants!.length) return false;
  }
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
  /** A volume group's member: the hold its group had for it (gone once the member is bound). */
  claimsHold?: string;
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
  for (const { claimsHold, ...b } of api) {
    seen.add(b.uid);
    const cur = l.bindings[b.uid];
    const hold = claimsHold ? l.bindings[claimsHold] : undefined;
    if (hold?.via === 'hold' && hold.key === b.key) delete l.bindings[claimsHold!]; // its member is bound: no double count
    if (!cur) {
      l.bindings[b.uid] = { ...b, since: now, via: 'adopt' };
      report.adopted.push(b.key);
    } else if (cur.bytes !== b.bytes || cur.countsRemote !== b.countsRemote || cur.remote !== b.remote) {
      l.bindings[b.uid] = { ...cur, bytes: b.bytes, sizeByte: b.sizeByte, remote: b.remote, countsRemote: b.countsRemote };
      report.resized.push(b.key);
    }
  }
  for (const [uid, b] of Object.entries(l.bindings)) {
    // A hold is no API binding: it stays until claimed, released, or past its time.
    if (b.via === 'hold' && !seen.has(uid)) {
      if ((b.holdUntil ?? 0) <= now) {
        delete l.bindings[uid];
        report.dropped.push(b.key);
      }
      continue;
    }
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
