/**
 * Crash safety: the controller process is killed with SIGKILL in the middle of a burst and started again.
 * Every volume ends bound exactly once, the ledgers hold exactly the API's bindings, and no pool is ever
 * over capacity.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { freePort } from '../../src/embedded/process.js';
import { ledgerQuery, placerWorkflowId, poolWorkflowId, volumeWorkflowId } from '../../src/workflows/messages.js';
import { inParallel, sampleCapacity } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: controller killed with SIGKILL during a burst', function () {
  let c: TestCluster;
  const procs: ChildProcess[] = [];
  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });

  it('binds every volume exactly once and never over-commits, across the crash', async () => {
    const env = await testEnv();
    c = await newTestCluster(env, 'crash');
    const cfg = join(env.dir, `${c.ns}.yaml`);
    writeFileSync(cfg, 'scheduler:\n  maxRemoteVolumeCount: 1000\n');
    const log = createWriteStream(join(env.dir, `${c.ns}-operator.log`));
    const startOperator = async () => {
      const probe = await freePort();
      const p = spawn(
        process.execPath,
        [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'operator', '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address,
          '--namespace', c.ns, '--task-queue', `tq-${c.ns}`, '--probeAddr', `127.0.0.1:${probe}`, '--config', cfg],
        { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      p.stdout!.pipe(log, { end: false });
      p.stderr!.pipe(log, { end: false });
      procs.push(p);
      // Ready = worker running and informer caches synced; a slow start on a busy machine is not the test's subject.
      await eventually(async () => assert.equal((await fetch(`http://127.0.0.1:${probe}/readyz`)).status, 200), { timeoutMs: 120_000, intervalMs: 250, what: 'operator ready' });
      return p;
    };

    const caps: Record<string, number> = {};
    for (let i = 0; i < 5; i++) {
      caps[`pool-${i}`] = 20 * GiB;
      await c.createPool(`pool-${i}`, { bytes: 20 * GiB });
    }
    const first = await startOperator();
    const sampler = sampleCapacity(c, caps);
    await inParallel(Array.from({ length: 150 }, (_, i) => i), 24, (i) => c.createVolume(`v-${i}`, { size: GiB }));
    const logPath = join(env.dir, `${c.ns}-operator.log`);
    await eventually(async () => {
      const n = (await c.listVolumes()).filter((v) => v.spec.targetNodeId).length;
      assert.ok(n >= 20, `only ${n} bound so far`);
    }, { timeoutMs: 120_000, intervalMs: 100 }).catch((e) => {
      let tail = '';
      try {
        tail = readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n');
      } catch {
        /* no log */
      }
      throw new Error(`${(e as Error).message}\noperator exit ${first.exitCode}/${first.signalCode}; last log lines:\n${tail}`);
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const boundAtKill = (await c.listVolumes()).filter((v) => v.spec.targetNodeId).length;
    await startOperator();

    const vols = await eventually(async () => {
      const vs = await c.listVolumes();
      assert.equal(vs.filter((v) => v.spec.targetNodeId).length, 100, 'bound');
      assert.equal(vs.filter((v) => !v.spec.targetNodeId && /PoolFreeSize: 5$/.test(v.status?.msg ?? '')).length, 50, 'pending with PoolFreeSize');
      return vs;
    }, { timeoutMs: 150_000, intervalMs: 1000, what: '100 bound + 50 pending after the restart' }).catch(async (e) => {
      // Keep the pools' histories for the reader (DCT_KEEP=1 keeps the directory).
      const connection = await Connection.connect({ address: env.temporal.address });
      const client = new Client({ connection });
      const vs = await c.listVolumes();
      const dump: Record<string, unknown> = {};
      for (const pool of Object.keys(caps)) {
        const ph = client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool }));
        const h = await ph.fetchHistory().catch((x) => ({ error: String(x) }));
        writeFileSync(join(env.dir, `${c.ns}-${pool}.history.json`), JSON.stringify(h, null, 1));
        // API bindings the ledger lacks: the volumes an over-commit would come from.
        const l = await ph.query(ledgerQuery).catch(() => undefined);
        const inLedger = new Set(l?.bindings.map((b) => b.uid) ?? []);
        const extra = vs.filter((v) => v.spec.targetNodeId === pool && !inLedger.has(v.metadata.uid!)).map((v) => v.metadata.name);
        dump[pool] = { ledger: l?.bindings.length, api: vs.filter((v) => v.spec.targetNodeId === pool).length, extra };
        for (const name of extra) {
          const v = vs.find((x) => x.metadata.name === name)!;
          const vh = await client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: name!, uid: v.metadata.uid! })).fetchHistory().catch((x) => ({ error: String(x) }));
          writeFileSync(join(env.dir, `${c.ns}-${name}.history.json`), JSON.stringify(vh, null, 1));
        }
      }
      const plh = await client.workflow.getHandle(placerWorkflowId(c.ns)).fetchHistory().catch((x) => ({ error: String(x) }));
      writeFileSync(join(env.dir, `${c.ns}-placer.history.json`), JSON.stringify(plh, null, 1));
      await connection.close();
      // Kept where a CI run leaves it (the test environment's directory is removed at the end).
      const keep = join(tmpdir(), 'dct-failures', c.ns);
      mkdirSync(keep, { recursive: true });
      for (const f of readdirSync(env.dir)) if (f.startsWith(c.ns)) copyFileSync(join(env.dir, f), join(keep, f));
      throw new Error(`${(e as Error).message}\nledgers against the API server: ${JSON.stringify(dump)} (histories and the controller's log in ${keep})`);
    });
    await sampler.stop();
    assert.ok(boundAtKill < 100, `the kill happened mid-burst (${boundAtKill} bound then)`);
    if (sampler.violations.length) {
      // Before failing, say which volumes the API binds beyond the ledger, with their workflow histories on disk.
      const connection = await Connection.connect({ address: env.temporal.address });
      const client = new Client({ connection });
      const dump: Record<string, unknown> = {};
      for (const pool of Object.keys(caps)) {
        const l = await client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool })).query(ledgerQuery);
        const inLedger = new Set(l.bindings.map((b) => b.uid));
        const extra = vols.filter((v) => v.spec.targetNodeId === pool && !inLedger.has(v.metadata.uid!));
        if (!extra.length) continue;
        dump[pool] = { ledger: l.bindings.map((b) => b.key), extra: extra.map((v) => v.metadata.name) };
        for (const v of extra) {
          const h = await client.workflow.getHandle(volumeWorkflowId({ namespace: c.ns, name: v.metadata.name!, uid: v.metadata.uid! })).fetchHistory();
          writeFileSync(join(env.dir, `${c.ns}-${v.metadata.name}.history.json`), JSON.stringify(h, null, 1));
        }
        const ph = await client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool })).fetchHistory();
        writeFileSync(join(env.dir, `${c.ns}-${pool}.history.json`), JSON.stringify(ph, null, 1));
      }
      await connection.close();
      assert.fail(`over capacity: ${sampler.violations.slice(0, 3).join('; ')} …\nAPI bindings missing from the ledgers: ${JSON.stringify(dump)} (histories in ${env.dir})`);
    }

    const connection = await Connection.connect({ address: env.temporal.address });
    try {
      const client = new Client({ connection });
      const apiBound = new Map(vols.filter((v) => v.spec.targetNodeId).map((v) => [v.metadata.uid!, v.spec.targetNodeId!]));
      const seen = new Map<string, string>();
      for (const pool of Object.keys(caps)) {
        const l = await client.workflow.getHandle(poolWorkflowId({ namespace: c.ns, name: pool })).query(ledgerQuery);
        assert.ok(l.boundBytes <= caps[pool]!, `ledger of ${pool} within capacity`);
        for (const b of l.bindings) {
          assert.ok(!seen.has(b.uid), `${b.key} reserved on both ${seen.get(b.uid)} and ${pool}`);
          seen.set(b.uid, pool);
          assert.equal(apiBound.get(b.uid), pool, `${b.key}: ledger says ${pool}, API says ${apiBound.get(b.uid)}`);
        }
      }
      assert.equal(seen.size, apiBound.size, 'every API binding is in exactly one ledger, and nothing else is');
    } finally {
      await connection.close();
    }
  });
});
