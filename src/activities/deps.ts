/** What activities close over. Tests inject real clients against the test servers. */
import type { Client } from '@temporalio/client';
import type { ControllerConfig } from '../config/controller-config.js';
import type { ClusterCache } from '../kube/cluster-cache.js';
import type { KubeClients } from '../kube/client.js';
import type { PlacementRow } from '../plugins/metasync/writer.js';
import type { KubeResources } from '../kube/resources.js';
import type { Logger } from '../logger.js';
import type { ResolvedChain } from '../scheduler/chain.js';
import type { AssumedPlacements } from '../scheduler/assumed.js';
import type { Timings } from '../workflows/messages.js';
import type { OwnWrites } from '../watcher/own-writes.js';
import type { SignalCoalescer } from './signal-coalescer.js';
import type { ReserveReplyMsg } from '../workflows/messages.js';

export interface ActivityDeps {
  kube: KubeResources;
  /** The raw clients (Leases, Nodes), for the pool lifecycle and plugins. */
  clients: KubeClients;
  cache: ClusterCache;
  temporal: Client;
  /**
   * A client on the worker's own NativeConnection, for eager workflow starts: the server hands the new run's first
   * workflow task back in the start's response, to this worker, instead of queueing it for a poll (absent: plain
   * starts).
   */
  eagerTemporal?: Client;
  taskQueue: string;
  /** Where new pool workflows start (poolTaskQueueFor(taskQueue) unless pools share the volumes' queue). */
  poolTaskQueue?: string;
  config: ControllerConfig;
  chain: ResolvedChain;
  /** Requests sent but not yet bound, counted by the filters (scheduler/assumed.ts); absent: none counted. */
  assumed?: AssumedPlacements;
  /** Our own writes to volumes, whose watch events need not wake their workflows (watcher/own-writes.ts). */
  ownWrites?: OwnWrites;
  timings: Timings;
  log: Logger;
  /** Set when MetaSync is on: placement rows go to its workflow. */
  metasync?: { cluster: string; placement(row: PlacementRow): Promise<void> };
  /** v0.15.0: pools' answers to the placer, coalesced into one signal in flight per placer (absent: one signal each). */
  placerReplies?: SignalCoalescer<ReserveReplyMsg>;
  /** Names of the reconciler plugins per kind, in chain order. */
  pluginNames?: { StoragePool: string[]; AntstorVolume: string[] };
}
