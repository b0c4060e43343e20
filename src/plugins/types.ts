/**
 * The reconciler plugin API, LiteIO's Name / Reconcile / HandleDeletion in TypeScript. Every call runs as its
 * own retried Temporal activity named `plugin.<Name>.reconcile` / `plugin.<Name>.handleDeletion`.
 */
import type { AntstorVolume, StoragePool } from '../api/types.js';
import type { ControllerConfig } from '../config/controller-config.js';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../logger.js';

export type ObjectKind = 'StoragePool' | 'AntstorVolume';

/** Read-only view of the cluster state the controller holds (LiteIO's state.StateIface, for reading). */
export interface ClusterStateView {
  listPools(): readonly StoragePool[];
  listVolumes(): readonly AntstorVolume[];
  getPool(name: string): StoragePool | undefined;
  getVolume(name: string): AntstorVolume | undefined;
}

export interface PluginContext<T extends StoragePool | AntstorVolume = StoragePool | AntstorVolume> {
  /** Kubernetes clients (CustomObjectsApi, CoreV1Api, CoordinationV1Api, the KubeConfig). */
  kube: KubeClients;
  /** The object, read fresh from the API server for this call. */
  object: T;
  /** What is being reconciled (LiteIO's ctrl.Request plus the kind). */
  request: { kind: ObjectKind; namespace: string; name: string };
  state: ClusterStateView;
  log: Logger;
  /** Aborted when Temporal cancels the call or the worker shuts down. */
  signal: AbortSignal;
  /** This plugin's entry of `pluginConfigs` (by plugin name), or undefined. */
  config: unknown;
  /** 1 on the first try of this call, then 2, 3 … on Temporal's retries. */
  attempt: number;
}

/** LiteIO's plugin.Result: an error or `break` stops the chain and the main handler. */
export interface ReconcileResult {
  /** Ask to be reconciled again after this many ms (honoured when the plugin breaks the chain). */
  requeueAfterMs?: number;
  /** Stop the chain (LiteIO's Break). */
  break?: boolean;
  /** Stop the chain with an error; the call is retried (LiteIO's Error). Throwing does the same. */
  error?: Error | string;
}

export interface Plugin {
  readonly name: string;
  reconcile(ctx: PluginContext): Promise<ReconcileResult | void> | ReconcileResult | void;
  handleDeletion(ctx: PluginContext): Promise<void> | void;
}

/** What a factory receives (LiteIO's PluginHandle). */
export interface PluginHandle {
  config: ControllerConfig;
  kube: KubeClients;
  /** Which reconciler the plugin is being made for. */
  kind: ObjectKind;
  log: Logger;
}

/** A factory may throw (or reject) to fail startup with a clear error. */
export type PluginFactory = (handle: PluginHandle) => Plugin | Promise<Plugin>;
