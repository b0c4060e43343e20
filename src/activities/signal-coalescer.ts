/**
 * One signal in flight per target workflow; what arrives meanwhile goes in the next one.
 *
 * Why: every pool's reply activity signalled the one placer workflow on its own. The server applies signals to a
 * workflow one at a time (its mutable state is locked per signal), so at 64 pools answering at once each signal
 * waited on the others, and each pool's workflow task stayed open meanwhile (its reply is a local activity). At
 * W2's size with parking on those signals took up to 49 s and the pools' tasks timed out. Coalesced, the same
 * answers reach the placer in a few signals, each carrying what arrived while the previous one was in flight;
 * nothing waits on a timer, so a lone answer still goes at once.
 *
 * By default delivery stays at least once for the caller: its promise settles with the signal that carried its
 * items (a failure fails every caller of that signal, whose activities retry), and items are never split.
 *
 * With `handOffMs`, a caller whose items have not gone within that time is let go (its promise resolves) and the
 * coalescer keeps the items, retrying them with backoff until they are delivered, the workflow is gone, or
 * `giveUpMs` has passed. That frees the pool's workflow task while the server is slow to take signals. What this
 * process does not deliver (it exits, or gives up) is covered by the placer: a request it hears nothing about for
 * `ledgerSilenceReportMs` is handed to the volume's own workflow with a release of that request.
 */
export interface SignalCoalescerOptions {
  /** Items per signal at most (an entry larger than this goes alone, unsplit). Default 500. */
  maxItems?: number;
  /** Let a caller go after this long; undefined: callers wait for their signal. */
  handOffMs?: number;
  /** Handed-off items: first retry after this long, doubling up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Handed-off items are dropped (onDrop) once this long has passed since they arrived. */
  giveUpMs?: number;
  /** The workflow is gone: its items are dropped at once, quietly (nobody waits for them). */
  isGone?: (e: unknown) => boolean;
  /** Handed-off items dropped after giveUpMs (for a log line). */
  onDrop?: (workflowId: string, items: number, error: unknown) => void;
  /** For tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Entry<T> {
  items: T[];
  at: number;
  /** The caller still waits (false once resolved, rejected or handed off). */
  waiting: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Lane<T> {
  queue: Entry<T>[];
  running: boolean;
}

export class SignalCoalescer<T> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly o: Required<Omit<SignalCoalescerOptions, 'handOffMs' | 'onDrop'>> & Pick<SignalCoalescerOptions, 'handOffMs' | 'onDrop'>;

  /** @param send delivers one signal with these items to the workflow. */
  constructor(
    private readonly send: (workflowId: string, items: T[]) => Promise<void>,
    opts: SignalCoalescerOptions = {},
  ) {
    this.o = {
      maxItems: opts.maxItems ?? 500,
      retryMs: opts.retryMs ?? 200,
      maxRetryMs: opts.maxRetryMs ?? 5_000,
      giveUpMs: opts.giveUpMs ?? 60_000,
      isGone: opts.isGone ?? (() => false),
      now: opts.now ?? Date.now,
      sleep: opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      ...(opts.handOffMs !== undefined ? { handOffMs: opts.handOffMs } : {}),
      ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
    };
  }

  /**
   * Resolves once a signal carrying `items` has been accepted by the server (or, with handOffMs, once the coalescer
   * has taken them over); rejects with that signal's error while the caller still waits.
   */
  deliver(workflowId: string, items: T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let lane = this.lanes.get(workflowId);
      if (!lane) this.lanes.set(workflowId, (lane = { queue: [], running: false }));
      const e: Entry<T> = { items, at: this.o.now(), waiting: true, resolve, reject };
      lane.queue.push(e);
      if (this.o.handOffMs !== undefined) {
        const t = setTimeout(() => this.settle(e), this.o.handOffMs);
        t.unref?.();
      }
      if (!lane.running) void this.pump(workflowId, lane);
    });
  }

  /** Items waiting or in flight for a workflow, counted by entry (for tests and metrics). */
  pending(workflowId: string): number {
    return this.lanes.get(workflowId)?.queue.length ?? 0;
  }

  /**
   * Waits until nothing is queued or in flight, or `ms` has passed; true when everything went. A stopping controller
   * calls it before closing its connection, so answers it took over are not left to the placer's silence rule.
   */
  async flush(ms: number): Promise<boolean> {
    const until = this.o.now() + ms;
    while (this.lanes.size && this.o.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.lanes.size === 0;
  }

  private settle(e: Entry<T>, error?: unknown): void {
    if (!e.waiting) return;
    e.waiting = false;
    if (error === undefined) e.resolve();
    else e.reject(error);
  }

  private async pump(workflowId: string, lane: Lane<T>): Promise<void> {
    lane.running = true;
    let backoff = this.o.retryMs;
    try {
      while (lane.queue.length) {
        // The batch stays at the head of the queue while in flight: on a failure, what was handed off is retried first.
        let n = 0;
        let k = 0;
        while (k < lane.queue.length && (k === 0 || n + lane.queue[k]!.items.length <= this.o.maxItems)) n += lane.queue[k++]!.items.length;
        const batch = lane.queue.slice(0, k);
        try {
          await this.send(
            workflowId,
            batch.flatMap((e) => e.items),
          );
          lane.queue.splice(0, k);
          for (const e of batch) this.settle(e);
          backoff = this.o.retryMs;
        } catch (err) {
          // Callers still waiting get the error (their activities retry, and bring the items again); what was handed
          // off is this coalescer's to retry, unless the workflow is gone or the items are too old.
          const handedOff = batch.filter((e) => !e.waiting);
          for (const e of batch) this.settle(e, err);
          const gone = this.o.isGone(err);
          const now = this.o.now();
          const keep = gone ? [] : handedOff.filter((e) => now - e.at < this.o.giveUpMs);
          const dropped = gone ? [] : handedOff.filter((e) => !keep.includes(e));
          lane.queue.splice(0, k, ...keep);
          if (dropped.length) this.o.onDrop?.(workflowId, dropped.reduce((sum, e) => sum + e.items.length, 0), err);
          if (keep.length) {
            await this.o.sleep(backoff);
            backoff = Math.min(backoff * 2, this.o.maxRetryMs);
          }
        }
      }
    } finally {
      lane.running = false;
      if (this.lanes.get(workflowId) === lane && !lane.queue.length) this.lanes.delete(workflowId);
    }
  }
}
