/** AntstorDataControl: LiteIO's data control as one workflow per object, woken by its volume groups' readiness. */
import { GROUP, PLURAL_VOLUME } from '../../api/constants.js';
import type { KindModule } from '../kind.js';
import { dataControlActivities } from './activities.js';
import { KIND_DATA_CONTROL, PLURAL_DATA_CONTROL, type AntstorDataControl } from './types.js';
import { dataControlRow } from '../../plugins/metasync/rows.js';
import { watchDataControls } from './watch.js';

const antstorDataControl: KindModule = {
  kind: KIND_DATA_CONTROL,
  plural: PLURAL_DATA_CONTROL,
  cacheKey: 'datacontrol',
  folder: 'antstor-data-control',
  rbac: [
    { apiGroups: [GROUP], resources: [PLURAL_DATA_CONTROL], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: [`${PLURAL_DATA_CONTROL}/status`], verbs: ['get', 'patch', 'update'] },
    // The members' host and CSI publish parameters.
    { apiGroups: [GROUP], resources: [`${PLURAL_VOLUME}/status`], verbs: ['patch'] },
  ],
  requiredForReady: false,
  metaSync: { table: 'antstor_datacontrol', row: (o) => dataControlRow(o as AntstorDataControl), deletedStatus: 'deleted', goneStatus: 'deleted' },
  activities: dataControlActivities,
  watch: watchDataControls,
};

export default antstorDataControl;
