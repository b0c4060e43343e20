/** LiteIO's migration phase machine (migration_reconciler.go; src/kinds/volume-migration/rules.ts). */
import { strict as assert } from 'node:assert';
import type { AntstorVolume } from '../../api/types.js';
import { decideMigrationStep, destVolumeFor, type MigrationFacts } from './rules.js';
import { MigrationLabels, type VolumeMigration } from './types.js';

function src(o: Partial<AntstorVolume['spec']> & { status?: string } = {}): AntstorVolume {
  const { status, ...spec } = o;
  return {
    metadata: { name: 'src', namespace: 'obnvmf', labels: { 'obnvmf/vol-uuid': 'u1', 'obnvmf/target-node-id': 'node-1' }, annotations: { 'obnvmf/x': 'y' } },
    spec: { type: 'SpdkLVol', sizeByte: 1 << 30, targetNodeId: 'node-1', hostNode: { id: 'host-1' }, spdkTarget: { subsysNqn: 'nqn.1', nsUuid: 'ns-1', address: '10.0.0.1' }, ...spec },
    status: { status: status ?? 'ready' },
  };
}

function mig(o: { phase?: string; status?: string; filled?: boolean; labels?: boolean; dest?: Partial<VolumeMigration['spec']['destVolume']>; info?: VolumeMigration['spec']['migrationInfo'] } = {}): VolumeMigration {
  return {
    metadata: { name: 'm', namespace: 'obnvmf', ...(o.labels === false ? {} : { labels: { [MigrationLabels.SourceNodeId]: 'node-1' } }) },
    spec: {
      sourceVolume: { namespace: 'obnvmf', name: 'src', ...(o.filled === false ? {} : { targetNodeId: 'node-1', hostNodeId: 'host-1', spdk: { subsysNqn: 'nqn.1' } }) },
      ...(o.dest ? { destVolume: o.dest } : {}),
      ...(o.info ? { migrationInfo: o.info } : {}),
    },
    ...(o.phase || o.status ? { status: { ...(o.phase ? { phase: o.phase as never } : {}), ...(o.status ? { status: o.status } : {}) } } : {}),
  };
}

const dest = (status = 'ready', address = '10.0.0.2'): AntstorVolume => ({ metadata: { name: 'mig-1', namespace: 'obnvmf' }, spec: { sizeByte: 1 << 30, targetNodeId: 'node-2', spdkTarget: { address } }, status: { status } });
const step = (f: Partial<MigrationFacts>) => decideMigrationStep({ migration: mig(), source: src(), dest: undefined, ...f });
const placed = { namespace: 'obnvmf', name: 'mig-1', targetNodeId: 'node-2', spdk: { address: '10.0.0.2' } };

