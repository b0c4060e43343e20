/**
 * The state and rules of one pool's workflow, in one place (the safe-message-handlers pattern): the workflow
 * function builds a PoolManager, evaluates every `patched()` flag, registers handlers that are one-line calls into
 * it, and runs its main loop. Everything a handler reads is initialised in the constructor, so signals buffered
 * before the first `setHandler` (they are delivered inside it, on a workflow's first activation and right after
 * continue-as-new) meet a fully built object.
 *
 * Admission: a reserve request is decided in its handler when the pool's view is fresh (no await between check and
 * record, so two volumes never take the same bytes), otherwise queued until the view is reloaded. The plugin chain
 * and lifecycle run beside admission, one pass at a time.
 */
import { allHandlersFinished, condition, getExternalWorkflowHandle, log, proxyActivities, proxyLocalActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { storagePoolActivities } from './index.js';
import { boundBytes, heldLedgerReservations, type ApiBinding, ledgerFreeBytes, release, repairDrift, reserve, type DriftReport, type LedgerState, type ReserveResult } from '../../scheduler/ledger.js';
import { runDeletionHooks, runReconcileChain } from '../../workflows/plugin-chain.js';
import {
  POOL_REVISION,
  reserveReplySignal,
  volumeEventSignal,
  volumeWorkflowId,
  type LedgerView,
  type ObjectEvent,
  type ObjectRef,
  type PoolParked,
  type PoolView,
  type PoolWorkflowInput,
  type ReserveReplyMsg,
  type ReserveRequestMsg,
  type Timings,
} from '../../workflows/messages.js';

type Acts = ReturnType<typeof storagePoolActivities>;

const acts = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/**
 * v0.6.0: answers go out by a local activity that signals the volumes, every answer of one workflow task in one
 * call. An external-signal command costs the pool a second workflow task per answer (the "signalled" event that
 * comes back); the local activity runs inside the task that decided, and is recorded as a marker.
 */
const replyLocal = proxyLocalActivities<Acts>({ startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '10s' } });

const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** Which versions of the workflow's behaviour this run follows (from `patched()`, evaluated once at start). */
export interface PoolFlags {
  /** v0.3.0: requests are admitted in the signal handler; the chain and lifecycle run beside admission. */
  admissionInHandler: boolean;
  /** v0.4.0: continue-as-new drains (new requests queue and travel in the input) instead of waiting for a lull. */
  drainOnContinueAsNew: boolean;
  /** v0.4.0: a release also drops the volume's request still queued here (it gave up waiting for an answer). */
  releaseDropsQueued: boolean;
  /** v0.4.0: MinLocalStorage applies to volumes that claim a reservation too, as the filter chain has it. */
  minLocalForReservations: boolean;
  /** v0.6.0: answers are sent in batches by a local activity (`replyLocal`), not one external signal each. */
  repliesByActivity?: boolean;
  /**
   * v0.12.0: an idle pool parks (its run ends; the next signal starts a new one), and a new ledger adopts the API
   * server's bindings, read in its first `poolLoad` so that none can be missed (`adopt`); requests wait for it.
   */
  park?: boolean;
  /**
   * Revision 14 (v0.14.0): when the park timer fires but the pool is no longer idle long enough (a request decided
   * in its handler moved the deadline without waking the loop), the loop waits again unless a drift check is due by
   * its own clock (driftCheckedAt, carried across continue-as-new). Before, every such early timer fell through to a
   * drift check: a needless read of the API server (seen as a non-consistent read between parks in the long-lived
   * park test on a busy machine), which was also, by accident, the only drift check of a pool whose requests kept
   * coming within the park delay.
   */
  earlyParkTimerWaits?: boolean;
}

/** How a run ended: continued as new (with the next run's input), parked while idle, or closed with its pool. */
export type PoolRunEnd = { next: PoolWorkflowInput } | { parked: PoolParked } | { gone: true };

