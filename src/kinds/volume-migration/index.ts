/** VolumeMigration: LiteIO's migration phase machine as one workflow per migration, woken by watch events. */
import { GROUP, PLURAL_VOLUME } from '../../api/constants.js';
import type { KindModule } from '../kind.js';
import { migrationActivities } from './activities.js';
import { KIND_MIGRATION, PLURAL_MIGRATION } from './types.js';
import { watchMigrations } from './watch.js';

export const volumeMigration: KindModule = {
  kind: KIND_MIGRATION,
  plural: PLURAL_MIGRATION,
  cacheKey: 'migration',
  folder: 'volume-migration',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_MIGRATION], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_MIGRATION}/status`], verbs: ['get', 'patch', 'update'] },
    // The destination volume is created by the migration.
    { apiGroups: [GROUP], resources: [PLURAL_VOLUME], verbs: ['create'] },
  ],
  requiredForReady: false,
  activities: migrationActivities,
  watch: watchMigrations,
};

export default volumeMigration;
