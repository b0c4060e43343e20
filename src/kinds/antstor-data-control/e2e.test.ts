/**
 * AntstorDataControl on the reconciler seam, against the real servers: waits for its volume groups (woken by their
 * readiness, not a 20 s poll), gives the members its host, takes its host as target, copies CSI publish parameters;
 * an invalid engine type is reported; a group labelled with it is not deleted before it.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../kube/client-node.js';
import { GROUP, VERSION } from '../../api/constants.js';
import { PLURAL_DATA_CONTROL, type AntstorDataControl } from './types.js';
import { PLURAL_GROUP, type AntstorVolumeGroup } from '../../kinds/antstor-volume-group/types.js';
import { eventually } from '../../../test/harness/eventually.js';
import { testEnv, type TestEnv } from '../../../test/harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../../../test/harness/cluster.js';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { metasyncOption } from '../../cli/common.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('e2e: AntstorDataControl (waits on its volume groups, then takes its host)', function () {
  let env: TestEnv;
  let c: TestCluster;
  const at = (plural: string) => ({ group: GROUP, version: VERSION, namespace: c.ns, plural });
  const getDc = async (name: string) => (await c.co.getNamespacedCustomObject({ ...at(PLURAL_DATA_CONTROL), name })) as AntstorDataControl;
  const getGroup = async (name: string) => (await c.co.getNamespacedCustomObject({ ...at(PLURAL_GROUP), name })) as AntstorVolumeGroup;
  const events = async (name: string) =>
    (await c.core.listNamespacedEvent({ namespace: c.ns, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const host = { id: 'host-1', ip: '10.0.0.42', hostname: 'host-1' };
  let db: mysql.Connection;
  /** MetaSync mirrors groups and DataControls into LiteIO's tables, as LiteIO's plugin does. */
  const row = async (table: string, name: string) => {
    const [r] = await db.query<RowDataPacket[]>(`SELECT * FROM ${table} WHERE cluster_name = ? AND name = ?`, [c.ns, name]);
    return r[0];
  };

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'dc');
    db = await mysql.createConnection(env.mysql.config);
    const { user, host: dbHost, port } = env.mysql.config as { user: string; host: string; port: number };
    const metasync = metasyncOption({ dbInfo: Buffer.from(`${user}@tcp(${dbHost}:${port})/${env.mysql.database}`).toString('base64'), k8sCluster: c.ns })!;
    await c.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 100 } }, metasync });
    for (const p of ['p-1', 'p-2']) await c.createPool(p, { bytes: 20 * GiB });
  });
  after(async () => {
    await c?.stop();
    await db?.end();
  });

  it('waits for its group, gives the members its host, takes the host as target, copies CSI publish parameters', async () => {
    await c.co.createNamespacedCustomObject({
      ...at(PLURAL_GROUP),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'AntstorVolumeGroup',
        metadata: { name: 'g1', labels: { 'obnvmf/data-control-name': 'dc1' } },
        spec: { uuid: 'g1', totalSize: 8 * GiB, desiredVolumeSpec: { sizeSymmetry: 'Asymmetric', countRange: { max: 2 }, sizeRange: { min: '1Gi', max: '4Gi' } }, stragety: { allowEmptyNode: true } },
      },
    });
    await c.co.createNamespacedCustomObject({
      ...at(PLURAL_DATA_CONTROL),
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorDataControl', metadata: { name: 'dc1' }, spec: { uuid: 'dc1', engineType: 'KernelLVM', raid: { level: 'raid0' }, hostNode: host, volumeGroups: [{ namespace: c.ns, name: 'g1', uuid: 'g1' }] } },
    });
    await eventually(async () => assert.match((await getDc('dc1')).status?.message ?? '', /VolumeGroup .*\/g1 is not ready yet/), { what: 'waiting for g1' });
    const g = await eventually(async () => {
      const g = await getGroup('g1');
      assert.equal(g.spec.volumes?.length, 2);
      return g;
    });
    // The members' agent: placed members become ready; the group turns ready and wakes the DataControl.
    for (const m of g.spec.volumes!) {
      await eventually(async () => assert.ok((await c.getVolume(m.volId.name)).spec.targetNodeId));
      await c.co.patchNamespacedCustomObjectStatus({ ...at('antstorvolumes'), name: m.volId.name, body: { status: { status: 'ready' } } }, merge);
    }
    const dc = await eventually(async () => {
      const dc = await getDc('dc1');
      assert.equal(dc.spec.targetNodeId, 'host-1');
      return dc;
    }, { timeoutMs: 20_000, what: 'scheduled on its host' });
    assert.equal(dc.metadata.labels?.['obnvmf/target-node-id'], 'host-1');
    for (const m of g.spec.volumes!) assert.deepEqual((await c.getVolume(m.volId.name)).spec.hostNode, host, `${m.volId.name} has the DataControl's host`);
    // The host's agent publishes the DataControl: its members get the same parameters.
    const pub = { stagingTargetPath: '/staging/dc1', targetPath: '/pods/x/dc1' };
    await c.co.patchNamespacedCustomObjectStatus({ ...at(PLURAL_DATA_CONTROL), name: 'dc1', body: { status: { status: 'ready', csiNodePubParams: pub } } }, merge);
    for (const m of g.spec.volumes!) await eventually(async () => assert.deepEqual((await c.getVolume(m.volId.name)).status?.csiNodePubParams, pub));
    // LiteIO's rows: antstor_datacontrol and antstor_volgroup, column by column.
    await eventually(async () => {
      const r = await row('antstor_datacontrol', 'dc1');
      assert.ok(r, 'datacontrol row');
      assert.deepEqual([r['uid'], r['t_node_id'], r['engine_type'], r['raid_level'], r['h_node_ip'], r['status'], Number(r['deleted_at'])], ['dc1', 'host-1', 'KernelLVM', 'raid0', '10.0.0.42', 'ready', 0]);
      const gr = await row('antstor_volgroup', 'g1');
      assert.ok(gr, 'volgroup row');
      assert.deepEqual([gr['uid'], Number(gr['size']), gr['data_control_name'], gr['status']], ['g1', 8 * GiB, 'dc1', 'ready']);
      assert.deepEqual((JSON.parse(String(gr['volumes'])) as { volId: { name: string } }[]).map((v) => v.volId.name).sort(), g.spec.volumes!.map((v) => v.volId.name).sort());
    }, { timeoutMs: 20_000, what: 'MetaSync rows' });
  });

  it('a group labelled with a DataControl is deleted only after it; then its members go', async () => {
    await c.co.deleteNamespacedCustomObject({ ...at(PLURAL_GROUP), name: 'g1' });
    await new Promise((r) => setTimeout(r, 3000));
    const g = await getGroup('g1');
    assert.ok(g.metadata.deletionTimestamp);
    assert.equal(g.spec.volumes?.length, 2);
    for (const m of g.spec.volumes!) assert.ok(!(await c.getVolume(m.volId.name)).metadata.deletionTimestamp, 'members untouched while the DataControl exists');
    await c.co.deleteNamespacedCustomObject({ ...at(PLURAL_DATA_CONTROL), name: 'dc1' });
    await eventually(async () => assert.ok(!((await c.co.listNamespacedCustomObject({ ...at(PLURAL_GROUP) })) as { items: unknown[] }).items.length), { timeoutMs: 30_000, what: 'group gone after its DataControl' });
    assert.equal((await c.listVolumes()).length, 0);
    await eventually(async () => {
      for (const [table, name] of [['antstor_volgroup', 'g1'], ['antstor_datacontrol', 'dc1']] as const) {
        const r = await row(table, name);
        assert.equal(r?.['status'], 'deleted', `${table} ${name}`);
        assert.ok(Number(r?.['deleted_at']) > 0, `${table} ${name} deleted_at`);
      }
    }, { timeoutMs: 20_000, what: 'rows soft-deleted' });
  });

  it('reports an invalid engine type with a message and an Event', async () => {
    await c.co.createNamespacedCustomObject({ ...at(PLURAL_DATA_CONTROL), body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorDataControl', metadata: { name: 'dc-bad' }, spec: { engineType: 'Floppy', hostNode: host, volumeGroups: [] } } });
    await eventually(async () => assert.match((await getDc('dc-bad')).status?.message ?? '', /invalid type Floppy/));
    assert.ok((await events('dc-bad')).some((e) => /Warning InvalidDataControl: invalid type Floppy/.test(e)));
    assert.equal((await getDc('dc-bad')).spec.targetNodeId, undefined);
  });
});
