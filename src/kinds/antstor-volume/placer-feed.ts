/**
 * The watcher's side of batched admission (v0.8.0): new, unbound volumes are collected for a few milliseconds and
 * handed to the namespace's placer in one signal (signalWithStart: the first batch starts it). One signal in
 * flight at a time, so batches grow under load instead of the signals multiplying; a failed signal keeps its
 * volumes and is retried with backoff (the placer ignores a volume it already has).
 */
import type { Client } from '@temporalio/client';
import { placerStartOptions, placeVolumesSignal, type Timings, type VolumeRef } from '../../workflows/messages.js';
import type { Logger } from '../../logger.js';

export class PlacerFeed {
  private readonly pending = new Map<string, VolumeRef>();
  private timer: NodeJS.Timeout | undefined;
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
    private readonly delayMs = 20,
    private readonly maxBatch = 500,
  ) {}

  add(ref: VolumeRef): void {
    if (this.closed) return;
    this.pending.set(ref.uid, ref);
    if (!this.sending && !this.timer) this.timer = setTimeout(() => void this.flush(), this.pending.size >= this.maxBatch ? 0 : this.delayMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.sending || this.pending.size === 0) return;
    this.sending = true;
    const batch = [...this.pending.values()].slice(0, this.maxBatch);
    let retryIn = 0;
    try {
      await this.client.workflow.signalWithStart('placerWorkflow', {
        ...placerStartOptions(this.opts, this.namespace),
        signal: placeVolumesSignal,
        signalArgs: [{ volumes: batch }],
      });
      // Only what was sent leaves the map (a volume re-added meanwhile is the same volume: the placer dedupes).
      for (const r of batch) this.pending.delete(r.uid);
      this.sent += batch.length;
      this.failures = 0;
    } catch (e) {
      this.failures++;
      retryIn = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
      this.log.warn('placer signal failed; retrying', { volumes: batch.length, retryInMs: retryIn, error: (e as Error).message });
    } finally {
      this.sending = false;
    }
    if (this.pending.size && !this.closed && !this.timer) this.timer = setTimeout(() => void this.flush(), retryIn || (this.pending.size >= this.maxBatch ? 0 : this.delayMs));
  }
}
