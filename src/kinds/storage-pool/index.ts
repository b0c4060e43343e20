/** StoragePool: one workflow per pool holds its ledger (the no-over-commit invariant) and runs its lifecycle. */
import { GROUP, KIND_POOL, PLURAL_POOL } from '../../api/constants.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { KindModule } from '../kind.js';
import type { StoragePool } from '../../api/types.js';
import { poolRow } from '../../plugins/metasync/rows.js';
import { poolActivities } from './activities.js';
import { ledgerActivities } from './ledger-activities.js';
import { poolLifecycleActivities } from './lifecycle-activities.js';
import { watchPools } from './watch.js';

export function storagePoolActivities(d: ActivityDeps) {
  return { ...poolActivities(d), ...ledgerActivities(d), ...poolLifecycleActivities(d, d.clients) };
}

export const storagePool: KindModule = {
  kind: KIND_POOL,
  plural: PLURAL_POOL,
  cacheKey: 'pool',
  folder: 'storage-pool',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_POOL], verbs: ['get', 'list', 'watch', 'patch', 'update', 'delete'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_POOL}/status`], verbs: ['get', 'patch', 'update'] },
  ],
  requiredForReady: true,
  metaSync: { table: 'storage_pool', row: (o) => poolRow(o as StoragePool), goneStatus: 'offline' },
  activities: storagePoolActivities,
  watch: watchPools,
};

export default storagePool;
