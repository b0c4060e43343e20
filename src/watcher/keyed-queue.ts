/**
 * A keyed work queue with client-go workqueue semantics: an item queued twice is processed once with the
 * latest payload, one key is never processed concurrently, failures retry with capped exponential backoff.
 *
 * Two lanes: work added as `background` (the resync of objects that need nothing, such as every placed volume
 * when the controller starts) runs only in slots the foreground leaves free and at most `backgroundConcurrency` at
 * a time, so a volume created meanwhile is not queued behind ten thousand resyncs. A key added to the foreground
 * while it waits in the background moves to the foreground. `backgroundPerSec` paces the background lane as well:
 * each item is a workflow task on the Temporal side, and a burst of them would queue there instead.
 */
export class KeyedQueue<T> {
  private readonly pending = new Map<string, T>();
  private readonly order: string[] = [];
  private readonly background: string[] = [];
  private readonly inBackground = new Set<string>();
  private readonly active = new Set<string>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private runningBackground = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly worker: (key: string, item: T) => Promise<void>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    private readonly concurrency = 8,
    private readonly maxBackoffMs = 30_000,
    private readonly backgroundConcurrency = Math.max(1, Math.floor(concurrency / 4)),
    private readonly backgroundPerSec = Infinity,
  ) {}

  private nextBackgroundAt = 0;
  private paceTimer: NodeJS.Timeout | undefined;

  add(key: string, item: T, o: { background?: boolean } = {}): void {
    if (this.closed) return;
    if (!this.pending.has(key)) {
      if (o.background) {
        this.background.push(key);
        this.inBackground.add(key);
      } else this.order.push(key);
    } else if (!o.background && this.inBackground.has(key)) {
      this.background.splice(this.background.indexOf(key), 1);
      this.inBackground.delete(key);
      this.order.push(key);
    }
    this.pending.set(key, item);
    this.pump();
  }

  get size(): number {
    return this.pending.size + this.active.size;
  }

  /** Keys waiting in the background lane (not yet started). */
  get backgroundSize(): number {
    return this.background.length;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    this.order.length = 0;
    this.background.length = 0;
    this.inBackground.clear();
    if (this.paceTimer) clearTimeout(this.paceTimer);
  }

  /** The next key that may start: the foreground first, then the background within its share. */
  private next(): { key: string; background: boolean } | undefined {
    const idx = this.order.findIndex((k) => !this.active.has(k));
    if (idx >= 0) return { key: this.order.splice(idx, 1)[0]!, background: false };
    if (this.runningBackground >= this.backgroundConcurrency) return undefined;
    const b = this.background.findIndex((k) => !this.active.has(k));
    if (b < 0) return undefined;
    const now = Date.now();
    if (now < this.nextBackgroundAt) {
      if (!this.paceTimer)
        this.paceTimer = setTimeout(() => {
          this.paceTimer = undefined;
          this.pump();
        }, this.nextBackgroundAt - now).unref();
      return undefined;
    }
    if (Number.isFinite(this.backgroundPerSec)) this.nextBackgroundAt = Math.max(now, this.nextBackgroundAt) + 1000 / this.backgroundPerSec;
    const key = this.background.splice(b, 1)[0]!;
    this.inBackground.delete(key);
    return { key, background: true };
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const n = this.next();
      if (!n) break;
      const { key, background } = n;
      const item = this.pending.get(key)!;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      if (background) this.runningBackground++;
      void this.worker(key, item)
        .then(
          () => void this.failures.delete(key),
          (err) => {
            const f = (this.failures.get(key) ?? 0) + 1;
            this.failures.set(key, f);
            const delay = Math.min(this.maxBackoffMs, 200 * 2 ** Math.min(f - 1, 10));
            this.onError(key, err, delay);
            setTimeout(() => {
              // A newer item for the key supersedes the failed one.
              if (!this.pending.has(key)) this.add(key, item, { background });
            }, delay).unref();
          },
        )
        .finally(() => {
          this.active.delete(key);
          this.running--;
          if (background) this.runningBackground--;
          this.pump();
          if (this.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }
}
