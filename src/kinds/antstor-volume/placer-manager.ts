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
 * Every handler only records; the main loop does the work, one step at a time, so the state a handler sees is
 * always whole (signals buffered before the first activation are delivered inside `setHandler`).
 */
import { allHandlersFinished, condition, proxyLocalActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { placerActivities } from './placer-activities.js';
import type { PlacerItem, PlacerView, PlacerWorkflowInput, ReserveReplyMsg, Timings, VolumeRef } from '../../workflows/messages.js';

type Acts = ReturnType<typeof placerActivities>;

const local = proxyLocalActivities<Acts>({ startToCloseTimeout: '60s', retry: { initialInterval: '200ms', maximumInterval: '10s' } });

/** At most this many volumes per filter pass, request round or bind round (the rest wait for the next step). */
export const PLACER_BATCH = 250;
/** How long a handed-off volume is not taken back (its own workflow reports within a minute). */
export const HANDED_OFF_MEMORY_MS = 30 * 60_000;

export class PlacerManager {
  private readonly namespace: string;
  private readonly timings: Timings;
  private readonly items = new Map<string, PlacerItem>();
  /** uids waiting for a filter pass, in arrival order. */
  private readonly toDecide: string[] = [];
  private readonly replies: ReserveReplyMsg[] = [];
  /** Grants nobody waits for, given back once their volume has left the placer (carried across continue-as-new). */
  private strays: { uid: string; pool: string; requestId: string }[];
  private placed = 0;
  private handedOff = 0;
  /**
   * Volumes handed to their own workflows (uid → when): the watcher may send one again while its workflow is still
   * placing it (its status.msg is empty until it reports), and two requesters of one volume must not race.
   */
  private readonly handed: Record<string, number>;

  constructor(input: PlacerWorkflowInput) {
    this.namespace = input.namespace;
    this.timings = input.timings;
    this.handed = { ...(input.handed ?? {}) };
    this.strays = [...(input.strays ?? [])];
    this.replies.push(...(input.replies ?? []));
    for (const it of input.items ?? []) {
      this.items.set(it.ref.uid, it);
      if (!it.asked) this.toDecide.push(it.ref.uid);
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

  /** Runs until continue-as-new is due; returns the next run's input (items in flight travel in it). */
  async run(): Promise<PlacerWorkflowInput> {
    for (;;) {
      const silenceAt = this.nextSilence();
      const wake = () =>
        this.toDecide.length > 0 || this.replies.length > 0 || this.strays.some((x) => !this.items.has(x.uid)) || workflowInfo().continueAsNewSuggested;
      if (silenceAt === undefined) await condition(wake);
      else await condition(wake, Math.max(1, silenceAt - Date.now()), { summary: 'a pool that has not answered the placer' });
      // Everything in flight travels in the next run's input: the items (with the requests they wait on), answers
      // not yet taken, stray grants and the hand-off memory. (Under load answers keep coming: waiting for a lull
      // would put continue-as-new off for ever.)
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return {
          namespace: this.namespace,
          timings: this.timings,
          items: [...this.items.values()],
          handed: this.handed,
          strays: this.strays,
          ...(this.replies.length ? { replies: this.replies.splice(0) } : {}),
        };
      }
      await this.step();
      this.describe();
    }
  }

  private silenceMs(): number {
    return this.timings.ledgerSilenceReportMs ?? 20_000;
  }

  private nextSilence(): number | undefined {
    let at: number | undefined;
    for (const it of this.items.values()) if (it.asked && (at === undefined || it.asked.at < at)) at = it.asked.at;
    return at === undefined ? undefined : at + this.silenceMs();
  }

  /** Answers, then silences, then filter passes, then requests, then bindings and hand-offs. */
  private async step(): Promise<void> {
    const ask: PlacerItem[] = [];
    const bind: { it: PlacerItem; pool: string; requestId: string }[] = [];
    const handOff: { it: PlacerItem; release?: { pool: string; requestId: string } }[] = [];
    const rounds = this.timings.placementRounds;
    const binding = new Set<string>();

    for (const r of this.replies.splice(0)) {
      const uid = r.requestId.split('/')[0]!;
      const it = this.items.get(uid);
      if (!it || binding.has(uid)) {
        // A grant nobody waits for holds bytes: given back once nothing here can bind with it (see below).
        if (r.result.accepted) this.strays.push({ uid, pool: r.pool, requestId: r.requestId });
        continue;
      }
      if (!(it.asked?.requestId === r.requestId && it.asked.pool === r.pool)) {
        // The answer to a request whose local activity ran in a workflow task that was then lost (its worker died):
        // the task was redone from the last one recorded, so this request is not in the item's record. A grant is
        // as good as the one asked for now — bind with it (that other answer, when it comes, is a stray); a refusal
        // says nothing the current request will not.
        if (!r.result.accepted) continue;
      }
      it.asked = undefined;
      it.attempts.push({ pool: r.pool, accepted: r.result.accepted, ...(r.result.reason ? { reason: r.result.reason } : {}) });
      if (it.attempts.length > 20) it.attempts.splice(0, it.attempts.length - 20);
      if (r.result.accepted && !it.decision) {
        // Granted before its filter pass is on record (that pass was in the lost task): the pass runs again below,
        // for the binding's audit trail, and the volume binds with this grant.
        it.grant = { pool: r.pool, requestId: r.requestId };
        if (!this.toDecide.includes(uid)) this.toDecide.push(uid);
        continue;
      }
      if (r.result.accepted) {
        bind.push({ it, pool: r.pool, requestId: r.requestId });
        binding.add(uid);
        continue;
      }
      it.refused[r.pool] = r.result.reason ?? 'Refused';
      it.candidates = it.candidates.filter((c) => c.pool !== r.pool && !it.refused[c.pool]);
      if (it.candidates.length) ask.push(it);
      else if (it.passes < rounds) this.toDecide.push(uid);
      else handOff.push({ it });
    }

    // A pool that stays silent: the volume's own workflow waits on it patiently, reports it, or gives up on it.
    const now = Date.now();
    // A volume handed off long ago has reported (status.msg) or is bound by now: the watcher routes it there.
    for (const [uid, at] of Object.entries(this.handed)) if (now - at > HANDED_OFF_MEMORY_MS) delete this.handed[uid];
    for (const it of this.items.values()) {
      if (it.asked && now - it.asked.at >= this.silenceMs()) {
        handOff.push({ it, release: { pool: it.asked.pool, requestId: it.asked.requestId } });
        it.asked = undefined;
      }
    }

    const decide = this.takeToDecide(binding);
    if (decide.length) {
      const out = await local.placerDecide({ items: decide.map((it) => ({ ref: it.ref, refused: it.refused })) });
      for (const o of out) {
        const it = this.items.get(o.uid);
        if (!it) continue;
        it.passes++;
        const grant = it.grant;
        it.grant = undefined;
        // A grant this volume will not bind with is a stray (given back once the volume has left).
        if (grant && o.outcome !== 'place') this.strays.push({ uid: o.uid, ...grant });
        if (o.outcome === 'gone') this.items.delete(o.uid);
        else if (o.outcome === 'handoff') handOff.push({ it });
        else if (grant) {
          it.decision = o.decision;
          bind.push({ it, pool: grant.pool, requestId: grant.requestId });
          binding.add(o.uid);
        } else {
          it.decision = o.decision;
          it.candidates = o.decision.candidates.map((c) => ({ pool: c.pool, scores: c.scores }));
          ask.push(it);
        }
      }
    }

    if (ask.length) {
      const at = Date.now();
      for (const it of ask) it.asked = { requestId: `${it.ref.uid}/p${++it.requests}`, pool: it.candidates[0]!.pool, at };
      const { gone } = await local.placerAsk({
        replyTo: workflowInfo().workflowId,
        requests: ask.map((it) => ({ ref: it.ref, pool: it.asked!.pool, requestId: it.asked!.requestId })),
      });
      for (const uid of gone) this.items.delete(uid);
    }

    const boundNow = new Set(bind.map(({ it, pool }) => `${it.ref.uid}@${pool}`));
    if (bind.length) {
      const res = await local.placerBind({
        items: bind.map(({ it, pool, requestId }) => ({ ref: it.ref, pool, requestId, decision: it.decision!, attempts: it.attempts, passes: it.passes })),
      });
      for (const r of res) {
        this.items.delete(r.uid);
        if (r.result === 'bound') this.placed++;
        else if (r.result === 'elsewhere') {
          this.handedOff++;
          this.handed[r.uid] = now;
        }
      }
    }

    // Stray grants go back once their volume has left the placer (bound, handed off or gone): while it is still
    // here, a grant of the same pool may be the one it binds with (request ids repeat when a lost workflow task is
    // redone), so it waits. The release names its request (only that grant goes), and the activity leaves a grant
    // the API server shows as the volume's binding.
    const ready = this.strays.filter((x) => !this.items.has(x.uid) && !boundNow.has(`${x.uid}@${x.pool}`));
    if (ready.length) {
      await local.placerReleaseStrays({ strays: ready });
      this.strays = this.strays.filter((x) => !ready.includes(x));
    }

    if (handOff.length) {
      await local.placerHandOff({ items: handOff.map(({ it, release }) => ({ ref: it.ref, ...(release ? { release } : {}) })) });
      for (const { it } of handOff) {
        this.items.delete(it.ref.uid);
        this.handed[it.ref.uid] = now;
      }
      this.handedOff += handOff.length;
    }
  }

  /** The next filter pass's volumes: each at most once, only those still here and not waiting for an answer. */
  private takeToDecide(binding: ReadonlySet<string>): PlacerItem[] {
    const seen = new Set<string>();
    const out: PlacerItem[] = [];
    while (this.toDecide.length && out.length < PLACER_BATCH) {
      const uid = this.toDecide.shift()!;
      const it = this.items.get(uid);
      if (!it || it.asked || seen.has(uid) || binding.has(uid)) continue;
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
