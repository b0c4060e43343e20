/**
 * examples/custom-plugin run as its own process, as a user would run their custom controller: its reconciler
 * plugin leaves a mark on every pool and volume, and its filter (listed in its config) steers placement.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { freePort } from '../../src/embedded/process.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

describe('e2e: examples/custom-plugin', function () {
  let c: TestCluster;
  let p: ChildProcess | undefined;
  after(async () => {
    if (p && p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p!.once('exit', r));
    }
  });

  it("runs its plugin on every pool and volume, and its SameRack filter steers placement", async () => {
    const env = await testEnv();
    c = await newTestCluster(env, 'example');
    const log = createWriteStream(join(env.dir, `${c.ns}-example.log`));
    const probe = await freePort();
    p = spawn(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'examples', 'custom-plugin', 'main.js'), '--config', join(REPO_ROOT, 'examples', 'custom-plugin', 'config.yaml'),
        '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address, '--namespace', c.ns,
        '--task-queue', `tq-${c.ns}`, '--probeAddr', `127.0.0.1:${probe}`],
      { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    await eventually(async () => assert.equal((await fetch(`http://127.0.0.1:${probe}/readyz`)).status, 200), { timeoutMs: 120_000, intervalMs: 250, what: 'example controller ready' });
    for (const [name, rack] of [['rack1-node', 'r1'], ['rack2-node', 'r2']] as const)
      await c.createPool(name, { bytes: 50 * GiB, nodeLabels: { 'example.com/rack': rack } });
    await c.createVolume('wants-r2', { size: GiB, hostNode: 'rack1-node', annotations: { 'example.com/rack': 'r2' } });
    await c.createVolume('wants-r9', { size: GiB, hostNode: 'rack1-node', annotations: { 'example.com/rack': 'r9' } });
    await c.createVolume('anywhere', { size: GiB, hostNode: 'rack1-node', positionAdvice: 'PreferLocal' });

    await eventually(async () => assert.equal((await c.getVolume('wants-r2')).spec.targetNodeId, 'rack2-node'), { timeoutMs: 60_000 });
    await eventually(async () => assert.equal((await c.getVolume('wants-r9')).status?.msg, 'NoStoragePoolAvailable: RackNotMatch: 2'), { timeoutMs: 30_000 });
    await eventually(async () => {
      for (const v of await c.listVolumes()) assert.equal(v.metadata.annotations?.['example.com/reconciled-by'], 'custom-controller', `volume ${v.metadata.name}`);
      for (const x of await c.listPools()) assert.equal(x.metadata.annotations?.['example.com/reconciled-by'], 'custom-controller', `pool ${x.metadata.name}`);
    }, { timeoutMs: 30_000, what: 'every object stamped by the plugin' });
  });

  it('fails startup with a clear error when its plugin config is wrong', async () => {
    const env = await testEnv();
    const cfg = join(env.dir, 'bad-example.yaml');
    (await import('node:fs')).writeFileSync(cfg, 'scheduler: {filters: [Basic, SameRack]}\npluginConfigs: {Stamp: {value: 3}}\n');
    const bad = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'examples', 'custom-plugin', 'main.js'), '--config', cfg,
      '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address, '--namespace', 'whatever', '--probeAddr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => bad.once('exit', r));
    assert.equal(code, 1);
    assert.match(err, /plugin factory #2 of the StoragePool reconciler \(newStampPlugin\) failed: pluginConfigs.Stamp.value must be a string/);
  });
});
