/** Pure helpers over LiteIO objects, mirroring pool_func.go and volume_func.go. */
import { Annotations, Finalizers, Labels, PoolLockedValue } from './constants.js';
import { parseQuantity, quantityOrZero } from './quantity.js';
import type { AntstorVolume, KubeObject, StoragePool } from './types.js';

export const objectKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** First non-zero of kernelLvm.bytes, spdkLVStore.bytes, status.capacity.storage (GetVgTotalBytes). */
export function poolTotalBytes(p: StoragePool): number {
  return (
    p.spec?.kernelLvm?.bytes ||
    p.spec?.spdkLVStore?.bytes ||
    quantityOrZero(p.status?.capacity?.['storage']) ||
    0
  );
}

/** Bytes of static LVs not managed by LiteIO. */
export function poolReservedLVBytes(p: StoragePool): number {
  return (p.spec?.kernelLvm?.reservedLVol ?? []).reduce((s, lv) => s + (lv.sizeByte || 0), 0);
}

/** GetAvailableBytes: total minus reserved LVs. */
export function poolAvailableBytes(p: StoragePool): number {
  return poolTotalBytes(p) - poolReservedLVBytes(p);
}

/** Capacity used by LiteIO's free-space formula: status.capacity.storage, else the spec total. */
export function poolCapacityBytes(p: StoragePool): number {
  const c = p.status?.capacity?.['storage'];
  return c !== undefined && c !== '' ? quantityOrZero(c) : poolTotalBytes(p);
}

export function poolVgFreeBytes(p: StoragePool): number {
  return quantityOrZero(p.status?.vgFreeSize);
}

export function poolIsLockedByLabel(p: StoragePool): boolean {
  return p.metadata.labels?.[Labels.PoolSchedulingStatus] === PoolLockedValue;
}

/** IsSchedulable: status ready and no scheduling-status=locked label. */
export function poolIsSchedulable(p: StoragePool): boolean {
  return !poolIsLockedByLabel(p) && p.status?.status === 'ready';
}

export type PoolMode = 'KernelLVM' | 'SpdkLVStore' | '';
export function poolMode(p: StoragePool): PoolMode {
  if (p.spec?.spdkLVStore?.name) return 'SpdkLVStore';
  if (p.spec?.kernelLvm?.name) return 'KernelLVM';
  return '';
}

/** Pool node id: spec.nodeInfo.id, which LiteIO requires to equal the pool name. */
export const poolNodeId = (p: StoragePool): string => p.spec?.nodeInfo?.id || p.metadata.name || '';

