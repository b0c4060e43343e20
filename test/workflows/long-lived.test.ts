/**
 * The long-lived paths of every workflow, on a real Temporal dev server whose continue-as-new suggestion is set
 * very low (so runs roll over every few dozen events): first activations with signals already waiting, and
 * continue-as-new with requests in flight. The activities are fakes (the unit under test is the workflow code);
 * the end-to-end burst with the real controller is in test/e2e/continue-as-new-burst.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import type { ReserveRequest } from '../../src/scheduler/ledger.js';
import type { PlacementDecision } from '../../src/scheduler/chain.js';
import {
  DEFAULT_TIMINGS,
  ledgerQuery,
  metasyncDirtySignal,
  metaSyncWorkflowId,
  placementQuery,
  poolWorkflowId,
  releaseSignal,
  reserveRequestSignal,
  retryPlacementSignal,
  reserveReplySignal,
  reserveRepliesSignal,
  reserveRequestsSignal,
  isPlacerWorkflowId,
  placeVolumesSignal,
  placerQuery,
  placerWorkflowId,
  releaserQuery,
  releaserWorkflowId,
  releaseVolumesSignal,
  type ReleaserItem,
  type ReleaserWorkflowInput,
  volumeEventSignal,
  volumeWorkflowId,
  VOLUME_REVISION,
  POOL_REVISION,
  type PoolView,
  type PlacerWorkflowInput,
  type ReserveReplyMsg,
  type ReserveRequestMsg,
  type PoolWorkflowInput,
  type ReserveOnPoolInput,
  type Timings,
  type VolumeRef,
  type VolumeView,
} from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { startWorkflowServer, type WorkflowServer } from '../harness/workflow-server.js';
import { renderHealth, workflowHealth } from '../../src/workflow-health.js';
import { repliesQuery } from './test-workflows.js';
import { snapshotEventSignal, snapshotWakeSignal, snapshotWorkflowId } from '../../src/kinds/antstor-snapshot/messages.js';
import { groupEventSignal, groupWakeSignal, groupWorkflowId } from '../../src/kinds/antstor-volume-group/messages.js';

const GiB = 2 ** 30;
/** History events after which the server suggests continue-as-new (the default is 4,096). */
const CAN_AFTER_EVENTS = 40;

const timings: Timings = { ...DEFAULT_TIMINGS, useSearchAttributes: false, ledgerSilenceReportMs: 1000, ledgerGiveUpMs: 3000 };

function request(uid: string, bytes = GiB): ReserveRequest {
  return { uid, key: `ns/${uid}`, bytes, sizeByte: bytes, remote: false, countsRemote: false, reservationId: '', viaReservation: false };
}

/** Fake cluster behind the activities: pools with a capacity, volumes that exist, and a log of the calls. */
class FakeCluster {
  capacity = new Map<string, number>();
  /** Pools whose ledger request goes nowhere (a wedged pool workflow, seen from the volume). */
  silent = new Set<string>();
  /** The placer's hand-off activity takes this long (a race with a late answer is made wide). */
  handOffDelayMs = 0;
  /** The releaser's batch takes this long (deletions arriving meanwhile queue up). */
  releaseDelayMs = 0;
  /** Volumes whose agent finalizer is still there: the releaser hands them to their own workflows. */
  agentHeld = new Set<string>();
  /** The placer's filter pass takes this long (volumes arriving meanwhile wait, undecided). */
  decideDelayMs = 0;
  /** Pools whose ledger request is held by the test (a busy pool): their probe shows a growing history. */
  busy = new Set<string>();
  private busyHistory = 0;
  volumes = new Map<string, { rv: number; target: string; candidates: string[] }>();
  /** Pools whose lifecycle says nothing is due by the clock (they may park); their grants count as bound at once. */
  parkable = new Set<string>();
  /** v0.14.0: parkable pools whose adopting load says a lifecycle pass would have nothing to do (lifecycleQuiet). */
  quiet = new Set<string>();
  /** The "API server's" bindings of the parkable pools: pool → uid → binding. */
  bound = new Map<string, Map<string, ReserveRequest>>();
  calls: { name: string; arg: unknown }[] = [];
  flushed = new Map<string, number>(); // MetaSync key → times written
  /** The volume group behind the fake group activities: pools that refuse a hold, whether its plan is recorded. */
  groupRefuses = new Set<string>();
  groupRecorded = false;
  groupGone = false;
  /** The snapshot behind the fake snapshotReconcile: waiting on its origin, free to go on, or deleted. */
  snapshotStage: 'wait' | 'go' | 'gone' = 'wait';

  constructor(private client: () => Client, private taskQueue: string) {}

  count(name: string, pred: (a: any) => boolean = () => true): number {
    return this.calls.filter((c) => c.name === name && pred(c.arg)).length;
  }

