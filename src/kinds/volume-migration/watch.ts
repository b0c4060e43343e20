/** VolumeMigration events into the migration's workflow; its source and destination volumes' events into a wake. */
import type { AntstorVolume } from '../../api/types.js';
import type { WatchContext } from '../kind.js';
import { migrationEventSignal, migrationWakeSignal, migrationWorkflowId, type MigrationWorkflowInput } from './messages.js';
import type { VolumeMigration } from './types.js';

export function watchMigrations(ctx: WatchContext): void {
  const refOf = (m: VolumeMigration) => ({ namespace: ctx.namespace, name: m.metadata.name!, uid: m.metadata.uid! });

  ctx.on<VolumeMigration>('migration', (e) => {
    const ref = refOf(e.obj);
    const input: MigrationWorkflowInput = { ref, ...(ctx.opts.timings.migrationWaitWarnMs ? { waitWarnMs: ctx.opts.timings.migrationWaitWarnMs } : {}) };
    ctx.startOrSignal({
      key: `migration/${ref.name}/${ref.uid}`,
      workflowType: 'migrationWorkflow',
      workflowId: migrationWorkflowId(ref),
      input,
      signal: migrationEventSignal,
      arg: { resourceVersion: e.obj.metadata.resourceVersion ?? '', ...(e.type === 'delete' ? { deleted: true } : {}) },
      deleted: e.type === 'delete',
      summary: `VolumeMigration ${ref.namespace}/${ref.name}: LiteIO's migration phases`,
    });
  });

  // The source becoming ready, the destination placed or ready: the phase that waits on it goes on.
  ctx.on<AntstorVolume>('volume', (e) => {
    const v = e.obj;
    const old = e.old as AntstorVolume | undefined;
    if (e.type === 'update' && old?.status?.status === v.status?.status && old?.spec?.targetNodeId === v.spec?.targetNodeId && old?.spec?.spdkTarget?.address === v.spec?.spdkTarget?.address) return;
    const name = v.metadata.name;
    for (const m of ctx.cache.list<VolumeMigration>('migration')) {
      if (m.status?.phase === 'Finished' || m.status?.status === 'Error') continue;
      if (m.spec?.sourceVolume?.name !== name && m.spec?.destVolume?.name !== name) continue;
      const ref = refOf(m);
      const why = `volume ${name} ${e.type === 'delete' ? 'deleted' : `is ${v.status?.status || 'new'}${v.spec?.targetNodeId ? ` on ${v.spec.targetNodeId}` : ''}`}`;
      ctx.wake(`migration-wake/${ref.name}/${ref.uid}`, migrationWorkflowId(ref), migrationWakeSignal, { why });
    }
  });
}
