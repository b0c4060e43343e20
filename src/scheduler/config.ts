/** The `scheduler` section of LiteIO's controller config (pkg/controller/manager/config), with defaults. */
import type { NodeSelectorRequirement, Toleration } from '../api/types.js';

export interface PriorityRef {
  name: string;
  /** Multiplier for this priority's score (ours; LiteIO sums unweighted, which weight 1 reproduces). */
  weight: number;
}

export interface NodeReservationConfig {
  id: string;
  size: number;
}

export interface SchedulerConfig {
  maxRemoteVolumeCount: number;
  remoteIgnoreAnnoSelector: Record<string, string>;
  filters: string[];
  priorities: PriorityRef[];
  lockSchedConfig: { nodeSelector: NodeSelectorRequirement[]; nodeTaints: Toleration[] };
  nodeCacheSelector: Record<string, string>;
  minLocalStoragePct: number;
  nodeReservations: NodeReservationConfig[];
}

export const DEFAULT_FILTERS = ['Basic', 'Affinity'];
export const DEFAULT_PRIORITIES = ['LeastResource', 'PositionAdvice'];

export function defaultSchedulerConfig(): SchedulerConfig {
  return {
    maxRemoteVolumeCount: 3,
    remoteIgnoreAnnoSelector: {},
    filters: [...DEFAULT_FILTERS],
    priorities: DEFAULT_PRIORITIES.map((name) => ({ name, weight: 1 })),
    lockSchedConfig: { nodeSelector: [], nodeTaints: [] },
    nodeCacheSelector: {},
    minLocalStoragePct: 0,
    nodeReservations: [],
  };
}
