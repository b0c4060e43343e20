/**
 * LiteIO's PlugableReconciler semantics over activities: Reconcile runs each plugin in order until one breaks
 * or errors (that one's requeue-after is honoured; the main handler does not run); on deletion every plugin's
 * HandleDeletion runs, each retried durably, and a hook that outlives its retries is recorded and skipped.
 */
import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { PluginCallInput, PluginCallResult } from '../activities/plugins.js';
import type { Timings } from './messages.js';

type PluginActs = Record<string, (i: PluginCallInput) => Promise<PluginCallResult>>;

export interface ChainOutcome {
  /** A plugin broke the chain or failed: skip the main handler. */
  stopped: boolean;
  by?: string;
  requeueAfterMs?: number;
  error?: string;
  gone?: boolean;
}

function failureMessage(e: unknown): string {
  if (e instanceof ActivityFailure && e.cause instanceof ApplicationFailure) return e.cause.message;
  if (e instanceof ActivityFailure && e.cause) return e.cause.message;
  return (e as Error)?.message ?? String(e);
}

export async function runReconcileChain(names: string[], input: PluginCallInput, t: Timings): Promise<ChainOutcome> {
  for (const name of names) {
    const acts = proxyActivities<PluginActs>({
      startToCloseTimeout: '2m',
      retry: { initialInterval: t.pluginRetryInitialMs ?? 1000, maximumInterval: '30s', maximumAttempts: t.pluginMaxAttempts ?? 5 },
      summary: `${name}.reconcile ${input.namespace}/${input.name}`,
    });
    let res: PluginCallResult;
    try {
      res = await acts[`plugin.${name}.reconcile`]!(input);
    } catch (e) {
      // LiteIO: an error stops the chain and the request is retried with backoff.
      return { stopped: true, by: name, error: failureMessage(e), requeueAfterMs: t.pluginErrorBackoffMs ?? 30_000 };
    }
    if (res.gone) return { stopped: true, by: name, gone: true };
    if (res.break) return { stopped: true, by: name, ...(res.requeueAfterMs ? { requeueAfterMs: res.requeueAfterMs } : {}) };
    // A non-breaking plugin's requeue-after is discarded, as in LiteIO.
  }
  return { stopped: false };
}

export interface DeletionOutcome {
  failed: { plugin: string; error: string }[];
}

export async function runDeletionHooks(names: string[], input: PluginCallInput, t: Timings): Promise<DeletionOutcome> {
  const failed: DeletionOutcome['failed'] = [];
  for (const name of names) {
    const acts = proxyActivities<PluginActs>({
      startToCloseTimeout: '2m',
      retry: { initialInterval: t.pluginRetryInitialMs ?? 1000, maximumInterval: '1m', maximumAttempts: t.deletionHookMaxAttempts ?? 10 },
      summary: `${name}.handleDeletion ${input.namespace}/${input.name}`,
    });
    try {
      const r = await acts[`plugin.${name}.handleDeletion`]!(input);
      if (r.gone) break;
    } catch (e) {
      const error = failureMessage(e);
      failed.push({ plugin: name, error });
      log.warn('deletion hook failed after its retries; deletion goes on', { plugin: name, error });
      const rec = proxyActivities<Record<string, (i: unknown) => Promise<unknown>>>({ startToCloseTimeout: '30s' });
      await rec['pluginRecordFailure']!({ ...input, plugin: name, message: error });
    }
  }
  return { failed };
}
