/**
 * `simulate` against a live API server: it only reads (no object's resourceVersion moves), and its what-if answer is
 * what the controller then does with that volume for real. An unreachable API server is an error naming it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulationResult } from '../../src/scheduler/simulate.js';
import { runCli } from '../harness/cli.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

const simulate = (args: string[]) => runCli(['simulate', ...args]);

describe('e2e: simulate on the live cluster', function () {
  let env: TestEnv;
  let c: TestCluster;

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'sim');
    await c.startOperator();
  });
  after(async () => c?.stop());

  it('reads only, and where it says a what-if volume would go is where the controller then puts it', async () => {
    await c.createPool('node-a', { bytes: 40 * GiB });
    await c.createPool('node-b', { bytes: 100 * GiB });
    await c.createPool('node-c', { bytes: 60 * GiB, labels: { zone: 'b' } });
    await c.createVolume('first', { size: 30 * GiB, hostNode: 'node-a', positionAdvice: 'MustLocal' });
    await c.createVolume('second', { size: 50 * GiB, hostNode: 'node-b' });
    await eventually(async () => assert.deepEqual((await c.listVolumes()).filter((v) => !v.spec.targetNodeId).map((v) => v.metadata.name), []), {
      timeoutMs: 60_000,
      what: 'first and second bound',
    });
    const versions = async () =>
      [...(await c.listPools()), ...(await c.listVolumes())].map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
    // Let the pools' own writes after binding (status, ledger bookkeeping) finish: two equal readings 1 s apart.
    const before = await eventually(
      async () => {
        const a = await versions();
        await new Promise((r) => setTimeout(r, 1000));
        assert.deepEqual(await versions(), a);
        return a;
      },
      { timeoutMs: 30_000, what: 'objects settled' },
    );

    const whatIf = (name: string, spec: string) => `name=${name},${spec}`;
    const cases = [
      ['w-local', 'size=20Gi,position=MustLocal,hostNode=node-a'], // node-a has 10Gi left: pending
      ['w-zone', 'size=20Gi,hostNode=node-a,annotation.obnvmf/pool-label-selector=zone=b'],
      ['w-any', 'size=30Gi,hostNode=node-b,position=PreferLocal'],
    ] as const;
    const predicted: Record<string, SimulationResult['volumes'][number]> = {};
    for (const [name, spec] of cases) {
      const r = await simulate(['--kubeconfig', env.kube.kubeconfigPath, '--namespace', c.ns, '--add-volume', whatIf(name, spec), '-o', 'json']);
      assert.ok(r.code === 0 || r.code === 4, r.err);
      const res = JSON.parse(r.out) as SimulationResult;
      assert.deepEqual(res.volumes.map((v) => v.volume), [`${c.ns}/${name}`], 'nothing else is pending');
      predicted[name] = res.volumes[0]!;
    }
    assert.equal(predicted['w-local']!.result, 'pending');
    assert.match(predicted['w-local']!.message, /^NoStoragePoolAvailable: .*PoolFreeSize: 1/);
    assert.equal(predicted['w-zone']!.pool, 'node-c');
    assert.equal(predicted['w-any']!.pool, 'node-b');
    assert.deepEqual(await versions(), before, 'simulate wrote nothing');

    // Now for real, one at a time (each simulation saw only the bound volumes).
    for (const [name, spec] of cases) {
      const m = Object.fromEntries(spec.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      await c.createVolume(name, {
        size: Number.parseInt(m['size']!, 10) * GiB,
        hostNode: m['hostNode']!,
        ...(m['position'] ? { positionAdvice: m['position'] } : {}),
        ...(m['annotation.obnvmf/pool-label-selector'] ? { annotations: { 'obnvmf/pool-label-selector': m['annotation.obnvmf/pool-label-selector'] } } : {}),
      });
      const v = await eventually(
        async () => {
          const x = await c.getVolume(name);
          assert.ok(x.spec.targetNodeId || x.status?.msg, 'decided');
          return x;
        },
        { timeoutMs: 60_000, what: `${name} decided` },
      );
      if (predicted[name]!.pool) assert.equal(v.spec.targetNodeId, predicted[name]!.pool, name);
      else {
        assert.equal(v.spec.targetNodeId ?? '', '', name);
        assert.equal(v.status?.msg, predicted[name]!.message, `${name}: the same status.msg`);
      }
      if (name === 'w-local') await c.deleteVolume(name);
    }
  });

  it('the table names the what-if and ends with the count; an unreachable API server is an error naming it', async () => {
    const r = await simulate(['--kubeconfig', env.kube.kubeconfigPath, '--namespace', c.ns, '--add-volume', 'name=big,size=2Ti']);
    assert.equal(r.code, 4, r.err);
    assert.match(r.out, new RegExp(`^${c.ns}/big \\(what-if\\) +2Ti +- +pending +- +NoStoragePoolAvailable: PoolFreeSize: 3$`, 'm'));
    assert.match(r.out, /0 of 1 pending volumes would be placed; nothing was written/);

    const dir = mkdtempSync(join(tmpdir(), 'dct-sim-'));
    const kc = join(dir, 'kubeconfig');
    writeFileSync(
      kc,
      'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\n' +
        'users: [{name: x, user: {token: secret-token-value}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n',
    );
    const bad = await simulate(['--kubeconfig', kc, '--namespace', c.ns]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, new RegExp(`simulate: cannot list StoragePools in namespace ${c.ns} from https://127\\.0\\.0\\.1:1: `));
    assert.doesNotMatch(bad.err, /secret-token-value/);
  });
});
