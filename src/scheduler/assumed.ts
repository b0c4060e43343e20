/**
 * Placements asked of a pool's ledger but not yet bound in the API server, counted by the filters as if bound —
 * as kube-scheduler "assumes" a pod on its node before the bind lands. Without this, a pool that answers slowly
 * keeps looking emptiest (its bindings are not written yet), so every volume scheduled meanwhile picks it: a
 * herd that makes it slower still (seen on temporal-server: 638 of 1,000 volumes queued on one pool's ledger).
 * Advisory only: the pool's ledger still decides every reservation, so a stale or missing assumption can make a
 * choice worse, never an over-commit. In-process (each replica has its own), pure apart from the clock passed in.
 */
import type { AntstorVolume } from '../api/types.js';

export class AssumedPlacements {
  private readonly byUid = new Map<string, { node: string; at: number }>();

  /** ttlMs: a safety net for an assumption nothing clears (its volume stuck between request and answer). */
  constructor(private readonly ttlMs = 5 * 60_000) {}

  get size(): number {
    return this.byUid.size;
  }

  /** A reservation request for this volume was sent to the pool of this node id (replaces any earlier one). */
  assume(uid: string, node: string, now: number): void {
    this.byUid.set(uid, { node, at: now });
  }

  /** The volume's request was answered no, released, or the volume is unschedulable; `node`: only if it is that one. */
  forget(uid: string, node?: string): void {
    if (node === undefined || this.byUid.get(uid)?.node === node) this.byUid.delete(uid);
  }

  /**
   * The volumes as the filters should see them: each assumed volume that is still unbound as if bound to its pool.
   * Pass every volume (the one being scheduled included, then leave it out): entries whose volume is bound, being
   * deleted, gone or expired are dropped here.
   */
  overlay(volumes: AntstorVolume[], now: number): AntstorVolume[] {
    if (this.byUid.size === 0) return volumes;
    const byUid = new Map(volumes.map((v) => [v.metadata.uid ?? '', v]));
    const assumed = new Map<string, AntstorVolume>();
    for (const list of this.byNode((uid) => byUid.get(uid), now).values()) for (const c of list) assumed.set(c.metadata.uid!, c);
    return volumes.map((v) => assumed.get(v.metadata.uid ?? '') ?? v);
  }

  /**
   * The assumed volumes still unbound, as if bound, by node id, for a cache that can look volumes up by uid (no pass
   * over every volume). Entries whose volume is bound, being deleted, gone or expired are dropped here.
   */
  byNode(lookup: (uid: string) => AntstorVolume | undefined, now: number): Map<string, AntstorVolume[]> {
    const out = new Map<string, AntstorVolume[]>();
    for (const [uid, a] of this.byUid) {
      const v = lookup(uid);
      if (!v || v.spec.targetNodeId || v.metadata.deletionTimestamp || now - a.at > this.ttlMs) {
        this.byUid.delete(uid);
        continue;
      }
      let l = out.get(a.node);
      if (!l) out.set(a.node, (l = []));
      l.push(assumedCopy(v, a.node));
    }
    return out;
  }
}

/** One copy per cached object and node (cached objects are replaced when they change), so memos keyed by volume hold. */
const copies = new WeakMap<AntstorVolume, { node: string; copy: AntstorVolume }>();
function assumedCopy(v: AntstorVolume, node: string): AntstorVolume {
  const c = copies.get(v);
  if (c?.node === node) return c.copy;
  const copy = { ...v, spec: { ...v.spec, targetNodeId: node } };
  copies.set(v, { node, copy });
  return copy;
}
