/**
 * MetaSync against real MariaDB: every column round-trips, updates only when a column changed, soft delete,
 * deleted_at cleared on name reuse, the sweep, placement rows, the password never in logs or histories, and a
 * 30-second database outage during a burst that neither stops placement nor loses a row.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';
import { GROUP, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import { createLogger } from '../../src/logger.js';
import { metasyncOption } from '../../src/cli/common.js';
import { poolRow, volumeRow } from '../../src/plugins/metasync/rows.js';
import { metaSyncWorkflowId } from '../../src/workflows/messages.js';
import { inParallel } from '../harness/capacity-sampler.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';
import { privateMariaDb } from '../harness/mariadb-server.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function rows(db: mysql.Connection, table: string, cluster: string) {
  const [r] = await db.query<RowDataPacket[]>(`SELECT * FROM ${table} WHERE cluster_name = ? ORDER BY name`, [cluster]);
  return r;
}

/** Asserts the table equals the API server: a live row equal to the mapping for each object, deleted rows for the rest. */
function assertRowsMatch(table: RowDataPacket[], expected: Record<string, string | number>[], deletedNames: string[], deletedStatus: string) {
  const byName = new Map(table.map((r) => [String(r['name']), r]));
  for (const want of expected) {
    const got = byName.get(String(want['name']));
    assert.ok(got, `row for ${want['name']}`);
    for (const [k, v] of Object.entries(want)) assert.equal(String(got[k]), String(v), `${want['name']}.${k}`);
    assert.equal(Number(got['deleted_at']), 0, `${want['name']} is live`);
  }
  for (const n of deletedNames) {
    const got = byName.get(n);
    assert.ok(got, `row for deleted ${n}`);
    assert.ok(Number(got['deleted_at']) > 0, `${n}.deleted_at set`);
    assert.equal(got['status'], deletedStatus, `${n}.status`);
  }
  const known = new Set([...expected.map((e) => String(e['name'])), ...deletedNames]);
  for (const r of table) assert.ok(known.has(String(r['name'])), `unexpected row ${r['name']}`);
}

