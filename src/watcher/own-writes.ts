/**
 * Writes this process made to a volume on behalf of its workflow, by the resourceVersion the API server returned.
 * The workflow already knows that object (it made the change and records the version), so its watch event need not
 * wake it: one signal and one workflow task fewer per placement. Matching is exact (uid and resourceVersion), so an
 * event that carries anyone else's change is never skipped. The watch event often arrives before the write's own
 * response, so a write is announced (`begin`) before it is sent and the watcher waits for it to settle. Bounded:
 * the oldest entries go first.
 */
export class OwnWrites {
  private readonly rvByUid = new Map<string, { rv: string; key?: string }>();
  private readonly inFlight = new Map<string, { done: Promise<void>; settle: () => void; n: number }>();

  constructor(private readonly max = 20_000) {}

  get size(): number {
    return this.rvByUid.size;
  }

  /** A write to volume `uid` is about to be sent; `end` must follow (after `note`, if it landed). */
  begin(uid: string): void {
    const cur = this.inFlight.get(uid);
    if (cur) {
      cur.n++;
      return;
    }
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    this.inFlight.set(uid, { done, settle, n: 1 });
  }

  /** The write announced by `begin` is over (landed and noted, failed, or not needed). */
  end(uid: string): void {
    const cur = this.inFlight.get(uid);
    if (!cur || --cur.n > 0) return;
    this.inFlight.delete(uid);
    cur.settle();
  }

  /**
   * The workflow of volume `uid` wrote it and saw resourceVersion `rv` come back. `key`: what of the object a
   * workflow acts on, as written (an event that shows the same, at a later version, changed only what no workflow
   * acts on — the informer may deliver our write and a status write after it as one update, e.g. after a re-list).
   */
  note(uid: string, rv: string | undefined, key?: string): void {
    if (!rv) return;
    this.rvByUid.delete(uid); // re-insert: newest last
    this.rvByUid.set(uid, { rv, ...(key !== undefined ? { key } : {}) });
    if (this.rvByUid.size > this.max) this.rvByUid.delete(this.rvByUid.keys().next().value!);
  }

  /** Resolves when no write to `uid` is in flight (or after `timeoutMs`: then the event is simply delivered). */
  async settled(uid: string, timeoutMs = 5_000): Promise<void> {
    const cur = this.inFlight.get(uid);
    if (!cur) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([cur.done, new Promise<void>((r) => (t = setTimeout(r, timeoutMs).unref()))]);
    clearTimeout(t);
  }

  /**
   * Is this event our own write — exactly its version, or (given `key`) a later version that shows what a workflow
   * acts on exactly as we wrote it? (Forgets it: a later event is someone else's.)
   */
  consume(uid: string, rv: string | undefined, key?: string): boolean {
    const mine = this.rvByUid.get(uid);
    if (mine === undefined || (mine.rv !== rv && (key === undefined || mine.key !== key))) return false;
    this.rvByUid.delete(uid);
    return true;
  }
}
