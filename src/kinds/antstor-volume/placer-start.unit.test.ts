/** How the placer starts a bound volume's run (placer-activities.ts startPlacedRun): eagerly, or by signal when open. */
import assert from 'node:assert/strict';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { startPlacedRun } from './placer-activities.js';
import { registry } from '../../metrics/registry.js';

async function starts(mode: string): Promise<number> {
  const m = await registry.getSingleMetric('disk_controller_placed_run_starts_total')?.get();
  return m?.values.find((v) => v.labels['mode'] === mode)?.value ?? 0;
}
import { DEFAULT_TIMINGS, VOLUME_REVISION, volumeEventSignal, type VolumeWorkflowInput } from '../../workflows/messages.js';

type Call = { via: string; type: string; opts: Record<string, unknown> };

function fakeClient(calls: Call[], via: string, start?: () => Promise<unknown>): Client {
  return {
    workflow: {
      start: async (type: string, opts: Record<string, unknown>) => {
        calls.push({ via: `${via}.start`, type, opts });
        return start ? start() : { workflowId: opts['workflowId'], eagerlyStarted: true };
      },
      signalWithStart: async (type: string, opts: Record<string, unknown>) => {
        calls.push({ via: `${via}.signalWithStart`, type, opts });
        return { workflowId: opts['workflowId'] };
      },
    },
  } as unknown as Client;
}

const input: VolumeWorkflowInput = {
  ref: { namespace: 'ns', name: 'v1', uid: 'u1' },
  timings: DEFAULT_TIMINGS,
  placed: true,
  state: { record: { volume: 'ns/v1', phase: 'Bound', pool: 'p1', passes: 1, attempts: [] }, lastResourceVersion: '42' },
};

describe('placer: starting a bound volume run', () => {
  it('starts the run eagerly on the worker connection, with the placement record as its input and no signal', async () => {
    const calls: Call[] = [];
    const eager0 = await starts('eager');
    await startPlacedRun({ temporal: fakeClient(calls, 'plain'), eagerTemporal: fakeClient(calls, 'eager'), taskQueue: 'tq', timings: DEFAULT_TIMINGS }, input, '42');
    assert.equal(await starts('eager'), eager0 + 1, 'counted as an eager start');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.via, 'eager.start');
    assert.equal(calls[0]!.type, 'volumeWorkflow');
    assert.equal(calls[0]!.opts['requestEagerStart'], true);
    assert.equal(calls[0]!.opts['workflowId'], 'volume/ns/v1/u1');
    assert.deepEqual((calls[0]!.opts['args'] as VolumeWorkflowInput[])[0], { ...input, rev: VOLUME_REVISION }, 'started for the current code revision');
  });

  it('signals a run that is already open (with the binding version) instead of failing the batch', async () => {
    const calls: Call[] = [];
    const conflict = async () => {
      throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', 'volume/ns/v1/u1', 'volumeWorkflow');
    };
    const signalled0 = await starts('signalled');
    await startPlacedRun({ temporal: fakeClient(calls, 'plain'), eagerTemporal: fakeClient(calls, 'eager', conflict), taskQueue: 'tq', timings: DEFAULT_TIMINGS }, input, '42');
    assert.equal(await starts('signalled'), signalled0 + 1);
    assert.deepEqual(calls.map((c) => c.via), ['eager.start', 'plain.signalWithStart']);
    assert.equal(calls[1]!.opts['signal'], volumeEventSignal);
    assert.deepEqual(calls[1]!.opts['signalArgs'], [{ resourceVersion: '42' }]);
  });

  it('lets any other start error fail the activity (it is retried), without a second start', async () => {
    const calls: Call[] = [];
    const down = async () => {
      throw new Error('14 UNAVAILABLE: connection refused');
    };
    await assert.rejects(
      startPlacedRun({ temporal: fakeClient(calls, 'plain'), eagerTemporal: fakeClient(calls, 'eager', down), taskQueue: 'tq', timings: DEFAULT_TIMINGS }, input, '42'),
      /UNAVAILABLE/,
    );
    assert.deepEqual(calls.map((c) => c.via), ['eager.start']);
  });

  it('without a worker connection (EAGER_START=0) uses signalWithStart, as v0.8.0 did', async () => {
    const calls: Call[] = [];
    await startPlacedRun({ temporal: fakeClient(calls, 'plain'), taskQueue: 'tq', timings: DEFAULT_TIMINGS }, input, '42');
    assert.deepEqual(calls.map((c) => c.via), ['plain.signalWithStart']);
  });
});