export class PoolManager {
  readonly ref: ObjectRef;
  readonly timings: Timings;
  readonly ledger: LedgerState;
  private readonly queue: ReserveRequestMsg[];
  /** Reply signals on their way; continue-as-new waits for them. */
  private readonly replies = new Set<Promise<void>>();
  /** Answers decided but not yet handed to the reply activity (v0.6.0). */
  private readonly outbox: { workflowId: string; msg: ReserveReplyMsg }[] = [];
  private sending = false;
  private view: PoolView | undefined;
  private dirty = true; // load once at start
  private gone = false;
  /** Set once continue-as-new has begun: requests queue and travel in the next run's input. */
  private draining = false;
  private lastDrift: (DriftReport & { at: string }) | undefined;
  /** First run of this ledger: adopt every binding the API server already has (e.g. taking over from LiteIO). */
  private adopted: boolean;
  private hooksRun = false;
  private lifecycleAt: number | undefined;
  private reconciling = false;
  private reconcileAgain = false;
  private nudge = false;
  /** A controller (re)started: compare the ledger with the API server at the next load (see ObjectEvent.resync). */
  private driftDue = false;
  /** Workflow time of the last comparison of the ledger with the API server (a drift check or the adoption read). */
  private driftCheckedAt = 0;
  /** Workflow time of the last message or pass: the pool parks once idle for timings.poolParkIdleMs after it. */
  private activeAt = 0;
  /** The last lifecycle pass said nothing is due that the watcher would not wake the pool for. */
  private lifecycleWatched = false;
  /**
   * v0.12.0: a new ledger is reading the bindings it adopts; requests wait until it has them. (Before, a request
   * that arrived during a first run's adoption read was decided on the empty ledger. A parked pool's every new
   * run adopts, so what was a rare first start became common: found by the park test, 21 admitted into room for 20.)
   */
  private adopting = false;
  /** A pool event reached this run (the watcher saw its StoragePool, Lease or Node change, or a controller start). */
  private poolEventSeen = false;
  /**
   * v0.12.0: a run started by reservation requests alone (a parked pool asked for room) answers them first and runs
   * its lifecycle pass once idle: nothing about the pool changed, or the watcher would have sent an event. A burst
   * into parked pools then costs each pool one load (with its bindings) before its first answer, not a whole pass.
   */
  private lifecycleDeferred = false;

  constructor(
    input: PoolWorkflowInput,
    private readonly flags: PoolFlags,
  ) {
    this.ref = input.ref;
    this.timings = input.timings;
    this.ledger = input.ledger ?? { bindings: {} };
    this.queue = [...(input.pending ?? [])];
    this.adopted = input.ledger !== undefined;
    this.activeAt = Date.now();
    this.driftCheckedAt = input.driftCheckedAt ?? Date.now();
  }

  // ---- message handlers: synchronous, no await between a check and its record ----

  onPoolEvent(e: ObjectEvent): void {
    this.poolEventSeen = true;
    this.activeAt = Date.now();
    this.dirty = true;
    if (e.resync) this.driftDue = true;
    if (e.deleted) this.gone = true;
  }

  onReserveRequest(m: ReserveRequestMsg): void {
    this.activeAt = Date.now();
    // Decide at once on a fresh view; a pending reload (dirty) means the view may be stale, so the request waits.
    if (this.flags.admissionInHandler && this.view && !this.dirty && !this.gone && !this.draining && !this.adopting) {
      this.reply(m, reserve(this.ledger, this.view.info, this.policy(this.view), m.req, Date.now(), m.requestId));
      this.describe();
      return;
    }
    this.queue.push(m);
  }

