/**
 * LockPool (built-in, second in LiteIO's pool chain): a Node matching `lockSchedConfig` (any nodeSelector
 * requirement, or any taint tolerated by nodeTaints) marks the pool's KubeNode condition Error/NC_OFFLINE; a
 * KubeNode or Lvm condition in Error turns a ready pool `locked`, and `locked` returns to `ready` once they clear.
 */
import type { V1Node } from '../../kube/client-node.js';
import type { PoolCondition, StoragePool } from '../../api/types.js';
import { anyRequirementMatches, toleratesTaint } from '../../scheduler/node-affinity.js';
import { isNotFound } from '../../kube/errors.js';
import { KubeResources } from '../../kube/resources.js';
import type { Plugin, PluginFactory } from '../types.js';

export const LOCK_POOL = 'LockPool';

export const newLockPoolPlugin: PluginFactory = (h) => {
  const lock = h.config.scheduler.lockSchedConfig;
  const res = new KubeResources(h.kube);
  const plugin: Plugin = {
    name: LOCK_POOL,
    async reconcile(ctx) {
      const pool = ctx.object as StoragePool;
      let node: V1Node | undefined;
      try {
        node = await ctx.kube.core.readNode({ name: pool.metadata.name! });
      } catch (e) {
        if (!isNotFound(e)) ctx.log.warn('cannot read Node; treating it as unlabelled and untainted', { error: (e as Error).message });
      }
      const labels = node?.metadata?.labels ?? {};
      const taints = node?.spec?.taints ?? [];
      const matched =
        anyRequirementMatches(lock.nodeSelector, labels) ||
        lock.nodeTaints.some((t) => taints.some((taint) => toleratesTaint(t, taint)));

      const conds: PoolCondition[] = (pool.status?.conditions ?? []).map((c) => ({ ...c }));
      const kubeNode = conds.find((c) => c.type === 'KubeNode');
      let changed = false;
      if (matched && (!kubeNode || kubeNode.status === 'OK')) {
        if (kubeNode) Object.assign(kubeNode, { status: 'Error', message: 'NC_OFFLINE' });
        else conds.push({ type: 'KubeNode', status: 'Error', message: 'NC_OFFLINE' });
        changed = true;
      } else if (!matched && kubeNode?.status === 'Error') {
        Object.assign(kubeNode, { status: 'OK', message: '' });
        changed = true;
      }
      const foundError = conds.some((c) => c.status === 'Error' && (c.type === 'KubeNode' || c.type === 'Lvm'));
      let status = pool.status?.status;
      if (foundError && status === 'ready') status = 'locked';
      else if (!foundError && status === 'locked') status = 'ready';
      if (changed || status !== pool.status?.status) {
        await res.patchPoolStatus(pool.metadata.namespace!, pool.metadata.name!, { conditions: conds, status });
        ctx.log.info('pool lock state changed', { matched, status });
      }
    },
    handleDeletion() {},
  };
  return plugin;
};
