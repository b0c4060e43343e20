/**
 * The placer (v0.8.0): one workflow per namespace that admits new volumes in batches. A volume's own workflow
 * costs two workflow tasks, a signal each way and a pool task per placement; the placer decides a whole batch in
 * one workflow task (one filter pass each, over one view of the cluster), asks each pool once for its share,
 * takes each pool's answers in one signal, binds, and starts each bound volume's workflow with its placement
 * record — the filter pass, the ledger answers and the binding — so the volume's history still holds its
 * placement. The pools' ledgers still decide every reservation: the placer never binds what a ledger did not grant.
 *
 * Only the common case takes this path. Whatever is not a clean placement — a volume deleted, already bound,
 * unschedulable or invalid, governed by reconciler plugins, refused by every candidate in `placementRounds`
 * passes, or waiting on a pool that stays silent — is handed to the volume's own workflow, which runs the full
 * path (reports, retries, waits on busy pools).
 *
 * Every handler only records; the main loop decides what to do next and starts it. The work itself — a filter
 * pass over a batch, the requests, the bindings, the hand-offs — runs as ordinary activities, several at once, so
 * each workflow task is short: the server fails a workflow task that stays open while more than ~100 signals
 * (pools' answers, new volumes) queue up behind it, which redid long local-activity steps (seen: every binding of
 * a batch written three times under W1).
 */
