/** The filter and priority contracts, shaped after LiteIO's PredicateFunc and PriorityFunc. */
import type { AntstorVolume } from '../api/types.js';
import type { SchedulerConfig } from './config.js';
import type { PoolNode } from './pool-node.js';

export interface FilterContext {
  readonly config: SchedulerConfig;
  /** Records why the pool is rejected (LiteIO's ctx.Error.AddReason). Call it before returning false. */
  addReason(reason: string): void;
}

/** Returns true when the pool passes. A false without addReason() is recorded under the filter's name. */
export type PredicateFunc = (ctx: FilterContext, node: PoolNode, vol: AntstorVolume) => boolean;

export interface PriorityContext {
  readonly config: SchedulerConfig;
}

/** Higher is better. LiteIO's built-ins return 0..100 (LeastResource) and 0 or 20 (PositionAdvice). */
export type PriorityFunc = (ctx: PriorityContext, node: PoolNode, vol: AntstorVolume) => number;
