/**
 * The watcher's side of batched admission (v0.8.0): new, unbound volumes are collected for a few milliseconds and
 * handed to the namespace's placer in one signal (signalWithStart: the first batch starts it). One signal in
 * flight at a time, so batches grow under load instead of the signals multiplying; a failed signal keeps its
 * volumes and is retried with backoff (the placer ignores a volume it already has).
 *
 * v0.9.0: at most `maxInFlight` volumes are with the placer at once; the rest wait here, in memory, and go as the
 * ones sent leave (bound, reported, deleted: `done`). The placer carries what it holds across continue-as-new in
 * its next run's input, which must stay well under the server's 4 MiB message limit: without this window W2's
 * 10,000 volumes all went to the placer at once, and its continue-as-new (4.4 MB of items) was refused forever.
 * A volume sent and not seen leaving within `inFlightTimeoutMs` stops counting, and is sent again if it is still
 * new (the placer ignores one it holds or handed to its own workflow): a lost one is retried, never stuck.
 */
import type { Client } from '@temporalio/client';
import { placerStartOptions, placeVolumesSignal, type Timings, type VolumeRef } from '../../workflows/messages.js';
import type { Logger } from '../../logger.js';

export interface PlacerFeedOptions {
  delayMs?: number;
  maxBatch?: number;
  /** Volumes with the placer at once (default 1,000; PLACER_MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /** After this long a volume sent stops counting as with the placer (default 3 min). */
  inFlightTimeoutMs?: number;
  /**
   * The volume if it is still new and unbound (from the watcher's cache), to send again after the timeout. Given
   * the ref it was sent with, so the lookup is by name: a thousand expiring at once must not scan the cache each.
   */
  stillNew?: (sent: VolumeRef) => VolumeRef | undefined;
}

export class PlacerFeed {
  private readonly pending = new Map<string, VolumeRef>();
  /** Sent to the placer and not yet seen leaving it: uid → when sent. */
  private readonly inFlight = new Map<string, { at: number; ref: VolumeRef }>();
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
  /** Volumes handed to the placer (benchmarks and tests read it). */
  sent = 0;

  constructor(
    private readonly client: Client,
    private readonly opts: { taskQueue: string; timings: Timings },
    private readonly namespace: string,
    private readonly log: Logger,
    private readonly o: PlacerFeedOptions = {},
  ) {
    this.delayMs = o.delayMs ?? 20;
    this.maxBatch = o.maxBatch ?? 500;
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 1000);
    this.inFlightTimeoutMs = o.inFlightTimeoutMs ?? 3 * 60_000;
  }

  /** Volumes with the placer now (sent, not seen leaving). */
  get withPlacer(): number {
    return this.inFlight.size;
  }

  /** Volumes waiting to be sent. */
  get waiting(): number {
    return this.pending.size;
  }

  add(ref: VolumeRef): void {
    if (this.closed || this.inFlight.has(ref.uid)) return;
    this.pending.set(ref.uid, ref);
    this.schedule();
  }

  /** The volume left the placer's hands (bound, reported, being deleted, gone): room for the next one. */
  done(uid: string): void {
    this.pending.delete(uid);
    if (!this.inFlight.delete(uid)) return;
    if (this.full) {
      // Waiting for room: there is some now.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.full = false;
    }
    this.schedule();
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

  /** Volumes sent long ago and never seen leaving stop counting; the ones still new are sent again. */
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
      await this.client.workflow.signalWithStart('placerWorkflow', {
        ...placerStartOptions(this.opts, this.namespace),
        signal: placeVolumesSignal,
        signalArgs: [{ volumes: batch }],
      });
      // Only what was sent leaves the map (a volume re-added meanwhile is the same volume: the placer dedupes).
      const now = Date.now();
      for (const r of batch) {
        this.pending.delete(r.uid);
        this.inFlight.set(r.uid, { at: now, ref: r });
      }
      this.sent += batch.length;
      this.failures = 0;
    } catch (e) {
      this.failures++;
      retryIn = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
      this.log.warn('placer signal failed; retrying', { volumes: batch.length, retryInMs: retryIn, error: (e as Error).message });
    } finally {
      this.sending = false;
    }
    this.schedule(retryIn || undefined);
  }
}
