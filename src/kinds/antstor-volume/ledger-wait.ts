/**
 * How long a volume keeps waiting for a pool's ledger to answer: pure rules, used by the volume's workflow with
 * what `ledgerProbe` saw of the pool's workflow. Asking again does not make a busy pool answer sooner (its ledger
 * decides requests in arrival order, and the first request is already in its history); it only adds work. So a
 * busy pool that is making progress is waited for, a closed one is asked again (the request restarts it), and one
 * that makes no progress for `giveUpMs` (its workflow task failing, no worker taking it, its activities failing,
 * or simply silent) is given up on so the next candidate can be tried.
 */
import type { LedgerProbe } from '../../workflows/messages.js';

export interface LedgerWaitState {
  startedAt: number;
  /** When the pool was last seen making progress (initially: when the request was sent). */
  lastProgressAt: number;
  /** The pool's history length at the previous probe. */
  lastHistoryLength?: number;
}

export type LedgerWaitVerdict = 'wait' | 'reask' | 'giveUp';

/** Whether the probed pool is making progress: running, its task not failing or unclaimed, its history growing or a task on its way. */
export function poolProgressing(p: LedgerProbe, lastHistoryLength: number | undefined, giveUpMs: number): boolean {
  if (!p.running) return false;
  if ((p.taskAttempt ?? 1) > 1) return false; // its workflow task keeps failing: a wedge, not a queue
  if (p.taskWaitingMs !== undefined && p.taskWaitingMs >= giveUpMs) return false; // no worker takes its tasks
  if (p.failingActivities > 0) return false; // e.g. cannot load the pool from the API server
  const grew = lastHistoryLength === undefined || p.historyLength > lastHistoryLength;
  return grew || p.taskAttempt !== undefined;
}

/** The next step after a silence; updates `st` with what this probe saw. */
export function judgeLedgerWait(p: LedgerProbe, st: LedgerWaitState, now: number, o: { giveUpMs: number; capMs: number }): LedgerWaitVerdict {
  if (poolProgressing(p, st.lastHistoryLength, o.giveUpMs)) st.lastProgressAt = now;
  st.lastHistoryLength = p.historyLength;
  if (now - st.lastProgressAt >= o.giveUpMs || now - st.startedAt >= o.capMs) return 'giveUp';
  return p.running ? 'wait' : 'reask';
}

/** A short phrase for status.msg: what the pool is doing, as far as the probe tells. */
export function describeProbe(p: LedgerProbe): string {
  if (!p.running) return 'its workflow is not running; asking again';
  if ((p.taskAttempt ?? 1) > 1) return `its workflow task is failing (attempt ${p.taskAttempt})`;
  if (p.taskWaitingMs !== undefined && p.taskWaitingMs >= 10_000) return `no worker has taken its workflow task for ${Math.round(p.taskWaitingMs / 1000)}s`;
  if (p.failingActivities > 0) return `${p.failingActivities} of its activities are failing`;
  return `it is busy (${p.historyLength} events in its history)`;
}
