/**
 * Placement scenarios against the real servers: affinity, position, reservation, override, bad input, the
 * fast retry after room appears, search attributes and the explain command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster, type TestCluster } from '../harness/cluster.js';

const bound = async (c: TestCluster, name: string, pool: string) =>
  eventually(async () => assert.equal((await c.getVolume(name)).spec.targetNodeId, pool, `${name} on ${pool}`), { timeoutMs: 30_000, what: `${name} bound` });
const msg = async (c: TestCluster, name: string, re: RegExp) =>
  eventually(async () => {
    const v = await c.getVolume(name);
    assert.match(v.status?.msg ?? '', re);
    assert.equal(v.spec.targetNodeId ?? '', '', `${name} must not be placed`);
  }, { timeoutMs: 30_000, what: `${name} status.msg` });

describe('e2e: placement scenarios', function () {
  let env: TestEnv;
  let c: TestCluster;

  before(async function () {
    env = await testEnv();
    c = await newTestCluster(env, 'scen');
    await c.startOperator({
      config: { scheduler: { nodeReservations: [{ id: 'app-vol', size: 4 * GiB }], filters: ['Basic', 'Affinity'], maxRemoteVolumeCount: 100 } },
      timings: { unschedulableRetryMs: 10 * 60_000 }, // only event-driven retries can place anything in time
    });
    await c.createPool('gold-a', { bytes: 20 * GiB, labels: { tier: 'gold' }, nodeLabels: { zone: 'a' } });
    await c.createPool('gold-b', { bytes: 20 * GiB, labels: { tier: 'gold' }, nodeLabels: { zone: 'b' } });
    await c.createPool('silver-a', { bytes: 20 * GiB, labels: { tier: 'silver' }, nodeLabels: { zone: 'a' } });
  });
  after(async () => c?.stop());

  it('pool-label-selector and node-label-selector steer placement', async () => {
    await c.createVolume('sel-1', { size: GiB, hostNode: 'x', annotations: { 'obnvmf/pool-label-selector': 'tier=silver' } });
    await c.createVolume('sel-2', { size: GiB, hostNode: 'x', annotations: { 'obnvmf/node-label-selector': 'zone=b' } });
    await c.createVolume('sel-3', { size: GiB, hostNode: 'x', annotations: { 'obnvmf/pool-label-selector': 'tier=gold', 'obnvmf/node-label-selector': 'zone notin (b)' } });
    await bound(c, 'sel-1', 'silver-a');
    await bound(c, 'sel-2', 'gold-b');
    await bound(c, 'sel-3', 'gold-a');
  });

  it('spec.nodeAffinity and spec.poolAffinity steer placement; an impossible one is reported', async () => {
    const term = (key: string, operator: string, values: string[]) => ({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, values }] }] } });
    await c.createVolume('aff-1', { size: GiB, hostNode: 'x', spec: { nodeAffinity: term('zone', 'In', ['b']) } });
    await c.createVolume('aff-2', { size: GiB, hostNode: 'x', spec: { poolAffinity: term('tier', 'In', ['silver']) } });
    await c.createVolume('aff-3', { size: GiB, hostNode: 'x', spec: { poolAffinity: term('tier', 'In', ['platinum']) } });
    await bound(c, 'aff-1', 'gold-b');
    await bound(c, 'aff-2', 'silver-a');
    await msg(c, 'aff-3', /^NoStoragePoolAvailable: PoolAffinity: 3$/);
  });

  it('MustLocal lands on the host node, MustRemote never does', async () => {
    await c.createVolume('pos-local', { size: GiB, hostNode: 'gold-b', positionAdvice: 'MustLocal' });
    await c.createVolume('pos-remote', { size: GiB, hostNode: 'gold-a', positionAdvice: 'MustRemote', annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
    await c.createVolume('pos-nowhere', { size: GiB, hostNode: 'not-a-pool', positionAdvice: 'MustLocal' });
    await bound(c, 'pos-local', 'gold-b');
    await bound(c, 'pos-remote', 'gold-b');
    await msg(c, 'pos-nowhere', /^NoStoragePoolAvailable: PositionNotMatch: 3$/);
  });

  it('a volume claims its reservation (obnvmf/reservation-id); an unknown reservation is reported', async () => {
    await c.createVolume('resv-ok', { size: 3 * GiB, hostNode: 'x', annotations: { 'obnvmf/reservation-id': 'app-vol', 'obnvmf/pool-label-selector': 'tier=silver' } });
    await c.createVolume('resv-small', { size: 5 * GiB, hostNode: 'x', annotations: { 'obnvmf/reservation-id': 'app-vol' } });
    await c.createVolume('resv-none', { size: GiB, hostNode: 'x', annotations: { 'obnvmf/reservation-id': 'nope' } });
    await bound(c, 'resv-ok', 'silver-a');
    await msg(c, 'resv-small', /ReservationTooSmall: [23]/);
    await msg(c, 'resv-none', /^NoStoragePoolAvailable: ReservationNotMatch: 3$/);
  });

  it('obnvmf/selected-tgt-node places without filters', async () => {
    await c.createVolume('sel-tgt', { size: GiB, hostNode: 'x', annotations: { 'obnvmf/selected-tgt-node': 'silver-a', 'obnvmf/pool-label-selector': 'tier=gold' } });
    await bound(c, 'sel-tgt', 'silver-a');
  });

  it('bad input: invalid selector, empty uuid, sizeByte 0 — clear status, not placed, nothing crashes', async () => {
    await c.createVolume('bad-sel', { size: GiB, annotations: { 'obnvmf/node-label-selector': 'zone in (a' } });
    await c.createVolume('bad-uuid', { size: GiB, uuid: '' });
    await c.createVolume('bad-size', { size: 0 });
    await c.createVolume('no-host', { size: GiB, hostNode: null, annotations: { 'obnvmf/pool-label-selector': 'tier=gold' } });
    await msg(c, 'bad-sel', new RegExp(`^InvalidSelector: AntstorVolume ${c.ns}/bad-sel: annotation obnvmf/node-label-selector: invalid label selector "zone in \\(a": missing "\\)"`));
    await msg(c, 'bad-uuid', new RegExp(`^InvalidVolume: AntstorVolume ${c.ns}/bad-uuid: spec.uuid is empty$`));
    await msg(c, 'bad-size', /spec.sizeByte must be a positive number of bytes, got 0/);
    await eventually(async () => assert.match((await c.getVolume('no-host')).spec.targetNodeId ?? '', /^gold-/), { timeoutMs: 30_000 });
    await eventually(async () => {
      const events = await c.core.listNamespacedEvent({ namespace: c.ns });
      assert.ok(events.items.some((e) => e.reason === 'InvalidVolume' && e.involvedObject.name === 'bad-sel' && e.type === 'Warning'));
    }, { timeoutMs: 10_000 });
    // Fixing the annotation places the volume.
    await c.co.patchNamespacedCustomObject(
      { group: 'volume.antstor.alipay.com', version: 'v1', namespace: c.ns, plural: 'antstorvolumes', name: 'bad-sel', body: { metadata: { annotations: { 'obnvmf/node-label-selector': 'zone in (a)' } } } },
      (await import('../../src/kube/client-node.js')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    await eventually(async () => assert.match((await c.getVolume('bad-sel')).spec.targetNodeId ?? '', /-a$/), { timeoutMs: 30_000 }).catch(async (e) => {
      const v = await c.getVolume('bad-sel');
      const rec = await c.op!.client.workflow.getHandle(`volume/${c.ns}/bad-sel/${v.metadata.uid}`).query('placement');
      const h = await c.op!.client.workflow.getHandle(`volume/${c.ns}/bad-sel/${v.metadata.uid}`).fetchHistory();
      const evs = (h.events ?? []).map((x) => `${x.eventType}:${x.workflowExecutionSignaledEventAttributes?.signalName ?? x.activityTaskScheduledEventAttributes?.activityType?.name ?? ''}`);
      throw new Error(`${(e as Error).message}\n${JSON.stringify(v.metadata.annotations)} ${JSON.stringify(rec)}\n${evs.join('\n')}`);
    });
    assert.equal((await c.getVolume('bad-sel')).status?.msg ?? '', '', 'stale message cleared on placement');
  });

  it('a pending volume is placed within 2 s after a deletion frees room', async () => {
    await c.createPool('tiny', { bytes: 10 * GiB, labels: { tier: 'tiny' } });
    const sel = { 'obnvmf/pool-label-selector': 'tier=tiny' };
    // Every pool also holds the 4 GiB standing reservation app-vol: 6 GiB are free on tiny.
    await c.createVolume('hog', { size: 5 * GiB, hostNode: 'tiny', annotations: sel });
    await bound(c, 'hog', 'tiny');
    await c.createVolume('waiter', { size: 4 * GiB, hostNode: 'tiny', annotations: sel });
    await msg(c, 'waiter', /^NoStoragePoolAvailable: PoolAffinity: \d+, PoolFreeSize: 1$/);
    await c.deleteVolume('hog');
    await eventually(async () => assert.ok(!(await c.listVolumes()).some((v) => v.metadata.name === 'hog')), { timeoutMs: 30_000, intervalMs: 50 });
    const gone = Date.now();
    await eventually(async () => assert.equal((await c.getVolume('waiter')).spec.targetNodeId, 'tiny'), { timeoutMs: 2_000, intervalMs: 50, what: 'waiter placed within 2 s' });
    if (process.env['DCT_VERBOSE']) console.error(`[retry] placed ${Date.now() - gone} ms after the room appeared`);
  });

  it('a pending volume is placed when a pool grows', async () => {
    await c.createPool('grow', { bytes: 2 * GiB, labels: { tier: 'grow' } });
    await c.createVolume('needs-room', { size: 3 * GiB, hostNode: 'grow', annotations: { 'obnvmf/pool-label-selector': 'tier=grow' } });
    await msg(c, 'needs-room', /PoolFreeSize: \d/);
    // 8 GiB: the 4 GiB reservation now fits and is held, leaving 4 GiB for the volume.
    await c.setPoolStatus('grow', { capacity: { storage: String(8 * GiB) } });
    await eventually(async () => assert.equal((await c.getVolume('needs-room')).spec.targetNodeId, 'grow'), { timeoutMs: 5_000, intervalMs: 50 });
  });

  it('search attributes find every placement onto a pool, and the pool itself, with one query; explain prints the record', async () => {
    const ids: string[] = [];
    await eventually(async () => {
      ids.length = 0;
      for await (const w of c.op!.client.workflow.list({ query: `StoragePool = "${c.ns}/gold-b"` })) ids.push(w.workflowId);
      const names = ids.filter((id) => id.startsWith('volume/')).map((id) => id.split('/')[2]);
      for (const n of ['sel-2', 'aff-1', 'pos-local', 'pos-remote']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
      assert.ok(ids.includes(`pool/${c.ns}/gold-b`), `the pool's workflow in ${ids.join(',')}`);
    }, { timeoutMs: 15_000 });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'explain', `${c.ns}/aff-3`, '--kubeconfig', env.kube.kubeconfigPath, '--temporal-address', env.temporal.address],
    );
    assert.match(stdout, new RegExp(`volume ${c.ns}/aff-3: Unschedulable`));
    assert.match(stdout, /filter Affinity: \d+ in, 0 passed/);
    assert.match(stdout, /rejected \d+ for PoolAffinity \(e\.g\. gold-a, gold-b, /);
  });
});
