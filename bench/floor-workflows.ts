/**
 * The Temporal floor: bare workflows with the same server round trips as one placement and none of its work.
 * A "volume" is started by signalWithStart, asks its "pool" in its first workflow task (a local activity that
 * signals the pool, as ledgerRequest does), the pool answers by a local activity that signals the volume (as
 * v0.6.0's ledgerReplies does; before v0.6.0 an external signal, which costs the pool a second workflow task), and
 * the volume's second workflow task runs one more local activity (as volumeBind does) and then waits, as a bound
 * volume does.
 */
import { condition, defineSignal, patched, proxyLocalActivities, proxySinks, setHandler, workflowInfo, type Sinks } from '@temporalio/workflow';

export const floorAsk = defineSignal<[{ replyTo: string }]>('floorAsk');
export const floorReply = defineSignal<[]>('floorReply');
export const floorWake = defineSignal<[]>('floorWake');

const acts = proxyLocalActivities<{
  floorSignalPool(i: { pool: string; replyTo: string }): Promise<void>;
  floorReplyTo(i: { replyTo: string[] }): Promise<void>;
  floorNoop(): Promise<void>;
}>({
  startToCloseTimeout: '30s',
});

export async function floorVolume(pool: string): Promise<void> {
  let answered = false;
  let done = false;
  setHandler(floorReply, () => void (answered = true));
  setHandler(floorWake, () => undefined);
  await acts.floorSignalPool({ pool, replyTo: workflowInfo().workflowId });
  await condition(() => answered);
  await acts.floorNoop();
  await condition(() => done);
}

export async function floorPool(): Promise<void> {
  const outbox: string[] = [];
  setHandler(floorAsk, ({ replyTo }) => void outbox.push(replyTo));
  for (;;) {
    await condition(() => outbox.length > 0);
    await acts.floorReplyTo({ replyTo: outbox.splice(0) });
  }
}

/** Tells the benchmark's worker that a run finished, without a server round trip (sinks are not in the history). */
export interface FloorSinks extends Sinks {
  floor: { done(): void };
}
const { floor } = proxySinks<FloorSinks>();

/**
 * The v0.8.0 start floor: the least Temporal does per placed volume. A run started with its input (about the size
 * of a placement record) that ends in its first workflow task, as a volume's run that the placer bound does.
 */
export async function floorRun(_record: string, patches = 0): Promise<void> {
  // `patches` patched() calls, as a run whose code carries that many patches (each a marker and an upsert of the
  // TemporalChangeVersion search attribute in the history).
  for (let i = 0; i < patches; i++) patched(`floor-patch-${i}`);
  floor.done();
}
