/** LiteIO's AntstorDataControl (data_control_types.go, liteio.md §2.5). */
import type { AntstorVolumeStatus, KubeObject, NodeInfo, SpdkTarget } from '../../api/types.js';
import type { EntityIdentity } from '../antstor-volume-group/types.js';

export const KIND_DATA_CONTROL = 'AntstorDataControl';
export const PLURAL_DATA_CONTROL = 'antstordatacontrols';

export interface AntstorDataControl extends KubeObject {
  spec: {
    uuid?: string;
    totalSize?: number;
    lvm?: { vg: string; lvol: string; pvs: { devPath: string; volId: EntityIdentity; target: SpdkTarget }[] };
    engineType: 'KernelLVM' | 'SpdkLVStore' | string;
    raid?: { level: 'linear' | 'raid0' | 'raid1' | 'raid5' | 'raid6' | string };
    hostNode: NodeInfo;
    targetNodeId?: string;
    volumeGroups?: EntityIdentity[];
  };
  status?: { status?: string; csiNodePubParams?: AntstorVolumeStatus['csiNodePubParams']; message?: string };
}

export const DataControlEventReasons = {
  Invalid: 'InvalidDataControl',
  Step: 'DataControlStep',
} as const;
