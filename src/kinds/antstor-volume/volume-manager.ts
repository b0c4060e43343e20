/**
 * The state and steps of one volume's workflow. The workflow function builds a VolumeManager (every patch flag
 * and every value a handler reads exist before the first `setHandler`), registers one-line handlers, and runs
 * `run()`: wait for work → load → deletion | plugins | adopt an existing binding | place.
 *
 * Placement, step by step: filter and score (activity) → ask the best pool's ledger (request signal, answered by a
 * reply signal) → bind (activity); a refusal tries the next candidate, a round without a taker filters again
 * without the pools that refused. A pool that does not answer is reported in status.msg and, after a bound, given
 * up on (its possible reservation released) so one wedged pool never holds placement hostage.
 */
import { allHandlersFinished, condition, proxyActivities, proxyLocalActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { antstorVolumeActivities } from './index.js';
import type { ledgerActivities } from '../storage-pool/ledger-activities.js';
import type { ReserveResult } from '../../scheduler/ledger.js';
import type { Candidate, PlacementDecision } from '../../scheduler/chain.js';
import { runDeletionHooks, runReconcileChain } from '../../workflows/plugin-chain.js';
import { describeProbe, judgeLedgerWait, poolProgressing, type LedgerWaitState } from './ledger-wait.js';
import {
  SA_NODE,
  SA_PHASE,
  SA_POOL,
  VOLUME_REVISION,
  type ObjectEvent,
  type ObjectRef,
  type PlacementRecord,
  type ReserveReplyMsg,
  type Timings,
  type VolumePhase,
  type VolumeRef,
  type VolumeView,
  type VolumeWorkflowInput,
} from '../../workflows/messages.js';

type Acts = ReturnType<typeof antstorVolumeActivities> & ReturnType<typeof ledgerActivities>;

const KUBE_CALLS = { startToCloseTimeout: '30s', retry: { initialInterval: '500ms', maximumInterval: '30s' } } as const;
const FILTER_PASS = { startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '10s' } } as const;

const kube = proxyActivities<Acts>(KUBE_CALLS);
const sched = proxyActivities<Acts>({ ...FILTER_PASS, summary: 'filter and score pools' });
/**
 * v0.4.0: the same calls as local activities. They run in the worker that runs the workflow task (no activity task
 * round trip through the server) and a whole load → filter → ledger request sequence fits in one workflow task;
 * each result is still recorded in the history (a marker), retried like any activity, and replayed.
 */
const kubeLocal = proxyLocalActivities<Acts>(KUBE_CALLS);
const schedLocal = proxyLocalActivities<Acts>(FILTER_PASS);

export interface VolumeFlags {
  /** v0.4.0: a silent pool is reported after `ledgerSilenceReportMs` and given up after `ledgerGiveUpMs`. */
  boundedLedgerWait: boolean;
  /** v0.4.0: kube reads and writes, the filter pass and ledger requests run as local activities. */
  localActivities: boolean;
  /**
   * v0.5.0: a reply is taken only from the pool that request went to, and an accepted reply nobody waits for is
   * released. A local activity's side effect survives a workflow task lost with its worker (SIGKILL): the retried
   * task may filter again on a fresher cache, choose another pool and reuse the request id, while the first pool
   * still grants the lost request. Without this, that grant could be taken as the new pool's answer (binding a
   * volume the new pool's ledger never admitted) and would hold bytes until drift repair.
   */
  strayGrants: boolean;
  /**
   * v0.6.0: a request is sent once and the pool is probed after each silence: a busy pool that makes progress is
   * waited for, a closed one is asked again, one that makes no progress is given up on (ledger-wait.ts). Re-asking
   * every 20 s and giving up after 60 s turned a slow server into a storm of duplicate requests and releases.
   */
  patientLedgerWait: boolean;
  /**
   * v0.8.0: a bound volume with nothing to wait for ends its run (parked: not resident in any worker, nothing to
   * replay after a restart); its next event starts a new run. A run the placer started with the placement skips
   * its first read.
   */
  parkWhenBound?: boolean;
}

/** What the workflow function does next. */
export type VolumeOutcome = { done: PlacementRecord } | { continueAsNew: VolumeWorkflowInput };

