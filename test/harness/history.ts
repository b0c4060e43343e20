/** Reading recorded histories in tests: which activities ran, as activity tasks or as local-activity markers. */
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Activity type names in order: scheduled activity tasks and local activities (recorded as markers). */
export function activityTypes(history: History): string[] {
  const out: string[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) out.push(scheduled);
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === 'core_local_activity') {
      const data = m.details?.['data']?.payloads?.[0]?.data;
      if (data) out.push((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type);
    }
  }
  return out;
}

/** The first argument a workflow run was started with (its WorkflowExecutionStarted event), decoded. */
export function startInput<T = unknown>(history: History): T | undefined {
  const p = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return p?.data ? (JSON.parse(Buffer.from(p.data).toString('utf8')) as T) : undefined;
}
