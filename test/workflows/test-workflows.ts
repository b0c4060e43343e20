/**
 * The workflow bundle of the long-lived suite: the real workflows, plus a collector that stands in for a volume's
 * workflow when a test talks to a pool's ledger directly.
 */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import { reserveReplySignal, type ReserveReplyMsg } from '../../src/workflows/messages.js';

export * from '../../src/workflows/index.js';

export const repliesQuery = defineQuery<ReserveReplyMsg[]>('replies');

export async function replyCollector(): Promise<void> {
  const got: ReserveReplyMsg[] = [];
  setHandler(reserveReplySignal, (m) => void got.push(m));
  setHandler(repliesQuery, () => got);
  await condition(() => false);
}

/** A bug in workflow code: every workflow task fails, the workflow stays Running and answers nothing. */
export async function alwaysFails(): Promise<void> {
  throw new TypeError('boom: a bug in workflow code');
}