  onRelease(uid: string, requestId?: string): void {
    this.activeAt = Date.now();
    if (this.flags.releaseDropsQueued) {
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const q = this.queue[i]!;
        if (q.req.uid === uid && (requestId === undefined || q.requestId === requestId)) this.queue.splice(i, 1);
      }
    }
    release(this.ledger, uid, requestId);
    this.describe();
  }

  ledgerView(): LedgerView {
    const bindings = Object.values(this.ledger.bindings).sort((a, b) => (a.key < b.key ? -1 : 1));
    const v = this.view;
    return {
      pool: `${this.ref.namespace}/${this.ref.name}`,
      info: v?.info,
      freeBytes: v ? ledgerFreeBytes(this.ledger, v.info, v.policy) : 0,
      boundBytes: boundBytes(this.ledger),
      bindings,
      ...(this.lastDrift ? { lastDrift: this.lastDrift } : {}),
      ...(this.queue.length ? { queued: this.queue.length } : {}),
      ...(v ? { reservations: heldLedgerReservations(this.ledger, v.info, v.policy) } : {}),
    };
  }

  // ---- main loop ----

  /** Runs until the pool is gone or parks; or until the history should be continued as new. */
  async run(): Promise<PoolRunEnd> {
    const t = this.timings;
    while (!this.gone) {
      if (this.dirty) {
        if (await this.reload()) continue;
        break;
      }
      if (this.queue.length) this.admit();
      const untilLifecycle = this.lifecycleAt === undefined ? undefined : Math.max(0, this.lifecycleAt - Date.now());
      const idle = this.idleFor();
      const untilPark = idle === undefined ? undefined : Math.max(0, this.activeAt + idle - Date.now());
      // Read after the wait, afresh: a release while waiting moves activeAt without waking the loop, and the wait
      // may have set a lifecycle deadline (a lost heartbeat) or seen a deletion, which rule parking out.
      const parkDue = () => {
        const now = this.idleFor();
        return idle !== undefined && now !== undefined && Date.now() >= this.activeAt + now;
      };
      const timeout = Math.min(t.driftCheckMs, untilLifecycle ?? Infinity, untilPark ?? Infinity);
      this.nudge = false;
      const woke = await condition(
        () => this.dirty || this.gone || this.nudge || this.queue.length > 0 || workflowInfo().continueAsNewSuggested,
        timeout,
        // Named for the Temporal UI's timeline: which of the clocks this timer is.
        {
          summary:
            timeout === t.driftCheckMs
              ? 'next drift check of the ledger against the API server'
              : timeout === untilLifecycle
                ? 'next lifecycle check (heartbeat, orphan, deletion)'
                : 'park when still idle',
        },
      );
      if (this.nudge) continue; // a reconcile pass ended: recompute the lifecycle timer
      if (!woke && this.lifecycleAt !== undefined && Date.now() >= this.lifecycleAt) {
        this.lifecycleAt = undefined;
        this.dirty = true;
      } else if (!woke && parkDue() && this.lifecycleDeferred) {
        // Idle now: the lifecycle pass this run put off, then (if it says so) parking after another idle period.
        this.lifecycleDeferred = false;
        this.activeAt = Date.now();
        this.dirty = true;
      } else if (!woke && parkDue()) {
        if (await this.tryPark()) return { parked: { parked: true, resourceVersion: this.view?.resourceVersion ?? '', nodeResourceVersion: this.view?.nodeResourceVersion ?? '' } };
      } else if (!woke && !(this.flags.earlyParkTimerWaits && timeout !== t.driftCheckMs && Date.now() - this.driftCheckedAt < t.driftCheckMs)) {
        // The drift timer fired, or (revision 14) the park timer fired early and the last check is older than the
        // drift interval: a pool whose requests keep coming within the park delay restarts both timers at every
        // wait, so the early park timer is when its drift check falls due.
        await this.checkDrift();
        this.describe();
      }
      if (workflowInfo().continueAsNewSuggested && !this.dirty && (this.queue.length === 0 || this.flags.drainOnContinueAsNew)) {
        return { next: await this.drain() };
      }
    }
    this.admit(); // refuse what is still queued: the pool is gone
    await this.settle();
    log.info('pool gone; ledger closed', { pool: this.ref.name, bindings: Object.keys(this.ledger.bindings).length });
    return { gone: true };
  }

  /** Parking is on: this run follows v0.12.0 and timings.poolParkIdleMs is set. */
  private canPark(): boolean {
    return !!this.flags.park && (this.timings.poolParkIdleMs ?? 0) > 0;
  }

  /**
   * How long this pool must stay idle before it parks, or undefined while it may not park at all: parking is off,
   * the pool is not loaded or being deleted, or the lifecycle has a deadline of its own.
   */
  private idleFor(): number | undefined {
    const ms = this.timings.poolParkIdleMs ?? 0;
    const v = this.view;
    if (!this.canPark() || !v?.info.exists || v.info.deleting || !(this.lifecycleWatched || this.lifecycleDeferred)) return undefined;
    return ms;
  }

  /**
   * Nothing would be lost if this run ended now: no request queued or being answered, no reconcile pass, no hold
   * (a volume group's capacity for a member not created yet lives only in the ledger), no fresh view pending.
   */
  private quiet(): boolean {
    return (
      !this.dirty && !this.gone && !this.draining && !this.reconciling && !this.reconcileAgain && !this.sending && this.queue.length === 0 && this.outbox.length === 0 && this.replies.size === 0 &&
      !Object.values(this.ledger.bindings).some((b) => b.via === 'hold')
    );
  }

  /**
   * Parks the pool when its ledger holds exactly what the API server shows bound to it (by the consistent read the
   * next run adopts from), so the next run's ledger is this one. A grant not yet bound, a binding the ledger lacks,
   * or a message that came while reading keeps the run; the pool tries again after another idle period.
   */
  private async tryPark(): Promise<boolean> {
    this.activeAt = Date.now();
    if (!this.quiet() || this.idleFor() === undefined) return false;
    const held = Object.keys(this.ledger.bindings);
    const api = await acts.poolListBindings({ pool: this.ref, held, consistent: true });
    // Checked again after the read, in the same activation as the return: a message delivered meanwhile wakes the
    // run, and one that arrives after this task began makes the server refuse the completion (no signal is lost).
    if (!this.quiet() || this.idleFor() === undefined) return false;
    const same = api.bindings.length === held.length && api.bindings.every((b) => this.ledger.bindings[b.uid] !== undefined);
    if (!same) {
      // Drift, or a placement whose bind is not visible yet: the regular repair (with its grace) deals with it.
      await this.repair(api);
      this.describe();
      return false;
    }
    setCurrentDetails(`**parked** — ${held.length} volumes bound; the next event or request starts a new run that adopts them from the API server`);
    log.info('pool parked: idle, its ledger equal to the API server', { pool: this.ref.name, bindings: held.length });
    return true;
  }

  /** Reads the pool; returns false when it is gone. */
  private async reload(): Promise<boolean> {
    this.dirty = false;
    // v0.12.0: a new ledger's first load also brings the bindings it adopts, read consistently, in one activity
    // (an unparked pool answers its first request one round trip sooner); requests wait until it has them.
    const adoptNow = !!this.flags.park && !this.adopted;
    if (adoptNow) this.adopting = true;
    try {
      const view = await acts.poolLoad({ pool: this.ref, ...(adoptNow ? { adopt: true } : {}) });
      this.view = view;
      if (!view.info.exists) this.gone = true;
      if (view.info.exists && !this.adopted) {
        this.adopted = true;
        this.driftDue = false;
        if (view.adoption) {
          this.driftCheckedAt = Date.now();
          await this.repair(view.adoption, true);
        } else await this.checkDrift();
      } else if (view.info.exists && this.driftDue) {
        this.driftDue = false;
        await this.checkDrift();
      }
    } finally {
      this.adopting = false;
    }
    const view = this.view!;
    this.describe();
    if (this.gone) return false;
    if (this.flags.admissionInHandler) {
      if (this.dirty) return true; // changed again while loading: act on the newest view only
      if (this.queue.length) this.admit();
      // Woken by requests alone (a parked pool asked for room): nothing about the pool changed since it parked.
      const requestWake = adoptNow && !this.poolEventSeen && this.canPark();
      if (requestWake && view.lifecycleQuiet) {
        // v0.14.0: woken by requests alone, and the load says a pass would change nothing and leave the lifecycle to
        // the watcher: no pass at all (it would repeat the parked run's last one). Chosen by the recorded load
        // result, so a history whose load lacks it (older workers) replays the deferred pass below.
        this.lifecycleDeferred = false;
        this.lifecycleWatched = true;
        this.lifecycleAt = Date.now() + view.lifecycleQuiet.nextCheckInMs;
      } else if (requestWake) this.lifecycleDeferred = true;
      else {
        this.lifecycleDeferred = false;
        this.startReconcile(view);
      }
      return true;
    }
    if (this.queue.length) this.admit(); // answer waiting volumes before slower lifecycle work
    await this.reconcile(view);
    return true; // never admit on a view that a signal during reconcile() made stale: reload first
  }

  /** Answers every queued request; the whole batch is decided without an await in between. */
  private admit(): void {
    const v = this.view;
    for (const m of this.queue.splice(0)) {
      const result: ReserveResult =
        this.gone || !v ? { accepted: false, reason: 'PoolUnschedulable', freeBytes: 0 } : reserve(this.ledger, v.info, this.policy(v), m.req, Date.now(), m.requestId);
      this.reply(m, result);
    }
    this.describe();
  }

  private policy(v: PoolView): PoolView['policy'] {
    return this.flags.minLocalForReservations ? { ...v.policy, minLocalForReservations: true } : v.policy;
  }

  private reply(m: ReserveRequestMsg, result: ReserveResult): void {
    if (!m.replyTo) return;
    const msg: ReserveReplyMsg = { requestId: m.requestId, pool: this.ref.name, result, ...(this.flags.repliesByActivity ? { key: m.req.key } : {}) };
    if (!this.flags.repliesByActivity) {
      this.track(getExternalWorkflowHandle(m.replyTo).signal(reserveReplySignal, msg));
      return;
    }
    this.outbox.push({ workflowId: m.replyTo, msg });
    if (this.sending) return;
    this.sending = true;
    this.track(this.sendOutbox());
  }

  /** Hands the outbox to one reply activity at a time; answers decided while one runs go in the next. */
  private async sendOutbox(): Promise<void> {
    try {
      // Yield once: every signal of this activation is handled before the first call, so they share it.
      await Promise.resolve();
      while (this.outbox.length) await replyLocal.ledgerReplies({ replies: this.outbox.splice(0) });
    } finally {
      this.sending = false;
    }
  }

  /** Keeps an outgoing signal until it is delivered; a workflow that is gone was waiting for nothing. */
  private track(p: Promise<void>): void {
    const q: Promise<void> = p.catch(() => undefined).finally(() => this.replies.delete(q));
    this.replies.add(q);
  }

  /** Waits until nothing is in flight: no reconcile pass, no outgoing signal, no running handler. */
  private async settle(): Promise<void> {
    if (this.flags.drainOnContinueAsNew) {
      // A request answered while waiting adds a reply: wait for the set itself to empty, not a snapshot of it.
      await condition(() => !this.reconciling && this.replies.size === 0);
    } else {
      await condition(() => !this.reconciling);
      await Promise.all([...this.replies]);
    }
    await condition(allHandlersFinished);
  }

  /** Ends this run: new requests queue from here on and are carried, unanswered, into the next run. */
  private async drain(): Promise<PoolWorkflowInput> {
    if (this.flags.drainOnContinueAsNew) this.draining = true;
    await this.settle();
    // The next run is started by this code: it follows the current revision (no patch markers).
    return { ref: this.ref, timings: this.timings, ledger: this.ledger, pending: this.queue, rev: POOL_REVISION, driftCheckedAt: this.driftCheckedAt };
  }

  private describe(): void {
    const v = this.view;
    if (!v) return;
    const free = ledgerFreeBytes(this.ledger, v.info, v.policy);
    setCurrentDetails(
      `**${v.info.status || 'unknown'}**${v.info.schedulable ? '' : ' (unschedulable)'} — ` +
        `${Object.keys(this.ledger.bindings).length} volumes, ${gib(boundBytes(this.ledger))} bound, ${gib(free)} free of ${gib(v.info.capacityBytes)}`,
    );
  }

  private async checkDrift(): Promise<void> {
    this.driftCheckedAt = Date.now();
    // Only the ledger's own uids matter for "bound nowhere yet" (an input change only: same command, replays).
    const api = await acts.poolListBindings({ pool: this.ref, held: Object.keys(this.ledger.bindings) });
    await this.repair(api);
  }

  /** Repairs the ledger against what the API server shows, waking volumes whose entry vanished and recording it. */
  /**
   * `adopting`: a new ledger taking what the API server shows (v0.12.0: every run after a park does). That is no
   * drift: it is logged at info, with no LedgerDrift Event or lastDrift, which a parked pool would otherwise add at
   * every wake.
   */
  private async repair(api: { bindings: ApiBinding[]; inFlight: string[] }, adopting = false): Promise<void> {
    const ref = this.ref;
    const before = { ...this.ledger.bindings };
    const report = repairDrift(this.ledger, api.bindings, Date.now(), this.timings.driftGraceMs, new Set(api.inFlight));
    // A dropped entry means its volume vanished without its workflow noticing (a missed delete): wake it.
    for (const [uid, b] of Object.entries(before)) {
      if (this.ledger.bindings[uid] || b.via === 'hold') continue; // a lapsed hold has no volume to wake
      const [namespace = ref.namespace, name = ''] = b.key.split('/');
      this.track(getExternalWorkflowHandle(volumeWorkflowId({ namespace, name, uid })).signal(volumeEventSignal, { resourceVersion: 'ledger-drift' }));
    }
    if (adopting && !report.dropped.length && !report.resized.length) {
      if (report.adopted.length) log.info('ledger adopted the bindings the API server shows', { pool: ref.name, bindings: report.adopted.length });
    } else if (report.adopted.length || report.dropped.length || report.resized.length) {
      this.lastDrift = { ...report, at: new Date(Date.now()).toISOString() };
      log.warn('ledger drift repaired', { pool: ref.name, ...report });
      await acts.poolRecordDrift({ pool: ref, report });
    }
  }

  /** LiteIO's pool reconcile: plugins first (a break or error stops it), then the lifecycle or deletion. */
  private async reconcile(v: PoolView): Promise<void> {
    this.lifecycleWatched = false; // until a lifecycle pass says otherwise
    if (!v.lifecycle || !v.uid) return;
    const t = this.timings;
    const input = { kind: 'StoragePool' as const, namespace: this.ref.namespace, name: this.ref.name, uid: v.uid };
    if (v.info.deleting) {
      if (!this.hooksRun && v.plugins?.length) await runDeletionHooks(v.plugins, input, t);
      this.hooksRun = true;
      const fin = await acts.poolFinalize({ pool: this.ref, uid: v.uid });
      // Blocked: the watcher wakes this workflow when a volume on the pool goes; the timer is a fallback.
      if (!fin.done) this.lifecycleAt = Date.now() + (t.poolRecheckMs ?? 60_000);
      return;
    }
    if (v.plugins?.length) {
      const chain = await runReconcileChain(v.plugins, input, t);
      if (chain.stopped) {
        this.lifecycleAt = Date.now() + (chain.requeueAfterMs ?? t.poolRecheckMs ?? 60_000);
        return;
      }
    }
    const r = await acts.poolReconcile({ pool: this.ref, uid: v.uid });
    this.lifecycleAt = Date.now() + r.nextCheckInMs;
    this.lifecycleWatched = !!r.watched;
    // Labels, status or finalizers written here: read the pool again for the ledger.
    if (r.actions.length) this.dirty = true;
  }

  /** One reconcile pass at a time; a pass asked for while one runs happens right after it, on a fresh view. */
  private startReconcile(v: PoolView): void {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = true;
    void this.reconcile(v)
      .catch((e) => log.error('pool reconcile pass failed', { pool: this.ref.name, error: (e as Error)?.message }))
      .finally(() => {
        this.reconciling = false;
        this.nudge = true;
        if (this.reconcileAgain) {
          this.reconcileAgain = false;
          this.dirty = true;
        }
      });
  }
}
