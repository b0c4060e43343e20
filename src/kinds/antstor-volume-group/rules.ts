/**
 * LiteIO's volume-group rules, pure (volume_group_reconciler.go, sched_vol_group.go; liteio.md §7.8, §10):
 * validation, member planning over the qualified pools, the member AntstorVolume, the group's status, rollback.
 */
import { Labels, NoStoragePoolAvailable } from '../../api/constants.js';
import { parseQuantity } from '../../api/quantity.js';
import type { AntstorVolume } from '../../api/types.js';
import { GroupLabels, KIND_GROUP, type AntstorVolumeGroup, type VolumeMeta } from './types.js';

const FOUR_MIB = 4 * 2 ** 20;
const q = (v: string | number | undefined): number => {
  try {
    return v === undefined || v === '' ? 0 : parseQuantity(v);
  } catch {
    return NaN;
  }
};

/** sizeRange.min in bytes (0 when absent or not a quantity: validation reports the latter). */
export const sizeRangeMin = (g: AntstorVolumeGroup): number => q(g.spec.desiredVolumeSpec?.sizeRange?.min) || 0;

/** LiteIO's checks in its order, with its messages (plus what LiteIO would crash or loop on). */
export function validateGroup(g: AntstorVolumeGroup): string | undefined {
  const d = g.spec.desiredVolumeSpec;
  const min = q(d?.sizeRange?.min);
  const max = q(d?.sizeRange?.max);
  if (Number.isNaN(min)) return `invalid VolumeGroup, spec.desiredVolumeSpec.sizeRange.min ${JSON.stringify(d?.sizeRange?.min)} is not a quantity`;
  if (Number.isNaN(max)) return `invalid VolumeGroup, spec.desiredVolumeSpec.sizeRange.max ${JSON.stringify(d?.sizeRange?.max)} is not a quantity`;
  switch (d?.sizeSymmetry) {
    case 'Symmetric': {
      const count = d.desiredCount ?? 0;
      if (!count) return 'invalid Symmetric VolumeGroup, DesiredCount is 0';
      if (!max) return 'invalid VolumeGroup, SizeRange.Max is 0';
      const single = Math.trunc(g.spec.totalSize / count);
      if (min && min > single) return `invalid Symmetric VolumeGroup, SizeRange.Min ${d.sizeRange?.min} is larger than singleVolSize ${single}`;
      break;
    }
    case 'Asymmetric':
      if (d.desiredCount) return 'invalid Asymmetric VolumeGroup, DesiredCount is not 0';
      break;
    default:
      return `invalid SizeSymmetry ${d?.sizeSymmetry ?? ''}`;
  }
  if (!g.spec.uuid) return 'invalid VolumeGroup, uuid is empty';
  if (!(g.spec.totalSize > 0)) return `invalid VolumeGroup, spec.totalSize ${g.spec.totalSize} must be positive`;
  if (!((d.countRange?.max ?? 0) > 0)) return 'invalid VolumeGroup, spec.desiredVolumeSpec.countRange.max is 0: no member can be planned';
  return undefined;
}

/** What planning needs of a qualified pool (the filter chain passed it for a remote volume of sizeRange.min). */
export interface PlanPool {
  id: string;
  /** Free bytes as the filters see them (capacity − bound − held reservations). */
  free: number;
  /** Volumes bound to it. */
  volumes: number;
  /** status.capacity available bytes (LiteIO's GetAvailableBytes). */
  available: number;
  /** Bytes of remote volumes on it. */
  allocatedRemote: number;
}

export type GroupPlan = { volumes: VolumeMeta[]; added: VolumeMeta[]; planned: number } | { error: string };

/** LiteIO's SortByStorage, reversed: pools with volumes first, each part by free space, most first (ties by id). */
export function sortPlanPools(pools: PlanPool[]): PlanPool[] {
  return [...pools].sort((a, b) => {
    const ea = a.volumes === 0;
    const eb = b.volumes === 0;
    if (ea !== eb) return ea ? 1 : -1;
    return b.free - a.free || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  });
}

/**
 * Plans the members (schedVolGroup): slots already planned keep their pool; every other slot, then new members while
 * fewer than countRange.max and bytes are left, take the first unused pool (in sortPlanPools order) that yields a
 * size. LiteIO re-evaluates its loop bound as members are added, so it adds at most half the missing members per
 * reconcile and converges over several; this plans them all in one pass, which is where LiteIO ends up.
 */
