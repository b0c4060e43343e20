/** The metrics module: cluster gauges from pools and volumes, and the workflow-task-failure log tap. */
import assert from 'node:assert/strict';
import { clusterGaugeValues, pendingReason } from '../../src/metrics/cluster-gauges.js';
import { registry } from '../../src/metrics/registry.js';
import { CORE_FAILING_WFT, TS_ACTIVATION_FAILED, workflowTaskFailureTap } from '../../src/metrics/workflow-task-failures.js';
import { createLogger } from '../../src/logger.js';
import type { AntstorVolume, StoragePool } from '../../src/api/types.js';

const GiB = 2 ** 30;
const pool = (name: string, bytes: number): StoragePool =>
  ({ metadata: { name, namespace: 'obnvmf' }, spec: { nodeInfo: { id: name }, kernelLvm: { name: 'vg', bytes } }, status: { status: 'ready', capacity: { storage: String(bytes) } } }) as unknown as StoragePool;
const vol = (name: string, size: number, target = '', msg = ''): AntstorVolume =>
  ({ metadata: { name, namespace: 'obnvmf', uid: name }, spec: { sizeByte: size, targetNodeId: target }, status: { msg } }) as unknown as AntstorVolume;

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

describe('metrics', () => {
  it('pendingReason: the leading filter reason of our status.msg', () => {
    assert.equal(pendingReason(''), 'Scheduling');
    assert.equal(pendingReason(undefined), 'Scheduling');
    assert.equal(pendingReason('NoStoragePoolAvailable: PoolFreeSize: 3, PoolUnschedulable: 2'), 'PoolFreeSize');
    assert.equal(pendingReason('NoStoragePoolAvailable: no pools'), 'NoStoragePoolAvailable');
    assert.equal(pendingReason('InvalidSelector: bad label selector'), 'InvalidSelector');
    assert.equal(pendingReason('agent says hello'), 'Scheduling');
  });

  it('clusterGaugeValues: pending by reason and per-pool capacity / bound / free', () => {
    const g = clusterGaugeValues(
      [pool('a', 10 * GiB), pool('b', 4 * GiB)],
      [vol('v1', 3 * GiB, 'a'), vol('v2', GiB, 'a'), vol('v3', 2 * GiB, 'b'), vol('p1', 9 * GiB, '', 'NoStoragePoolAvailable: PoolFreeSize: 2'), vol('p2', GiB)],
    );
    assert.deepEqual(g.pending, { PoolFreeSize: 1, Scheduling: 1 });
    assert.deepEqual(g.pools, [
      { pool: 'a', capacity: 10 * GiB, bound: 4 * GiB, free: 6 * GiB },
      { pool: 'b', capacity: 4 * GiB, bound: 2 * GiB, free: 2 * GiB },
    ]);
  });

  it('workflow task failures: counted once per failure, by type, from the worker line or Core\'s', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', {}, 'json', (l) => void lines.push(JSON.parse(l)));
    let t = 1_000_000;
    const tap = workflowTaskFailureTap(log, () => t);
    const before = await counter('disk_controller_workflow_task_failures_total', { workflow_type: 'unitTestWorkflow' });
    // The worker's activation trace teaches the tap run → workflow.
    assert.equal(tap('TRACE', 'Completed activation', { runId: 'r1', workflowId: 'w1', workflowType: 'unitTestWorkflow' }), false);
    // Workflow code threw: the worker's line, then Core's line for the same run (not counted twice).
    assert.equal(tap('ERROR', TS_ACTIVATION_FAILED, { runId: 'r1', workflowId: 'w1', workflowType: 'unitTestWorkflow', error: new Error('boom') }), true);
    assert.equal(tap('WARN', CORE_FAILING_WFT, { run_id: 'r1', failure: 'boom' }), true);
    assert.equal(await counter('disk_controller_workflow_task_failures_total', { workflow_type: 'unitTestWorkflow' }), before + 1);
    // Nondeterminism: only Core's line; the type comes from the remembered run.
    t += 10_000;
    tap('WARN', CORE_FAILING_WFT, { run_id: 'r1', failure: 'Nondeterminism error: ...' });
    assert.equal(await counter('disk_controller_workflow_task_failures_total', { workflow_type: 'unitTestWorkflow' }), before + 2);
    const errs = lines.filter((l) => l['msg'] === 'workflow task failed');
    assert.equal(errs.length, 2);
    assert.deepEqual(errs.map((l) => [l['level'], l['workflowId'], l['workflowType'], l['error']]), [
      ['error', 'w1', 'unitTestWorkflow', 'boom'],
      ['error', 'w1', 'unitTestWorkflow', 'Nondeterminism error: ...'],
    ]);
    // Anything else passes through untouched.
    assert.equal(tap('WARN', 'some other warning', {}), false);
  });
});

describe('metrics server', () => {
  it('parses LiteIO-style listen addresses and names the flag when the port is taken', async () => {
    const { parseListenAddr, startMetricsServer } = await import('../../src/metrics/server.js');
    assert.deepEqual(parseListenAddr(':9090'), { host: '0.0.0.0', port: 9090 });
    assert.deepEqual(parseListenAddr('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.throws(() => parseListenAddr('127.0.0.1:http'), /listen address "127.0.0.1:http"/);
    const a = await startMetricsServer('127.0.0.1:0');
    try {
      const res = await fetch(a.url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /# TYPE disk_controller_placements_total counter/);
      assert.equal((await fetch(a.url.replace('/metrics', '/other'))).status, 404);
      await assert.rejects(startMetricsServer(`127.0.0.1:${new URL(a.url).port}`), /--metricsAddr 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      a.server.close();
    }
  });
});
