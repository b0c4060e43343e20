/**
 * Walking skeleton against the real servers: API server → watcher → workflows → activities → API server.
 */
import assert from 'node:assert/strict';
import { NativeConnection, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import proto from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { Finalizers, GROUP, Labels, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { DEFAULT_TIMINGS, placementQuery, placerWorkflowId, releaserQuery, releaserWorkflowId, poolTaskQueueFor, volumeEventSignal, volumeWorkflowId, VOLUME_REVISION, ledgerQuery, poolWorkflowId, type VolumeWorkflowInput } from '../../src/workflows/messages.js';
import { activityTypes, startInput } from '../harness/history.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: volumes placed end to end', function () {
  let env: TestEnv;
  let c: TestCluster;

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'place');
    await c.startOperator();
  });
  after(async () => c?.stop());

  it('binds 10 volumes to 3 pools, every pool within capacity, each with a workflow history', async () => {
    const caps: Record<string, number> = { 'node-a': 10 * GiB, 'node-b': 20 * GiB, 'node-c': 30 * GiB };
    for (const [name, bytes] of Object.entries(caps)) await c.createPool(name, { bytes });
    const pools = Object.keys(caps);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => c.createVolume(`vol-${i}`, { size: 3 * GiB, hostNode: pools[i % 3]! })),
    );

    const vols = await eventually(
      async () => {
        const vs = await c.listVolumes();
        const unbound = vs.filter((v) => !v.spec.targetNodeId).map((v) => v.metadata.name);
        assert.equal(vs.length, 10);
        assert.deepEqual(unbound, [], `unbound volumes: ${unbound.join(', ')}`);
        for (const v of vs) {
          assert.equal(v.metadata.labels?.[Labels.TargetNodeId], v.spec.targetNodeId, `label of ${v.metadata.name}`);
          assert.ok(v.metadata.finalizers?.includes(Finalizers.InState), `in-state finalizer on ${v.metadata.name}`);
        }
        return vs;
      },
      { timeoutMs: 60_000, what: 'all volumes bound' },
    );

    const used: Record<string, number> = {};
    for (const v of vols) used[v.spec.targetNodeId!] = (used[v.spec.targetNodeId!] ?? 0) + v.spec.sizeByte;
    for (const [pool, bytes] of Object.entries(used)) {
      assert.ok(pool in caps, `volume bound to unknown pool ${pool}`);
      assert.ok(bytes <= caps[pool]!, `pool ${pool} over capacity: ${bytes} > ${caps[pool]}`);
    }

    let oneEvent = 0;
    for (const v of vols) {
      const ref = { namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! };
      const h = env.temporal && c.op!.client.workflow.getHandle(volumeWorkflowId(ref));
      // v0.8.0: the placer filtered, asked and bound it, and started the volume's run with that placement: the
      // volume's own history opens with the filter pass, the ledger's answer and the binding.
      const history = await eventually(async () => {
        const hist = await h.fetchHistory();
        const input = startInput<VolumeWorkflowInput>(hist);
        const rec = input?.state?.record;
        assert.equal(input?.placed, true, `${v.metadata.name}: started by the placer with its placement`);
        assert.ok((rec?.decision?.candidates.length ?? 0) >= 1 && rec!.decision!.pools === 3, `${v.metadata.name}: filter pass in its history`);
        assert.deepEqual(rec?.attempts.at(-1), { pool: v.spec.targetNodeId, accepted: true }, `${v.metadata.name}: ledger answer in its history`);
        assert.equal(rec?.pool, v.spec.targetNodeId, `${v.metadata.name}: binding in its history`);
        assert.match(input?.state?.lastResourceVersion ?? '', /^\d+$/, `${v.metadata.name}: the binding's resourceVersion`);
        // v0.9.0: started for the current code revision, the run records no patch markers and no
        // TemporalChangeVersion upserts (four of each before): start, one workflow task, completion.
        assert.equal(input?.rev, VOLUME_REVISION, `${v.metadata.name}: started for the current revision`);
        const kinds = (hist.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName ?? (e.upsertWorkflowSearchAttributesEventAttributes ? 'upsert' : ''));
        assert.ok(!kinds.includes('core_patch') && !kinds.includes('upsert'), `${v.metadata.name}: no patch markers or upserts: ${kinds.filter(Boolean).join(', ')}`);
        return hist;
      });
      // Temporal's own measure (historySizeBytes) is the protobuf encoding; the decision inside is bounded
      // independently of the pool count by a unit test at 1,000 pools.
      const size = proto.temporal.api.history.v1.History.encode(history).finish().length;
      assert.ok(size < 32 * 1024, `${v.metadata.name}: history is ${size} bytes`);
      const rec = await h.query(placementQuery);
      assert.equal(rec.phase, 'Bound');
      assert.equal(rec.pool, v.spec.targetNodeId);
      // v0.9.0: started eagerly with its placement, a run has no signal at all (signalWithStart gave it one).
      const events = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === volumeEventSignal.name);
      if (events.length <= 1) oneEvent++;
    }
    // The watch event of the binding the workflow wrote itself wakes nobody (watcher/own-writes.ts): at most the
    // creation is signalled. (Without it every volume had two. One may slip through if its bind's response
    // took over 5 s on a loaded machine: it is then delivered, as before.)
    assert.ok(oneEvent >= 9, `volumes woken only by their creation: ${oneEvent} of 10`);

    // The placer's history holds every step as local-activity markers: filter passes, requests and bindings.
    const placerTypes = activityTypes(await c.op!.client.workflow.getHandle(placerWorkflowId(c.ns)).fetchHistory());
    for (const t of ['placerDecide', 'placerAsk', 'placerBind']) assert.ok(placerTypes.includes(t), `placer history has ${t}: ${placerTypes.join(', ')}`);
    // A bound volume's run ends (parked): nothing of it stays resident.
    for (const v of vols) {
      const d = await c.op!.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! })).describe();
      assert.equal(d.status.name, 'COMPLETED', `${v.metadata.name}: run parked`);
    }

    // The pool ledgers agree with the API server, and the pools run on their own task queue.
    for (const pool of pools) {
      const h = c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool }));
      const view = await h.query(ledgerQuery);
      assert.equal(view.boundBytes, used[pool] ?? 0, `ledger of ${pool}`);
      assert.equal((await h.describe()).taskQueue, poolTaskQueueFor(c.op!.taskQueue), `task queue of ${pool}`);
    }
  });

  it('replays the histories this run just recorded with the current workflow code', async () => {
    const vols = await c.listVolumes();
    const histories = await Promise.all(
      vols.slice(0, 3).map(async (v) => {
        const workflowId = volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! });
        return { workflowId, history: await c.op!.client.workflow.getHandle(workflowId).fetchHistory() };
      }),
    );
    for await (const r of Worker.runReplayHistories({ workflowBundle: env.workflowBundle }, histories))
      assert.equal(r.error, undefined, `replay of ${r.workflowId}: ${r.error}`);
  });

  /** The releaser's batches in its history: each releaserFinalize's volumes (input) and outcomes (result). */
  async function releaserBatches(): Promise<{ uids: string[]; outcomes: { uid: string; result: string }[] }[]> {
    const hist = await c.op!.client.workflow.getHandle(releaserWorkflowId(c.ns)).fetchHistory();
    const decode = (p: { data?: Uint8Array | null } | undefined) => (p?.data ? JSON.parse(Buffer.from(p.data).toString('utf8')) : undefined);
    const scheduled = new Map<string, string[]>();
    const out: { uids: string[]; outcomes: { uid: string; result: string }[] }[] = [];
    for (const e of hist.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name === 'releaserFinalize') scheduled.set(String(e.eventId), (decode(a.input?.payloads?.[0]) as { items: { ref: { uid: string } }[] }).items.map((i) => i.ref.uid));
      const done = e.activityTaskCompletedEventAttributes;
      const uids = done ? scheduled.get(String(done.scheduledEventId)) : undefined;
      if (done && uids) out.push({ uids, outcomes: decode(done.result?.payloads?.[0]) });
    }
    return out;
  }

  it('releases a deleted volume: the ledger gives the bytes back, then the finalizer and the object go — in a batch of the releaser, on record there', async () => {
    const v = await c.getVolume('vol-0');
    const uid = v.metadata.uid!;
    const pool = v.spec.targetNodeId!;
    const h = c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool }));
    const before = (await h.query(ledgerQuery)).boundBytes;
    await c.deleteVolume('vol-0');
    await eventually(async () => {
      const names = (await c.listVolumes()).map((x) => x.metadata.name);
      assert.ok(!names.includes('vol-0'), 'vol-0 still exists');
    }, { timeoutMs: 30_000, what: 'vol-0 deleted' });
    await eventually(async () => assert.equal((await h.query(ledgerQuery)).boundBytes, before - 3 * GiB), {
      timeoutMs: 15_000,
      what: 'ledger released',
    });
    // v0.17.0: the releaser's history holds the deletion — the volume, and what was done with it.
    const batches = await eventually(async () => {
      const b = (await releaserBatches()).filter((x) => x.uids.includes(uid));
      assert.equal(b.length, 1, 'one batch finished vol-0');
      return b;
    });
    assert.deepEqual(batches[0]!.outcomes.find((o) => o.uid === uid), { uid, result: 'released' });
    // The volume's parked run was not woken: its one run is the placement's.
    const runs: string[] = [];
    for await (const w of c.op!.client.workflow.list({ query: `WorkflowId = '${volumeWorkflowId({ namespace: c.ns, name: 'vol-0', uid })}'` })) runs.push(w.status.name);
    assert.deepEqual(runs, ['COMPLETED']);
  });

  it('a deletion the node agent still holds goes to the volume\'s own workflow; once the agent lets go, the releaser finishes it', async () => {
    const v = await c.getVolume('vol-1');
    const uid = v.metadata.uid!;
    const pool = c.op!.client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: v.spec.targetNodeId! }));
    const held = async () => (await pool.query(ledgerQuery)).bindings.some((b) => b.uid === uid);
    assert.ok(await held());
    // The agent's finalizer (it has an LV to remove), added as the agent does: read-modify-write.
    await eventually(async () => {
      const cur = await c.getVolume('vol-1');
      await c.co.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'vol-1', body: { metadata: { resourceVersion: cur.metadata.resourceVersion, finalizers: [...(cur.metadata.finalizers ?? []), Finalizers.KernelLVol] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }, { timeoutMs: 10_000 });
    await c.deleteVolume('vol-1');
    // Its own workflow (a new run) waits for the agent; the bytes stay held, the volume stays.
    const id = volumeWorkflowId({ namespace: c.ns, name: 'vol-1', uid });
    await eventually(async () => {
      const rec = await c.op!.client.workflow.getHandle(id).query(placementQuery);
      assert.equal(rec.phase, 'Deleting');
    }, { timeoutMs: 20_000, what: 'its own workflow deleting' });
    assert.ok((await c.getVolume('vol-1')).metadata.deletionTimestamp);
    assert.ok(await held(), 'released while the agent still holds the volume');
    // The agent is done: only the in-state finalizer is left, and the releaser takes it from there.
    await eventually(async () => {
      const cur = await c.getVolume('vol-1');
      await c.co.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'vol-1', body: { metadata: { resourceVersion: cur.metadata.resourceVersion, finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== Finalizers.KernelLVol) } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }, { timeoutMs: 10_000 });
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((x) => x.metadata.name === 'vol-1'), 'vol-1 still exists'), { timeoutMs: 30_000 });
    await eventually(async () => assert.ok(!(await held()), 'ledger still holds vol-1'), { timeoutMs: 15_000 });
    const mine = (await releaserBatches()).flatMap((b) => b.outcomes).filter((o) => o.uid === uid);
    assert.deepEqual(mine, [{ uid, result: 'released' }]);
    // Its own workflow, told of the deletion, ends Deleted.
    await eventually(async () => {
      const d = await c.op!.client.workflow.getHandle(id).describe();
      assert.equal(d.status.name, 'COMPLETED');
      assert.equal((await c.op!.client.workflow.getHandle(id).result()).phase, 'Deleted');
    }, { timeoutMs: 20_000 });
  });

  it('explain says when a deletion waits in the releaser', async () => {
    // The releaser's batch is held by a worker of this test (its activity never returns), so the volume stays
    // queued there, as under a slow API server: the operator's watcher signals the releaser that is running.
    const wf = c.op!.client.workflow;
    await wf.getHandle(releaserWorkflowId(c.ns)).terminate('the test holds the releaser').catch(() => undefined);
    const taskQueue = `held-releaser-${c.ns}`;
    await wf.start('releaserWorkflow', { workflowId: releaserWorkflowId(c.ns), taskQueue, args: [{ namespace: c.ns, timings: DEFAULT_TIMINGS }] });
    const nc = await NativeConnection.connect({ address: env.temporal.address });
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    const worker = await Worker.create({ connection: nc, namespace: env.temporal.namespace, taskQueue, workflowBundle: env.workflowBundle, activities: { releaserFinalize: async () => (await held, []) } });
    const run = worker.run();
    try {
      const v = await c.getVolume('vol-2');
      await c.deleteVolume('vol-2');
      await eventually(async () => assert.equal((await wf.getHandle(releaserWorkflowId(c.ns)).query(releaserQuery, 'vol-2')).volume?.ref.uid, v.metadata.uid), { timeoutMs: 15_000, what: 'vol-2 in the releaser' });
      const { stdout } = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'explain', `${c.ns}/vol-2`, '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address]);
      assert.match(stdout, new RegExp(`volume ${c.ns}/vol-2: being deleted by releaser/${c.ns} \\(its ledger on pool ${v.spec.targetNodeId} released, then its finalizer removed; 1 volumes queued there\\)`));
    } finally {
      // Hand the namespace back to the operator's own releaser (it finishes vol-2 from the watcher's next send).
      await wf.getHandle(releaserWorkflowId(c.ns)).terminate('test done').catch(() => undefined);
      letGo();
      worker.shutdown();
      await run;
      await nc.close();
    }
  });

  it('reports an unschedulable volume in status.msg with LiteIO reason counts and keeps it pending', async () => {
    await c.createVolume('too-big', { size: 500 * GiB, hostNode: 'node-a' });
    const v = await eventually(async () => {
      const x = await c.getVolume('too-big');
      assert.match(x.status?.msg ?? '', /^NoStoragePoolAvailable: PoolFreeSize: 3$/);
      return x;
    }, { timeoutMs: 30_000, what: 'status.msg set' });
    assert.equal(v.spec.targetNodeId ?? '', '');
    // What the Temporal UI shows: the retry timer named for what it waits on, and the current details with the
    // reason in a code span (Markdown would otherwise be free to render "1/3" as a fraction).
    const h = c.op!.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: 'too-big', uid: v.metadata.uid! }));
    const timers = await eventually(async () => {
      const events = (await h.fetchHistory()).events ?? [];
      const t = events.filter((e) => e.timerStartedEventAttributes);
      assert.ok(t.length > 0, 'a timer started');
      return t;
    }, { timeoutMs: 30_000, what: 'retry timer' });
    const summaries = timers.map((e) => (e.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary as never) : ''));
    assert.ok(summaries.includes('retry of an Unschedulable volume (pools may have changed)'), summaries.join(' | '));
    const meta = (await h.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.equal(meta.currentDetails, '**Unschedulable**\n\n`NoStoragePoolAvailable: PoolFreeSize: 3`');
  });
});
