/** Object builders for unit tests of the pure scheduler core. */
import type { AntstorVolume, StoragePool } from '../../src/api/types.js';
import { defaultSchedulerConfig, type SchedulerConfig } from '../../src/scheduler/config.js';
import type { PoolNode } from '../../src/scheduler/pool-node.js';

export const GiB = 2 ** 30;
let n = 0;

export function pool(name: string, o: Partial<{ bytes: number; status: string; labels: Record<string, string>; nodeLabels: Record<string, string>; spdk: boolean; spdkOk: boolean | null; vgFree: number; reservedLV: number; vgUUID: string }> = {}): StoragePool {
  const bytes = o.bytes ?? 100 * GiB;
  return {
    metadata: { name, namespace: 'obnvmf', labels: o.labels ?? { 'obnvmf/node-sn': name } },
    spec: {
      nodeInfo: { id: name, labels: o.nodeLabels ?? {} },
      ...(o.spdk
        ? { spdkLVStore: { name: 'lvs', uuid: 'lvs-uuid', bytes } }
        : { kernelLvm: { name: 'vg', vgUUID: o.vgUUID ?? 'vg-uuid', bytes, reservedLVol: o.reservedLV ? [{ name: 'r', vgName: 'vg', devPath: '/dev/r', sizeByte: o.reservedLV, lvLayout: 'linear' }] : [] } }),
    },
    status: {
      status: o.status ?? 'ready',
      capacity: { storage: String(bytes) },
      vgFreeSize: String(o.vgFree ?? bytes),
      conditions: o.spdkOk === null ? [] : [{ type: 'Spdk', status: o.spdkOk === false ? 'Error' : 'OK' }],
    },
  };
}

export function vol(o: Partial<{ name: string; size: number; host: string | null; target: string; position: string; type: string; annotations: Record<string, string>; labels: Record<string, string>; uuid: string; spec: Record<string, unknown> }> = {}): AntstorVolume {
  n++;
  return {
    metadata: { name: o.name ?? `v${n}`, namespace: 'obnvmf', uid: `uid-${n}`, annotations: o.annotations ?? {}, labels: o.labels ?? {} },
    spec: {
      uuid: o.uuid ?? `uuid-${n}`,
      sizeByte: o.size ?? GiB,
      ...(o.host === null || o.host === undefined ? {} : { hostNode: { id: o.host } }),
      ...(o.target ? { targetNodeId: o.target } : {}),
      ...(o.position ? { positionAdvice: o.position } : {}),
      ...(o.type ? { type: o.type } : {}),
      ...o.spec,
    } as AntstorVolume['spec'],
  };
}

export function node(p: StoragePool, volumes: AntstorVolume[] = [], reservations: { id: string; size: number }[] = []): PoolNode {
  return { pool: p, volumes, reservations };
}

export function cfg(o: Partial<SchedulerConfig> = {}): SchedulerConfig {
  return { ...defaultSchedulerConfig(), ...o };
}
