/** LiteIO's built-in priorities (scheduler/priority/*.go). */
import { poolTotalBytes, poolVgFreeBytes, volumeHostNodeId } from '../api/objects.js';
import type { PriorityFunc } from './filter-types.js';
import { nodeId } from './pool-node.js';

/** Fuller pools score higher (bin-packing), from the agent-reported vgFreeSize: 0..100. */
export const leastResourcePriority: PriorityFunc = (_ctx, n) => {
  const total = poolTotalBytes(n.pool);
  if (total <= 0) return 0;
  const free = poolVgFreeBytes(n.pool);
  return Math.max(0, Math.trunc(((total - free) / total) * 100));
};

/** +20 when the pool matches PreferLocal / PreferRemote. */
export const positionAdvicePriority: PriorityFunc = (_ctx, n, vol) => {
  const local = nodeId(n) === volumeHostNodeId(vol) && volumeHostNodeId(vol) !== '';
  if (vol.spec.positionAdvice === 'PreferLocal' && local) return 20;
  if (vol.spec.positionAdvice === 'PreferRemote' && !local) return 20;
  return 0;
};
