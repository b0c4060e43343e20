/** createActivities(deps): every activity the workflows call, as thin adapters over kube/scheduler/ledger. */
import type { ActivityDeps } from './deps.js';
import { ledgerActivities } from './ledger.js';
import { poolActivities } from './pool.js';
import { scheduleActivities } from './schedule.js';
import { volumeActivities } from './volume.js';
import { poolLifecycleActivities } from './pool-lifecycle.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(d: ActivityDeps) {
  return {
    ...scheduleActivities(d),
    ...ledgerActivities(d),
    ...volumeActivities(d),
    ...poolActivities(d),
    ...poolLifecycleActivities(d, d.clients),
  };
}
