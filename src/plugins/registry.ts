/**
 * Plugin registration, both spellings LiteIO users know: `registerPlugins(pool, volume)` (the docs) and
 * `registerPluginsInPoolReconciler` / `registerPluginsInVolumeReconciler` (LiteIO's current code). Built-ins run
 * first, then user plugins in registration order.
 */
import type { ControllerConfig } from '../config/controller-config.js';
import type { KubeClients } from '../kube/client.js';
import type { Logger } from '../logger.js';
import type { ObjectKind, Plugin, PluginFactory } from './types.js';

const user: Record<ObjectKind, PluginFactory[]> = { StoragePool: [], AntstorVolume: [] };

function add(kind: ObjectKind, fs: PluginFactory[] | null | undefined, fn: string): void {
  (fs ?? []).forEach((f, i) => {
    if (typeof f !== 'function') throw new Error(`${fn}: entry ${i} is not a plugin factory function`);
  });
  user[kind].push(...(fs ?? []));
}

export function registerPlugins(poolPlugins: PluginFactory[] | null, volumePlugins?: PluginFactory[] | null): void {
  add('StoragePool', poolPlugins, 'registerPlugins');
  add('AntstorVolume', volumePlugins, 'registerPlugins');
}
export const registerPluginsInPoolReconciler = (fs: PluginFactory[]) => add('StoragePool', fs, 'registerPluginsInPoolReconciler');
export const registerPluginsInVolumeReconciler = (fs: PluginFactory[]) => add('AntstorVolume', fs, 'registerPluginsInVolumeReconciler');

/** Forgets user registrations (tests). */
export function resetPluginRegistrations(): void {
  user.StoragePool = [];
  user.AntstorVolume = [];
}

export type PluginSet = Record<ObjectKind, Plugin[]>;

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Instantiates built-ins then user plugins per reconciler; any failure is a startup error naming the plugin. */
export async function instantiatePlugins(
  builtins: Record<ObjectKind, PluginFactory[]>,
  deps: { config: ControllerConfig; kube: KubeClients; log: Logger },
): Promise<PluginSet> {
  const out: PluginSet = { StoragePool: [], AntstorVolume: [] };
  for (const kind of ['StoragePool', 'AntstorVolume'] as const) {
    const factories = [...builtins[kind], ...user[kind]];
    for (const [i, f] of factories.entries()) {
      let p: Plugin;
      const label = `plugin factory #${i + 1} of the ${kind} reconciler${f.name ? ` (${f.name})` : ''}`;
      try {
        p = await f({ config: deps.config, kube: deps.kube, kind, log: deps.log.child({ kind }) });
      } catch (e) {
        throw new Error(`${label} failed: ${(e as Error)?.message ?? String(e)}`);
      }
      if (!p || typeof p.reconcile !== 'function' || typeof p.handleDeletion !== 'function')
        throw new Error(`${label} returned no plugin with reconcile() and handleDeletion()`);
      if (!NAME_RE.test(p.name ?? '')) throw new Error(`${label}: plugin name "${p.name}" is invalid (letters, digits, "_" and "-")`);
      if (out[kind].some((q) => q.name === p.name)) throw new Error(`${label}: a plugin named "${p.name}" is already registered for ${kind}`);
      out[kind].push(p);
    }
  }
  return out;
}
