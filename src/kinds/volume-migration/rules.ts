/**
 * LiteIO's migration phase machine as a pure decision (migration_reconciler.go, liteio.md §10): given the migration,
 * its source and destination volumes, the one next step. Each step that writes ends the pass, as LiteIO returns
 * after each Update; where LiteIO requeues every 30–60 s, the step is a wait the workflow lets the watch events of
 * the migration (the agents write its migrationInfo) and of the two volumes wake.
 */
import { Annotations, Labels } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import { MigrationLabels, type MigrationPhase, type VolumeMigration } from './types.js';

export type MigrationStep =
  | { kind: 'idle'; why: string }
  | { kind: 'setStatus'; status: NonNullable<VolumeMigration['status']>; from?: MigrationPhase | undefined }
  | { kind: 'fail'; message: string }
  | { kind: 'fillSource'; sourceVolume: VolumeMigration['spec']['sourceVolume'] }
  | { kind: 'addLabels'; labels: Record<string, string> }
  /** Names the destination volume; the activity picks the uuid (`mig-<uuid>`). */
  | { kind: 'nameDest'; namespace: string; hostNodeId: string }
  | { kind: 'createDest'; volume: AntstorVolume }
  | { kind: 'fillDest'; destVolume: NonNullable<VolumeMigration['spec']['destVolume']> }
  /** Waiting on `on`; `message` goes to status.message when it differs. */
  | { kind: 'wait'; on: 'source' | 'dest' | 'agents'; message: string };

export interface MigrationFacts {
  migration: VolumeMigration;
  source: AntstorVolume | undefined;
  dest: AntstorVolume | undefined;
}

/** The destination volume LiteIO creates: a copy of the source, on another pool, with the source's NVMe identity. */
export function destVolumeFor(m: VolumeMigration, src: AntstorVolume): AntstorVolume {
  const name = m.spec.destVolume!.name!;
  const labels: Record<string, string> = { ...src.metadata.labels };
  delete labels[Labels.TargetNodeId];
  // The uuid label stays the source's on purpose: the CSI controller finds the destination by the old uuid.
  labels[MigrationLabels.SourceVolumeName] = src.metadata.name!;
  labels[MigrationLabels.MigrationName] = m.metadata.name!;
  return {
    apiVersion: 'volume.antstor.alipay.com/v1',
    kind: 'AntstorVolume',
    metadata: {
      namespace: m.spec.destVolume!.namespace!,
      name,
      labels,
      // Not on the source's pool: the destination's subsystem has the same NQN and namespace uuid.
      annotations: { ...src.metadata.annotations, [Annotations.PoolLabelSelector]: `${Labels.NodeSN}!=${src.spec.targetNodeId}` },
    },
    spec: {
      uuid: name.replace(/^mig-/, ''),
      type: src.spec.type ?? 'SpdkLVol',
      sizeByte: src.spec.sizeByte,
      ...(src.spec.positionAdvice ? { positionAdvice: src.spec.positionAdvice } : {}),
      ...(src.spec.hostNode ? { hostNode: { ...src.spec.hostNode } } : {}),
      spdkTarget: { ...(src.spec.spdkTarget?.subsysNqn ? { subsysNqn: src.spec.spdkTarget.subsysNqn } : {}), ...(src.spec.spdkTarget?.nsUuid ? { nsUuid: src.spec.spdkTarget.nsUuid } : {}) },
    },
  };
}

