import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControllerConfig, parseControllerConfigYaml } from '../../src/config/controller-config.js';

describe('unit: controller config', () => {
  it('defaults reproduce LiteIO (filters Basic, Affinity; priorities LeastResource, PositionAdvice; max remote 3)', () => {
    const c = loadControllerConfig(undefined);
    assert.deepEqual(c.scheduler.filters, ['Basic', 'Affinity']);
    assert.deepEqual(c.scheduler.priorities, [{ name: 'LeastResource', weight: 1 }, { name: 'PositionAdvice', weight: 1 }]);
    assert.equal(c.scheduler.maxRemoteVolumeCount, 3);
  });
  it("reads LiteIO's shipped example config", () => {
    const c = parseControllerConfigYaml(
      `scheduler:
  maxRemoteVolumeCount: 0
  minLocalStoragePct: 20
  filters: [Basic, Affinity, MinLocalStorage]
  priorities: [LeastResource, {name: PositionAdvice, weight: 2}]
  remoteIgnoreAnnoSelector: {obnvmf/regard-as-remote: "false"}
  lockSchedConfig:
    nodeSelector: [{key: lite.io/lock-node, operator: Exists}]
    nodeTaints: [{key: lite.io/hardware-broken, operator: Exists}]
  nodeReservations: [{id: obnvmf/app-vol, size: 107374182400}]
pluginConfigs:
  defaultLocalSpaceRules: [{enableDefault: true}]
`,
      'x.yaml',
    );
    assert.equal(c.scheduler.maxRemoteVolumeCount, 3, 'SetDefaults: <= 0 becomes 3');
    assert.equal(c.scheduler.minLocalStoragePct, 20);
    assert.deepEqual(c.scheduler.priorities[1], { name: 'PositionAdvice', weight: 2 });
    assert.deepEqual(c.scheduler.remoteIgnoreAnnoSelector, { 'obnvmf/regard-as-remote': 'false' });
    assert.deepEqual(c.scheduler.nodeReservations, [{ id: 'obnvmf/app-vol', size: 107374182400 }]);
    assert.ok(c.pluginConfigs['defaultLocalSpaceRules']);
  });
  const bad: [string, RegExp][] = [
    ['scheduler: [', /config bad.yaml: \(yaml\): not valid YAML at line/],
    ['- a\n- b', /config bad.yaml: \(top level\): must be a map/],
    ['schedular: {}', /config bad.yaml: schedular: unknown key/],
    ['scheduler: {maxRemote: 1}', /scheduler.maxRemote: unknown key/],
    ['scheduler: {maxRemoteVolumeCount: "x"}', /scheduler.maxRemoteVolumeCount: must be an integer/],
    ['scheduler: {filters: Basic}', /scheduler.filters: must be a list/],
    ['scheduler: {filters: [Basic, 3]}', /scheduler.filters\[1\]: must be a non-empty string/],
    ['scheduler: {priorities: [{name: X, weight: -1}]}', /scheduler.priorities\[0\].weight: must be a number >= 0/],
    ['scheduler: {minLocalStoragePct: 120}', /scheduler.minLocalStoragePct: must be between 0 and 100/],
    ['scheduler: {nodeReservations: [{id: a}]}', /scheduler.nodeReservations\[0\].size: must be a positive integer/],
    ['scheduler: {lockSchedConfig: {nodeSelector: [{key: a, operator: Near}]}}', /nodeSelector\[0\]: unknown operator "Near"/],
    ['scheduler: {lockSchedConfig: {nodeTaints: [{key: a, operator: Maybe}]}}', /nodeTaints\[0\].operator: must be Equal or Exists/],
    ['scheduler: {remoteIgnoreAnnoSelector: [a]}', /remoteIgnoreAnnoSelector: must be a map/],
    ['pluginConfigs: 3', /pluginConfigs: must be a map/],
  ];
  for (const [text, re] of bad) it(`rejects ${JSON.stringify(text)} naming the field`, () => assert.throws(() => parseControllerConfigYaml(text, 'bad.yaml'), re));
  it('names the file when it cannot be read', () => {
    const d = mkdtempSync(join(tmpdir(), 'cfg-'));
    assert.throws(() => loadControllerConfig(join(d, 'missing.yaml')), /missing.yaml: \(file\): cannot read: ENOENT/);
    writeFileSync(join(d, 'ok.yaml'), 'scheduler: {filters: [Basic]}\n');
    assert.deepEqual(loadControllerConfig(join(d, 'ok.yaml')).scheduler.filters, ['Basic']);
  });
});

describe('unit: POOL_PARK_IDLE_MS', () => {
  it('sets how long a pool stays idle before it parks; 0 never parks; unset keeps the default', async () => {
    const { parkIdleFromEnv } = await import('../../src/operator.js');
    assert.deepEqual(parkIdleFromEnv({ POOL_PARK_IDLE_MS: '30000' }), { poolParkIdleMs: 30_000 });
    assert.deepEqual(parkIdleFromEnv({ POOL_PARK_IDLE_MS: '0' }), { poolParkIdleMs: 0 });
    assert.deepEqual(parkIdleFromEnv({}), {});
  });

  it('refuses anything but a whole number of milliseconds, naming the variable and the value', async () => {
    const { parkIdleFromEnv } = await import('../../src/operator.js');
    for (const bad of ['5m', '-1', '1.5', 'never'])
      assert.throws(() => parkIdleFromEnv({ POOL_PARK_IDLE_MS: bad }), new RegExp(`POOL_PARK_IDLE_MS="${bad.replace('.', '\\.')}": expected a whole number of milliseconds`));
  });
});

