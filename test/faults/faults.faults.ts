/**
 * `npm run test:faults`: the controller under faults, each case on real servers, bounded and loopback-only.
 * After each: every volume bound exactly once or pending with a reason, no pool over capacity at any sampled
 * instant, ledgers equal to the API server, no workflow stuck (and MySQL equal to the API server where MetaSync
 * runs). The SIGKILL and forced continue-as-new cases live in test/e2e (worker-crash, continue-as-new-burst) and
 * are run by the same npm script.
 *
 * FAULTS_CHURN_S (default 90) sets the churn case's length.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startKubeControlPlane, type KubeControlPlane } from '../../src/embedded/kube-control-plane.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import { startTemporalServer, type TemporalServer } from '../../src/embedded/temporal-server.js';
import { freePort } from '../../src/embedded/process.js';
import { metasyncOption } from '../../src/cli/common.js';
import type { RunningOperator } from '../../src/operator.js';
import { inParallel, sampleCapacity } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';
import { checkInvariants } from './invariants.js';

const CHURN_S = Number(process.env['FAULTS_CHURN_S'] ?? 90);
const log = (m: string) => console.log(`      ${m}`);

async function pools(c: TestCluster, n: number, gib: number): Promise<Record<string, number>> {
  const caps: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    caps[`pool-${i}`] = gib * GiB;
    await c.createPool(`pool-${i}`, { bytes: gib * GiB });
  }
  return caps;
}

async function boundCount(c: TestCluster): Promise<number> {
  return (await c.listVolumes()).filter((v) => v.spec.targetNodeId).length;
}

describe('faults', function () {
  this.timeout(900_000);
  let env: TestEnv;
  const cleanups: (() => Promise<unknown>)[] = [];
  before(async () => {
    env = await testEnv();
  });
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
  });

  it('two controllers at once: 130 volumes into room for 100', async () => {
    const c = await newTestCluster(env, 'f-two');
    const config = { scheduler: { maxRemoteVolumeCount: 1000 } };
    const a = await c.startOperator({ config });
    const b = await c.startOperator({ config });
    cleanups.push(() => a.stop(), () => b.stop());
    const caps = await pools(c, 5, 20);
    const sampler = sampleCapacity(c, caps);
    await inParallel(Array.from({ length: 130 }, (_, i) => i), 16, (i) => c.createVolume(`v-${i}`, { size: GiB }));
    await eventually(async () => assert.equal(await boundCount(c), 100), { timeoutMs: 240_000, intervalMs: 1000 });
    await sampler.stop();
    const r = await checkInvariants(c, a.client, caps, sampler, { onlySpaceLimits: true });
    assert.deepEqual([r.bound, r.pending], [100, 30]);
    log(`${r.volumes} volumes, ${r.bound} bound, ${r.pending} pending, ${sampler.samples} samples, ${r.workflowsChecked} workflows healthy`);
  });

  /**
   * 150 volumes into room for 120 on a Temporal of the case's own; `restart` takes it down and up again once 20
   * are bound. Afterwards: 120 bound, 30 pending, the invariants hold.
   */
  async function burstThroughTemporalRestart(
    prefix: string,
    temporal: TestEnv['temporal'],
    restart: () => Promise<TestEnv['temporal']>,
  ): Promise<string> {
    const c = await newTestCluster({ ...env, temporal }, prefix);
    const op = await c.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 1000 } } });
    cleanups.push(() => op.stop());
    const caps = await pools(c, 4, 30);
    const sampler = sampleCapacity(c, caps);
    const burst = inParallel(Array.from({ length: 150 }, (_, i) => i), 8, (i) => c.createVolume(`v-${i}`, { size: GiB }));
    await eventually(async () => assert.ok((await boundCount(c)) >= 20), { timeoutMs: 120_000, intervalMs: 100 });
    const before = await boundCount(c);
    await restart();
    await burst;
    await eventually(async () => assert.equal(await boundCount(c), 120), { timeoutMs: 300_000, intervalMs: 1000, what: '120 bound after the restart' });
    await sampler.stop();
    const r = await checkInvariants(c, op.client, caps, sampler);
    assert.deepEqual([r.bound, r.pending], [120, 30]);
    return `${before} bound at the restart; ${r.bound} bound, ${r.pending} pending afterwards; ${r.workflowsChecked} workflows healthy`;
  }

  it('Temporal (dev server on a file database) stopped and restarted mid-burst', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-fault-temporal-'));
    const port = await freePort();
    const dbFile = join(dir, 'temporal.db');
    let temporal: TemporalDevServer = await startTemporalDevServer({ dir, dbFile, port });
    cleanups.push(async () => {
      await temporal.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    log(
      await burstThroughTemporalRestart('f-tmp', temporal, async () => {
        await temporal.stop();
        await new Promise((r) => setTimeout(r, 3000));
        return (temporal = await startTemporalDevServer({ dir, dbFile, port }));
      }),
    );
  });

  it('temporal-server (PostgreSQL) killed and restarted mid-burst', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-fault-tserver-'));
    const temporal: TemporalServer = await startTemporalServer({ dir });
    cleanups.push(async () => {
      await temporal.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    // SIGKILL: every service of the server dies at once, mid-write; its state is what PostgreSQL committed.
    log(await burstThroughTemporalRestart('f-tsrv', temporal, async () => (await temporal.restart(3000, true), temporal)));
  });

  it('kube-apiserver restarted mid-burst; volumes created after the restart are placed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dct-fault-kube-'));
    const kube: KubeControlPlane = await startKubeControlPlane({ dir });
    cleanups.push(async () => {
      await kube.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const c = await newTestCluster({ ...env, kube }, 'f-kube');
    const op = await c.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 1000 } } });
    cleanups.push(() => op.stop());
    const caps = await pools(c, 4, 40);
    const sampler = sampleCapacity(c, caps);
    const burst = inParallel(Array.from({ length: 100 }, (_, i) => i), 8, (i) => c.createVolume(`v-${i}`, { size: GiB }).catch(() => undefined));
    await eventually(async () => assert.ok((await boundCount(c)) >= 20), { timeoutMs: 120_000, intervalMs: 100 });
    await kube.restartApiServer(2000);
    await burst;
    // Creations refused while the server was down are retried now, plus 30 new ones after the restart.
    const have = new Set((await c.listVolumes()).map((v) => v.metadata.name));
    const missing = Array.from({ length: 100 }, (_, i) => `v-${i}`).filter((n) => !have.has(n));
    await inParallel([...missing, ...Array.from({ length: 30 }, (_, i) => `after-${i}`)], 8, (n) => c.createVolume(n, { size: GiB }));
    await eventually(async () => assert.equal(await boundCount(c), 130), { timeoutMs: 300_000, intervalMs: 1000, what: '130 bound' });
    await sampler.stop();
    const r = await checkInvariants(c, op.client, caps, sampler);
    assert.deepEqual([r.bound, r.pending], [130, 0]);
    log(`${missing.length} creations refused during the outage were retried; ${r.bound} bound; ${r.workflowsChecked} workflows healthy`);
  });

  it(`${CHURN_S} s of create/delete churn on nearly full pools, with MetaSync`, async () => {
    const c = await newTestCluster(env, 'f-churn');
    const cluster = `churn-${randomBytes(3).toString('hex')}`;
    const { user, host, port } = env.mysql.config;
    const metasync = metasyncOption({ dbInfo: Buffer.from(`${user}@tcp(${host}:${port})/${env.mysql.database}`).toString('base64'), k8sCluster: cluster });
    const op: RunningOperator = await c.startOperator({ metasync, config: { scheduler: { maxRemoteVolumeCount: 1000 } }, timings: { metasyncSweepMs: 5000 } });
    cleanups.push(() => op.stop());
    const caps = await pools(c, 4, 10);
    const sampler = sampleCapacity(c, caps);
    // Nearly full: 36 of 40 GiB.
    await inParallel(Array.from({ length: 36 }, (_, i) => i), 8, (i) => c.createVolume(`base-${i}`, { size: GiB }));
    const live = new Set(Array.from({ length: 36 }, (_, i) => `base-${i}`));
    let created = 0;
    let deleted = 0;
    let seq = 0;
    // A deterministic pseudo-random stream, so a failure can be reproduced.
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const until = Date.now() + CHURN_S * 1000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          if (rnd() < 0.5 || live.size < 10) {
            const name = `churn-${seq++}`;
            await c.createVolume(name, { size: (1 + Math.floor(rnd() * 2)) * GiB });
            // Deletable only once created: a delete racing its own create would 404 and leave it behind.
            live.add(name);
            created++;
          } else {
            const names = [...live];
            const name = names[Math.floor(rnd() * names.length)]!;
            live.delete(name);
            await c.deleteVolume(name).catch(() => undefined);
            deleted++;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }),
    );
    await sampler.stop();
    const r = await checkInvariants(c, op.client, caps, sampler, { mysql: { config: env.mysql.config, cluster }, onlySpaceLimits: true });
    assert.equal(r.volumes, live.size);
    log(`${created} created, ${deleted} deleted in ${CHURN_S} s; ${r.bound} bound, ${r.pending} pending; MySQL equal; ${sampler.samples} samples`);
  });
});
