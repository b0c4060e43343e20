/**
 * The watcher's keyed queue: client-go semantics (coalescing, one key at a time) and the background lane that
 * keeps a controller restart's resync of placed volumes from delaying a new volume.
 */
import assert from 'node:assert/strict';
import { KeyedQueue } from '../../src/watcher/keyed-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('watcher: keyed work queue', () => {
  it('coalesces an item queued twice and never runs one key concurrently', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new KeyedQueue<string>(async (k, v) => {
      seen.push(`${k}=${v}`);
      if (v === 'first') await gate;
    }, () => undefined, 4);
    q.add('a', 'first');
    q.add('a', 'second'); // a is running: queued
    q.add('a', 'third'); // replaces second
    await tick();
    assert.deepEqual(seen, ['a=first']);
    release();
    await q.idle();
    assert.deepEqual(seen, ['a=first', 'a=third']);
  });

  it('runs background work only in free slots and at most its share; foreground work goes first', async () => {
    const running = new Set<string>();
    let maxBackground = 0;
    const order: string[] = [];
    const q = new KeyedQueue<number>(
      async (k) => {
        running.add(k);
        order.push(k);
        maxBackground = Math.max(maxBackground, [...running].filter((r) => r.startsWith('bound-') && r !== 'bound-49').length);
        await tick();
        running.delete(k);
      },
      () => undefined,
      8,
      30_000,
      2,
    );
    for (let i = 0; i < 50; i++) q.add(`bound-${i}`, i, { background: true });
    await tick();
    q.add('new-volume', 0);
    q.add('bound-49', 1); // a real change to a queued background key promotes it
    await q.idle();
    assert.equal(maxBackground, 2, 'background never takes more than its share');
    assert.ok(order.indexOf('new-volume') < 6, `new work starts at once, not after the resync: position ${order.indexOf('new-volume')}`);
    assert.ok(order.indexOf('bound-49') < 8, 'the promoted key ran in the foreground');
    assert.equal(order.length, 51, 'each key once');
  });

  it('paces the background lane', async () => {
    const q = new KeyedQueue<number>(async () => undefined, () => undefined, 8, 30_000, 2, 200);
    const t0 = Date.now();
    for (let i = 0; i < 21; i++) q.add(`bound-${i}`, i, { background: true });
    await q.idle();
    const ms = Date.now() - t0;
    assert.ok(ms >= 90, `21 items at 200/s take ~100 ms, took ${ms}`);
  });
});
