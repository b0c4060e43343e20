/**
 * LiteIO's state API, `GET <metricsAddr>/state/storagepool?name=<node>`, on a running operator: answered from the
 * pool's ledger (volumes with their data holder, free bytes, held reservations) and the cached pool object, with
 * LiteIO's text for a missing name and an error naming an unknown pool.
 */
import assert from 'node:assert/strict';
import { runOperator, type RunningOperator } from '../../src/operator.js';
import { parseControllerConfig } from '../../src/config/controller-config.js';
import { createLogger } from '../../src/logger.js';
import type { PoolStateJson } from '../../src/state/pool-state.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster } from '../harness/cluster.js';

describe('e2e: the state API (/state/storagepool)', function () {
  let op: RunningOperator | undefined;
  after(async () => op?.stop());

  it('answers from the ledger in LiteIO’s shape, and names what is missing', async () => {
    const env = await testEnv();
    const c = await newTestCluster(env, 'state');
    op = await runOperator({
      kubeConfig: env.kube.kubeConfig,
      namespace: c.ns,
      temporal: { address: env.temporal.address, namespace: env.temporal.namespace },
      taskQueue: `tq-${c.ns}`,
      config: parseControllerConfig({ scheduler: { nodeReservations: [{ id: 'spare', size: 2 * GiB }] } }, 'test'),
      log: createLogger('error'),
      workflowBundle: env.workflowBundle,
      metricsAddr: '127.0.0.1:0',
    });
    const base = op.metricsUrl!.replace(/\/metrics$/, '');
    await c.createPool('node-a', { bytes: 10 * GiB, labels: { rack: 'r1' } });
    await c.createVolume('v1', { size: GiB, hostNode: 'node-a', labels: { 'antstor.csi.alipay.com/data-holder': 'ob.c1.z1' } });
    await c.createVolume('v2', { size: 3 * GiB, hostNode: 'node-a' });
    await eventually(async () => assert.equal((await c.listVolumes()).filter((v) => v.spec.targetNodeId === 'node-a').length, 2), { timeoutMs: 60_000 });

    const res = await fetch(`${base}/state/storagepool?name=node-a`);
    assert.equal(res.status, 200);
    const s = (await res.json()) as PoolStateJson;
    assert.equal(s.name, 'node-a');
    assert.equal(s.poolLabels['rack'], 'r1');
    assert.equal((s.kernelLVM as { bytes: number }).bytes, 10 * GiB);
    assert.equal(s.spdkLVS, null);
    assert.deepEqual(
      s.volumes.map((v) => [v.ns, v.name, v.dataHolder, v.size]).sort(),
      [[c.ns, 'v1', 'ob.c1.z1', GiB], [c.ns, 'v2', '', 3 * GiB]],
    );
    // 10 GiB − 4 GiB bound − the 2 GiB standing reservation the pool holds.
    assert.equal(s.memFreeSize, 4 * GiB);
    assert.equal(s.memFreeSizeStr, '4Gi');
    assert.equal(s.vgFreeSize, 10 * GiB);
    assert.deepEqual(s.conditions, { Spdk: 'OK' });
    assert.deepEqual(s.reservations, [{ id: 'spare', size: 2 * GiB }]);

    const empty = await fetch(`${base}/state/storagepool`);
    assert.equal(empty.status, 400);
    assert.equal(await empty.text(), 'query param name is empty');
    const unknown = await fetch(`${base}/state/storagepool?name=nope`);
    assert.equal(unknown.status, 404);
    assert.equal(await unknown.text(), `StoragePool ${c.ns}/nope not found`);
    // /metrics is still served beside it.
    assert.equal((await fetch(op.metricsUrl!)).status, 200);
  });
});
