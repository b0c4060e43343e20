/**
 * SignalCoalescer (v0.15.0): pools' answers to the placer share signals — one in flight per workflow, what arrives
 * meanwhile in the next one — without delaying a lone answer, splitting a caller's items or hiding a failure.
 */
import assert from 'node:assert/strict';
import { SignalCoalescer } from '../../src/activities/signal-coalescer.js';

/** A signal function whose calls stay open until the test settles them. */
function fakeSignals() {
  const calls: { id: string; items: number[]; done: () => void; fail: (e: Error) => void }[] = [];
  const send = (id: string, items: number[]) =>
    new Promise<void>((done, fail) => {
      calls.push({ id, items, done, fail });
    });
  return { calls, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('SignalCoalescer', () => {
  it('sends a lone delivery at once, and resolves it only when its signal is accepted', async () => {
    const f = fakeSignals();
    const c = new SignalCoalescer<number>(f.send);
    let settled = false;
    const p = c.deliver('placer/ns', [1, 2]).then(() => (settled = true));
    await tick();
    assert.deepEqual(
      f.calls.map((x) => x.items),
      [[1, 2]],
    );
    assert.equal(settled, false);
    f.calls[0]!.done();
    await p;
    assert.equal(settled, true);
  });

  it('puts what arrives while a signal is in flight into one next signal, in arrival order', async () => {
    const f = fakeSignals();
    const c = new SignalCoalescer<number>(f.send);
    const first = c.deliver('placer/ns', [1]);
    await tick();
    const later = [c.deliver('placer/ns', [2]), c.deliver('placer/ns', [3, 4]), c.deliver('placer/ns', [5])];
    await tick();
    assert.equal(f.calls.length, 1, 'nothing more goes while the first is in flight');
    f.calls[0]!.done();
    await first;
    await tick();
    assert.deepEqual(
      f.calls.map((x) => x.items),
      [[1], [2, 3, 4, 5]],
    );
    f.calls[1]!.done();
    await Promise.all(later);
    assert.equal(c.pending('placer/ns'), 0);
  });

  it('never splits a caller’s items, and keeps each signal within maxItems (a larger caller goes alone)', async () => {
    const f = fakeSignals();
    const c = new SignalCoalescer<number>(f.send, { maxItems: 4 });
    const all = [c.deliver('w', [0])];
    await tick();
    all.push(c.deliver('w', [1, 2]), c.deliver('w', [3, 4]), c.deliver('w', [5, 6, 7, 8, 9, 10]), c.deliver('w', [11]));
    const sent: number[][] = [];
    while (sent.length < 4) {
      await tick();
      const call = f.calls[sent.length];
      assert.ok(call, `signal ${sent.length + 1} went`);
      sent.push(call.items);
      call.done();
    }
    await Promise.all(all);
    assert.deepEqual(sent, [[0], [1, 2, 3, 4], [5, 6, 7, 8, 9, 10], [11]]);
  });

  it('fails exactly the callers of a failed signal; the next signal still goes', async () => {
    const f = fakeSignals();
    const c = new SignalCoalescer<number>(f.send);
    const a = c.deliver('w', [1]);
    await tick();
    const b = c.deliver('w', [2]);
    const d = c.deliver('w', [3]);
    f.calls[0]!.fail(new Error('server busy'));
    await assert.rejects(a, /server busy/);
    await tick();
    assert.deepEqual(f.calls[1]!.items, [2, 3]);
    f.calls[1]!.done();
    await Promise.all([b, d]);
  });

  it('keeps workflows apart: a slow signal to one does not hold another’s', async () => {
    const f = fakeSignals();
    const c = new SignalCoalescer<number>(f.send);
    void c.deliver('placer/a', [1]);
    const b = c.deliver('placer/b', [2]);
    await tick();
    assert.deepEqual(
      f.calls.map((x) => x.id),
      ['placer/a', 'placer/b'],
    );
    f.calls[1]!.done();
    await b;
    assert.equal(c.pending('placer/a'), 1, 'placer/a’s signal is still in flight');
    assert.equal(c.pending('placer/b'), 0, 'placer/b is done');
  });

  describe('with handOffMs (the caller is let go; the coalescer keeps the items)', () => {
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('lets a caller go once its signal is slow, then retries a failed signal itself until it is accepted', async () => {
      const f = fakeSignals();
      const c = new SignalCoalescer<number>(f.send, { handOffMs: 20, retryMs: 5 });
      let resolved = false;
      const p = c.deliver('placer/ns', [7]).then(() => (resolved = true));
      await wait(5);
      assert.equal(resolved, false, 'still within handOffMs');
      await p;
      assert.equal(f.calls.length, 1);
      f.calls[0]!.fail(new Error('deadline exceeded'));
      await wait(30);
      assert.deepEqual(
        f.calls.map((x) => x.items),
        [[7], [7]],
        'the coalescer sent the handed-off items again',
      );
      f.calls[1]!.done();
      await wait(1);
      assert.equal(c.pending('placer/ns'), 0);
    });

    it('still fails a caller that waits when its signal fails within handOffMs (its activity retries)', async () => {
      const f = fakeSignals();
      const c = new SignalCoalescer<number>(f.send, { handOffMs: 1000, retryMs: 5 });
      const p = c.deliver('w', [1]);
      await tick();
      f.calls[0]!.fail(new Error('unavailable'));
      await assert.rejects(p, /unavailable/);
      await wait(20);
      assert.equal(f.calls.length, 1, 'not retried by the coalescer: the caller has the error');
      assert.equal(c.pending('w'), 0);
    });

    it('flush waits for what was handed off to go, within its bound', async () => {
      const f = fakeSignals();
      const c = new SignalCoalescer<number>(f.send, { handOffMs: 1 });
      await c.deliver('w', [1]);
      assert.equal(await c.flush(30), false, 'still in flight after the bound');
      const flushed = c.flush(1000);
      f.calls[0]!.done();
      assert.equal(await flushed, true);
      assert.equal(await new SignalCoalescer<number>(f.send).flush(0), true, 'nothing to wait for');
    });

    it('drops handed-off items quietly when the workflow is gone, and with onDrop after giveUpMs', async () => {
      const f = fakeSignals();
      const drops: [string, number][] = [];
      let clock = 0;
      const c = new SignalCoalescer<number>(f.send, {
        handOffMs: 1,
        retryMs: 1,
        giveUpMs: 100,
        now: () => clock,
        isGone: (e) => (e as Error).message === 'gone',
        onDrop: (id, n) => drops.push([id, n]),
      });
      await c.deliver('a', [1, 2]);
      f.calls[0]!.fail(new Error('gone'));
      await wait(10);
      assert.equal(f.calls.length, 1, 'a gone workflow is not signalled again');
      assert.deepEqual(drops, []);
      await c.deliver('b', [3]);
      f.calls[1]!.fail(new Error('busy'));
      await wait(10);
      assert.equal(f.calls.length, 3, 'retried while young');
      clock = 500;
      f.calls[2]!.fail(new Error('busy'));
      await wait(10);
      assert.equal(f.calls.length, 3, 'given up');
      assert.deepEqual(drops, [['b', 1]]);
      assert.equal(c.pending('b'), 0);
    });
  });
});

