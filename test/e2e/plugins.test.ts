/**
 * Reconciler plugins against the real servers: LiteIO's chain semantics (break, error, requeue-after, the main
 * handler skipped), HandleDeletion retried durably, a hook that always fails recorded and deletion going on,
 * and spec.stopReconcile.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { GROUP, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import { registerPlugins, resetPluginRegistrations } from '../../src/plugins/registry.js';
import type { Plugin } from '../../src/plugins/types.js';
import { placementQuery, volumeWorkflowId } from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

const calls = new Map<string, number>();
const bump = (k: string) => calls.set(k, (calls.get(k) ?? 0) + 1);
const n = (k: string) => calls.get(k) ?? 0;

const gate: Plugin = {
  name: 'Gate',
  reconcile(ctx) {
    if (ctx.request.kind !== 'AntstorVolume') return;
    bump(`gate/${ctx.request.name}`);
    const g = ctx.object.metadata.annotations?.['test/gate'];
    if (g === 'break') return { break: true, requeueAfterMs: 1500 };
    if (g === 'error') throw new Error(`gate refuses ${ctx.request.name}`);
    if (g === 'requeue') return { requeueAfterMs: 50 }; // not breaking: discarded, as in LiteIO
  },
  handleDeletion(ctx) {
    const k = `del/${ctx.request.name}`;
    bump(k);
    if (ctx.object.metadata.annotations?.['test/flaky'] && n(k) <= 3) throw new Error(`flaky failure ${n(k)}`);
    if (ctx.object.metadata.annotations?.['test/broken']) throw new Error('storage backend says no');
  },
};
const afterPlugin: Plugin = {
  name: 'After',
  reconcile(ctx) {
    if (ctx.request.kind === 'AntstorVolume') bump(`after/${ctx.request.name}`);
  },
  handleDeletion(ctx) {
    bump(`after-del/${ctx.request.name}`);
  },
};

const slowPool: Plugin = {
  name: 'SlowPool',
  async reconcile(ctx) {
    if (ctx.object.metadata.labels?.['test/slow'] !== 'yes') return;
    bump(`slow/${ctx.request.name}`);
    await new Promise((r) => setTimeout(r, 3000));
    throw new Error('pool agent unreachable');
  },
  handleDeletion() {},
};

describe('e2e: reconciler plugins', function () {
  let c: TestCluster;
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const annotate = (name: string, annotations: Record<string, string | null>) =>
    c.co.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name, body: { metadata: { annotations } } }, merge);

  before(async () => {
    registerPlugins([() => slowPool], [() => gate, () => afterPlugin]);
    c = await newTestCluster(await testEnv(), 'plug');
    await c.startOperator({
      timings: { pluginMaxAttempts: 3, pluginRetryInitialMs: 100, pluginErrorBackoffMs: 1500, deletionHookMaxAttempts: 4 },
    });
    await c.createPool('p1', { bytes: 100 * GiB });
  });
  after(async () => {
    await c?.stop();
    resetPluginRegistrations();
  });

  it('runs plugins in order before the main handler on every volume', async () => {
    await c.createVolume('plain', { size: GiB, hostNode: 'p1' });
    await eventually(async () => assert.equal((await c.getVolume('plain')).spec.targetNodeId, 'p1'));
    assert.ok(n('gate/plain') >= 1 && n('after/plain') >= 1);
  });

  it('break stops the chain and the main handler, and its requeue-after is honoured', async () => {
    await c.createVolume('held', { size: GiB, hostNode: 'p1', annotations: { 'test/gate': 'break' } });
    await eventually(() => assert.ok(n('gate/held') >= 3, `gate called ${n('gate/held')} times`), { timeoutMs: 10_000, what: 'requeued after 1.5 s' });
    assert.equal(n('after/held'), 0, 'later plugins do not run');
    assert.equal((await c.getVolume('held')).spec.targetNodeId ?? '', '', 'main handler did not place it');
    const rec = await c.op!.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: 'held', uid: (await c.getVolume('held')).metadata.uid! })).query(placementQuery);
    assert.deepEqual(rec.chain, { by: 'Gate' });
    await annotate('held', { 'test/gate': null });
    await eventually(async () => assert.equal((await c.getVolume('held')).spec.targetNodeId, 'p1'));
  });

  it('an error stops the chain; the call is retried, recorded, and retried again after a backoff', async () => {
    await c.createVolume('failing', { size: GiB, hostNode: 'p1', annotations: { 'test/gate': 'error' } });
    const uid = (await c.getVolume('failing')).metadata.uid!;
    const h = c.op!.client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: 'failing', uid }));
    const rec = await eventually(async () => {
      const r = await h.query(placementQuery);
      assert.match(r.chain?.error ?? '', /plugin Gate.reconcile on AntstorVolume .*\/failing: gate refuses failing/);
      return r;
    }, { timeoutMs: 15_000 });
    assert.equal(rec.chain?.by, 'Gate');
    assert.ok(n('gate/failing') >= 3, `3 attempts per pass, saw ${n('gate/failing')}`);
    await eventually(() => assert.ok(n('gate/failing') >= 6, `${n('gate/failing')}`), { timeoutMs: 15_000, what: 'second pass after the backoff' });
    assert.equal(n('after/failing'), 0);
    assert.equal((await c.getVolume('failing')).spec.targetNodeId ?? '', '');
    const history = await h.fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes).length;
    assert.ok(failed >= 2, 'failed plugin calls are in the history');
  });

  it('a non-breaking requeue-after is discarded (LiteIO)', async () => {
    await c.createVolume('requeue', { size: GiB, hostNode: 'p1', annotations: { 'test/gate': 'requeue' } });
    await eventually(async () => assert.equal((await c.getVolume('requeue')).spec.targetNodeId, 'p1'));
    const seen = n('gate/requeue');
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(n('gate/requeue') <= seen + 2, `requeue-after of a plugin that did not break was honoured: ${seen} → ${n('gate/requeue')}`);
  });

  it('HandleDeletion that fails three times then succeeds is retried durably; deletion completes', async () => {
    await c.createVolume('flaky', { size: GiB, hostNode: 'p1', annotations: { 'test/flaky': 'yes' } });
    await eventually(async () => assert.equal((await c.getVolume('flaky')).spec.targetNodeId, 'p1'));
    await c.deleteVolume('flaky');
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((v) => v.metadata.name === 'flaky')), { timeoutMs: 20_000 });
    assert.equal(n('del/flaky'), 4);
    assert.equal(n('after-del/flaky'), 1, 'every plugin ran its HandleDeletion');
  });

  it('HandleDeletion that always fails is recorded (Event) and the deletion goes on', async () => {
    await c.createVolume('broken', { size: GiB, hostNode: 'p1', annotations: { 'test/broken': 'yes' } });
    await eventually(async () => assert.equal((await c.getVolume('broken')).spec.targetNodeId, 'p1'));
    await c.deleteVolume('broken');
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((v) => v.metadata.name === 'broken')), { timeoutMs: 20_000 });
    assert.equal(n('del/broken'), 4, 'retried up to deletionHookMaxAttempts');
    assert.equal(n('after-del/broken'), 1, 'later hooks still ran');
    const events = await c.core.listNamespacedEvent({ namespace: c.ns });
    assert.ok(events.items.some((e) => e.reason === 'PluginDeletionFailed' && e.involvedObject.name === 'broken' && /Gate: .*storage backend says no/.test(e.message ?? '')));
  });

  it("a pool whose plugin is slow and failing still admits volumes at once", async () => {
    await c.createPool('slow-pool', { bytes: 10 * GiB, labels: { 'test/slow': 'yes', tier: 'slow' } });
    const h = c.op!.client.workflow.getHandle(`pool/${c.ns}/slow-pool`);
    await eventually(async () => assert.equal((await h.query('ledger') as { info?: { schedulable: boolean } }).info?.schedulable, true), { timeoutMs: 30_000 });
    await eventually(() => assert.ok(n('slow/slow-pool') >= 1), { timeoutMs: 10_000 });
    const t0 = Date.now();
    await c.createVolume('on-slow', { size: GiB, hostNode: 'slow-pool', annotations: { 'obnvmf/pool-label-selector': 'tier=slow' } });
    await eventually(async () => assert.equal((await c.getVolume('on-slow')).spec.targetNodeId, 'slow-pool'), { timeoutMs: 5_000, intervalMs: 100, what: 'placed while the pool plugin fails' }).catch(async (e) => {
      const hist = await h.fetchHistory();
      const evs = (hist.events ?? []).map((x) => `${x.eventId}:${x.eventType}:${x.workflowExecutionSignaledEventAttributes?.signalName ?? x.activityTaskScheduledEventAttributes?.activityType?.name ?? x.markerRecordedEventAttributes?.markerName ?? ''}`);
      throw new Error(`${(e as Error).message}\n${evs.slice(-40).join('\n')}`);
    });
    if (process.env['DCT_VERBOSE']) console.error(`[slow] placed in ${Date.now() - t0} ms while SlowPool failed ${n('slow/slow-pool')} times`);
  });

  it('spec.stopReconcile: plugins still run, the main handler does not', async () => {
    await c.createVolume('stopped', { size: GiB, hostNode: 'p1', spec: { stopReconcile: true } });
    await eventually(() => assert.ok(n('after/stopped') >= 1));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await c.getVolume('stopped')).spec.targetNodeId ?? '', '');
  });
});
