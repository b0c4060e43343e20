/**
 * The container image, verified without a Docker daemon or registry (`npm run test:image`): built from the
 * Dockerfile by buildah on a base assembled from Debian's packages (scripts/image/), checked from the outside
 * (scripts/image/verify.sh), then the operator run FROM THE IMAGE (buildah run, chroot isolation, host network)
 * against this test's real kube-apiserver and Temporal places a volume. docker-compose.yml's controller command is
 * parsed with the CLI's own flag spec, and the files it names are in the image.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { freePort } from '../../src/embedded/process.js';
import { operatorOptionsSpec } from '../../src/cli/operator-command.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';
import { deployedEnv, deployedNodeOptions } from '../../bench/workload.js';
import { GiB, newTestCluster } from '../harness/cluster.js';

const IMAGE = 'localhost/disk-controller-temporal:dev';
const buildahEnv = { ...process.env, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' };
const buildah = (...args: string[]) => execFileSync('buildah', args, { env: buildahEnv, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
const script = (name: string) => execFileSync('bash', [join(REPO_ROOT, 'scripts', 'image', name)], { env: buildahEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

describe('image: built by buildah, verified, and run against the real servers', function () {
  this.timeout(60 * 60_000);
  const containers: string[] = [];
  let op: ChildProcess | undefined;
  after(() => {
    if (op?.pid && op.exitCode === null) {
      try {
        process.kill(-op.pid, 'SIGKILL'); // the process group we started (buildah run and the operator in it)
      } catch {
        /* gone */
      }
    }
    // vfs keeps a full copy per working container: remove ours before the process exits.
    for (const c of containers) execFileSync('buildah', ['rm', c], { env: buildahEnv, stdio: 'ignore' });
  });

  it('builds from the Dockerfile on a local Debian base (no registry, no daemon)', () => {
    script('build.sh');
    assert.match(buildah('images', '--format', '{{.Name}}:{{.Tag}}'), /localhost\/disk-controller-temporal:dev/);
  });

  it('passes the image checks: non-root, entrypoint, workflow bundle, no dev dependencies, starts', () => {
    const out = script('verify.sh');
    for (const what of ['user node', 'entrypoint', 'workflow bundle', 'no dev dependencies', 'client-node bundled', '--help runs', 'native core loads'])
      assert.match(out, new RegExp(`^ok .*${what.replace(/[-.]/g, '\\$&')}`, 'm'), out);
  });

  it('runs Node with the memory settings deploy/deployment.yaml sets (the ones the benchmark measures)', () => {
    const env = (JSON.parse(buildah('inspect', '--type', 'image', IMAGE)) as { OCIv1: { config: { Env?: string[] } } }).OCIv1.config.Env ?? [];
    assert.ok(env.includes(`NODE_OPTIONS=${deployedNodeOptions()}`), env.join(' '));
    assert.ok(env.includes(`MALLOC_ARENA_MAX=${deployedEnv('MALLOC_ARENA_MAX')}`), env.join(' '));
    assert.ok(env.includes(`MALLOC_MMAP_THRESHOLD_=${deployedEnv('MALLOC_MMAP_THRESHOLD_')}`), env.join(' '));
  });

  it('docker-compose.yml’s controller command parses with the CLI’s flags, and its files are in the image', () => {
    const compose = parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command: string[] }> };
    const [cmd, ...args] = compose.services['controller']!.command;
    assert.equal(cmd, 'operator');
    const { values } = parseArgs({ args, options: operatorOptionsSpec.options, strict: true, allowPositionals: false });
    const ctr = buildah('from', '--pull-never', IMAGE);
    containers.push(ctr);
    for (const flag of ['workflow-bundle', 'config'] as const) {
      const path = values[flag] as string;
      assert.ok(path, `compose passes --${flag}`);
      execFileSync('buildah', ['run', '--isolation', 'chroot', ctr, '--', 'test', '-s', path], { env: buildahEnv });
    }
  });

  it('the operator started from the image places a volume on the test’s API server and Temporal', async () => {
    const env = await testEnv();
    const c = await newTestCluster(env, 'image');
    const probe = await freePort();
    // The operator runs as user node in the image: give it a readable copy of the (0600, root-owned) kubeconfig.
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'dct-image-')), 'kubeconfig');
    copyFileSync(env.kube.kubeconfigPath, kubeconfig);
    chmodSync(kubeconfig, 0o644);
    chmodSync(dirname(kubeconfig), 0o755);
    const ctr = buildah('from', '--pull-never', IMAGE);
    containers.push(ctr);
    let out = '';
    op = spawn(
      'buildah',
      ['run', '--isolation', 'chroot', '--network', 'host', '--user', 'node', '-v', `${kubeconfig}:/kube/config:ro`,
        '--env', 'KUBECONFIG=/kube/config', '--env', `TEMPORAL_ADDRESS=${env.temporal.address}`, '--env', 'LOG_LEVEL=warn',
        ctr, '--', 'node', 'dist/src/cli.js', 'operator', '--workflow-bundle=/app/dist/workflow-bundle.js', '--config=/app/config/default.yaml',
        `--namespace=${c.ns}`, `--task-queue=tq-${c.ns}`, `--probeAddr=127.0.0.1:${probe}`, '--metricsAddr=0'],
      { env: buildahEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    op.stdout!.on('data', (d) => (out += d));
    op.stderr!.on('data', (d) => (out += d));
    await eventually(async () => assert.equal((await fetch(`http://127.0.0.1:${probe}/readyz`)).status, 200), { timeoutMs: 120_000, intervalMs: 500, what: `operator in the image ready\n${out}` });
    await c.createPool('node-a', { bytes: 10 * GiB });
    await c.createVolume('v1', { size: GiB, hostNode: 'node-a' });
    await eventually(async () => assert.equal((await c.getVolume('v1')).spec.targetNodeId, 'node-a'), { timeoutMs: 60_000, what: `v1 bound by the containerised operator\n${out}` });
    process.kill(-op.pid!, 'SIGTERM');
    await new Promise((r) => op!.once('exit', r));
    await c.stop();
  });
});
