/**
 * Is a workflow making progress? A workflow whose task keeps failing (a bug in workflow code, a nondeterministic
 * deployment) is still "Running" in every list and answers no query; the only traces are the pending workflow
 * task's attempt count and the first failure recorded in its history. `explain` uses this to say so plainly.
 */
import type { Client } from '@temporalio/client';

export interface WorkflowHealth {
  workflowId: string;
  /** RUNNING, COMPLETED, CONTINUED_AS_NEW, … or NOT_FOUND. */
  status: string;
  /** The workflow task has failed at least once in a row and is being retried. */
  stuck: boolean;
  /** Attempt number of the pending workflow task (1 = first try). */
  attempt?: number;
  /** The failure recorded for the first failed attempt (Temporal records only that one in history). */
  failure?: string;
  /** Since when the failing task has been retried. */
  since?: string;
}

const ts = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t?.seconds !== undefined && t.seconds !== null ? new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : undefined;

export async function workflowHealth(client: Client, workflowId: string): Promise<WorkflowHealth> {
  const handle = client.workflow.getHandle(workflowId);
  let desc;
  try {
    desc = await handle.describe();
  } catch (e) {
    if ((e as Error).name === 'WorkflowNotFoundError') return { workflowId, status: 'NOT_FOUND', stuck: false };
    throw e;
  }
  const status = desc.status.name;
  const pending = desc.raw.pendingWorkflowTask;
  const attempt = pending?.attempt ?? undefined;
  if (status !== 'RUNNING' || !attempt || attempt < 2) return { workflowId, status, stuck: false, ...(attempt ? { attempt } : {}) };
  // The failure is in history as the last WorkflowTaskFailed event (later attempts are not recorded).
  let failure: string | undefined;
  let since: string | undefined;
  const history = await handle.fetchHistory();
  for (const ev of history.events ?? []) {
    const a = ev.workflowTaskFailedEventAttributes;
    if (a) {
      failure = a.failure?.message ?? String(a.cause ?? 'unknown');
      since = ts(ev.eventTime);
    } else if (ev.workflowTaskCompletedEventAttributes) {
      failure = undefined;
      since = undefined;
    }
  }
  return { workflowId, status, stuck: true, attempt, ...(failure ? { failure } : {}), ...(since ? { since } : {}) };
}

export function renderHealth(h: WorkflowHealth): string {
  if (!h.stuck) return `workflow ${h.workflowId}: ${h.status}`;
  return (
    `workflow ${h.workflowId}: STUCK — its workflow task has failed ${h.attempt! - 1} time(s) in a row` +
    `${h.since ? ` since ${h.since}` : ''}: ${h.failure ?? 'no failure recorded'}`
  );
}
