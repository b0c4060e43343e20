/** The watcher's feed into the placer (placer-feed.ts): batches, and the window of volumes with the placer at once. */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { PlacerFeed } from './placer-feed.js';
import { DEFAULT_TIMINGS, type VolumeRef } from '../../workflows/messages.js';
import type { Logger } from '../../logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ref = (i: number): VolumeRef => ({ namespace: 'ns', name: `v-${i}`, uid: `u-${i}` });
const quiet = { warn() {}, info() {}, error() {}, debug() {}, child() { return quiet; } } as unknown as Logger;

function fakeClient(batches: string[][]): Client {
  return {
    workflow: {
      signalWithStart: async (_type: string, o: { signalArgs: [{ volumes: VolumeRef[] }] }) => {
        batches.push(o.signalArgs[0].volumes.map((v) => v.uid));
        return {};
      },
    },
  } as unknown as Client;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(2);
  }
}

describe('placer feed: what goes to the placer, and when', () => {
  it('never has more than maxInFlight volumes with the placer; each one that leaves makes room for the next', async () => {
    const batches: string[][] = [];
    const feed = new PlacerFeed(fakeClient(batches), { taskQueue: 'tq', timings: DEFAULT_TIMINGS }, 'ns', quiet, { delayMs: 1, maxBatch: 500, maxInFlight: 100 });
    try {
      for (let i = 0; i < 250; i++) feed.add(ref(i));
      await until(() => feed.withPlacer === 100);
      await sleep(20);
      assert.equal(batches.flat().length, 100, 'the first 100 only');
      assert.equal(feed.waiting, 150);
      // 30 are bound: 30 more go.
      for (let i = 0; i < 30; i++) feed.done(`u-${i}`);
      await until(() => batches.flat().length === 130);
      assert.equal(feed.withPlacer, 100);
      // As the placer binds what it has, the rest follows: every volume goes exactly once, in order of arrival.
      for (let k = 0; k < 50 && batches.flat().length < 250; k++) {
        for (const u of batches.flat()) feed.done(u);
        await sleep(10);
        assert.ok(feed.withPlacer <= 100, `window kept: ${feed.withPlacer}`);
      }
      await until(() => batches.flat().length === 250);
      assert.deepEqual(batches.flat(), Array.from({ length: 250 }, (_, i) => `u-${i}`));
    } finally {
      feed.close();
    }
  });

  it('a volume deleted or reported before it was sent is not sent', async () => {
    const batches: string[][] = [];
    const feed = new PlacerFeed(fakeClient(batches), { taskQueue: 'tq', timings: DEFAULT_TIMINGS }, 'ns', quiet, { delayMs: 30, maxInFlight: 10 });
    try {
      feed.add(ref(1));
      feed.add(ref(2));
      feed.done('u-1');
      await until(() => batches.length === 1);
      assert.deepEqual(batches, [['u-2']]);
    } finally {
      feed.close();
    }
  });

  it('done() says whether the volume had been sent (the releaser feed relies on it to skip the fallback release)', async () => {
    const batches: string[][] = [];
    const feed = new PlacerFeed(fakeClient(batches), { taskQueue: 'tq', timings: DEFAULT_TIMINGS }, 'ns', quiet, { delayMs: 1, maxInFlight: 10 });
    try {
      feed.add(ref(1));
      await until(() => batches.length === 1);
      feed.add(ref(2)); // pending, not sent yet
      assert.equal(feed.done('u-2'), false);
      assert.equal(feed.done('u-1'), true);
      assert.equal(feed.done('u-1'), false, 'only once');
      assert.equal(feed.done('u-9'), false);
    } finally {
      feed.close();
    }
  });

  it('a volume never seen leaving stops counting after the timeout, and is sent again only while it is still new', async () => {
    const batches: string[][] = [];
    const stillNew = new Set(['u-1']);
    const feed = new PlacerFeed(fakeClient(batches), { taskQueue: 'tq', timings: DEFAULT_TIMINGS }, 'ns', quiet, {
      delayMs: 1,
      maxInFlight: 2,
      inFlightTimeoutMs: 50,
      stillNew: (sent) => (stillNew.has(sent.uid) ? ref(Number(sent.uid.slice(2))) : undefined),
    });
    try {
      for (const i of [1, 2, 3]) feed.add(ref(i));
      await until(() => batches.flat().length === 2);
      assert.equal(feed.waiting, 1, 'u-3 waits for room');
      // Neither u-1 nor u-2 is ever reported leaving: after the timeout both stop counting; u-1 (still new) goes
      // again beside u-3, u-2 (bound meanwhile, its event missed) does not.
      await until(() => batches.flat().length === 4, 3000);
      assert.deepEqual(batches.flat().sort(), ['u-1', 'u-1', 'u-2', 'u-3']);
    } finally {
      feed.close();
    }
  });
});
