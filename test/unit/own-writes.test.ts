/**
 * Own writes: the watch event of a binding the volume's workflow wrote itself wakes nobody (the workflow records
 * that resourceVersion and would ignore the signal) — but any other event always does.
 */
import assert from 'node:assert/strict';
import { OwnWrites } from '../../src/watcher/own-writes.js';

describe('watcher: own writes (events the workflow already knows)', () => {
  it('skips exactly the event at the written resourceVersion, once', () => {
    const w = new OwnWrites();
    w.note('u1', '105');
    assert.equal(w.consume('u1', '104'), false, 'an older event (someone else’s change) is delivered');
    assert.equal(w.consume('u2', '105'), false, 'another volume at the same version is delivered');
    assert.equal(w.consume('u1', '105'), true);
    assert.equal(w.consume('u1', '105'), false, 'a replayed event after the skip is delivered');
    assert.equal(w.size, 0);
  });

  it('keeps the newest write per volume, ignores empty versions and stays bounded', () => {
    const w = new OwnWrites(3);
    w.note('u1', '1');
    w.note('u1', '2');
    assert.equal(w.consume('u1', '1'), false);
    w.note('u2', undefined);
    assert.equal(w.size, 1);
    for (const u of ['a', 'b', 'c']) w.note(u, '9');
    assert.equal(w.size, 3);
    assert.equal(w.consume('u1', '2'), false, 'the oldest entry went first');
    assert.equal(w.consume('c', '9'), true);
  });

  it('lets the watcher wait for a write in flight, then match it; a write that never lands does not hold it up', async () => {
    const w = new OwnWrites();
    w.begin('u1');
    let settled = false;
    const waiting = w.settled('u1').then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'the event waits while the write is in flight');
    w.note('u1', '7');
    w.end('u1');
    await waiting;
    assert.equal(w.consume('u1', '7'), true);
    // Nested begins settle on the last end; a write that hangs releases the event after the timeout.
    w.begin('u2');
    w.begin('u2');
    w.end('u2');
    const t0 = Date.now();
    await w.settled('u2', 50);
    assert.ok(Date.now() - t0 >= 40, 'still in flight after one of two ends');
    w.end('u2');
    await w.settled('u2', 10_000);
    await w.settled('nobody');
  });

  it('an event at a later version that shows what workflows act on exactly as we wrote it is ours (our write and a status write, delivered as one update)', () => {
    const w = new OwnWrites();
    w.note('u1', '10', 'K-bound');
    assert.equal(w.consume('u1', '12', 'K-other'), false, 'someone changed a field a workflow acts on');
    w.note('u1', '10', 'K-bound');
    assert.equal(w.consume('u1', '12', 'K-bound'), true, 'only status changed since our write');
    assert.equal(w.consume('u1', '13', 'K-bound'), false, 'forgotten once consumed');
    w.note('u2', '20');
    assert.equal(w.consume('u2', '21', 'K'), false, 'without a noted key only the exact version matches');
  });
});
