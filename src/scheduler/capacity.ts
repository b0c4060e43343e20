/**
 * The capacity rules, in one place: what a pool has free, which standing reservations it holds, and whether a
 * volume may take bytes there (free space, reservations, the remote-volume limit, MinLocalStorage). The filter
 * pass applies them to the cluster cache and the ledger applies them inside the pool's workflow, so a pool the
 * filters accept is a pool the ledger admits, given the same bindings (property-tested). Pure: it runs in
 * workflow code, so any change here that alters a decision must go behind `patched()` in the pool workflow.
 */

/** What one bound volume (or one request) takes from a pool. */
export interface CapacityEntry {
  /** Bytes counted against the pool: allocated-or-requested + snapshot reserve. */
  bytes: number;
  /** spec.sizeByte (MinLocalStorage and reservation size checks use it, as LiteIO does). */
  sizeByte: number;
  /** Not local to the pool's node. */
  remote: boolean;
  /** Remote and not excused by remoteIgnoreAnnoSelector: counts toward maxRemoteVolumeCount. */
  countsRemote: boolean;
  /** The standing reservation it claims ('' for none). */
  reservationId: string;
}

export interface CapacityRequest extends CapacityEntry {
  /** obnvmf/reservation-id annotation present: LiteIO's reservation short-circuit skips the remote checks. */
  viaReservation: boolean;
}

export interface PoolCapacity {
  /** Capacity for admission: status capacity (or spec total) minus reserved LVs. */
  capacityBytes: number;
  /** GetAvailableBytes (spec total minus reserved LVs), MinLocalStorage's base. */
  availableBytes: number;
}

export interface CapacityPolicy {
  maxRemoteVolumeCount: number;
  /** 0 disables the MinLocalStorage check (it applies only when that filter is configured). */
  minLocalStoragePct: number;
  /**
   * MinLocalStorage also binds volumes that claim a reservation (LiteIO: the reservation short-circuit skips the
   * rest of Basic, not the MinLocalStorage filter). Ledgers before v0.4.0 skipped it; replays keep that.
   */
  minLocalForReservations?: boolean;
}

export interface Totals {
  bound: number;
  claimed: Set<string>;
  remoteCount: number;
  remoteBytes: number;
}

export interface HeldReservation {
  id: string;
  size: number;
  /** Claimed by a bound volume (its bytes are in `bound` already). */
  claimed: boolean;
}

/** Everything admission needs from the bindings, in one pass. */
export function totals(entries: Iterable<CapacityEntry>): Totals {
  const t: Totals = { bound: 0, claimed: new Set(), remoteCount: 0, remoteBytes: 0 };
  for (const b of entries) {
    t.bound += b.bytes;
    if (b.reservationId) t.claimed.add(b.reservationId);
    if (b.countsRemote) t.remoteCount++;
    if (b.remote) t.remoteBytes += b.bytes;
  }
  return t;
}

/** Standing reservations held, in config order: claimed by a binding, or fitting in what is left (node.Reserve). */
export function heldReservations(t: Totals, capacityBytes: number, configured: readonly { id: string; size: number }[]): HeldReservation[] {
  let free = capacityBytes - t.bound;
  const out: HeldReservation[] = [];
  for (const r of configured) {
    if (t.claimed.has(r.id)) out.push({ id: r.id, size: r.size, claimed: true });
    else if (free >= r.size) {
      out.push({ id: r.id, size: r.size, claimed: false });
      free -= r.size;
    }
  }
  return out;
}

/** capacity − bound bytes − unclaimed held reservations (may be negative after adoption). */
export function freeBytes(t: Totals, held: readonly HeldReservation[], capacityBytes: number): number {
  let unclaimed = 0;
  for (const r of held) if (!r.claimed) unclaimed += r.size;
  return capacityBytes - t.bound - unclaimed;
}

/** MinLocalStorage: would this remote volume push the pool's local share below the minimum? */
export function localShareTooLow(t: Totals, pool: PoolCapacity, sizeByte: number, minLocalStoragePct: number): boolean {
  const pct = ((pool.availableBytes - t.remoteBytes - sizeByte) / pool.availableBytes) * 100;
  return pct < minLocalStoragePct;
}

/**
 * Whether the volume may take its bytes on a schedulable pool: undefined, or LiteIO's reason string. The order is
 * the order of LiteIO's checks (reservation short-circuit, free space, remote limit, MinLocalStorage).
 */
export function capacityVerdict(
  t: Totals,
  held: readonly HeldReservation[],
  pool: PoolCapacity,
  policy: CapacityPolicy,
  req: CapacityRequest,
): string | undefined {
  const free = freeBytes(t, held, pool.capacityBytes);
  const mine = req.reservationId ? held.find((r) => r.id === req.reservationId && !r.claimed) : undefined;
  if (req.viaReservation) {
    if (free < 0) return 'PoolFreeSize';
    if (!mine) return 'ReservationNotMatch';
    if (mine.size < req.sizeByte) return 'ReservationTooSmall';
    // The volume takes over its reservation's bytes; it must still fit in them plus what is free.
    if (free + mine.size < req.bytes) return 'PoolFreeSize';
    if (policy.minLocalForReservations && req.remote && policy.minLocalStoragePct > 0 && localShareTooLow(t, pool, req.sizeByte, policy.minLocalStoragePct))
      return 'LocalStorageTooLow';
    return undefined;
  }
  if (free + (mine?.size ?? 0) < req.bytes) return 'PoolFreeSize';
  if (req.remote) {
    if (req.countsRemote && t.remoteCount >= policy.maxRemoteVolumeCount) return 'RemoteVolMaxCount';
    if (policy.minLocalStoragePct > 0 && localShareTooLow(t, pool, req.sizeByte, policy.minLocalStoragePct)) return 'LocalStorageTooLow';
  }
  return undefined;
}
