/** LiteIO's VolumeMigration (volume_migration.go, liteio.md §2.7) and the constants its reconciler uses. */
import type { KubeObject, SpdkTarget } from '../../api/types.js';

export const KIND_MIGRATION = 'VolumeMigration';
export const PLURAL_MIGRATION = 'volumemigrations';

export const MIGRATION_PHASES = ['Pending', 'CreatingVolume', 'SetupPipe', 'Syncing', 'Cleaning', 'Finished'] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];
export type ConnectStatus = 'Unknown' | 'Connected' | 'Disconnected';

export interface MigrationVolumeInfo {
  namespace: string;
  name: string;
  targetNodeId?: string;
  hostNodeId?: string;
  spdk?: SpdkTarget;
}

export interface VolumeMigration extends KubeObject {
  spec: {
    sourceVolume: MigrationVolumeInfo;
    destVolume?: Partial<MigrationVolumeInfo>;
    /** Written by the agents: the pipe by the source node's agent, the host connection by the host's nvme manager. */
    migrationInfo?: {
      migrationPipe?: { destBdevName?: string; status?: ConnectStatus };
      hostConnectStatus?: ConnectStatus;
      startTs?: number;
      autoSwitch?: { enabled?: boolean; status?: 'Unknown' | 'Success' | 'Error' };
      jobProgress?: Record<string, unknown>;
    };
  };
  status?: { phase?: MigrationPhase; status?: 'Working' | 'Error' | 'Finished' | string; message?: string };
}

export const MigrationLabels = {
  MigrationName: 'migrate.obnvmf/migration-name',
  SourceVolumeName: 'migrate.obnvmf/source-volume-name',
  SourceNodeId: 'migrate.obnvmf/source-node-id',
  HostNodeId: 'migrate.obnvmf/host-node-id',
} as const;

export const MigrationEventReasons = {
  /** A phase transition (Normal). */
  Phase: 'MigrationPhase',
  /** The migration stopped with status Error (Warning). */
  Failed: 'MigrationFailed',
  /** A wait on an agent or on the destination volume has lasted longer than expected (Warning; it goes on waiting). */
  WaitTimeout: 'MigrationWaitTimeout',
  /** The destination volume was created (Normal). */
  DestCreated: 'MigrationDestCreated',
} as const;
