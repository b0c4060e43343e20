/** AntstorSnapshot: LiteIO's snapshot reconciler (checks, binding to the origin's pool, status) as one workflow per snapshot. */
import { GROUP } from '../../api/constants.js';
import type { KindModule } from '../kind.js';
import { snapshotActivities } from './activities.js';
import { KIND_SNAPSHOT, PLURAL_SNAPSHOT } from './types.js';
import { watchSnapshots } from './watch.js';

export const antstorSnapshot: KindModule = {
  kind: KIND_SNAPSHOT,
  plural: PLURAL_SNAPSHOT,
  cacheKey: 'snapshot',
  folder: 'antstor-snapshot',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_SNAPSHOT], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_SNAPSHOT}/status`], verbs: ['get', 'patch', 'update'] },
  ],
  // Placement does not wait for snapshots: a cluster without this CRD still runs (the informer retries, logged).
  requiredForReady: false,
  activities: snapshotActivities,
  watch: watchSnapshots,
};

export default antstorSnapshot;
