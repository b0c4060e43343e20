/** Built-in reconciler plugins, in LiteIO's order (they run before user plugins). MetaSync joins with --dbInfo. */
import type { ObjectKind, PluginFactory } from '../types.js';
import { newLockPoolPlugin } from './lock-pool.js';

export const BUILTIN_PLUGINS: Record<ObjectKind, PluginFactory[]> = {
  StoragePool: [newLockPoolPlugin],
  AntstorVolume: [],
};
