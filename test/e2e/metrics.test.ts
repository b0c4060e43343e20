/**
 * Metrics, scraped from a running controller: a controller process started with --metricsAddr 127.0.0.1:0
 * (placements, bind latency, pending by reason, pool bytes, workflow task failures), and an in-process
 * operator with a failing reconciler plugin (plugin failures by plugin).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { freePort } from '../../src/embedded/process.js';
import { registerPlugins, resetPluginRegistrations } from '../../src/plugins/registry.js';
import { runOperator, type RunningOperator } from '../../src/operator.js';
import { parseControllerConfig } from '../../src/config/controller-config.js';
import { createLogger } from '../../src/logger.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

/** Parses Prometheus text exposition into `name{labels}` → value (labels as written by prom-client). */
function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
const scrape = async (url: string) => {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  return parseMetrics(await res.text());
};

describe('e2e: metrics', function () {
  let env: TestEnv;
  const procs: ChildProcess[] = [];
  before(async () => {
    env = await testEnv();
  });
  after(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  });

  it('a running controller reports placements, bind latency, pending reasons, pool bytes and failed workflow tasks', async () => {
    const c = await newTestCluster(env, 'metrics');
    await c.createPool('pool-a', { bytes: 10 * GiB });
    await c.createPool('pool-b', { bytes: 10 * GiB });
    let logText = '';
    const sdkPort = await freePort();
    const p = spawn(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'operator', '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address,
        '--namespace', c.ns, '--task-queue', `tq-${c.ns}`, '--probeAddr', '127.0.0.1:0', '--metricsAddr', '127.0.0.1:0', '--sdkMetricsAddr', `127.0.0.1:${sdkPort}`],
      // Parking on, with a delay longer than the test: the pools' worker then runs with POOL_WORKER_DEFAULTS.
      // POOL_WORKFLOW_TASK_SLOTS: the pools' worker's own setting, which must reach that worker and only it.
      // WORKFLOW_THREAD_YOUNG_MB: the workflow threads' young generation, which must reach them and not main.
      { env: { ...process.env, LOG_LEVEL: 'info', METRICS_ADDR: '', POOL_PARK_IDLE_MS: '600000', POOL_WORKFLOW_TASK_SLOTS: '64', WORKFLOW_THREAD_YOUNG_MB: '6', NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    procs.push(p);
    p.stdout!.on('data', (b: Buffer) => (logText += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (logText += b.toString()));
    const logLines = () => logText.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const url = await eventually(() => {
      const l = logLines().find((x) => x['msg'] === 'metrics served');
      assert.ok(l, `no "metrics served" line yet (exit ${p.exitCode}); log:\n${logText.slice(-2000)}`);
      return l['url'] as string;
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'controller serving metrics' });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(new URL(url).port, '0');

    const t0 = Date.now();
    await c.createVolume('v-1', { size: 3 * GiB });
    await c.createVolume('v-2', { size: 2 * GiB });
    await c.createVolume('v-3', { size: 4 * GiB });
    await c.createVolume('v-big', { size: 50 * GiB });
    const vols = await eventually(async () => {
      const vs = await c.listVolumes();
      assert.equal(vs.filter((v) => v.spec.targetNodeId).length, 3, 'three bound');
      assert.match(vs.find((v) => v.metadata.name === 'v-big')!.status?.msg ?? '', /^NoStoragePoolAvailable: PoolFreeSize: 2$/);
      return vs;
    }, { timeoutMs: 60_000, what: 'three bound, one pending' });
    const elapsed = (Date.now() - t0) / 1000;

    const m = await eventually(async () => {
      const m = await scrape(url);
      assert.equal(m.get('disk_controller_placements_total{result="bound"}'), 3);
      assert.ok((m.get('disk_controller_placements_total{result="unschedulable"}') ?? 0) >= 1, 'unschedulable counted');
      assert.equal(m.get('disk_controller_pending_volumes{reason="PoolFreeSize"}'), 1);
      return m;
    }, { timeoutMs: 20_000, what: 'placement metrics' });
    assert.equal(m.get('disk_controller_placements_total{result="conflict"}'), undefined);
    // Histogram: three observations, each between 0 and the time the test waited.
    assert.equal(m.get('disk_controller_volume_bind_latency_seconds_count'), 3);
    const sum = m.get('disk_controller_volume_bind_latency_seconds_sum')!;
    assert.ok(sum > 0 && sum <= 3 * (elapsed + 2), `latency sum ${sum} within 3 × ${elapsed}s`);
    assert.equal(m.get('disk_controller_volume_bind_latency_seconds_bucket{le="+Inf"}'), 3);
    // Pool bytes: the API's bindings, under LiteIO's free-space formula.
    for (const pool of ['pool-a', 'pool-b']) {
      const bound = vols.filter((v) => v.spec.targetNodeId === pool).reduce((s, v) => s + v.spec.sizeByte, 0);
      assert.equal(m.get(`disk_controller_pool_capacity_bytes{pool="${pool}"}`), 10 * GiB, pool);
      assert.equal(m.get(`disk_controller_pool_bound_bytes{pool="${pool}"}`), bound, pool);
      assert.equal(m.get(`disk_controller_pool_free_bytes{pool="${pool}"}`), 10 * GiB - bound, pool);
    }
    assert.equal(m.get('disk_controller_workflow_task_failures_total{workflow_type="noSuchWorkflow"}'), undefined);
    // The heap of every thread: main (what nodejs_heap_* sees too) and the Temporal workflow threads (which it does not).
    const heaps = [...m.entries()].filter(([k]) => k.startsWith('disk_controller_thread_heap_bytes{'));
    const mainTotal = m.get('disk_controller_thread_heap_bytes{thread="main",kind="total"}') ?? 0;
    assert.ok(mainTotal > 0 && Math.abs(mainTotal - m.get('disk_controller_nodejs_heap_size_total_bytes')!) < 64 * 2 ** 20, `main heap ${mainTotal}`);
    const workers = heaps.filter(([k, v]) => /thread="worker-\d+",kind="used"/.test(k) && v > 1e6);
    assert.ok(workers.length >= 1, `a workflow thread's heap is reported: ${heaps.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    // Young generation (new space): part of each thread's total, and above zero once the thread has run JS.
    for (const [k, used] of workers) {
      const thread = /thread="([^"]+)"/.exec(k)![1];
      const young = m.get(`disk_controller_thread_heap_bytes{thread="${thread}",kind="young"}`) ?? -1;
      const total = m.get(`disk_controller_thread_heap_bytes{thread="${thread}",kind="total"}`) ?? 0;
      assert.ok(young > 0 && young < total && used <= total, `${thread}: young ${young}, used ${used}, total ${total}`);
    }
    // WORKFLOW_THREAD_YOUNG_MB=6 reached both workflow threads (the volumes' and the pools'), and not the main
    // thread: V8's heap limit is old + young generation, and the default young generation is 3 x 16 MiB.
    const mainLimit = m.get('disk_controller_thread_heap_bytes{thread="main",kind="limit"}') ?? 0;
    const threadLimits = [...m.entries()].filter(([k]) => /thread="worker-\d+",kind="limit"/.test(k)).map(([, v]) => v);
    assert.equal(threadLimits.length, 2, `two workflow threads: ${threadLimits}`);
    for (const limit of threadLimits) assert.ok(limit > 0 && mainLimit - limit > 30 * 2 ** 20, `workflow thread limit ${limit} vs main ${mainLimit}`);

    // The SDK's own exporter (--sdkMetricsAddr): both workers' workflow-task slots and pollers, by task queue, and
    // the workflow tasks this run's placements went through.
    const sdk = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${sdkPort}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      for (const q of [`tq-${c.ns}`, `tq-${c.ns}-pools`])
        assert.match(text, new RegExp(`^temporal_worker_task_slots_available\\{[^}]*task_queue="${q}"[^}]*worker_type="WorkflowWorker"[^}]*\\} \\d+`, 'm'), `slots of ${q}`);
      return parseMetrics(text);
    }, { timeoutMs: 20_000, what: 'the SDK metrics' });
    // The pools' worker runs with POOL_WORKFLOW_TASK_SLOTS (64 here; with parking on and nothing set, 40 since
    // v0.15.0), the volumes' with the SDK's 40.
    const slots = (q: string) => [...sdk.entries()].find(([k]) => k.startsWith('temporal_worker_task_slots_available{') && k.includes(`task_queue="${q}"`) && k.includes('worker_type="WorkflowWorker"'))?.[1];
    const poolSlots = slots(`tq-${c.ns}-pools`) ?? 0;
    assert.ok(poolSlots > 40 && poolSlots <= 64, `pools' worker slots: ${poolSlots}`);
    assert.ok((slots(`tq-${c.ns}`) ?? 99) <= 40, `volumes' worker slots: ${slots(`tq-${c.ns}`)}`);
    const wfCompleted = [...sdk.entries()].filter(([k]) => k.startsWith('temporal_workflow_task_execution_latency_count{')).reduce((a, [, v]) => a + v, 0);
    assert.ok(wfCompleted >= 3, `workflow tasks executed: ${wfCompleted}`);

    // Deleting the pending volume empties its reason.
    await c.deleteVolume('v-big');
    await eventually(async () => assert.equal((await scrape(url)).get('disk_controller_pending_volumes{reason="PoolFreeSize"}'), undefined), { timeoutMs: 20_000 });

    // A workflow task that fails on this worker (a workflow type it does not have) is counted and logged.
    const conn = await Connection.connect({ address: env.temporal.address });
    try {
      const client = new Client({ connection: conn, namespace: env.temporal.namespace });
      const wid = `metrics-broken-${c.ns}`;
      await client.workflow.start('noSuchWorkflow', { taskQueue: `tq-${c.ns}`, workflowId: wid, workflowTaskTimeout: '2s' });
      await eventually(async () => {
        const m = await scrape(url);
        const n = m.get('disk_controller_workflow_task_failures_total{workflow_type="noSuchWorkflow"}') ?? 0;
        assert.ok(n >= 1, `failures counted: ${n}; ${[...m.keys()].filter((k) => k.includes('workflow_task')).join(' ')}; log: ${logText.split('\n').filter((l) => /noSuch|task fail/i.test(l)).slice(-3).join('\n')}`);
      }, { timeoutMs: 30_000, what: 'workflow task failure counted' });
      const line = await eventually(() => {
        const l = logLines().find((x) => x['msg'] === 'workflow task failed' && x['workflowId'] === wid);
        assert.ok(l, 'an error line naming the workflow');
        return l;
      }, { timeoutMs: 10_000 });
      assert.equal(line['level'], 'error');
      assert.equal(line['workflowType'], 'noSuchWorkflow');
      assert.ok(String(line['error']).length > 0, 'the error is in the line');
      await client.workflow.getHandle(wid).terminate('test done');
    } finally {
      await conn.close();
    }
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  });

  describe('plugin failures', function () {
    let c: TestCluster;
    let op: RunningOperator | undefined;
    after(async () => {
      await op?.stop();
      resetPluginRegistrations();
    });

    it('are counted by plugin on /metrics of an in-process operator', async () => {
      c = await newTestCluster(env, 'mplug');
      const plugin = `Broken${c.ns.replace(/[^a-z0-9]/g, '')}`;
      registerPlugins(null, [() => ({ name: plugin, reconcile: () => { throw new Error('backend down'); }, handleDeletion() {} })]);
      op = await runOperator({
        kubeConfig: env.kube.kubeConfig,
        namespace: c.ns,
        temporal: { address: env.temporal.address, namespace: env.temporal.namespace },
        taskQueue: `tq-${c.ns}`,
        config: parseControllerConfig({}, 'test'),
        timings: { pluginMaxAttempts: 2, pluginRetryInitialMs: 100, pluginErrorBackoffMs: 60_000 },
        log: createLogger('error'),
        workflowBundle: env.workflowBundle,
        metricsAddr: '127.0.0.1:0',
      });
      assert.ok(op.metricsUrl);
      await c.createPool('p1', { bytes: 10 * GiB });
      await c.createVolume('pv-1', { size: GiB });
      await eventually(async () => {
        const n = (await scrape(op!.metricsUrl!)).get(`disk_controller_plugin_failures_total{plugin="${plugin}"}`) ?? 0;
        assert.ok(n >= 2, `failures: ${n} (two attempts per round)`);
      }, { timeoutMs: 30_000, what: 'plugin failures counted' });
    });
  });
});
