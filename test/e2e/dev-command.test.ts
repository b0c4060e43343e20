/**
 * The README's run command as a user runs it: `disk-controller dev --demo` starts its own Temporal dev server and
 * kube-apiserver + etcd, places the demo volumes, and Ctrl-C (SIGINT) stops every process it started.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
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
    const p = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'dev', '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    try {
      await eventually(() => assert.match(out, /demo: try/), { timeoutMs: 120_000, intervalMs: 250, what: 'demo finished' });
      assert.match(out, /Temporal at 127\.0\.0\.1:\d+; UI at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(out, /export KUBECONFIG=\S+kubeconfig/);
      assert.match(out, /demo-vol-local\s+20 GiB\s+->\s+demo-node-1\n/, 'MustLocal volume on its host');
      assert.match(out, /demo-vol-zone-b\s+10 GiB\s+->\s+demo-node-3\n/, 'pool-label-selector zone=b');
      assert.match(out, /demo-vol-too-big\s+500 GiB\s+->\s+not placed: NoStoragePoolAvailable: PoolFreeSize: 3/);
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
});
