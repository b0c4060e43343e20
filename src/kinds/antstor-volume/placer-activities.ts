/**
 * The placer's activities (v0.8.0, batched admission): one filter pass over a whole batch of new volumes,
 * one reservation signal per pool for the batch, the bindings written 16 at a time, and each bound volume's
 * workflow started with its placement record. Everything the placer cannot finish on this fast path (a deleted,
 * already bound, unschedulable or plugin-governed volume, a silent pool) is handed to the volume's own workflow,
 * which runs the full v0.7.0 path.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { poolNodeId } from '../../api/objects.js';
import type { AntstorVolume } from '../../api/types.js';
import { schedule, type PlacementDecision } from '../../scheduler/chain.js';
import { heldReservations } from '../../scheduler/pool-node.js';
import { poolNodesNow } from '../../activities/pool-view.js';
import {
  poolStartOptions,
  reserveRequestsSignal,
  volumeEventSignal,
  volumeStartOptions,
  volumeWorkflowId,
  type PlacementAttempt,
  type PlacementRecord,
  type ReserveRequestMsg,
  type VolumeRef,
  type VolumeWorkflowInput,
} from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { releaseFromLedger, reserveRequestFor } from '../storage-pool/ledger-activities.js';
import { bindVolume } from './activities.js';
import { recordPlacedRunStart } from '../../metrics/registry.js';

/** What the placer does next with a volume after a filter pass. */
export type PlacerDecision =
  | { uid: string; outcome: 'gone' }
  | { uid: string; outcome: 'handoff'; why: string }
  | { uid: string; outcome: 'place'; decision: PlacementDecision };

export interface PlacerBindItem {
  ref: VolumeRef;
  pool: string;
  /** The request the pool granted (released by its id if the binding cannot be written). */
  requestId: string;
  decision: PlacementDecision;
  attempts: PlacementAttempt[];
  passes: number;
}

/** bound: written and its workflow started; gone: deleted meanwhile; elsewhere: bound by someone else (handed off). */
export type PlacerBindResult = { uid: string; result: 'bound' | 'gone' | 'elsewhere' };

/** Runs `fn` over `items`, at most `n` at a time, results in input order. */
export async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** The volume as the cache has it, or as the API server has it when the cache has not seen it (yet). */
async function readVolume(d: ActivityDeps, ref: VolumeRef): Promise<AntstorVolume | undefined> {
  const c = d.cache.getVolume(ref.name);
  if (c && c.metadata.uid === ref.uid) return c;
  const v = await d.kube.getVolume(ref.namespace, ref.name);
  return v && v.metadata.uid === ref.uid ? v : undefined;
}

/** Starts (or signals) the volume's workflow: with its placement when the placer bound it, bare when handed off. */
export async function startVolumeWorkflow(d: Pick<ActivityDeps, 'temporal' | 'taskQueue' | 'timings'>, input: VolumeWorkflowInput, resourceVersion: string): Promise<void> {
  await d.temporal.workflow.signalWithStart('volumeWorkflow', {
    ...volumeStartOptions(d, input),
    signal: volumeEventSignal,
    signalArgs: [{ resourceVersion }],
  });
}

/**
 * Starts the run of a volume the placer bound. Eagerly when it can: the start's response carries the run's first
 * (and, for a parked run, only) workflow task straight to this worker, which saves the server a task-queue
 * dispatch and a poll per placement. A run already open (rare: the volume's own workflow was woken meanwhile) is
 * signalled with the binding's version instead, as before.
 */
export async function startPlacedRun(d: Pick<ActivityDeps, 'temporal' | 'eagerTemporal' | 'taskQueue' | 'timings'>, input: VolumeWorkflowInput, resourceVersion: string): Promise<void> {
  if (d.eagerTemporal) {
    try {
      const h = await d.eagerTemporal.workflow.start('volumeWorkflow', { ...volumeStartOptions(d, input), requestEagerStart: true });
      recordPlacedRunStart(h.eagerlyStarted ? 'eager' : 'queued');
      return;
    } catch (e) {
      if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    }
  }
  await startVolumeWorkflow(d, input, resourceVersion);
  recordPlacedRunStart(d.eagerTemporal ? 'signalled' : 'queued');
}