  activities() {
    const log = (name: string, arg: unknown) => void this.calls.push({ name, arg });
    const poolView = (name: string): PoolView => {
      const cap = this.capacity.get(name) ?? 0;
      return {
        info: { exists: true, deleting: false, schedulable: true, status: 'ready', capacityBytes: cap, availableBytes: cap },
        policy: { maxRemoteVolumeCount: 3, minLocalStoragePct: 0, nodeReservations: [] },
        nodeId: name,
        resourceVersion: '1',
        ...(this.parkable.has(name) ? { uid: `uid-${name}`, lifecycle: true, plugins: [] } : {}),
      };
    };
    const startPool = (name: string): PoolWorkflowInput => ({ ref: { namespace: 'ns', name }, timings });
    return {
      poolLoad: async ({ pool, adopt }: { pool: { name: string }; adopt?: boolean }) => {
        log('poolLoad', pool.name);
        if (adopt) log('poolLoad+adopt', pool.name);
        const b = [...(this.bound.get(pool.name)?.values() ?? [])].map(({ uid, key, bytes, sizeByte, remote, countsRemote, reservationId }) => ({ uid, key, bytes, sizeByte, remote, countsRemote, reservationId }));
        const quiet = adopt && this.quiet.has(pool.name) ? { lifecycleQuiet: { nextCheckInMs: 30 * 60_000 } } : {};
        return { ...poolView(pool.name), ...(adopt ? { adoption: { bindings: b, inFlight: [] } } : {}), ...quiet };
      },
      poolListBindings: async ({ pool, consistent }: { pool: { name: string }; consistent?: boolean }) => {
        log('poolListBindings', { pool: pool.name, consistent: !!consistent });
        const b = [...(this.bound.get(pool.name)?.values() ?? [])];
        return { bindings: b.map(({ uid, key, bytes, sizeByte, remote, countsRemote, reservationId }) => ({ uid, key, bytes, sizeByte, remote, countsRemote, reservationId })), inFlight: [] };
      },
      poolReconcile: async ({ pool }: { pool: { name: string } }) => (log('poolReconcile', pool.name), { status: 'ready', nextCheckInMs: 30 * 60_000, actions: [], watched: true }),
      poolRecordDrift: async () => undefined,
      volumeLoad: async ({ ref }: { ref: VolumeRef }): Promise<VolumeView> => {
        const v = this.volumes.get(ref.name);
        if (!v) return { exists: false };
        return { exists: true, resourceVersion: String(v.rv), deleting: false, targetNodeId: v.target, bindingComplete: !!v.target, statusMsg: '' };
      },
      scheduleFilterAndScore: async ({ ref, refused }: { ref: VolumeRef; refused: Record<string, string> }): Promise<PlacementDecision> => {
        log('scheduleFilterAndScore', ref.name);
        const cands = (this.volumes.get(ref.name)?.candidates ?? []).filter((p) => !refused[p]);
        if (!cands.length) return { pools: 0, filters: [], candidates: [], qualified: 0, reasons: {}, error: 'NoStoragePoolAvailable: PoolFreeSize: 1' };
        return { pools: cands.length, filters: [], qualified: cands.length, reasons: {}, candidates: cands.map((pool) => ({ pool, score: 0, scores: {}, freeBytes: 0 })) };
      },
      ledgerRequest: async (i: ReserveOnPoolInput) => {
        log('ledgerRequest', i);
        if (this.silent.has(i.pool.name) || this.busy.has(i.pool.name)) return;
        await this.client().workflow.signalWithStart('poolWorkflow', {
          workflowId: poolWorkflowId(i.pool),
          taskQueue: this.taskQueue,
          args: [startPool(i.pool.name)],
          signal: reserveRequestSignal,
          signalArgs: [{ requestId: i.requestId, replyTo: i.replyTo, req: { ...request(i.volume.uid), key: `ns/${i.volume.name}`, adopt: !!i.adopt } }],
        });
      },
      ledgerProbe: async ({ pool }: { pool: { namespace: string; name: string } }) => {
        log('ledgerProbe', pool.name);
        if (this.silent.has(pool.name)) return { running: false, historyLength: 0, failingActivities: 0 };
        if (this.busy.has(pool.name)) return { running: true, historyLength: (this.busyHistory += 7), taskAttempt: 1, taskWaitingMs: 100, failingActivities: 0 };
        const d = await this.client().workflow.getHandle(poolWorkflowId(pool)).describe();
        return { running: d.status.name === 'RUNNING', historyLength: d.historyLength, failingActivities: 0 };
      },
      ledgerReplies: async ({ replies }: { replies: { workflowId: string; msg: ReserveReplyMsg }[] }) => {
        log('ledgerReplies', replies.length);
        for (const { msg } of replies) {
          if (!msg.result.accepted || !this.parkable.has(msg.pool) || !msg.key) continue;
          const uid = msg.key.split('/')[1]!;
          if (!this.bound.has(msg.pool)) this.bound.set(msg.pool, new Map());
          this.bound.get(msg.pool)!.set(uid, request(uid));
        }
        // As the real activity: the placer gets one signal with all of its answers.
        const toPlacer = replies.filter((r) => isPlacerWorkflowId(r.workflowId));
        if (toPlacer.length) await this.client().workflow.getHandle(toPlacer[0]!.workflowId).signal(reserveRepliesSignal, { replies: toPlacer.map((r) => r.msg) });
        for (const { workflowId, msg } of replies) if (!isPlacerWorkflowId(workflowId)) await this.client().workflow.getHandle(workflowId).signal(reserveReplySignal, msg);
      },
      placerDecide: async ({ items }: { items: { ref: VolumeRef; refused: Record<string, string> }[] }) => {
        log('placerDecide', items.length);
        if (this.decideDelayMs) await new Promise((r) => setTimeout(r, this.decideDelayMs));
        return items.map(({ ref, refused }) => {
          const v = this.volumes.get(ref.name);
          if (!v) return { uid: ref.uid, outcome: 'gone' as const };
          if (v.target) return { uid: ref.uid, outcome: 'handoff' as const, why: 'already bound' };
          const cands = v.candidates.filter((p) => !refused[p]);
          if (!cands.length) return { uid: ref.uid, outcome: 'handoff' as const, why: 'NoStoragePoolAvailable' };
          const decision: PlacementDecision = { pools: cands.length, filters: [], qualified: cands.length, reasons: {}, candidates: cands.map((pool) => ({ pool, score: 0, scores: {}, freeBytes: 0 })) };
          return { uid: ref.uid, outcome: 'place' as const, decision };
        });
      },
      placerAsk: async ({ replyTo, requests }: { replyTo: string; requests: { ref: VolumeRef; pool: string; requestId: string }[] }) => {
        log('placerAsk', requests);
        const byPool = new Map<string, ReserveRequestMsg[]>();
        for (const r of requests) {
          if (this.silent.has(r.pool)) continue;
          byPool.set(r.pool, [...(byPool.get(r.pool) ?? []), { requestId: r.requestId, replyTo, req: { ...request(r.ref.uid), key: `ns/${r.ref.name}` } }]);
        }
        for (const [pool, reqs] of byPool)
          await this.client().workflow.signalWithStart('poolWorkflow', {
            workflowId: poolWorkflowId({ namespace: 'ns', name: pool }),
            taskQueue: this.taskQueue,
            args: [startPool(pool)],
            signal: reserveRequestsSignal,
            signalArgs: [{ requests: reqs }],
          });
        return { gone: [] };
      },
      placerBind: async ({ items }: { items: { ref: VolumeRef; pool: string }[] }) =>
        items.map(({ ref, pool }) => {
          log('placerBind', { name: ref.name, pool });
          const v = this.volumes.get(ref.name)!;
          if (v.target && v.target !== pool) return { uid: ref.uid, result: 'elsewhere' as const };
          v.target = pool;
          v.rv++;
          return { uid: ref.uid, result: 'bound' as const };
        }),
      placerHandOff: async ({ items }: { items: { ref: VolumeRef; release?: { pool: string; requestId: string } }[] }) => {
        if (this.handOffDelayMs) {
          log('placerHandOffStarted', items.map((i) => i.ref.name));
          await new Promise((r) => setTimeout(r, this.handOffDelayMs));
        }
        for (const i of items) {
          log('placerHandOff', { name: i.ref.name, release: i.release?.pool });
          if (i.release && !this.silent.has(i.release.pool))
            await this.client().workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: i.release.pool })).signal(releaseSignal, { uid: i.ref.uid, requestId: i.release.requestId });
        }
      },
      releaserFinalize: async ({ items }: { items: { ref: VolumeRef; pool: string }[] }) => {
        log('releaserFinalizeStarted', items.map((i) => i.ref.uid));
        if (this.releaseDelayMs) await new Promise((r) => setTimeout(r, this.releaseDelayMs));
        return items.map(({ ref, pool }) => {
          // Volumes whose agent still holds a finalizer go to their own workflows; the rest are released here.
          const handoff = this.agentHeld.has(ref.name);
          log('releaserFinalize', { name: ref.name, pool, handoff });
          return handoff ? { uid: ref.uid, result: 'handoff' as const, why: 'waiting for finalizers' } : { uid: ref.uid, result: 'released' as const };
        });
      },
      placerReleaseStrays: async ({ strays }: { strays: { uid: string; pool: string; requestId: string }[] }) => (log('placerReleaseStrays', strays), 0),
      ledgerRelease: async ({ pool, uid }: { pool: { namespace: string; name: string }; uid: string }) => {
        log('ledgerRelease', { pool: pool.name, uid });
        if (this.silent.has(pool.name)) return false;
        await this.client().workflow.getHandle(poolWorkflowId(pool)).signal(releaseSignal, { uid });
        return true;
      },
      volumeBind: async ({ ref, pool }: { ref: VolumeRef; pool: string }) => {
        log('volumeBind', { name: ref.name, pool });
        const v = this.volumes.get(ref.name)!;
        v.target = pool;
        v.rv++;
        return { ok: true, gone: false, message: `placed on ${pool}`, resourceVersion: String(v.rv) };
      },
      volumeEnsureBound: async () => true,
      volumeReportUnschedulable: async (a: unknown) => (log('volumeReportUnschedulable', a), true),
      volumeReportWaiting: async (a: unknown) => (log('volumeReportWaiting', a), true),
      volumeFinalize: async () => ({ released: true, waitingFor: [] }),
      metasyncFlush: async ({ keys }: { keys: string[] }) => {
        for (const k of keys) this.flushed.set(k, (this.flushed.get(k) ?? 0) + 1);
      },
      metasyncSweep: async () => undefined,
      groupSync: async () => {
        log('groupSync', null);
        if (this.groupGone) return { gone: true, step: 'gone' };
        return this.groupRecorded ? { step: 'waiting for members', needsPlan: false } : { step: 'waiting for members', needsPlan: true };
      },
      groupPlan: async (i: { refused?: string[] }) => {
        log('groupPlan', i.refused ?? []);
        const pools = ['p1', 'p2', 'p3', 'p4'].filter((p) => !(i.refused ?? []).includes(p)).slice(0, 3);
        const holds = pools.map((pool) => ({ pool, requestId: `hold/g/${pool}-m`, req: { ...request(`hold/g/${pool}-m`), hold: { ttlMs: 60_000 } } }));
        return { resourceVersion: '1', volumes: [], holds, summary: pools.join(',') };
      },
      groupHold: async ({ hold, replyTo }: { hold: { pool: string; requestId: string }; replyTo: string }) => {
        log('groupHold', hold.pool);
        const accepted = !this.groupRefuses.has(hold.pool);
        await this.client().workflow.getHandle(replyTo).signal(reserveReplySignal, { requestId: hold.requestId, pool: hold.pool, result: accepted ? { accepted, freeBytes: 0 } : { accepted, reason: 'PoolFreeSize', freeBytes: 0 } });
      },
      groupRecordPlan: async (i: { summary: string }) => {
        log('groupRecordPlan', i.summary);
        this.groupRecorded = true;
        return true;
      },
      groupReport: async (i: unknown) => void log('groupReport', i),
      snapshotReconcile: async (i: { announced?: string }) => {
        log('snapshotReconcile', i);
        if (this.snapshotStage === 'gone') return { gone: true };
        if (this.snapshotStage === 'wait') return { step: { kind: 'wait', on: 'origin', message: 'origin volume ns/vol is not scheduled' } };
        // Going on: one write, then nothing left to do.
        if (!this.calls.some((c) => c.name === 'snapshotBound')) {
          log('snapshotBound', true);
          return { step: { kind: 'bind', targetNodeId: 'node-1' }, acted: true };
        }
        return { step: { kind: 'idle', why: 'creating' } };
      },
    };
  }
}

