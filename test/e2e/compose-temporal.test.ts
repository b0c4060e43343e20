/**
 * docker-compose.yml's Temporal, run for real without Docker: its `temporal-schema`, `temporal` and
 * `temporal-setup` services' own commands, entrypoint and environment are executed on this machine (the Go-built
 * temporal-sql-tool, temporal-server and temporal CLI stand in for the images), with only what must differ
 * outside a compose network replaced: host names by 127.0.0.1, ports by free loopback ports, the database user by
 * the local trust user, database names by fresh ones, and container paths by their bind-mount sources. Then the
 * controller places a volume on it. So the compose file's Temporal arrangement is the one CI runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { binCacheDir, REPO_ROOT, temporalCliPath } from '../../src/embedded/bins.js';
import { startProcess, type ManagedProcess } from '../../src/embedded/process.js';
import { frontendAnswers, TEMPORAL_CONFIG_DIR } from '../../src/embedded/temporal-server.js';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/messages.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';
import { createServer } from 'node:net';

interface Service {
  image?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parseYaml(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const svc = (name: string) => {
  const s = compose.services[name];
  assert.ok(s, `docker-compose.yml has a ${name} service`);
  return s;
};
/** Compose's `$$` is a literal `$` for the shell. */
const unescape = (s: string) => s.replace(/\$\$/g, '$');
/** container path → host path, from the service's bind mounts (`./x:/y[:ro]`). */
function hostPath(s: Service, p: string): string {
  for (const v of s.volumes ?? []) {
    const [src, dst] = v.split(':') as [string, string];
    if (src.startsWith('./') && (p === dst || p.startsWith(`${dst}/`))) return join(REPO_ROOT, src, p.slice(dst.length));
  }
  return p;
}

async function lowPort(taken: number[]): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 12000); // below 32768: PostgreSQL stores membership ports as SMALLINT
    if (taken.includes(p)) continue;
    const ok = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(p, '127.0.0.1', () => s.close(() => r(true)));
    });
    if (ok) return (taken.push(p), p);
  }
}

describe('e2e: docker-compose.yml’s temporal-server arrangement, run as written', function () {
  let env: TestEnv;
  let c: TestCluster;
  let server: ManagedProcess | undefined;
  const tag = randomBytes(3).toString('hex');
  const dbs = { TEMPORAL_DB: `dct_compose_${tag}`, TEMPORAL_VISIBILITY_DB: `dct_compose_vis_${tag}` };
  const bin = binCacheDir();
  const PATH = `${bin}:${process.env['PATH']}`;
  let address = '';

  before(async function () {
    env = await testEnv();
  });
  after(async () => {
    await c?.stop();
    await server?.stop();
    for (const db of Object.values(dbs))
      spawnSync(join(bin, 'temporal-sql-tool'), ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-u', 'postgres', '--db', db, 'drop-database', '--force']);
  });

  it('temporal-schema: its command creates both databases and their schemas (and is idempotent on a restart)', () => {
    const s = svc('temporal-schema');
    assert.deepEqual(s.entrypoint, ['/bin/sh', '-c']);
    const script = unescape(s.command![0]!);
    const e: Record<string, string> = { ...s.environment!, SQL_HOST: '127.0.0.1', SQL_USER: 'postgres', SQL_PASSWORD: '', ...dbs, SCHEMA_DIR: join(bin, 'temporal-schema', 'postgresql', 'v12') };
    assert.equal(e['SQL_PLUGIN'], 'postgres12');
    for (const round of ['first run', 'restart']) {
      const r = spawnSync('sh', ['-c', script], { env: { ...process.env, ...e, PATH }, encoding: 'utf8', timeout: 180_000 });
      assert.equal(r.status, 0, `${round}:\n${r.stdout}\n${r.stderr}`);
    }
  });

  it('temporal: its entrypoint and environment start temporal-server with deploy/temporal (the harness’s config)', async () => {
    const s = svc('temporal');
    assert.equal(s.image, 'temporalio/server:1.29.1', 'the image matches the server version CI builds');
    const args = s.entrypoint!.slice(1).map((a) => hostPath(s, a));
    assert.equal(s.entrypoint![0], 'temporal-server');
    assert.equal(args[args.indexOf('--config') + 1], TEMPORAL_CONFIG_DIR, 'compose mounts the directory the harness uses');
    const taken: number[] = [];
    const ports: Record<string, string> = {};
    for (const k of ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT',
      'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT'])
      ports[k] = String(await lowPort(taken));
    const e: Record<string, string> = {
      ...s.environment!,
      POSTGRES_SEEDS: '127.0.0.1',
      POSTGRES_USER: 'postgres',
      POSTGRES_PWD: '',
      ...dbs,
      BIND_ON_IP: '127.0.0.1',
      ...ports,
      TEMPORAL_DYNAMIC_CONFIG: hostPath(s, s.environment!['TEMPORAL_DYNAMIC_CONFIG']!),
    };
    // The controller reaches the frontend at the default gRPC port, which compose publishes.
    assert.equal(svc('controller').environment!['TEMPORAL_ADDRESS'], 'temporal:7233');
    assert.ok(s.ports!.includes('7233:7233'));
    address = `127.0.0.1:${ports['FRONTEND_GRPC_PORT']}`;
    server = startProcess('temporal-server (compose)', join(bin, 'temporal-server'), args, join(env.dir, `compose-temporal-${tag}.log`), e);
    await frontendAnswers('temporal-server (compose)', address, server);
  });

  it('temporal-setup: its command registers the namespace and exactly the search attributes the workflows use', async () => {
    const s = svc('temporal-setup');
    const script = unescape(s.command![0]!);
    const cli = temporalCliPath();
    for (const round of ['first run', 'restart']) {
      const r = spawnSync('sh', ['-c', script], {
        env: { ...process.env, ...s.environment!, TEMPORAL_ADDRESS: address, PATH: `${join(cli, '..')}:${PATH}` },
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `${round}:\n${r.stdout}\n${r.stderr}`);
    }
    const conn = await Connection.connect({ address });
    try {
      const ns = await conn.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(Number(ns.config?.workflowExecutionRetentionTtl?.seconds), 24 * 3600);
      const sa = await eventually(async () => {
        const l = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
        assert.deepEqual(Object.keys(l.customAttributes ?? {}).sort(), SEARCH_ATTRIBUTES.map((k) => k.name).sort());
        return l.customAttributes!;
      }, { timeoutMs: 30_000, what: 'search attributes visible' });
      for (const k of SEARCH_ATTRIBUTES) assert.equal(String(sa[k.name]), String(2), `${k.name} is a Keyword`); // INDEXED_VALUE_TYPE_KEYWORD
    } finally {
      await conn.close();
    }
  });

  it('the controller places a volume on that Temporal', async () => {
    c = await newTestCluster(env, 'compose');
    await c.startOperator({ temporal: { address, namespace: 'default' } });
    await c.createPool('node-a', { bytes: 10 * GiB });
    await c.createVolume('v1', { size: GiB, hostNode: 'node-a' });
    await eventually(async () => assert.equal((await c.getVolume('v1')).spec.targetNodeId, 'node-a'), { timeoutMs: 60_000, what: 'v1 bound' });
  });
});
