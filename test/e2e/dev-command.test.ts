/**
 * The README's run command as a user runs it: `disk-controller dev --demo` starts its own Temporal dev server and
 * kube-apiserver + etcd, places the demo volumes, prints the exports and an explain hint that run as printed, and
 * Ctrl-C (SIGINT) stops every process it started. With a cluster taken from the environment, --demo refuses.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_NAMESPACE } from '../../src/api/constants.js';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { eventually } from '../harness/eventually.js';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('e2e: `disk-controller dev --demo` (the README run command)', function () {
  it('starts everything, places the demo volumes, and stops everything on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env['KUBECONFIG'];
    delete env['TEMPORAL_ADDRESS'];
    // As a user runs it from the repo: `node dist/src/cli.js dev --demo`.
    const p = spawn(process.execPath, [join('dist', 'src', 'cli.js'), 'dev', '--demo'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    try {
      await eventually(() => assert.match(out, /demo: try.*\n {2}\S.*\n/), { timeoutMs: 120_000, intervalMs: 250, what: 'demo finished' });
      const temporalAt = /Temporal at (127\.0\.0\.1:\d+); UI at http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[1];
      assert.ok(temporalAt, out);
      assert.match(out, /dev: using API server https:\/\/127\.0\.0\.1:\d+ \(embedded kube-apiserver\)\n/);
      assert.ok(out.includes(`dev: using Temporal ${temporalAt} (embedded dev server)\n`), out);
      const exported = Object.fromEntries([...out.matchAll(/^dev: export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      assert.deepEqual(Object.keys(exported).sort(), ['KUBECONFIG', 'TEMPORAL_ADDRESS']);
      assert.equal(exported['TEMPORAL_ADDRESS'], temporalAt);
      assert.match(exported['KUBECONFIG']!, /kubeconfig$/);
      // The explain hint, run exactly as printed, from the repo, in a shell with only the printed exports added.
      const hint = /demo: try.*\n {2}(\S.*)\n/.exec(out)![1]!;
      assert.equal(hint, `node dist/src/cli.js explain ${DEFAULT_NAMESPACE}/demo-vol-zone-b`);
      const explain = spawnSync('sh', ['-c', hint], { cwd: REPO_ROOT, env: { ...env, ...exported }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(explain.status, 0, `${hint}\n${explain.stdout}\n${explain.stderr}`);
      assert.match(explain.stdout, /demo-vol-zone-b: \S+ on pool demo-node-3\n/, explain.stdout);
      assert.match(explain.stdout, /filter \S+: \d+ in/, explain.stdout);
      assert.match(out, /demo-vol-local\s+20 GiB\s+->\s+demo-node-1\n/, 'MustLocal volume on its host');
      assert.match(out, /demo-vol-zone-b\s+10 GiB\s+->\s+demo-node-3\n/, 'pool-label-selector zone=b');
      assert.match(out, /demo-vol-too-big\s+500 GiB\s+->\s+not placed: NoStoragePoolAvailable: PoolFreeSize: \d+/);
      // The other kinds: a volume group held and placed on two zone-a pools, a migration to the other SPDK pool.
      assert.match(out, /demo: volume group demo-group \(60 GiB\): every member held on its pool before any was created, then placed\n/);
      const members = [...out.matchAll(/^ {2}demo-group-[a-z0-9]{10}\s+(\d+) GiB\s+->\s+(\S+)$/gm)].map((m) => [Number(m[1]), m[2]]);
      assert.equal(members.reduce((a, [g]) => a + (g as number), 0), 60, out);
      assert.ok(members.every(([, p]) => p === 'demo-node-1' || p === 'demo-node-2'), out);
      assert.match(out, /demo: migration demo-migration of demo-vol-spdk: phase SetupPipe, destination mig-[0-9a-f-]{36} on demo-spdk-2\n {2}waiting for the agents: migration pipe is not connected/);
      const kids = childrenOf(p.pid!);
      assert.ok(kids.length >= 3, `expected temporal, etcd and kube-apiserver children, got ${kids.join(',')}`);
      p.kill('SIGINT');
      assert.equal(await exited, 0, out.slice(-2000));
      assert.match(out, /dev: stopped/);
      for (const k of kids) assert.equal(alive(k), false, `child ${k} still running after Ctrl-C`);
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  });

  for (const [name, value] of [
    ['KUBECONFIG', '/nonexistent/kubeconfig'],
    ['TEMPORAL_ADDRESS', '127.0.0.1:1'],
  ] as const) {
    it(`--demo refuses a cluster taken from ${name} unless --yes-use-existing`, () => {
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
      delete env['KUBECONFIG'];
      delete env['TEMPORAL_ADDRESS'];
      env[name] = value;
      const r = spawnSync(process.execPath, [join('dist', 'src', 'cli.js'), 'dev', '--demo'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
      assert.ok(r.stderr.includes(`dev: refusing --demo: ${name}=${value} is set`), r.stderr);
      assert.match(r.stderr, /--yes-use-existing/);
      assert.doesNotMatch(r.stdout, /starting/, 'nothing was started');
    });
  }
});