function annoBytes(v: AntstorVolume, key: string): number {
  const raw = v.metadata.annotations?.[key];
  if (raw === undefined) return 0;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** GetTotalSize: allocated-bytes (if > 0) or sizeByte, plus snapshot-reserved-bytes. */
export function volumeTotalBytes(v: AntstorVolume): number {
  const allocated = annoBytes(v, Annotations.AllocatedBytes);
  const base = allocated > 0 ? allocated : v.spec?.sizeByte || 0;
  return base + annoBytes(v, Annotations.SnapshotReservedBytes);
}

/**
 * The reservation id a volume claims: annotation obnvmf/reservation-id, else "<pvc-ns>/<pvc-name>" from the
 * CSI labels (LiteIO's implicit PVC reservation, liteio.md §6.3).
 */
export function volumeReservationId(v: AntstorVolume): string {
  const a = v.metadata.annotations?.[Annotations.ReservationId];
  if (a) return a;
  const ns = v.metadata.labels?.[Labels.PVCNamespace];
  const name = v.metadata.labels?.[Labels.PVCName];
  return ns && name ? `${ns}/${name}` : '';
}

/** Host node id of the consuming pod ('' when hostNode is missing: the volume then counts as remote). */
export const volumeHostNodeId = (v: AntstorVolume): string => v.spec?.hostNode?.id ?? '';

/** A volume is local to a pool when its host node is the pool's node. A missing hostNode is remote. */
export function volumeIsLocalTo(v: AntstorVolume, poolNode: string): boolean {
  const h = volumeHostNodeId(v);
  return h !== '' && h === poolNode;
}

export const isDeleting = (o: KubeObject): boolean => !!o.metadata.deletionTimestamp;

/** The largest byte count a number holds exactly (2^53-1); anything above is refused as absurd. */
export const MAX_EXACT_BYTES = Number.MAX_SAFE_INTEGER;

/** Why a byte count is unusable, or '' when it is a non-negative whole number of at most 2^53-1 bytes. */
export function byteCountProblem(raw: string | number): string {
  let n: number;
  try {
    n = parseQuantity(raw);
  } catch {
    return 'is not a valid quantity';
  }
  if (n < 0) return 'is negative';
  if (n > MAX_EXACT_BYTES) return `is more than 2^53-1 (${MAX_EXACT_BYTES}) bytes, not exactly representable`;
  return '';
}

/** A reason the scheduler must not use a pool at all, whatever the volume. */
export interface PoolProblem {
  reason: 'PoolIdMismatch' | 'InvalidCapacity';
  /** The offending field, e.g. `status.capacity.storage`. */
  field: string;
  /** `StoragePool ns/name: <field> …; the pool is not schedulable`. */
  message: string;
}

export const POOL_PROBLEM_SUFFIX = 'the pool is not schedulable';

/**
 * LiteIO requires spec.nodeInfo.id == metadata.name (volumes are bound by node id, ledgers and bindings are
 * addressed by pool name), and every capacity the free-space formula reads must be a sane byte count. A pool
 * that breaks either is refused by the scheduler, the ledger and the lifecycle, with this message.
 */
export function poolProblem(p: StoragePool): PoolProblem | undefined {
  const obj = `StoragePool ${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
  const id = p.spec?.nodeInfo?.id ?? '';
  const name = p.metadata.name ?? '';
  if (id !== name) {
    const what =
      id === ''
        ? `spec.nodeInfo.id is empty; LiteIO requires it to equal metadata.name ${JSON.stringify(name)}`
        : `spec.nodeInfo.id ${JSON.stringify(id)} differs from metadata.name ${JSON.stringify(name)}; LiteIO requires them equal`;
    return { reason: 'PoolIdMismatch', field: 'spec.nodeInfo.id', message: `${obj}: ${what}; ${POOL_PROBLEM_SUFFIX}` };
  }
  const fields: [string, string | number | undefined][] = [
    ['status.capacity.storage', p.status?.capacity?.['storage']],
    ['status.vgFreeSize', p.status?.vgFreeSize],
    ['spec.kernelLvm.bytes', p.spec?.kernelLvm?.bytes],
    ['spec.spdkLVStore.bytes', p.spec?.spdkLVStore?.bytes],
    ...(p.spec?.kernelLvm?.reservedLVol ?? []).map((lv, i): [string, number] => [`spec.kernelLvm.reservedLVol[${i}].sizeByte`, lv?.sizeByte]),
  ];
  for (const [field, raw] of fields) {
    if (raw === undefined || raw === null || raw === '') continue;
    const problem = byteCountProblem(raw);
    if (problem)
      return { reason: 'InvalidCapacity', field, message: `${obj}: ${field} ${JSON.stringify(raw)} ${problem}; ${POOL_PROBLEM_SUFFIX}` };
  }
  return undefined;
}

/** True when the message is one poolProblem() writes (so it can be cleared once the pool is fixed). */
export const isPoolProblemMessage = (msg: string | undefined): boolean =>
  !!msg && msg.startsWith('StoragePool ') && msg.endsWith(POOL_PROBLEM_SUFFIX);

/** Bound, with the target-node label and the in-state finalizer matching spec.targetNodeId. */
export function bindingComplete(v: AntstorVolume): boolean {
  const t = v.spec?.targetNodeId;
  return !!t && v.metadata.labels?.[Labels.TargetNodeId] === t && !!v.metadata.finalizers?.includes(Finalizers.InState);
}

/**
 * A Lease's spec.renewTime in ms: NaN when absent or not a time. The API client hands a Date, an informer may hand
 * the RFC 3339 string; both keep their milliseconds.
 */
export function leaseRenewMs(o?: object): number {
  const raw = (o as { spec?: { renewTime?: unknown } } | undefined)?.spec?.renewTime;
  if (raw instanceof Date) return raw.getTime();
  return raw === undefined || raw === null ? NaN : Date.parse(String(raw));
}
