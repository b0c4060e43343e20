/**
 * Starts a real `temporal-server` (go.temporal.io/server, built by `scripts/build-bins.sh server`) on 127.0.0.1,
 * backed by a fresh pair of PostgreSQL databases (store + visibility) that stop() drops again. Same shape as
 * startTemporalDevServer: namespace `default` registered and the project's search attributes added.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import proto, { type temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/messages.js';
import { binCacheDir, REPO_ROOT } from './bins.js';
import { createServer } from 'node:net';
import { startProcess, waitUntil, type ManagedProcess } from './process.js';
import type { TemporalDevServer } from './temporal-dev-server.js';

const run = promisify(execFile);

export type TemporalServer = TemporalDevServer & { restart(downMs: number, kill?: boolean): Promise<void> };

/** deploy/temporal: dct.yaml (a templated server config) and dynamicconfig.yaml, shared with docker-compose.yml. */
export const TEMPORAL_CONFIG_DIR = join(REPO_ROOT, 'deploy', 'temporal');
export const TEMPORAL_CONFIG_ENV = 'dct';

/** The schema steps, in order, for each database (docker-compose's temporal-setup runs the same ones). */
export const SCHEMA_STEPS = [
  ['temporal', 'create-database'],
  ['temporal', 'setup-schema -v 0.0'],
  ['temporal', 'update-schema -d <schema>/temporal/versioned'],
  ['visibility', 'create-database'],
  ['visibility', 'setup-schema -v 0.0'],
  ['visibility', 'update-schema -d <schema>/visibility/versioned'],
] as const;

export interface TemporalServerOptions {
  dir: string;
  /** PostgreSQL endpoint and user (trust auth); default 127.0.0.1:5432, PGUSER or `postgres`. */
  pgHost?: string;
  pgPort?: number;
  pgUser?: string;
  pgPassword?: string;
  logLevel?: string;
  /**
   * History shards (deploy/temporal/dct.yaml's TEMPORAL_HISTORY_SHARDS; 4 when unset, as the tests run). A
   * database's shard count is fixed when it is first used; every run here makes its own databases.
   */
  historyShards?: number;
}

function paths(): { server: string; sqlTool: string; schemaDir: string } {
  const server = process.env['TEMPORAL_SERVER_PATH'] || join(binCacheDir(), 'temporal-server');
  const dir = join(server, '..');
  const p = { server, sqlTool: join(dir, 'temporal-sql-tool'), schemaDir: join(dir, 'temporal-schema', 'postgresql', 'v12') };
  for (const f of Object.values(p))
    if (!existsSync(f)) throw new Error(`${f} not found: run "bash scripts/build-bins.sh server" (or set TEMPORAL_SERVER_PATH)`);
  return p;
}

const IVT = proto.temporal.api.enums.v1.IndexedValueType;
const SA_TYPE: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IVT.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IVT.INDEXED_VALUE_TYPE_TEXT,
  INT: IVT.INDEXED_VALUE_TYPE_INT,
  BOOL: IVT.INDEXED_VALUE_TYPE_BOOL,
  DOUBLE: IVT.INDEXED_VALUE_TYPE_DOUBLE,
  DATETIME: IVT.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IVT.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * A free port on 127.0.0.1 below 32768. Not process.ts' freePort: the PostgreSQL schema stores membership
 * ports in cluster_membership.rpc_port, a SMALLINT, and kernel-chosen ephemeral ports (32768-60999) overflow it
 * ("value out of range for type smallint", and the server exits).
 */
