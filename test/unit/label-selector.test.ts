import assert from 'node:assert/strict';
import { matchSelector, parseLabelSelector, SelectorParseError } from '../../src/scheduler/label-selector.js';

describe('unit: label selector (k8s labels.Parse syntax)', () => {
  const labels = { a: 'b', tier: 'gold', n: '5', 'example.com/zone': 'z1' };
  const cases: [string, boolean][] = [
    ['', true],
    ['a=b', true],
    ['a==b', true],
    ['a=c', false],
    ['a!=c', true],
    ['a!=b', false],
    ['missing!=x', true],
    ['a in (b,c)', true],
    ['a in (c,d)', false],
    ['missing in (b)', false],
    ['a notin (c)', true],
    ['a notin (b)', false],
    ['missing notin (b)', true],
    ['a', true],
    ['missing', false],
    ['!missing', true],
    ['!a', false],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['missing>1', false],
    ['tier=gold,a=b', true],
    ['tier=gold,a=x', false],
    [' tier = gold , a in ( b ) ', true],
    ['example.com/zone=z1', true],
    ['a=', false],
    ['a in (b,)', true],
  ];
  for (const [sel, want] of cases)
    it(`"${sel}" ${want ? 'matches' : 'does not match'}`, () => assert.equal(matchSelector(parseLabelSelector(sel), labels), want));

  const bad = ['a in (b', 'a in b', '=b', 'a=b,', 'a b', 'a>x', '!', 'a=b=c', 'bad key!=x', '-a=b', 'a=' + 'x'.repeat(64), 'a/b/c=d', 'a in (b c)'];
  for (const sel of bad)
    it(`rejects "${sel}" with a clear error`, () => {
      assert.throws(() => parseLabelSelector(sel), (e: unknown) => e instanceof SelectorParseError && e.message.includes(`"${sel}"`));
    });
});
