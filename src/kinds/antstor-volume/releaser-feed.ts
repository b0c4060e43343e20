/**
 * The watcher's side of batched deletion (v0.17.0): bound volumes being deleted with only the in-state finalizer
 * left go to the namespace's releaser in batches (watcher/batch-feed.ts), at most `maxInFlight` at once.
 */
import { releaserStartOptions, releaseVolumesSignal, type ReleaserItem } from '../../workflows/messages.js';
import { BatchFeed } from '../../watcher/batch-feed.js';

export class ReleaserFeed extends BatchFeed<ReleaserItem> {
  protected readonly what = 'releaser';

  protected uidOf(it: ReleaserItem): string {
    return it.ref.uid;
  }

  protected async send(volumes: ReleaserItem[]): Promise<void> {
    await this.client.workflow.signalWithStart('releaserWorkflow', { ...releaserStartOptions(this.opts, this.namespace), signal: releaseVolumesSignal, signalArgs: [{ volumes }] });
  }
}