export class VolumeManager {
  readonly ref: VolumeRef;
  readonly timings: Timings;
  readonly record: PlacementRecord;
  private readonly key: string;
  private readonly indexed: boolean;
  private lastRv: string;
  private dirty = true; // load once at start: the object may have changed while no run was open
  private retryRequested = false;
  private gone = false;
  /** Ledger answers by request id; only ids this workflow is waiting for are kept. */
  private readonly replies = new Map<string, ReserveResult>();
  /** Request id → the pool it was sent to. */
  private readonly awaiting = new Map<string, string>();
  /** Pools that granted a request nobody waits for: released before the next request and when idle. */
  private readonly strays: string[] = [];
  private requests = 0;
  private indexedPhase: VolumePhase | undefined;
  /** Asked for by a plugin, or by a deletion waiting on the agent. */
  private requeueMs: number | undefined;
  private hooksRun = false;
  /** Reconciler plugins govern this volume (they run on every change, and may ask for a requeue): never parked. */
  private hasPlugins = false;
  private readonly kube: typeof kube;
  private readonly sched: typeof sched;

  constructor(
    input: VolumeWorkflowInput,
    private readonly flags: VolumeFlags,
  ) {
    this.ref = input.ref;
    this.timings = input.timings;
    this.key = `${input.ref.namespace}/${input.ref.name}`;
    this.indexed = input.timings.useSearchAttributes !== false;
    this.record = input.state?.record ?? { volume: this.key, phase: 'Pending', attempts: [], passes: 0 };
    this.lastRv = input.state?.lastResourceVersion ?? '';
    this.kube = flags.localActivities ? kubeLocal : kube;
    this.sched = flags.localActivities ? schedLocal : sched;
    // The placer bound it and saw it at that version (and only places volumes without plugins).
    if (flags.parkWhenBound && input.placed && this.record.phase === 'Bound') this.dirty = false;
  }

  // ---- message handlers ----

  onEvent(e: ObjectEvent): void {
    if (e.deleted) this.gone = true;
    if (e.deleted || e.resourceVersion !== this.lastRv) this.dirty = true;
  }

  onRetry(): void {
    if (this.record.phase === 'Unschedulable' || this.record.phase === 'Pending') this.retryRequested = true;
  }

  onReply(m: ReserveReplyMsg): void {
    if (this.flags.strayGrants) {
      if (this.awaiting.get(m.requestId) === m.pool) this.replies.set(m.requestId, m.result);
      // A grant for a request nobody waits for (a lost workflow task's, or one given up on) holds bytes: give them
      // back. Not when this volume is bound there or asking that pool now: a ledger holds one binding per volume,
      // so that grant is the very binding in use (a late duplicate answer).
      else if (m.result.accepted && !this.usesPool(m.pool) && !this.strays.includes(m.pool)) this.strays.push(m.pool);
      return;
    }
    // An answer nobody waits for any more (given up, or a re-asked duplicate) is dropped, not kept forever.
    if (this.flags.boundedLedgerWait && !this.awaiting.has(m.requestId)) return;
    this.replies.set(m.requestId, m.result);
  }

  /** Bound to that pool, or waiting for its answer. */
  private usesPool(pool: string): boolean {
    if (pool === this.record.pool) return true;
    for (const p of this.awaiting.values()) if (p === pool) return true;
    return false;
  }

  /** Releases stray grants (see VolumeFlags.strayGrants), except where this volume is bound or asking now. */
  private async releaseStrays(): Promise<void> {
    while (this.strays.length) {
      const pool = this.strays.shift()!;
      if (!this.usesPool(pool)) await this.kube.ledgerRelease({ pool: this.poolRef(pool), uid: this.ref.uid });
    }
  }

  // ---- main loop ----

