/** The package's public API: registration, types, config loading and the operator runner. */
export { registerFilter, registerPriority, filterNames, priorityNames } from './scheduler/registry.js';
export type { FilterContext, PredicateFunc, PriorityContext, PriorityFunc } from './scheduler/filter-types.js';
export type { PoolNode, Reservation } from './scheduler/pool-node.js';
export { freeBytes, remoteVolumesCount, allocatedRemoteBytes, nodeId } from './scheduler/pool-node.js';
export { schedule, resolveChain, formatNoPoolMessage, type PlacementDecision } from './scheduler/chain.js';
export { parseLabelSelector, matchSelector, SelectorParseError } from './scheduler/label-selector.js';
export * from './api/types.js';
export * from './api/constants.js';
export * from './api/objects.js';
export { loadControllerConfig, parseControllerConfigYaml, type ControllerConfig } from './config/controller-config.js';
export { runOperator, type OperatorOptions, type RunningOperator } from './operator.js';
export { createLogger, type Logger } from './logger.js';
export { runOperatorMain } from './cli/operator-command.js';
export {
  registerPlugins,
  registerPluginsInPoolReconciler,
  registerPluginsInVolumeReconciler,
} from './plugins/registry.js';
export type { Plugin, PluginContext, PluginFactory, PluginHandle, ReconcileResult, ClusterStateView, ObjectKind } from './plugins/types.js';
export type { KubeClients } from './kube/client.js';
