/** Recording an Event from an activity: best effort, a failure is logged and never fails the step that wrote. */
import type { KubeObject } from '../api/types.js';
import type { ActivityDeps } from './deps.js';

export async function recordEvent(d: ActivityDeps, obj: KubeObject, kind: string, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const err = await d.kube.recordEvent(obj, kind, type, reason, message);
  if (err) d.log.warn('event not recorded', { error: err.message });
}
