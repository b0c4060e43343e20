/**
 * A watcher's feed into a namespace-wide batching workflow (the placer, v0.8.0; the releaser, v0.17.0): items are
 * collected for a few milliseconds and handed over in one signal (signalWithStart: the first batch starts the
 * workflow). One signal in flight at a time, so batches grow under load instead of the signals multiplying; a failed
 * signal keeps its items and is retried with backoff (the receiver ignores an item it already has).
 *
 * At most `maxInFlight` items are with the receiver at once; the rest wait here, in memory, and go as the ones sent
 * leave (`done`). The receiver carries what it holds across continue-as-new in its next run's input, which must stay
 * well under the server's 4 MiB message limit: without this window W2's 10,000 volumes all went to the placer at
 * once, and its continue-as-new (4.4 MB of items) was refused forever. An item sent and not seen leaving within
 * `inFlightTimeoutMs` stops counting, and is sent again if it still needs the receiver: a lost one is retried, never
 * stuck.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger.js';
import type { Timings } from '../workflows/messages.js';

export interface BatchFeedOptions<T> {
  delayMs?: number;
  maxBatch?: number;
  /** Items with the receiving workflow at once (default 1,000). */
  maxInFlight?: number;
  /** After this long an item sent stops counting as with the receiver (default 3 min). */
  inFlightTimeoutMs?: number;
  /**
   * The item if it still needs the receiver (from the watcher's cache), to send again after the timeout. Given the
   * item it was sent with, so the lookup is by name: a thousand expiring at once must not scan the cache each.
   */
  stillNew?: (sent: T) => T | undefined;
}

export abstract class BatchFeed<T> {
  private readonly pending = new Map<string, T>();
  /** Sent to the placer and not yet seen leaving it: uid → when sent. */
  private readonly inFlight = new Map<string, { at: number; ref: T }>();
  private readonly delayMs: number;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly inFlightTimeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The timer is only the expiry check of a full window (a `done` may cut it short). */
  private full = false;
  private sending = false;
  private failures = 0;
  private closed = false;
  /** Items handed over (benchmarks and tests read it). */
  sent = 0;

  constructor(
    protected readonly client: Client,
    protected readonly opts: { taskQueue: string; timings: Timings },
    protected readonly namespace: string,
    protected readonly log: Logger,
    private readonly o: BatchFeedOptions<T> = {},
  ) {
    this.delayMs = o.delayMs ?? 20;
    this.maxBatch = o.maxBatch ?? 500;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 1000);
    this.inFlightTimeoutMs = o.inFlightTimeoutMs ?? 3 * 60_000;
  }

  /** The key of an item (a volume's uid). */
  protected abstract uidOf(item: T): string;
  /** Hands a batch to the receiving workflow (throws to be retried with backoff; the receiver dedupes). */
  protected abstract send(batch: T[]): Promise<void>;
  /** What receives the batches, for the log. */
  protected abstract readonly what: string;

  /** Items with the receiver now (sent, not seen leaving). */
  get outstanding(): number {
    return this.inFlight.size;
  }

  /** Items waiting to be sent. */
  get waiting(): number {
    return this.pending.size;
  }

  add(item: T): void {
    const uid = this.uidOf(item);
    if (this.closed || this.inFlight.has(uid)) return;
    this.pending.set(uid, item);
    this.schedule();
  }

  /** The item left the receiver's hands: room for the next one. True when it had been sent (and not expired). */
  done(uid: string): boolean {
    this.pending.delete(uid);
    if (!this.inFlight.delete(uid)) return false;
    if (this.full) {
      // Waiting for room: there is some now.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.full = false;
    }
    this.schedule();
    return true;
  }

  private room(): number {
    return this.maxInFlight - this.inFlight.size;
  }

  private schedule(delay?: number): void {
    if (this.closed || this.sending || this.timer || this.pending.size === 0) return;
    // Full: the next `done` reschedules; the expiry check runs meanwhile so a lost volume cannot hold its place.
    if (this.room() <= 0) {
      this.full = true;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.full = false;
        this.expire();
        this.schedule();
      }, Math.min(this.inFlightTimeoutMs, 5_000));
      return;
    }
    this.timer = setTimeout(() => void this.flush(), delay ?? (this.pending.size >= this.maxBatch ? 0 : this.delayMs));
  }

  /** Items sent long ago and never seen leaving stop counting; the ones still needing it are sent again. */
  private expire(): void {
    const now = Date.now();
    for (const [uid, { at, ref: sent }] of this.inFlight) {
      if (now - at < this.inFlightTimeoutMs) continue;
      this.inFlight.delete(uid);
      const ref = this.o.stillNew?.(sent);
      if (ref) this.pending.set(uid, ref);
    }
  }

  close(): void {
    this.closed = true;
    this.full = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.expire();
    if (this.closed || this.sending || this.pending.size === 0 || this.room() <= 0) return this.schedule();
    this.sending = true;
    const batch = [...this.pending.values()].slice(0, Math.min(this.maxBatch, this.room()));
    let retryIn = 0;
    try {
      await this.send(batch);
      // Only what was sent leaves the map (a volume re-added meanwhile is the same volume: the placer dedupes).
      const now = Date.now();
      for (const r of batch) {
        const uid = this.uidOf(r);
        this.pending.delete(uid);
        this.inFlight.set(uid, { at: now, ref: r });
      }
      this.sent += batch.length;
      this.failures = 0;
    } catch (e) {
      this.failures++;
      retryIn = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
      this.log.warn(`${this.what} signal failed; retrying`, { volumes: batch.length, retryInMs: retryIn, error: (e as Error).message });
    } finally {
      this.sending = false;
    }
    this.schedule(retryIn || undefined);
  }
}
