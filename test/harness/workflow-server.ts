/**
 * A real Temporal dev server and the test workflows' bundle (test/workflows/test-workflows.ts: the controller's
 * workflows plus test helpers), for workflow-level tests that run their own workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import { REPO_ROOT } from '../../src/embedded/bins.js';

export interface WorkflowServer {
  server: TemporalDevServer;
  client: Client;
  bundle: WorkflowBundleWithSourceMap;
  stop(): Promise<void>;
}

/** Starts both at once; `extraArgs` go to the dev server (e.g. a dynamic config value). */
export async function startWorkflowServer(prefix: string, extraArgs: string[] = []): Promise<WorkflowServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const [server, bundle] = await Promise.all([
    startTemporalDevServer({ dir, ...(extraArgs.length ? { extraArgs } : {}) }),
    bundleWorkflowCode({
      workflowsPath: join(REPO_ROOT, 'dist', 'test', 'workflows', 'test-workflows.js'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
    }),
  ]);
  const connection = await Connection.connect({ address: server.address });
  return {
    server,
    bundle,
    client: new Client({ connection, namespace: server.namespace }),
    async stop() {
      await connection.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