export function placerActivities(d: ActivityDeps) {
  return {
    /**
     * One filter pass per volume over one view of the cluster: pools and bound volumes from the cache, each volume
     * of the batch counted on the pool it is about to ask (as the ledger will count it), so a batch spreads as a
     * sequence of single placements would.
     */
    async placerDecide({ items }: { items: { ref: VolumeRef; refused: Record<string, string> }[] }): Promise<PlacerDecision[]> {
      const now = Date.now();
      // MetaSync's Reconcile only marks the row dirty (the watcher does that for the volumes it hands over).
      const withPlugins = (d.pluginNames?.AntstorVolume ?? []).some((n) => n !== 'MetaSync');
      // These volumes are being placed again: whatever they were assumed to hold is void.
      for (const i of items) d.assumed?.forget(i.ref.uid);
      const batch = new Set(items.map((i) => i.ref.uid));
      const nodes = poolNodesNow(d, { exclude: batch, now });
      const byNode = new Map(nodes.map((n) => [poolNodeId(n.pool), n]));
      const out: PlacerDecision[] = [];
      for (const { ref, refused } of items) {
        const vol = await readVolume(d, ref);
        if (!vol) {
          out.push({ uid: ref.uid, outcome: 'gone' });
          continue;
        }
        const why = withPlugins
          ? 'reconciler plugins run first'
          : vol.metadata.deletionTimestamp
            ? 'being deleted'
            : vol.spec?.targetNodeId
              ? 'already bound'
              : vol.spec?.stopReconcile
                ? 'stopReconcile'
                : undefined;
        if (why) {
          out.push({ uid: ref.uid, outcome: 'handoff', why });
          continue;
        }
        const decision = schedule(d.config.scheduler, d.chain, nodes, vol, { refused });
        const best = decision.candidates[0];
        if (decision.error || !best) {
          // Unschedulable or invalid: the volume's workflow reports it and waits for capacity, as before.
          out.push({ uid: ref.uid, outcome: 'handoff', why: decision.error ?? 'no candidate' });
          continue;
        }
        const n = byNode.get(best.pool);
        if (n) {
          n.volumes = [...n.volumes, { ...vol, spec: { ...vol.spec, targetNodeId: best.pool } }];
          n.reservations = heldReservations(n.pool, n.volumes, d.config.scheduler.nodeReservations);
        }
        d.assumed?.assume(ref.uid, best.pool, now);
        out.push({ uid: ref.uid, outcome: 'place', decision });
      }
      return out;
    },

    /** Sends each pool its share of the batch's requests in one signal; answers come back to `replyTo` in batches. */
    async placerAsk({ replyTo, requests }: { replyTo: string; requests: { ref: VolumeRef; pool: string; requestId: string }[] }): Promise<{ gone: string[] }> {
      const now = Date.now();
      const gone: string[] = [];
      const byPool = new Map<string, ReserveRequestMsg[]>();
      for (const r of requests) {
        const vol = await readVolume(d, r.ref);
        if (!vol) {
          gone.push(r.ref.uid);
          continue;
        }
        const p = d.cache.getPool(r.pool);
        const node = p ? poolNodeId(p) : r.pool;
        d.assumed?.assume(r.ref.uid, node, now);
        const list = byPool.get(r.pool) ?? [];
        list.push({ requestId: r.requestId, replyTo, req: reserveRequestFor(d, vol, node, false) });
        byPool.set(r.pool, list);
      }
      const namespace = requests[0]?.ref.namespace ?? '';
      await Promise.all(
        [...byPool].map(([pool, reqs]) =>
          d.temporal.workflow.signalWithStart('poolWorkflow', { ...poolStartOptions(d, { namespace, name: pool }), signal: reserveRequestsSignal, signalArgs: [{ requests: reqs }] }),
        ),
      );
      return { gone };
    },

    /**
     * Writes the bindings the ledgers granted and starts each volume's workflow with its placement record (the
     * filter pass, the ledger answers, the binding), so the volume's own history holds its placement.
     */
    async placerBind({ items }: { items: PlacerBindItem[] }): Promise<PlacerBindResult[]> {
      return mapLimit(items, 16, async (it): Promise<PlacerBindResult> => {
        const { ref, pool, decision } = it;
        const cand = decision.candidates.find((c) => c.pool === pool);
        const { pools, qualified, reasons, override } = decision;
        const summary = { pools, qualified, reasons, ...(cand ? { scores: cand.scores } : {}), ...(override ? { override } : {}) };
        const b = await bindVolume(d, ref, pool, summary, volumeWorkflowId(ref), d.cache.getVolume(ref.name));
        if (!b.ok) {
          // Gone, or bound by someone else between the answer and the patch: give the bytes back.
          d.assumed?.forget(ref.uid, pool);
          await releaseFromLedger(d, { namespace: ref.namespace, name: pool }, ref.uid, it.requestId);
          if (b.gone) return { uid: ref.uid, result: 'gone' };
          // Bound elsewhere: the volume's workflow adopts that binding.
          await startVolumeWorkflow(d, { ref, timings: d.timings }, '');
          return { uid: ref.uid, result: 'elsewhere' };
        }
        const record: PlacementRecord = {
          volume: `${ref.namespace}/${ref.name}`,
          phase: 'Bound',
          pool,
          decision,
          attempts: it.attempts,
          passes: it.passes,
          message: b.message,
        };
        const rv = b.resourceVersion ?? '';
        await startPlacedRun(d, { ref, timings: d.timings, placed: true, state: { record, lastResourceVersion: rv } }, rv);
        return { uid: ref.uid, result: 'bound' };
      });
    },

    /** Hands volumes to their own workflows (the full path), after releasing what a silent pool may still grant. */
    async placerHandOff({ items }: { items: { ref: VolumeRef; release?: { pool: string; requestId: string } }[] }): Promise<void> {
      await mapLimit(items, 16, async ({ ref, release }) => {
        if (release) {
          d.assumed?.forget(ref.uid, release.pool);
          await releaseFromLedger(d, { namespace: ref.namespace, name: release.pool }, ref.uid, release.requestId);
        }
        await startVolumeWorkflow(d, { ref, timings: d.timings }, '');
      });
    },

    /**
     * Grants nobody waits for (a request answered after its volume moved on: bound elsewhere, handed off, gone):
     * released by request id, unless the API server shows the volume bound to that very pool (then the grant is its
     * binding). The volume is read live, by the name the pool's answer carries; one that is gone holds nothing.
     * Without a name (an answer from a pool of an older version) a volume the cache does not know is left to the
     * pool's drift repair: holding bytes a little longer is safe, releasing a binding is not.
     */
    async placerReleaseStrays({ strays }: { strays: { uid: string; pool: string; requestId: string; key?: string }[] }): Promise<number> {
      // 16 at a time: one by one, a few hundred strays (a burst of hand-offs) outlasted the activity's 30 s, and
      // every retry started over.
      const done = await mapLimit(strays, 16, async (s) => {
        const [namespace, name] = s.key?.split('/') ?? [];
        const cached = namespace && name ? undefined : d.cache.volumeByUid(s.uid);
        const ns = namespace ?? cached?.metadata.namespace;
        const n = name ?? cached?.metadata.name;
        if (!ns || !n) return 0;
        const live = await d.kube.getVolume(ns, n);
        if (live && live.metadata.uid === s.uid && live.spec?.targetNodeId === s.pool) return 0;
        d.assumed?.forget(s.uid, s.pool);
        await releaseFromLedger(d, { namespace: ns, name: s.pool }, s.uid, s.requestId);
        return 1;
      });
      return done.reduce((a: number, b: number) => a + b, 0);
    },
  };
}
