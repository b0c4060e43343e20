/**
 * killStartedProcesses: what a process started (startProcess, trackChild) and did not stop is killed by the PID it
 * was started with when that process exits, a crash included (the benchmark's exit hook; before it, a benchmark
 * that crashed left its Temporal, etcd and kube-apiserver running).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventually } from '../harness/eventually.js';

/** Running, and not a zombie waiting for its reaper. */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
  } catch {
    return false;
  }
}

describe('started processes die with the process that started them', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'dct-proc-cleanup-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('kills what is still running on a crash, and leaves alone what was stopped or exited', async () => {
    const mod = pathToFileURL(join(process.cwd(), 'dist/src/embedded/process.js')).href;
    const script = `
      import { spawn } from 'node:child_process';
      const { startProcess, trackChild, killStartedProcesses } = await import(${JSON.stringify(mod)});
      process.once('exit', () => console.log('killed ' + JSON.stringify(killStartedProcesses())));
      const server = startProcess('sleeper', 'sleep', ['60'], ${JSON.stringify(join(dir, 'sleeper.log'))});
      const tracked = trackChild(spawn('sleep', ['60'], { stdio: 'ignore' }));
      const stopped = startProcess('stopped', 'sleep', ['60'], ${JSON.stringify(join(dir, 'stopped.log'))});
      await stopped.stop();
      const quick = startProcess('quick', 'true', [], ${JSON.stringify(join(dir, 'quick.log'))});
      await quick.exited;
      console.log('pids ' + JSON.stringify([server.pid, tracked.pid]));
      setTimeout(() => { throw new Error('the benchmark crashed'); }, 100);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /the benchmark crashed/);
    const pids = JSON.parse(/^pids (.*)$/m.exec(r.stdout)![1]!) as number[];
    const killed = JSON.parse(/^killed (.*)$/m.exec(r.stdout)![1]!) as number[];
    assert.deepEqual([...killed].sort(), [...pids].sort(), 'exactly the two still running');
    await eventually(() => assert.deepEqual(pids.filter(alive), []), { timeoutMs: 5_000 });
  });
});
