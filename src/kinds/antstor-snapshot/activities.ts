/** One pass of the snapshot reconciler: read the facts fresh from the API server, decide (rules.ts), do one step. */
import type { ActivityDeps } from '../../activities/deps.js';
import { recordEvent } from '../../activities/events.js';
import type { VolumeRef } from '../../workflows/messages.js';
import { decideSnapshotStep, type SnapshotStep } from './rules.js';
import { KIND_SNAPSHOT, PLURAL_SNAPSHOT, SnapshotEventReasons, SnapshotLabels, type AntstorSnapshot } from './types.js';

export interface SnapshotPassResult {
  /** The snapshot (this uid) no longer exists: the workflow ends. */
  gone?: boolean;
  step?: SnapshotStep;
  /** The step wrote to the API server: look again. */
  acted?: boolean;
}

export function snapshotActivities(d: ActivityDeps) {
  const patch = (s: AntstorSnapshot, body: Record<string, unknown>, status = false) => d.kube.patchAsRead(PLURAL_SNAPSHOT, KIND_SNAPSHOT, s, body, status);
  const event = (s: AntstorSnapshot, type: 'Normal' | 'Warning', reason: string, message: string) => recordEvent(d, s, KIND_SNAPSHOT, type, reason, message);

  return {
    async snapshotReconcile(i: { ref: VolumeRef; announced?: string }): Promise<SnapshotPassResult> {
      const s = await d.kube.get<AntstorSnapshot>(PLURAL_SNAPSHOT, KIND_SNAPSHOT, i.ref.namespace, i.ref.name);
      if (!s || s.metadata.uid !== i.ref.uid) return { gone: true };
      const ns = s.metadata.namespace!;
      const originNs = s.spec.originVolNamespace || ns;
      const deleting = !!s.metadata.deletionTimestamp;
      const [origin, siblings, pool] = await Promise.all([
        s.spec.originVolName ? d.kube.getVolume(originNs, s.spec.originVolName) : undefined,
        // LiteIO lists by the origin-name label in the snapshot's namespace.
        deleting || !s.spec.originVolName ? [] : d.kube.list<AntstorSnapshot>(PLURAL_SNAPSHOT, KIND_SNAPSHOT, ns, `${SnapshotLabels.OriginVolumeName}=${s.spec.originVolName}`),
        deleting && s.spec.originVolTargetNodeId ? d.kube.getPool(d.cache.namespace, s.spec.originVolTargetNodeId) : undefined,
      ]);
      const step = decideSnapshotStep({ snapshot: s, origin, siblings, originPoolExists: !!pool });
      switch (step.kind) {
        case 'idle':
        case 'awaitAgent':
          return { step };
        case 'wait':
          // LiteIO repeats this Event on every requeue; once per distinct message is enough to be seen.
          if (step.message !== i.announced) await event(s, 'Warning', SnapshotEventReasons.CreateFailure, step.message);
          return { step };
        case 'addOriginLabels':
          await patch(s, { metadata: { labels: step.labels } });
          break;
        case 'roundSize':
          await patch(s, { spec: { size: step.size } });
          await event(s, 'Normal', SnapshotEventReasons.Step, `size ${s.spec.size} rounded down to ${step.size} (a multiple of 4 MiB)`);
          break;
        case 'bind':
          await patch(s, { spec: { originVolTargetNodeId: step.targetNodeId }, metadata: { labels: { [SnapshotLabels.TargetNodeId]: step.targetNodeId } } });
          await event(s, 'Normal', SnapshotEventReasons.Step, `on pool ${step.targetNodeId}, with origin volume ${originNs}/${s.spec.originVolName}`);
          break;
        case 'setStatus':
          await patch(s, { status: { status: step.status } }, true);
          await event(s, 'Normal', SnapshotEventReasons.Step, `status ${step.status}`);
          break;
        case 'clearFinalizers':
          await patch(s, { metadata: { finalizers: [] } });
          await event(s, 'Normal', SnapshotEventReasons.Step, `finalizers removed: ${step.why}`);
          break;
      }
      return { step, acted: true };
    },
  };
}
