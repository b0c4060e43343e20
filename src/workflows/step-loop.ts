/**
 * The loop of a workflow that reconciles one object a step at a time (snapshots, migrations): one activity decides
 * and does the next step; a step that wrote is followed at once by the next pass; a step that waits sleeps until a
 * signal (a watch event of what it waits on) wakes it, with a long recheck timer as a safety net. A wait that lasts
 * longer than `longWaitMs` is reported (once per period), and the run continues as new when the server suggests.
 * Deterministic: workflow code only.
 */
import { condition, workflowInfo } from '@temporalio/workflow';

export interface StepPassResult {
  /** The object (this uid) no longer exists: the loop ends. */
  gone?: boolean;
  /** The step wrote to the API server: pass again. */
  acted?: boolean;
  step?: { kind: string; message?: string; why?: string };
}

export interface StepLoopOptions {
  /** One pass; `announced` is the wait already made known (an Event), so it is not repeated. */
  pass(announced: string | undefined): Promise<StepPassResult>;
  /** Steps that wait on something outside: rechecked on a timer as well as on signals. */
  waiting(step: NonNullable<StepPassResult['step']>): boolean;
  recheckMs: number;
  /** The wait announced by the previous run (continue-as-new input). */
  announced?: string;
  longWaitMs?: number;
  longWait?(message: string, waitedMs: number): Promise<void>;
  continueAsNew(announced: string | undefined): Promise<never>;
}

/** Writes in a row without anything else changing: more means the steps do not converge; wait for a signal. */
const MAX_STEPS_IN_A_ROW = 10;

export class StepLoop {
  private dirty = true;
  private signals = 0;

  /** The signal handler: something changed. Safe before run() (signals of the first activation arrive first). */
  readonly wake = (): void => {
    this.dirty = true;
    this.signals++;
  };

  async run(o: StepLoopOptions): Promise<void> {
    let announced = o.announced;
    let steps = 0;
    let waitMsg: string | undefined;
    let waitingSince = 0;
    let reported = 0;
    for (;;) {
      this.dirty = false;
      const r = await o.pass(announced);
      if (r.gone) return;
      const waiting = !!r.step && o.waiting(r.step);
      const msg = waiting ? (r.step!.message ?? r.step!.why ?? r.step!.kind) : undefined;
      if (msg !== waitMsg) {
        waitMsg = msg;
        waitingSince = Date.now();
        reported = 0;
      }
      announced = r.step?.message !== undefined && waiting ? r.step.message : undefined;
      if (r.acted && ++steps < MAX_STEPS_IN_A_ROW) continue;
      steps = 0;
      if (workflowInfo().continueAsNewSuggested || this.signals > 1000) await o.continueAsNew(announced);
      let timeout: number | undefined = waiting ? o.recheckMs : undefined;
      const reportAt = waitMsg && o.longWaitMs && o.longWait ? waitingSince + o.longWaitMs * (reported + 1) : undefined;
      if (reportAt !== undefined) timeout = Math.min(timeout ?? Infinity, Math.max(1, reportAt - Date.now()));
      await condition(() => this.dirty, timeout);
      if (!this.dirty && reportAt !== undefined && Date.now() >= reportAt && waitMsg) {
        reported++;
        await o.longWait!(waitMsg, Date.now() - waitingSince);
      }
    }
  }
}
