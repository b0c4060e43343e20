/**
 * WORKFLOW_STACK_TRACES on a real worker and dev server: off (the default), the workflow threads start from
 * src/workflow-thread-entry.ts, workflows run as before and the `__stack_trace` query says stack traces are not
 * enabled; on, the SDK's hook is back and the query names where the workflow waits.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import { startWorkflowServer, type WorkflowServer } from '../harness/workflow-server.js';
import { withWorkflowThreadLimits, workflowThreadLimitsFromEnv } from '../../src/workflow-thread-limits.js';
import { reserveReplySignal } from '../../src/workflows/messages.js';
import { repliesQuery } from './test-workflows.js';

describe('workflow stack traces (WORKFLOW_STACK_TRACES), real worker and dev server', function () {
  this.timeout(120_000);
  let env: WorkflowServer;
  let server: TemporalDevServer;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;

  before(async function () {
    env = await startWorkflowServer('dct-stacks-');
    ({ server, client, bundle } = env);
  });

  after(async function () {
    await env?.stop();
  });

  /** A worker created as the operator creates its own (the thread settings from `env`), serving one waiting workflow. */
  async function stackTraceOf(env: NodeJS.ProcessEnv): Promise<{ stack: string | Error; threads: number; replies: number; failedTasks: number }> {
    const taskQueue = `st-${randomBytes(4).toString('hex')}`;
    const nc = await NativeConnection.connect({ address: server.address });
    try {
      const threads: unknown[] = [];
      const { value: worker } = await withWorkflowThreadLimits(
        workflowThreadLimitsFromEnv(env),
        () => Worker.create({ connection: nc, namespace: server.namespace, taskQueue, workflowBundle: bundle }),
        (t) => threads.push(t),
      );
      return await worker.runUntil(async () => {
        const h = await client.workflow.start('replyCollector', { workflowId: `collector/${taskQueue}`, taskQueue });
        await h.signal(reserveReplySignal, { requestId: 'r-1', pool: 'pool-1', result: { ok: true } } as never);
        const replies = (await h.query(repliesQuery)).length;
        const stack = await h.query<string>('__stack_trace').catch((e: Error) => e);
        const failedTasks = (await h.fetchHistory()).events?.filter((e) => e.workflowTaskFailedEventAttributes).length ?? 0;
        await h.terminate();
        return { stack, threads: threads.length, replies, failedTasks };
      });
    } finally {
      await nc.close();
    }
  }

  it('off by default: the workflow runs, and the stack trace query says they are not enabled', async () => {
    const { stack, threads, replies, failedTasks } = await stackTraceOf({});
    assert.ok(threads >= 1);
    assert.equal(replies, 1);
    assert.equal(failedTasks, 0, 'no workflow task failed (AsyncLocalStorage and the SDK run as usual)');
    assert.ok(stack instanceof Error, `expected the query to fail, got ${String(stack)}`);
    assert.match(stack.message, /stack traces are not enabled/);
  });

  it('WORKFLOW_STACK_TRACES=1: the SDK’s hook is back and the query names where the workflow waits', async () => {
    const { stack, replies, failedTasks } = await stackTraceOf({ WORKFLOW_STACK_TRACES: '1' });
    assert.equal(replies, 1);
    assert.equal(failedTasks, 0);
    assert.equal(typeof stack, 'string', `expected a stack, got ${String(stack)}`);
    assert.match(stack as string, /replyCollector/);
  });
});