export function planGroup(g: AntstorVolumeGroup, qualified: PlanPool[], minLocalStoragePct: number, newMember: () => { name: string; uuid: string }): GroupPlan {
  const d = g.spec.desiredVolumeSpec!;
  const minSize = q(d.sizeRange?.min);
  const maxSize = q(d.sizeRange?.max);
  const maxCount = d.countRange?.max ?? 0;
  const pools = sortPlanPools(g.spec.stragety?.allowEmptyNode ? qualified : qualified.filter((p) => p.volumes > 0));
  const used = new Set<string>();
  let left = g.spec.totalSize;
  let count = 0;
  const volumes = (g.spec.volumes ?? []).map((v) => ({ ...v, volId: { ...v.volId } }));
  const open: number[] = [];
  volumes.forEach((v, i) => {
    if (v.size > 0 && v.targetNodeName) {
      left -= v.size;
      count++;
      used.add(v.targetNodeName);
    } else open.push(i);
  });

  const pickSize = (p: PlanPool): number => {
    let picked = p.free > left ? left : p.free;
    if (picked < minSize) return 0;
    if (picked > maxSize) picked = maxSize;
    picked = Math.ceil(picked / FOUR_MIB) * FOUR_MIB;
    // getAllocatableRemoteVolumeSize: members are remote volumes.
    const cap = p.available - Math.trunc((p.available * minLocalStoragePct) / 100) - p.allocatedRemote;
    if (cap < 0 || picked === 0) return 0;
    return Math.floor(Math.min(picked, cap) / FOUR_MIB) * FOUR_MIB;
  };
  const nextPool = (): { pool: PlanPool; size: number } | undefined => {
    for (const p of pools) {
      if (used.has(p.id)) continue;
      const size = pickSize(p);
      if (size > 0) return { pool: p, size };
    }
    return undefined;
  };

  const added: VolumeMeta[] = [];
  for (const i of open) {
    if (!(count < maxCount && left > 0)) break;
    const n = nextPool();
    if (!n) return { error: `${NoStoragePoolAvailable}: no pool can take member ${volumes[i]!.volId.name} (${left} bytes left to place)` };
    volumes[i] = { ...volumes[i]!, size: n.size, targetNodeName: n.pool.id };
    used.add(n.pool.id);
    count++;
    left -= n.size;
    added.push(volumes[i]!);
  }
  while (count < maxCount && left > 0) {
    const n = nextPool();
    if (!n) return { error: `${NoStoragePoolAvailable}: ${count} members planned, no further pool yields at least ${minSize} bytes (${left} bytes left to place)` };
    const id = newMember();
    const m: VolumeMeta = { volId: { namespace: g.metadata.namespace!, name: id.name, uuid: id.uuid }, size: n.size, targetNodeName: n.pool.id };
    volumes.push(m);
    added.push(m);
    used.add(n.pool.id);
    count++;
    left -= n.size;
  }
  if (left > 0) return { error: `${NoStoragePoolAvailable}: countRange.max ${maxCount} members cannot hold totalSize ${g.spec.totalSize} (${left} bytes short)` };
  const kept = volumes.filter((v) => v.size > 0 && v.targetNodeName);
  return { volumes: kept, added, planned: kept.reduce((s, v) => s + v.size, 0) };
}

/** LiteIO's newVolume: the member, pinned to its pool, owned by the group (so deleting the group collects it). */
export function memberVolumeFor(g: AntstorVolumeGroup, m: VolumeMeta): AntstorVolume {
  const d = g.spec.desiredVolumeSpec ?? { sizeSymmetry: '' };
  const annotations: Record<string, string> = { ...d.annotations };
  for (const [k, v] of Object.entries(g.metadata.annotations ?? {})) if (k.startsWith('obnvmf')) annotations[k] = v;
  return {
    apiVersion: 'volume.antstor.alipay.com/v1',
    kind: 'AntstorVolume',
    metadata: {
      namespace: m.volId.namespace,
      name: m.volId.name,
      labels: { ...d.labels, [GroupLabels.GroupName]: g.metadata.name! },
      annotations,
      ownerReferences: [{ apiVersion: 'volume.antstor.alipay.com/v1', kind: KIND_GROUP, name: g.metadata.name!, uid: g.metadata.uid!, blockOwnerDeletion: true }],
    },
    spec: {
      uuid: m.volId.uuid,
      type: 'Flexible',
      sizeByte: m.size,
      poolAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: Labels.NodeSN, operator: 'In', values: [m.targetNodeName] }] }] } },
      hostNode: { id: '' },
    },
  };
}

/** syncVolumes' status: per member, and ready once the planned bytes cover totalSize and every member is ready. */
export function groupStatusFor(g: AntstorVolumeGroup, members: Map<string, AntstorVolume | undefined>): NonNullable<AntstorVolumeGroup['status']> {
  const vols = g.spec.volumes ?? [];
  const planned = vols.reduce((s, v) => s + (v.size || 0), 0);
  let allReady = true;
  const volumeStatus = vols.map((m) => {
    const v = members.get(m.volId.name);
    if (!v) {
      allReady = false;
      return { uuid: m.volId.uuid, status: 'creating', message: '' };
    }
    if (v.status?.status !== 'ready') allReady = false;
    return { uuid: m.volId.uuid, ...(v.spec.spdkTarget ? { spdkTarget: v.spec.spdkTarget } : {}), status: v.status?.status ?? '', message: v.status?.msg ?? '' };
  });
  return { ...g.status, volumeStatus, status: planned >= g.spec.totalSize && allReady && vols.length > 0 ? 'ready' : 'creating' };
}

/** rollbackUnrecoverable: members the scheduler could not place for longer than `graceMs` (LiteIO: 1 min). */
export function membersToRollBack(g: AntstorVolumeGroup, members: Map<string, AntstorVolume | undefined>, now: number, graceMs = 60_000): VolumeMeta[] {
  if (g.status?.status === 'ready') return [];
  return (g.spec.volumes ?? []).filter((m) => {
    const v = members.get(m.volId.name);
    if (!v || v.spec.targetNodeId || !(v.status?.msg ?? '').includes(NoStoragePoolAvailable)) return false;
    return now - Date.parse(v.metadata.creationTimestamp ?? '') > graceMs;
  });
}
