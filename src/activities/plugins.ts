/**
 * One activity per plugin method: `plugin.<Name>.reconcile` and `plugin.<Name>.handleDeletion`, dispatching on
 * the object's kind. The object is read fresh for every call; an error (returned or thrown) fails the activity,
 * so Temporal retries it and the history records every attempt.
 */
import { activityInfo, ApplicationFailure, cancellationSignal } from '@temporalio/activity';
import type { AntstorVolume, StoragePool } from '../api/types.js';
import { KIND_POOL, KIND_VOLUME } from '../api/constants.js';
import type { PluginSet } from '../plugins/registry.js';
import type { ClusterStateView, ObjectKind, Plugin, PluginContext } from '../plugins/types.js';
import type { KubeClients } from '../kube/client.js';
import { recordPluginFailure } from '../metrics/registry.js';
import type { ActivityDeps } from './deps.js';

export interface PluginCallInput {
  kind: ObjectKind;
  namespace: string;
  name: string;
  uid: string;
}

export interface PluginCallResult {
  requeueAfterMs?: number;
  break?: boolean;
  /** The object is gone (or replaced): nothing was called. */
  gone?: boolean;
}

export function stateView(d: ActivityDeps): ClusterStateView {
  return {
    listPools: () => d.cache.listPools(),
    listVolumes: () => d.cache.listVolumes(),
    getPool: (n) => d.cache.getPool(n),
    getVolume: (n) => d.cache.getVolume(n),
  };
}

export function pluginActivities(d: ActivityDeps, plugins: PluginSet, kube: KubeClients) {
  const acts: Record<string, (i: PluginCallInput) => Promise<PluginCallResult>> = {};
  const state = stateView(d);
  const names = new Set([...plugins.StoragePool, ...plugins.AntstorVolume].map((p) => p.name));

  const context = async (p: Plugin, i: PluginCallInput): Promise<PluginContext | undefined> => {
    const obj: StoragePool | AntstorVolume | undefined =
      i.kind === 'StoragePool' ? await d.kube.getPool(i.namespace, i.name) : await d.kube.getVolume(i.namespace, i.name);
    if (!obj || obj.metadata.uid !== i.uid) return undefined;
    return {
      kube,
      object: obj,
      request: { kind: i.kind, namespace: i.namespace, name: i.name },
      state,
      log: d.log.child({ plugin: p.name, object: `${i.namespace}/${i.name}` }),
      signal: cancellationSignal(),
      config: d.config.pluginConfigs[p.name],
      attempt: activityInfo().attempt,
    };
  };
  const find = (name: string, i: PluginCallInput): Plugin => {
    const p = plugins[i.kind].find((x) => x.name === name);
    if (!p) throw ApplicationFailure.nonRetryable(`plugin ${name} is not registered for ${i.kind} on this worker`, 'PluginMissing');
    return p;
  };
  const fail = (name: string, method: string, i: PluginCallInput, err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    recordPluginFailure(name);
    return ApplicationFailure.retryable(`plugin ${name}.${method} on ${i.kind} ${i.namespace}/${i.name}: ${msg}`, 'PluginError');
  };

  for (const name of names) {
    acts[`plugin.${name}.reconcile`] = async (i) => {
      const p = find(name, i);
      const ctx = await context(p, i);
      if (!ctx) return { gone: true };
      let res;
      try {
        res = (await p.reconcile(ctx)) ?? {};
      } catch (e) {
        throw fail(name, 'reconcile', i, e);
      }
      if (res.error) throw fail(name, 'reconcile', i, res.error);
      return { ...(res.break ? { break: true } : {}), ...(res.requeueAfterMs ? { requeueAfterMs: res.requeueAfterMs } : {}) };
    };
    acts[`plugin.${name}.handleDeletion`] = async (i) => {
      const p = find(name, i);
      const ctx = await context(p, i);
      if (!ctx) return { gone: true };
      try {
        await p.handleDeletion(ctx);
      } catch (e) {
        throw fail(name, 'handleDeletion', i, e);
      }
      return {};
    };
  }

  /** Records a hook that failed past its retries: a Warning Event on the object. */
  acts['pluginRecordFailure'] = async (i: PluginCallInput & { plugin?: string; message?: string }) => {
    const obj = i.kind === 'StoragePool' ? await d.kube.getPool(i.namespace, i.name) : await d.kube.getVolume(i.namespace, i.name);
    if (!obj) return {};
    const err = await d.kube.recordEvent(obj, i.kind === 'StoragePool' ? KIND_POOL : KIND_VOLUME, 'Warning', 'PluginDeletionFailed', `${i.plugin}: ${i.message}`);
    if (err) d.log.warn('event not recorded', { error: err.message });
    return {};
  };
  return acts;
}

export const pluginNames = (plugins: PluginSet, kind: ObjectKind): string[] => plugins[kind].map((p) => p.name);