import { allHandlersFinished, condition, log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { placerActivities } from './placer-activities.js';
import type { PlacerItem, PlacerView, PlacerWorkflowInput, ReserveReplyMsg, Timings, VolumeRef } from '../../workflows/messages.js';

type Acts = ReturnType<typeof placerActivities>;

/**
 * A batch takes seconds (a filter pass over 250 volumes, 250 bindings 16 at a time). Lost with its worker, it is
 * retried after the timeout: kept short, so a crash delays the batch by half a minute, not by minutes.
 */
const acts = proxyActivities<Acts>({ startToCloseTimeout: '30s', retry: { initialInterval: '200ms', maximumInterval: '10s' } });

/** At most this many volumes per filter pass, request round or bind round (the rest wait for the next). */
export const PLACER_BATCH = 250;
/**
 * At most this many volumes travel in the next run's input at continue-as-new (~2 KB each with a request out at
 * 1,000 pools, a few hundred bytes without: see carried()).
 */
export const PLACER_CARRY_MAX = 2000;
/** How long a handed-off volume is not taken back (its own workflow reports within a minute). */
export const HANDED_OFF_MEMORY_MS = 30 * 60_000;
/** Bind rounds at once (each writes 16 bindings at a time). */
const BIND_ROUNDS = 2;
/**
 * v0.9.0: pools with a request of the placer's out at once. Each pool answers in its own signal, and the placer's
 * inbox is one workflow: with 1,000 pools a batch of 250 volumes went to ~220 pools, whose answers queued for
 * seconds each on the placer's lock (W2). Volumes for other pools wait their turn in the placer.
 */
export const PLACER_MAX_POOLS_ASKED = 64;
/** v0.9.0: stray grants per release activity (each is a GET and a signal; the activity has 30 s). */
export const PLACER_STRAY_CHUNK = 100;

export interface PlacerFlags {
  /** v0.9.0 (patch placer-v0.9.0): PLACER_MAX_POOLS_ASKED and PLACER_STRAY_CHUNK apply. */
  boundedFanOut?: boolean;
}

type Stray = { uid: string; pool: string; requestId: string; key?: string };

export class PlacerManager {
  private readonly namespace: string;
  private readonly timings: Timings;
  private readonly items = new Map<string, PlacerItem>();
  /** uids waiting for a filter pass, in arrival order. */
  private readonly toDecide: string[] = [];
  private readonly replies: ReserveReplyMsg[] = [];
  /** Grants nobody waits for, given back once their volume has left the placer (carried across continue-as-new). */
  private strays: Stray[];
  /**
   * Volumes handed to their own workflows (uid → when): the watcher may send one again while its workflow is still
   * placing it (its status.msg is empty until it reports), and two requesters of one volume must not race.
   */
  private readonly handed: Record<string, number>;
  // Work decided here, waiting for its activity:
  private readonly toAsk: PlacerItem[] = [];
  private readonly toBind: { it: PlacerItem; pool: string; requestId: string }[] = [];
  private readonly toHandOff: { it: PlacerItem; release?: { pool: string; requestId: string } }[] = [];
  // ...and running: uids in a filter pass or a bind round (their answers wait), and how many activities run.
  private readonly deciding = new Set<string>();
  private readonly binding = new Set<string>();
  /** uids being handed to their own workflows: the placer is done with them (an answer for one is a stray). */
  private readonly handingOff = new Set<string>();
  private decideRunning = false;
  private askRunning = false;
  private bindRounds = 0;
  private handOffRunning = false;
  private strayRunning = false;
  private placed = 0;
  private handedOff = 0;

  constructor(
    input: PlacerWorkflowInput,
    private readonly flags: PlacerFlags = {},
  ) {
    this.namespace = input.namespace;
    this.timings = input.timings;
    this.handed = { ...(input.handed ?? {}) };
    this.strays = [...(input.strays ?? [])];
    this.replies.push(...(input.replies ?? []));
    for (const it of input.items ?? []) {
      this.items.set(it.ref.uid, it);
      if (!it.asked) this.toDecide.push(it.ref.uid);
    }
    for (const h of input.handOff ?? []) {
      const it: PlacerItem = { ref: h.ref, passes: 0, refused: {}, attempts: [], candidates: [], requests: 0 };
      this.items.set(h.ref.uid, it);
      this.toHandOff.push({ it, ...(h.release ? { release: h.release } : {}) });
    }
  }

  // ---- handlers: record only ----

  onPlace(volumes: VolumeRef[]): void {
    for (const ref of volumes) {
      if (this.items.has(ref.uid) || this.handed[ref.uid] !== undefined) continue; // being placed, here or by its own workflow
      this.items.set(ref.uid, { ref, passes: 0, refused: {}, attempts: [], candidates: [], requests: 0 });
      this.toDecide.push(ref.uid);
    }
  }

  onReplies(replies: ReserveReplyMsg[]): void {
    this.replies.push(...replies);
  }

  view(volume?: string): PlacerView {
    let asking = 0;
    for (const it of this.items.values()) if (it.asked) asking++;
    const found = volume ? [...this.items.values()].find((it) => it.ref.name === volume || it.ref.uid === volume) : undefined;
    return { items: this.items.size, asking, placed: this.placed, handedOff: this.handedOff, ...(found ? { volume: found } : {}) };
  }

  // ---- main loop ----

  private running(): boolean {
    return this.decideRunning || this.askRunning || this.bindRounds > 0 || this.handOffRunning || this.strayRunning;
  }

  /** Something can be started now. */
  private startable(): boolean {
    return (
      this.replies.length > 0 ||
      (this.toDecide.length > 0 && !this.decideRunning) ||
      (this.toAsk.length > 0 && !this.askRunning && this.canAsk()) ||
      (this.toBind.length > 0 && this.bindRounds < BIND_ROUNDS) ||
      (this.toHandOff.length > 0 && !this.handOffRunning) ||
      (!this.strayRunning && this.strays.some((x) => !this.items.has(x.uid)))
    );
  }

  /** Runs until continue-as-new is due; returns the next run's input (items in flight travel in it). */
  async run(): Promise<PlacerWorkflowInput> {
    for (;;) {
      const silenceAt = this.nextSilence();
      const wake = () => this.startable() || workflowInfo().continueAsNewSuggested;
      if (silenceAt === undefined) await condition(wake);
      else await condition(wake, Math.max(1, silenceAt - Date.now()), { summary: 'a pool that has not answered the placer' });
      if (workflowInfo().continueAsNewSuggested) {
        // Let what runs finish (nothing new starts), then everything in flight travels in the next run's input:
        // the items (with the requests they wait on), answers not yet taken, stray grants, the hand-off memory.
        await condition(() => !this.running() && allHandlersFinished());
        this.takeReplies(); // answers become binds, asks and hand-offs, carried as item state or re-derived below
        for (const b of this.toBind) b.it.grant = { pool: b.pool, requestId: b.requestId };
        for (const it of this.toAsk) it.asked = undefined; // asked again (a fresh filter pass) in the next run
        return {
          namespace: this.namespace,
          timings: this.timings,
          items: this.carried(),
          handed: this.handed,
          strays: this.strays,
          handOff: this.toHandOff.map(({ it, release }) => ({ ref: it.ref, ...(release ? { release } : {}) })),
        };
      }
      this.step();
      this.describe();
    }
  }

  /**
   * The items the next run takes over. Every one holding or awaiting a grant travels (it holds bytes on a ledger);
   * beyond PLACER_CARRY_MAX the ones with nothing out are left behind — the watcher's feed sends a volume again
   * when it has not left within minutes — so the next run's input stays far below the server's 4 MiB message limit
   * (the feed keeps the placer under that anyway: this is the guard for a feed that does not).
   */
  private carried(): PlacerItem[] {
    const max = this.timings.placerCarryMax ?? PLACER_CARRY_MAX;
    // An item without a request out is decided again in the next run (the constructor queues it for a filter
    // pass), so its decision and candidates (~2 KB at 1,000 pools) need not travel.
    const all = [...this.items.values()]
      .filter((it) => !this.toHandOff.some((h) => h.it === it))
      .map((it): PlacerItem => (it.asked ? it : { ...it, decision: undefined, candidates: [] }));
    if (all.length <= max) return all;
    const out = all.filter((it) => it.grant || it.asked);
    for (const it of all) if (out.length < max && !(it.grant || it.asked)) out.push(it);
    log.warn('placer: too many volumes to carry across continue-as-new; the rest come back from the watcher', { held: all.length, carried: out.length });
    return out;
  }

  private silenceMs(): number {
    return this.timings.ledgerSilenceReportMs ?? 20_000;
  }

  private nextSilence(): number | undefined {
    let at: number | undefined;
    for (const it of this.items.values()) if (it.asked && (at === undefined || it.asked.at < at)) at = it.asked.at;
    return at === undefined ? undefined : at + this.silenceMs();
  }

  /**
   * Bound or handed off already, or about to be: nothing more happens to it here. (Found by the SIGKILL test: a
   * volume handed off after a silence — its request released — got that request's grant while the hand-off ran,
   * was bound with it as well, and the release took the binding's only grant off the ledger.)
   */
  private leaving(it: PlacerItem): boolean {
    const uid = it.ref.uid;
    return this.binding.has(uid) || this.handingOff.has(uid) || this.toBind.some((b) => b.it === it) || this.toHandOff.some((h) => h.it === it);
  }

  /** Takes the answers: grants become bindings, refusals the next candidate, a new pass, or a hand-off. */
  private takeReplies(): void {
    const rounds = this.timings.placementRounds;
    for (const r of this.replies.splice(0)) {
      const uid = r.requestId.split('/')[0]!;
      const it = this.items.get(uid);
      if (!it || this.leaving(it)) {
        // A grant nobody waits for holds bytes: given back once nothing here can bind with it.
        if (r.result.accepted) this.strays.push({ uid, pool: r.pool, requestId: r.requestId, ...(r.key ? { key: r.key } : {}) });
        continue;
      }
      if (!(it.asked?.requestId === r.requestId && it.asked.pool === r.pool)) {
        // An answer to a request this item no longer waits on (an activity retried after its signals went out, or a
        // run that continued as new): a grant is as good as the one asked for now — bind with it (that other
        // answer, when it comes, is a stray); a refusal says nothing the current request will not.
        if (!r.result.accepted) continue;
      }
      it.asked = undefined;
      it.attempts.push({ pool: r.pool, accepted: r.result.accepted, ...(r.result.reason ? { reason: r.result.reason } : {}) });
      if (it.attempts.length > 20) it.attempts.splice(0, it.attempts.length - 20);
      if (r.result.accepted && (!it.decision || this.deciding.has(uid))) {
        // Granted before its filter pass is on record: the pass runs (again), for the binding's audit trail, and the
        // volume binds with this grant.
        it.grant = { pool: r.pool, requestId: r.requestId };
        if (!this.deciding.has(uid) && !this.toDecide.includes(uid)) this.toDecide.push(uid);
        continue;
      }
      if (r.result.accepted) {
        this.toBind.push({ it, pool: r.pool, requestId: r.requestId });
        continue;
      }
      it.refused[r.pool] = r.result.reason ?? 'Refused';
      it.candidates = it.candidates.filter((c) => c.pool !== r.pool && !it.refused[c.pool]);
      if (it.candidates.length) this.toAsk.push(it);
      else if (it.passes < rounds) this.toDecide.push(uid);
      else this.toHandOff.push({ it });
    }
  }

  /** Takes what arrived and starts every kind of work that is waiting and not already running. */
  private step(): void {
    this.takeReplies();
    const now = Date.now();
    // A volume handed off long ago has reported (status.msg) or is bound by now: the watcher routes it there.
    for (const [uid, at] of Object.entries(this.handed)) if (now - at > HANDED_OFF_MEMORY_MS) delete this.handed[uid];
    // A pool that stays silent: the volume's own workflow waits on it patiently, reports it, or gives up on it.
    for (const it of this.items.values()) {
      if (it.asked && now - it.asked.at >= this.silenceMs()) {
        this.toHandOff.push({ it, release: { pool: it.asked.pool, requestId: it.asked.requestId } });
        it.asked = undefined;
      }
    }
    if (this.toDecide.length && !this.decideRunning) this.start('filter pass', () => this.decide());
    if (this.toAsk.length && !this.askRunning && this.canAsk()) this.start('requests', () => this.ask());
    while (this.toBind.length && this.bindRounds < BIND_ROUNDS) this.start('bindings', () => this.bind());
    if (this.toHandOff.length && !this.handOffRunning) this.start('hand-offs', () => this.handOff());
    if (!this.strayRunning && this.strays.some((x) => !this.items.has(x.uid))) this.start('stray grants', () => this.releaseStrays());
  }

  /** Runs one piece of work beside the main loop (an activity retried by Temporal; a bug is logged, not lost). */
  private start(what: string, fn: () => Promise<void>): void {
    fn().catch((e) => log.error(`placer ${what} failed`, { error: (e as Error)?.message }));
  }

  private async decide(): Promise<void> {
    const batch = this.takeToDecide();
    if (!batch.length) return;
    this.decideRunning = true;
    for (const it of batch) this.deciding.add(it.ref.uid);
    try {
      const out = await acts.placerDecide({ items: batch.map((it) => ({ ref: it.ref, refused: it.refused })) });
      for (const o of out) {
        const it = this.items.get(o.uid);
        if (!it) continue;
        it.passes++;
        const grant = it.grant;
        it.grant = undefined;
        // A grant this volume will not bind with is a stray (given back once the volume has left).
        if (grant && o.outcome !== 'place') this.strays.push({ uid: o.uid, ...grant, key: `${it.ref.namespace}/${it.ref.name}` });
        if (o.outcome === 'gone') this.items.delete(o.uid);
        else if (o.outcome === 'handoff') this.toHandOff.push({ it });
        else {
          it.decision = o.decision;
          it.candidates = o.decision.candidates.map((c) => ({ pool: c.pool, scores: c.scores }));
          if (grant) this.toBind.push({ it, pool: grant.pool, requestId: grant.requestId });
          else this.toAsk.push(it);
        }
      }
    } finally {
      for (const it of batch) this.deciding.delete(it.ref.uid);
      this.decideRunning = false;
    }
  }

  /** Pools with a request of this placer out (their answers are yet to come). */
  private poolsAsked(): Set<string> {
    const out = new Set<string>();
    for (const it of this.items.values()) if (it.asked) out.add(it.asked.pool);
    return out;
  }

  /** A request to `pool` fits: that pool is asked already, or fewer than PLACER_MAX_POOLS_ASKED are. */
  private static fits(pool: string | undefined, asked: Set<string>): boolean {
    return !pool || asked.has(pool) || asked.size < PLACER_MAX_POOLS_ASKED;
  }

  /** Some volume waiting to ask can (or is gone, and the round drops it). */
  private canAsk(): boolean {
    if (!this.flags.boundedFanOut) return true;
    const asked = this.poolsAsked();
    return this.toAsk.some((it) => !this.items.has(it.ref.uid) || PlacerManager.fits(it.candidates[0]?.pool, asked));
  }

  /** The next request round: up to PLACER_BATCH volumes, to at most PLACER_MAX_POOLS_ASKED pools in all. */
  private takeToAsk(): PlacerItem[] {
    if (!this.flags.boundedFanOut) return this.toAsk.splice(0, PLACER_BATCH);
    const pools = this.poolsAsked();
    const out: PlacerItem[] = [];
    const rest: PlacerItem[] = [];
    for (const it of this.toAsk) {
      const pool = it.candidates[0]?.pool;
      if (out.length >= PLACER_BATCH || !PlacerManager.fits(pool, pools)) {
        rest.push(it);
        continue;
      }
      if (pool) pools.add(pool);
      out.push(it);
    }
    this.toAsk.splice(0, this.toAsk.length, ...rest);
    return out;
  }

  private async ask(): Promise<void> {
    const batch = this.takeToAsk().filter((it) => this.items.has(it.ref.uid) && it.candidates.length && !this.leaving(it));
    if (!batch.length) return;
    this.askRunning = true;
    try {
      const at = Date.now();
      for (const it of batch) it.asked = { requestId: `${it.ref.uid}/p${++it.requests}`, pool: it.candidates[0]!.pool, at };
      const { gone } = await acts.placerAsk({
        replyTo: workflowInfo().workflowId,
        requests: batch.map((it) => ({ ref: it.ref, pool: it.asked!.pool, requestId: it.asked!.requestId })),
      });
      for (const uid of gone) this.items.delete(uid);
    } finally {
      this.askRunning = false;
    }
  }

  private async bind(): Promise<void> {
    const batch = this.toBind.splice(0, PLACER_BATCH);
    if (!batch.length) return;
    this.bindRounds++;
    for (const b of batch) this.binding.add(b.it.ref.uid);
    try {
      const res = await acts.placerBind({
        items: batch.map(({ it, pool, requestId }) => ({ ref: it.ref, pool, requestId, decision: it.decision!, attempts: it.attempts, passes: it.passes })),
      });
      for (const r of res) {
        this.items.delete(r.uid);
        if (r.result === 'bound') this.placed++;
        else if (r.result === 'elsewhere') {
          this.handedOff++;
          this.handed[r.uid] = Date.now();
        }
      }
    } finally {
      for (const b of batch) this.binding.delete(b.it.ref.uid);
      this.bindRounds--;
    }
  }

  private async handOff(): Promise<void> {
    const batch = this.toHandOff.splice(0, PLACER_BATCH);
    if (!batch.length) return;
    this.handOffRunning = true;
    for (const { it } of batch) this.handingOff.add(it.ref.uid);
    try {
      await acts.placerHandOff({ items: batch.map(({ it, release }) => ({ ref: it.ref, ...(release ? { release } : {}) })) });
      for (const { it } of batch) {
        this.items.delete(it.ref.uid);
        this.handed[it.ref.uid] = Date.now();
      }
      this.handedOff += batch.length;
    } finally {
      for (const { it } of batch) this.handingOff.delete(it.ref.uid);
      this.handOffRunning = false;
    }
  }

  /**
   * Stray grants go back once their volume has left the placer (bound, handed off or gone): while it is still
   * here, a grant of the same pool may be the one it binds with. The release names its request (only that grant
   * goes), and the activity leaves a grant the API server shows as the volume's binding.
   */
  private async releaseStrays(): Promise<void> {
    const ready = this.strays.filter((x) => !this.items.has(x.uid)).slice(0, this.flags.boundedFanOut ? PLACER_STRAY_CHUNK : undefined);
    if (!ready.length) return;
    this.strayRunning = true;
    try {
      await acts.placerReleaseStrays({ strays: ready });
      this.strays = this.strays.filter((x) => !ready.includes(x));
    } finally {
      this.strayRunning = false;
    }
  }

  /** The next filter pass's volumes: each at most once, only those still here, not asking and not binding. */
  private takeToDecide(): PlacerItem[] {
    const seen = new Set<string>();
    const out: PlacerItem[] = [];
    while (this.toDecide.length && out.length < PLACER_BATCH) {
      const uid = this.toDecide.shift()!;
      const it = this.items.get(uid);
      if (!it || it.asked || seen.has(uid) || this.leaving(it)) continue;
      seen.add(uid);
      out.push(it);
    }
    return out;
  }

  private describe(): void {
    const v = this.view();
    setCurrentDetails(`**${v.items} volumes in flight** (${v.asking} waiting on a ledger) — ${v.placed} placed, ${v.handedOff} handed to their own workflows`);
  }
}
