/**
 * Counts failed workflow tasks from the Temporal SDK's runtime log (the SDK has no hook for them) and logs
 * each one at error level with the workflow id, type and error.
 *
 * Two sources, both reaching the Runtime logger (see src/temporal-logging.ts, which forwards Core's logs):
 *  - the TS worker: `Failed to process Workflow Activation` (error; workflow code threw, or the workflow type is
 *    unknown) with the workflow's log attributes (workflowId, workflowType, runId) and `error`;
 *  - Core: `Failing workflow task` (warn; fields run_id, failure) — every failed task Core reports, including
 *    nondeterminism that only Core detects. Counted only when the TS worker did not just report that run.
 * Core's line names only the run, so the tap remembers run → workflow from the worker's `Completed activation`
 * trace lines (a bounded map).
 */
import type { Logger } from '../logger.js';
import { recordWorkflowTaskFailure } from './registry.js';
import { workflowTaskFailures } from '../workflow-task-failures.js';

export const TS_ACTIVATION_FAILED = 'Failed to process Workflow Activation';
export const TS_ACTIVATION_UNEXPECTED = 'An unexpected error occurred while processing Workflow Activation';
export const CORE_FAILING_WFT = 'Failing workflow task';
const TS_ACTIVATION_DONE = 'Completed activation';

const MAX_RUNS = 10_000;
const DEDUP_MS = 5_000;

type Meta = Record<string, unknown> | undefined;
const s = (x: unknown): string | undefined => (typeof x === 'string' && x ? x : undefined);
const errorText = (e: unknown): string => (e instanceof Error ? e.message : typeof e === 'string' ? e : e === undefined ? '' : JSON.stringify(e));

/** Finds a run's workflow (e.g. through Temporal visibility) when the log line does not name it. */
export type RunResolver = (runId: string) => Promise<{ workflowId: string; workflowType: string } | undefined>;

export interface WorkflowTaskFailureTap {
  /** `true` means the entry was a workflow task failure (counted and logged here). */
  (level: string, message: string, meta?: Meta): boolean;
  /** Set once a Temporal client exists: names the workflow in the error line when the SDK's line does not. */
  resolveWith(r: RunResolver): void;
}

/** Returns a tap for Temporal runtime log entries. */
export function workflowTaskFailureTap(log: Logger, now: () => number = Date.now): WorkflowTaskFailureTap {
  let resolver: RunResolver | undefined;
  const report = (w: { workflowId: string; workflowType: string; runId: string; error: string }) => {
    const done = (x: typeof w) => {
      workflowTaskFailures.note(x); // listed on /status
      log.error('workflow task failed', x);
    };
    if (w.workflowId || !resolver || !w.runId) return done(w);
    resolver(w.runId).then(
      (r) => done({ ...w, ...(r ?? {}) }),
      () => done(w),
    );
  };
  const runs = new Map<string, { workflowId?: string; workflowType?: string }>();
  const reportedByWorker = new Map<string, number>();
  const remember = (runId: string, w: { workflowId?: string; workflowType?: string }) => {
    runs.delete(runId);
    runs.set(runId, w);
    if (runs.size > MAX_RUNS) runs.delete(runs.keys().next().value!);
  };
  const tap = (_level: string, message: string, meta?: Meta): boolean => {
    if (message === TS_ACTIVATION_DONE) {
      const runId = s(meta?.['runId']);
      if (runId) remember(runId, { workflowId: s(meta?.['workflowId']), workflowType: s(meta?.['workflowType']) });
      return false;
    }
    if (message === TS_ACTIVATION_FAILED || message.startsWith(TS_ACTIVATION_UNEXPECTED)) {
      const runId = s(meta?.['runId']) ?? '';
      const known = runs.get(runId);
      // A workflow that could not even be created (unknown type) has no log attributes; its error names the type.
      const fromError = /workflow of type '([^']+)'/.exec(errorText(meta?.['error']))?.[1];
      const workflowType = s(meta?.['workflowType']) ?? known?.workflowType ?? fromError ?? 'unknown';
      const workflowId = s(meta?.['workflowId']) ?? known?.workflowId ?? '';
      reportedByWorker.set(runId, now());
      if (reportedByWorker.size > MAX_RUNS) reportedByWorker.delete(reportedByWorker.keys().next().value!);
      recordWorkflowTaskFailure(workflowType);
      report({ workflowId, workflowType, runId, error: errorText(meta?.['error']) });
      return true;
    }
    if (message === CORE_FAILING_WFT) {
      const runId = s(meta?.['run_id']) ?? '';
      const at = reportedByWorker.get(runId);
      if (at !== undefined && now() - at < DEDUP_MS) return true; // already counted from the worker's line
      const known = runs.get(runId);
      const workflowType = known?.workflowType ?? 'unknown';
      recordWorkflowTaskFailure(workflowType);
      report({ workflowId: known?.workflowId ?? '', workflowType, runId, error: errorText(meta?.['failure']) });
      return true;
    }
    return false;
  };
  return Object.assign(tap, { resolveWith: (r: RunResolver) => void (resolver = r) });
}

/** A resolver over Temporal visibility (one list call per unnamed failure; failures are rare). */
export function visibilityResolver(client: { workflow: { list(o: { query: string; pageSize?: number }): AsyncIterable<{ workflowId: string; type: string }> } }): RunResolver {
  return async (runId) => {
    if (!/^[0-9a-f-]+$/i.test(runId)) return undefined;
    for await (const w of client.workflow.list({ query: `RunId = "${runId}"`, pageSize: 1 })) return { workflowId: w.workflowId, workflowType: w.type };
    return undefined;
  };
}