describe('e2e: MetaSync to MySQL', function () {
  let env: TestEnv;
  before(async () => {
    env = await testEnv();
  });

  describe('against the shared MariaDB, with a password containing @ and :', function () {
    let c: TestCluster;
    let db: mysql.Connection;
    const password = `p@ss:w0rd-${randomBytes(4).toString('hex')}`;
    const user = `meta_${randomBytes(3).toString('hex')}`;
    const cluster = 'test-cluster';
    const logLines: string[] = [];

    before(async () => {
      db = await mysql.createConnection(env.mysql.config);
      await db.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
      await db.query(`GRANT ALL ON \`${env.mysql.database}\`.* TO '${user}'@'127.0.0.1'`);
      const metasync = metasyncOption({
        dbInfo: b64(`${user}:${password}@tcp(127.0.0.1:${env.mysql.config.port})/${env.mysql.database}?charset=utf8&interpolateParams=true`),
        k8sCluster: cluster,
      })!;
      c = await newTestCluster(env, 'meta');
      await c.startOperator({ metasync, timings: { metasyncSweepMs: 1500 }, log: createLogger('debug', {}, 'json', (l) => void logLines.push(l)) });
    });
    after(async () => {
      await c?.stop();
      await db?.end();
    });

    it('mirrors pools and volumes column by column, and records the placement', async () => {
      await c.createPool('meta-pool', { bytes: 50 * GiB });
      await c.createVolume('meta-vol', {
        size: 3 * GiB,
        hostNode: 'meta-pool',
        positionAdvice: 'PreferLocal',
        labels: { 'csi.storage.k8s.io/pvc-namespace': 'apps', 'csi.storage.k8s.io/pvc-name': 'data-0' },
        spec: { spdkTarget: { subsysNqn: 'nqn.2024-01.io:x', svcID: '4420', sn: 'SN1', transType: 'TCP', bdevName: 'b0', nsUuid: 'ns-1', address: '10.0.0.1' } },
      });
      await eventually(async () => assert.equal((await c.getVolume('meta-vol')).spec.targetNodeId, 'meta-pool'));
      await c.co.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'meta-vol', body: { status: { status: 'ready', csiNodePubParams: { stagingTargetPath: '/stage', targetPath: '/pub', volumeContext: { 'csi.storage.k8s.io/pod.namespace': 'apps', 'csi.storage.k8s.io/pod.name': 'app-0' } } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually(async () => {
        assertRowsMatch(await rows(db, 'storage_pool', cluster), (await c.listPools()).map(poolRow), [], '');
        const vr = await rows(db, 'antstor_volume', cluster);
        assertRowsMatch(vr, (await c.listVolumes()).map(volumeRow), [], '');
        assert.equal(vr[0]!['csi_publish_path'], '/pub');
        assert.equal(vr[0]!['pod_name'], 'app-0');
        assert.equal(vr[0]!['t_node_id'], 'meta-pool');
      }, { timeoutMs: 30_000, what: 'rows equal the API objects' });
      // The placement record reaches MySQL on its own path (the placer's signal to the MetaSync workflow), which may
      // land after the rows above: CI once read it a moment too early.
      const pd = await eventually(
        async () => {
          const [r] = await db.query<RowDataPacket[]>('SELECT * FROM placement_decision WHERE cluster_name = ? AND volume_name = ?', [cluster, 'meta-vol']);
          assert.equal(r.length, 1);
          return r;
        },
        { timeoutMs: 30_000, what: 'the placement record in placement_decision' },
      );
      assert.equal(pd[0]!['pool'], 'meta-pool');
      assert.equal(pd[0]!['pools_considered'], 1);
      assert.match(String(pd[0]!['workflow_id']), /^volume\/meta-[0-9a-f]+\/meta-vol\//);
      assert.ok(JSON.parse(String(pd[0]!['scores'])).LeastResource !== undefined);
    });

    it('writes only when a mapped column changed', async () => {
      const before = (await rows(db, 'antstor_volume', cluster))[0]!;
      await c.co.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_VOLUME, name: 'meta-vol', body: { metadata: { annotations: { 'unmapped/touch': '1' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await new Promise((r) => setTimeout(r, 2500));
      const after = (await rows(db, 'antstor_volume', cluster))[0]!;
      assert.equal(after['updated_at'], before['updated_at']);
      assert.equal(after['resource_version'], before['resource_version']);
    });

    it('soft-deletes on deletion and clears deleted_at when the name is reused', async () => {
      await c.deleteVolume('meta-vol');
      await eventually(async () => {
        const r = (await rows(db, 'antstor_volume', cluster)).find((x) => x['name'] === 'meta-vol')!;
        assert.ok(Number(r['deleted_at']) > 0);
        assert.equal(r['status'], 'deleted');
      }, { timeoutMs: 20_000 });
      // The row is marked by the deletion hook, before the finalizer goes: reuse the name once the object is gone.
      await eventually(async () => assert.equal((await c.listVolumes()).some((v) => v.metadata.name === 'meta-vol'), false), { timeoutMs: 30_000 });
      await c.createVolume('meta-vol', { size: GiB, hostNode: 'meta-pool' });
      await eventually(async () => {
        const r = (await rows(db, 'antstor_volume', cluster)).find((x) => x['name'] === 'meta-vol')!;
        assert.equal(Number(r['deleted_at']), 0);
        assert.equal(Number(r['size']), GiB);
      }, { timeoutMs: 20_000 });
    });

    it('the periodic pass marks rows whose objects no longer exist', async () => {
      const t = Math.floor(Date.now() / 1000);
      await db.query("INSERT INTO antstor_volume (cluster_name, name, status, created_at, updated_at) VALUES (?, 'ghost', 'ready', ?, ?)", [cluster, t, t]);
      await eventually(async () => {
        const r = (await rows(db, 'antstor_volume', cluster)).find((x) => x['name'] === 'ghost')!;
        assert.ok(Number(r['deleted_at']) > 0);
        assert.equal(r['status'], 'deleted');
      }, { timeoutMs: 20_000 });
    });

    it('never lets the password into logs or workflow histories', async () => {
      assert.ok(logLines.length > 0, 'the operator logged something');
      assert.ok(!logLines.some((l) => l.includes(password)), 'password in a log line');
      const h = await c.op!.client.workflow.getHandle(metaSyncWorkflowId(c.ns)).fetchHistory();
      assert.ok(!historyToJSON(h).includes(password), 'password in the MetaSync history');
      assert.ok(!historyToJSON(h).includes(b64(password).slice(0, 12)));
    });
  });

  describe('an unreachable database', function () {
    it('is reported clearly (where, why), never with the password, and placement goes on', async () => {
      const { freePort } = await import('../../src/embedded/process.js');
      const port = await freePort(); // nothing listens there
      const lines: string[] = [];
      const c = await newTestCluster(env, 'nodb');
      try {
        await c.startOperator({
          metasync: metasyncOption({ dbInfo: b64(`meta:Sup3r@Secret:x@tcp(127.0.0.1:${port})/liteio?timeout=1s`), k8sCluster: 'nodb' }),
          log: createLogger('info', {}, 'json', (l) => void lines.push(l)),
        });
        await c.createPool('nodb-pool', { bytes: 10 * GiB });
        await c.createVolume('nodb-vol', { size: GiB, hostNode: 'nodb-pool' });
        await eventually(async () => assert.equal((await c.getVolume('nodb-vol')).spec.targetNodeId, 'nodb-pool'), { timeoutMs: 30_000 });
        await eventually(() => assert.ok(lines.some((l) => l.includes('MetaSync database unreachable') && l.includes(`meta@tcp(127.0.0.1:${port})/liteio`) && l.includes('ECONNREFUSED'))), { timeoutMs: 10_000 });
        const desc = await eventually(async () => {
          const d = await c.op!.client.workflow.getHandle(metaSyncWorkflowId(c.ns)).describe();
          const failure = d.raw.pendingActivities?.[0]?.lastFailure?.message ?? '';
          assert.match(failure, new RegExp(`^MetaSync: write at meta@tcp\\(127.0.0.1:${port}\\)/liteio: ECONNREFUSED`));
          return failure;
        }, { timeoutMs: 20_000, what: 'the retried write says why' });
        assert.ok(!desc.includes('Sup3r') && !lines.some((l) => l.includes('Sup3r@Secret')), 'password leaked');
      } finally {
        await c.stop();
      }
    });
  });

  describe('a 30-second database outage during a burst', function () {
    it('keeps placing volumes, and afterwards the tables equal the API server exactly', async () => {
      const mdb = await privateMariaDb(join(env.dir, `mariadb-${randomBytes(3).toString('hex')}`));
      await mdb.start();
      const admin = await mysql.createConnection({ host: '127.0.0.1', port: mdb.port, user: 'root' });
      await admin.query('CREATE DATABASE liteio');
      await admin.end();
      const c = await newTestCluster(env, 'outage');
      const cluster = 'outage-cluster';
      try {
        await c.startOperator({
          metasync: metasyncOption({ obConnInfo: b64(`root@tcp(127.0.0.1:${mdb.port})/liteio?timeout=2s`), k8sCluster: cluster }),
          config: { scheduler: { maxRemoteVolumeCount: 1000 } },
        });
        for (let i = 0; i < 3; i++) await c.createPool(`op-${i}`, { bytes: 100 * GiB });
        const names = Array.from({ length: 100 }, (_, i) => `ov-${i}`);
        const deleted = names.filter((_, i) => i % 3 === 0);
        let stopped: Promise<void> | undefined;
        await inParallel(names, 8, async (n) => {
          await c.createVolume(n, { size: GiB });
          if (n === 'ov-20') stopped = mdb.stop(); // the database goes away mid-burst
        });
        await stopped;
        const downAt = Date.now();
        // Placement goes on while the database is down.
        await eventually(async () => assert.equal((await c.listVolumes()).filter((v) => v.spec.targetNodeId).length, 100), { timeoutMs: 25_000, what: 'all placed during the outage' });
        await inParallel(deleted, 8, (n) => c.deleteVolume(n));
        await eventually(async () => assert.equal((await c.listVolumes()).length, 100 - deleted.length), { timeoutMs: 20_000 });
        assert.ok(!mdb.running);
        await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - downAt))));
        await mdb.start();
        const db = await mysql.createConnection({ host: '127.0.0.1', port: mdb.port, user: 'root', database: 'liteio' });
        try {
          await eventually(async () => {
            assertRowsMatch(await rows(db, 'antstor_volume', cluster), (await c.listVolumes()).map(volumeRow), deleted, 'deleted');
            assertRowsMatch(await rows(db, 'storage_pool', cluster), (await c.listPools()).map(poolRow), [], '');
            const [pd] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM placement_decision WHERE cluster_name = ?', [cluster]);
            assert.equal(Number(pd[0]!['n']), 100, 'a placement row per placement');
          }, { timeoutMs: 90_000, intervalMs: 1000, what: 'tables converge after the outage' });
        } finally {
          await db.end();
        }
      } finally {
        await c.stop();
        await mdb.stop();
      }
    });
  });
});
