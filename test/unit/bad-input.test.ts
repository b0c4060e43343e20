/**
 * Bad input that never needs the API server: pools the scheduler must refuse (id != name, absurd capacities, as
 * an older CRD lets in), volumes with fields no filter can use, and chain names that do not exist. Each case
 * asserts the message names the object and the field.
 */
import assert from 'node:assert/strict';
import { MAX_EXACT_BYTES, poolProblem } from '../../src/api/objects.js';
import type { StoragePool } from '../../src/api/types.js';
import { resolveChain, schedule, validateVolumeForScheduling } from '../../src/scheduler/chain.js';
import { cfg, GiB, node, pool, vol } from './builders.js';

const edit = (p: StoragePool, f: (p: StoragePool) => void): StoragePool => (f(p), p);

describe('unit: bad input — pools the scheduler refuses', () => {
  const cases: [string, () => StoragePool, RegExp | undefined][] = [
    ['spec.nodeInfo.id differs from metadata.name', () => edit(pool('node-1'), (p) => (p.spec.nodeInfo.id = 'node-x')),
      /^StoragePool obnvmf\/node-1: spec.nodeInfo.id "node-x" differs from metadata.name "node-1"; LiteIO requires them equal; the pool is not schedulable$/],
    ['spec.nodeInfo.id empty', () => edit(pool('node-1'), (p) => (p.spec.nodeInfo.id = '')), /^StoragePool obnvmf\/node-1: spec.nodeInfo.id is empty; LiteIO requires it to equal metadata.name "node-1"; the pool is not schedulable$/],
    ['negative status.capacity.storage', () => edit(pool('p'), (p) => (p.status!.capacity = { storage: '-20Gi' })),
      /^StoragePool obnvmf\/p: status.capacity.storage "-20Gi" is negative; the pool is not schedulable$/],
    ['absurd status.capacity.storage 1e30', () => edit(pool('p'), (p) => (p.status!.capacity = { storage: '1e30' })),
      /status.capacity.storage "1e30" is more than 2\^53-1 \(9007199254740991\) bytes, not exactly representable/],
    ['absurd numeric status.capacity.storage 8Ei', () => edit(pool('p'), (p) => (p.status!.capacity = { storage: '8Ei' })), /status.capacity.storage "8Ei" is more than 2\^53-1/],
    ['unparsable status.capacity.storage', () => edit(pool('p'), (p) => (p.status!.capacity = { storage: 'lots' })), /status.capacity.storage "lots" is not a valid quantity/],
    ['negative status.vgFreeSize', () => edit(pool('p'), (p) => (p.status!.vgFreeSize = '-1Gi')), /status.vgFreeSize "-1Gi" is negative/],
    ['negative spec.kernelLvm.bytes', () => edit(pool('p'), (p) => (p.spec.kernelLvm!.bytes = -5)), /spec.kernelLvm.bytes -5 is negative/],
    ['absurd reserved LV', () => edit(pool('p'), (p) => (p.spec.kernelLvm!.reservedLVol = [{ name: 'r', vgName: 'vg', devPath: '/d', sizeByte: 1e20, lvLayout: 'linear' }])),
      /spec.kernelLvm.reservedLVol\[0\].sizeByte 100000000000000000000 is more than 2\^53-1/],
    ['capacity of exactly 2^53-1 bytes is fine', () => edit(pool('p'), (p) => (p.status!.capacity = { storage: String(MAX_EXACT_BYTES) })), undefined],
  ];
  for (const [what, make, re] of cases)
    it(what, () => {
      const p = make();
      const problem = poolProblem(p);
      if (!re) return assert.equal(problem, undefined);
      assert.ok(problem, 'a problem is reported');
      assert.match(problem.message, re);
      // The filter pass rejects it under its reason; a good pool beside it is still chosen.
      const c = cfg();
      const d = schedule(c, resolveChain(c), [node(p), node(pool('good'))], vol({ host: 'h' }));
      assert.deepEqual(d.candidates.map((x) => x.pool), ['good']);
      assert.equal(d.reasons[problem.reason], 1);
      assert.deepEqual(d.filters[0], { filter: 'Pool', in: 2, rejected: { [problem.reason]: 1 }, examples: { [problem.reason]: [p.metadata.name] } });
    });

  it('the only pool that fits has id != name: NoStoragePoolAvailable names PoolIdMismatch', () => {
    const c = cfg();
    const d = schedule(c, resolveChain(c), [node(edit(pool('node-1'), (p) => (p.spec.nodeInfo.id = 'node-x')))], vol({ host: 'h' }));
    assert.equal(d.error, 'NoStoragePoolAvailable: PoolIdMismatch: 1');
    assert.equal(d.candidates.length, 0);
  });
  it('obnvmf/selected-tgt-node naming a refused pool says why', () => {
    const c = cfg();
    const bad = edit(pool('node-1'), (p) => (p.status!.capacity = { storage: '-1' }));
    const d = schedule(c, resolveChain(c), [node(bad), node(pool('good'))], vol({ annotations: { 'obnvmf/selected-tgt-node': 'node-1' } }));
    assert.match(d.error!, /^NoStoragePoolAvailable: annotation obnvmf\/selected-tgt-node=node-1: StoragePool obnvmf\/node-1: status.capacity.storage "-1" is negative/);
  });
});

