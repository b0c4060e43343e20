/** `disk-controller explain <namespace>/<name>`: the placement record of one volume, for people. */
import { Client } from '@temporalio/client';
import { formatBytes } from '../api/quantity.js';
import { KubeResources } from '../kube/resources.js';
import { loadKubeConfig, makeClients } from '../kube/client.js';
import { placementQuery, placerQuery, placerWorkflowId, poolWorkflowId, releaserQuery, releaserWorkflowId, volumeWorkflowId, type PlacementRecord } from '../workflows/messages.js';
import { renderHealth, workflowHealth } from '../workflow-health.js';
import { connectTemporal } from '../temporal-connection.js';
import { commonOptions, commonUsage, temporalTarget } from './common.js';

export const explainOptionsSpec = {
  options: { ...commonOptions, json: { type: 'boolean' } },
  usage: `usage: disk-controller explain <namespace>/<name> [--json] [flags]

${commonUsage}`,
} as const;

export function renderPlacement(rec: PlacementRecord): string {
  const lines: string[] = [];
  lines.push(`volume ${rec.volume}: ${rec.phase}${rec.pool ? ` on pool ${rec.pool}` : ''}`);
  if (rec.message) lines.push(`  message: ${rec.message}`);
  const d = rec.decision;
  if (d) {
    lines.push(`  pools considered: ${d.pools}, qualified: ${d.qualified}${d.override ? ` (chosen by annotation: ${d.override})` : ''}`);
    for (const f of d.filters) {
      const rej = Object.entries(f.rejected);
      lines.push(`  filter ${f.filter}: ${f.in} in, ${f.in - rej.reduce((s, [, n]) => s + n, 0)} passed`);
      for (const [reason, n] of rej) lines.push(`    rejected ${n} for ${reason} (e.g. ${(f.examples[reason] ?? []).join(', ')})`);
    }
    if (d.candidates.length) {
      lines.push('  candidates (best first):');
      for (const c of d.candidates)
        lines.push(
          `    ${c.pool.padEnd(24)} score ${String(c.score).padStart(5)}  ${Object.entries(c.scores).map(([k, s]) => `${k}=${s}`).join(' ')}  free ${formatBytes(c.freeBytes)}`,
        );
    }
    if (d.error) lines.push(`  error: ${d.error}`);
  }
  if (rec.waitingOn) lines.push(`  waiting on pool ${rec.waitingOn.pool}'s ledger since ${rec.waitingOn.since}`);
  if (rec.attempts.length) {
    lines.push('  ledger answers:');
    for (const a of rec.attempts) lines.push(`    ${a.pool}: ${a.accepted ? 'accepted' : `refused (${a.reason})`}`);
  }
  lines.push(`  filter passes: ${rec.passes}`);
  return lines.join('\n');
}

/** The newest run of the volume's workflow whose record holds the filter pass (the run that placed it). */
async function placedRecord(client: Client, id: string): Promise<PlacementRecord | undefined> {
  for await (const w of client.workflow.list({ query: `WorkflowId = '${id.replace(/'/g, "\\'")}'` })) {
    if (w.status.name !== 'COMPLETED') continue;
    const r = (await client.workflow.getHandle(id, w.runId).result().catch(() => undefined)) as PlacementRecord | undefined;
    if (r?.decision) return r;
  }
  return undefined;
}

