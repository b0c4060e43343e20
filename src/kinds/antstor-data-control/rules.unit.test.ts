/** LiteIO's data-control steps (data_control_reconciler.go; src/kinds/antstor-data-control/rules.ts). */
import { strict as assert } from 'node:assert';
import type { AntstorVolume } from '../../api/types.js';
import { decideDataControlStep } from './rules.js';
import type { AntstorDataControl } from './types.js';
import type { AntstorVolumeGroup } from '../../kinds/antstor-volume-group/types.js';

const host = { id: 'h1', ip: '10.0.0.1' };
const dc = (o: Partial<AntstorDataControl['spec']> = {}, status?: AntstorDataControl['status']): AntstorDataControl => ({
  metadata: { name: 'dc', namespace: 'ns' },
  spec: { engineType: 'KernelLVM', hostNode: host, volumeGroups: [{ namespace: 'ns', name: 'g', uuid: 'g' }], ...o },
  ...(status ? { status } : {}),
});
const group = (status: string): AntstorVolumeGroup => ({
  metadata: { name: 'g', namespace: 'ns' },
  spec: { totalSize: 2, volumes: [{ volId: { namespace: 'ns', name: 'm1', uuid: '1' }, targetNodeName: 'p', size: 1 }, { volId: { namespace: 'ns', name: 'm2', uuid: '2' }, targetNodeName: 'q', size: 1 }] },
  status: { status },
});
const vol = (o: Partial<AntstorVolume['spec']> = {}, status: AntstorVolume['status'] = {}): AntstorVolume => ({ metadata: { name: 'm' }, spec: { sizeByte: 1, ...o }, status });
const facts = (d: AntstorDataControl, g: AntstorVolumeGroup | undefined, m1: AntstorVolume | undefined, m2: AntstorVolume | undefined) => ({
  dc: d,
  groups: new Map([['ns/g', g]]),
  members: new Map([['ns/m1', m1], ['ns/m2', m2]]),
});

describe('AntstorDataControl steps (LiteIO order)', () => {
  it('refuses an engine type other than KernelLVM or SpdkLVStore', () => {
    assert.equal(decideDataControlStep(facts(dc({ engineType: 'x' }), group('ready'), vol(), vol())).kind, 'invalid');
  });
  it('waits for every group to be ready', () => {
    const s = decideDataControlStep(facts(dc(), group('creating'), vol(), vol()));
    assert.equal(s.kind, 'wait');
    assert.match((s as { message: string }).message, /VolumeGroup ns\/g is not ready yet \(creating\)/);
    assert.match((decideDataControlStep(facts(dc(), undefined, vol(), vol())) as { message: string }).message, /not found/);
  });
  it('gives each member the host, then binds to the host (KernelLVM); SpdkLVStore is not supported', () => {
    assert.deepEqual(decideDataControlStep(facts(dc(), group('ready'), vol(), vol())), { kind: 'setMemberHost', member: { namespace: 'ns', name: 'm1' } });
    assert.deepEqual(decideDataControlStep(facts(dc(), group('ready'), vol({ hostNode: host }), vol())), { kind: 'setMemberHost', member: { namespace: 'ns', name: 'm2' } });
    assert.deepEqual(decideDataControlStep(facts(dc(), group('ready'), vol({ hostNode: host }), vol({ hostNode: host }))), { kind: 'bind', targetNodeId: 'h1', labels: { 'obnvmf/target-node-id': 'h1' } });
    assert.match((decideDataControlStep(facts(dc({ engineType: 'SpdkLVStore' }), group('ready'), vol(), vol())) as { message: string }).message, /not supported yet/);
  });
  it('copies CSI publish parameters to members without a target path, then is idle', () => {
    const pub = { stagingTargetPath: '/s', targetPath: '/t' };
    const bound = dc({ targetNodeId: 'h1' }, { csiNodePubParams: pub });
    assert.deepEqual(decideDataControlStep(facts(bound, group('ready'), vol({}, { csiNodePubParams: pub }), vol())), { kind: 'copyPubParams', member: { namespace: 'ns', name: 'm2' } });
    assert.equal(decideDataControlStep(facts(bound, group('ready'), vol({}, { csiNodePubParams: pub }), vol({}, { csiNodePubParams: pub }))).kind, 'idle');
    assert.equal(decideDataControlStep(facts(dc({ targetNodeId: 'h1' }), group('ready'), vol(), vol())).kind, 'idle');
  });
});
