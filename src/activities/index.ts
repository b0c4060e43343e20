/** createActivities(deps): every registered kind's activities (src/kinds), thin adapters over kube/scheduler/ledger. */
import type { ActivityDeps } from './deps.js';
import { KINDS, type KindModule } from '../kinds/index.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(d: ActivityDeps, kinds: readonly KindModule[] = KINDS): Record<string, (...args: never[]) => Promise<unknown>> {
  const all: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const k of kinds) {
    for (const [name, fn] of Object.entries(k.activities(d))) {
      // Activity names are global on the task queue: a clash would silently run the other kind's code.
      if (all[name]) throw new Error(`activity ${name} of ${k.kind} is already registered by another kind`);
      // The workers start before the cache has listed anything: a kind's activity reading an empty cache would take
      // every binding for gone (a pool's drift check would drop them all) and every pool for missing. So they wait.
      all[name] = async (...args: never[]) => {
        if (!d.cache.isSynced && !(await d.cache.whenSynced())) throw new Error('the controller is stopping: its cluster cache is closed');
        return fn(...args);
      };
    }
  }
  return all;
}
