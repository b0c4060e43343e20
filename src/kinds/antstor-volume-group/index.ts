/** AntstorVolumeGroup: LiteIO's volume group as one workflow per group, its members' capacity held before they exist. */
import { GROUP, PLURAL_VOLUME } from '../../api/constants.js';
import type { KindModule } from '../kind.js';
import { volumeGroupActivities } from './activities.js';
import { KIND_GROUP, PLURAL_GROUP, type AntstorVolumeGroup } from './types.js';
import { volumeGroupRow } from '../../plugins/metasync/rows.js';
import { watchVolumeGroups } from './watch.js';

const antstorVolumeGroup: KindModule = {
  kind: KIND_GROUP,
  plural: PLURAL_GROUP,
  cacheKey: 'volumegroup',
  folder: 'antstor-volume-group',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_GROUP], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_GROUP}/status`], verbs: ['get', 'patch', 'update'] },
    // Members are created by the group, and deleted with it.
    { apiGroups: [GROUP], resources: [PLURAL_VOLUME], verbs: ['create', 'delete'] },
  ],
  requiredForReady: false,
  metaSync: { table: 'antstor_volgroup', row: (o) => volumeGroupRow(o as AntstorVolumeGroup), deletedStatus: 'deleted', goneStatus: 'deleted' },
  activities: volumeGroupActivities,
  watch: watchVolumeGroups,
};

export default antstorVolumeGroup;