  async run(): Promise<VolumeOutcome> {
    while (!this.gone) {
      if (this.parkable()) {
        await condition(allHandlersFinished);
        return { done: this.record };
      }
      const requeue = this.requeueMs;
      const woke = await this.waitForWork();
      if (this.gone) break;
      if (this.strays.length) {
        await this.releaseStrays();
        // Woken only to give back a stray grant: back to waiting, with the requeue it had.
        if (woke && !this.dirty && !this.retryRequested && !workflowInfo().continueAsNewSuggested) {
          this.requeueMs = requeue;
          continue;
        }
      }
      if (workflowInfo().continueAsNewSuggested && !this.dirty && !this.retryRequested) {
        await condition(allHandlersFinished);
        // The next run is a fresh history: it starts at the current code revision, without patch markers.
        return { continueAsNew: { ref: this.ref, timings: this.timings, state: { record: this.record, lastResourceVersion: this.lastRv }, rev: VOLUME_REVISION } };
      }
      const retry = this.retryRequested || !woke;
      this.dirty = false;
      this.retryRequested = false;
      await this.reconcileOnce(retry);
    }
    // The volume is gone from the API server: make sure its bytes are not held.
    await this.releaseStrays();
    if (this.record.pool) await this.kube.ledgerRelease({ pool: this.poolRef(this.record.pool), uid: this.ref.uid });
    this.setPhase('Deleted');
    await condition(allHandlersFinished);
    return { done: this.record };
  }

  /** Bound, in step with the API server, and nothing to wait for: the run can end (v0.8.0). */
  private parkable(): boolean {
    return (
      !!this.flags.parkWhenBound &&
      this.record.phase === 'Bound' &&
      !this.hasPlugins &&
      !this.dirty &&
      !this.retryRequested &&
      this.requeueMs === undefined &&
      this.strays.length === 0 &&
      this.awaiting.size === 0
    );
  }

  /** Sleeps until an event, a retry, a requeue or the unschedulable fallback timer; false means a timer fired. */
  private async waitForWork(): Promise<boolean> {
    const waits = [this.record.phase === 'Unschedulable' ? this.timings.unschedulableRetryMs : undefined, this.requeueMs].filter(
      (x): x is number => x !== undefined,
    );
    const wake = () => this.dirty || this.retryRequested || this.gone || this.strays.length > 0 || workflowInfo().continueAsNewSuggested;
    // condition() without a timeout resolves to undefined, not true: only the timed form can report a timeout.
    const summary =
      this.requeueMs !== undefined && this.requeueMs <= Math.min(...waits)
        ? 'requeue after a failed plugin chain'
        : 'retry of an Unschedulable volume (pools may have changed)';
    const woke = waits.length ? await condition(wake, Math.min(...waits), { summary }) : (await condition(wake), true);
    this.requeueMs = undefined;
    return woke;
  }

  /** LiteIO's volume reconcile: load, then deletion, or plugins and the main handler (adopt or place). */
  private async reconcileOnce(retry: boolean): Promise<void> {
    const view = await this.kube.volumeLoad({ ref: this.ref });
    if (!view.exists || view.replaced) {
      this.gone = true;
      return;
    }
    this.lastRv = view.resourceVersion ?? this.lastRv;
    // MetaSync's Reconcile only marks the row dirty, which the watcher does on every event too.
    this.hasPlugins = !!view.plugins?.some((p) => p !== 'MetaSync');
    if (view.deleting) return this.handleDeletion(view);
    if (view.plugins?.length && !(await this.runPlugins(view.plugins))) return;
    if (view.stopReconcile) return;
    if (view.targetNodeId) return this.keepBinding(view);
    if (this.record.phase === 'Invalid' && retry) return; // only a change to the volume can fix an invalid one
    await this.place(view);
  }

  private pluginInput() {
    return { kind: 'AntstorVolume' as const, namespace: this.ref.namespace, name: this.ref.name, uid: this.ref.uid };
  }

  private async handleDeletion(view: VolumeView): Promise<void> {
    this.setPhase('Deleting');
    if (!this.hooksRun && view.plugins?.length) {
      const out = await runDeletionHooks(view.plugins, this.pluginInput(), this.timings);
      if (out.failed.length) this.record.message = `deletion hooks failed: ${out.failed.map((f) => `${f.plugin}: ${f.error}`).join('; ')}`;
    }
    this.hooksRun = true;
    const done = await this.kube.volumeFinalize({ ref: this.ref, pool: view.targetNodeId ?? '' });
    if (done.released) this.record.pool = undefined;
    if (done.recheckInMs !== undefined) this.requeueMs = done.recheckInMs;
    // The object disappears once the last finalizer is gone; the watcher then signals deletion.
  }

