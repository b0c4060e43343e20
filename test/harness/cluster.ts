/** Per-test helpers: a namespace, an in-process operator on its own task queue, and object builders. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TemporalTarget } from '../../src/temporal-connection.js';
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, V1MicroTime, type KubeConfig } from '../../src/kube/client-node.js';
import { GROUP, PLURAL_POOL, PLURAL_VOLUME, VERSION } from '../../src/api/constants.js';
import type { AntstorVolume, StoragePool } from '../../src/api/types.js';
import { parseControllerConfig, type ControllerConfig } from '../../src/config/controller-config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { runOperator, type OperatorOptions, type RunningOperator } from '../../src/operator.js';
import type { Timings } from '../../src/workflows/messages.js';
import type { TestEnv } from './env.js';

export const GiB = 2 ** 30;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface TestCluster {
  ns: string;
  env: TestEnv;
  co: CustomObjectsApi;
  core: CoreV1Api;
  op?: RunningOperator;
  startOperator(o?: {
    temporal?: TemporalTarget;
    config?: unknown;
    timings?: Partial<Timings>;
    kubeConfig?: KubeConfig;
    metasync?: OperatorOptions['metasync'];
    log?: Logger;
    webhook?: OperatorOptions['webhook'];
    metricsAddr?: string;
  }): Promise<RunningOperator>;
  createPool(name: string, o?: PoolOpts): Promise<StoragePool>;
  setPoolStatus(name: string, status: Record<string, unknown>): Promise<void>;
  /** Creates or renews the pool's Lease with this renewTime (the agent's heartbeat). */
  setLease(name: string, renewTime: Date): Promise<void>;
  createVolume(name: string, o: VolumeOpts): Promise<AntstorVolume>;
  getVolume(name: string): Promise<AntstorVolume>;
  listVolumes(): Promise<AntstorVolume[]>;
  listPools(): Promise<StoragePool[]>;
  deleteVolume(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PoolOpts {
  /** Lease renewTime (the agent's heartbeat); default now; null = no Lease. */
  lease?: Date | null;
  bytes?: number;
  status?: string;
  labels?: Record<string, string>;
  nodeLabels?: Record<string, string>;
  spdk?: boolean;
  spdkOk?: boolean;
  vgFree?: number;
}

export interface VolumeOpts {
  size: number;
  hostNode?: string | null;
  positionAdvice?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  uuid?: string;
  spec?: Record<string, unknown>;
}

export async function newTestCluster(env: TestEnv, prefix = 't'): Promise<TestCluster> {
  const kc = env.kube.kubeConfig;
  const co = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `${prefix}-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const G = { group: GROUP, version: VERSION, namespace: ns };

  const c: TestCluster = {
    ns,
    env,
    co,
    core,
    async startOperator(o = {}) {
      const config: ControllerConfig = parseControllerConfig(o.config ?? {}, 'test');
      c.op = await runOperator({
        kubeConfig: o.kubeConfig ?? kc,
        namespace: ns,
        temporal: o.temporal ?? { address: env.temporal.address, namespace: env.temporal.namespace },
        taskQueue: `tq-${ns}`,
        config,
        timings: { unschedulableRetryMs: 20_000, ...o.timings },
        log: o.log ?? createLogger((process.env['DCT_LOG'] as never) || 'error'),
        ...(o.metasync ? { metasync: o.metasync } : {}),
        ...(o.webhook ? { webhook: o.webhook } : {}),
        ...(o.metricsAddr ? { metricsAddr: o.metricsAddr } : {}),
        workflowBundle: env.workflowBundle,
      });
      return c.op;
    },
    async createPool(name, o = {}) {
      const bytes = o.bytes ?? 100 * GiB;
      const body: StoragePool = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'StoragePool',
        metadata: { name, namespace: ns, labels: { 'obnvmf/node-sn': name, ...o.labels } },
        spec: {
          nodeInfo: { id: name, ip: '10.0.0.1', hostname: name, labels: { 'kubernetes.io/hostname': name, ...o.nodeLabels } },
          ...(o.spdk ? { spdkLVStore: { name: 'lvs', uuid: randomUUID(), bytes } } : { kernelLvm: { name: 'vg', vgUUID: randomUUID(), bytes } }),
        },
      };
      const created = (await co.createNamespacedCustomObject({ ...G, plural: PLURAL_POOL, body })) as StoragePool;
      if (o.lease !== null) await c.setLease(name, o.lease ?? new Date());
      if (o.status !== '') {
        await c.setPoolStatus(name, {
          status: o.status ?? 'ready',
          capacity: { storage: String(bytes) },
          vgFreeSize: String(o.vgFree ?? bytes),
          conditions: [{ type: 'Spdk', status: o.spdkOk === false ? 'Error' : 'OK' }],
        });
      }
      return created;
    },
    async setLease(name, renewTime) {
      const coord = kc.makeApiClient(CoordinationV1Api);
      const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new V1MicroTime(renewTime.getTime()) };
      try {
        const cur = await coord.readNamespacedLease({ namespace: ns, name });
        await coord.replaceNamespacedLease({ namespace: ns, name, body: { ...cur, spec: { ...cur.spec, ...spec } } });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
        await coord.createNamespacedLease({ namespace: ns, body: { metadata: { name, namespace: ns }, spec } });
      }
    },
    async setPoolStatus(name, status) {
      await co.patchNamespacedCustomObjectStatus({ ...G, plural: PLURAL_POOL, name, body: { status } }, merge);
    },
    async createVolume(name, o) {
      const uuid = o.uuid ?? randomUUID();
      const body: AntstorVolume = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'AntstorVolume',
        metadata: { name, namespace: ns, labels: { 'obnvmf/vol-uuid': uuid, ...o.labels }, annotations: o.annotations ?? {} },
        spec: {
          uuid,
          sizeByte: o.size,
          type: 'Flexible',
          ...(o.positionAdvice ? { positionAdvice: o.positionAdvice } : {}),
          ...(o.hostNode ? { hostNode: { id: o.hostNode, ip: '10.0.0.9', hostname: o.hostNode } } : {}),
          ...o.spec,
        } as AntstorVolume['spec'],
      };
      return (await co.createNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, body })) as AntstorVolume;
    },
    async getVolume(name) {
      return (await co.getNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name })) as AntstorVolume;
    },
    async listVolumes() {
      return ((await co.listNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME })) as { items: AntstorVolume[] }).items;
    },
    async listPools() {
      return ((await co.listNamespacedCustomObject({ ...G, plural: PLURAL_POOL })) as { items: StoragePool[] }).items;
    },
    async deleteVolume(name) {
      await co.deleteNamespacedCustomObject({ ...G, plural: PLURAL_VOLUME, name });
    },
    async stop() {
      await c.op?.stop();
    },
  };
  return c;
}
