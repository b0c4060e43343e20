/** One pass of the migration phase machine: read fresh, decide (rules.ts), do one step; and the long-wait report. */
import { randomUUID } from 'node:crypto';
import type { ActivityDeps } from '../../activities/deps.js';
import { recordEvent } from '../../activities/events.js';
import { KIND_VOLUME, PLURAL_VOLUME } from '../../api/constants.js';
import type { VolumeRef } from '../../workflows/messages.js';
import type { StepPassResult } from '../../workflows/step-loop.js';
import { decideMigrationStep, type MigrationStep } from './rules.js';
import { KIND_MIGRATION, MigrationEventReasons, PLURAL_MIGRATION, type VolumeMigration } from './types.js';

export interface MigrationPassResult extends StepPassResult {
  step?: MigrationStep;
}

export function migrationActivities(d: ActivityDeps) {
  const get = (ref: VolumeRef) => d.kube.get<VolumeMigration>(PLURAL_MIGRATION, KIND_MIGRATION, ref.namespace, ref.name);
  const patch = (m: VolumeMigration, body: Record<string, unknown>, status = false) => d.kube.patchAsRead(PLURAL_MIGRATION, KIND_MIGRATION, m, body, status);
  const event = (m: VolumeMigration, type: 'Normal' | 'Warning', reason: string, message: string) => recordEvent(d, m, KIND_MIGRATION, type, reason, message);

  return {
    async migrationReconcile(i: { ref: VolumeRef; announced?: string }): Promise<MigrationPassResult> {
      const m = await get(i.ref);
      if (!m || m.metadata.uid !== i.ref.uid) return { gone: true };
      const sv = m.spec.sourceVolume;
      const dv = m.spec.destVolume;
      const [source, dest] = await Promise.all([
        sv?.name ? d.kube.getVolume(sv.namespace || m.metadata.namespace!, sv.name) : undefined,
        dv?.name ? d.kube.getVolume(dv.namespace || m.metadata.namespace!, dv.name) : undefined,
      ]);
      const step = decideMigrationStep({ migration: m, source, dest });
      switch (step.kind) {
        case 'idle':
          return { step };
        case 'wait':
          if (m.status?.message !== step.message) await patch(m, { status: { message: step.message } }, true);
          return { step };
        case 'fail':
          await patch(m, { status: { status: 'Error', message: step.message } }, true);
          await event(m, 'Warning', MigrationEventReasons.Failed, step.message);
          break;
        case 'setStatus':
          await patch(m, { status: { ...step.status, message: '' } }, true);
          await event(m, 'Normal', MigrationEventReasons.Phase, step.from ? `${step.from} → ${step.status.phase}` : `${step.status.phase}`);
          break;
        case 'fillSource':
          await patch(m, { spec: { sourceVolume: step.sourceVolume } });
          break;
        case 'addLabels':
          await patch(m, { metadata: { labels: step.labels } });
          break;
        case 'nameDest':
          // A new name only if none is recorded: the patch carries the resourceVersion read, so a retry after a
          // write that landed conflicts, reads again and finds the name.
          await patch(m, { spec: { destVolume: { namespace: step.namespace, name: `mig-${randomUUID()}`, hostNodeId: step.hostNodeId } } });
          break;
        case 'createDest': {
          const r = await d.kube.create(PLURAL_VOLUME, KIND_VOLUME, step.volume);
          if (r.created) await event(m, 'Normal', MigrationEventReasons.DestCreated, `destination volume ${step.volume.metadata.namespace}/${step.volume.metadata.name} created; the scheduler places it off ${sv.targetNodeId}`);
          break;
        }
        case 'fillDest':
          await patch(m, { spec: { destVolume: step.destVolume } });
          break;
      }
      return { step, acted: true };
    },

    async migrationReportLongWait(i: { ref: VolumeRef; message: string; waitedMs: number }): Promise<void> {
      const m = await get(i.ref);
      if (!m || m.metadata.uid !== i.ref.uid) return;
      const text = `phase ${m.status?.phase ?? '(none)'}: still waiting after ${Math.round(i.waitedMs / 60_000)} min: ${i.message}`;
      d.log.warn('migration waiting long', { migration: `${i.ref.namespace}/${i.ref.name}`, message: text });
      await event(m, 'Warning', MigrationEventReasons.WaitTimeout, text);
    },
  };
}
