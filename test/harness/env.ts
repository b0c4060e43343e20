/**
 * One control plane per test run, started for real on 127.0.0.1 and stopped by PID: Temporal dev server,
 * etcd + kube-apiserver (CRDs installed) and a fresh MariaDB database. Started lazily by the first test that
 * needs it, so unit-only runs start nothing; torn down by the root hook.
 */
import { bundleWorkflows } from '../../src/workflow-bundle.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import mysql from 'mysql2/promise';
import { startKubeControlPlane, type KubeControlPlane } from '../../src/embedded/kube-control-plane.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../src/embedded/temporal-dev-server.js';
import { startTemporalServer } from '../../src/embedded/temporal-server.js';

// Every controller a test or the benchmark spawns serves /metrics on a free loopback port, not on the default :9090
// of every interface (servers started in tests listen on 127.0.0.1 only; two controllers would also collide).
process.env['METRICS_ADDR'] ??= '127.0.0.1:0';

export interface TestEnv {
  dir: string;
  temporal: TemporalDevServer;
  kube: KubeControlPlane;
  mysql: { url: string; database: string; config: mysql.ConnectionOptions };
  workflowBundle: WorkflowBundleWithSourceMap;
}

let envPromise: Promise<TestEnv> | undefined;
let started: Partial<TestEnv> = {};

function mysqlBase(): mysql.ConnectionOptions {
  const url = new URL(process.env['MYSQL_URL'] || 'mysql://root@127.0.0.1:3306/test');
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password || ''),
  };
}

async function freshDatabase(): Promise<TestEnv['mysql']> {
  const base = mysqlBase();
  const database = `dct_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ ...base, connectTimeout: 5000 });
  } catch (e) {
    throw new Error(`MariaDB at ${base.host}:${base.port}: cannot connect (${(e as Error).message}); set MYSQL_URL or start it`);
  }
  await conn.query(`CREATE DATABASE \`${database}\``);
  await conn.end();
  return { url: `mysql://${base.user}@${base.host}:${base.port}/${database}`, database, config: { ...base, database } };
}

async function start(): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'dct-test-'));
  started.dir = dir;
  const t0 = Date.now();
  const [temporal, kube, db, workflowBundle] = await Promise.all([
    // DCT_TEMPORAL=server: a real temporal-server on PostgreSQL instead of the dev server.
    (process.env['DCT_TEMPORAL'] === 'server' ? startTemporalServer({ dir }) : startTemporalDevServer({ dir })).then(
      (t) => (started.temporal = t),
    ),
    startKubeControlPlane({ dir }).then((k) => (started.kube = k)),
    freshDatabase().then((m) => (started.mysql = m)),
    bundleWorkflows(quietLogger),
  ]);
  if (process.env['DCT_VERBOSE']) console.error(`[harness] control plane up in ${Date.now() - t0} ms (${dir})`);
  return { dir, temporal, kube, mysql: db, workflowBundle };
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.error(m),
  error: (m: string) => console.error(m),
};

export function testEnv(): Promise<TestEnv> {
  envPromise ??= start();
  return envPromise;
}

export async function teardownEnv(): Promise<void> {
  if (!envPromise) return;
  await envPromise.catch(() => undefined);
  await started.temporal?.stop().catch(() => undefined);
  await started.kube?.stop().catch(() => undefined);
  if (started.mysql) {
    const conn = await mysql.createConnection(mysqlBase()).catch(() => undefined);
    await conn?.query(`DROP DATABASE IF EXISTS \`${started.mysql.database}\``).catch(() => undefined);
    await conn?.end();
  }
  if (started.dir && !process.env['DCT_KEEP']) rmSync(started.dir, { recursive: true, force: true });
  envPromise = undefined;
  started = {};
}