async function lowFreePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.unref();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** Waits until a Temporal frontend at `address` answers (or `proc` exits, or 90 s pass). */
export function frontendAnswers(what: string, address: string, proc: ManagedProcess): Promise<void> {
  return waitUntil(
    what,
    async () => {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await c.workflowService.listNamespaces({});
        return true;
      } finally {
        await c.close();
      }
    },
    { timeoutMs: 90_000, intervalMs: 300, proc },
  );
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  const bins = paths();
  const host = opts.pgHost ?? '127.0.0.1';
  const port = opts.pgPort ?? 5432;
  const user = opts.pgUser ?? process.env['PGUSER'] ?? 'postgres';
  const password = opts.pgPassword ?? '';
  const tag = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbs = { store: `dct_temporal_${tag}`, visibility: `dct_temporal_vis_${tag}` };
  const sqlTool = (db: string, ...args: string[]) =>
    run(bins.sqlTool, ['--plugin', 'postgres12', '--ep', host, '-p', String(port), '-u', user, ...(password ? ['--pw', password] : []), '--db', db, ...args], {
      timeout: 120_000,
    });
  const dropAll = async () => {
    for (const db of Object.values(dbs)) await sqlTool(db, 'drop-database', '--force').catch(() => undefined);
  };

  try {
    for (const [kind, step] of SCHEMA_STEPS)
      await sqlTool(kind === 'temporal' ? dbs.store : dbs.visibility, ...step.replace('<schema>', bins.schemaDir).split(' '));
  } catch (e) {
    await dropAll();
    throw new Error(`temporal-sql-tool: ${(e as Error & { stderr?: string }).stderr || (e as Error).message}`);
  }

  const ports: number[] = [];
  while (ports.length < 9) {
    const p = await lowFreePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [frontend, frontendHttp, frontendM, history, historyM, matching, matchingM, worker, workerM] = ports as [
    number, number, number, number, number, number, number, number, number,
  ];
  const address = `127.0.0.1:${frontend}`;
  // The configuration is deploy/temporal/dct.yaml, the same file docker-compose.yml runs; only its variables differ.
  const configEnv: NodeJS.ProcessEnv = {
    TEMPORAL_LOG_LEVEL: opts.logLevel ?? 'warn',
    TEMPORAL_DB: dbs.store,
    TEMPORAL_VISIBILITY_DB: dbs.visibility,
    POSTGRES_SEEDS: host,
    POSTGRES_PORT: String(port),
    POSTGRES_USER: user,
    POSTGRES_PWD: password,
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    BIND_ON_IP: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(frontend),
    FRONTEND_HTTP_PORT: String(frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(frontendM),
    HISTORY_GRPC_PORT: String(history),
    HISTORY_MEMBERSHIP_PORT: String(historyM),
    MATCHING_GRPC_PORT: String(matching),
    MATCHING_MEMBERSHIP_PORT: String(matchingM),
    WORKER_GRPC_PORT: String(worker),
    WORKER_MEMBERSHIP_PORT: String(workerM),
    TEMPORAL_DYNAMIC_CONFIG: join(TEMPORAL_CONFIG_DIR, 'dynamicconfig.yaml'),
    ...(opts.historyShards ? { TEMPORAL_HISTORY_SHARDS: String(opts.historyShards) } : {}),
  };

  const launch = () =>
    startProcess(
      'temporal-server',
      bins.server,
      ['--root', '/', '--config', TEMPORAL_CONFIG_DIR, '--env', TEMPORAL_CONFIG_ENV, '--allow-no-auth', 'start'],
      join(opts.dir, 'temporal-server.log'),
      configEnv,
    );
  const answering = (p: ReturnType<typeof launch>) => frontendAnswers('temporal-server', address, p);
  let proc = launch();
  const stop = async () => {
    await proc.stop();
    await dropAll();
  };
  /** Stops the server (SIGKILL when `kill`, else SIGTERM), waits `downMs`, starts it again on the same databases. */
  const restart = async (downMs: number, kill = false) => {
    if (kill) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    } else await proc.stop();
    await new Promise((r) => setTimeout(r, downMs));
    proc = launch();
    await answering(proc);
  };
  try {
    await answering(proc);
    const c = await Connection.connect({ address });
    try {
      await c.workflowService.registerNamespace({
        namespace: 'default',
        workflowExecutionRetentionPeriod: msToTs('24h'),
      });
      // The namespace cache refreshes asynchronously: wait until the frontend knows it.
      await waitUntil('temporal-server namespace', async () => !!(await c.workflowService.describeNamespace({ namespace: 'default' })), {
        timeoutMs: 30_000,
        intervalMs: 200,
        proc,
      });
      const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
      for (const k of SEARCH_ATTRIBUTES) searchAttributes[k.name] = SA_TYPE[k.type] ?? SA_TYPE['KEYWORD']!;
      await c.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
      await waitUntil(
        'temporal-server search attributes',
        async () => {
          const r = await c.operatorService.listSearchAttributes({ namespace: 'default' });
          return SEARCH_ATTRIBUTES.every((k) => k.name in (r.customAttributes ?? {}));
        },
        { timeoutMs: 30_000, intervalMs: 200, proc },
      );
    } finally {
      await c.close();
    }
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return {
    address,
    namespace: 'default',
    get process() {
      return proc;
    },
    stop,
    restart,
  };
}
