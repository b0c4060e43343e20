/**
 * The deployment manifests against the real API server: every object is accepted, the shipped config parses,
 * and the ClusterRole is enough: an operator authenticated as a user bound only to it places volumes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject } from '../../src/kube/client-node.js';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../src/embedded/bins.js';
import { parseControllerConfigYaml } from '../../src/config/controller-config.js';
import { eventually } from '../harness/eventually.js';
import { testEnv, type TestEnv } from '../harness/env.js';
import { GiB, newTestCluster } from '../harness/cluster.js';

const manifests = ['namespace.yaml', 'rbac.yaml', 'configmap.yaml', 'deployment.yaml'];
const docs = (f: string) => parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', f), 'utf8')).map((d) => d.toJS() as KubernetesObject);

describe('e2e: deployment manifests', function () {
  let env: TestEnv;
  before(async () => {
    env = await testEnv();
  });

  it('are accepted by the API server (created, then read back)', async () => {
    const api = KubernetesObjectApi.makeApiClient(env.kube.kubeConfig);
    for (const f of manifests)
      for (const obj of docs(f)) {
        try {
          await api.create(obj);
        } catch (e) {
          if ((e as { code?: number }).code !== 409) throw new Error(`${f}: ${obj.kind} ${obj.metadata?.name}: ${(e as { body?: string }).body ?? e}`);
        }
        const back = await api.read({ apiVersion: obj.apiVersion!, kind: obj.kind!, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace! } });
        assert.equal(back.metadata?.name, obj.metadata?.name);
      }
  });

  it('ship config that the controller accepts (ConfigMap and config/*.yaml)', () => {
    const cm = docs('configmap.yaml')[0] as unknown as { data: Record<string, string> };
    const c = parseControllerConfigYaml(cm.data['config.yaml']!, 'deploy/configmap.yaml');
    assert.deepEqual(c.scheduler.filters, ['Basic', 'Affinity']);
    for (const f of ['default.yaml', 'liteio-example.yaml'])
      parseControllerConfigYaml(readFileSync(join(REPO_ROOT, 'config', f), 'utf8'), f);
  });

  it("grant enough: an operator running as a user bound only to the ClusterRole places volumes", async () => {
    const rbac = env.kube.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `disk-controller-test-${Date.now()}` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'disk-controller' },
        subjects: [{ kind: 'User', name: env.kube.userName, apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    const userKc = new KubeConfig();
    userKc.loadFromFile(env.kube.userKubeconfigPath);
    const c = await newTestCluster(env, 'rbac');
    try {
      await eventually(async () => {
        // RBAC bindings take effect asynchronously in the authorizer cache.
        await userKc.makeApiClient((await import('../../src/kube/client-node.js')).CustomObjectsApi).listNamespacedCustomObject({
          group: 'volume.antstor.alipay.com', version: 'v1', namespace: c.ns, plural: 'antstorvolumes',
        });
      }, { timeoutMs: 10_000 });
      await c.startOperator({ kubeConfig: userKc });
      await c.createPool('rbac-pool', { bytes: 10 * GiB });
      await c.createVolume('rbac-vol', { size: GiB, hostNode: 'rbac-pool' });
      await c.createVolume('rbac-too-big', { size: 100 * GiB, hostNode: 'rbac-pool' });
      await eventually(async () => assert.equal((await c.getVolume('rbac-vol')).spec.targetNodeId, 'rbac-pool'), { timeoutMs: 30_000 });
      await eventually(async () => assert.match((await c.getVolume('rbac-too-big')).status?.msg ?? '', /PoolFreeSize/), { timeoutMs: 30_000 });
      await eventually(async () => {
        const events = await c.core.listNamespacedEvent({ namespace: c.ns });
        assert.ok(events.items.some((e) => e.reason === 'Scheduled' && e.involvedObject.name === 'rbac-vol'), 'Scheduled event written by the operator');
      }, { timeoutMs: 10_000 });
      // The other kinds' rules: a volume group creates its members (create on antstorvolumes) and reports status;
      // a snapshot is labelled and bound to its origin's pool.
      await c.createPool('rbac-pool-2', { bytes: 10 * GiB });
      await c.co.createNamespacedCustomObject({
        group: 'volume.antstor.alipay.com', version: 'v1', namespace: c.ns, plural: 'antstorvolumegroups',
        body: { apiVersion: 'volume.antstor.alipay.com/v1', kind: 'AntstorVolumeGroup', metadata: { name: 'rbac-group' }, spec: { uuid: 'g', totalSize: 2 * GiB, desiredVolumeSpec: { sizeSymmetry: 'Asymmetric', countRange: { max: 2 }, sizeRange: { min: '1Gi', max: '1Gi' } }, stragety: { allowEmptyNode: true } } },
      });
      await eventually(async () => {
        const members = (await c.listVolumes()).filter((v) => v.metadata.labels?.['obnvmf/vol-group-name'] === 'rbac-group');
        assert.equal(members.length, 2);
        assert.ok(members.every((m) => m.spec.targetNodeId), 'members placed');
      }, { timeoutMs: 30_000, what: 'group members created and placed under the ClusterRole' });
      await c.co.createNamespacedCustomObject({
        group: 'volume.antstor.alipay.com', version: 'v1', namespace: c.ns, plural: 'antstorsnapshots',
        body: { apiVersion: 'volume.antstor.alipay.com/v1', kind: 'AntstorSnapshot', metadata: { name: 'rbac-snap' }, spec: { volType: 'KernelLVol', size: 8 * 2 ** 20, originVolName: 'rbac-vol', originVolNamespace: c.ns } },
      });
      await eventually(async () => {
        const s = (await c.co.getNamespacedCustomObject({ group: 'volume.antstor.alipay.com', version: 'v1', namespace: c.ns, plural: 'antstorsnapshots', name: 'rbac-snap' })) as { metadata: { labels?: Record<string, string> } };
        assert.equal(s.metadata.labels?.['obnmvf/origin-antstorvol-name'], 'rbac-vol');
      }, { timeoutMs: 30_000, what: 'snapshot labelled under the ClusterRole' });
    } finally {
      await c.stop();
    }
  });
});