  /** Runs the plugin chain; false when a plugin stopped it (LiteIO: the main handler does not run). */
  private async runPlugins(plugins: string[]): Promise<boolean> {
    const chain = await runReconcileChain(plugins, this.pluginInput(), this.timings);
    if (chain.gone) return false;
    if (chain.stopped) {
      this.record.chain = { by: chain.by!, ...(chain.error ? { error: chain.error } : {}) };
      if (chain.requeueAfterMs !== undefined) this.requeueMs = chain.requeueAfterMs;
      return false;
    }
    delete this.record.chain;
    return true;
  }

  /** Bound already (by this workflow, a pre-existing binding or another controller): keep ledger and labels in step. */
  private async keepBinding(view: VolumeView): Promise<void> {
    const target = view.targetNodeId!;
    if (this.record.pool !== target) {
      await this.kube.ledgerRequest({ volume: this.ref, pool: this.poolRef(target), adopt: true, requestId: `${this.ref.uid}/adopt`, replyTo: '' });
      this.record.pool = target;
      this.indexPool(target);
    }
    if (!view.bindingComplete) await this.kube.volumeEnsureBound({ ref: this.ref, pool: target });
    if (this.record.phase !== 'Bound') this.setPhase('Bound');
  }

  private async place(view: VolumeView): Promise<void> {
    this.setPhase('Placing');
    // Pools whose ledger refused this volume in an earlier round (the cache that ranked them was stale).
    const refused: Record<string, string> = {};
    const rounds = this.timings.placementRounds;
    for (let round = 0; round < rounds; round++) {
      this.record.passes++;
      const decision = await this.sched.scheduleFilterAndScore({ ref: this.ref, refused });
      this.record.decision = decision;
      if (decision.error) {
        const invalid = !decision.error.startsWith('NoStoragePoolAvailable');
        this.setPhase(invalid ? 'Invalid' : 'Unschedulable', decision.error);
        if (view.statusMsg !== decision.error) await this.kube.volumeReportUnschedulable({ ref: this.ref, message: decision.error, invalid });
        return;
      }
      const refusals: Record<string, number> = {};
      for (const c of decision.candidates) {
        const res = await this.askLedger(this.poolRef(c.pool));
        if (this.gone) {
          // Deleted while asking: the pool may still accept the queued request, so release it (idempotent, and
          // ordered after the request) rather than leave the bytes to drift repair.
          await this.kube.ledgerRelease({ pool: this.poolRef(c.pool), uid: this.ref.uid });
          return;
        }
        this.noteAttempt(c.pool, res);
        if (res.accepted) return this.bind(c, decision);
        const reason = res.reason ?? 'Refused';
        refusals[reason] = (refusals[reason] ?? 0) + 1;
        refused[c.pool] = reason;
      }
      // Every candidate's ledger refused (the cache was stale): filter again with fresher data.
      const msg = `NoStoragePoolAvailable: ${Object.entries(refusals)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .map(([r, n]) => `${r}: ${n}`)
        .join(', ')}`;
      this.record.message = msg;
      if (round === rounds - 1) {
        this.setPhase('Unschedulable', msg);
        await this.kube.volumeReportUnschedulable({ ref: this.ref, message: msg, invalid: false });
      }
    }
  }

  private noteAttempt(pool: string, res: ReserveResult): void {
    const attempts = this.record.attempts;
    attempts.push({ pool, accepted: res.accepted, ...(res.reason ? { reason: res.reason } : {}) });
    if (attempts.length > 20) attempts.splice(0, attempts.length - 20);
  }

