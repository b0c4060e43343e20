/** LiteIO's AntstorSnapshot (snapshot_types.go, liteio.md §2.6) and the constants its reconciler uses. */
import type { KubeObject } from '../../api/types.js';

export const KIND_SNAPSHOT = 'AntstorSnapshot';
export const PLURAL_SNAPSHOT = 'antstorsnapshots';

export type SnapshotStatusName = 'creating' | 'ready' | 'merging' | 'merged' | 'error' | 'deleted';

export interface AntstorSnapshot extends KubeObject {
  spec: {
    uuid?: string;
    volType: 'KernelLVol' | 'SpdkLVol';
    kernelLvol?: { name: string; devPath: string };
    spdkLvol?: { lvsName: string; name: string; thin?: boolean };
    /** Bytes; at least 4 MiB, rounded down to a multiple of 4 MiB by the reconciler. */
    size: number;
    originVolName: string;
    originVolNamespace: string;
    /** Set by the reconciler from the origin volume's targetNodeId (the pool the snapshot lives on). */
    originVolTargetNodeId?: string;
  };
  status?: { status?: SnapshotStatusName };
}

/** LiteIO's label keys, with its spelling (`obnmvf`) kept: agents and tools select on these exact strings. */
export const SnapshotLabels = {
  OriginVolumeName: 'obnmvf/origin-antstorvol-name',
  OriginVolumeNamespace: 'obnmvf/origin-antstorvol-ns',
  MergeStartTimestamp: 'obnmvf/merge-start-timestamp',
  MergeFinishTimestamp: 'obnmvf/merge-finish-timestamp',
  TargetNodeId: 'obnvmf/target-node-id',
} as const;

/** Added by the agent once the snapshot exists on the node; removed by it (or by the controller, see rules.ts). */
export const SnapshotFinalizer = 'antstor.alipay.com/snapshot';

export const SnapshotEventReasons = {
  CreateFailure: 'SnapshotCreateFailure',
  DeleteFailure: 'SnapshotDeleteFailure',
  /** Added here: each step the controller took, for the audit trail beside the workflow history. */
  Step: 'SnapshotStep',
} as const;

export const FOUR_MIB = 4 * 2 ** 20;
