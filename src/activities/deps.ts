/** What activities close over. Tests inject real clients against the test servers. */
import type { Client } from '@temporalio/client';
import type { ControllerConfig } from '../config/controller-config.js';
import type { ClusterCache } from '../kube/cluster-cache.js';
import type { KubeResources } from '../kube/resources.js';
import type { Logger } from '../logger.js';
import type { ResolvedChain } from '../scheduler/chain.js';
import type { Timings } from '../workflows/messages.js';

export interface ActivityDeps {
  kube: KubeResources;
  cache: ClusterCache;
  temporal: Client;
  taskQueue: string;
  config: ControllerConfig;
  chain: ResolvedChain;
  timings: Timings;
  log: Logger;
}