  /** The ledger accepted: write the binding, or give the bytes back if the volume changed under us. */
  private async bind(c: Candidate, decision: PlacementDecision): Promise<void> {
    this.record.pool = c.pool;
    this.indexPool(c.pool);
    const { pools, qualified, reasons, override } = decision;
    const bound = await this.kube.volumeBind({ ref: this.ref, pool: c.pool, decision: { pools, qualified, reasons, scores: c.scores, ...(override ? { override } : {}) } });
    if (!bound.ok) {
      // The volume vanished, or got bound elsewhere, between reserve and patch: give the bytes back.
      await this.kube.ledgerRelease({ pool: this.poolRef(c.pool), uid: this.ref.uid });
      this.record.pool = undefined;
      if (bound.gone) this.gone = true;
      else this.dirty = true;
      return;
    }
    this.lastRv = bound.resourceVersion ?? this.lastRv;
    this.setPhase('Bound', bound.message);
  }

  /** Asks a pool's ledger and waits for its answer; re-asks after a silence (the ledger is idempotent by uid). */
  private async askLedger(pool: ObjectRef): Promise<ReserveResult> {
    if (this.flags.patientLedgerWait) return this.askLedgerPatient(pool);
    return this.flags.boundedLedgerWait ? this.askLedgerBounded(pool) : this.askLedgerV3(pool);
  }

  /** v0.6.0: one request; after each silence a probe of the pool decides: wait, ask again, or give up. */
  private async askLedgerPatient(pool: ObjectRef): Promise<ReserveResult> {
    const silence = this.timings.ledgerSilenceReportMs ?? 20_000;
    const giveUpMs = this.timings.ledgerGiveUpMs ?? 60_000;
    const st: LedgerWaitState = { startedAt: Date.now(), lastProgressAt: Date.now() };
    const ids: string[] = [];
    const answered = () => ids.find((id) => this.replies.has(id));
    let send = true;
    let reported = false;
    try {
      for (;;) {
        if (send) {
          const requestId = `${this.ref.uid}/${++this.requests}`;
          ids.push(requestId);
          this.awaiting.set(requestId, pool.name);
          // Stray grants elsewhere are given back while this pool is asked (one on this pool is this binding).
          await this.releaseStrays();
          await this.kube.ledgerRequest({ volume: this.ref, pool, requestId, replyTo: workflowInfo().workflowId });
          send = false;
        }
        if (await condition(() => answered() !== undefined || this.gone, silence, { summary: `reply from the ledger of pool ${pool.name}` })) {
          const id = answered();
          return id ? this.replies.get(id)! : { accepted: false, reason: 'VolumeGone', freeBytes: 0 };
        }
        const probe = await this.kube.ledgerProbe({ pool });
        const busy = poolProgressing(probe, st.lastHistoryLength, giveUpMs);
        const verdict = judgeLedgerWait(probe, st, Date.now(), { giveUpMs, capMs: giveUpMs * 10 });
        if (!reported) {
          reported = true;
          const waited = Math.round((Date.now() - st.startedAt) / 1000);
          const message = `WaitingForPool: StoragePool ${pool.namespace}/${pool.name} has not answered the reservation request for ${waited}s: ${describeProbe(probe)} (workflow pool/${pool.namespace}/${pool.name}; see \`explain\`)`;
          this.record.message = message;
          this.record.waitingOn = { pool: pool.name, since: new Date(st.startedAt).toISOString() };
          this.setPhase('Placing', message);
          await this.kube.volumeReportWaiting({ ref: this.ref, pool: pool.name, message, busy });
        }
        if (verdict === 'giveUp') {
          // The pool may still decide the queued request later: a release (ordered after it) drops it.
          await this.kube.ledgerRelease({ pool, uid: this.ref.uid });
          return { accepted: false, reason: 'PoolNotAnswering', freeBytes: 0 };
        }
        send = verdict === 'reask';
      }
    } finally {
      for (const id of ids) {
        this.awaiting.delete(id);
        this.replies.delete(id);
      }
      delete this.record.waitingOn;
    }
  }

