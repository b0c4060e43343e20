/** LiteIO's group, labels, annotations, finalizers and reason strings (liteio.md §2, §7). */

export const GROUP = 'volume.antstor.alipay.com';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const DEFAULT_NAMESPACE = 'obnvmf';

export const PLURAL_POOL = 'storagepools';
export const PLURAL_VOLUME = 'antstorvolumes';
export const KIND_POOL = 'StoragePool';
export const KIND_VOLUME = 'AntstorVolume';

export const Labels = {
  NodeSN: 'obnvmf/node-sn',
  PoolSchedulingStatus: 'obnvmf/pool-scheduling-status',
  LocalStorageBytes: 'obnvmf/local-storage-bytes',
  VolUUID: 'obnvmf/vol-uuid',
  TargetNodeId: 'obnvmf/target-node-id',
  PVName: 'obnvmf/pv-name',
  PVCName: 'csi.storage.k8s.io/pvc-name',
  PVCNamespace: 'csi.storage.k8s.io/pvc-namespace',
  DataHolder: 'antstor.csi.alipay.com/data-holder',
} as const;

export const PoolLockedValue = 'locked';

export const Annotations = {
  PoolLabelSelector: 'obnvmf/pool-label-selector',
  NodeLabelSelector: 'obnvmf/node-label-selector',
  ReservationId: 'obnvmf/reservation-id',
  SelectedTgtNode: 'obnvmf/selected-tgt-node',
  SnapshotReservedBytes: 'obnvmf/snapshot-reserved-bytes',
  AllocatedBytes: 'obnvmf/allocated-bytes',
  LvLayout: 'obnvmf/lv-layout',
} as const;

export const Finalizers = {
  InState: 'antstor.alipay.com/in-state',
  LogicVolume: 'antstor.alipay.com/logic-volume',
  SpdkTarget: 'antstor.alipay.com/spdk-tgt',
  KernelLVol: 'antstor.alipay.com/lvm',
} as const;

/** Reason strings of LiteIO's filters (filter/error.go), plus the ones this project adds. */
export const Reasons = {
  PoolFreeSize: 'PoolFreeSize',
  PoolUnschedulable: 'PoolUnschedulable',
  SpdkUnhealthy: 'SpdkUnhealthy',
  RemoteVolMaxCount: 'RemoteVolMaxCount',
  PositionNotMatch: 'PositionNotMatch',
  VolTypeNotMatch: 'VolTypeNotMatch',
  NodeAffinity: 'NodeAffinity',
  PoolAffinity: 'PoolAffinity',
  ReservationTooSmall: 'ReservationTooSmall',
  ReservationNotMatch: 'ReservationNotMatch',
  LocalStorageTooLow: 'LocalStorageTooLow',
  DataConflict: 'DataConflict',
  // Added here (LiteIO passes these silently or crashes):
  InvalidSelector: 'InvalidSelector',
  /** spec.nodeInfo.id empty or different from metadata.name (LiteIO requires them equal). */
  PoolIdMismatch: 'PoolIdMismatch',
  /** A negative, unparsable or absurd (> 2^53-1 bytes) capacity on the pool. */
  InvalidCapacity: 'InvalidCapacity',
} as const;

export const NoStoragePoolAvailable = 'NoStoragePoolAvailable';

/** Event reasons written to Kubernetes Events. */
export const EventReasons = {
  Scheduled: 'Scheduled',
  SchedVolumeFailure: 'SchedVolumeFailure',
  InvalidVolume: 'InvalidVolume',
  /** A volume's reservation request is not answered by the pool's ledger workflow. */
  WaitingForPool: 'WaitingForPool',
} as const;
