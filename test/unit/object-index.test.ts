import assert from 'node:assert/strict';
import { ObjectIndex } from '../../src/kube/object-index.js';

type O = { name: string; target?: string; v: number };

describe('ObjectIndex (the cache\'s secondary index)', function () {
  const index = () => new ObjectIndex<O>((o) => o.target ?? '', (o) => o.name);

  it('groups by key, moves an object whose key changes, and forgets a removed one', function () {
    const i = index();
    i.put({ name: 'a', v: 1 });
    i.put({ name: 'b', target: 'p1', v: 1 });
    i.put({ name: 'c', target: 'p1', v: 1 });
    assert.deepEqual(i.get('').map((o) => o.name), ['a']);
    assert.deepEqual(i.get('p1').map((o) => o.name), ['b', 'c']);
    i.put({ name: 'a', target: 'p2', v: 2 }); // bound
    assert.deepEqual(i.get(''), []);
    assert.deepEqual(i.get('p2'), [{ name: 'a', target: 'p2', v: 2 }]);
    i.remove('b');
    i.remove('nope');
    assert.deepEqual(i.get('p1').map((o) => o.name), ['c']);
    assert.equal(i.size, 2);
  });

  it('hands out the same frozen array until that key\'s objects change', function () {
    const i = index();
    i.put({ name: 'b', target: 'p1', v: 1 });
    i.put({ name: 'x', target: 'p2', v: 1 });
    const p1 = i.get('p1');
    assert.ok(Object.isFrozen(p1));
    i.put({ name: 'x', target: 'p2', v: 2 }); // another key changed
    assert.equal(i.get('p1'), p1, 'p1 untouched: same array');
    i.put({ name: 'b', target: 'p1', v: 2 }); // a new version of one of p1's objects
    const again = i.get('p1');
    assert.notEqual(again, p1);
    assert.equal(again[0]!.v, 2);
  });

  it('leaves out objects whose key is undefined', function () {
    const i = new ObjectIndex<O>((o) => o.target, (o) => o.name);
    i.put({ name: 'a', v: 1 });
    i.put({ name: 'b', target: 't', v: 1 });
    assert.equal(i.size, 1);
    i.put({ name: 'b', v: 2 }); // its key is gone: out of the index
    assert.equal(i.size, 0);
    assert.deepEqual(i.get('t'), []);
  });
});