  /** v0.3.0 and before: five silences of 60 s, then LedgerTimeout. */
  private async askLedgerV3(pool: ObjectRef): Promise<ReserveResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const requestId = `${this.ref.uid}/${++this.requests}`;
      await this.kube.ledgerRequest({ volume: this.ref, pool, requestId, replyTo: workflowInfo().workflowId });
      if (await condition(() => this.replies.has(requestId) || this.gone, '60s', { summary: `reply from the ledger of pool ${pool.name}` })) {
        const r = this.replies.get(requestId);
        this.replies.delete(requestId);
        if (r) return r;
        return { accepted: false, reason: 'VolumeGone', freeBytes: 0 };
      }
    }
    return { accepted: false, reason: 'LedgerTimeout', freeBytes: 0 };
  }

  /**
   * Re-asks every `ledgerSilenceReportMs`, says so in status.msg after the first silence, and after
   * `ledgerGiveUpMs` releases whatever the pool may still grant and answers PoolNotAnswering, so the next
   * candidate is tried.
   */
  private async askLedgerBounded(pool: ObjectRef): Promise<ReserveResult> {
    const silence = this.timings.ledgerSilenceReportMs ?? 20_000;
    const giveUp = this.timings.ledgerGiveUpMs ?? 60_000;
    const started = Date.now();
    const ids: string[] = [];
    const answered = () => ids.find((id) => this.replies.has(id));
    let reported = false;
    try {
      for (;;) {
        const requestId = `${this.ref.uid}/${++this.requests}`;
        ids.push(requestId);
        this.awaiting.set(requestId, pool.name);
        // Stray grants elsewhere are given back while this pool is asked (one on this pool is this binding).
        await this.releaseStrays();
        await this.kube.ledgerRequest({ volume: this.ref, pool, requestId, replyTo: workflowInfo().workflowId });
        const wait = Math.max(1, Math.min(silence, started + giveUp - Date.now()));
        if (await condition(() => answered() !== undefined || this.gone, wait, { summary: `reply from the ledger of pool ${pool.name}` })) {
          const id = answered();
          return id ? this.replies.get(id)! : { accepted: false, reason: 'VolumeGone', freeBytes: 0 };
        }
        const waited = Date.now() - started;
        if (!reported) {
          reported = true;
          const message = `WaitingForPool: StoragePool ${pool.namespace}/${pool.name} has not answered the reservation request for ${Math.round(waited / 1000)}s (its workflow pool/${pool.namespace}/${pool.name} may be stuck; see \`explain\`)`;
          this.record.message = message;
          this.record.waitingOn = { pool: pool.name, since: new Date(started).toISOString() };
          this.setPhase('Placing', message);
          await this.kube.volumeReportWaiting({ ref: this.ref, pool: pool.name, message });
        }
        if (waited >= giveUp) {
          // The pool may still decide the queued request later: a release (ordered after it) drops it.
          await this.kube.ledgerRelease({ pool, uid: this.ref.uid });
          return { accepted: false, reason: 'PoolNotAnswering', freeBytes: 0 };
        }
      }
    } finally {
      for (const id of ids) {
        this.awaiting.delete(id);
        this.replies.delete(id);
      }
      delete this.record.waitingOn;
    }
  }

  private poolRef(name: string): ObjectRef {
    return { namespace: this.ref.namespace, name };
  }

  private upsert(a: Parameters<typeof upsertSearchAttributes>[0]): void {
    if (this.indexed) upsertSearchAttributes(a);
  }

  private indexPool(pool: string): void {
    // v0.4.0: StoragePool holds "<namespace>/<pool>", as the pool's own workflow does, so one query finds both.
    const poolKey = this.flags.boundedLedgerWait ? `${this.ref.namespace}/${pool}` : pool;
    this.upsert([
      { key: SA_POOL, value: poolKey },
      { key: SA_NODE, value: pool },
    ]);
  }

  private setPhase(phase: VolumePhase, msg?: string): void {
    const r = this.record;
    r.phase = phase;
    if (msg !== undefined) r.message = msg;
    // Each upsert is a history event: write the search attribute only when the phase really changes.
    if (this.indexedPhase !== phase) this.upsert([{ key: SA_PHASE, value: phase }]);
    this.indexedPhase = phase;
    // The UI renders details as Markdown: the message goes in a code span so "3/3 pools" stays text, not a fraction.
    setCurrentDetails(`**${phase}**${r.pool ? ` on pool \`${r.pool}\`` : ''}${r.message ? `\n\n\`${r.message.replace(/`/g, "'")}\`` : ''}`);
  }
}
