/**
 * Raw limits taken in the same run on the same servers, so placement speed can be read as a ratio that does not
 * drift with the machine: a bare merge-patch loop against the API server, and the Temporal floor (N bare
 * workflows with the round trips of one placement, bench/floor-workflows.ts).
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '../src/kube/client-node.js';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { Finalizers, GROUP, PLURAL_VOLUME, VERSION } from '../src/api/constants.js';
import { REPO_ROOT } from '../src/embedded/bins.js';
import { inParallel } from '../test/harness/capacity-sampler.js';
import { GiB, newTestCluster } from '../test/harness/cluster.js';
import type { TestEnv } from '../test/harness/env.js';
import { floorAsk, floorReply, floorWake, type FloorSinks } from './floor-workflows.js';
import type { InjectedSinks } from '@temporalio/worker';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Merge patches per second on AntstorVolumes nobody watches, one at a time and `concurrency` at a time. */
export async function patchLoop(env: TestEnv, concurrency: number, durationMs = 5000): Promise<number> {
  const c = await newTestCluster(env, 'patch');
  const co = env.kube.kubeConfig.makeApiClient(CustomObjectsApi);
  const names = Array.from({ length: Math.max(concurrency, 16) }, (_, i) => `p-${i}`);
  await inParallel(names, 8, (n) => c.createVolume(n, { size: GiB }));
  let done = 0;
  const until = performance.now() + durationMs;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let k = 0; performance.now() < until; k++) {
        const name = names[(w + k * concurrency) % names.length]!;
        await co.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name, body: { metadata: { labels: { bench: String(k) } } } },
          merge,
        );
        done++;
      }
    }),
  );
  return (done / (performance.now() - t0)) * 1000;
}

/**
 * W3's raw limit (v0.17.0): deletions per second when nothing but the two writes a deletion needs reach the API
 * server — the DELETE (which, with a finalizer, only sets deletionTimestamp) and the patch that removes the
 * finalizer — `concurrency` volumes at a time, no controller running.
 */
export async function deleteLoop(env: TestEnv, concurrency: number, n = 500): Promise<number> {
  const c = await newTestCluster(env, 'del');
  const co = env.kube.kubeConfig.makeApiClient(CustomObjectsApi);
  const at = (name: string) => ({ group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name });
  const names = Array.from({ length: n }, (_, i) => `d-${i}`);
  await inParallel(names, 16, async (name) => {
    await c.createVolume(name, { size: GiB });
    await co.patchNamespacedCustomObject({ ...at(name), body: { metadata: { finalizers: [Finalizers.InState] } } }, merge);
  });
  const t0 = performance.now();
  await inParallel(names, concurrency, async (name) => {
    await co.deleteNamespacedCustomObject(at(name));
    await co.patchNamespacedCustomObject({ ...at(name), body: { metadata: { finalizers: null } } }, merge);
  });
  const rate = (n / (performance.now() - t0)) * 1000;
  await c.stop();
  return rate;
}

/** Floor "placements" per second: n bare volume workflows into `pools` bare pool workflows, `concurrency` starts at a time. */
export async function temporalFloor(env: TestEnv, n: number, pools: number, concurrency: number): Promise<number> {
  const taskQueue = `floor-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address: env.temporal.address });
  const client = new Client({ connection, namespace: env.temporal.namespace });
  const bundle = await bundleWorkflowCode({
    workflowsPath: join(REPO_ROOT, 'dist', 'bench', 'floor-workflows.js'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  let finished = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const nc = await NativeConnection.connect({ address: env.temporal.address });
  const worker = await Worker.create({
    connection: nc,
    namespace: env.temporal.namespace,
    taskQueue,
    workflowBundle: bundle,
    maxCachedWorkflows: 2000,
    activities: {
      async floorSignalPool({ pool, replyTo }: { pool: string; replyTo: string }) {
        await client.workflow.signalWithStart('floorPool', { workflowId: `floor-pool/${taskQueue}/${pool}`, taskQueue, args: [], signal: floorAsk, signalArgs: [{ replyTo }] });
      },
      async floorReplyTo({ replyTo }: { replyTo: string[] }) {
        await Promise.all(replyTo.map((id) => client.workflow.getHandle(id).signal(floorReply)));
      },
      async floorNoop() {
        if (++finished === n) resolveAll();
      },
    },
  });
  try {
    return await worker.runUntil(async () => {
      const t0 = performance.now();
      await inParallel(Array.from({ length: n }, (_, i) => i), concurrency, (i) =>
        client.workflow.signalWithStart('floorVolume', {
          workflowId: `floor-vol/${taskQueue}/${i}`,
          taskQueue,
          args: [`p${i % pools}`],
          signal: floorWake,
          signalArgs: [],
        }),
      );
      await Promise.race([all, new Promise((r) => setTimeout(r, 600_000))]);
      return (finished / (performance.now() - t0)) * 1000;
    });
  } finally {
    await nc.close();
    await connection.close();
  }
}

/**
 * The start floor of v0.8.0's placement: n bare runs, each started with a placement-sized input and ending in its
 * first workflow task, `concurrency` starts at a time; `eager` starts them as the placer does (the first task comes
 * back in the start's response, on the worker's own connection).
 */
export async function temporalStartFloor(env: TestEnv, n: number, concurrency: number, eager: boolean, patches = 0): Promise<number> {
  const taskQueue = `sfloor-${randomBytes(4).toString('hex')}`;
  const bundle = await bundleWorkflowCode({
    workflowsPath: join(REPO_ROOT, 'dist', 'bench', 'floor-workflows.js'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const nc = await NativeConnection.connect({ address: env.temporal.address });
  const client = new Client({ connection: nc, namespace: env.temporal.namespace });
  let finished = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const sinks: InjectedSinks<FloorSinks> = {
    floor: { done: { fn: () => void (++finished === n && resolveAll()), callDuringReplay: false } },
  };
  const worker = await Worker.create({ connection: nc, namespace: env.temporal.namespace, taskQueue, workflowBundle: bundle, maxCachedWorkflows: 2000, sinks });
  const record = 'x'.repeat(2048);
  try {
    return await worker.runUntil(async () => {
      const t0 = performance.now();
      await inParallel(Array.from({ length: n }, (_, i) => i), concurrency, (i) =>
        client.workflow.start('floorRun', { workflowId: `sfloor/${taskQueue}/${i}`, taskQueue, args: [record, patches], ...(eager ? { requestEagerStart: true } : {}) }),
      );
      await Promise.race([all, new Promise((r) => setTimeout(r, 600_000))]);
      return (finished / (performance.now() - t0)) * 1000;
    });
  } finally {
    await nc.close();
  }
}
