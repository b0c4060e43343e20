/**
 * The releaser (v0.17.0): one workflow per namespace that finishes the deletion of bound volumes in batches. The
 * watcher hands it a volume once the volume is being deleted with only the controller's in-state finalizer left;
 * each batch is one activity (every ledger release, then every finalizer patch), recorded in this workflow's
 * history with its volumes, pools and outcomes — the deletion's audit trail. A volume that is not that common case
 * is handed to its own workflow by the activity.
 *
 * Handlers only record; the main loop starts the work. Two batches run at once, so one batch's signals overlap the
 * other's patches. At continue-as-new the volumes not yet finished travel in the next run's input (the watcher's
 * feed keeps at most RELEASER_MAX_IN_FLIGHT with the releaser, so the input stays small).
 */
import { allHandlersFinished, condition, log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { releaserActivities } from './releaser-activities.js';
import type { ReleaserItem, ReleaserView, ReleaserWorkflowInput, Timings } from '../../workflows/messages.js';

type Acts = ReturnType<typeof releaserActivities>;

/** A batch is seconds of API writes (250 patches 16 at a time); lost with its worker, it is redone after 30 s. */
const acts = proxyActivities<Acts>({ startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '10s' } });

/** Volumes per batch. */
export const RELEASER_BATCH = 250;
/** Batches at once. */
const ROUNDS = 2;

export class ReleaserManager {
  private readonly namespace: string;
  private readonly timings: Timings;
  private readonly items = new Map<string, ReleaserItem>();
  /** uids waiting for a batch, in arrival order. */
  private readonly queue: string[] = [];
  private rounds = 0;
  private released: number;
  private handedOff: number;

  constructor(input: ReleaserWorkflowInput) {
    this.namespace = input.namespace;
    this.timings = input.timings;
    this.released = input.released ?? 0;
    this.handedOff = input.handedOff ?? 0;
    this.onRelease(input.items ?? []);
  }

  // ---- handlers: record only ----

  onRelease(volumes: ReleaserItem[]): void {
    for (const it of volumes) {
      if (this.items.has(it.ref.uid)) continue; // queued or in a running batch already (the feed sends again after a while)
      this.items.set(it.ref.uid, it);
      this.queue.push(it.ref.uid);
    }
  }

  view(volume?: string): ReleaserView {
    const found = volume ? [...this.items.values()].find((it) => it.ref.name === volume || it.ref.uid === volume) : undefined;
    return { items: this.items.size, released: this.released, handedOff: this.handedOff, ...(found ? { volume: found } : {}) };
  }

  // ---- main loop ----

  /** Runs until continue-as-new is due; returns the next run's input (the volumes not yet finished travel in it). */
  async run(): Promise<ReleaserWorkflowInput> {
    for (;;) {
      await condition(() => (this.queue.length > 0 && this.rounds < ROUNDS) || workflowInfo().continueAsNewSuggested);
      if (workflowInfo().continueAsNewSuggested) {
        // Let the batches that run finish (nothing new starts); what is still queued travels.
        await condition(() => this.rounds === 0 && allHandlersFinished());
        return { namespace: this.namespace, timings: this.timings, items: [...this.items.values()], released: this.released, handedOff: this.handedOff };
      }
      while (this.queue.length && this.rounds < ROUNDS) {
        this.batch().catch((e) => log.error('releaser batch failed', { error: (e as Error)?.message }));
      }
      this.describe();
    }
  }

  private async batch(): Promise<void> {
    const batch = this.queue.splice(0, RELEASER_BATCH).map((uid) => this.items.get(uid)!);
    this.rounds++;
    try {
      const out = await acts.releaserFinalize({ items: batch });
      for (const o of out) {
        this.items.delete(o.uid);
        if (o.result === 'handoff') this.handedOff++;
        else this.released++;
      }
    } finally {
      this.rounds--;
      this.describe();
    }
  }

  private describe(): void {
    setCurrentDetails(`**${this.items.size} volumes being released** — ${this.released} released and finalized, ${this.handedOff} handed to their own workflows`);
  }
}
