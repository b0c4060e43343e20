/**
 * Records workflow histories from real runs against the real servers and writes them as JSON fixtures under
 * test/histories/<workflowType>/<scenario>__v<version>.json. Existing fixtures are never overwritten (old
 * histories are what proves new code still replays them); pass --force to replace this version's files.
 *
 *   npm run record-histories
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { REPO_ROOT } from '../src/embedded/bins.js';
import { ledgerQuery, placementQuery, placerWorkflowId, releaserWorkflowId, poolStartOptions, poolWorkflowId, reserveRequestSignal, volumeWorkflowId } from '../src/workflows/messages.js';
import { runOperator, type RunningOperator } from '../src/operator.js';
import { parseControllerConfig } from '../src/config/controller-config.js';
import { createLogger } from '../src/logger.js';
import { GiB, newTestCluster } from '../test/harness/cluster.js';
import { eventually } from '../test/harness/eventually.js';
import { teardownEnv, testEnv } from '../test/harness/env.js';
import { registerExample } from '../examples/custom-plugin/main.js';
import { resetPluginRegistrations } from '../src/plugins/registry.js';
import { metasyncOption } from '../src/cli/common.js';
import { metaSyncWorkflowId } from '../src/workflows/messages.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startTemporalDevServer } from '../src/embedded/temporal-dev-server.js';
import { inParallel } from '../test/harness/capacity-sampler.js';
import { activityTypes } from '../test/harness/history.js';
import { PatchStrategy, setHeaderOptions } from '../src/kube/client-node.js';
import { GROUP, VERSION } from '../src/api/constants.js';
import { snapshotWorkflowId } from '../src/kinds/antstor-snapshot/messages.js';
import { PLURAL_SNAPSHOT, SnapshotFinalizer, type AntstorSnapshot } from '../src/kinds/antstor-snapshot/types.js';
import { migrationWorkflowId } from '../src/kinds/volume-migration/messages.js';
import { PLURAL_MIGRATION, type VolumeMigration } from '../src/kinds/volume-migration/types.js';
import { groupWorkflowId } from '../src/kinds/antstor-volume-group/messages.js';
import { PLURAL_GROUP, type AntstorVolumeGroup } from '../src/kinds/antstor-volume-group/types.js';
import { dataControlWorkflowId } from '../src/kinds/antstor-data-control/messages.js';
import { PLURAL_DATA_CONTROL, type AntstorDataControl } from '../src/kinds/antstor-data-control/types.js';

const force = process.argv.includes('--force');
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Numeric, part by part: as strings, '0.10.0' < '0.8.0'. */
const olderThan = (a: string, b: string): boolean => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x![i] ?? 0) !== (y![i] ?? 0)) return (x![i] ?? 0) < (y![i] ?? 0);
  return false;
};

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  registerExample(); // the example's Stamp plugin puts plugin activities into the recorded histories
  const env = await testEnv();
  const c = await newTestCluster(env, 'rec');
  const metasync = metasyncOption({ dbInfo: Buffer.from(`${env.mysql.config.user}@tcp(${env.mysql.config.host}:${env.mysql.config.port})/${env.mysql.database}`).toString('base64'), k8sCluster: 'recorder' });
  const op = await c.startOperator({
    metasync,
    config: { scheduler: { filters: ['Basic', 'Affinity', 'SameRack'] }, pluginConfigs: { Stamp: { value: 'recorder' } } },
    // A short silence, so the waited-for-pool scenario probes its pool within seconds.
    timings: { unschedulableRetryMs: 5_000, poolRecheckMs: 1000, ledgerSilenceReportMs: 3000 },
  });
  let held: RunningOperator | undefined;
  const wf = op.client.workflow;
  const out: { type: string; scenario: string; id: string; runId?: string; client?: typeof wf }[] = [];
  const canDir = mkdtempSync(join(tmpdir(), 'dct-rec-can-'));
  const canTemporal = await startTemporalDevServer({ dir: canDir, extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'] });
  const canCluster = await newTestCluster({ ...env, temporal: canTemporal }, 'rec-can');
  let parkCluster: Awaited<ReturnType<typeof newTestCluster>> | undefined;
  try {
    for (const [name, bytes] of [['node-a', 10], ['node-b', 20]] as const) await c.createPool(name, { bytes: bytes * GiB });
    await c.createPool('node-stale', { bytes: 10 * GiB, lease: new Date(Date.now() - 10 * 60_000) }); // heartbeat lost
    await c.createVolume('bound', { size: 4 * GiB, hostNode: 'node-a', positionAdvice: 'PreferLocal' });
    await c.createVolume('deleted', { size: 2 * GiB, hostNode: 'node-b' });
    await c.createVolume('unschedulable', { size: 900 * GiB, hostNode: 'node-a' });
    await c.createVolume('invalid-selector', { size: GiB, annotations: { 'obnvmf/pool-label-selector': 'a in (b' } });
    await c.createVolume('stray-grant', { size: GiB, hostNode: 'node-a', positionAdvice: 'MustLocal' });
    const ref = async (name: string) => {
      const v = await c.getVolume(name);
      return { namespace: c.ns, name, uid: v.metadata.uid! };
    };
    await eventually(async () => {
      for (const n of ['bound', 'deleted', 'stray-grant']) if (!(await c.getVolume(n)).spec.targetNodeId) throw new Error(`${n} not bound`);
      for (const n of ['unschedulable', 'invalid-selector']) if (!(await c.getVolume(n)).status?.msg) throw new Error(`${n} has no msg`);
    }, { timeoutMs: 60_000 });
    const deleted = await ref('deleted');
    await c.deleteVolume('deleted');
    await eventually(async () => {
      if ((await wf.getHandle(volumeWorkflowId(deleted)).describe()).status.name !== 'COMPLETED') throw new Error('not completed');
    }, { timeoutMs: 60_000 });
    // v0.5.0: a grant from a pool the volume did not ask (what a lost workflow task's request leaves): node-b
    // really grants it, and the volume, bound on node-a, gives it back.
    const stray = await ref('stray-grant');
    await wf.signalWithStart('poolWorkflow', {
      workflowId: poolWorkflowId({ namespace: c.ns, name: 'node-b' }),
      taskQueue: op.poolTaskQueue ?? op.taskQueue,
      args: [{ ref: { namespace: c.ns, name: 'node-b' }, timings: op.timings }],
      signal: reserveRequestSignal,
      signalArgs: [{ requestId: `${stray.uid}/1`, replyTo: volumeWorkflowId(stray), req: { uid: stray.uid, key: `${c.ns}/stray-grant`, bytes: GiB, sizeByte: GiB, remote: true, countsRemote: true, reservationId: '', viaReservation: false } }],
    });
    await eventually(async () => {
      const l = await wf.getHandle(poolWorkflowId({ namespace: c.ns, name: 'node-b' })).query(ledgerQuery);
      if (l.bindings.some((b) => b.uid === stray.uid)) throw new Error('stray grant not released yet');
      // v0.8.0: the volume's run has parked once bound, so the pool's reply activity gives the grant back.
      if (olderThan(version, '0.8.0')) {
        const h = await wf.getHandle(volumeWorkflowId(stray)).fetchHistory();
        if (!activityTypes(h).includes('ledgerRelease')) throw new Error('no release in the history yet');
      }
    }, { timeoutMs: 30_000 });
    out.push({ type: 'volumeWorkflow', scenario: 'stray-grant', id: volumeWorkflowId(stray) });
    // v0.6.0: a pool whose workflow tasks no worker takes for a while (its queue unpolled, as in a rollout): the
    // volume asks once, probes the pool after each silence and waits (reporting WaitingForPool), then binds when a
    // worker for that queue appears. The pool's workflow is started on that queue before its StoragePool exists.
    const heldQueue = `${op.taskQueue}-held-pools`;
    const slow = { namespace: c.ns, name: 'node-slow' };
    await wf.start('poolWorkflow', poolStartOptions({ taskQueue: heldQueue, timings: op.timings }, slow));
    await c.createPool('node-slow', { bytes: 10 * GiB });
    await c.createVolume('waited-for-pool', { size: GiB, hostNode: 'node-slow', positionAdvice: 'MustLocal' });
    const waited = await ref('waited-for-pool');
    await eventually(async () => {
      const h = await wf.getHandle(volumeWorkflowId(waited)).fetchHistory();
      if (activityTypes(h).filter((t) => t === 'ledgerProbe').length < 2) throw new Error('fewer than two probes yet');
      if (!(await c.getVolume('waited-for-pool')).status?.msg?.startsWith('WaitingForPool')) throw new Error('no WaitingForPool in status.msg');
    }, { timeoutMs: 60_000 });
    held = await runOperator({
      kubeConfig: env.kube.kubeConfig,
      namespace: c.ns,
      temporal: { address: env.temporal.address, namespace: env.temporal.namespace },
      taskQueue: `${op.taskQueue}-held`,
      poolTaskQueue: heldQueue,
      watch: false,
      config: parseControllerConfig({}, 'recorder'),
      timings: op.timings,
      log: createLogger('error'),
      workflowBundle: env.workflowBundle,
    });
    await eventually(async () => {
      if ((await c.getVolume('waited-for-pool')).spec.targetNodeId !== 'node-slow') throw new Error('waited-for-pool not bound');
    }, { timeoutMs: 60_000 });
    out.push({ type: 'volumeWorkflow', scenario: 'waited-for-pool', id: volumeWorkflowId(waited) });
    // Let the unschedulable volume's fallback timer fire once, so the history holds a timer-driven retry.
    await new Promise((r) => setTimeout(r, 6_000));
    await wf.getHandle(volumeWorkflowId(await ref('bound'))).query(placementQuery);

    out.push({ type: 'volumeWorkflow', scenario: 'bound', id: volumeWorkflowId(await ref('bound')) });
    out.push({ type: 'volumeWorkflow', scenario: 'deleted', id: volumeWorkflowId(deleted) });
    out.push({ type: 'volumeWorkflow', scenario: 'unschedulable', id: volumeWorkflowId(await ref('unschedulable')) });
    out.push({ type: 'volumeWorkflow', scenario: 'invalid-selector', id: volumeWorkflowId(await ref('invalid-selector')) });
    await eventually(async () => {
      const p = (await c.listPools()).find((x) => x.metadata.name === 'node-stale');
      if (p?.status?.status !== 'unknown') throw new Error('node-stale not unknown yet');
    }, { timeoutMs: 30_000 });
    for (const p of ['node-a', 'node-b', 'node-stale']) {
      const id = poolWorkflowId({ namespace: c.ns, name: p });
      await wf.getHandle(id).query(ledgerQuery);
      out.push({ type: 'poolWorkflow', scenario: `ledger-${p}`, id });
    }
    out.push({ type: 'metaSyncWorkflow', scenario: 'sync', id: metaSyncWorkflowId(c.ns) });

    // v0.7.0: a snapshot that waits for its origin's snapshot reserve (woken by the volume's watch event), is bound
    // and created, then merged and deleted with the agent's finalizer on it.
    const snaps = { group: GROUP, version: VERSION, namespace: c.ns, plural: PLURAL_SNAPSHOT };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await c.co.createNamespacedCustomObject({ ...snaps, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorSnapshot', metadata: { name: 'snap' }, spec: { volType: 'KernelLVol', size: 10 * 2 ** 20, originVolName: 'bound', originVolNamespace: c.ns } } });
    const snapName = async () => ({ namespace: c.ns, name: 'snap', uid: ((await c.co.getNamespacedCustomObject({ ...snaps, name: 'snap' })) as AntstorSnapshot).metadata.uid! });
    const snapRef = await eventually(async () => {
      const r = await snapName();
      const h = await wf.getHandle(snapshotWorkflowId(r)).fetchHistory();
      if (activityTypes(h).length < 3) throw new Error('the snapshot has not reached its wait yet');
      return r;
    }, { timeoutMs: 30_000 });
    await c.co.patchNamespacedCustomObject({ ...snaps, plural: 'antstorvolumes', name: 'bound', body: { metadata: { annotations: { 'obnvmf/snapshot-reserved-bytes': String(2 ** 30) } } } }, merge);
    await eventually(async () => {
      const s = (await c.co.getNamespacedCustomObject({ ...snaps, name: 'snap' })) as AntstorSnapshot;
      if (s.status?.status !== 'creating') throw new Error('snapshot not creating yet');
    }, { timeoutMs: 30_000 });
    await c.co.patchNamespacedCustomObjectStatus({ ...snaps, name: 'snap', body: { status: { status: 'merged' } } }, merge);
    await c.co.patchNamespacedCustomObject({ ...snaps, name: 'snap', body: { metadata: { finalizers: [SnapshotFinalizer] } } }, merge);
    await c.co.deleteNamespacedCustomObject({ ...snaps, name: 'snap' });
    await eventually(async () => {
      if ((await wf.getHandle(snapshotWorkflowId(snapRef)).describe()).status.name !== 'COMPLETED') throw new Error('snapshot workflow not completed');
    }, { timeoutMs: 30_000 });
    out.push({ type: 'snapshotWorkflow', scenario: 'merged-and-deleted', id: snapshotWorkflowId(snapRef) });

    // v0.7.0: a migration through every phase (agent stand-ins write the volumes' status and migrationInfo), then
    // deleted.
    for (const p of ['spdk-1', 'spdk-2']) await c.createPool(p, { bytes: 10 * GiB, spdk: true });
    await c.createVolume('mig-src', { size: GiB, hostNode: 'spdk-1', positionAdvice: 'PreferLocal', spec: { type: 'SpdkLVol' } });
    const ready = async (name: string, address: string) => {
      await eventually(async () => {
        if (!(await c.getVolume(name)).spec.targetNodeId) throw new Error(`${name} not placed`);
      }, { timeoutMs: 30_000 });
      await c.co.patchNamespacedCustomObject({ ...snaps, plural: 'antstorvolumes', name, body: { spec: { spdkTarget: { subsysNqn: 'nqn.rec', nsUuid: 'ns-rec', address } } } }, merge);
      await c.co.patchNamespacedCustomObjectStatus({ ...snaps, plural: 'antstorvolumes', name, body: { status: { status: 'ready' } } }, merge);
    };
    await ready('mig-src', '10.0.0.1');
    const migs = { ...snaps, plural: PLURAL_MIGRATION };
    await c.co.createNamespacedCustomObject({ ...migs, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'VolumeMigration', metadata: { name: 'mig' }, spec: { sourceVolume: { namespace: c.ns, name: 'mig-src' } } } });
    const migNow = async () => (await c.co.getNamespacedCustomObject({ ...migs, name: 'mig' })) as VolumeMigration;
    const phase = (want: string) => eventually(async () => {
      if ((await migNow()).status?.phase !== want) throw new Error(`migration not ${want} yet`);
    }, { timeoutMs: 30_000 });
    const destName = await eventually(async () => {
      const n = (await migNow()).spec.destVolume?.name;
      if (!n) throw new Error('no destination yet');
      await c.getVolume(n);
      return n;
    }, { timeoutMs: 30_000 });
    await ready(destName, '10.0.0.2');
    await phase('SetupPipe');
    const agent = (migrationInfo: object) => c.co.patchNamespacedCustomObject({ ...migs, name: 'mig', body: { spec: { migrationInfo } } }, merge);
    await agent({ migrationPipe: { status: 'Connected' }, hostConnectStatus: 'Connected' });
    await phase('Syncing');
    await agent({ autoSwitch: { enabled: true, status: 'Success' } });
    await phase('Cleaning');
    await agent({ migrationPipe: { status: 'Disconnected' }, hostConnectStatus: 'Disconnected' });
    await phase('Finished');
    const migRef = { namespace: c.ns, name: 'mig', uid: (await migNow()).metadata.uid! };
    await c.co.deleteNamespacedCustomObject({ ...migs, name: 'mig' });
    await eventually(async () => {
      if ((await wf.getHandle(migrationWorkflowId(migRef)).describe()).status.name !== 'COMPLETED') throw new Error('migration workflow not completed');
    }, { timeoutMs: 30_000 });
    out.push({ type: 'migrationWorkflow', scenario: 'finished-and-deleted', id: migrationWorkflowId(migRef) });

    // v0.7.0: a volume group (members held, created, ready) used by a DataControl that waits for it, takes its host
    // and copies its publish parameters; then both deleted (the group after its DataControl).
    for (const p of ['vg-1', 'vg-2']) await c.createPool(p, { bytes: 10 * GiB, labels: { tier: 'vg' } });
    const vgs = { ...snaps, plural: PLURAL_GROUP };
    const dcs = { ...snaps, plural: PLURAL_DATA_CONTROL };
    await c.co.createNamespacedCustomObject({ ...vgs, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorVolumeGroup', metadata: { name: 'grp', labels: { 'obnvmf/data-control-name': 'dc' } }, spec: { uuid: 'grp', totalSize: 4 * GiB, desiredVolumeSpec: { sizeSymmetry: 'Asymmetric', countRange: { max: 2 }, sizeRange: { min: '1Gi', max: '2Gi' }, annotations: { 'obnvmf/pool-label-selector': 'tier=vg' } }, stragety: { allowEmptyNode: true } } } });
    await c.co.createNamespacedCustomObject({ ...dcs, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AntstorDataControl', metadata: { name: 'dc' }, spec: { uuid: 'dc', engineType: 'KernelLVM', raid: { level: 'raid0' }, hostNode: { id: 'host-1', ip: '10.0.0.9' }, volumeGroups: [{ namespace: c.ns, name: 'grp', uuid: 'grp' }] } } });
    const grpNow = async () => (await c.co.getNamespacedCustomObject({ ...vgs, name: 'grp' })) as AntstorVolumeGroup;
    const members = await eventually(async () => {
      const ms = (await grpNow()).spec.volumes ?? [];
      if (ms.length !== 2) throw new Error('group not planned');
      for (const m of ms) if (!(await c.getVolume(m.volId.name)).spec.targetNodeId) throw new Error(`${m.volId.name} not placed`);
      return ms;
    }, { timeoutMs: 30_000 });
    for (const m of members) await c.co.patchNamespacedCustomObjectStatus({ ...snaps, plural: 'antstorvolumes', name: m.volId.name, body: { status: { status: 'ready' } } }, merge);
    const dcNow = async () => (await c.co.getNamespacedCustomObject({ ...dcs, name: 'dc' })) as AntstorDataControl;
    await eventually(async () => {
      if ((await dcNow()).spec.targetNodeId !== 'host-1') throw new Error('DataControl not scheduled');
    }, { timeoutMs: 30_000 });
    await c.co.patchNamespacedCustomObjectStatus({ ...dcs, name: 'dc', body: { status: { status: 'ready', csiNodePubParams: { stagingTargetPath: '/s', targetPath: '/t' } } } }, merge);
    await eventually(async () => {
      for (const m of members) if (!(await c.getVolume(m.volId.name)).status?.csiNodePubParams?.targetPath) throw new Error('publish parameters not copied');
    }, { timeoutMs: 30_000 });
    const grpRef = { namespace: c.ns, name: 'grp', uid: (await grpNow()).metadata.uid! };
    const dcRef = { namespace: c.ns, name: 'dc', uid: (await dcNow()).metadata.uid! };
    await c.co.deleteNamespacedCustomObject({ ...vgs, name: 'grp' });
    await new Promise((r) => setTimeout(r, 2000)); // the group waits for its DataControl
    await c.co.deleteNamespacedCustomObject({ ...dcs, name: 'dc' });
    await eventually(async () => {
      for (const id of [groupWorkflowId(grpRef), dataControlWorkflowId(dcRef)]) if ((await wf.getHandle(id).describe()).status.name !== 'COMPLETED') throw new Error(`${id} not completed`);
    }, { timeoutMs: 60_000 });
    out.push({ type: 'volumeGroupWorkflow', scenario: 'held-ready-deleted', id: groupWorkflowId(grpRef) });
    out.push({ type: 'dataControlWorkflow', scenario: 'scheduled-and-deleted', id: dataControlWorkflowId(dcRef) });

    // Histories that cross continue-as-new: a burst into one pool on a server that suggests it every 100 events.
    // Without user volume plugins (the example's Stamp runs before placement, in each volume's own workflow), so
    // the placer admits the burst and each volume's run is started bound and parks (v0.8.0).
    resetPluginRegistrations();
    const canOp = await canCluster.startOperator({ config: { scheduler: { maxRemoteVolumeCount: 1000 } } });
    const cwf = canOp.client.workflow;
    await canCluster.createPool('node-can', { bytes: 400 * GiB });
    // v0.8.0: enough volumes for the placer (a batch per workflow task) to roll over as well.
    await inParallel(Array.from({ length: 400 }, (_, i) => i), 12, (i) => canCluster.createVolume(`can-${i}`, { size: GiB }));
    await eventually(async () => {
      const unbound = (await canCluster.listVolumes()).filter((v) => !v.spec.targetNodeId);
      if (unbound.length) throw new Error(`${unbound.length} not bound`);
    }, { timeoutMs: 240_000 });
    // A workflow's runs, oldest first, and the first run that continued as new (at least one must have).
    const rolledRuns = async (id: string, what: string) => {
      const runs: { runId: string; status: string; start: number }[] = [];
      for await (const w of cwf.list({ query: `WorkflowId = '${id}'` })) runs.push({ runId: w.runId, status: w.status.name, start: w.startTime.getTime() });
      runs.sort((a, b) => a.start - b.start);
      const first = runs.find((r) => r.status === 'CONTINUED_AS_NEW');
      if (!first) throw new Error(`${what} never continued as new; expected at least once`);
      return { first: first.runId, last: runs[runs.length - 1]!.runId };
    };
    // v0.8.0: the placer asks a pool once per batch, so the pool's history grows slower; one roll-over is enough.
    const poolId = poolWorkflowId({ namespace: canCluster.ns, name: 'node-can' });
    const pool = await rolledRuns(poolId, 'the pool');
    out.push({ type: 'poolWorkflow', scenario: 'ledger-can-first-run', id: poolId, runId: pool.first, client: cwf });
    out.push({ type: 'poolWorkflow', scenario: 'ledger-can-carried-run', id: poolId, runId: pool.last, client: cwf });
    // v0.8.0: the placer across continue-as-new (the same burst, in batches).
    const placerId = placerWorkflowId(canCluster.ns);
    const placer = await rolledRuns(placerId, 'the placer');
    out.push({ type: 'placerWorkflow', scenario: 'placer-can-first-run', id: placerId, runId: placer.first, client: cwf });
    out.push({ type: 'placerWorkflow', scenario: 'placer-can-carried-run', id: placerId, runId: placer.last, client: cwf });
    // v0.8.0: a volume run started bound by the placer and parked.
    const canRef = async (name: string) => ({ namespace: canCluster.ns, name, uid: (await canCluster.getVolume(name)).metadata.uid! });
    const parked = await canRef('can-1');
    out.push({ type: 'volumeWorkflow', scenario: 'placed-parked', id: volumeWorkflowId(parked), client: cwf });
    // v0.17.0: the releaser across continue-as-new — 200 deletions, finished in batches (the parked runs stay parked).
    // In waves, so the releaser takes many batches (and signals) and its history passes the server's suggestion.
    for (let w = 0; w < 20; w++) {
      await inParallel(Array.from({ length: 10 }, (_, i) => 2 + w * 10 + i), 10, (i) => canCluster.deleteVolume(`can-${i}`));
      await new Promise((r) => setTimeout(r, 300));
    }
    await eventually(async () => {
      const left = (await canCluster.listVolumes()).length;
      if (left > 200) throw new Error(`${left} volumes left`);
    }, { timeoutMs: 120_000 });
    const releaserId = releaserWorkflowId(canCluster.ns);
    const releaser = await rolledRuns(releaserId, 'the releaser');
    out.push({ type: 'releaserWorkflow', scenario: 'releaser-can-first-run', id: releaserId, runId: releaser.first, client: cwf });
    out.push({ type: 'releaserWorkflow', scenario: 'releaser-can-carried-run', id: releaserId, runId: releaser.last, client: cwf });

    // v0.12.0: an idle pool parks (its run ends), a request brings it back (a new run adopts its bindings by a
    // consistent read), and it parks again.
    parkCluster = await newTestCluster(env, 'rec-park');
    const parkOp = await parkCluster.startOperator({ timings: { poolParkIdleMs: 2000 } });
    const pwf = parkOp.client.workflow;
    const parkId = poolWorkflowId({ namespace: parkCluster.ns, name: 'node-park' });
    const parkRuns = async (n: number) =>
      eventually(async () => {
        const runs: { runId: string; status: string; start: number }[] = [];
        for await (const w of pwf.list({ query: `WorkflowId = '${parkId}'` })) runs.push({ runId: w.runId, status: w.status.name, start: w.startTime.getTime() });
        runs.sort((a, b) => a.start - b.start);
        if (runs.length < n || runs.some((r) => r.status !== 'COMPLETED')) throw new Error(`pool runs: ${runs.map((r) => r.status).join(',')}`);
        return runs.map((r) => r.runId);
      }, { timeoutMs: 60_000 });
    const boundTo = (name: string) =>
      eventually(async () => {
        if ((await parkCluster!.getVolume(name)).spec.targetNodeId !== 'node-park') throw new Error(`${name} not bound`);
      }, { timeoutMs: 30_000 });
    await parkCluster.createPool('node-park', { bytes: 10 * GiB });
    for (const n of ['park-1', 'park-2']) await parkCluster.createVolume(n, { size: 2 * GiB, hostNode: 'node-park' });
    for (const n of ['park-1', 'park-2']) await boundTo(n);
    await parkRuns(1);
    await parkCluster.createVolume('park-3', { size: 2 * GiB, hostNode: 'node-park' });
    await boundTo('park-3');
    const [parkedRun, unparkedRun] = await parkRuns(2);
    out.push({ type: 'poolWorkflow', scenario: 'ledger-parked', id: parkId, runId: parkedRun, client: pwf });
    out.push({ type: 'poolWorkflow', scenario: 'ledger-unparked', id: parkId, runId: unparkedRun, client: pwf });
    for (const o of out) {
      const dir = join(REPO_ROOT, 'test', 'histories', o.type);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${o.scenario}__v${version}.json`);
      if (existsSync(file) && !force) {
        console.log(`kept ${file} (exists; --force replaces it)`);
        continue;
      }
      const history = await (o.client ?? wf).getHandle(o.id, o.runId).fetchHistory();
      writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
      console.log(`wrote ${file} (${history.events?.length} events)`);
    }
  } finally {
    await held?.stop();
    await c.stop();
    await canCluster.stop();
    await parkCluster?.stop();
    await canTemporal.stop();
    rmSync(canDir, { recursive: true, force: true });
    await teardownEnv();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
