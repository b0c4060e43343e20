/** Starts `temporal server start-dev` on 127.0.0.1 with the project's search attributes registered. */
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';
import { temporalCliPath } from './bins.js';
import { freePort, startProcess, waitUntil, type ManagedProcess } from './process.js';

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

const SA_TYPE: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', BOOL: 'Bool', DOUBLE: 'Double', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };

export async function startTemporalDevServer(opts: {
  dir: string;
  ui?: boolean;
  dbFile?: string;
  extraArgs?: string[];
  /** A fixed frontend port (restarting a server on its file database at the same address); default a free one. */
  port?: number;
}): Promise<TemporalDevServer> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.ui ? await freePort() : 0;
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', 'default',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    '--dynamic-config-value', 'system.enableEagerWorkflowStart=true',
    // Slow CI machines stall workers past the 10 s default and cause spurious retries.
    '--dynamic-config-value', 'history.defaultWorkflowTaskTimeout="30s"',
    ...(opts.dbFile
      ? ['--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF']
      : []),
    ...(opts.ui ? ['--ui-port', String(uiPort), '--ui-ip', '127.0.0.1'] : ['--headless']),
    ...SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SA_TYPE[k.type] ?? 'Keyword'}`]),
    ...(opts.extraArgs ?? []),
  ];
  const proc = startProcess('temporal', temporalCliPath(), args, join(opts.dir, 'temporal.log'));
  const address = `127.0.0.1:${port}`;
  await waitUntil(
    'Temporal dev server',
    async () => {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await c.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } finally {
        await c.close();
      }
    },
    { timeoutMs: 60_000, intervalMs: 200, proc },
  );
  return {
    address,
    ...(opts.ui ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    namespace: 'default',
    process: proc,
    stop: () => proc.stop(),
  };
}