export function decideMigrationStep(f: MigrationFacts): MigrationStep {
  const m = f.migration;
  const st = m.status ?? {};
  const phase = st.phase;
  if (m.metadata.deletionTimestamp) return { kind: 'idle', why: 'deleting (the agents remove their finalizers)' };
  if (st.status === 'Error') return { kind: 'idle', why: `stopped with an error: ${st.message ?? ''}` };
  if (!phase) return { kind: 'setStatus', status: { phase: 'Pending', status: 'Working' } };
  if (phase === 'Finished') return { kind: 'idle', why: 'finished' };

  const srcName = `${m.spec.sourceVolume.namespace}/${m.spec.sourceVolume.name}`;
  const src = f.source;
  if (!src) return { kind: 'fail', message: `invalid source volume ${srcName}: not found` };
  if (src.spec.type !== 'SpdkLVol') return { kind: 'fail', message: `invalid source volume ${srcName}: type is ${src.spec.type || '(empty)'}, must be SpdkLVol` };
  if (src.spec.positionAdvice === 'MustLocal') return { kind: 'fail', message: `invalid source volume ${srcName}: position advice is MustLocal` };
  if (src.status?.status !== 'ready') return { kind: 'wait', on: 'source', message: `invalid source volume ${srcName}: status not ready (${src.status?.status || 'empty'})` };

  const sv = m.spec.sourceVolume;
  if (!sv.targetNodeId || !sv.spdk?.subsysNqn || !sv.hostNodeId) {
    return { kind: 'fillSource', sourceVolume: { ...sv, targetNodeId: src.spec.targetNodeId ?? '', hostNodeId: src.spec.hostNode?.id ?? '', spdk: { ...src.spec.spdkTarget } } };
  }
  if (!m.metadata.labels?.[MigrationLabels.SourceNodeId]) {
    return { kind: 'addLabels', labels: { [MigrationLabels.SourceNodeId]: src.spec.targetNodeId ?? '', [MigrationLabels.HostNodeId]: src.spec.hostNode?.id ?? '' } };
  }

  if (phase === 'Pending') return { kind: 'setStatus', from: phase, status: { phase: 'CreatingVolume', status: 'Working' } };
  const dv = m.spec.destVolume ?? {};
  if (!dv.name) return { kind: 'nameDest', namespace: src.metadata.namespace!, hostNodeId: src.spec.hostNode?.id ?? '' };
  const dest = f.dest;
  if (!dest) return { kind: 'createDest', volume: destVolumeFor(m, src) };
  if (dest.status?.status !== 'ready') {
    const where = dest.spec.targetNodeId ? `on ${dest.spec.targetNodeId}` : `not placed${dest.status?.msg ? `: ${dest.status.msg}` : ''}`;
    return { kind: 'wait', on: 'dest', message: `destination volume ${dv.namespace}/${dv.name} is not ready (${where})` };
  }
  if (!dv.targetNodeId || !dv.spdk?.address) return { kind: 'fillDest', destVolume: { ...dv, targetNodeId: dest.spec.targetNodeId ?? '', spdk: { ...dest.spec.spdkTarget } } };

  const info = m.spec.migrationInfo ?? {};
  const pipe = info.migrationPipe?.status;
  const host = info.hostConnectStatus;
  switch (phase) {
    case 'CreatingVolume':
      return { kind: 'setStatus', from: phase, status: { phase: 'SetupPipe', status: 'Working' } };
    case 'SetupPipe':
      if (pipe !== 'Connected') return { kind: 'wait', on: 'agents', message: `migration pipe is not connected (${pipe || 'Unknown'})` };
      if (host !== 'Connected') return { kind: 'wait', on: 'agents', message: `host connection to the destination is not connected (${host || 'Unknown'})` };
      return { kind: 'setStatus', from: phase, status: { phase: 'Syncing', status: 'Working' } };
    case 'Syncing':
      // LiteIO waits forever on a failed switch; it is a failure with its reason here.
      if (info.autoSwitch?.status === 'Error') return { kind: 'fail', message: 'auto switch to the destination failed (migrationInfo.autoSwitch.status=Error)' };
      if (info.autoSwitch?.status !== 'Success') return { kind: 'wait', on: 'agents', message: `auto switch is not done (${info.autoSwitch?.status || 'Unknown'})` };
      return { kind: 'setStatus', from: phase, status: { phase: 'Cleaning', status: 'Working' } };
    case 'Cleaning':
      if (pipe !== 'Disconnected') return { kind: 'wait', on: 'agents', message: `migration pipe is not disconnected (${pipe || 'Unknown'})` };
      if (host !== 'Disconnected') return { kind: 'wait', on: 'agents', message: `host connection is not disconnected (${host || 'Unknown'})` };
      return { kind: 'setStatus', from: phase, status: { phase: 'Finished', status: 'Finished' } };
    default:
      return { kind: 'fail', message: `unknown phase ${JSON.stringify(phase)}` };
  }
}