describe('VolumeMigration phases (LiteIO order)', () => {
  it('starts Pending/Working, then validates the source: found, SpdkLVol, not MustLocal (errors) and ready (a wait)', () => {
    assert.deepEqual(step({}), { kind: 'setStatus', status: { phase: 'Pending', status: 'Working' } });
    const p = mig({ phase: 'Pending' });
    assert.match((step({ migration: p, source: undefined }) as { message: string }).message, /invalid source volume obnvmf\/src: not found/);
    assert.equal(step({ migration: p, source: src({ type: 'KernelLVol' }) }).kind, 'fail');
    assert.match((step({ migration: p, source: src({ positionAdvice: 'MustLocal' }) }) as { message: string }).message, /MustLocal/);
    const w = step({ migration: p, source: src({ status: 'creating' }) });
    assert.equal(w.kind, 'wait');
    assert.match((w as { message: string }).message, /status not ready \(creating\)/);
    assert.deepEqual(step({ migration: mig({ phase: 'Pending', status: 'Error' }) }).kind, 'idle');
  });

  it('fills the source, labels the migration, then moves to CreatingVolume', () => {
    const fill = step({ migration: mig({ phase: 'Pending', filled: false }) });
    assert.equal(fill.kind, 'fillSource');
    assert.deepEqual((fill as { sourceVolume: object }).sourceVolume, { namespace: 'obnvmf', name: 'src', targetNodeId: 'node-1', hostNodeId: 'host-1', spdk: { subsysNqn: 'nqn.1', nsUuid: 'ns-1', address: '10.0.0.1' } });
    assert.deepEqual(step({ migration: mig({ phase: 'Pending', labels: false }) }), { kind: 'addLabels', labels: { [MigrationLabels.SourceNodeId]: 'node-1', [MigrationLabels.HostNodeId]: 'host-1' } });
    assert.deepEqual(step({ migration: mig({ phase: 'Pending' }) }), { kind: 'setStatus', from: 'Pending', status: { phase: 'CreatingVolume', status: 'Working' } });
  });

  it('names, creates and waits for the destination, which is pinned off the source pool with the source’s identity', () => {
    const c = mig({ phase: 'CreatingVolume' });
    assert.deepEqual(step({ migration: c }), { kind: 'nameDest', namespace: 'obnvmf', hostNodeId: 'host-1' });
    const named = mig({ phase: 'CreatingVolume', dest: { namespace: 'obnvmf', name: 'mig-abc' } });
    const create = step({ migration: named });
    assert.equal(create.kind, 'createDest');
    const v = destVolumeFor(named, src());
    assert.equal(v.metadata.annotations?.['obnvmf/pool-label-selector'], 'obnvmf/node-sn!=node-1');
    assert.equal(v.metadata.annotations?.['obnvmf/x'], 'y');
    assert.equal(v.metadata.labels?.['obnvmf/target-node-id'], undefined);
    assert.equal(v.metadata.labels?.['obnvmf/vol-uuid'], 'u1', 'same uuid label on purpose');
    assert.equal(v.metadata.labels?.[MigrationLabels.MigrationName], 'm');
    assert.equal(v.spec.uuid, 'abc');
    assert.deepEqual(v.spec.spdkTarget, { subsysNqn: 'nqn.1', nsUuid: 'ns-1' });
    assert.equal(step({ migration: named, dest: dest('creating') }).kind, 'wait');
    assert.equal(step({ migration: named, dest: dest() }).kind, 'fillDest');
    assert.deepEqual(step({ migration: mig({ phase: 'CreatingVolume', dest: placed }), dest: dest() }), { kind: 'setStatus', from: 'CreatingVolume', status: { phase: 'SetupPipe', status: 'Working' } });
  });

  it('waits on the agents: pipe and host connected, auto switch, then both disconnected; finishes', () => {
    const at = (phase: string, info: VolumeMigration['spec']['migrationInfo']) => step({ migration: mig({ phase, dest: placed, info }), dest: dest() });
    assert.match((at('SetupPipe', {}) as { message: string }).message, /pipe is not connected/);
    assert.match((at('SetupPipe', { migrationPipe: { status: 'Connected' } }) as { message: string }).message, /host connection/);
    assert.deepEqual(at('SetupPipe', { migrationPipe: { status: 'Connected' }, hostConnectStatus: 'Connected' }), { kind: 'setStatus', from: 'SetupPipe', status: { phase: 'Syncing', status: 'Working' } });
    assert.equal(at('Syncing', { autoSwitch: { status: 'Unknown' } }).kind, 'wait');
    assert.equal(at('Syncing', { autoSwitch: { status: 'Error' } }).kind, 'fail');
    assert.equal((at('Syncing', { autoSwitch: { status: 'Success' } }) as { status: { phase: string } }).status.phase, 'Cleaning');
    assert.equal(at('Cleaning', { migrationPipe: { status: 'Connected' } }).kind, 'wait');
    assert.deepEqual(at('Cleaning', { migrationPipe: { status: 'Disconnected' }, hostConnectStatus: 'Disconnected' }), { kind: 'setStatus', from: 'Cleaning', status: { phase: 'Finished', status: 'Finished' } });
    assert.equal(at('Finished', {}).kind, 'idle');
  });
});
