import assert from 'node:assert/strict';
import type { NodeSelectorTerm } from '../../src/api/types.js';
import { anyRequirementMatches, matchNodeSelectorTerms, toleratesTaint } from '../../src/scheduler/node-affinity.js';

describe('unit: node selector terms (MatchNodeSelectorTerms)', () => {
  const labels = { zone: 'a', disk: 'nvme', gen: '3' };
  const t = (...e: NodeSelectorTerm['matchExpressions'][]) => e.map((x) => ({ matchExpressions: x }));
  const cases: [string, NodeSelectorTerm[], string, boolean][] = [
    ['In matches', t([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), 'n1', true],
    ['In misses', t([{ key: 'zone', operator: 'In', values: ['c'] }]), 'n1', false],
    ['NotIn', t([{ key: 'zone', operator: 'NotIn', values: ['c'] }]), 'n1', true],
    ['NotIn on absent key matches', t([{ key: 'x', operator: 'NotIn', values: ['c'] }]), 'n1', true],
    ['Exists', t([{ key: 'disk', operator: 'Exists' }]), 'n1', true],
    ['DoesNotExist', t([{ key: 'disk', operator: 'DoesNotExist' }]), 'n1', false],
    ['Gt', t([{ key: 'gen', operator: 'Gt', values: ['2'] }]), 'n1', true],
    ['Lt', t([{ key: 'gen', operator: 'Lt', values: ['3'] }]), 'n1', false],
    ['expressions ANDed', t([{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'disk', operator: 'In', values: ['hdd'] }]), 'n1', false],
    ['terms ORed', t([{ key: 'zone', operator: 'In', values: ['x'] }], [{ key: 'disk', operator: 'Exists' }]), 'n1', true],
    ['empty term matches nothing', [{}], 'n1', false],
    ['matchFields metadata.name In', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }], 'n1', true],
    ['matchFields metadata.name In other', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }], 'n1', false],
    ['matchFields NotIn', [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n2'] }] }], 'n1', true],
  ];
  for (const [name, terms, node, want] of cases) it(name, () => assert.equal(matchNodeSelectorTerms(terms, node, labels), want));

  it('a malformed term errors unless another term matches', () => {
    const bad = { matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['x'] }] };
    assert.throws(() => matchNodeSelectorTerms([bad], 'n1', labels), /integer/);
    assert.equal(matchNodeSelectorTerms([bad, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }], 'n1', labels), true);
    assert.throws(() => matchNodeSelectorTerms([{ matchExpressions: [{ key: 'a', operator: 'Near' }] }], 'n', {}), /unknown operator "Near"/);
  });

  it('LockPool semantics: any single requirement matches (OR), unknown operators skipped', () => {
    assert.equal(anyRequirementMatches([{ key: 'x', operator: 'Exists' }, { key: 'zone', operator: 'In', values: ['a'] }], labels), true);
    assert.equal(anyRequirementMatches([{ key: 'zone', operator: 'Bogus' }, { key: 'x', operator: 'Exists' }], labels), false);
  });

  it('tolerations tolerate taints like corev1.Toleration.ToleratesTaint', () => {
    assert.equal(toleratesTaint({ key: 'broken', operator: 'Exists' }, { key: 'broken', effect: 'NoSchedule' }), true);
    assert.equal(toleratesTaint({ operator: 'Exists' }, { key: 'anything' }), true);
    assert.equal(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v' }), true);
    assert.equal(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'w' }), false);
    assert.equal(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, { key: 'k', effect: 'NoSchedule' }), false);
  });
});
