/**
 * The workflows whose task keeps failing, for the probe server's /status. A workflow whose task fails (a bug in
 * workflow code, a type this build does not know, a nondeterministic deployment) stays "Running" and answers
 * nothing. src/metrics/workflow-task-failures.ts finds each failure in the SDK's runtime log, logs it at error
 * level and counts it in the metrics; it also notes it here, so a person (or a script) can list them.
 */
export interface WorkflowTaskFailure {
  runId: string;
  workflowId?: string;
  workflowType?: string;
  error: string;
  firstAt: string;
  lastAt: string;
  count: number;
}

const KEEP = 50;

export class WorkflowTaskFailures {
  total = 0;
  private readonly byRun = new Map<string, WorkflowTaskFailure>();

  note(f: { runId: string; workflowId?: string; workflowType?: string; error: string }, now = Date.now()): void {
    this.total++;
    const at = new Date(now).toISOString();
    let cur = this.byRun.get(f.runId);
    if (!cur) {
      cur = { runId: f.runId, error: f.error, firstAt: at, lastAt: at, count: 0 };
      this.byRun.set(f.runId, cur);
      if (this.byRun.size > KEEP) this.byRun.delete(this.byRun.keys().next().value!);
    }
    cur.count++;
    cur.lastAt = at;
    cur.error = f.error || cur.error;
    if (f.workflowId) cur.workflowId = f.workflowId;
    if (f.workflowType && f.workflowType !== 'unknown') cur.workflowType = f.workflowType;
  }

  snapshot(): { total: number; failing: WorkflowTaskFailure[] } {
    return { total: this.total, failing: [...this.byRun.values()] };
  }
}

/** One per process, as the Temporal runtime is. */
export const workflowTaskFailures = new WorkflowTaskFailures();
