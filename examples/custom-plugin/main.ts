/**
 * A custom Disk-Controller: its own main imports the package, registers a reconciler plugin and a custom filter,
 * and runs the operator. Run it like the stock operator:
 *
 *   node dist/examples/custom-plugin/main.js --config examples/custom-plugin/config.yaml [operator flags…]
 *
 * The plugin stamps every pool and volume with the annotation `example.com/reconciled-by` (so you can see it ran),
 * and on deletion records what it cleaned up in its own log. The filter `SameRack` keeps a volume that asks for a
 * rack (annotation `example.com/rack`) on pools whose node carries the label `example.com/rack` with that value.
 */
import { fileURLToPath } from 'node:url';
import {
  GROUP,
  PLURAL_POOL,
  PLURAL_VOLUME,
  VERSION,
  registerFilter,
  registerPlugins,
  runOperatorMain,
  type Plugin,
  type PluginFactory,
} from 'disk-controller-temporal';
import { PatchStrategy, setHeaderOptions } from '../../src/kube/client-node.js';

export const RECONCILED_BY = 'example.com/reconciled-by';

/** Configured under pluginConfigs.Stamp in the controller config. */
interface StampConfig {
  value?: string;
}

export const newStampPlugin: PluginFactory = (handle) => {
  const cfg = (handle.config.pluginConfigs['Stamp'] ?? {}) as StampConfig;
  if (cfg.value !== undefined && typeof cfg.value !== 'string') throw new Error('pluginConfigs.Stamp.value must be a string');
  const value = cfg.value ?? 'stamp-plugin';
  const plugin: Plugin = {
    name: 'Stamp',
    async reconcile(ctx) {
      const { kind, namespace, name } = ctx.request;
      if (ctx.object.metadata.annotations?.[RECONCILED_BY] === value) return;
      await ctx.kube.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: kind === 'StoragePool' ? PLURAL_POOL : PLURAL_VOLUME,
          name,
          body: { metadata: { annotations: { [RECONCILED_BY]: value } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      ctx.log.info('stamped', { kind, name });
    },
    handleDeletion(ctx) {
      ctx.log.info('deleted', { kind: ctx.request.kind, name: ctx.request.name });
    },
  };
  return plugin;
};

export function registerExample(): void {
  registerPlugins([newStampPlugin], [newStampPlugin]);
  registerFilter('SameRack', (ctx, node, vol) => {
    const want = vol.metadata.annotations?.['example.com/rack'];
    if (!want || node.pool.spec.nodeInfo?.labels?.['example.com/rack'] === want) return true;
    ctx.addReason('RackNotMatch');
    return false;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  registerExample();
  void runOperatorMain(process.argv.slice(2));
}
