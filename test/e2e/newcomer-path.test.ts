/**
 * The README's newcomer path, run exactly as written: `node dist/src/cli.js dev` (embedded servers), its two
 * printed exports, then each line of the README block marked `newcomer-path` in a shell from the repository, with
 * the Go-built kubectl on PATH. Checks what each line is there to show.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kubectlPath, REPO_ROOT } from '../../src/embedded/bins.js';
import { eventually } from '../harness/eventually.js';

/** The lines of the first ```sh block after the `newcomer-path` marker. */
export function readmeNewcomerLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- newcomer-path');
  assert.ok(at >= 0, 'README has the newcomer-path block');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, 'a sh code block follows the marker');
  return block[1]!.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

describe('e2e: the README newcomer path (dev, examples/manifests, kubectl, explain, simulate)', function () {
  it('runs every line as printed and each does what the README says', async () => {
    const lines = readmeNewcomerLines();
    assert.ok(lines.length >= 6, lines.join('\n'));
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete env['KUBECONFIG'];
    delete env['TEMPORAL_ADDRESS'];
    const dev = spawn(process.execPath, [join('dist', 'src', 'cli.js'), 'dev'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    dev.stdout.on('data', (d) => (out += d));
    dev.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
    try {
      await eventually(() => assert.match(out, /dev: controller running on namespace obnvmf/), { timeoutMs: 120_000, intervalMs: 250, what: `dev started\n${out}` });
      const exported = Object.fromEntries([...out.matchAll(/^dev: export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
      const shellEnv = { ...env, ...exported, PATH: `${dirname(kubectlPath())}:${env['PATH']}` };
      const results: { line: string; status: number | null; stdout: string; stderr: string }[] = [];
      for (const line of lines) {
        const r = spawnSync('bash', ['-c', line], { cwd: REPO_ROOT, env: shellEnv, encoding: 'utf8', timeout: 120_000 });
        results.push({ line, status: r.status, stdout: r.stdout, stderr: r.stderr });
        // simulate exits 4 when something would stay pending (documented); every other line must succeed.
        const ok = line.includes(' simulate ') ? r.status === 0 || r.status === 4 : r.status === 0;
        assert.ok(ok, `"${line}" exited ${r.status}\n${r.stdout}\n${r.stderr}\n--- dev ---\n${out.slice(-3000)}`);
      }
      const output = (prefix: string) => results.find((r) => r.line.startsWith(prefix))!.stdout;
      assert.match(output('kubectl apply -f examples/manifests/pools.yaml'), /storagepool\.volume\.antstor\.alipay\.com\/node-3 created/);
      assert.match(output('kubectl apply -f examples/manifests/pools.yaml'), /lease\.coordination\.k8s\.io\/node-3 created/);
      assert.match(output('examples/manifests/agent.sh'), /reported Spdk and Lvm OK on node-1 node-2 node-3\n.*renewed the Leases of node-1 node-2 node-3/);
      // Every volume decided: three placed where the manifest's comments say, one pending with LiteIO's reason.
      const table = await eventually(
        () => {
          const r = spawnSync('bash', ['-c', lines.find((l) => l.startsWith('kubectl get antstorvolumes'))!], { cwd: REPO_ROOT, env: shellEnv, encoding: 'utf8' });
          assert.match(r.stdout, /^vol-too-big +<none> +NoStoragePoolAvailable: PoolFreeSize: 3$/m, r.stdout);
          return r.stdout;
        },
        { timeoutMs: 90_000, what: 'vol-too-big decided' },
      );
      assert.match(table, /^NAME +POOL +MESSAGE$/m);
      assert.match(table, /^vol-local +node-1 /m);
      assert.match(table, /^vol-zone-b +node-3 /m);
      assert.match(table, /^vol-big +node-2 /m);
      assert.match(output('node dist/src/cli.js explain'), /^volume obnvmf\/vol-zone-b: Bound on pool node-3$/m);
      const sim = output('node dist/src/cli.js simulate');
      assert.match(sim, /^obnvmf\/vol-too-big +500Gi +- +pending +- +NoStoragePoolAvailable: PoolFreeSize: 3$/m);
      assert.match(sim, /^obnvmf\/big \(what-if\) +2Ti +MustLocal +pending +- +NoStoragePoolAvailable: /m);
      assert.match(sim, /nothing was written/);
      dev.kill('SIGINT');
      assert.equal(await exited, 0, out.slice(-2000));
    } finally {
      if (dev.exitCode === null) dev.kill('SIGKILL');
    }
  });
});