describe('unit: the workers’ workflow-task settings (POOL_WORKFLOW_TASK_*, VOLUME_WORKFLOW_TASK_*)', () => {
  it('maps slots, pollers (a number or auto) and the non-sticky share onto the worker’s options; unset keeps the SDK’s', async () => {
    const { workerTuningFromEnv } = await import('../../src/operator.js');
    const poolWorkerTuningFromEnv = (env: NodeJS.ProcessEnv) => workerTuningFromEnv(env, 'POOL');
    assert.deepEqual(poolWorkerTuningFromEnv({}), {});
    assert.deepEqual(poolWorkerTuningFromEnv({ POOL_WORKFLOW_TASK_SLOTS: '200', POOL_WORKFLOW_TASK_POLLERS: '40', POOL_NONSTICKY_POLL_RATIO: '0.5' }), {
      maxConcurrentWorkflowTaskExecutions: 200,
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 40 },
      nonStickyToStickyPollRatio: 0.5,
    });
    assert.deepEqual(poolWorkerTuningFromEnv({ POOL_WORKFLOW_TASK_POLLERS: 'auto' }), { workflowTaskPollerBehavior: { type: 'autoscaling' } });
  });

  it('the volumes’ worker reads the same settings under VOLUME_*, independently of the pools’', async () => {
    const { workerTuningFromEnv } = await import('../../src/operator.js');
    const env = { VOLUME_WORKFLOW_TASK_POLLERS: 'auto', VOLUME_WORKFLOW_TASK_SLOTS: '80', POOL_WORKFLOW_TASK_POLLERS: '12' };
    assert.deepEqual(workerTuningFromEnv(env, 'VOLUME'), { maxConcurrentWorkflowTaskExecutions: 80, workflowTaskPollerBehavior: { type: 'autoscaling' } });
    assert.deepEqual(workerTuningFromEnv(env, 'POOL'), { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 12 } });
    assert.throws(() => workerTuningFromEnv({ VOLUME_NONSTICKY_POLL_RATIO: '1.5' }, 'VOLUME'), /VOLUME_NONSTICKY_POLL_RATIO="1\.5": expected a number above 0, at most 1/);
  });

  it('refuses bad values, naming the variable and the value', async () => {
    const { workerTuningFromEnv } = await import('../../src/operator.js');
    const poolWorkerTuningFromEnv = (env: NodeJS.ProcessEnv) => workerTuningFromEnv(env, 'POOL');
    for (const [name, bad, why] of [
      ['POOL_WORKFLOW_TASK_SLOTS', '1', 'at least 2'],
      ['POOL_WORKFLOW_TASK_SLOTS', 'many', 'at least 2'],
      ['POOL_WORKFLOW_TASK_POLLERS', '2.5', 'at least 2'],
      ['POOL_WORKFLOW_TASK_POLLERS', 'autoscale', 'at least 2'],
      ['POOL_NONSTICKY_POLL_RATIO', '0', 'above 0, at most 1'],
      ['POOL_NONSTICKY_POLL_RATIO', '2', 'above 0, at most 1'],
    ])
      assert.throws(() => poolWorkerTuningFromEnv({ [name!]: bad }), new RegExp(`${name}="${bad!.replace('.', '\\.')}": expected .*${why}`));
  });
});

describe('unit: PLACER_REPLY_HANDOFF_MS', () => {
  it('reads a whole number of milliseconds (0: callers always wait for their signal), with the default when unset', async () => {
    const { replyHandOffFromEnv, PLACER_REPLY_HANDOFF_MS_DEFAULT } = await import('../../src/operator.js');
    assert.equal(replyHandOffFromEnv({}), PLACER_REPLY_HANDOFF_MS_DEFAULT);
    assert.equal(replyHandOffFromEnv({ PLACER_REPLY_HANDOFF_MS: '' }), PLACER_REPLY_HANDOFF_MS_DEFAULT);
    assert.equal(replyHandOffFromEnv({ PLACER_REPLY_HANDOFF_MS: '0' }), 0);
    assert.equal(replyHandOffFromEnv({ PLACER_REPLY_HANDOFF_MS: '250' }), 250);
  });
  it('refuses anything else, naming the variable', async () => {
    const { replyHandOffFromEnv } = await import('../../src/operator.js');
    for (const bad of ['-1', '1.5', 'soon'])
      assert.throws(() => replyHandOffFromEnv({ PLACER_REPLY_HANDOFF_MS: bad }), new RegExp(`PLACER_REPLY_HANDOFF_MS="${bad.replace('.', '\\.')}": expected a whole number of milliseconds`));
  });
});