export async function runExplainCommand(v: Record<string, unknown>, positionals: string[]): Promise<number> {
  const target = positionals[0];
  const m = target ? /^([^/]+)\/([^/]+)$/.exec(target) : null;
  if (!m) {
    console.error(`explain: expected <namespace>/<name>, got ${target ?? 'nothing'}\n\n${explainOptionsSpec.usage}`);
    return 2;
  }
  const [, namespace, name] = m as unknown as [string, string, string];
  const kube = new KubeResources(makeClients(loadKubeConfig(v['kubeconfig'] as string | undefined)));
  const vol = await kube.getVolume(namespace, name);
  if (!vol) {
    console.error(`explain: AntstorVolume ${namespace}/${name} not found`);
    return 1;
  }
  const t = temporalTarget(v);
  const connection = await connectTemporal(t);
  try {
    const client = new Client({ connection, namespace: t.namespace });
    const id = volumeWorkflowId({ namespace, name, uid: vol.metadata.uid! });
    // A workflow whose task keeps failing answers no query: say so instead of timing out.
    const health = await workflowHealth(client, id);
    if (health.stuck) {
      console.log(v['json'] ? JSON.stringify({ health }, null, 2) : `volume ${namespace}/${name}: ${renderHealth(health)}`);
      return 3;
    }
    if (health.status === 'NOT_FOUND') {
      // v0.8.0: a new volume is admitted by the namespace's placer before its own workflow starts.
      const placerHealth = await workflowHealth(client, placerWorkflowId(namespace));
      if (placerHealth.stuck) {
        console.log(v['json'] ? JSON.stringify({ placerHealth }, null, 2) : `volume ${namespace}/${name}: waiting on the placer, which is ${renderHealth(placerHealth)}`);
        return 3;
      }
      const pv = await client.workflow
        .getHandle(placerWorkflowId(namespace))
        .query(placerQuery, vol.metadata.uid!)
        .catch(() => undefined);
      const it = pv?.volume;
      if (v['json']) console.log(JSON.stringify({ volume: `${namespace}/${name}`, phase: 'Pending', placer: it ?? null }, null, 2));
      else if (it)
        console.log(
          `volume ${namespace}/${name}: being placed by ${placerWorkflowId(namespace)} (${it.passes} filter passes` +
            `${it.asked ? `; waiting for the ledger of pool ${it.asked.pool}` : ''}` +
            `${Object.keys(it.refused).length ? `; refused by ${Object.entries(it.refused).map(([p, r]) => `${p} (${r})`).join(', ')}` : ''})`,
        );
      else console.log(`volume ${namespace}/${name}: no workflow yet (the watcher has not handed it over)`);
      return 0;
    }
    if (vol.metadata.deletionTimestamp) {
      // v0.17.0: a bound volume's deletion is finished by the namespace's releaser, in a batch.
      const rv = await client.workflow
        .getHandle(releaserWorkflowId(namespace))
        .query(releaserQuery, vol.metadata.uid!)
        .catch(() => undefined);
      if (rv?.volume) {
        if (v['json']) console.log(JSON.stringify({ volume: `${namespace}/${name}`, phase: 'Deleting', releaser: rv.volume }, null, 2));
        else console.log(`volume ${namespace}/${name}: being deleted by ${releaserWorkflowId(namespace)} (its ledger on pool ${rv.volume.pool} released, then its finalizer removed; ${rv.items} volumes queued there)`);
        return 0;
      }
    }
    let rec = await client.workflow.getHandle(id).query(placementQuery);
    // v0.8.0: a bound volume's run ends when idle, and a later event starts a new run: the placement record is in
    // the run that placed it.
    if (!rec.decision && rec.phase !== 'Pending') rec = (await placedRecord(client, id)) ?? rec;
    // The pool this volume waits on, or the one it is bound to: is its ledger workflow healthy?
    const pool = rec.waitingOn?.pool ?? rec.pool ?? vol.spec.targetNodeId;
    const poolHealth = pool ? await workflowHealth(client, poolWorkflowId({ namespace, name: pool })) : undefined;
    if (v['json']) console.log(JSON.stringify({ ...rec, ...(poolHealth ? { poolHealth } : {}) }, null, 2));
    else console.log(renderPlacement(rec) + (poolHealth?.stuck ? `\n  pool ${renderHealth(poolHealth)}` : ''));
    return poolHealth?.stuck ? 3 : 0;
  } finally {
    await connection.close();
  }
}
