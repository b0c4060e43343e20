/**
 * VolumeMigration on the reconciler seam, against the real servers: the phase machine driven by agent stand-ins
 * writing migrationInfo, the destination volume placed by the scheduler on another pool, waits woken by watch
 * events, a long wait recorded, failures with their reason, every transition in the history and as an Event.
 */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions } from '../../kube/client-node.js';
import { GROUP, PLURAL_VOLUME, VERSION } from '../../api/constants.js';
import { migrationWorkflowId } from './messages.js';
import { PLURAL_MIGRATION, type VolumeMigration } from './types.js';
import { activityTypes } from '../../../test/harness/history.js';
import { eventually } from '../../../test/harness/eventually.js';
import { testEnv, type TestEnv } from '../../../test/harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../../../test/harness/cluster.js';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('e2e: VolumeMigration (LiteIO migration phases as a workflow)', function () {
  let env: TestEnv;
  let c: TestCluster;
  const G = () => ({ group: GROUP, version: VERSION, namespace: c.ns });

  const createMigration = (name: string, source: string) =>
    c.co.createNamespacedCustomObject({ ...G(), plural: PLURAL_MIGRATION, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VolumeMigration', metadata: { name }, spec: { sourceVolume: { namespace: c.ns, name: source } } } });
  const getMigration = async (name: string) => (await c.co.getNamespacedCustomObject({ ...G(), plural: PLURAL_MIGRATION, name })) as VolumeMigration;
  /** The agents' writes: the source node's agent (pipe), the host's nvme manager (host connection, auto switch). */
  const agentWrites = (name: string, migrationInfo: object) => c.co.patchNamespacedCustomObject({ ...G(), plural: PLURAL_MIGRATION, name, body: { spec: { migrationInfo } } }, merge);
  const volumeAgent = (name: string, spdkTarget: object) =>
    Promise.all([
      c.co.patchNamespacedCustomObject({ ...G(), plural: PLURAL_VOLUME, name, body: { spec: { spdkTarget } } }, merge),
      c.co.patchNamespacedCustomObjectStatus({ ...G(), plural: PLURAL_VOLUME, name, body: { status: { status: 'ready' } } }, merge),
    ]);
  const events = async (name: string) =>
    (await c.core.listNamespacedEvent({ namespace: c.ns, fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const phaseIs = (name: string, phase: string, timeoutMs = 15_000) =>
    eventually(async () => assert.equal((await getMigration(name)).status?.phase, phase), { timeoutMs, what: `${name} in ${phase}` });

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'mig');
    await c.startOperator({ timings: { migrationWaitWarnMs: 2000 } });
    for (const p of ['node-1', 'node-2']) await c.createPool(p, { bytes: 20 * GiB, spdk: true });
    await c.createVolume('src', { size: GiB, hostNode: 'node-1', positionAdvice: 'PreferLocal', spec: { type: 'SpdkLVol' } });
    await eventually(async () => assert.equal((await c.getVolume('src')).spec.targetNodeId, 'node-1'), { what: 'source placed' });
    await volumeAgent('src', { subsysNqn: 'nqn.2026-12.io.liteio:src', nsUuid: 'ns-src', address: '10.0.0.1', bdevName: 'lvs/src' });
  });
  after(async () => c?.stop());

  it('runs Pending → CreatingVolume → SetupPipe → Syncing → Cleaning → Finished, the destination on the other pool', async () => {
    await createMigration('mig', 'src');
    await phaseIs('mig', 'CreatingVolume');
    const m = await eventually(async () => {
      const m = await getMigration('mig');
      assert.match(m.spec.destVolume?.name ?? '', /^mig-[0-9a-f-]{36}$/);
      assert.equal(m.spec.sourceVolume.targetNodeId, 'node-1');
      assert.equal(m.spec.sourceVolume.spdk?.subsysNqn, 'nqn.2026-12.io.liteio:src');
      assert.equal(m.metadata.labels?.['migrate.obnvmf/source-node-id'], 'node-1');
      return m;
    });
    const destName = m.spec.destVolume!.name!;
    const dest = await eventually(async () => {
      const d = await c.getVolume(destName);
      assert.ok(d.spec.targetNodeId, 'destination placed');
      return d;
    }, { what: 'destination placed by the scheduler' });
    assert.equal(dest.spec.targetNodeId, 'node-2', 'never on the source pool');
    assert.equal(dest.metadata.labels?.['obnvmf/vol-uuid'], (await c.getVolume('src')).metadata.labels?.['obnvmf/vol-uuid']);
    assert.equal(dest.spec.spdkTarget?.subsysNqn, 'nqn.2026-12.io.liteio:src');
    await eventually(async () => assert.match((await getMigration('mig')).status?.message ?? '', /destination volume .* is not ready/));

    await volumeAgent(destName, { subsysNqn: 'nqn.2026-12.io.liteio:src', nsUuid: 'ns-src', address: '10.0.0.2', bdevName: 'lvs/dst' });
    await phaseIs('mig', 'SetupPipe');
    assert.equal((await getMigration('mig')).spec.destVolume?.targetNodeId, 'node-2');
    await eventually(async () => assert.match((await getMigration('mig')).status?.message ?? '', /pipe is not connected/));
    // Nobody connects for a while: the wait is recorded (and goes on).
    await eventually(async () => assert.ok((await events('mig')).some((e) => /Warning MigrationWaitTimeout: phase SetupPipe: still waiting .*pipe is not connected/.test(e))), { timeoutMs: 15_000, what: 'long wait recorded' });

    await agentWrites('mig', { migrationPipe: { status: 'Connected', destBdevName: 'nvme-dst' }, hostConnectStatus: 'Connected' });
    await phaseIs('mig', 'Syncing');
    await agentWrites('mig', { autoSwitch: { enabled: true, status: 'Success' } });
    await phaseIs('mig', 'Cleaning');
    await agentWrites('mig', { migrationPipe: { status: 'Disconnected' }, hostConnectStatus: 'Disconnected' });
    await phaseIs('mig', 'Finished');
    const done = await getMigration('mig');
    assert.equal(done.status?.status, 'Finished');

    const ev = await eventually(async () => {
      const ev = (await events('mig')).filter((e) => /MigrationPhase/.test(e));
      assert.equal(ev.length, 6, ev.join('\n'));
      return ev;
    });
    for (const t of ['Pending', 'Pending → CreatingVolume', 'CreatingVolume → SetupPipe', 'SetupPipe → Syncing', 'Syncing → Cleaning', 'Cleaning → Finished']) assert.ok(ev.some((e) => e.endsWith(`: ${t}`)), `${t} in ${ev.join('; ')}`);
    const h = await c.op!.client.workflow.getHandle(migrationWorkflowId({ namespace: c.ns, name: 'mig', uid: done.metadata.uid! })).fetchHistory();
    const types = activityTypes(h);
    assert.ok(types.filter((t) => t === 'migrationReconcile').length >= 12, `passes: ${types.length}`);
    assert.ok(types.includes('migrationReportLongWait'));
    // Deleting a finished migration undoes nothing (as LiteIO): the destination stays; its workflow ends.
    await c.co.deleteNamespacedCustomObject({ ...G(), plural: PLURAL_MIGRATION, name: 'mig' });
    await eventually(async () => assert.equal((await c.op!.client.workflow.getHandle(migrationWorkflowId({ namespace: c.ns, name: 'mig', uid: done.metadata.uid! })).describe()).status.name, 'COMPLETED'), { what: 'workflow ended' });
    assert.equal((await c.getVolume(destName)).spec.targetNodeId, 'node-2');
  });

  it('stops with status Error and the reason: a MustLocal source, and a failed auto switch', async () => {
    await c.createVolume('local', { size: GiB, hostNode: 'node-1', positionAdvice: 'MustLocal', spec: { type: 'SpdkLVol' } });
    await eventually(async () => assert.equal((await c.getVolume('local')).spec.targetNodeId, 'node-1'));
    await createMigration('mig-local', 'local');
    await eventually(async () => {
      const m = await getMigration('mig-local');
      assert.equal(m.status?.status, 'Error');
      assert.match(m.status?.message ?? '', /position advice is MustLocal/);
    });
    assert.ok((await events('mig-local')).some((e) => /Warning MigrationFailed: .*MustLocal/.test(e)));

    await c.createVolume('src2', { size: GiB, hostNode: 'node-2', positionAdvice: 'PreferLocal', spec: { type: 'SpdkLVol' } });
    await eventually(async () => assert.equal((await c.getVolume('src2')).spec.targetNodeId, 'node-2'));
    await volumeAgent('src2', { subsysNqn: 'nqn.src2', nsUuid: 'ns-2', address: '10.0.0.2' });
    await createMigration('mig-2', 'src2');
    const destName = await eventually(async () => {
      const n = (await getMigration('mig-2')).spec.destVolume?.name;
      assert.ok(n);
      await c.getVolume(n!);
      return n!;
    });
    await eventually(async () => assert.equal((await c.getVolume(destName)).spec.targetNodeId, 'node-1'));
    await volumeAgent(destName, { subsysNqn: 'nqn.src2', nsUuid: 'ns-2', address: '10.0.0.1' });
    await agentWrites('mig-2', { migrationPipe: { status: 'Connected' }, hostConnectStatus: 'Connected' });
    await phaseIs('mig-2', 'Syncing');
    await agentWrites('mig-2', { autoSwitch: { enabled: true, status: 'Error' } });
    await eventually(async () => {
      const m = await getMigration('mig-2');
      assert.equal(m.status?.status, 'Error');
      assert.equal(m.status?.phase, 'Syncing', 'the phase it failed in is kept');
      assert.match(m.status?.message ?? '', /auto switch .* failed/);
    });
  });
});
