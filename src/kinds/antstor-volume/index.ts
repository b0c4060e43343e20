/**
 * AntstorVolume: one workflow per volume runs the filter pass, asks the pool's ledger, binds and releases; new
 * volumes are admitted in batches by the namespace's placer workflow (v0.8.0), which starts their workflows bound.
 */
import { GROUP, KIND_VOLUME, PLURAL_VOLUME } from '../../api/constants.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { KindModule } from '../kind.js';
import type { AntstorVolume } from '../../api/types.js';
import { volumeRow } from '../../plugins/metasync/rows.js';
import { volumeActivities } from './activities.js';
import { placerActivities } from './placer-activities.js';
import { releaserActivities } from './releaser-activities.js';
import { scheduleActivities } from './schedule-activities.js';
import { watchVolumes } from './watch.js';

export function antstorVolumeActivities(d: ActivityDeps) {
  return { ...scheduleActivities(d), ...volumeActivities(d), ...placerActivities(d), ...releaserActivities(d) };
}

export const antstorVolume: KindModule = {
  kind: KIND_VOLUME,
  plural: PLURAL_VOLUME,
  cacheKey: 'volume',
  folder: 'antstor-volume',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_VOLUME], verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_VOLUME}/status`], verbs: ['get', 'patch', 'update'] },
  ],
  requiredForReady: true,
  metaSync: { table: 'antstor_volume', row: (o) => volumeRow(o as AntstorVolume), deletedStatus: 'deleted', goneStatus: 'deleted' },
  activities: antstorVolumeActivities,
  watch: watchVolumes,
};

export default antstorVolume;
