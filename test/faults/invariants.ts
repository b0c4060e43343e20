/**
 * What must hold after every fault: each volume bound exactly once or pending with a reason, no pool over capacity
 * at any sampled instant, every ledger equal to the API server's bindings, no workflow stuck, and (with MetaSync)
 * MySQL equal to the API server.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { ledgerQuery, poolWorkflowId } from '../../src/workflows/messages.js';
import { workflowHealth } from '../../src/workflow-health.js';
import type { Sampler } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import type { TestCluster } from '../harness/cluster.js';

export interface InvariantReport {
  volumes: number;
  bound: number;
  pending: number;
  workflowsChecked: number;
}

export async function checkInvariants(
  c: TestCluster,
  client: Client,
  caps: Record<string, number>,
  sampler: Sampler,
  o: {
    mysql?: { config: mysql.ConnectionOptions; cluster: string };
    settleMs?: number;
    /** Every pool accepts every volume but for space: then a pending volume must really not fit anywhere. */
    onlySpaceLimits?: boolean;
  } = {},
): Promise<InvariantReport> {
  assert.deepEqual(sampler.violations, [], 'no pool over capacity and no volume moved, at any sampled instant');
  // Settled: every volume is bound, or pending with a reason in status.msg; no deletion still in progress.
  const vols = await eventually(
    async () => {
      const vs = await c.listVolumes();
      const undecided = vs.filter((v) => !v.spec.targetNodeId && !v.status?.msg).map((v) => v.metadata.name);
      assert.deepEqual(undecided.slice(0, 10), [], `${undecided.length} volumes neither bound nor pending with a reason`);
      const deleting = vs.filter((v) => v.metadata.deletionTimestamp).map((v) => v.metadata.name);
      assert.deepEqual(deleting.slice(0, 10), [], `${deleting.length} volumes still deleting`);
      return vs;
    },
    { timeoutMs: o.settleMs ?? 180_000, intervalMs: 1000, what: 'every volume bound or pending with a reason' },
  );
  const used: Record<string, number> = {};
  for (const v of vols) if (v.spec.targetNodeId) used[v.spec.targetNodeId] = (used[v.spec.targetNodeId] ?? 0) + v.spec.sizeByte;
  for (const [p, b] of Object.entries(used)) assert.ok(b <= (caps[p] ?? 0), `pool ${p} holds ${b} > ${caps[p]}`);
  if (o.onlySpaceLimits) {
    // Room freed by the last deletions reaches the pending volumes through their retry (the watcher's capacity
    // signal, then a filter pass and a ledger answer): allow it to land, as for the ledgers below.
    await eventually(
      async () => {
        const now = await c.listVolumes();
        const inUse: Record<string, number> = {};
        for (const v of now) if (v.spec.targetNodeId) inUse[v.spec.targetNodeId] = (inUse[v.spec.targetNodeId] ?? 0) + v.spec.sizeByte;
        const maxFree = Math.max(...Object.keys(caps).map((p) => caps[p]! - (inUse[p] ?? 0)));
        const stalled = now.filter((v) => !v.spec.targetNodeId && v.spec.sizeByte <= maxFree).map((v) => `${v.metadata.name} (${v.status?.msg})`);
        assert.deepEqual(stalled.slice(0, 5), [], `${stalled.length} pending volumes would fit in ${maxFree} free bytes`);
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'no pending volume that would fit' },
    );
  }

  // Ledgers equal the API server (a release may still be on its way: allow it to land).
  for (const p of Object.keys(caps)) {
    await eventually(
      async () => {
        const api = (await c.listVolumes()).filter((v) => v.spec.targetNodeId === p).map((v) => v.metadata.uid!).sort();
        // A parked pool (v0.12.0) has no run and holds nothing: its next run adopts the API server's bindings.
        const desc = await client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: p })).describe();
        if (desc.status.name !== 'RUNNING') {
          assert.equal(desc.status.name, 'COMPLETED', `pool ${p}'s workflow ended ${desc.status.name}, not parked`);
          return;
        }
        const ledger = await client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: p })).query(ledgerQuery);
        assert.deepEqual(ledger.bindings.map((b) => b.uid).sort(), api, `ledger of ${p} equals the API server`);
        assert.ok(ledger.boundBytes <= caps[p]!, `ledger of ${p} within capacity`);
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: `ledger of ${p}` },
    );
  }

  // No workflow stuck: every open workflow of this namespace completes its workflow tasks.
  let checked = 0;
  const stuck: string[] = [];
  for await (const w of client.workflow.list({ query: `ExecutionStatus = 'Running' AND TaskQueue = 'tq-${c.ns}'` })) {
    checked++;
    const h = await workflowHealth(client, w.workflowId);
    if (h.stuck) stuck.push(`${w.workflowId}: ${h.failure}`);
  }
  assert.deepEqual(stuck, [], 'no workflow stuck');

  if (o.mysql) {
    const { config, cluster } = o.mysql;
    await eventually(
      async () => {
        const db = await mysql.createConnection(config);
        try {
          const [rows] = await db.query<RowDataPacket[]>('SELECT name, t_node_id FROM antstor_volume WHERE cluster_name = ? AND deleted_at = 0 ORDER BY name', [cluster]);
          const api = (await c.listVolumes()).map((v) => [v.metadata.name!, v.spec.targetNodeId ?? ''] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
          assert.deepEqual(rows.map((r) => [r['name'], r['t_node_id'] ?? '']), api.map(([n, t]) => [n, t]), 'MySQL antstor_volume equals the API server');
          const [pools] = await db.query<RowDataPacket[]>('SELECT name FROM storage_pool WHERE cluster_name = ? AND deleted_at = 0 ORDER BY name', [cluster]);
          assert.deepEqual(pools.map((r) => r['name']), Object.keys(caps).sort(), 'MySQL storage_pool equals the API server');
        } finally {
          await db.end();
        }
      },
      { timeoutMs: 90_000, intervalMs: 2000, what: 'MySQL equals the API server' },
    );
  }
  const bound = vols.filter((v) => v.spec.targetNodeId).length;
  return { volumes: vols.length, bound, pending: vols.length - bound, workflowsChecked: checked };
}