describe('unit: bad input — volumes no filter can use', () => {
  const term = (key: string, operator: string, values?: string[]) => ({
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] },
  });
  const affinity = 'requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]';
  const cases: [string, Parameters<typeof vol>[0], RegExp][] = [
    ['sizeByte above 2^53-1', { name: 'v', size: 1e30 }, /^InvalidVolume: AntstorVolume obnvmf\/v: spec.sizeByte 1e\+30 is more than 2\^53-1 \(9007199254740991\) bytes, not exactly representable$/],
    ['negative sizeByte', { name: 'v', size: -1 }, /^InvalidVolume: AntstorVolume obnvmf\/v: spec.sizeByte must be a positive number of bytes, got -1$/],
    ['fractional sizeByte', { name: 'v', size: 1.5 }, /spec.sizeByte must be a whole number of bytes, got 1.5/],
    ['sizeByte as a string', { name: 'v', spec: { sizeByte: '1Gi' } }, /spec.sizeByte must be a positive number of bytes, got "1Gi"/],
    ['unknown positionAdvice', { name: 'v', position: 'Sideways' }, /^InvalidVolume: AntstorVolume obnvmf\/v: spec.positionAdvice "Sideways" is not one of/],
    ['unknown type', { name: 'v', type: 'Floppy' }, /spec.type "Floppy" is not one of Flexible, KernelLVol, SpdkLVol/],
    ['allocated-bytes not a number', { name: 'v', annotations: { 'obnvmf/allocated-bytes': 'lots' } }, /annotation obnvmf\/allocated-bytes: "lots" is not a whole number of bytes/],
    ['snapshot-reserved-bytes negative', { name: 'v', annotations: { 'obnvmf/snapshot-reserved-bytes': '-1' } }, /annotation obnvmf\/snapshot-reserved-bytes: "-1"/],
    ['nodeAffinity with an unknown operator', { name: 'v', spec: { nodeAffinity: term('zone', 'Near', ['a']) } }, new RegExp(`^InvalidVolume: AntstorVolume obnvmf/v: spec.nodeAffinity.${affinity.replace(/[.[\]]/g, '\\$&')}.matchExpressions\\[0\\]: unknown operator "Near" on "zone"$`)],
    ['nodeAffinity Gt with a non-integer', { name: 'v', spec: { nodeAffinity: term('cpu', 'Gt', ['many']) } }, /spec.nodeAffinity.*matchExpressions\[0\]: operator Gt on "cpu" needs one integer value/],
    ['poolAffinity In without values', { name: 'v', spec: { poolAffinity: term('tier', 'In', []) } }, /spec.poolAffinity.*matchExpressions\[0\]: operator In on "tier" needs values/],
    ['poolAffinity Exists with values', { name: 'v', spec: { poolAffinity: term('tier', 'Exists', ['x']) } }, /spec.poolAffinity.*: operator Exists on "tier" takes no values/],
    ['nodeAffinity with an invalid key', { name: 'v', spec: { nodeAffinity: term('bad key!', 'Exists') } }, /spec.nodeAffinity.*: key "bad key!" has an invalid name/],
    ['matchFields on a field other than metadata.name', { name: 'v', spec: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }] }] } } } },
      /spec.nodeAffinity.*matchFields\[0\]: key must be metadata.name, got "metadata.uid"/],
    ['node-label-selector with an unknown operator', { name: 'v', annotations: { 'obnvmf/node-label-selector': 'zone ~ a' } }, /^InvalidSelector: AntstorVolume obnvmf\/v: annotation obnvmf\/node-label-selector: invalid label selector "zone ~ a"/],
    ['pool-label-selector Gt with a non-integer', { name: 'v', annotations: { 'obnvmf/pool-label-selector': 'cpu>many' } }, /^InvalidSelector: AntstorVolume obnvmf\/v: annotation obnvmf\/pool-label-selector: invalid label selector "cpu>many"/],
  ];
  for (const [what, o, re] of cases)
    it(what, () => {
      const v = vol(o);
      assert.match(validateVolumeForScheduling(v), re);
      const c = cfg();
      const d = schedule(c, resolveChain(c), [node(pool('good'))], v);
      assert.match(d.error ?? '', re, 'the scheduler reports it and places nothing');
      assert.equal(d.candidates.length, 0);
    });
  it('a good volume passes validation', () => assert.equal(validateVolumeForScheduling(vol({ size: GiB, host: 'h' })), ''));
});

describe('unit: bad input — chain names', () => {
  it('an unknown filter or priority names the file and the list position', () => {
    assert.throws(() => resolveChain(cfg({ filters: ['Basic', 'Nope'] }), 'x.yaml'), /^Error: config x.yaml: scheduler.filters\[1\]: unknown filter "Nope"/);
    assert.throws(() => resolveChain(cfg({ priorities: [{ name: 'LeastResource', weight: 1 }, { name: 'Nah', weight: 1 }] }), 'x.yaml'), /^Error: config x.yaml: scheduler.priorities\[1\]: unknown priority "Nah"/);
  });
});

describe('unit: bad input — MetaSync rows never carry a value MySQL refuses', () => {
  it('negative or absurd byte counts are written as 0 (a refused row would stall the whole flush)', async () => {
    const { poolRow, volumeRow } = await import('../../src/plugins/metasync/rows.js');
    assert.equal(poolRow(edit(pool('p'), (p) => ((p.spec.kernelLvm!.bytes = 0), (p.status!.capacity = { storage: '-20Gi' })))).total_size, 0);
    assert.equal(poolRow(edit(pool('p'), (p) => ((p.spec.kernelLvm!.bytes = 0), (p.status!.capacity = { storage: '1e30' }), (p.status!.vgFreeSize = '1e30')))).free_size, 0);
    assert.equal(poolRow(pool('p', { bytes: 10 * GiB })).total_size, 10 * GiB);
    assert.equal(volumeRow(vol({ size: 2 ** 60 })).size, 0);
    assert.equal(poolRow(edit(pool('p'), (p) => (p.spec.nodeInfo.id = 'node-x'))).node_id, 'node-x', 'node_id mirrors the object');
  });
});
