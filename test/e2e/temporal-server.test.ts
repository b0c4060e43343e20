/**
 * The controller against a real temporal-server (PostgreSQL persistence + SQL visibility), started here
 * whatever DCT_TEMPORAL says: volumes are placed end to end and a search-attribute query lists them. It runs with
 * 16 history shards rather than the harness's 4 (a production server has many; dct.yaml's TEMPORAL_HISTORY_SHARDS).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startTemporalServer, type TemporalServer } from '../../src/embedded/temporal-server.js';
import { placementQuery, volumeWorkflowId } from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: temporal-server (PostgreSQL) instead of the dev server', function () {
  let dir: string;
  let server: TemporalServer | undefined;
  let c: TestCluster | undefined;
  let conn: Connection | undefined;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'dct-tserver-'));
    const env = await testEnv();
    server = await startTemporalServer({ dir, historyShards: 16 });
    c = await newTestCluster({ ...env, temporal: server }, 'tsrv');
    await c.startOperator();
    conn = await Connection.connect({ address: server.address });
  });
  after(async () => {
    await c?.stop();
    await conn?.close();
    await server?.stop();
    if (dir && !process.env['DCT_KEEP']) rmSync(dir, { recursive: true, force: true });
  });

  it('runs with the history shards it was started with', async () => {
    const info = await conn!.workflowService.getClusterInfo({});
    assert.equal(info.historyShardCount, 16);
  });

  it('places volumes and lists them by PlacementPhase', async () => {
    const pools = ['node-a', 'node-b'];
    for (const p of pools) await c!.createPool(p, { bytes: 20 * GiB });
    await Promise.all(Array.from({ length: 4 }, (_, i) => c!.createVolume(`vol-${i}`, { size: 2 * GiB, hostNode: pools[i % 2]! })));

    const vols = await eventually(
      async () => {
        const vs = await c!.listVolumes();
        assert.equal(vs.length, 4);
        const unbound = vs.filter((v) => !v.spec.targetNodeId).map((v) => v.metadata.name);
        assert.deepEqual(unbound, [], `unbound volumes: ${unbound.join(', ')}`);
        return vs;
      },
      { timeoutMs: 90_000, what: 'all volumes bound' },
    );

    const client = new Client({ connection: conn!, namespace: server!.namespace });
    const ids = vols.map((v) => volumeWorkflowId({ namespace: c!.ns, name: v.metadata.name!, uid: v.metadata.uid! }));
    // The placer writes the binding, then starts the volume's run with it: the run follows the binding closely.
    for (const [i, id] of ids.entries()) {
      const rec = await eventually(() => client.workflow.getHandle(id).query(placementQuery), { timeoutMs: 30_000, what: `${id} started` });
      assert.equal(rec.phase, 'Bound');
      assert.equal(rec.pool, vols[i]!.spec.targetNodeId);
    }

    // Visibility (SQL, written asynchronously) may lag behind the workflows.
    await eventually(
      async () => {
        const listed = new Set<string>();
        for await (const w of client.workflow.list({ query: `PlacementPhase = 'Bound'` })) listed.add(w.workflowId);
        const missing = ids.filter((id) => !listed.has(id));
        assert.deepEqual(missing, [], `not listed as Bound: ${missing.join(', ')}`);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: `PlacementPhase = 'Bound' lists every volume` },
    );
  });
});
