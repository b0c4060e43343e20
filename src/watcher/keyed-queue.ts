/**
 * A keyed work queue with client-go workqueue semantics: an item queued twice is processed once with the
 * latest payload, one key is never processed concurrently, failures retry with capped exponential backoff.
 */
export class KeyedQueue<T> {
  private readonly pending = new Map<string, T>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly worker: (key: string, item: T) => Promise<void>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    private readonly concurrency = 8,
    private readonly maxBackoffMs = 30_000,
  ) {}

  add(key: string, item: T): void {
    if (this.closed) return;
    if (!this.pending.has(key)) this.order.push(key);
    this.pending.set(key, item);
    this.pump();
  }

  get size(): number {
    return this.pending.size + this.active.size;
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
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const idx = this.order.findIndex((k) => !this.active.has(k));
      if (idx < 0) break;
      const key = this.order.splice(idx, 1)[0]!;
      const item = this.pending.get(key)!;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      void this.worker(key, item)
        .then(
          () => void this.failures.delete(key),
          (err) => {
            const n = (this.failures.get(key) ?? 0) + 1;
            this.failures.set(key, n);
            const delay = Math.min(this.maxBackoffMs, 200 * 2 ** Math.min(n - 1, 10));
            this.onError(key, err, delay);
            setTimeout(() => {
              // A newer item for the key supersedes the failed one.
              if (!this.pending.has(key)) this.add(key, item);
            }, delay).unref();
          },
        )
        .finally(() => {
          this.active.delete(key);
          this.running--;
          this.pump();
          if (this.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }
}
