/** LiteIO's AntstorVolumeGroup (volume_group_types.go, liteio.md §2.4) and the constants its reconciler uses. */
import type { AntstorVolume, KubeObject, SpdkTarget } from '../../api/types.js';

export const KIND_GROUP = 'AntstorVolumeGroup';
export const PLURAL_GROUP = 'antstorvolumegroups';

export interface EntityIdentity {
  namespace: string;
  name: string;
  uuid: string;
}

/** One member: its identity, the pool it is planned on, and its size (bytes). */
export interface VolumeMeta {
  volId: EntityIdentity;
  targetNodeName: string;
  size: number;
}

export interface AntstorVolumeGroup extends KubeObject {
  spec: {
    uuid?: string;
    totalSize: number;
    desiredVolumeSpec?: {
      annotations?: Record<string, string>;
      labels?: Record<string, string>;
      desiredCount?: number;
      countRange?: { min?: number; max?: number };
      /** Quantities ("10Gi" or bytes). */
      sizeRange?: { min?: string | number; max?: string | number };
      sizeSymmetry: 'Symmetric' | 'Asymmetric' | string;
    };
    /** LiteIO's spelling. */
    stragety?: { name?: string; emptyThreasholdPct?: number; allowEmptyNode?: boolean };
    volumes?: VolumeMeta[];
  };
  status?: {
    volumeStatus?: { uuid: string; spdkTarget?: SpdkTarget; status?: string; message: string }[];
    status?: 'creating' | 'ready' | 'deleted' | string;
    message?: string;
  };
}

export const GroupLabels = {
  /** On each member: the group's name. */
  GroupName: 'obnvmf/vol-group-name',
  /** On a group: the DataControl that uses it (its deletion waits for that DataControl to go). */
  DataControlName: 'obnvmf/data-control-name',
} as const;

/** Added once members are planned; removed after the members are deleted. */
export const VolumesFinalizer = 'antstor.alipay.com/volumes';

export const GroupEventReasons = {
  Invalid: 'InvalidVolumeGroup',
  /** The members' capacity is held on the pools' ledgers, all of it (Normal). */
  Held: 'VolumeGroupHeld',
  /** Not enough room for all members; nothing is held (Warning). */
  Unschedulable: 'VolumeGroupUnschedulable',
  MemberCreated: 'VolumeGroupMemberCreated',
  MemberRolledBack: 'VolumeGroupMemberRolledBack',
  Ready: 'VolumeGroupReady',
  DeletingMember: 'VolumeGroupDeletingMember',
} as const;

/** The ledger uid of the capacity a group holds for a member it has not created yet; the member claims it. */
export const groupHoldUid = (groupUid: string, memberName: string): string => `hold/${groupUid}/${memberName}`;

/** The hold a member volume claims: from its owner reference to its group (not from anything a user sets). */
export function holdClaimedBy(v: AntstorVolume): string | undefined {
  const owner = v.metadata.ownerReferences?.find((o) => o.kind === KIND_GROUP && o.uid);
  return owner ? groupHoldUid(owner.uid, v.metadata.name!) : undefined;
}