describe('long-lived workflow paths (first activation, continue-as-new)', function () {
  this.timeout(180_000);
  let env: WorkflowServer;
  let server: TemporalDevServer;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;

  before(async function () {
    env = await startWorkflowServer('dct-longlived-', ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${CAN_AFTER_EVENTS}`]);
    ({ server, client, bundle } = env);
  });

  after(async function () {
    await env?.stop();
  });

  /** Runs `fn` with a worker (fresh task queue) serving the real workflows over the fake cluster. */
  async function withWorker<T>(fake: FakeCluster, taskQueue: string, fn: () => Promise<T>): Promise<T> {
    const nc = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection: nc,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: fake.activities(),
      // A tiny cache: most activations replay their history from the server, as a busy controller's do.
      maxCachedWorkflows: 5,
    });
    try {
      return await worker.runUntil(fn());
    } finally {
      await nc.close();
    }
  }

  const newQueue = () => `ll-${randomBytes(4).toString('hex')}`;

  async function startCollector(taskQueue: string): Promise<string> {
    const id = `collector/${taskQueue}`;
    await client.workflow.start('replyCollector', { workflowId: id, taskQueue });
    return id;
  }

  /**
   * Waits until `n` distinct requests have answers, and checks none was answered two ways. The reply activity is at
   * least once (a task retried after its worker evicted the run sends again): an answer may arrive twice, but always
   * the same decision — the volume side ignores the copy. The free bytes it reports may differ: the retried task
   * also holds the requests that arrived meanwhile. Returns every answer and the accepted request ids.
   */
  async function answeredOnce(replyTo: string, n: number, timeoutMs: number) {
    const replies = await eventually(
      async () => {
        const r = await client.workflow.getHandle(replyTo).query(repliesQuery);
        assert.equal(new Set(r.map((x) => x.requestId)).size, n, `requests answered so far: ${r.length}`);
        return r;
      },
      { timeoutMs, intervalMs: 300, what: `${n} answers` },
    );
    const first = new Map<string, string>();
    for (const r of replies) {
      const a = JSON.stringify({ accepted: r.result.accepted, reason: r.result.reason });
      assert.equal(first.get(r.requestId) ?? a, a, `request ${r.requestId} answered two ways`);
      first.set(r.requestId, a);
    }
    return { replies, accepted: new Set(replies.filter((r) => r.result.accepted).map((r) => r.requestId)) };
  }

  async function runsOf(workflowId: string): Promise<string[]> {
    const statuses: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) statuses.push(w.status.name);
    return statuses;
  }

  it('pool: a first activation with reserve requests already waiting answers every one (no TDZ wedge)', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.capacity.set('p1', 3 * GiB);
    const replyTo = await startCollector(tq);
    // Everything is sent before any worker exists: the pool's first activation carries all five requests.
    const pool = { namespace: 'ns', name: 'p1' };
    const start: PoolWorkflowInput = { ref: pool, timings };
    for (let i = 0; i < 5; i++) {
      await client.workflow.signalWithStart('poolWorkflow', {
        workflowId: poolWorkflowId(pool),
        taskQueue: tq,
        args: [start],
        signal: reserveRequestSignal,
        signalArgs: [{ requestId: `r${i}`, replyTo, req: request(`v${i}`) }],
      });
    }
    await client.workflow.getHandle(poolWorkflowId(pool)).signal(releaseSignal, { uid: 'nobody' });
    await withWorker(fake, tq, async () => {
      const replies = await eventually(
        async () => {
          const r = await client.workflow.getHandle(replyTo).query(repliesQuery);
          assert.equal(r.length, 5, `replies so far: ${r.length}`);
          return r;
        },
        { timeoutMs: 30_000, what: 'five answers' },
      );
      assert.equal(replies.filter((r) => r.result.accepted).length, 3);
      assert.deepEqual(replies.filter((r) => !r.result.accepted).map((r) => r.result.reason), ['PoolFreeSize', 'PoolFreeSize']);
      const ledger = await client.workflow.getHandle(poolWorkflowId(pool)).query(ledgerQuery);
      assert.equal(ledger.boundBytes, 3 * GiB);
      assert.equal(ledger.freeBytes, 0);
      // v0.6.0: the five answers decided in one workflow task leave in one reply activity, not five signals.
      assert.equal(fake.count('ledgerReplies'), 1, `reply calls: ${fake.calls.filter((c) => c.name === 'ledgerReplies').map((c) => c.arg).join(', ')}`);
    });
  });

  it('pool: continue-as-new with requests in flight answers every request, never two ways, and never over-commits', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const N = 120;
    fake.capacity.set('p2', 100 * GiB);
    const replyTo = await startCollector(tq);
    const pool = { namespace: 'ns', name: 'p2' };
    const start: PoolWorkflowInput = { ref: pool, timings };
    await withWorker(fake, tq, async () => {
      // Requests arrive in paced waves, so runs roll over (every few dozen events) while more keep coming and
      // some arrive during a drain; some uids are asked twice (re-asks).
      const waves = 24;
      for (let wave = 0; wave < waves; wave++) {
        if (wave) await new Promise((r) => setTimeout(r, 150));
        await Promise.all(
          Array.from({ length: N / waves }, (_, k) => {
            const i = wave * (N / waves) + k;
            return client.workflow.signalWithStart('poolWorkflow', {
              workflowId: poolWorkflowId(pool),
              taskQueue: tq,
              args: [start],
              signal: reserveRequestSignal,
              signalArgs: [{ requestId: `r${i}`, replyTo, req: request(`v${i % 110}`) }],
            });
          }),
        );
      }
      const { replies } = await answeredOnce(replyTo, N, 90_000);
      assert.ok(replies.length <= N * 1.1, `few copies: ${replies.length} answers for ${N} requests`);
      const accepted = new Set(replies.filter((r) => r.result.accepted).map((r) => Number(r.requestId.slice(1)) % 110));
      assert.equal(accepted.size, 100, 'exactly capacity / size distinct volumes admitted');
      const ledger = await client.workflow.getHandle(poolWorkflowId(pool)).query(ledgerQuery);
      assert.equal(ledger.boundBytes, 100 * GiB);
      assert.ok(ledger.freeBytes >= 0);
      assert.equal(ledger.bindings.length, 100);
      const runs = await eventually(async () => {
        const r = await runsOf(poolWorkflowId(pool));
        assert.ok(r.filter((s) => s === 'CONTINUED_AS_NEW').length >= 3, `runs: ${r.join(',')}`);
        return r;
      });
      assert.equal(runs.filter((s) => s === 'RUNNING').length, 1);
    });
  });

  for (const quiet of [false, true])
  it(`pool: parks between waves of requests; requests racing a park are each answered once, and the ledger carries over every park by adoption${quiet ? ' (v0.14.0: a load that finds the lifecycle quiet, so no pass at all)' : ''}`, async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const name = quiet ? 'p-park-quiet' : 'p-park'; // its own workflow id: the runs are counted by id below
    fake.capacity.set(name, 20 * GiB);
    fake.parkable.add(name);
    if (quiet) fake.quiet.add(name);
    const replyTo = await startCollector(tq);
    const pool = { namespace: 'ns', name };
    // As the controller starts a pool's run: for the current revision (no patch markers; an early park timer waits
    // again instead of reading the API server).
    const start: PoolWorkflowInput = { ref: pool, timings: { ...timings, poolParkIdleMs: 300 }, rev: POOL_REVISION };
    const N = 40;
    await withWorker(fake, tq, async () => {
      // Waves of four distinct volumes; the gaps straddle the park delay, so some waves find the pool parked (a new
      // run adopts), some arrive while it reads the API server to park, some while it is awake.
      const gaps = [100, 2500, 350, 2500, 330, 2500, 380, 2500, 120];
      for (let wave = 0; wave < N / 4; wave++) {
        if (wave) await sleep(gaps[wave - 1]!);
        await Promise.all(
          Array.from({ length: 4 }, (_, k) =>
            client.workflow.signalWithStart('poolWorkflow', {
              workflowId: poolWorkflowId(pool),
              taskQueue: tq,
              args: [start],
              signal: reserveRequestSignal,
              signalArgs: [{ requestId: `r${wave * 4 + k}`, replyTo, req: request(`v${wave * 4 + k}`) }],
            }),
          ),
        );
      }
      const { accepted } = await answeredOnce(replyTo, N, 60_000);
      // Exactly the capacity: a run that lost the bindings of an earlier one would have admitted more.
      assert.equal(accepted.size, 20);
      assert.equal(fake.bound.get(name)!.size, 20);
      const runs = await eventually(async () => {
        const r = await runsOf(poolWorkflowId(pool));
        assert.ok(r.filter((x) => x === 'COMPLETED').length >= 3, `runs: ${r.join(',')}`);
        assert.ok(!r.includes('RUNNING'), 'parked at the end');
        return r;
      }, { timeoutMs: 20_000, what: 'parked runs' });
      assert.ok(!runs.includes('FAILED') && !runs.includes('TERMINATED'), `runs: ${runs.join(',')}`);
      // Every park read the API server's bindings consistently first.
      const reads = fake.calls.filter((c) => c.name === 'poolListBindings').map((c) => (c.arg as { consistent: boolean }).consistent);
      const parks = runs.filter((x) => x === 'COMPLETED').length;
      assert.ok(reads.length >= parks && reads.every(Boolean), `reads: ${reads.join(',')} for ${parks} parks`);
      // ...and every run after a park adopted in its first load (one activity with the pool's view).
      assert.ok(fake.count('poolLoad+adopt') >= parks, `adopting loads: ${fake.count('poolLoad+adopt')} for ${parks} parks`);
      // Every run here is started by requests alone: each runs its put-off lifecycle pass once idle, unless its
      // load found nothing for a pass to do — then none runs, and the pool still parks.
      // (A run continued as new reads its pool afresh and runs a pass: that path is unchanged.)
      if (quiet) assert.ok(fake.count('poolReconcile') <= runs.filter((x) => x === 'CONTINUED_AS_NEW').length, `passes: ${fake.count('poolReconcile')} in ${runs.join(',')}`);
      else assert.ok(fake.count('poolReconcile') >= parks, `passes: ${fake.count('poolReconcile')} for ${parks} parks`);
    });
  });

  it('pool (revision 14): requests that keep coming within the park delay neither park the pool nor starve its drift check', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const name = 'p-busy';
    fake.capacity.set(name, 100 * GiB);
    fake.parkable.add(name);
    fake.quiet.add(name);
    const replyTo = await startCollector(tq);
    const pool = { namespace: 'ns', name };
    // The park timer (1 s) fires before the drift timer (1.5 s) at every wait, and each request (decided in its
    // handler, without waking the loop) moves the idle deadline, so the park timer always fires early.
    const start: PoolWorkflowInput = { ref: pool, timings: { ...timings, poolParkIdleMs: 1000, driftCheckMs: 1500 }, rev: POOL_REVISION };
    // ~10 s of traffic. A run rolls over every 40 events here (a few requests), and a roll-over wakes the loop
    // instead of its timer, so on a loaded machine fewer of a short stream's timers reach the drift check (CI
    // once saw 1 in 16 requests over 4 runs); 24 leave it room for the 2 asserted.
    const N = 24;
    await withWorker(fake, tq, async () => {
      for (let i = 0; i < N; i++) {
        if (i) await sleep(400);
        await client.workflow.signalWithStart('poolWorkflow', {
          workflowId: poolWorkflowId(pool),
          taskQueue: tq,
          args: [start],
          signal: reserveRequestSignal,
          signalArgs: [{ requestId: `b${i}`, replyTo, req: request(`vb${i}`) }],
        });
      }
      const { accepted } = await answeredOnce(replyTo, N, 30_000);
      assert.equal(accepted.size, N);
      const runs = await runsOf(poolWorkflowId(pool));
      assert.ok(!runs.includes('COMPLETED'), `never parked while requests kept coming: ${runs.join(',')}`);
      // The drift check (a plain read, not the park's consistent one) still ran, about every 1.5 s of quiet timers.
      const drift = fake.calls.filter((c) => c.name === 'poolListBindings' && !(c.arg as { consistent: boolean }).consistent).length;
      assert.ok(drift >= 2, `drift checks during the stream: ${drift} (runs: ${runs.join(", ")})`);
    });
  });

  it('placer: batches waiting at the first activation, continue-as-new with requests in flight: every volume bound once or handed off, no pool over capacity', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const pools = ['q1', 'q2', 'q3'];
    for (const p of pools) fake.capacity.set(p, 16 * GiB);
    const N = 60; // 48 fit
    const refs: VolumeRef[] = [];
    for (let i = 0; i < N; i++) {
      const name = `pv${i}`;
      fake.volumes.set(name, { rv: 1, target: '', candidates: [pools[i % 3]!, pools[(i + 1) % 3]!, pools[(i + 2) % 3]!] });
      refs.push({ namespace: 'ns', name, uid: `pu${i}` });
    }
    const id = placerWorkflowId('ns');
    // A silence long enough that no pool is given up on here (that path has its own test).
    const start: PlacerWorkflowInput = { namespace: 'ns', timings: { ...timings, ledgerSilenceReportMs: 30_000 } };
    const send = (volumes: VolumeRef[]) =>
      client.workflow.signalWithStart('placerWorkflow', { workflowId: id, taskQueue: tq, args: [start], signal: placeVolumesSignal, signalArgs: [{ volumes }] });
    // The first two batches (one volume twice) wait for the first activation: no worker yet.
    await send(refs.slice(0, 10));
    await send(refs.slice(5, 20));
    await withWorker(fake, tq, async () => {
      // The rest in small waves, so the placer's runs roll over (every few dozen events) with requests in flight.
      for (let i = 20; i < N; i += 5) {
        await send(refs.slice(i, i + 5));
        await new Promise((r) => setTimeout(r, 100));
      }
      const names = (call: string) => new Set(fake.calls.filter((c) => c.name === call).map((c) => (c.arg as { name: string }).name));
      await eventually(
        async () => {
          const v = await client.workflow.getHandle(id).query(placerQuery);
          assert.equal(v.items, 0, `in flight: ${JSON.stringify(v)}`);
          // Local activities run at least once (a redone workflow task runs them again): count volumes, not calls.
          assert.equal(names('placerBind').size + names('placerHandOff').size, N);
        },
        { timeoutMs: 60_000, what: 'every volume bound or handed off' },
      );
      const bound = names('placerBind');
      const handed = names('placerHandOff');
      assert.equal(bound.size, 48, 'every byte used, none twice');
      for (const n of handed) assert.ok(!bound.has(n), `${n} both bound and handed off`);
      for (const c of fake.calls.filter((c) => c.name === 'placerBind')) {
        const a = c.arg as { name: string; pool: string };
        assert.equal(fake.volumes.get(a.name)!.target, a.pool, `${a.name} bound to two pools`);
      }
      for (const p of pools) {
        const l = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: p })).query(ledgerQuery);
        assert.equal(l.boundBytes, 16 * GiB, `${p}: ${l.boundBytes}`);
        // Each binding the ledger holds is a volume the placer bound there.
        for (const b of l.bindings) assert.equal(fake.volumes.get(b.key.split('/')[1]!)!.target, p);
      }
      // Batched: far fewer filter passes than volumes.
      assert.ok(fake.count('placerDecide') < N / 2, `filter-pass calls: ${fake.count('placerDecide')}`);
    });
    const runs = await runsOf(id);
    assert.ok(runs.filter((s) => s === 'CONTINUED_AS_NEW').length >= 1, `runs: ${runs.join(', ')}`);
  });

  it('releaser: batches waiting at the first activation, continue-as-new with batches running: every deletion finished once, none lost', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.releaseDelayMs = 150; // deletions pile up while a batch runs, and runs roll over with batches in flight
    const N = 120; // in 25 waves: enough signals, tasks and batches that the runs roll over (40 events) every time
    const items: ReleaserItem[] = Array.from({ length: N }, (_, i) => ({ ref: { namespace: 'ns', name: `rv${i}`, uid: `ru${i}` }, pool: `p${i % 4}` }));
    for (let i = 0; i < N; i += 10) fake.agentHeld.add(`rv${i}`);
    const id = releaserWorkflowId('ns');
    const start: ReleaserWorkflowInput = { namespace: 'ns', timings };
    const send = (volumes: ReleaserItem[]) =>
      client.workflow.signalWithStart('releaserWorkflow', { workflowId: id, taskQueue: tq, args: [start], signal: releaseVolumesSignal, signalArgs: [{ volumes }] });
    // Two batches (five volumes in both) wait for the first activation: no worker yet.
    await send(items.slice(0, 10));
    await send(items.slice(5, 20));
    await withWorker(fake, tq, async () => {
      for (let i = 20; i < N; i += 4) {
        await send(items.slice(i, i + 4));
        // A volume sent again (the feed's timeout) while it is queued or in a batch is not taken twice.
        if (i % 12 === 0) await send(items.slice(i, i + 2));
        await new Promise((r) => setTimeout(r, 100));
      }
      const finished = () => new Set(fake.calls.filter((c) => c.name === 'releaserFinalize').map((c) => (c.arg as { name: string }).name));
      await eventually(
        async () => {
          const v = await client.workflow.getHandle(id).query(releaserQuery);
          assert.equal(v.items, 0, `in flight: ${JSON.stringify(v)}`);
          assert.equal(finished().size, N);
          assert.equal(v.released + v.handedOff >= N, true, JSON.stringify(v));
        },
        { timeoutMs: 60_000, what: 'every deletion finished' },
      );
      // Never two batches with the same volume at once: each volume's calls are in distinct, non-overlapping batches.
      const batches = fake.calls.filter((c) => c.name === 'releaserFinalizeStarted').map((c) => c.arg as string[]);
      for (const b of batches) assert.equal(new Set(b).size, b.length, `a batch holds a volume twice: ${b.join(',')}`);
      assert.ok(batches.length < N / 2, `batched: ${batches.length} activities for ${N} volumes`);
      const v = await client.workflow.getHandle(id).query(releaserQuery);
      assert.equal(v.handedOff >= N / 10, true, `handed off: ${v.handedOff}`);
      // With the worker still there (a roll-over due in the last task runs), and the list read until it shows it:
      // the dev server's visibility may trail the run by a moment.
      await eventually(async () => {
        const runs = await runsOf(id);
        const d = await client.workflow.getHandle(id).describe();
        assert.ok(runs.filter((s) => s === 'CONTINUED_AS_NEW').length >= 1, `runs: ${runs.join(', ')}; history ${d.historyLength} events`);
      }, { timeoutMs: 15_000, what: 'the releaser rolled over' });
    });
  });

  it('placer: continue-as-new over its carry limit keeps every volume a ledger may grant, leaves the rest to the watcher, and loses none', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.silent.add('mute'); // asked, never answers: those requests stay out across every continue-as-new
    fake.decideDelayMs = 200; // volumes pile up undecided while a filter pass runs
    fake.capacity.set('okc', 1000 * GiB);
    const muted: VolumeRef[] = [];
    const others: VolumeRef[] = [];
    for (let i = 0; i < 6; i++) {
      fake.volumes.set(`mv${i}`, { rv: 1, target: '', candidates: ['mute'] });
      muted.push({ namespace: 'ns', name: `mv${i}`, uid: `mu${i}` });
    }
    for (let i = 0; i < 60; i++) {
      fake.volumes.set(`ov${i}`, { rv: 1, target: '', candidates: ['okc'] });
      others.push({ namespace: 'ns', name: `ov${i}`, uid: `ou${i}` });
    }
    const id = placerWorkflowId('ns-carry');
    // Carry at most 4: fewer than the muted requests, so only volumes with a request out may travel.
    const start: PlacerWorkflowInput = { namespace: 'ns-carry', timings: { ...timings, ledgerSilenceReportMs: 120_000, placerCarryMax: 4 } };
    const send = (volumes: VolumeRef[]) =>
      client.workflow.signalWithStart('placerWorkflow', { workflowId: id, taskQueue: tq, args: [start], signal: placeVolumesSignal, signalArgs: [{ volumes }] });
    await withWorker(fake, tq, async () => {
      await send(muted);
      await eventually(async () => assert.equal(fake.count('placerAsk', (a: { pool: string }[]) => a.some((r) => r.pool === 'mute')), 1), { timeoutMs: 20_000, what: 'muted volumes asked' });
      // The rest in waves, so runs roll over with volumes waiting; the test plays the watcher's feed: whatever is
      // neither bound nor held by the placer after a while is sent again.
      for (let i = 0; i < others.length; i += 3) await send(others.slice(i, i + 3));
      const bound = () => new Set(fake.calls.filter((c) => c.name === 'placerBind').map((c) => (c.arg as { name: string }).name));
      await eventually(
        async () => {
          const missing = others.filter((r) => !bound().has(r.name));
          if (missing.length) await send(missing);
          assert.equal(missing.length, 0, `not bound yet: ${missing.map((r) => r.name).join(', ')}`);
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: 'every other volume bound' },
      );
      // Each bound exactly once, to the pool that granted it; the muted ones still held, never bound or handed off.
      const binds = fake.calls.filter((c) => c.name === 'placerBind').map((c) => (c.arg as { name: string }).name);
      assert.equal(binds.length, new Set(binds).size, 'a volume bound twice');
      const v = await client.workflow.getHandle(id).query(placerQuery);
      assert.equal(v.items, muted.length, `held: ${JSON.stringify(v)}`);
      for (const r of muted) assert.ok(!binds.includes(r.name) && fake.count('placerHandOff', (a: { name: string }) => a.name === r.name) === 0, r.name);
      const l = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: 'okc' })).query(ledgerQuery);
      assert.equal(l.boundBytes, others.length * GiB, 'the ledger holds each bound volume once');
    });
    // It rolled over, and every run's input carried only volumes with a request out or a grant to bind with: the
    // muted ones always, never one still waiting for its filter pass or its request.
    const inputs: PlacerWorkflowInput[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = '${id}'` })) {
      const h = await client.workflow.getHandle(id, w.runId).fetchHistory();
      const started = h.events?.[0]?.workflowExecutionStartedEventAttributes;
      const payload = started?.input?.payloads?.[0];
      if (payload?.data) inputs.push(JSON.parse(Buffer.from(payload.data).toString('utf8')) as PlacerWorkflowInput);
    }
    const carried = inputs.filter((i) => i.items?.length);
    assert.ok(carried.length >= 1, `runs: ${inputs.length}, none carried items`);
    for (const i of carried) {
      assert.ok(i.items!.every((it) => it.asked || it.grant), `carried without a request out: ${i.items!.filter((it) => !it.asked && !it.grant).map((it) => it.ref.name).join(', ')}`);
      for (const r of muted) assert.ok(i.items!.some((it) => it.ref.name === r.name), `${r.name} not carried`);
    }
  });

  it('placer: a pool that never answers — its volumes go to their own workflows after the silence, with the request released', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.capacity.set('ok1', 10 * GiB);
    fake.silent.add('mute');
    const refs: VolumeRef[] = [];
    for (let i = 0; i < 4; i++) {
      fake.volumes.set(`sv${i}`, { rv: 1, target: '', candidates: i % 2 ? ['ok1'] : ['mute', 'ok1'] });
      refs.push({ namespace: 'ns', name: `sv${i}`, uid: `su${i}` });
    }
    const id = placerWorkflowId('ns2');
    await withWorker(fake, tq, async () => {
      await client.workflow.signalWithStart('placerWorkflow', { workflowId: id, taskQueue: tq, args: [{ namespace: 'ns2', timings }], signal: placeVolumesSignal, signalArgs: [{ volumes: refs }] });
      await eventually(async () => assert.equal(fake.count('placerHandOff') + fake.count('placerBind'), 4), { timeoutMs: 20_000, what: 'all four settled' });
      const handed = fake.calls.filter((c) => c.name === 'placerHandOff').map((c) => c.arg as { name: string; release?: string });
      assert.deepEqual(handed.map((h) => [h.name, h.release]).sort(), [
        ['sv0', 'mute'],
        ['sv2', 'mute'],
      ]);
      assert.deepEqual(fake.calls.filter((c) => c.name === 'placerBind').map((c) => (c.arg as { name: string }).name).sort(), ['sv1', 'sv3']);
    });
  });

  it('placer: a grant that arrives while its volume is being handed off is never bound with, and is given back once the hand-off is done', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.silent.add('late');
    fake.handOffDelayMs = 2000;
    fake.volumes.set('lv0', { rv: 1, target: '', candidates: ['late'] });
    const ref: VolumeRef = { namespace: 'ns', name: 'lv0', uid: 'lu0' };
    const id = placerWorkflowId('ns3');
    await withWorker(fake, tq, async () => {
      await client.workflow.signalWithStart('placerWorkflow', { workflowId: id, taskQueue: tq, args: [{ namespace: 'ns3', timings }], signal: placeVolumesSignal, signalArgs: [{ volumes: [ref] }] });
      // The pool stays silent past ledgerSilenceReportMs: the hand-off starts (and takes two seconds)...
      await eventually(async () => assert.equal(fake.count('placerHandOffStarted'), 1), { timeoutMs: 20_000, what: 'hand-off started' });
      // ...and meanwhile the pool grants the very request the hand-off is releasing.
      await client.workflow.getHandle(id).signal(reserveRepliesSignal, { replies: [{ requestId: 'lu0/p1', pool: 'late', result: { accepted: true, freeBytes: 0 } }] });
      await eventually(
        async () => {
          const strays = fake.calls.filter((c) => c.name === 'placerReleaseStrays').flatMap((c) => c.arg as { uid: string; pool: string; requestId: string }[]);
          assert.deepEqual(strays, [{ uid: 'lu0', pool: 'late', requestId: 'lu0/p1' }]);
        },
        { timeoutMs: 20_000, what: 'the late grant given back as a stray' },
      );
      assert.equal(fake.count('placerBind'), 0, 'never bound with a grant its hand-off released');
      const at = (name: string) => fake.calls.findIndex((c) => c.name === name);
      assert.ok(at('placerReleaseStrays') > at('placerHandOff'), 'given back only once the hand-off is done');
      assert.deepEqual(fake.calls.filter((c) => c.name === 'placerHandOff').map((c) => c.arg), [{ name: 'lv0', release: 'late' }]);
    });
  });

  // Runs without a revision take the patched() path (older controllers); runs of revision 9 (every start since
  // v0.9.0) have the patches in force without markers: both meet their first activation with signals waiting.
  for (const [label, rev] of [['patched() path, no revision', undefined], [`revision ${VOLUME_REVISION}`, VOLUME_REVISION]] as const)
    it(`volume (${label}): a first activation with events, a retry and a stray reply waiting places the volume once`, async () => {
      const tq = newQueue();
      const fake = new FakeCluster(() => client, tq);
      const x = rev ? 'r' : 'a';
      fake.capacity.set(`p${x}`, 10 * GiB);
      fake.volumes.set(`vol-${x}`, { rv: 1, target: '', candidates: [`p${x}`] });
      const ref: VolumeRef = { namespace: 'ns', name: `vol-${x}`, uid: `uid-${x}` };
      const id = volumeWorkflowId(ref);
      await client.workflow.signalWithStart('volumeWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref, timings, ...(rev ? { rev } : {}) }], signal: volumeEventSignal, signalArgs: [{ resourceVersion: '1' }] });
      await client.workflow.getHandle(id).signal(retryPlacementSignal, { reason: 'capacity' });
      await client.workflow.getHandle(id).signal(reserveReplySignal, { requestId: `uid-${x}/1`, pool: `p${x}`, result: { accepted: false, reason: 'Stale', freeBytes: 0 } });
      await client.workflow.getHandle(id).signal(volumeEventSignal, { resourceVersion: '2' });
      await withWorker(fake, tq, async () => {
        await eventually(async () => {
          const rec = await client.workflow.getHandle(id).query(placementQuery);
          assert.equal(rec.phase, 'Bound');
          assert.equal(rec.pool, `p${x}`);
        });
        assert.equal(fake.count('volumeBind'), 1);
        const ledger = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: `p${x}` })).query(ledgerQuery);
        assert.deepEqual(ledger.bindings.map((b) => b.uid), [`uid-${x}`]);
      });
      // The revision decides whether the history holds patch markers.
      const markers = ((await client.workflow.getHandle(id).fetchHistory()).events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
      assert.equal(markers.length > 0, !rev, `patch markers: ${markers.length}`);
    });

  /** A volume `vol-<x>` (uid `uid-<x>`) whose first candidate pool is silent or busy and whose second has room. */
  function volumeWithTwoPools(x: string, first: string, mode: 'silent' | 'busy', second: string) {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake[mode].add(first);
    fake.capacity.set(second, 10 * GiB);
    fake.volumes.set(`vol-${x}`, { rv: 1, target: '', candidates: [first, second] });
    const ref: VolumeRef = { namespace: 'ns', name: `vol-${x}`, uid: `uid-${x}` };
    return { tq, fake, ref, id: volumeWorkflowId(ref) };
  }

  it('volume: a pool that never answers is reported within seconds, then given up on for the next candidate', async () => {
    const { tq, fake, ref, id } = volumeWithTwoPools('w', 'wedged', 'silent', 'healthy');
    await withWorker(fake, tq, async () => {
      const t0 = Date.now();
      await client.workflow.start('volumeWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref, timings }] });
      await eventually(() => assert.equal(fake.count('volumeReportWaiting'), 1), { timeoutMs: 20_000 });
      const waitedMs = Date.now() - t0;
      const report = fake.calls.find((c) => c.name === 'volumeReportWaiting')!.arg as { pool: string; message: string };
      assert.equal(report.pool, 'wedged');
      assert.match(report.message, /^WaitingForPool: StoragePool ns\/wedged has not answered/);
      assert.ok(waitedMs < 15_000, `reported after ${waitedMs} ms`);
      await eventually(async () => {
        const rec = await client.workflow.getHandle(id).query(placementQuery);
        assert.equal(rec.phase, 'Bound');
        assert.equal(rec.pool, 'healthy');
        assert.deepEqual(rec.attempts.map((a) => [a.pool, a.accepted, a.reason ?? '']), [['wedged', false, 'PoolNotAnswering'], ['healthy', true, '']]);
        assert.equal(rec.waitingOn, undefined);
      }, { timeoutMs: 20_000 });
      // Whatever the silent pool might still grant is released.
      assert.equal(fake.count('ledgerRelease', (a) => a.pool === 'wedged' && a.uid === 'uid-w'), 1);
    });
  });

  it('volume: a busy pool that makes progress is waited for past the give-up time, asked once and not released', async () => {
    const { tq, fake, ref, id } = volumeWithTwoPools('b', 'busy', 'busy', 'other');
    await withWorker(fake, tq, async () => {
      await client.workflow.start('volumeWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref, timings }] });
      await eventually(() => assert.equal(fake.count('volumeReportWaiting'), 1), { timeoutMs: 20_000 });
      const report = fake.calls.find((c) => c.name === 'volumeReportWaiting')!.arg as { message: string };
      assert.match(report.message, /^WaitingForPool: StoragePool ns\/busy has not answered the reservation request for \d+s: it is busy \(\d+ events in its history\)/);
      // Twice the give-up time (3 s) of a silent pool: a busy one is still waited for.
      await sleep(2 * timings.ledgerGiveUpMs!);
      assert.ok(fake.count('ledgerProbe', (p) => p === 'busy') >= 3, 'probed after each silence');
      const rec = await client.workflow.getHandle(id).query(placementQuery);
      assert.equal(rec.phase, 'Placing');
      assert.equal(rec.waitingOn?.pool, 'busy');
      // The pool answers at last: the one request it was sent.
      const asks = fake.calls.filter((c) => c.name === 'ledgerRequest').map((c) => c.arg as ReserveOnPoolInput);
      assert.deepEqual(asks.map((a) => a.pool.name), ['busy'], 'asked once, not again after each silence');
      await client.workflow.getHandle(id).signal(reserveReplySignal, { requestId: asks[0]!.requestId, pool: 'busy', result: { accepted: true, freeBytes: 0 } });
      await eventually(async () => {
        const r = await client.workflow.getHandle(id).query(placementQuery);
        assert.equal(r.phase, 'Bound');
        assert.equal(r.pool, 'busy');
        assert.deepEqual(r.attempts.map((a) => [a.pool, a.accepted]), [['busy', true]]);
      }, { timeoutMs: 20_000 });
      assert.equal(fake.count('ledgerRelease'), 0);
    });
  });

  it('volume: a grant from a pool it did not ask (a lost workflow task’s request) is never taken as another pool’s answer, and is given back', async () => {
    // After a SIGKILL, the retried workflow task may filter again, choose another pool and reuse the request id,
    // while the first pool still grants the lost task's request (a local activity's signal is not undone).
    // (Pool names are this test's own: pool workflows of earlier tests still run on their task queues.)
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.silent.add('slow-g');
    fake.capacity.set('ghost-g', 10 * GiB);
    fake.capacity.set('healthy-g', 10 * GiB);
    fake.volumes.set('vol-g', { rv: 1, target: '', candidates: ['slow-g', 'healthy-g'] });
    const ref: VolumeRef = { namespace: 'ns', name: 'vol-g', uid: 'uid-g' };
    const id = volumeWorkflowId(ref);
    await withWorker(fake, tq, async () => {
      await client.workflow.start('volumeWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref, timings }] });
      await eventually(() => assert.equal(fake.count('ledgerRequest', (a) => a.pool.name === 'slow-g'), 1), { timeoutMs: 20_000 });
      const asked = (fake.calls.find((c) => c.name === 'ledgerRequest')!.arg as ReserveOnPoolInput).requestId;
      // The lost attempt's request, with the same id, reaches the ghost pool, which grants it.
      const ghost = { namespace: 'ns', name: 'ghost-g' };
      await client.workflow.signalWithStart('poolWorkflow', {
        workflowId: poolWorkflowId(ghost),
        taskQueue: tq,
        args: [{ ref: ghost, timings }],
        signal: reserveRequestSignal,
        signalArgs: [{ requestId: asked, replyTo: id, req: { ...request(ref.uid), key: 'ns/vol-g' } }],
      });
      await eventually(async () => {
        const rec = await client.workflow.getHandle(id).query(placementQuery);
        assert.equal(rec.phase, 'Bound', JSON.stringify({ rec, calls: fake.calls.map((c) => c.name) }));
        assert.equal(rec.pool, 'healthy-g', 'the ghost grant was not taken as the slow pool’s answer');
      }, { timeoutMs: 20_000 });
      assert.deepEqual(fake.calls.filter((c) => c.name === 'volumeBind').map((c) => (c.arg as { pool: string }).pool), ['healthy-g']);
      // The ghost pool's grant is given back: its ledger holds nothing for this volume.
      await eventually(async () => {
        assert.equal(fake.count('ledgerRelease', (a) => a.pool === 'ghost-g' && a.uid === 'uid-g'), 1);
        const l = await client.workflow.getHandle(poolWorkflowId(ghost)).query(ledgerQuery);
        assert.deepEqual(l.bindings, []);
      }, { timeoutMs: 20_000, what: 'ghost grant released' });
      const healthy = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: 'healthy-g' })).query(ledgerQuery);
      assert.deepEqual(healthy.bindings.map((b) => b.uid), ['uid-g']);
      // Bound with nothing to wait for, the run ends (parked, v0.8.0) with its placement as its result.
      await eventually(async () => assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'COMPLETED'), { timeoutMs: 20_000 });
      const rec = (await client.workflow.getHandle(id).result()) as { phase: string; pool: string };
      assert.deepEqual([rec.phase, rec.pool], ['Bound', 'healthy-g']);
      // A late duplicate grant from the pool it is bound to finds no run (the pool's reply activity drops it):
      // nothing is released, the binding stays.
      await assert.rejects(client.workflow.getHandle(id).signal(reserveReplySignal, { requestId: 'uid-g/99', pool: 'healthy-g', result: { accepted: true, freeBytes: 0 } }), /completed|not found/i);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(fake.count('ledgerRelease', (a) => a.pool === 'healthy-g'), 0);
      const still = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: 'healthy-g' })).query(ledgerQuery);
      assert.deepEqual(still.bindings.map((b) => b.uid), ['uid-g']);
    });
  });

  it('volume: continue-as-new while unschedulable under a stream of events, then bound once and parked; later events start new runs that keep the binding', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    fake.capacity.set('pc', 10 * GiB);
    fake.volumes.set('vol-c', { rv: 1, target: '', candidates: [] });
    const ref: VolumeRef = { namespace: 'ns', name: 'vol-c', uid: 'uid-c' };
    const id = volumeWorkflowId(ref);
    // As the watcher sends events: signalWithStart (a parked volume's next event starts a new run).
    const event = (rv: number) =>
      client.workflow.signalWithStart('volumeWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref, timings }], signal: volumeEventSignal, signalArgs: [{ resourceVersion: String(rv) }] });
    await withWorker(fake, tq, async () => {
      await event(1);
      await eventually(async () => assert.equal((await client.workflow.getHandle(id).query(placementQuery)).phase, 'Unschedulable'));
      // Each event with a new resourceVersion is a load and a filter pass; together they cross the threshold.
      const v = fake.volumes.get('vol-c')!;
      for (let i = 0; i < 40; i++) {
        v.rv++;
        await event(v.rv);
        if (i % 8 === 0) await client.workflow.getHandle(id).signal(retryPlacementSignal, { reason: 'capacity' });
      }
      await eventually(async () => {
        const r = await runsOf(id);
        assert.ok(r.includes('CONTINUED_AS_NEW'), `runs: ${r.join(',')}`);
      }, { timeoutMs: 30_000 });
      // Capacity appears: placed once, then the run parks.
      v.candidates = ['pc'];
      await client.workflow.getHandle(id).signal(retryPlacementSignal, { reason: 'capacity' });
      await eventually(async () => assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'COMPLETED'), { timeoutMs: 30_000 });
      assert.equal(((await client.workflow.getHandle(id).result()) as { pool: string }).pool, 'pc');
      // Later events (a label, an annotation) start new runs: they keep the binding, never place again.
      const passes = fake.count('scheduleFilterAndScore');
      for (let i = 0; i < 3; i++) {
        v.rv++;
        await event(v.rv);
        await eventually(async () => assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'COMPLETED'), { timeoutMs: 20_000 });
      }
      assert.equal(fake.count('volumeBind'), 1, 'bound exactly once across runs');
      assert.equal(fake.count('scheduleFilterAndScore'), passes, 'never re-placed once bound');
      const l = await client.workflow.getHandle(poolWorkflowId({ namespace: 'ns', name: 'pc' })).query(ledgerQuery);
      assert.deepEqual(l.bindings.map((b) => b.uid), ['uid-c']);
    });
  });

  it('volume group: all or nothing — a refused hold releases every hold of that plan; the next plan leaves the pool out; across continue-as-new', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    for (const p of ['p1', 'p2', 'p3', 'p4']) fake.silent.add(p); // releases are logged, no pool workflows here
    fake.groupRefuses.add('p2');
    const ref: VolumeRef = { namespace: 'ns', name: 'g', uid: 'uid-g' };
    const id = groupWorkflowId(ref);
    await client.workflow.signalWithStart('volumeGroupWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref }], signal: groupEventSignal, signalArgs: [{ resourceVersion: '1' }] });
    for (let i = 0; i < 3; i++) await client.workflow.getHandle(id).signal(groupWakeSignal, { why: `member ${i}` });
    await withWorker(fake, tq, async () => {
      await eventually(async () => assert.equal(fake.count('groupRecordPlan'), 1));
      // Round 1 asked p1, p2, p3; p2 refused: all three holds were given back before anything was recorded.
      const released = fake.calls.filter((c) => c.name === 'ledgerRelease').map((c) => (c.arg as { pool: string }).pool).sort();
      assert.deepEqual(released, ['p1', 'p2', 'p3']);
      assert.deepEqual(fake.calls.filter((c) => c.name === 'groupPlan').map((c) => c.arg), [[], ['p2']]);
      assert.equal(fake.calls.find((c) => c.name === 'groupRecordPlan')!.arg, 'p1,p3,p4');
      assert.equal(fake.count('groupReport'), 0, 'placed in the second round: nothing to report');
      // Wake-ups after the plan cross the continue-as-new threshold; nothing is planned twice.
      for (let i = 0; i < 30; i++) {
        await client.workflow.getHandle(id).signal(groupWakeSignal, { why: `member changed ${i}` });
        await eventually(async () => assert.ok(fake.count('groupSync') >= i + 3));
      }
      await eventually(async () => assert.ok((await runsOf(id)).includes('CONTINUED_AS_NEW'), 'continued as new'), { timeoutMs: 30_000 });
      assert.equal(fake.count('groupRecordPlan'), 1);
      fake.groupGone = true;
      await client.workflow.getHandle(id).signal(groupEventSignal, { resourceVersion: '9', deleted: true });
      await eventually(async () => assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'COMPLETED'), { timeoutMs: 20_000 });
    });
  });

  it('snapshot: signals waiting at the first activation, continue-as-new while it waits, then bound once and ended', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const ref: VolumeRef = { namespace: 'ns', name: 'snap', uid: 'uid-snap' };
    const id = snapshotWorkflowId(ref);
    // Started and signalled before any worker polls: the first activation carries all of them.
    await client.workflow.signalWithStart('snapshotWorkflow', { workflowId: id, taskQueue: tq, args: [{ ref }], signal: snapshotEventSignal, signalArgs: [{ resourceVersion: '1' }] });
    for (let i = 0; i < 5; i++) await client.workflow.getHandle(id).signal(snapshotWakeSignal, { why: `origin changed ${i}` });
    await withWorker(fake, tq, async () => {
      await eventually(async () => assert.ok(fake.count('snapshotReconcile') >= 1));
      // Wake-ups while it waits (each one a pass) cross the continue-as-new threshold.
      for (let i = 0; i < 30; i++) {
        await client.workflow.getHandle(id).signal(snapshotWakeSignal, { why: `origin changed again ${i}` });
        await eventually(async () => assert.ok(fake.count('snapshotReconcile') >= i + 2));
      }
      await eventually(async () => assert.ok((await runsOf(id)).includes('CONTINUED_AS_NEW'), 'continued as new'), { timeoutMs: 30_000 });
      // The wait was announced by the first pass only: every later pass, in every run, knew it already.
      const waits = fake.calls.filter((c) => c.name === 'snapshotReconcile');
      assert.equal((waits[0]!.arg as { announced?: string }).announced, undefined);
      assert.ok(waits.slice(1).every((c) => (c.arg as { announced?: string }).announced === 'origin volume ns/vol is not scheduled'), 'announced carried across runs');
      fake.snapshotStage = 'go';
      await client.workflow.getHandle(id).signal(snapshotWakeSignal, { why: 'origin placed' });
      await eventually(async () => assert.equal(fake.count('snapshotBound'), 1));
      fake.snapshotStage = 'gone';
      await client.workflow.getHandle(id).signal(snapshotEventSignal, { resourceVersion: '9', deleted: true });
      await eventually(async () => assert.equal((await client.workflow.getHandle(id).describe()).status.name, 'COMPLETED'), { timeoutMs: 20_000 });
      assert.equal(fake.count('snapshotBound'), 1, 'one write across all runs');
    });
  });

  it('metasync: dirty keys waiting at the first activation and across continue-as-new are all written', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const ns = `ms-${tq}`;
    const id = metaSyncWorkflowId(ns);
    const start = { namespace: ns, timings };
    const keys = Array.from({ length: 60 }, (_, i) => `AntstorVolume/v${i}`);
    // The first ten are waiting before any worker runs.
    for (const key of keys.slice(0, 10)) {
      await client.workflow.signalWithStart('metaSyncWorkflow', { workflowId: id, taskQueue: tq, args: [start], signal: metasyncDirtySignal, signalArgs: [{ key }] });
    }
    await withWorker(fake, tq, async () => {
      for (const key of keys.slice(10)) {
        try {
          await client.workflow.signalWithStart('metaSyncWorkflow', { workflowId: id, taskQueue: tq, args: [start], signal: metasyncDirtySignal, signalArgs: [{ key }] });
        } catch (e) {
          if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        }
      }
      await eventually(() => assert.deepEqual(keys.filter((k) => !fake.flushed.has(k)), []), { timeoutMs: 60_000, what: 'every key written' });
      const r = await eventually(async () => {
        const runs = await runsOf(id);
        assert.ok(runs.includes('CONTINUED_AS_NEW'), `runs: ${runs.join(',')}`);
        return runs;
      });
      assert.equal(r.filter((s) => s === 'RUNNING').length, 1);
    });
  });

  it('workflow health: a workflow whose task keeps failing is reported as stuck with its error; a healthy one is not', async () => {
    const tq = newQueue();
    const fake = new FakeCluster(() => client, tq);
    const replyTo = await startCollector(tq);
    await client.workflow.start('alwaysFails', { workflowId: `broken/${tq}`, taskQueue: tq });
    await withWorker(fake, tq, async () => {
      const h = await eventually(async () => {
        const x = await workflowHealth(client, `broken/${tq}`);
        assert.equal(x.stuck, true);
        return x;
      }, { timeoutMs: 30_000 });
      assert.equal(h.status, 'RUNNING');
      assert.ok(h.attempt! >= 2);
      assert.match(h.failure ?? '', /boom: a bug in workflow code/);
      assert.match(renderHealth(h), /^workflow broken\/ll-[0-9a-f]+: STUCK — its workflow task has failed \d+ time\(s\) in a row since .*: boom/);
      const ok = await workflowHealth(client, replyTo);
      assert.deepEqual([ok.stuck, ok.status], [false, 'RUNNING']);
      assert.equal((await workflowHealth(client, `absent/${tq}`)).status, 'NOT_FOUND');
    });
  });
});
