/**
 * A stuck workflow is never silent: the controller (its own process, as deployed) logs a workflow whose task keeps
 * failing at error level with its id, type and error, and lists it on /status — here a workflow type this build
 * does not have (what a rollout with version skew produces).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { freePort } from '../../src/embedded/process.js';
import { eventually } from '../harness/eventually.js';
import { testEnv } from '../harness/env.js';

describe('e2e: a stuck workflow is reported', function () {
  let p: ChildProcess | undefined;
  after(async () => {
    if (p && p.exitCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p!.once('exit', r));
    }
  });

  it('logs it at error level naming the workflow and its error, and lists it on /status', async () => {
    const env = await testEnv();
    const ns = `stuck-${randomBytes(3).toString('hex')}`;
    const tq = `tq-${ns}`;
    const probe = await freePort();
    p = spawn(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'operator', '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address,
        '--namespace', ns, '--task-queue', tq, '--probeAddr', `127.0.0.1:${probe}`],
      { env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', DB_INFO: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout!.on('data', (b) => (out += b));
    p.stderr!.on('data', (b) => (out += b));
    await eventually(async () => assert.equal((await fetch(`http://127.0.0.1:${probe}/readyz`)).status, 200), { timeoutMs: 120_000, what: 'ready' });

    const connection = await Connection.connect({ address: env.temporal.address });
    try {
      const client = new Client({ connection, namespace: env.temporal.namespace });
      const id = `${ns}/from-a-newer-build`;
      await client.workflow.start('volumeWorkflowV9', { workflowId: id, taskQueue: tq, args: [] });
      const line = await eventually(
        () => {
          const l = out.split('\n').find((x) => x.includes('workflow task failed') && x.includes(id));
          assert.ok(l, 'an error line about the failing workflow task');
          const j = JSON.parse(l) as Record<string, unknown>;
          assert.equal(j['workflowId'], id);
          return j;
        },
        { timeoutMs: 60_000, what: 'error log line' },
      );
      assert.equal(line['level'], 'error');
      assert.equal(line['workflowType'], 'volumeWorkflowV9');
      assert.match(String(line['error']), /volumeWorkflowV9/);
      const status = (await (await fetch(`http://127.0.0.1:${probe}/status`)).json()) as {
        workflowTaskFailures: { total: number; failing: { workflowId?: string; error: string; count: number }[] };
      };
      assert.ok(status.workflowTaskFailures.total >= 1);
      const f = status.workflowTaskFailures.failing.find((x) => x.workflowId === id);
      assert.ok(f, `listed on /status: ${JSON.stringify(status)}`);
      assert.match(f.error, /volumeWorkflowV9/);
      // Liveness is not failed by it: a restart would fix nothing.
      assert.equal((await fetch(`http://127.0.0.1:${probe}/healthz`)).status, 200);
      await client.workflow.getHandle(id).terminate('test done');
    } finally {
      await connection.close();
    }
  });
});
