/** One pass of the data-control reconciler: read fresh, decide (rules.ts), do one step. */
import type { ActivityDeps } from '../../activities/deps.js';
import { recordEvent } from '../../activities/events.js';
import { KIND_VOLUME, PLURAL_VOLUME } from '../../api/constants.js';
import type { AntstorVolume } from '../../api/types.js';
import type { VolumeRef } from '../../workflows/messages.js';
import type { StepPassResult } from '../../workflows/step-loop.js';
import { KIND_GROUP, PLURAL_GROUP, type AntstorVolumeGroup } from '../antstor-volume-group/types.js';
import { decideDataControlStep, type DataControlStep } from './rules.js';
import { DataControlEventReasons, KIND_DATA_CONTROL, PLURAL_DATA_CONTROL, type AntstorDataControl } from './types.js';

export interface DataControlPassResult extends StepPassResult {
  step?: DataControlStep & { message?: string };
}

export function dataControlActivities(d: ActivityDeps) {
  const event = (o: AntstorDataControl, type: 'Normal' | 'Warning', reason: string, message: string) => recordEvent(d, o, KIND_DATA_CONTROL, type, reason, message);

  return {
    async dataControlReconcile(i: { ref: VolumeRef; announced?: string }): Promise<DataControlPassResult> {
      const dc = await d.kube.get<AntstorDataControl>(PLURAL_DATA_CONTROL, KIND_DATA_CONTROL, i.ref.namespace, i.ref.name);
      if (!dc || dc.metadata.uid !== i.ref.uid) return { gone: true };
      const groups = new Map<string, AntstorVolumeGroup | undefined>();
      const members = new Map<string, AntstorVolume | undefined>();
      for (const r of dc.spec.volumeGroups ?? []) {
        const g = await d.kube.get<AntstorVolumeGroup>(PLURAL_GROUP, KIND_GROUP, r.namespace || dc.metadata.namespace!, r.name);
        groups.set(`${r.namespace}/${r.name}`, g);
        for (const m of g?.spec.volumes ?? []) {
          const ref = { namespace: m.volId.namespace || r.namespace, name: m.volId.name };
          members.set(`${ref.namespace}/${ref.name}`, await d.kube.getVolume(ref.namespace, ref.name));
        }
      }
      const step = decideDataControlStep({ dc, groups, members });
      switch (step.kind) {
        case 'idle':
          return { step };
        case 'invalid':
        case 'wait':
          if (step.message !== i.announced) {
            if (dc.status?.message !== step.message) await d.kube.patchAsRead(PLURAL_DATA_CONTROL, KIND_DATA_CONTROL, dc, { status: { message: step.message } }, true);
            if (step.kind === 'invalid') await event(dc, 'Warning', DataControlEventReasons.Invalid, step.message);
          }
          return { step };
        case 'setMemberHost': {
          const v = members.get(`${step.member.namespace}/${step.member.name}`)!;
          await d.kube.patchAsRead(PLURAL_VOLUME, KIND_VOLUME, v, { spec: { hostNode: dc.spec.hostNode } });
          await event(dc, 'Normal', DataControlEventReasons.Step, `member ${step.member.name} now has host ${dc.spec.hostNode.id}`);
          break;
        }
        case 'bind':
          await d.kube.patchAsRead(PLURAL_DATA_CONTROL, KIND_DATA_CONTROL, dc, { spec: { targetNodeId: step.targetNodeId }, metadata: { labels: step.labels } });
          if (dc.status?.message) await d.kube.patch(PLURAL_DATA_CONTROL, KIND_DATA_CONTROL, dc.metadata.namespace!, dc.metadata.name!, { status: { message: '' } }, true);
          await event(dc, 'Normal', DataControlEventReasons.Step, `scheduled on its host ${step.targetNodeId}`);
          break;
        case 'copyPubParams': {
          const v = members.get(`${step.member.namespace}/${step.member.name}`)!;
          await d.kube.patchAsRead(PLURAL_VOLUME, KIND_VOLUME, v, { status: { csiNodePubParams: dc.status!.csiNodePubParams } }, true);
          await event(dc, 'Normal', DataControlEventReasons.Step, `CSI publish parameters copied to member ${step.member.name}`);
          break;
        }
      }
      return { step, acted: true };
    },
  };
}
