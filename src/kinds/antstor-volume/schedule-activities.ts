/** The filter-and-score pass: LiteIO's filter chain and priorities over the cluster cache. */
import { ApplicationFailure } from '@temporalio/activity';
import { schedule, type PlacementDecision } from '../../scheduler/chain.js';
import { poolNodesNow } from '../../activities/pool-view.js';
import type { VolumeRef } from '../../workflows/messages.js';
import type { ActivityDeps } from '../../activities/deps.js';

export function scheduleActivities(d: ActivityDeps) {
  return {
    /**
     * Filters and scores every pool in the cache for one volume. The volume is read live (the cache may not
     * have it yet on this worker); pools and bound volumes come from the cache, and the ledger re-checks.
     */
    async scheduleFilterAndScore({ ref, refused = {} }: { ref: VolumeRef; refused?: Record<string, string> }): Promise<PlacementDecision> {
      const vol = await d.kube.getVolume(ref.namespace, ref.name);
      if (!vol || vol.metadata.uid !== ref.uid)
        throw ApplicationFailure.nonRetryable(`AntstorVolume ${ref.namespace}/${ref.name} (uid ${ref.uid}) is gone`, 'VolumeGone');
      // Volumes asked of a pool but not yet bound count there (see AssumedPlacements: no herd on a slow pool). This
      // volume is being placed again, so whatever it was assumed to hold is void (its last request was answered, or
      // given up on and released); keeping it would count it twice and could keep pools looking full forever.
      d.assumed?.forget(ref.uid);
      // From the cache's index: a scan of every volume here made each placement cost grow with the cluster.
      const nodes = poolNodesNow(d, { exclude: new Set([ref.uid]) });
      return schedule(d.config.scheduler, d.chain, nodes, vol, { refused });
    },
  };
}
