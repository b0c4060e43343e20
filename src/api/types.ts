/**
 * TypeScript types for LiteIO's custom resources (group volume.antstor.alipay.com, version v1).
 * Field names and meanings follow LiteIO's Go types (pkg/api/volume.antstor.alipay.com/v1); see
 * deploy/crds for the schemas the API server enforces.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

// ---------- shared ----------

export interface NodeInfo {
  id: string;
  ip?: string;
  hostname?: string;
  labels?: Record<string, string>;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal' | string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

// ---------- StoragePool ----------

export type PoolStatusValue = 'locked' | 'ready' | 'offline' | 'unknown';
export type PoolConditionType = 'Spdk' | 'Lvm' | 'KubeNode';
export type ConditionStatus = 'OK' | 'Error';

export interface ReservedLVol {
  name: string;
  vgName: string;
  devPath: string;
  sizeByte: number;
  lvLayout: string;
}

export interface KernelLVM {
  name?: string;
  vgUUID?: string;
  bytes?: number;
  extendSize?: number;
  extendCount?: number;
  pvCount?: number;
  reservedLVol?: ReservedLVol[];
}

export interface SpdkLVStore {
  name?: string;
  uuid?: string;
  baseBdev?: string;
  bytes?: number;
  clusterSize?: number;
  totalDataClusters?: number;
  blockSize?: number;
}

export interface PoolCondition {
  type: PoolConditionType | string;
  status: ConditionStatus | string;
  message?: string;
}

export interface StoragePoolSpec {
  kernelLvm?: KernelLVM;
  spdkLVStore?: SpdkLVStore;
  addresses?: { type: string; address: string }[];
  nodeInfo: NodeInfo;
}

export interface StoragePoolStatus {
  capacity?: Record<string, string | number>;
  vgFreeSize?: string | number;
  conditions?: PoolCondition[];
  status?: PoolStatusValue | string;
  message?: string;
}

export interface StoragePool extends KubeObject {
  spec: StoragePoolSpec;
  status?: StoragePoolStatus;
}

// ---------- AntstorVolume ----------

export type VolumeType = 'Flexible' | 'KernelLVol' | 'SpdkLVol';
export type PositionAdvice = 'MustLocal' | 'PreferLocal' | 'PreferRemote' | 'MustRemote' | '';
export type VolumeStatusValue = 'creating' | 'ready' | 'deleted';

export interface SpdkTarget {
  bdevName?: string;
  subsysNqn?: string;
  svcID?: string;
  sn?: string;
  transType?: string;
  nsUuid?: string;
  address?: string;
  addrFam?: string;
}

export interface AntstorVolumeSpec {
  uuid?: string;
  type?: VolumeType | string;
  sizeByte: number;
  positionAdvice?: PositionAdvice | string;
  isThin?: boolean;
  stopReconcile?: boolean;
  nodeAffinity?: NodeAffinity | null;
  poolAffinity?: NodeAffinity | null;
  targetNodeId?: string;
  hostNode?: NodeInfo | null;
  kernelLvol?: { name?: string; devPath?: string };
  spdkLvol?: { name?: string; lvsName?: string; thin?: boolean };
  spdkTarget?: SpdkTarget;
}

export interface AntstorVolumeStatus {
  status?: VolumeStatusValue | string;
  csiNodePubParams?: { stagingTargetPath?: string; targetPath?: string; volumeContext?: Record<string, string> };
  hostAttachment?: { hostDevPath?: string };
  msg?: string;
}

export interface AntstorVolume extends KubeObject {
  spec: AntstorVolumeSpec;
  status?: AntstorVolumeStatus;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}
