/**
 * VolumeWorkflow: one per AntstorVolume uid. Loops "wait for an event, load the fresh object, decide, act":
 * filter and score (activity), reserve on the best pool's ledger (request/reply signals with its PoolWorkflow),
 * patch the binding (activity), or report why it cannot be placed and wait for capacity to change. The state and
 * steps live in VolumeManager; this function only wires them, with every patch flag evaluated before the first
 * handler is registered (signals waiting at the first activation are delivered inside `setHandler`).
 */
import { continueAsNew, patched, setHandler } from '@temporalio/workflow';
import {
  placementQuery,
  placerQuery,
  placeVolumesSignal,
  releaserQuery,
  releaseVolumesSignal,
  reserveRepliesSignal,
  reserveReplySignal,
  retryPlacementSignal,
  volumeEventSignal,
  type PlacementRecord,
  type PlacerWorkflowInput,
  type ReleaserWorkflowInput,
  type VolumeWorkflowInput,
} from '../../workflows/messages.js';
import { PlacerManager } from './placer-manager.js';
import { ReleaserManager } from './releaser-manager.js';
import { VolumeManager } from './volume-manager.js';

export const VOLUME_PATCHES = {
  /** v0.4.0: a silent pool is reported within seconds and given up on after a minute; local activities. */
  v040: 'volume-v0.4.0',
  /** v0.5.0: a reply counts only from the pool it was asked of; a grant nobody waits for is given back. */
  v050: 'volume-v0.5.0',
  /** v0.6.0: one ledger request, then probes of the pool decide whether to wait, ask again or give up. */
  v060: 'volume-v0.6.0',
  /**
   * v0.8.0: a run the placer started with its placement skips the first read, and a bound volume with nothing to
   * wait for (no plugins, no requeue) ends its run — parked, not resident; its next event starts a new run.
   */
  v080: 'volume-v0.8.0',
} as const;

export async function volumeWorkflow(input: VolumeWorkflowInput): Promise<PlacementRecord> {
  // A run started for revision 9 or later has every patch below in force and records no marker for them (the
  // input is part of the history, so replay takes the same branch); older runs ask `patched()` as they always did.
  const current = (input.rev ?? 0) >= 9; // revision 9 folded in the patches up to v0.8.0
  const v040 = current || patched(VOLUME_PATCHES.v040);
  const v050 = current || patched(VOLUME_PATCHES.v050);
  const v060 = current || patched(VOLUME_PATCHES.v060);
  const v080 = current || patched(VOLUME_PATCHES.v080);
  const volume = new VolumeManager(input, { boundedLedgerWait: v040, localActivities: v040, strayGrants: v050, patientLedgerWait: v060, parkWhenBound: v080 });
  setHandler(volumeEventSignal, (e) => volume.onEvent(e));
  setHandler(retryPlacementSignal, () => volume.onRetry());
  setHandler(placementQuery, () => volume.record);
  setHandler(reserveReplySignal, (m) => volume.onReply(m));
  const out = await volume.run();
  if ('continueAsNew' in out) return continueAsNew<typeof volumeWorkflow>(out.continueAsNew);
  return out.done;
}

/**
 * PlacerWorkflow (v0.8.0): one per namespace; admits new volumes in batches and starts each bound volume's
 * workflow with its placement (PlacerManager).
 */
export const PLACER_PATCHES = {
  /**
   * v0.9.0: requests out to at most PLACER_MAX_POOLS_ASKED pools at once (each answers the placer with its own
   * signal), and stray grants given back in chunks of 100, 16 at a time.
   */
  v090: 'placer-v0.9.0',
} as const;

export async function placerWorkflow(input: PlacerWorkflowInput): Promise<void> {
  const v090 = patched(PLACER_PATCHES.v090);
  const placer = new PlacerManager(input, { boundedFanOut: v090 });
  setHandler(placeVolumesSignal, ({ volumes }) => placer.onPlace(volumes));
  setHandler(reserveRepliesSignal, ({ replies }) => placer.onReplies(replies));
  setHandler(placerQuery, (volume) => placer.view(volume));
  const next = await placer.run();
  await continueAsNew<typeof placerWorkflow>(next);
}

/**
 * ReleaserWorkflow (v0.17.0): one per namespace; finishes the deletion of bound volumes in batches — each pool's
 * ledger released, then the in-state finalizer removed (ReleaserManager).
 */
export async function releaserWorkflow(input: ReleaserWorkflowInput): Promise<void> {
  const releaser = new ReleaserManager(input);
  setHandler(releaseVolumesSignal, ({ volumes }) => releaser.onRelease(volumes));
  setHandler(releaserQuery, (volume) => releaser.view(volume));
  const next = await releaser.run();
  await continueAsNew<typeof releaserWorkflow>(next);
}
