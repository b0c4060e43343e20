/**
 * The watcher's side of batched admission (v0.8.0): new, unbound volumes go to the namespace's placer in batches
 * (watcher/batch-feed.ts). v0.9.0: at most `maxInFlight` (PLACER_MAX_IN_FLIGHT, default 1,000) at once.
 */
import { placerStartOptions, placeVolumesSignal, type VolumeRef } from '../../workflows/messages.js';
import { BatchFeed, type BatchFeedOptions } from '../../watcher/batch-feed.js';

export type PlacerFeedOptions = BatchFeedOptions<VolumeRef>;

export class PlacerFeed extends BatchFeed<VolumeRef> {
  protected readonly what = 'placer';

  /** Volumes with the placer now (sent, not seen leaving: bound, reported, being deleted or gone). */
  get withPlacer(): number {
    return this.outstanding;
  }

  protected uidOf(ref: VolumeRef): string {
    return ref.uid;
  }

  protected async send(volumes: VolumeRef[]): Promise<void> {
    await this.client.workflow.signalWithStart('placerWorkflow', { ...placerStartOptions(this.opts, this.namespace), signal: placeVolumesSignal, signalArgs: [{ volumes }] });
  }
}
